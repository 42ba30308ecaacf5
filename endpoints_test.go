package requests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endpoint is one server of a service: it answers status (200 by default)
// with its name, and keeps the requests it got.
type endpoint struct {
	*httptest.Server
	name   string
	status atomic.Int64
	mu     sync.Mutex
	got    []*http.Request
}

func newEndpoint(t *testing.T, name string) *endpoint {
	e := &endpoint{name: name}
	e.status.Store(200)
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.got = append(e.got, r.Clone(context.Background()))
		e.mu.Unlock()
		if r.URL.Query().Get("set") != "" {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: e.name, Path: "/"})
		}
		w.WriteHeader(int(e.status.Load()))
		fmt.Fprint(w, e.name+" "+r.URL.Path)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) requests() []*http.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*http.Request(nil), e.got...)
}

func TestEndpointsRoundRobinJoinsThePath(t *testing.T) {
	a, b, c := newEndpoint(t, "a"), newEndpoint(t, "b"), newEndpoint(t, "c")
	bases := []string{a.URL + "/api/", b.URL + "/api", c.URL}
	s := testSession(t, Endpoints(bases, RoundRobin))

	var got []string
	for range 6 {
		resp, err := s.Get("/users", Params{"page": "2"})
		require.NoError(t, err)
		got = append(got, resp.Text())
		assert.Contains(t, bases, resp.Protection().Endpoint)
		assert.Equal(t, "2", resp.Request.URL.Query().Get("page"))
	}
	assert.Equal(t, []string{"a /api/users", "b /api/users", "c /users", "a /api/users", "b /api/users", "c /users"}, got)

	resp, err := s.Get(a.URL + "/direct")
	require.NoError(t, err)
	assert.Equal(t, "a /direct", resp.Text(), "an absolute URL goes where it says")
	assert.Empty(t, resp.Protection().Endpoint)
}

func TestEndpointsFailOver(t *testing.T) {
	tests := []struct {
		name   string
		method string
		down   bool // the first endpoint refuses connections, else answers 503
		want   int  // the status the call ends with
		moves  int
	}{
		{"refused connection, GET", http.MethodGet, true, 200, 1},
		{"refused connection, POST: nothing was sent", http.MethodPost, true, 200, 1},
		{"503, GET is idempotent", http.MethodGet, false, 200, 1},
		{"503, POST stays", http.MethodPost, false, 503, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, good := newEndpoint(t, "bad"), newEndpoint(t, "good")
			bad.status.Store(503)
			first := bad.URL
			if tt.down {
				first = "http://" + closedPort(t)
			}
			s := testSession(t, Endpoints([]string{first, good.URL}, RoundRobin))
			resp, err := s.Do(tt.method, "/x", Data("body"))
			require.NoError(t, err)
			assert.Equal(t, tt.want, resp.StatusCode)
			assert.Len(t, resp.Protection().Moves, tt.moves)
			if tt.moves > 0 {
				assert.Equal(t, first, resp.Protection().Moves[0])
				assert.Equal(t, good.URL, resp.Protection().Endpoint)
				require.Len(t, good.requests(), 1)
				assert.Equal(t, "4", good.requests()[0].Header.Get("Content-Length"), "the body is sent again")
			}
		})
	}
}

func TestEndpointsSkipAnOpenBreaker(t *testing.T) {
	bad, good := newEndpoint(t, "bad"), newEndpoint(t, "good")
	bad.status.Store(500)
	s := testSession(t,
		Endpoints([]string{bad.URL, good.URL}, RoundRobin),
		breakerOption(BreakerPolicy{Failures: 1}, newFakeClock().Now))

	resp, err := s.Get("/x")
	require.NoError(t, err)
	assert.Equal(t, "good /x", resp.Text(), "the 500 opened bad's breaker; the GET moved on")
	for range 4 {
		resp, err := s.Get("/x")
		require.NoError(t, err)
		assert.Equal(t, "good /x", resp.Text())
		assert.Equal(t, []string{bad.URL}, resp.Protection().Skipped)
	}
	assert.Len(t, bad.requests(), 1, "an open breaker's endpoint gets nothing")
}

