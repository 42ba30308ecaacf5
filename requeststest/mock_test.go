package requeststest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/requeststest"
)

func TestMockPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		method  string
		url     string
		match   bool
	}{
		{"GET https://api.example.com/users/{id}", "GET", "https://api.example.com/users/7", true},
		{"GET https://api.example.com/users/{id}", "HEAD", "https://api.example.com/users/7", true},
		{"GET https://api.example.com/users/{id}", "POST", "https://api.example.com/users/7", false},
		{"GET https://api.example.com/users/{id}", "GET", "http://api.example.com/users/7", false},
		{"GET https://api.example.com/users/{id}", "GET", "https://other.example.com/users/7", false},
		{"GET https://api.example.com/users/{id}", "GET", "https://api.example.com/users/7/posts", false},
		{"GET https://api.example.com/users/{id}", "GET", "https://api.example.com:8443/users/7", true},
		{"GET https://api.example.com:8443/users/{id}", "GET", "https://api.example.com:8443/users/7", true},
		{"GET https://api.example.com:8443/users/{id}", "GET", "https://api.example.com/users/7", false},
		{"GET https://api.example.com:443/", "GET", "https://api.example.com/x", true},
		{"POST /users", "POST", "http://anywhere.example.com/users", true},
		{"POST /users", "POST", "http://anywhere.example.com/users/1", false},
		{"/users/", "DELETE", "https://api.example.com/users/1/2", true},
		{"/users/", "GET", "https://api.example.com/users", false},
		{"/{$}", "GET", "https://api.example.com/", true},
		{"/{$}", "GET", "https://api.example.com/a", false},
		{"/files/{path...}", "GET", "https://api.example.com/files/a/b/c.txt", true},
		{"https://api.example.com", "PUT", "https://api.example.com/any/thing", true},
		{"api.example.com/v1/", "GET", "http://api.example.com/v1/x", true},
		{"api.example.com/v1/", "GET", "https://api.example.com/v1/x", true},
		{"GET /search?q=go", "GET", "https://api.example.com/search?q=go&page=2", true},
		{"GET /search?q=go", "GET", "https://api.example.com/search?q=rust", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.method+" "+tt.url, func(t *testing.T) {
			m := requeststest.NewMock(t)
			m.On(tt.pattern).AnyTimes().Reply(200, "hit")
			resp, err := m.Session().Do(tt.method, tt.url)
			if !tt.match {
				require.ErrorIs(t, err, requeststest.ErrNoRoute)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 200, resp.StatusCode)
		})
	}
}

func TestMockBadPattern(t *testing.T) {
	for _, p := range []string{"GET", "GET https://", "GET /{bad", "GET https://host:xx:1/", "GET /a?%zz"} {
		t.Run(p, func(t *testing.T) {
			rec := newRecorder(t)
			m := requeststest.NewMock(rec)
			assert.Nil(t, m.On(p))
			assert.True(t, rec.fatal)
			require.NotEmpty(t, rec.finish())
		})
	}
}

func TestMockReplies(t *testing.T) {
	type user struct {
		Name string `json:"name"`
	}
	tests := []struct {
		name     string
		body     any
		wantBody string
		wantType string
	}{
		{"struct as JSON", user{Name: "gopher"}, `{"name":"gopher"}`, "application/json"},
		{"map as JSON", map[string]int{"id": 7}, `{"id":7}`, "application/json"},
		{"string as is", `{"id": 7}`, `{"id": 7}`, "text/plain; charset=utf-8"},
		{"bytes as is", []byte("<html><body>hi</body></html>"), "<html><body>hi</body></html>", "text/html; charset=utf-8"},
		{"nil is empty", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := requeststest.NewMock(t)
			m.On("GET /thing").Reply(201, tt.body).Header("X-Trace", "abc")
			resp, err := m.Session().Get("https://api.example.com/thing")
			require.NoError(t, err)
			assert.Equal(t, 201, resp.StatusCode)
			assert.Equal(t, "Created", resp.Reason)
			assert.Equal(t, tt.wantBody, resp.Text())
			assert.Equal(t, tt.wantType, resp.Headers.Get("Content-Type"))
			assert.Equal(t, "abc", resp.Headers.Get("X-Trace"))
		})
	}
}

