package requests

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
	"github.com/go-requests/requests/internal/testcert"
)

// script is a server that answers with the given statuses in turn (then
// 200 "ok"), and records every request's method, body and Content-Length.
type script struct {
	mu       sync.Mutex
	statuses []int
	header   http.Header // added to every scripted (non-200) answer
	seen     []seenRequest
}

type seenRequest struct {
	method, body string
	length       int64
}

func newScript(t *testing.T, statuses ...int) (*httptest.Server, *script) {
	sc := &script{statuses: statuses, header: http.Header{}}
	srv := httptest.NewServer(sc)
	t.Cleanup(srv.Close)
	return srv, sc
}

func (sc *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	sc.mu.Lock()
	sc.seen = append(sc.seen, seenRequest{r.Method, string(b), r.ContentLength})
	n := len(sc.seen)
	code := http.StatusOK
	if n <= len(sc.statuses) {
		code = sc.statuses[n-1]
		for k, v := range sc.header {
			w.Header()[k] = v
		}
	}
	sc.mu.Unlock()
	w.WriteHeader(code)
	io.WriteString(w, "answer "+strconv.Itoa(n))
}

func (sc *script) hits() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.seen)
}

func (sc *script) requests() []seenRequest {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]seenRequest(nil), sc.seen...)
}

func TestRetryIsOffByDefault(t *testing.T) {
	srv, sc := newScript(t, 503, 503)
	r, err := testSession(t).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 503, r.StatusCode)
	assert.Equal(t, 0, r.Retries)
	assert.Equal(t, 1, sc.hits())
}

func TestRetryStatusForcelist(t *testing.T) {
	srv, sc := newScript(t, 503, 502)
	r, err := testSession(t).Get(srv.URL, Retry(RetryPolicy{StatusForcelist: []int{502, 503}}))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, "answer 3", r.Text())
	assert.Equal(t, 2, r.Retries, "the attempts are visible")
	assert.Equal(t, 3, sc.hits())
}

func TestRetryStatusExhausted(t *testing.T) {
	srv, sc := newScript(t, 503, 503, 503, 503, 503)
	s := testSession(t, Retry(RetryPolicy{Total: 2, StatusForcelist: []int{503}}))

	r, err := s.Get(srv.URL)
	require.Error(t, err)
	assert.Nil(t, r)
	assert.ErrorIs(t, err, ErrRetry)
	var re *RetryError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3, re.Attempts)
	require.NotNil(t, re.Response)
	assert.Equal(t, 503, re.Response.StatusCode)
	var he *HTTPError
	require.ErrorAs(t, err, &he, "the last status is an HTTPError underneath")
	assert.Equal(t, 503, he.StatusCode())
	assert.Equal(t, "GET "+srv.URL+": retries exhausted: 3 attempts, the last: 503 Server Error: Service Unavailable for url: "+srv.URL, err.Error())
	assert.Equal(t, 3, sc.hits())

	// urllib3's raise_on_status=False: the last response instead.
	r, err = s.Get(srv.URL, Retry(RetryPolicy{Total: 1, StatusForcelist: []int{503}, ReturnLastResponse: true}))
	require.NoError(t, err)
	assert.Equal(t, 503, r.StatusCode)
	assert.Equal(t, "answer 5", r.Text(), "the last response's body is read as usual")
	assert.Equal(t, 1, r.Retries)
}

func TestRetryOnlyAllowedMethodsForStatus(t *testing.T) {
	srv, sc := newScript(t, 503, 503)
	p := RetryPolicy{StatusForcelist: []int{503}}
	r, err := testSession(t).Post(srv.URL, Data("x"), Retry(p))
	require.NoError(t, err)
	assert.Equal(t, 503, r.StatusCode, "POST is not idempotent: not retried")
	assert.Equal(t, 1, sc.hits())

	p.AllowedMethods = []string{"post"}
	r, err = testSession(t).Post(srv.URL, Data("x"), Retry(p))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode, "allowed explicitly, case-insensitively")
	assert.Equal(t, 1, r.Retries)
}

