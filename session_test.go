package requests

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettingsDefaults(t *testing.T) {
	st := testSession(t).Settings()
	assert.Equal(t, http.Header{
		"User-Agent":      {DefaultUserAgent},
		"Accept":          {"*/*"},
		"Accept-Encoding": {acceptEncoding},
	}, st.Headers)
	assert.Nil(t, st.Params)
	assert.Nil(t, st.Cookies)
	assert.Nil(t, st.Auth)
	assert.Nil(t, st.Proxies)
	assert.Nil(t, st.Mounts)
	assert.Empty(t, st.Hooks)
	assert.Equal(t, DefaultConnectTimeout, st.ConnectTimeout)
	assert.Equal(t, DefaultReadTimeout, st.ReadTimeout)
	assert.True(t, st.Verify)
	assert.True(t, st.TrustEnv)
	assert.False(t, st.Stream)
	assert.Equal(t, DefaultMaxRedirects, st.MaxRedirects)
	assert.Equal(t, DefaultPoolSize, st.PoolSize)
}

func TestSettingsReflectConstructionAndUpdate(t *testing.T) {
	hook := func(*Response) error { return nil }
	auth := BearerAuth("t")
	s := testSession(t,
		Headers{"x-team": "gophers"},
		OmitHeaders("Accept"),
		Params{"lang": "go"},
		ParamValues{"tag": {"a", "b"}},
		Cookies{"c": "1"},
		auth,
		ConnectTimeout(time.Second), ReadTimeout(2*time.Second),
		Verify(false),
		Cert("c.pem", "k.pem"),
		Proxies{"https": "http://proxy:3128"},
		MaxRedirects(5),
		Stream(true),
		MaxBodySize(1<<20),
		PoolSize(3),
		TrustEnv(false),
		Hook(hook),
	)
	rt := http.DefaultTransport
	s.Mount("app://", rt)

	st := s.Settings()
	assert.Equal(t, "gophers", st.Headers.Get("X-Team"))
	assert.NotContains(t, st.Headers, "Accept")
	assert.Equal(t, ParamValues{"lang": {"go"}, "tag": {"a", "b"}}, st.Params)
	assert.Equal(t, Cookies{"c": "1"}, st.Cookies)
	req := &http.Request{Header: http.Header{}}
	require.NoError(t, st.Auth.Authenticate(req))
	assert.Equal(t, "Bearer t", req.Header.Get("Authorization"))
	assert.Equal(t, time.Second, st.ConnectTimeout)
	assert.Equal(t, 2*time.Second, st.ReadTimeout)
	assert.False(t, st.Verify)
	assert.Equal(t, "c.pem", st.CertFile)
	assert.Equal(t, "k.pem", st.KeyFile)
	assert.Equal(t, Proxies{"https": "http://proxy:3128"}, st.Proxies)
	assert.Equal(t, 5, st.MaxRedirects)
	assert.True(t, st.Stream)
	assert.Equal(t, int64(1<<20), st.MaxBodySize)
	assert.Equal(t, 3, st.PoolSize)
	assert.False(t, st.TrustEnv)
	assert.Len(t, st.Hooks, 1)
	assert.Equal(t, map[string]http.RoundTripper{"app://": rt}, st.Mounts)

	// A snapshot: changing it changes nothing.
	st.Headers.Set("X-Team", "changed")
	st.Params["lang"] = []string{"changed"}
	st.Cookies["c"] = "changed"
	st.Proxies["https"] = "changed"
	again := s.Settings()
	assert.Equal(t, "gophers", again.Headers.Get("X-Team"))
	assert.Equal(t, []string{"go"}, again.Params["lang"])
	assert.Equal(t, "1", again.Cookies["c"])
	assert.Equal(t, "http://proxy:3128", again.Proxies["https"])

	// Update merges maps and replaces the rest.
	s.Update(Headers{"X-Other": "1"}, Params{"lang": "python"}, Proxies{"http": "http://p:1"},
		Timeout(9*time.Second), Verify(true), CABundle("ca.pem"), MaxRedirects(7), Auth(nil))
	st = s.Settings()
	assert.Equal(t, "gophers", st.Headers.Get("X-Team"))
	assert.Equal(t, "1", st.Headers.Get("X-Other"))
	assert.Equal(t, ParamValues{"lang": {"python"}, "tag": {"a", "b"}}, st.Params)
	assert.Equal(t, Proxies{"https": "http://proxy:3128", "http": "http://p:1"}, st.Proxies)
	assert.Equal(t, 9*time.Second, st.ConnectTimeout)
	assert.Equal(t, 9*time.Second, st.ReadTimeout)
	assert.True(t, st.Verify)
	assert.Equal(t, "ca.pem", st.CABundle)
	assert.Equal(t, 7, st.MaxRedirects)
	assert.Nil(t, st.Auth)
}