func TestEndpointsAllOpen(t *testing.T) {
	a, b := newEndpoint(t, "a"), newEndpoint(t, "b")
	a.status.Store(500)
	b.status.Store(500)
	clk := newFakeClock()
	s := testSession(t,
		Endpoints([]string{a.URL, b.URL}, RoundRobin),
		breakerOption(BreakerPolicy{Failures: 1, Cooldown: time.Minute}, clk.Now))

	resp, err := s.Get("/x")
	require.NoError(t, err)
	assert.Equal(t, 500, resp.StatusCode, "both tried, the last answer returned")
	_, err = s.Get("/x")
	require.ErrorIs(t, err, ErrCircuitOpen)
	var open *CircuitOpenError
	require.ErrorAs(t, err, &open)
	assert.Equal(t, clk.Now().Add(time.Minute), open.RetryAt)
}

func TestEndpointsWithRetry(t *testing.T) {
	bad, good := newEndpoint(t, "bad"), newEndpoint(t, "good")
	bad.status.Store(503)
	s := testSession(t,
		Endpoints([]string{bad.URL, good.URL}, RoundRobin),
		Retry(RetryPolicy{StatusForcelist: []int{503}}))

	resp, err := s.Get("/x")
	require.NoError(t, err)
	assert.Equal(t, "good /x", resp.Text())
	assert.Equal(t, 1, resp.Retries, "the retry went to the next endpoint")
	assert.Equal(t, []string{bad.URL}, resp.Protection().Moves)
}

func TestEndpointsCredentialsOnAMove(t *testing.T) {
	a, b := newEndpoint(t, "a"), newEndpoint(t, "b")
	s := testSession(t, resolve(),
		Endpoints([]string{at(a.URL, "a.test"), at(b.URL, "b.test")}, RoundRobin),
		BasicAuth("user", "pass"))

	_, err := s.Get("/login", Params{"set": "1"}) // a sets its cookie
	require.NoError(t, err)
	_, err = s.Get("/x") // b's turn
	require.NoError(t, err)
	a.status.Store(503)
	resp, err := s.Get("/x", Cookies{"lang": "go"}) // a fails, the GET moves to b
	require.NoError(t, err)
	assert.Equal(t, "b /x", resp.Text())

	got := b.requests()
	require.Len(t, got, 2)
	moved := got[1]
	user, pass, ok := moved.BasicAuth()
	assert.True(t, ok && user == "user" && pass == "pass", "the call's credentials go to every endpoint")
	assert.NotContains(t, moved.Header.Get("Cookie"), "sid=", "a's cookie stays with a")
	assert.Contains(t, moved.Header.Get("Cookie"), "lang=go", "the call's own cookies go with it")
	assert.Contains(t, a.requests()[1].Header.Get("Cookie"), "sid=a")
}

func TestEndpointsLeastOutstanding(t *testing.T) {
	hold := make(chan struct{})
	arrived := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-hold
		fmt.Fprint(w, "slow")
	}))
	t.Cleanup(slow.Close)
	fast := newEndpoint(t, "fast")
	s := testSession(t, Endpoints([]string{slow.URL, fast.URL}, LeastOutstanding))

	done := make(chan error, 1)
	go func() {
		_, err := s.Get("/x")
		done <- err
	}()
	<-arrived // the slow endpoint holds one request
	for range 3 {
		resp, err := s.Get("/x")
		require.NoError(t, err)
		assert.Equal(t, "fast /x", resp.Text())
	}
	close(hold)
	require.NoError(t, <-done)
}

func TestEndpointsBadInput(t *testing.T) {
	tests := []struct {
		name string
		base string
	}{
		{"no scheme", "127.0.0.1:1"},
		{"another scheme", "ftp://127.0.0.1/"},
		{"a query", "http://127.0.0.1:1/?a=b"},
		{"credentials", "http://u:p@127.0.0.1:1/"},
		{"unparsable", "http://[::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t, Endpoints([]string{tt.base}, RoundRobin))
			_, err := s.Get("/x")
			require.ErrorIs(t, err, ErrInvalidURL)
			assert.NotContains(t, err.Error(), "u:p@")
		})
	}
	s := testSession(t, Endpoints([]string{"http://127.0.0.1:1"}, Balance(7)))
	assert.Equal(t, "Balance(7)", s.Settings().Balance.String())
	_, err := s.Get("//other/x")
	require.Error(t, err, "a network-path reference is not a path")
	assert.False(t, errors.Is(err, ErrCircuitOpen))
	assert.True(t, strings.Contains(err.Error(), "//other/x"))
}

