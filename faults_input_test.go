package requests

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inputScenarios() []scenario {
	// refused checks that a call is refused with want before anything
	// reaches the server: not even a connection is made.
	refused := func(want error, method, path string, opts ...Option) func(*testing.T) {
		return func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 0\n\n")
			fail(t, want, func() (*Response, error) { return testSession(t).Do(method, srv.URL+path, opts...) })
			assert.Zero(t, srv.Accepted(), "nothing may reach the server")
		}
	}
	return []scenario{
		{"CRLF in a header value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X-A": "a\r\nX-Injected: 1"})},
		{"LF in a header value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X-A": "a\nX-Injected: 1"})},
		{"NUL in a header value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X-A": "a\x00b"})},
		{"leading whitespace in a header value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X-A": "\tb"})},
		{"CR in a header name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X\rA": "v"})},
		{"space in a header name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X A": "v"})},
		{"empty header name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"": "v"})},
		{"CRLF in a Host header", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"Host": "a\r\nX: y"})},
		{"CRLF in a cookie value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Cookies{"a": "b\r\nX: y"})},
		{"NUL in a cookie name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Cookies{"a\x00": "b"})},
		{"semicolon in a cookie value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Cookies{"a": "b; admin=1"})},
		{"CRLF in a basic-auth user name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", BasicAuth("u\r\nX: y", "p"))},
		{"NUL in a basic-auth password", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", BasicAuth("u", "p\x00"))},
		{"CRLF in a bearer token", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", BearerAuth("t\r\nX: y"))},
		{"NUL in a method", "ErrInvalidMethod, nothing sent", refused(ErrInvalidMethod, "GE\x00T", "/")},
		{"CRLF in a method", "ErrInvalidMethod, nothing sent", refused(ErrInvalidMethod, "GET /x HTTP/1.1\r\nX:", "/")},
		{"space in a method", "ErrInvalidMethod, nothing sent", refused(ErrInvalidMethod, "GE T", "/")},
		{"CRLF in a URL path", "ErrInvalidURL, nothing sent", refused(ErrInvalidURL, "GET", "/a\r\nX-Injected: 1")},
		{"NUL in a URL path", "ErrInvalidURL, nothing sent", refused(ErrInvalidURL, "GET", "/a\x00b")},
		{"CRLF in the host", "ErrInvalidURL, nothing sent", func(t *testing.T) {
			fail(t, ErrInvalidURL, func() (*Response, error) { return testSession(t).Get("http://127.0.0.1\r\nX-Injected: 1/") })
		}},
		{"space in the host", "ErrInvalidURL, nothing sent", func(t *testing.T) {
			fail(t, ErrInvalidURL, func() (*Response, error) { return testSession(t).Get("http://127.0.0.1 evil/") })
		}},
		{"CRLF in a Session header", "ErrInvalidHeader on every call, nothing sent", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 0\n\n")
			s := testSession(t)
			s.Update(Headers{"User-Agent": "ua\r\nX-Injected: 1"})
			for range 2 {
				fail(t, ErrInvalidHeader, func() (*Response, error) { return s.Get(srv.URL) })
			}
			assert.Zero(t, srv.Accepted())
		}},
		{"CRLF in a prepared request's header", "ErrInvalidHeader from Send, nothing sent", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 0\n\n")
			s := testSession(t)
			req, err := s.Prepare("GET", srv.URL)
			require.NoError(t, err)
			req.Header.Set("X-A", "a\r\nX-Injected: 1")
			fail(t, ErrInvalidHeader, func() (*Response, error) { return s.Send(req) })
			assert.Zero(t, srv.Accepted())
		}},
		{"space in a query, from a URL, Send or a redirect", "escaped as %20: the request line stays whole", func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.RequestURI)
				mu.Unlock()
				if r.URL.Path == "/hop" {
					w.Header().Set("Location", "/end?to=a b")
					w.WriteHeader(http.StatusFound)
				}
			}))
			t.Cleanup(srv.Close)
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL + "/?q=a b&x=\"1\"") })
			req, err := http.NewRequest("GET", srv.URL+"/send?q=a b", nil)
			require.NoError(t, err)
			succeed(t, func() (*Response, error) { return s.Send(req) })
			assert.Equal(t, "q=a b", req.URL.RawQuery, "the caller's request is left as it was")
			succeed(t, func() (*Response, error) { return s.Get(srv.URL + "/hop") })
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"/?q=a%20b&x=%221%22", "/send?q=a%20b", "/hop", "/end?to=a%20b"}, got)
		}},
		{"CRLF in params", "escaped, not refused: sent as %0D%0A", func(t *testing.T) {
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.URL.RawQuery }))
			t.Cleanup(srv.Close)
			succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL, Params{"q\r\n": "a\r\nX-Injected: 1"}) })
			assert.Equal(t, "q%0D%0A=a%0D%0AX-Injected%3A+1", got)
		}},
	}
}