func TestRetryReplaysTheBodyByteForByte(t *testing.T) {
	payload := strings.Repeat("0123456789", 1000)
	bodies := map[string]func() Option{
		"string":        func() Option { return Data(payload) },
		"form":          func() Option { return Data(map[string]string{"k": payload}) },
		"json":          func() Option { return JSON(map[string]string{"k": payload}) },
		"seekable file": func() Option { return Data(strings.NewReader(payload)) },
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			srv, sc := newScript(t, 503, 500)
			r, err := testSession(t).Put(srv.URL, body(), Retry(RetryPolicy{StatusForcelist: []int{500, 503}}))
			require.NoError(t, err)
			assert.Equal(t, 200, r.StatusCode)
			seen := sc.requests()
			require.Len(t, seen, 3)
			for _, s := range seen[1:] {
				assert.Equal(t, seen[0].body, s.body)
				assert.Equal(t, seen[0].length, s.length)
			}
			assert.Equal(t, int64(len(seen[0].body)), seen[0].length)
		})
	}
}

func TestRetryWithUnrewindableBody(t *testing.T) {
	srv, sc := newScript(t, 503)
	body := io.MultiReader(strings.NewReader("streamed once"))
	_, err := testSession(t).Put(srv.URL, Data(body), Retry(RetryPolicy{StatusForcelist: []int{503}}))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnrewindableBody)
	assert.Contains(t, err.Error(), "status 503")
	seen := sc.requests()
	require.Len(t, seen, 1, "never an empty body with a stale length")
	assert.Equal(t, "streamed once", seen[0].body)
}

func TestRetryAfterConnectionFailures(t *testing.T) {
	// A refused port: nothing was sent, so even POST is retried.
	addr := closedPort(t)
	var dials atomic.Int64
	dial := func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}
	s := testSession(t, DialContext(dial), Retry(RetryPolicy{Total: 3}))
	_, err := s.Post("http://"+addr+"/", Data("x"))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrRetry)
	assert.ErrorIs(t, err, ErrConnection, "the last cause is still reachable")
	var op *net.OpError
	assert.ErrorAs(t, err, &op)
	var re *RetryError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 4, re.Attempts)
	assert.Nil(t, re.Response)
	assert.EqualValues(t, 4, dials.Load())

	// The Connect count caps these below Total.
	dials.Store(0)
	_, err = s.Get("http://"+addr+"/", Retry(RetryPolicy{Total: 5, Connect: 1}))
	assert.ErrorIs(t, err, ErrRetry)
	assert.EqualValues(t, 2, dials.Load())

	// A negative count forbids them: the plain error, not ErrRetry.
	dials.Store(0)
	_, err = s.Get("http://"+addr+"/", Retry(RetryPolicy{Connect: -1}))
	assert.ErrorIs(t, err, ErrConnection)
	assert.NotErrorIs(t, err, ErrRetry)
	assert.EqualValues(t, 1, dials.Load())
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// resetFirst is a handler that resets the first n connections after reading
// their request, then answers "ok".
func resetFirst(n int64) faultkit.Handler {
	var count atomic.Int64
	return func(c *faultkit.Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		if count.Add(1) <= n {
			c.Reset()
			return
		}
		io.WriteString(c, faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok"))
	}
}

func TestRetryAfterReadFailures(t *testing.T) {
	srv := faultkit.Listen(t, resetFirst(2))
	s := testSession(t, Retry(RetryPolicy{}))
	r, err := s.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())
	assert.Equal(t, 2, r.Retries)
	assert.Equal(t, 3, srv.Accepted())

	// The request reached the server: POST is not sent twice.
	srv = faultkit.Listen(t, resetFirst(1))
	_, err = s.Post(srv.URL, Data("x"))
	assert.ErrorIs(t, err, ErrConnection)
	assert.NotErrorIs(t, err, ErrRetry)
	assert.Equal(t, 1, srv.Accepted())

	// Read: -1 forbids it for GET too.
	srv = faultkit.Listen(t, resetFirst(1))
	_, err = s.Get(srv.URL, Retry(RetryPolicy{Read: -1}))
	assert.ErrorIs(t, err, ErrConnection)
	assert.Equal(t, 1, srv.Accepted())
}

