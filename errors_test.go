package requests

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingServer is an httptest server that counts the requests it got, to
// prove that a refused call sent nothing.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestBadInputIsRefusedBeforeSending(t *testing.T) {
	srv, hits := countingServer(t)
	s := testSession(t)
	tests := []struct {
		name   string
		method string
		url    string
		opts   []Option
		want   error
	}{
		{"no scheme", "GET", "example.com/x", nil, ErrMissingSchema},
		{"host:port without scheme", "GET", "localhost:8080/x", nil, ErrMissingSchema},
		{"ftp scheme", "GET", "ftp://example.com/x", nil, ErrInvalidSchema},
		{"file scheme", "GET", "file:///etc/passwd", nil, ErrInvalidSchema},
		{"no host", "GET", "http:///path", nil, ErrInvalidURL},
		{"bad escape", "GET", "http://127.0.0.1/%zz", nil, ErrInvalidURL},
		{"control character in URL", "GET", "http://127.0.0.1/a\nb", nil, ErrInvalidURL},
		{"bad port", "GET", "http://127.0.0.1:99999999999/", nil, ErrInvalidURL},
		{"CRLF in header value", "GET", srv.URL, []Option{Headers{"X-A": "a\r\nX-Injected: 1"}}, ErrInvalidHeader},
		{"LF in header value", "GET", srv.URL, []Option{Headers{"X-A": "a\nb"}}, ErrInvalidHeader},
		{"NUL in header value", "GET", srv.URL, []Option{Headers{"X-A": "a\x00b"}}, ErrInvalidHeader},
		{"space in header name", "GET", srv.URL, []Option{Headers{"X A": "a"}}, ErrInvalidHeader},
		{"colon in header name", "GET", srv.URL, []Option{Headers{"X:A": "a"}}, ErrInvalidHeader},
		{"CRLF in cookie", "GET", srv.URL, []Option{Cookies{"a": "b\r\nX: y"}}, ErrInvalidHeader},
		{"semicolon in cookie", "GET", srv.URL, []Option{Cookies{"a": "b; admin=1"}}, ErrInvalidHeader},
		{"bad cookie name", "GET", srv.URL, []Option{Cookies{"a b": "c"}}, ErrInvalidHeader},
		{"CRLF in bearer token", "GET", srv.URL, []Option{BearerAuth("t\r\nX: y")}, ErrInvalidHeader},
		{"colon in basic user", "GET", srv.URL, []Option{BasicAuth("a:b", "c")}, ErrInvalidHeader},
		{"newline in basic password", "GET", srv.URL, []Option{BasicAuth("a", "b\nc")}, ErrInvalidHeader},
		{"method with space", "GE T", srv.URL, nil, ErrInvalidMethod},
		{"method with CRLF", "GET\r\n", srv.URL, nil, ErrInvalidMethod},
		{"JSON that cannot encode", "POST", srv.URL, []Option{JSON(make(chan int))}, ErrInvalidJSON},
		{"Data of the wrong type", "POST", srv.URL, []Option{Data(42)}, ErrInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Do(tt.method, tt.url, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, r)
			assert.ErrorIs(t, err, tt.want)
			var e *Error
			assert.ErrorAs(t, err, &e)
		})
	}
	assert.Zero(t, hits.Load(), "no request may reach the server")
}

func TestInvalidSessionHeaderFailsEveryCall(t *testing.T) {
	srv, hits := countingServer(t)
	s := testSession(t, Headers{"X-Bad": "a\r\nb"})
	_, err := s.Get(srv.URL)
	assert.ErrorIs(t, err, ErrInvalidHeader)
	assert.Zero(t, hits.Load())
}

func TestMethodIsUppercased(t *testing.T) {
	srv := newHTTPBin(t)
	e := anything(t, testSession(t), "post", srv.URL+"/anything")
	assert.Equal(t, "POST", e.Method)
}

