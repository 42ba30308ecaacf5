package requests

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFresh checks the Timings of an attempt on a new connection to addr.
func checkFresh(t *testing.T, tm Timings, addr, proto string, tls bool) {
	t.Helper()
	assert.False(t, tm.Reused)
	assert.Equal(t, addr, tm.RemoteAddr)
	assert.Equal(t, proto, tm.Protocol)
	assert.Positive(t, tm.Connect)
	if tls {
		assert.Positive(t, tm.TLS)
	} else {
		assert.Zero(t, tm.TLS)
	}
	assert.Positive(t, tm.WaitFirstByte)
	assert.GreaterOrEqual(t, tm.Total, tm.Connect+tm.TLS+tm.WaitFirstByte)
	assert.Less(t, tm.Total, time.Minute)
}

func TestTraceTimings(t *testing.T) {
	h1 := httptest.NewServer(http.HandlerFunc(okHandler))
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(okHandler))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()

	tests := []struct {
		name  string
		srv   *httptest.Server
		proto string
		opts  []Option
	}{
		{"HTTP/1.1", h1, "HTTP/1.1", nil},
		{"HTTP/2", h2, "HTTP/2.0", []Option{Verify(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t, append([]Option{Trace(true)}, tt.opts...)...)
			r, err := s.Get(tt.srv.URL)
			require.NoError(t, err)
			addr := tt.srv.Listener.Addr().String()
			checkFresh(t, r.Timings(), addr, tt.proto, tt.srv.TLS != nil)

			r, err = s.Get(tt.srv.URL)
			require.NoError(t, err)
			tm := r.Timings()
			assert.True(t, tm.Reused, "the second call reuses the connection")
			assert.Equal(t, addr, tm.RemoteAddr)
			assert.Zero(t, tm.Connect+tm.TLS+tm.DNS)
			assert.Positive(t, tm.WaitFirstByte)
		})
	}
}

func TestTraceOffIsZero(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	r, err := testSession(t).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, Timings{}, r.Timings())
}

func TestTraceThroughConnectProxy(t *testing.T) {
	origin := httptest.NewUnstartedServer(http.HandlerFunc(okHandler))
	origin.EnableHTTP2 = true
	origin.StartTLS()
	defer origin.Close()
	proxy := connectProxy(t, func(http.Header) {})

	r, err := testSession(t, Trace(true), Verify(false), Proxies{"https": proxy.URL}).Get(origin.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())
	// The address dialled is the proxy's; TLS is the origin's, in the tunnel.
	checkFresh(t, r.Timings(), strings.TrimPrefix(proxy.URL, "http://"), "HTTP/2.0", true)
}

func TestTraceEachHopAndTheLastAttempt(t *testing.T) {
	srv := redirectThenFlaky(t)

	r, err := testSession(t, Trace(true)).Get(srv.URL+"/start", Retry(RetryPolicy{StatusForcelist: []int{503}}))
	require.NoError(t, err)
	require.Len(t, r.History, 1)
	assert.Equal(t, 1, r.Retries)
	checkFresh(t, r.History[0].Timings(), srv.Listener.Addr().String(), "HTTP/1.1", false)
	last := r.Timings()
	assert.True(t, last.Reused, "the retry's own Timings, on the pooled connection")
	assert.Positive(t, last.WaitFirstByte)
}

// A dial that outlives its attempt reports to that attempt's sealed
// record, never to the next attempt's (run with -race).
func TestTraceIgnoresLateCallbacks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	release, late := make(chan struct{}), make(chan struct{})
	var dials atomic.Int32
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			<-release // outlives the connect timeout, then dials anyway
			defer close(late)
			return d.DialContext(context.WithoutCancel(ctx), network, addr)
		}
		return d.DialContext(ctx, network, addr)
	}
	s := testSession(t, Trace(true), DialContext(dial), ConnectTimeout(50*time.Millisecond))
	r, err := s.Get(srv.URL, Retry(RetryPolicy{}))
	close(release)
	<-late
	require.NoError(t, err)
	assert.Equal(t, 1, r.Retries)
	tm := r.Timings()
	assert.False(t, tm.Reused)
	assert.Positive(t, tm.Connect)
	before := tm
	// The first dial's ConnectStart/ConnectDone have run by now.
	assert.Equal(t, before, r.Timings())
}

// Observability that is off costs a plain GET and POST no allocation:
// given as off, the options leave the calls as they were.
func TestObservabilityOffAllocatesNothing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	plain := testSession(t)
	off := testSession(t, Trace(false), Logger(nil), Dump(nil))
	measure := func(s *Session) (get, post float64) {
		call := func(method string, opts ...Option) func() {
			return func() {
				r, err := s.Do(method, srv.URL+"/x", opts...)
				if err != nil || r.StatusCode != 200 {
					t.Fatal(err)
				}
			}
		}
		body := JSON(map[string]int{"a": 1})
		call("GET")()
		call("POST", body)()
		// The least of a few runs: other tests' goroutines may allocate
		// meanwhile, and AllocsPerRun counts every goroutine's.
		get, post = math.Inf(1), math.Inf(1)
		for range 5 {
			get = min(get, testing.AllocsPerRun(50, call("GET")))
			post = min(post, testing.AllocsPerRun(50, call("POST", body)))
		}
		return get, post
	}
	g0, p0 := measure(plain)
	g1, p1 := measure(off)
	t.Logf("allocations: GET %v, POST %v", g0, p0)
	if raceEnabled {
		// Exact without -race (CI runs the allocation tests both ways).
		assert.InDelta(t, g0, g1, 2, "GET")
		assert.InDelta(t, p0, p1, 2, "POST")
		return
	}
	assert.Equal(t, g0, g1, "GET")
	assert.Equal(t, p0, p1, "POST")
}

// A host name is looked up, and the lookup timed.
func TestTraceTimesTheLookup(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	r, err := testSession(t, Trace(true)).Get(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	require.NoError(t, err)
	tm := r.Timings()
	assert.Positive(t, tm.DNS)
	assert.Positive(t, tm.Connect)
	assert.GreaterOrEqual(t, tm.Total, tm.DNS+tm.Connect)
}