func TestRetryAfterReadTimeout(t *testing.T) {
	// The first connection stalls; the timeout ends that attempt only, and
	// the retry gets a fresh timer and context.
	var count atomic.Int64
	srv := faultkit.Listen(t, func(c *faultkit.Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		if count.Add(1) == 1 {
			c.Hold()
			return
		}
		io.WriteString(c, faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"))
	})
	var r *Response
	var err error
	elapsed(t, func() {
		r, err = testSession(t).Get(srv.URL, ReadTimeout(200*time.Millisecond), Retry(RetryPolicy{}))
	})
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())
	assert.Equal(t, 1, r.Retries)

	// Exhausted: ErrRetry around the read timeout.
	srv = faultkit.Listen(t, faultkit.Stall())
	elapsed(t, func() {
		_, err = testSession(t).Get(srv.URL, ReadTimeout(100*time.Millisecond), Retry(RetryPolicy{Total: 2}))
	})
	assert.ErrorIs(t, err, ErrRetry)
	assert.ErrorIs(t, err, ErrReadTimeout)
	assert.Equal(t, 3, srv.Accepted())
}

func TestRetryAfterConnectTimeout(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.StallTLSHandshake())
	var err error
	elapsed(t, func() {
		_, err = testSession(t).Post("https://"+srv.Addr+"/", Data("x"),
			ConnectTimeout(100*time.Millisecond), Retry(RetryPolicy{Total: 2}))
	})
	assert.ErrorIs(t, err, ErrRetry)
	assert.ErrorIs(t, err, ErrConnectTimeout)
	assert.Equal(t, 3, srv.Accepted(), "a handshake that never finished sent nothing: POST is retried")
}

func TestRetryNeverRepeatsCertificateFailures(t *testing.T) {
	cert := testcert.NewCA(t).Server(t, testcert.Options{})
	srv := faultkit.TLSListen(t, &tls.Config{Certificates: []tls.Certificate{cert.TLS}}, faultkit.Hold())
	_, err := testSession(t, Retry(RetryPolicy{Total: 3})).Get(srv.URL)
	assert.ErrorIs(t, err, ErrSSL)
	assert.NotErrorIs(t, err, ErrRetry)
	assert.Equal(t, 1, srv.Accepted(), "an untrusted certificate stays untrusted")
}

func TestRetryTimersDoNotRunWhileWaiting(t *testing.T) {
	// The backoff is longer than the read timeout: if the timer ran during
	// the wait, the retry would start cancelled.
	srv, sc := newScript(t, 503, 503)
	r, err := testSession(t).Get(srv.URL, ReadTimeout(100*time.Millisecond),
		Retry(RetryPolicy{StatusForcelist: []int{503}, BackoffFactor: 150 * time.Millisecond}))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, 3, sc.hits())
}

func TestRetryCancelWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(503)
		w.(http.Flusher).Flush()
		cancel() // the client is about to wait a minute
	}))
	t.Cleanup(srv.Close)
	var err error
	elapsed(t, func() { _, err = testSession(t).Get(srv.URL, Context(ctx), Retry(RetryPolicy{})) })
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrTimeout)
	assert.Equal(t, 1, hits)
}

func TestRetryPerSessionAndPerCall(t *testing.T) {
	srv, sc := newScript(t, 503, 503, 503, 503)
	s := testSession(t, Retry(RetryPolicy{StatusForcelist: []int{503}}))
	r, err := s.Get(srv.URL, Retry(RetryPolicy{Total: -1}))
	require.NoError(t, err)
	assert.Equal(t, 503, r.StatusCode, "a call can turn the Session's retries off")
	assert.Equal(t, 1, sc.hits())

	r, err = s.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, 3, r.Retries)

	// Update replaces the Session's policy.
	s.Update(Retry(RetryPolicy{Total: -1}))
	srv2, sc2 := newScript(t, 503)
	r, err = s.Get(srv2.URL)
	require.NoError(t, err)
	assert.Equal(t, 503, r.StatusCode)
	assert.Equal(t, 1, sc2.hits())
}

func TestRetryPolicyIsCopied(t *testing.T) {
	p := RetryPolicy{StatusForcelist: []int{503}}
	s := testSession(t, Retry(p))
	p.StatusForcelist[0] = 500 // the caller's slice, changed later
	srv, sc := newScript(t, 503)
	r, err := s.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, 2, sc.hits())
}