func TestMockBadReply(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   any
	}{
		{"unencodable body", 200, make(chan int)},
		{"status too small", 42, nil},
		{"status too large", 1000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			m := requeststest.NewMock(rec)
			m.On("GET /").AnyTimes().Reply(tt.status, tt.body)
			assert.True(t, rec.fatal)
			assert.NotEmpty(t, rec.finish())
		})
	}
}

// Refining a step while calls run is safe (if racy in what it answers).
func TestMockRefineWhileCalled(t *testing.T) {
	m := requeststest.NewMock(t)
	reply := m.On("GET /a").Reply(200, "x")
	s := m.Session()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			reply.Header("X-N", fmt.Sprint(i))
		}
	}()
	for range 50 {
		_, err := s.Get("https://api.example.com/a")
		require.NoError(t, err)
	}
	<-done
}

func TestMockHandlePathValues(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("PUT https://api.example.com/users/{id}/files/{name...}").Handle(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("X-Pattern", r.Pattern)
		fmt.Fprintf(w, "%s|%s|%s", r.PathValue("id"), r.PathValue("name"), body)
	})
	resp, err := m.Session().Put("https://api.example.com/users/42/files/a/b.txt", requests.Data("payload"))
	require.NoError(t, err)
	assert.Equal(t, "42|a/b.txt|payload", resp.Text())
	assert.Equal(t, "PUT https://api.example.com/users/{id}/files/{name...}", resp.Headers.Get("X-Pattern"))
}

func TestMockRespondWith(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET /echo/{word}").RespondWith(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 202, Status: "202 Accepted",
			Body: io.NopCloser(strings.NewReader(r.PathValue("word")))}, nil
	})
	m.On("GET /fail").RespondWith(func(*http.Request) (*http.Response, error) { return nil, requeststest.ErrReset })
	s := m.Session()
	resp, err := s.Get("http://api.example.com/echo/hello")
	require.NoError(t, err)
	assert.Equal(t, 202, resp.StatusCode)
	assert.Equal(t, "hello", resp.Text())
	_, err = s.Get("http://api.example.com/fail")
	assert.ErrorIs(t, err, requests.ErrConnection)
}

func TestMockMatchers(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("POST /users").JSON(map[string]any{"name": "gopher", "age": 13}).Reply(201, "json")
	m.On("POST /users").Body("raw").Reply(201, "body")
	m.On("GET /search").Query("q", "go").Header("Accept", "application/json").Reply(200, "query+header")
	m.On("GET /search").Match("an odd page", func(r *http.Request) bool {
		return r.URL.Query().Get("page") == "3"
	}).Reply(200, "match")
	s := m.Session()

	tests := []struct {
		name   string
		method string
		url    string
		opts   []requests.Option
		want   string
	}{
		{"json, other key order", "POST", "https://a.example.com/users",
			[]requests.Option{requests.Data(`{"age": 13, "name": "gopher"}`)}, "json"},
		{"json option", "POST", "https://a.example.com/users",
			[]requests.Option{requests.JSON(map[string]any{"name": "gopher", "age": 13})}, "json"},
		{"raw body", "POST", "https://a.example.com/users", []requests.Option{requests.Data("raw")}, "body"},
		{"query and header", "GET", "https://a.example.com/search",
			[]requests.Option{requests.Params{"q": "go"}, requests.Headers{"Accept": "application/json"}}, "query+header"},
		{"custom", "GET", "https://a.example.com/search?page=3", nil, "match"},
		{"nothing", "GET", "https://a.example.com/search?q=go", nil, ""},
		{"wrong json", "POST", "https://a.example.com/users", []requests.Option{requests.JSON(map[string]any{"name": "x"})}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.Do(tt.method, tt.url, tt.opts...)
			if tt.want == "" {
				require.ErrorIs(t, err, requeststest.ErrNoRoute)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, resp.Text())
		})
	}
}

