package requests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is the time the breakers read in tests: it moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// flakyServer answers status while failing is set, 200 otherwise, and counts
// the requests it gets.
type flakyServer struct {
	*httptest.Server
	failing atomic.Bool
	status  int
	hits    atomic.Int64
}

func newFlakyServer(t *testing.T, status int) *flakyServer {
	f := &flakyServer{status: status}
	f.failing.Store(true)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if f.failing.Load() {
			w.WriteHeader(f.status)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(f.Close)
	return f
}

// transitions records a breaker's changes of state.
type transitions struct {
	mu  sync.Mutex
	log []string
}

func (tr *transitions) record(host string, from, to BreakerState) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.log = append(tr.log, from.String()+" -> "+to.String())
}

func (tr *transitions) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.log...)
}

func TestCircuitBreakerOpensThenClosesAfterAProbe(t *testing.T) {
	srv := newFlakyServer(t, http.StatusInternalServerError)
	clk := newFakeClock()
	var tr transitions
	s := testSession(t, breakerOption(BreakerPolicy{Failures: 3, Cooldown: 10 * time.Second, OnChange: tr.record}, clk.Now))

	for range 3 {
		resp, err := s.Get(srv.URL)
		require.NoError(t, err)
		assert.Equal(t, 500, resp.StatusCode)
	}
	_, err := s.Get(srv.URL)
	require.ErrorIs(t, err, ErrCircuitOpen)
	var open *CircuitOpenError
	require.ErrorAs(t, err, &open)
	assert.Equal(t, clk.Now().Add(10*time.Second), open.RetryAt)
	assert.Equal(t, hostKey(mustParse(t, srv.URL)), open.Host)
	assert.EqualValues(t, 3, srv.hits.Load(), "an open breaker sends nothing")

	clk.Add(9 * time.Second)
	_, err = s.Get(srv.URL)
	require.ErrorIs(t, err, ErrCircuitOpen, "still cooling down")

	clk.Add(time.Second)
	srv.failing.Store(false)
	resp, err := s.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", resp.Text())
	assert.Equal(t, []string{"closed -> open", "open -> half-open", "half-open -> closed"}, tr.get())
}

func TestCircuitBreakerFailedProbeReopens(t *testing.T) {
	srv := newFlakyServer(t, http.StatusBadGateway)
	clk := newFakeClock()
	var tr transitions
	s := testSession(t, breakerOption(BreakerPolicy{Failures: 1, Cooldown: time.Minute, OnChange: tr.record}, clk.Now))

	_, err := s.Get(srv.URL)
	require.NoError(t, err)
	clk.Add(time.Minute)
	resp, err := s.Get(srv.URL)
	require.NoError(t, err, "the probe goes through")
	assert.Equal(t, 502, resp.StatusCode)
	_, err = s.Get(srv.URL)
	var open *CircuitOpenError
	require.ErrorAs(t, err, &open)
	assert.Equal(t, clk.Now().Add(time.Minute), open.RetryAt, "a failed probe starts a new cooldown")
	assert.Equal(t, []string{"closed -> open", "open -> half-open", "half-open -> open"}, tr.get())
}

func TestCircuitBreakerStopsRetries(t *testing.T) {
	srv := newFlakyServer(t, http.StatusServiceUnavailable)
	s := testSession(t,
		breakerOption(BreakerPolicy{Failures: 2}, newFakeClock().Now),
		Retry(RetryPolicy{Total: 10, StatusForcelist: []int{503}}))

	_, err := s.Get(srv.URL)
	require.ErrorIs(t, err, ErrCircuitOpen)
	assert.NotErrorIs(t, err, ErrRetry, "the retries stop at the open breaker, not when they run out")
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestCircuitBreakerCountsConnectionErrors(t *testing.T) {
	addr := closedPort(t)
	s := testSession(t, breakerOption(BreakerPolicy{Failures: 2}, newFakeClock().Now))

	for range 2 {
		_, err := s.Get("http://" + addr + "/")
		require.ErrorIs(t, err, ErrConnection)
	}
	_, err := s.Get("http://" + addr + "/")
	require.ErrorIs(t, err, ErrCircuitOpen)
	assert.NotErrorIs(t, err, ErrConnection, "refused by the breaker, not by the host")
}

func TestCircuitBreakerWhatCountsAsFailure(t *testing.T) {
	tests := []struct {
		name   string
		policy BreakerPolicy
		status int
		opens  bool
	}{
		{"5xx by default", BreakerPolicy{}, 503, true},
		{"429 by default", BreakerPolicy{}, 429, true},
		{"404 is the caller's", BreakerPolicy{}, 404, false},
		{"a status list replaces the default", BreakerPolicy{FailureStatuses: []int{404}}, 404, true},
		{"and leaves out the rest", BreakerPolicy{FailureStatuses: []int{404}}, 500, false},
		{"a func decides instead", BreakerPolicy{IsFailure: func(r *Response, err error) bool { return r != nil && r.StatusCode == 418 }}, 418, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFlakyServer(t, tt.status)
			p := tt.policy
			p.Failures = 1
			s := testSession(t, breakerOption(p, newFakeClock().Now))
			_, err := s.Get(srv.URL)
			require.NoError(t, err)
			_, err = s.Get(srv.URL)
			assert.Equal(t, tt.opens, errors.Is(err, ErrCircuitOpen), "second call: %v", err)
		})
	}
}