func TestRetryEachRedirectHop(t *testing.T) {
	var hits [2]atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		if hits[0].Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		http.Redirect(w, r, "/b", http.StatusFound)
	})
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		if hits[1].Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, "b")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r, err := testSession(t).Get(srv.URL+"/a", Retry(RetryPolicy{Total: 1, StatusForcelist: []int{503}}))
	require.NoError(t, err)
	assert.Equal(t, "b", r.Text())
	assert.Equal(t, 1, r.Retries)
	require.Len(t, r.History, 1)
	assert.Equal(t, 1, r.History[0].Retries)
}

func TestRetryCheckAndBackoffHooks(t *testing.T) {
	srv, sc := newScript(t, http.StatusTeapot, http.StatusTeapot)
	var seen []RetryAttempt
	p := RetryPolicy{}
	p.CheckRetry = func(a RetryAttempt) bool {
		seen = append(seen, a)
		return (a.Response != nil && a.Response.StatusCode == http.StatusTeapot) || p.Retryable(a)
	}
	var waits []int
	p.Backoff = func(a RetryAttempt) time.Duration {
		waits = append(waits, a.Retries)
		return time.Millisecond
	}
	r, err := testSession(t).Get(srv.URL, Retry(p))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, 3, sc.hits())
	require.Len(t, seen, 3)
	assert.True(t, seen[0].Sent)
	assert.Equal(t, []int{0, 1}, waits)
}

// roundTripFunc is a RoundTripper made of a function, mounted for tests
// that run under a fake clock and so cannot use sockets.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// clocked runs a Session whose "http://fake/" prefix answers with the given
// statuses and headers in turn, under a fake clock, and returns the fake
// times at which the requests arrived, counted from the first.
func clocked(t *testing.T, answers []*http.Response, opts ...Option) ([]time.Duration, *Response, error) {
	var r *Response
	var err error
	var at []time.Duration
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		// No timeouts: a Session's timers are pooled across calls, and a
		// timer made in the bubble must not outlive it.
		s := NewSession(Timeout(0))
		defer s.Close()
		s.Mount("http://fake/", roundTripFunc(func(req *http.Request) (*http.Response, error) {
			at = append(at, time.Since(start))
			a := &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: http.NoBody}
			if len(at) <= len(answers) {
				a = answers[len(at)-1]
			}
			a.Request = req
			return a, nil
		}))
		r, err = s.Get("http://fake/x", opts...)
	})
	return at, r, err
}

func answer(code int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &http.Response{StatusCode: code, Status: strconv.Itoa(code) + " " + http.StatusText(code), Header: h, Body: http.NoBody}
}

func TestRetryBackoffSchedule(t *testing.T) {
	five := []*http.Response{answer(503), answer(503), answer(503), answer(503), answer(503)}
	at, r, err := clocked(t, five, Retry(RetryPolicy{
		Total: 5, StatusForcelist: []int{503}, BackoffFactor: 100 * time.Millisecond, BackoffMax: 500 * time.Millisecond,
	}))
	require.NoError(t, err)
	assert.Equal(t, 5, r.Retries)
	// urllib3's schedule: none, then factor * 2^(n-1), capped.
	assert.Equal(t, []time.Duration{0, 0, 200 * time.Millisecond, 600 * time.Millisecond, 1100 * time.Millisecond, 1600 * time.Millisecond}, at)
}

func TestRetryBackoffJitter(t *testing.T) {
	at, _, err := clocked(t, []*http.Response{answer(503), answer(503)}, Retry(RetryPolicy{
		StatusForcelist: []int{503}, BackoffFactor: time.Second, BackoffJitter: 100 * time.Millisecond,
	}))
	require.NoError(t, err)
	require.Len(t, at, 3)
	assert.Less(t, at[1], 100*time.Millisecond)
	gap := at[2] - at[1]
	assert.GreaterOrEqual(t, gap, 2*time.Second)
	assert.Less(t, gap, 2*time.Second+100*time.Millisecond)
}