func TestMockNoRouteExplains(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET https://api.example.com/users/{id}").AnyTimes().Header("X-Token", "a")
	m.On("POST https://api.example.com/users").AnyTimes()
	m.On("GET http://other.example.com/x/y").AnyTimes()
	m.On("GET /once").Times(1)
	m.On("DELETE /never").AnyTimes()
	s := m.Session()
	_, err := s.Get("https://api.example.com/once")
	require.NoError(t, err)

	_, err = s.Get("https://api.example.com/users/7", requests.Headers{"X-Token": "b"})
	require.ErrorIs(t, err, requeststest.ErrNoRoute)
	msg := err.Error()
	assert.Contains(t, msg, "GET https://api.example.com/users/7; closest routes:")
	assert.Contains(t, msg, `GET https://api.example.com/users/{id}: header X-Token is "b", not "a"`)
	assert.Contains(t, msg, "POST https://api.example.com/users: method is GET, not POST; path /users/7 does not match /users")
	assert.Contains(t, msg, "(and 2 more)")
	// The closest comes first.
	assert.Less(t, strings.Index(msg, "users/{id}"), strings.Index(msg, "POST https"))

	_, err = s.Get("https://api.example.com/once")
	require.ErrorIs(t, err, requeststest.ErrNoRoute)
	assert.Contains(t, err.Error(), "GET /once: already called 1 times (Times(1))")
	assert.ErrorIs(t, err, requests.ErrConnection, "a call to no route fails as a connection would")

	empty := requeststest.NewMock(t)
	_, err = empty.Session().Get("https://u:secret@api.example.com/")
	require.ErrorIs(t, err, requeststest.ErrNoRoute)
	assert.Contains(t, err.Error(), "the mock has no routes")
	assert.NotContains(t, err.Error(), "secret")
}

func TestMockExpectations(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *requeststest.Mock)
		calls int
		want  []string
	}{
		{"default: at least once, met", func(m *requeststest.Mock) { m.On("GET /a") }, 3, nil},
		{"default: never called", func(m *requeststest.Mock) { m.On("GET /a") }, 0,
			[]string{`requeststest: route "GET /a" was never called`}},
		{"times met", func(m *requeststest.Mock) { m.On("GET /a").Times(2) }, 2, nil},
		{"times unmet", func(m *requeststest.Mock) { m.On("GET /a").Times(3) }, 2,
			[]string{`requeststest: route "GET /a" was called 2 times, want 3`}},
		{"times zero", func(m *requeststest.Mock) { m.On("GET /a").Times(0); m.On("GET /").AnyTimes() }, 2, nil},
		{"any times", func(m *requeststest.Mock) { m.On("GET /a").AnyTimes() }, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			m := requeststest.NewMock(rec)
			tt.setup(m)
			s := m.Session()
			for range tt.calls {
				_, err := s.Get("https://api.example.com/a")
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, rec.finish())
		})
	}
}

func TestMockTimesThenFallThrough(t *testing.T) {
	m := requeststest.NewMock(t)
	first := m.On("GET /token").Times(1).Reply(200, "first")
	m.On("GET /token").Reply(200, "later")
	s := m.Session()
	var got []string
	for range 3 {
		resp, err := s.Get("https://auth.example.com/token")
		require.NoError(t, err)
		got = append(got, resp.Text())
	}
	assert.Equal(t, []string{"first", "later", "later"}, got)
	assert.Equal(t, 1, first.Then().Calls())
}