func TestCircuitBreakerIsPerHost(t *testing.T) {
	bad := newFlakyServer(t, http.StatusInternalServerError)
	good := newFlakyServer(t, http.StatusInternalServerError)
	good.failing.Store(false)
	s := testSession(t, breakerOption(BreakerPolicy{Failures: 1}, newFakeClock().Now))

	_, err := s.Get(bad.URL)
	require.NoError(t, err)
	_, err = s.Get(bad.URL)
	require.ErrorIs(t, err, ErrCircuitOpen)
	resp, err := s.Get(good.URL)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
}

func TestCircuitBreakerCallerCancelDoesNotCount(t *testing.T) {
	srv := newFlakyServer(t, http.StatusInternalServerError)
	s := testSession(t, breakerOption(BreakerPolicy{Failures: 1}, newFakeClock().Now))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Get(srv.URL, Context(ctx))
	require.ErrorIs(t, err, context.Canceled)
	srv.failing.Store(false)
	resp, err := s.Get(srv.URL)
	require.NoError(t, err, "the caller's cancellation says nothing of the host")
	assert.Equal(t, 200, resp.StatusCode)
}

func TestCircuitBreakerHalfOpenLetsProbesThrough(t *testing.T) {
	clk := newFakeClock()
	opt := breakerOption(BreakerPolicy{Failures: 1, Cooldown: time.Second, Probes: 2}, clk.Now)
	var c config
	opt.apply(&c)
	bs := c.breakers
	const h = "http://a.test:80"

	bs.report(h, false, failure)
	_, err := bs.allow(h)
	require.ErrorIs(t, err, ErrCircuitOpen)
	clk.Add(time.Second)
	p1, err := bs.allow(h)
	require.NoError(t, err)
	p2, err := bs.allow(h)
	require.NoError(t, err)
	assert.True(t, p1 && p2)
	_, err = bs.allow(h)
	var open *CircuitOpenError
	require.ErrorAs(t, err, &open, "both probes are out")
	assert.Equal(t, clk.Now(), open.RetryAt)

	bs.report(h, true, success)
	ok, _ := bs.ready(h)
	assert.False(t, ok, "one probe of two succeeded: still half-open, its slot spent")
	bs.report(h, true, success)
	ok, _ = bs.ready(h)
	assert.True(t, ok)
	probe, err := bs.allow(h)
	require.NoError(t, err)
	assert.False(t, probe, "closed again")
}

func TestCircuitBreakerStateIsBounded(t *testing.T) {
	opt := breakerOption(BreakerPolicy{Failures: 3, MaxHosts: 4}, newFakeClock().Now)
	var c config
	opt.apply(&c)
	for i := range 100 {
		h := "http://h" + strconv.Itoa(i) + ".test:80"
		c.breakers.allow(h)
		c.breakers.report(h, false, failure)
	}
	assert.Equal(t, 4, c.breakers.hosts.Len())
}

func TestCircuitBreakerOffAndSettings(t *testing.T) {
	s := testSession(t, CircuitBreaker(BreakerPolicy{Cooldown: time.Minute}))
	st := s.Settings()
	require.NotNil(t, st.CircuitBreaker)
	assert.Equal(t, DefaultBreakerFailures, st.CircuitBreaker.Failures)
	assert.Equal(t, time.Minute, st.CircuitBreaker.Cooldown)
	s.Update(CircuitBreaker(BreakerPolicy{Failures: -1}))
	assert.Nil(t, s.Settings().CircuitBreaker)
}

func TestHostKey(t *testing.T) {
	tests := []struct{ url, want string }{
		{"http://Example.TEST/x", "http://example.test:80"},
		{"https://example.test/", "https://example.test:443"},
		{"http://[::1]:8080/", "http://[::1]:8080"},
		{"HTTP://127.0.0.1:1/", "http://127.0.0.1:1"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, hostKey(mustParse(t, tt.url)), tt.url)
	}
}