func TestRetryAfterHeader(t *testing.T) {
	p := RetryPolicy{BackoffFactor: time.Hour}
	date := time.Date(2000, 1, 1, 0, 0, 7, 0, time.UTC).Format(http.TimeFormat) // the fake clock starts at midnight

	tests := []struct {
		name    string
		answers []*http.Response
		policy  RetryPolicy
		want    []time.Duration // arrival times; nil when the call must fail
		status  int
	}{
		{"seconds on 503", []*http.Response{answer(503, "Retry-After", "3")}, p, []time.Duration{0, 3 * time.Second}, 200},
		{"seconds on 429", []*http.Response{answer(429, "Retry-After", " 2 ")}, p, []time.Duration{0, 2 * time.Second}, 200},
		{"HTTP-date", []*http.Response{answer(503, "Retry-After", date)}, p, []time.Duration{0, 7 * time.Second}, 200},
		{"date in the past", []*http.Response{answer(503, "Retry-After", "Sat, 01 Jan 1999 00:00:00 GMT")}, p, []time.Duration{0, 0}, 200},
		{"not retried without the header", []*http.Response{answer(503)}, p, []time.Duration{0}, 503},
		{"other status with the header", []*http.Response{answer(500, "Retry-After", "1")}, p, []time.Duration{0}, 500},
		{"ignored", []*http.Response{answer(503, "Retry-After", "1")}, RetryPolicy{IgnoreRetryAfter: true}, []time.Duration{0}, 503},
		{"ignored for a forcelisted status", []*http.Response{answer(500, "Retry-After", "100")},
			RetryPolicy{IgnoreRetryAfter: true, StatusForcelist: []int{500}}, []time.Duration{0, 0}, 200},
		{"garbage falls back to the backoff", []*http.Response{answer(500, "Retry-After", "soon")},
			RetryPolicy{StatusForcelist: []int{500}}, []time.Duration{0, 0}, 200},
		{"beyond the cap ends the retries", []*http.Response{answer(503, "Retry-After", "121")}, p, nil, 0},
		{"absurd", []*http.Response{answer(503, "Retry-After", "99999999999999999999999")}, p, nil, 0},
		{"absurd date", []*http.Response{answer(503, "Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")}, p, nil, 0},
		{"own cap", []*http.Response{answer(503, "Retry-After", "5")}, RetryPolicy{RetryAfterMax: 4 * time.Second}, nil, 0},
		{"own cap, last response", []*http.Response{answer(503, "Retry-After", "5")},
			RetryPolicy{RetryAfterMax: 4 * time.Second, ReturnLastResponse: true}, []time.Duration{0}, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, r, err := clocked(t, tt.answers, Retry(tt.policy))
			if tt.want == nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrRetry)
				var re *RetryError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, 1, re.Attempts)
				assert.Equal(t, []time.Duration{0}, at, "no wait at all")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.status, r.StatusCode)
			assert.Equal(t, tt.want, at)
		})
	}
}

func TestRetryCancelDuringBackoffUnderFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s := NewSession(Timeout(0)) // see clocked
		defer s.Close()
		s.Mount("http://fake/", roundTripFunc(func(req *http.Request) (*http.Response, error) {
			a := answer(503, "Retry-After", "60")
			a.Request = req
			return a, nil
		}))
		start := time.Now()
		time.AfterFunc(10*time.Second, cancel)
		_, err := s.Get("http://fake/", Context(ctx), Retry(RetryPolicy{}))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 10*time.Second, time.Since(start), "the wait ends when the context does")
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	limit := time.Minute
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"30", 30 * time.Second, true},
		{" 60\t", time.Minute, true},
		{"61", limit + 1, true},
		{"18446744073709551616", limit + 1, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"Wed, 01 May 2024 12:00:30 GMT", 30 * time.Second, true},
		{"Wednesday, 01-May-24 12:00:30 GMT", 30 * time.Second, true}, // RFC 850
		{"Wed May  1 12:00:30 2024", 30 * time.Second, true},          // asctime
		{"Wed, 01 May 2024 11:00:00 GMT", 0, true},
		{"Wed, 01 May 2024 13:00:00 GMT", limit + 1, true},
	}
	for _, tt := range tests {
		d, ok := parseRetryAfter(tt.in, now, limit)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, d, tt.in)
	}
}