func TestIDNAHost(t *testing.T) {
	s := testSession(t)
	req, err := s.Prepare("GET", "http://bücher.example:8080/straße")
	require.NoError(t, err)
	assert.Equal(t, "xn--bcher-kva.example:8080", req.URL.Host)
	assert.Equal(t, "xn--bcher-kva.example:8080", req.Host)

	_, err = s.Prepare("GET", "http://xn--a.example\u2028/")
	assert.ErrorIs(t, err, ErrInvalidURL)
}

func TestPasswordIsNotInErrors(t *testing.T) {
	s := testSession(t)
	for _, u := range []string{
		"http://user:hunter2@127.0.0.1:1/",      // connection refused
		"http://user:hunter2@127.0.0.1/%zz",     // does not parse
		"ftp://user:hunter2@127.0.0.1/",         // wrong scheme
		"http://user:hunter2@127.0.0.1:99999x/", // bad port
	} {
		_, err := s.Get(u)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2", u)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()

	_, err = testSession(t).Get("http://" + addr + "/")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrConnection)
	assert.NotErrorIs(t, err, ErrTimeout)
	var op *net.OpError
	assert.ErrorAs(t, err, &op, "the cause is still reachable")
}

func TestContextCancel(t *testing.T) {
	srv := newHTTPBin(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testSession(t).Get(srv.URL+"/get", Context(ctx))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrTimeout)
}

func TestContextDeadlineIsTimeout(t *testing.T) {
	srv := newHTTPBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50e6)
	defer cancel()
	_, err := testSession(t).Get(srv.URL+"/delay/5", Context(ctx))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, ErrTimeout)
}

func TestErrorKinds(t *testing.T) {
	// requests' exception hierarchy, as errors.Is sees it.
	assert.ErrorIs(t, ErrConnectTimeout, ErrConnection)
	assert.ErrorIs(t, ErrConnectTimeout, ErrTimeout)
	assert.ErrorIs(t, ErrReadTimeout, ErrTimeout)
	assert.NotErrorIs(t, ErrReadTimeout, ErrConnection)
	assert.ErrorIs(t, ErrSSL, ErrConnection)
	assert.ErrorIs(t, ErrProxy, ErrConnection)
	assert.ErrorIs(t, ErrMissingSchema, ErrInvalidURL)
	assert.NotErrorIs(t, ErrTimeout, ErrConnectTimeout)

	e := &Error{Method: "GET", URL: "http://x/", Kind: ErrConnectTimeout, Err: context.DeadlineExceeded}
	assert.True(t, e.Timeout())
	assert.ErrorIs(t, e, ErrConnection)
	assert.ErrorIs(t, e, context.DeadlineExceeded)
	assert.Equal(t, "GET http://x/: connect timeout: context deadline exceeded", e.Error())
}

func TestHTTPError(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	for code, want := range map[int]string{
		404: "404 Client Error: Not Found for url: " + srv.URL + "/status/404",
		503: "503 Server Error: Service Unavailable for url: " + srv.URL + "/status/503",
	} {
		r, err := s.Get(srv.URL + "/status/" + strconv.Itoa(code))
		require.NoError(t, err)
		assert.False(t, r.OK())
		err = r.Raise()
		require.Error(t, err)
		assert.Equal(t, want, err.Error())
		var he *HTTPError
		require.True(t, errors.As(err, &he))
		assert.Same(t, r, he.Response)
		assert.Equal(t, code, he.StatusCode())
	}
	r, err := s.Get(srv.URL + "/status/204")
	require.NoError(t, err)
	assert.True(t, r.OK())
	assert.NoError(t, r.Raise())
}

func TestErrorsWithoutAResponseFormat(t *testing.T) {
	// Every message that tells a status holds when there is no response.
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"HTTPError", &HTTPError{}, "HTTP error without a response"},
		{"RetryError", &RetryError{Attempts: 2}, "2 attempts, the last: "},
		{"RetryError around an HTTPError", &RetryError{Attempts: 1, Err: &HTTPError{}}, "1 attempt: HTTP error without a response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
	assert.Zero(t, (&HTTPError{}).StatusCode())
}