func TestEndpointsFailOverPastTwo(t *testing.T) {
	a, b, c := newEndpoint(t, "a"), newEndpoint(t, "b"), newEndpoint(t, "c")
	a.status.Store(503)
	b.status.Store(503)
	bases := []string{a.URL + "/one", b.URL + "/two", c.URL + "/three"}
	s := testSession(t, Endpoints(bases, RoundRobin))

	resp, err := s.Get("/x")
	require.NoError(t, err)
	assert.Equal(t, "c /three/x", resp.Text())
	assert.Equal(t, bases[:2], resp.Protection().Moves)
	assert.Equal(t, bases[2], resp.Protection().Endpoint)
	for _, e := range []*endpoint{a, b, c} {
		assert.Len(t, e.requests(), 1, e.name)
	}
}

func TestEndpointsRetriesPastTwo(t *testing.T) {
	a, b, c := newEndpoint(t, "a"), newEndpoint(t, "b"), newEndpoint(t, "c")
	a.status.Store(503)
	b.status.Store(503)
	bases := []string{a.URL + "/one", b.URL + "/two", c.URL + "/three"}
	s := testSession(t, Endpoints(bases, LeastOutstanding), Retry(RetryPolicy{StatusForcelist: []int{503}}))

	resp, err := s.Get("/x")
	require.NoError(t, err)
	assert.Equal(t, "c /three/x", resp.Text())
	assert.Equal(t, 2, resp.Retries)
	assert.Equal(t, bases[:2], resp.Protection().Moves)
}

func TestEndpointsFollowARedirectOnTheSameEndpoint(t *testing.T) {
	a, b := newEndpoint(t, "a"), newEndpoint(t, "b")
	hop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/old" {
			http.Redirect(w, r, "/api/new", http.StatusFound)
			return
		}
		fmt.Fprint(w, "hop "+r.URL.Path)
	}))
	t.Cleanup(hop.Close)
	s := testSession(t, Endpoints([]string{hop.URL + "/api", a.URL, b.URL}, RoundRobin))

	resp, err := s.Get("/old")
	require.NoError(t, err)
	assert.Equal(t, "hop /api/new", resp.Text())
	assert.Len(t, resp.History, 1)
	assert.Equal(t, hop.URL+"/api", resp.Protection().Endpoint)
	assert.Empty(t, a.requests())
	assert.Empty(t, b.requests())

	s2 := testSession(t, Endpoints([]string{hop.URL + "/api"}, RoundRobin))
	req, err := s2.Prepare(http.MethodGet, "/p")
	require.NoError(t, err)
	assert.Equal(t, hop.URL+"/api/p", req.URL.String())
	resp, err = s2.Send(req)
	require.NoError(t, err)
	assert.Equal(t, "hop /api/p", resp.Text())
	assert.Empty(t, resp.Protection().Endpoint, "a prepared request is not balanced")
}

// A request is on an endpoint when its origin is the base's (default ports
// spelt or not) and its path lies under the base's at a segment boundary:
// base /api holds /api and /api/users, not /apiv2.
func TestEndpointsLocateAtASegmentBoundary(t *testing.T) {
	set := newEndpointSet([]string{"http://a.test/api", "https://b.test"}, RoundRobin)
	require.NoError(t, set.err)
	cl := newCall(&config{})
	defer cl.release()
	cl.x().prot.balanced = true
	for _, tt := range []struct {
		url  string
		want int
	}{
		{"http://a.test/api", 0},
		{"http://a.test/api/users", 0},
		{"http://a.test:80/api/users", 0},
		{"http://a.test/apiv2/users", -1},
		{"http://a.test/", -1},
		{"https://a.test/api/users", -1},
		{"https://b.test:443/anything", 1},
	} {
		req, err := http.NewRequest(http.MethodGet, tt.url, nil)
		require.NoError(t, err)
		assert.Equal(t, tt.want, set.locate(cl, req), tt.url)
	}
}