func TestCallOptionsOverrideTheSession(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Headers{"X-Team": "gophers", "X-Keep": "1"}, Params{"lang": "go", "v": "1"},
		BasicAuth("session", "pw"), MaxRedirects(1))

	e := anything(t, s, "GET", srv.URL+"/anything",
		Headers{"x-team": "call"}, Params{"lang": "python"}, OmitHeaders("X-Keep", "User-Agent"), BearerAuth("call"))
	assert.Equal(t, "call", e.header("X-Team"))
	assert.Empty(t, e.header("X-Keep"), "a call removes a Session header")
	assert.Empty(t, e.header("User-Agent"), "and a library default")
	assert.Equal(t, map[string][]string{"lang": {"python"}, "v": {"1"}}, e.Args)
	assert.Equal(t, "Bearer call", e.header("Authorization"))

	// The Session is unchanged by the call.
	e = anything(t, s, "GET", srv.URL+"/anything")
	assert.Equal(t, "gophers", e.header("X-Team"))
	assert.Equal(t, "1", e.header("X-Keep"))
	assert.Equal(t, DefaultUserAgent, e.header("User-Agent"))
	assert.Equal(t, map[string][]string{"lang": {"go"}, "v": {"1"}}, e.Args)
	assert.True(t, strings.HasPrefix(e.header("Authorization"), "Basic "))

	_, err := s.Get(srv.URL + "/redirect/2")
	assert.ErrorIs(t, err, ErrTooManyRedirects)
	r, err := s.Get(srv.URL+"/redirect/2", MaxRedirects(2))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
}

// TestConcurrentCallsKeepTheirOwnSettings runs calls with per-call headers
// and params on one Session while its defaults change: every response
// echoes the call's own values and a Session value that was set at some
// point, never another call's.
func TestConcurrentCallsKeepTheirOwnSettings(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Headers{"X-Gen": "0"})
	const workers, calls, updates = 12, 15, 50
	stop := make(chan struct{})
	var updater sync.WaitGroup
	updater.Go(func() {
		for i := 1; i <= updates; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Update(Headers{"X-Gen": fmt.Sprint(i)}, Params{"gen": fmt.Sprint(i)})
			st := s.Settings()
			assert.NotEmpty(t, st.Headers.Get("X-Gen"))
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for c := range calls {
				id := fmt.Sprintf("%d-%d", w, c)
				r, err := s.Get(srv.URL+"/anything", Headers{"X-Call": id}, Params{"call": id}, Cookies{"call": id})
				if !assert.NoError(t, err) {
					return
				}
				var e echo
				if !assert.NoError(t, r.JSON(&e)) {
					return
				}
				assert.Equal(t, id, e.header("X-Call"))
				assert.Equal(t, []string{id}, e.Args["call"])
				assert.Equal(t, "call="+id, e.header("Cookie"))
				assert.LessOrEqual(t, len(e.Args["gen"]), 1, "one Session value, not a mix")
				assert.NotEmpty(t, e.header("X-Gen"))
			}
		})
	}
	wg.Wait()
	close(stop)
	updater.Wait()
}

// tagged sends requests to a real server and says which mount sent them.
type tagged struct {
	name string
	rt   http.RoundTripper
	to   *url.URL
	seen atomic.Int64
	idle atomic.Int64
}