func TestMockSequenceWithRetry(t *testing.T) {
	m := requeststest.NewMock(t)
	route := m.On("GET https://api.example.com/flaky").
		Reply(503, "busy").Then().
		Reply(200, map[string]bool{"ok": true}).Then()
	s := m.Session(requests.Retry(requests.RetryPolicy{Total: 2, StatusForcelist: []int{503}}))
	resp, err := s.Get("https://api.example.com/flaky")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 1, resp.Retries)
	assert.Equal(t, 2, route.Calls())
	assert.Len(t, m.Requests(), 2)
}

func TestMockFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *requeststest.Route)
		want  []error
		not   []error
	}{
		{"reset", func(r *requeststest.Route) { r.Fail(requeststest.ErrReset) },
			[]error{requests.ErrConnection, requeststest.ErrReset, syscall.ECONNRESET}, []error{requests.ErrTimeout}},
		{"refused", func(r *requeststest.Route) { r.Fail(requeststest.ErrRefused) },
			[]error{requests.ErrConnection, syscall.ECONNREFUSED}, []error{requests.ErrTimeout}},
		{"timeout before headers", func(r *requeststest.Route) { r.Fail(requeststest.ErrTimeout) },
			[]error{requests.ErrReadTimeout, requests.ErrTimeout}, []error{requests.ErrConnectTimeout}},
		{"timeout during body", func(r *requeststest.Route) {
			r.Reply(200, strings.Repeat("x", 100)).FailAfter(10, requeststest.ErrTimeout)
		}, []error{requests.ErrReadTimeout}, []error{requests.ErrConnectTimeout}},
		{"reset during body", func(r *requeststest.Route) {
			r.Reply(200, strings.Repeat("x", 100)).FailAfter(10, requeststest.ErrReset)
		}, []error{requests.ErrConnection}, []error{requests.ErrChunkedEncoding}},
		{"body cut short", func(r *requeststest.Route) {
			r.Reply(200, strings.Repeat("x", 100)).FailAfter(10, io.ErrUnexpectedEOF)
		}, []error{requests.ErrChunkedEncoding}, nil},
		{"delay beyond the read timeout", func(r *requeststest.Route) { r.Reply(200, "late").Delay(time.Minute) },
			[]error{requests.ErrReadTimeout}, []error{requests.ErrConnectTimeout}},
		{"custom error", func(r *requeststest.Route) { r.Fail(errBoom) }, []error{errBoom, requests.ErrConnection}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := requeststest.NewMock(t)
			tt.setup(m.On("GET https://api.example.com/x"))
			_, err := m.Session(requests.Timeout(50 * time.Millisecond)).Get("https://api.example.com/x")
			require.Error(t, err)
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
			for _, n := range tt.not {
				assert.NotErrorIs(t, err, n)
			}
		})
	}
}

var errBoom = errors.New("boom")

func TestMockDelay(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET /slow").Reply(200, "done").Delay(20 * time.Millisecond)
	start := time.Now()
	resp, err := m.Session(requests.Timeout(10 * time.Second)).Get("https://api.example.com/slow")
	require.NoError(t, err)
	assert.Equal(t, "done", resp.Text())
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
}