func TestBackoffFor(t *testing.T) {
	p := RetryPolicy{BackoffFactor: 100 * time.Millisecond, BackoffMax: time.Second}
	want := []time.Duration{0, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for retries, w := range want {
		assert.Equal(t, w, p.BackoffFor(RetryAttempt{Retries: retries}), "retry %d", retries+1)
	}
	assert.Equal(t, DefaultBackoffMax, (&RetryPolicy{BackoffFactor: time.Hour}).BackoffFor(RetryAttempt{Retries: 1000}),
		"no overflow however many retries")
}

func TestRetryableRules(t *testing.T) {
	get, _ := http.NewRequest("GET", "http://x/", nil)
	post, _ := http.NewRequest("POST", "http://x/", nil)
	refused := &Error{Kind: ErrConnection, Err: &net.OpError{Op: "dial", Err: errors.New("refused")}}
	reset := &Error{Kind: ErrConnection, Err: errors.New("connection reset by peer")}
	p := &RetryPolicy{}
	tests := []struct {
		name string
		a    RetryAttempt
		want bool
	}{
		{"refused GET", RetryAttempt{Request: get, Err: refused}, true},
		{"refused POST", RetryAttempt{Request: post, Err: refused}, true},
		{"reset GET", RetryAttempt{Request: get, Err: reset, Sent: true}, true},
		{"reset POST", RetryAttempt{Request: post, Err: reset, Sent: true}, false},
		{"read timeout", RetryAttempt{Request: get, Err: &Error{Kind: ErrReadTimeout}, Sent: true}, true},
		{"caller's deadline", RetryAttempt{Request: get, Err: &Error{Kind: ErrTimeout, Err: context.DeadlineExceeded}, Sent: true}, false},
		{"cancelled", RetryAttempt{Request: get, Err: &Error{Err: context.Canceled}}, false},
		{"bad certificate", RetryAttempt{Request: get, Err: &Error{Kind: ErrSSL}}, false},
		{"proxy refused CONNECT", RetryAttempt{Request: get, Err: &Error{Kind: ErrProxy}}, false},
		{"proxy unreachable", RetryAttempt{Request: get, Err: &Error{Kind: ErrProxy, Err: &net.OpError{Op: "proxyconnect", Err: &net.OpError{Op: "dial"}}}}, true},
		{"unrewindable", RetryAttempt{Request: get, Err: &Error{Kind: ErrUnrewindableBody}}, false},
		{"200", RetryAttempt{Request: get, Response: &Response{StatusCode: 200}}, false},
		{"503 without Retry-After", RetryAttempt{Request: get, Response: &Response{StatusCode: 503, Headers: http.Header{}}}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, p.Retryable(tt.a), tt.name)
	}
}

func TestRetryUnrewindableBodyAfterFailureWithoutResponse(t *testing.T) {
	// A failure that produced no response, and a body that cannot be sent
	// again: the call fails with ErrUnrewindableBody around that failure.
	refused := "http://" + closedPort(t) + "/"
	reset := faultkit.Listen(t, faultkit.Reset())
	tests := []struct {
		name  string
		call  func(s *Session, p RetryPolicy) (*Response, error)
		cause error
	}{
		{"refused, plain reader", func(s *Session, p RetryPolicy) (*Response, error) {
			return s.Post(refused, Data(io.MultiReader(strings.NewReader("once"))), Retry(p))
		}, ErrConnection},
		{"reset, plain reader", func(s *Session, p RetryPolicy) (*Response, error) {
			return s.Put(reset.URL, Data(io.MultiReader(strings.NewReader("once"))), Retry(p))
		}, ErrConnection},
		{"refused, sent request without GetBody", func(s *Session, p RetryPolicy) (*Response, error) {
			req, err := http.NewRequest(http.MethodPut, refused, strings.NewReader("once"))
			require.NoError(t, err)
			req.GetBody = nil
			return s.Send(req, Retry(p))
		}, ErrConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t)
			_, err := tt.call(s, RetryPolicy{Total: 2})
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrUnrewindableBody)
			assert.ErrorIs(t, err, tt.cause, "the failure that called for the retry")
			assert.NotContains(t, err.Error(), "status")
		})
	}
}
