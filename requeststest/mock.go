package requeststest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-requests/requests"
)

// Mock is an http.RoundTripper that answers requests from routes instead of
// the network, for unit tests of code that calls an API through requests.
//
// Routes are added with On and tried in the order they were added; the
// first that matches and is not used up answers. A request that matches no
// route fails its call with ErrNoRoute, in an error that lists the closest
// routes and why each did not match. When the test ends, a route that was
// not called as often as it expects (see Route.Times) fails the test.
//
// A Mock is safe for concurrent use by many goroutines.
type Mock struct {
	t testing.TB

	mu     sync.Mutex // guards everything below, and every Route's state
	routes []*Route
	sent   []sentRequest
}

// sentRequest is a request as the Mock received it, its body read.
type sentRequest struct {
	req  *http.Request // a clone, without a body
	body []byte
}

// NewMock returns a Mock that reports to t: unmet expectations fail t when
// the test ends.
func NewMock(t testing.TB) *Mock {
	m := &Mock{t: t}
	t.Cleanup(m.verify)
	return m
}

// On adds a route for the requests that match pattern, in net/http's
// ServeMux syntax with an optional scheme: "[METHOD ][SCHEME://][HOST]/PATH".
// "GET https://api.example.com/users/{id}" matches GET (and HEAD) requests
// for that host and scheme on any port; "POST /users" matches a POST to
// /users on any host; "/users/" matches everything under /users/; "/{$}"
// matches the root alone. A port in the host must match too, and a query
// ("/search?q=go") adds Query matchers. The wildcards' values are the
// PathValues of the request a Handle or RespondWith function gets.
//
// A pattern that cannot be parsed fails the test at once.
func (m *Mock) On(pattern string) *Route {
	m.t.Helper()
	p, err := parsePattern(pattern)
	if err != nil {
		m.t.Fatalf("requeststest: %v", err)
		return nil
	}
	r := &Route{mock: m, pat: p, times: -1}
	for k, vs := range p.query {
		for _, v := range vs {
			r.Query(k, v)
		}
	}
	m.mu.Lock()
	m.routes = append(m.routes, r)
	m.mu.Unlock()
	return r
}

// Session returns a requests Session made with opts whose every call, to
// any http:// or https:// URL, goes to m. It is closed when the test ends.
func (m *Mock) Session(opts ...requests.Option) *requests.Session {
	s := requests.NewSession(opts...)
	s.Mount("http://", m)
	s.Mount("https://", m)
	m.t.Cleanup(func() { s.Close() })
	return s
}

// Requests returns the requests the Mock received so far, matched or not,
// in the order they arrived. Each is a clone whose Body holds what was sent
// and can be read again through GetBody; every call returns new clones.
func (m *Mock) Requests() []*http.Request {
	m.mu.Lock()
	sent := append([]sentRequest(nil), m.sent...)
	m.mu.Unlock()
	out := make([]*http.Request, len(sent))
	for i, s := range sent {
		out[i] = withBody(s.req.Clone(s.req.Context()), s.body)
	}
	return out
}

// RoundTrip answers req from the first route that matches it. It reads and
// closes req's body.
func (m *Mock) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	trace := httptrace.ContextClientTrace(req.Context())
	if trace != nil && trace.GetConn != nil {
		trace.GetConn(req.URL.Host)
	}
	rec := req.Clone(context.WithoutCancel(req.Context()))
	rec.Body, rec.GetBody = nil, nil
	in := withBody(req.WithContext(req.Context()), body)

	m.mu.Lock()
	m.sent = append(m.sent, sentRequest{req: rec, body: body})
	var (
		chosen *Route
		routed *http.Request
	)
	for _, r := range m.routes {
		if r.usedUp() {
			continue
		}
		if routed = r.match(in, body); routed != nil {
			chosen = r
			break
		}
	}
	if chosen == nil {
		err := m.noRoute(in, body)
		m.mu.Unlock()
		return nil, err
	}
	st := chosen.next()
	m.mu.Unlock()

	if st.err != nil && isDial(st.err) {
		return nil, st.err // refused: no connection was had
	}
	if trace != nil {
		if trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: mockConn{}})
		}
		if trace.WroteHeaders != nil {
			trace.WroteHeaders()
		}
		if trace.WroteRequest != nil {
			trace.WroteRequest(httptrace.WroteRequestInfo{})
		}
	}
	if st.delay > 0 {
		t := time.NewTimer(st.delay)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		}
	}
	resp, err := st.respond(routed)
	if err != nil {
		return nil, err
	}
	if trace != nil && trace.GotFirstResponseByte != nil {
		trace.GotFirstResponseByte()
	}
	resp.Request = req
	if req.Method == http.MethodHead {
		resp.Body.Close()
		resp.Body = http.NoBody
	}
	return resp, nil
}

// noRoute builds the error for a request no route matches: the closest
// routes first (fewest reasons), at most three. m.mu is held.
func (m *Mock) noRoute(req *http.Request, body []byte) error {
	type near struct {
		r   *Route
		why []string
	}
	var all []near
	for _, r := range m.routes {
		why := r.explain(req, body)
		if r.usedUp() {
			why = append(why, fmt.Sprintf("already called %d times (Times(%d))", r.calls, r.times))
		}
		all = append(all, near{r, why})
	}
	sort.SliceStable(all, func(i, j int) bool { return len(all[i].why) < len(all[j].why) })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", req.Method, req.URL.Redacted())
	if len(all) == 0 {
		b.WriteString(" (the mock has no routes)")
	} else {
		b.WriteString("; closest routes:")
	}
	for i, n := range all {
		if i == 3 {
			fmt.Fprintf(&b, "\n\t(and %d more)", len(all)-3)
			break
		}
		fmt.Fprintf(&b, "\n\t%s: %s", n.r.pat.text, strings.Join(n.why, "; "))
	}
	return fmt.Errorf("%w: %s", ErrNoRoute, b.String())
}

// verify fails the test for every route not called as it expects.
func (m *Mock) verify() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.routes {
		switch {
		case r.anyTimes:
		case r.times >= 0 && r.calls != r.times:
			m.t.Errorf("requeststest: route %q was called %d times, want %d", r.pat.text, r.calls, r.times)
		case r.times < 0 && r.calls == 0:
			m.t.Errorf("requeststest: route %q was never called", r.pat.text)
		}
	}
}

// readBody reads and closes the request's body.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// withBody gives req (a copy of the caller's) a body of b that GetBody
// can produce again.
func withBody(req *http.Request, b []byte) *http.Request {
	if b == nil {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return req
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	req.ContentLength = int64(len(b))
	return req
}

// isDial reports whether err is a failure to connect.
func isDial(err error) bool {
	oe, ok := err.(*net.OpError)
	return ok && oe.Op == "dial"
}

// mockConn is the connection a Mock reports to an httptrace.ClientTrace's
// GotConn: it has addresses and carries nothing.
type mockConn struct{}

func (mockConn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (mockConn) Write([]byte) (int, error)        { return 0, net.ErrClosed }
func (mockConn) Close() error                     { return nil }
func (mockConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (mockConn) RemoteAddr() net.Addr             { return mockAddr }
func (mockConn) SetDeadline(time.Time) error      { return nil }
func (mockConn) SetReadDeadline(time.Time) error  { return nil }
func (mockConn) SetWriteDeadline(time.Time) error { return nil }