func TestMockRequests(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("POST /users").Reply(201, nil)
	s := m.Session(requests.Headers{"User-Agent": "client/1"})
	_, err := s.Post("https://api.example.com/users", requests.JSON(map[string]string{"name": "gopher"}))
	require.NoError(t, err)
	_, err = s.Get("https://api.example.com/unrouted?token=1")
	require.ErrorIs(t, err, requeststest.ErrNoRoute)

	reqs := m.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.Equal(t, "https://api.example.com/users", reqs[0].URL.String())
	assert.Equal(t, "client/1", reqs[0].Header.Get("User-Agent"))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	for range 2 { // read, and read again
		body, err := io.ReadAll(reqs[0].Body)
		require.NoError(t, err)
		assert.JSONEq(t, `{"name":"gopher"}`, string(body))
		reqs[0].Body, err = reqs[0].GetBody()
		require.NoError(t, err)
	}
	assert.Equal(t, "/unrouted", reqs[1].URL.Path)
	body, err := io.ReadAll(reqs[1].Body)
	require.NoError(t, err)
	assert.Empty(t, body)

	// Each call gives new clones, their bodies unread.
	again := m.Requests()
	body, err = io.ReadAll(again[0].Body)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"gopher"}`, string(body))
	again[0].Header.Set("User-Agent", "changed")
	assert.Equal(t, "client/1", m.Requests()[0].Header.Get("User-Agent"))
}

func TestMockHead(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET /doc").Reply(200, "a body HEAD must not carry")
	resp, err := m.Session().Head("https://api.example.com/doc")
	require.NoError(t, err)
	assert.Empty(t, resp.Content())
	assert.Equal(t, "26", resp.Headers.Get("Content-Length"))
}

func TestMockRedirectsAndCookies(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET /login").Reply(302, nil).Header("Location", "/home").Header("Set-Cookie", "sid=1; Path=/")
	m.On("GET /home").Handle(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("sid")
		if err != nil {
			http.Error(w, "no cookie", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "welcome "+c.Value)
	})
	resp, err := m.Session().Get("https://app.example.com/login")
	require.NoError(t, err)
	assert.Equal(t, "welcome 1", resp.Text())
	require.Len(t, resp.History, 1)
	assert.Equal(t, 302, resp.History[0].StatusCode)
}

func TestMockConcurrent(t *testing.T) {
	m := requeststest.NewMock(t)
	users := m.On("GET https://api.example.com/users/{id}").Handle(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id": %q}`, r.PathValue("id"))
	}).Then()
	posts := m.On("POST https://api.example.com/users").Times(32).Reply(201, `{"ok": true}`).Then()
	s := m.Session()

	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := s.Get(fmt.Sprintf("https://api.example.com/users/%d", i))
			if err != nil {
				errs <- err
				return
			}
			var got struct{ ID string }
			if err := resp.JSON(&got); err != nil || got.ID != fmt.Sprint(i) {
				errs <- fmt.Errorf("user %d: got %q, %v", i, got.ID, err)
			}
			if _, err := s.Post("https://api.example.com/users", requests.JSON(map[string]int{"i": i})); err != nil {
				errs <- err
			}
			_ = m.Requests()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, n, users.Calls())
	assert.Equal(t, n, posts.Calls())
	assert.Len(t, m.Requests(), 2*n)
}

func TestMockTrace(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET /ok").Reply(200, "fine")
	m.On("GET /refused").Fail(requeststest.ErrRefused)
	s := m.Session()

	tests := []struct {
		path      string
		connected bool
	}{
		{"/ok", true},
		{"/refused", false}, // a refused connection was never had
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var (
				mu     sync.Mutex
				events []string
				remote string
			)
			note := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GetConn: func(string) { note("get") },
				GotConn: func(info httptrace.GotConnInfo) {
					note("got")
					remote = info.Conn.RemoteAddr().String()
					assert.NotNil(t, info.Conn.LocalAddr())
				},
				WroteRequest:         func(httptrace.WroteRequestInfo) { note("wrote") },
				GotFirstResponseByte: func() { note("first byte") },
			})
			_, err := s.Get("https://api.example.com"+tt.path, requests.Context(ctx))
			mu.Lock()
			defer mu.Unlock()
			if tt.connected {
				require.NoError(t, err)
				assert.Equal(t, []string{"get", "got", "wrote", "first byte"}, events)
				assert.Equal(t, "127.0.0.1:80", remote)
				return
			}
			assert.ErrorIs(t, err, requests.ErrConnection)
			assert.Equal(t, []string{"get"}, events)
		})
	}
}

// A Mock is a plain http.RoundTripper: net/http's Client can use it too.
func TestMockWithHTTPClient(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET https://api.example.com/users/{id}").Handle(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "user "+r.PathValue("id"))
	})
	c := &http.Client{Transport: m}
	resp, err := c.Get("https://api.example.com/users/3")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "user 3", string(b))
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
}