func (m *tagged) RoundTrip(req *http.Request) (*http.Response, error) {
	m.seen.Add(1)
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = m.to.Scheme, m.to.Host, ""
	out.Header.Set("X-Mount", m.name)
	return m.rt.RoundTrip(out)
}

func (m *tagged) CloseIdleConnections() { m.idle.Add(1) }

func TestMountLongestPrefixWins(t *testing.T) {
	srv := newHTTPBin(t)
	to := mustParse(t, srv.URL)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	mk := func(name string) *tagged { return &tagged{name: name, rt: tr, to: to} }
	host, api, v2, app := mk("host"), mk("api"), mk("v2"), mk("app")
	s := testSession(t)
	s.Mount("http://svc.test/", host)
	s.Mount("http://svc.test/anything/api/v2/", v2)
	s.Mount("http://svc.test/anything/api/", api)
	s.Mount("app://", app)

	for path, want := range map[string]string{
		"http://svc.test/get":                 "host",
		"http://svc.test/anything/api/x":      "api",
		"http://svc.test/anything/api/v2/x":   "v2",
		"HTTP://SVC.TEST/anything/api/v2/x":   "v2",
		"http://svc.test/anything/api/v2x":    "api",
		"app://anything/anything?through=it":  "app",
		"http://svc.test/anything/apis/v2/x/": "host",
	} {
		e := anything(t, s, "GET", path)
		assert.Equal(t, want, e.header("X-Mount"), path)
	}

	// Mounting nil removes a prefix; the next longest takes over.
	s.Mount("http://svc.test/anything/api/v2/", nil)
	e := anything(t, s, "GET", "http://svc.test/anything/api/v2/x")
	assert.Equal(t, "api", e.header("X-Mount"))
	assert.NotContains(t, s.Settings().Mounts, "http://svc.test/anything/api/v2/")

	// Without a mount an unknown scheme is refused before anything is sent.
	_, err := s.Get("other://x/")
	assert.ErrorIs(t, err, ErrInvalidSchema)

	require.NoError(t, s.Close())
	for _, m := range []*tagged{host, api, app} {
		assert.Equal(t, int64(1), m.idle.Load(), "Close releases %s's idle connections", m.name)
	}
}

// headerMiddleware adds a header to every request: Mount as middleware.
type headerMiddleware struct{ next http.RoundTripper }

func (m headerMiddleware) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Traced", "yes")
	return m.next.RoundTrip(req)
}

func TestMountAsMiddleware(t *testing.T) {
	srv := newHTTPBin(t)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	s := testSession(t)
	s.Mount(srv.URL+"/", headerMiddleware{tr})
	e := anything(t, s, "GET", srv.URL+"/anything")
	assert.Equal(t, "yes", e.header("X-Traced"))
}

// As requests' Session.send (dispatch_hook on every response, the ones
// resolve_redirects sends included), hooks run on each response of a
// redirect chain, in the order given: a hop drained, with the hops before it
// in History; the final response with its body read.
func TestHooksRunOnEveryResponseOfTheChain(t *testing.T) {
	srv := newHTTPBin(t)
	var order []string
	rec := func(name string) func(*Response) error {
		return func(r *Response) error {
			order = append(order, fmt.Sprintf("%s %d %d %t", name, r.StatusCode, len(r.History), len(r.Content()) > 0))
			return nil
		}
	}
	s := testSession(t, Hook(rec("s1")), Hook(rec("s2")))
	_, err := s.Get(srv.URL + "/redirect/2")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"s1 302 0 false", "s2 302 0 false",
		"s1 302 1 false", "s2 302 1 false",
		"s1 200 2 true", "s2 200 2 true",
	}, order)

	// Added by Update, after the existing ones.
	order = nil
	s.Update(Hook(rec("s3")))
	_, err = s.Get(srv.URL + "/status/418")
	require.NoError(t, err)
	assert.Equal(t, []string{"s1 418 0 true", "s2 418 0 true", "s3 418 0 true"}, order)

	// A redirect not followed is the final response.
	order = nil
	_, err = s.Get(srv.URL+"/redirect/1", AllowRedirects(false), Hook(rec("c")))
	require.NoError(t, err)
	assert.Equal(t, []string{"c 302 0 false"}, order)

	// A hook failing on a hop ends the call there.
	bad := errors.New("no redirects here")
	_, err = s.Get(srv.URL+"/redirect/3", Hook(func(r *Response) error {
		if r.IsRedirect() {
			return bad
		}
		return nil
	}))
	assert.ErrorIs(t, err, bad)
}

// As requests' merge_hooks, a call's hooks replace the Session's for that
// call; Hook(nil) adds nothing and replaces nothing.
func TestCallHooksReplaceSessionHooks(t *testing.T) {
	srv := newHTTPBin(t)
	var order []string
	rec := func(name string) func(*Response) error {
		return func(r *Response) error {
			order = append(order, name)
			return nil
		}
	}
	s := testSession(t, Hook(rec("s1")), Hook(rec("s2")))
	_, err := s.Get(srv.URL+"/get", Hook(rec("c1")), Hook(nil), Hook(rec("c2")))
	require.NoError(t, err)
	assert.Equal(t, []string{"c1", "c2"}, order)

	order = nil
	_, err = s.Get(srv.URL+"/get", Hook(nil))
	require.NoError(t, err)
	assert.Equal(t, []string{"s1", "s2"}, order, "the Session's hooks when the call gives none")

	// Through Send too.
	order = nil
	req, err := s.Prepare("GET", srv.URL+"/get", Hook(rec("prepared")))
	require.NoError(t, err)
	_, err = s.Send(req, Hook(rec("send")))
	require.NoError(t, err)
	assert.Equal(t, []string{"send"}, order)
}

func TestHookErrorFailsTheCall(t *testing.T) {
	srv := newHTTPBin(t)
	bad := errors.New("not on my watch")
	var later bool
	s := testSession(t, Hook(func(r *Response) error { return r.Raise() }), Hook(func(*Response) error { later = true; return nil }))
	_, err := s.Get(srv.URL + "/status/503")
	var httpErr *HTTPError
	require.ErrorAs(t, err, &httpErr)
	assert.Equal(t, 503, httpErr.StatusCode())
	assert.False(t, later, "hooks after a failing one do not run")

	// A streamed response is closed when a hook fails, so nothing leaks.
	var streamed *Response
	_, err = s.Get(srv.URL+"/stream-bytes/100000", Stream(true), Hook(func(r *Response) error {
		streamed = r
		return bad
	}))
	assert.ErrorIs(t, err, bad)
	require.NotNil(t, streamed)
	assert.True(t, streamed.isClosed())
}

func TestCloseReleasesConnectionsAndRefusesLaterCalls(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	s := NewSession()
	_, err := s.Get(srv.URL)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the idle connection was not closed")
	}

	_, err = s.Get(srv.URL)
	assert.ErrorIs(t, err, ErrSessionClosed)
	req, err := s.Prepare("GET", srv.URL)
	require.NoError(t, err)
	_, err = s.Send(req)
	assert.ErrorIs(t, err, ErrSessionClosed)
	assert.NoError(t, s.Close(), "Close is idempotent")
}

func TestMountedRoundTripperNilBodyOrNilResponse(t *testing.T) {
	// As http.Client does: a nil Body is an empty body, and no response
	// without an error is a failure, never a crash.
	tests := []struct {
		name string
		rt   roundTripFunc
		want error // nil: success with an empty body
	}{
		{"nil Body", func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Request: r}, nil
		}, nil},
		{"nil Body with Content-Length", func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: 5, Request: r}, nil
		}, nil},
		{"nil response and nil error", func(r *http.Request) (*http.Response, error) {
			return nil, nil
		}, ErrConnection},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, stream), func(t *testing.T) {
				s := testSession(t)
				s.Mount("spy://", tt.rt)
				r, err := s.Get("spy://host/", Stream(stream))
				if tt.want != nil {
					require.Error(t, err)
					assert.ErrorIs(t, err, tt.want)
					assert.Contains(t, err.Error(), "no response")
					return
				}
				require.NoError(t, err)
				defer r.Close()
				assert.Empty(t, r.Content())
				assert.Equal(t, 200, r.StatusCode)
			})
		}
	}
}
