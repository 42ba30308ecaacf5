package requeststest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Route is one expected kind of request and how to answer it: a pattern,
// further matchers (Query, Header, JSON, Body, Match), how often it is
// expected (Times, AnyTimes) and its answers (Reply, Fail, Handle,
// RespondWith). Each answer method adds a step: calls are answered by the
// steps in order and the last one repeats, so
//
//	m.On("GET /flaky").Reply(503, "busy").Then().Reply(200, "ok")
//
// answers 503 first and 200 from then on. A route without an answer replies
// 200 with an empty body.
//
// Configure a route before the calls it answers; its methods return the
// route (or the step) for chaining.
type Route struct {
	mock     *Mock
	pat      *pattern
	matchers []matcher
	steps    []*step
	times    int // -1: at least once
	anyTimes bool
	calls    int
}

// matcher checks one property of a request; why is "" when it holds.
type matcher struct {
	desc  string
	check func(req *http.Request, body []byte) (why string)
}

// Query makes the route match only requests whose query has key = value
// (among the key's values).
func (r *Route) Query(key, value string) *Route {
	return r.add(fmt.Sprintf("query %s=%s", key, value), func(req *http.Request, _ []byte) string {
		got, ok := req.URL.Query()[key]
		switch {
		case !ok:
			return fmt.Sprintf("query has no %s (want %q)", key, value)
		case !slices.Contains(got, value):
			return fmt.Sprintf("query %s is %q, not %q", key, strings.Join(got, ","), value)
		}
		return ""
	})
}

// Header makes the route match only requests with the header key = value
// (among its values; the name is case-insensitive).
func (r *Route) Header(key, value string) *Route {
	return r.add(fmt.Sprintf("header %s: %s", key, value), func(req *http.Request, _ []byte) string {
		got := req.Header.Values(key)
		switch {
		case len(got) == 0:
			return fmt.Sprintf("no header %s (want %q)", http.CanonicalHeaderKey(key), value)
		case !slices.Contains(got, value):
			return fmt.Sprintf("header %s is %q, not %q", http.CanonicalHeaderKey(key), strings.Join(got, ", "), value)
		}
		return ""
	})
}

// JSON makes the route match only requests whose body is the same JSON
// value as v: v is encoded (a string or []byte holding JSON text is taken
// as that text), and both sides are compared as decoded values, so key
// order and spacing do not matter. A v that cannot be encoded fails the
// test at once.
func (r *Route) JSON(v any) *Route {
	r.mock.t.Helper()
	want, err := normalJSON(v)
	if err != nil {
		r.mock.t.Fatalf("requeststest: route %q: JSON: %v", r.pat.text, err)
		return r
	}
	return r.add("JSON body", func(_ *http.Request, body []byte) string {
		var got any
		if err := json.Unmarshal(body, &got); err != nil {
			return fmt.Sprintf("body is not JSON (%v)", err)
		}
		if !reflect.DeepEqual(got, want) {
			w, _ := json.Marshal(want)
			return fmt.Sprintf("JSON body is %s, not %s", clip(body), clip(w))
		}
		return ""
	})
}

// Body makes the route match only requests whose body is exactly body.
func (r *Route) Body(body string) *Route {
	return r.add("body", func(_ *http.Request, got []byte) string {
		if string(got) != body {
			return fmt.Sprintf("body is %q, not %q", clip(got), clip([]byte(body)))
		}
		return ""
	})
}

// Match makes the route match only requests for which f returns true; desc
// says what f checks, in the error of a request no route matches. f gets a
// copy of the request whose body it may read.
func (r *Route) Match(desc string, f func(*http.Request) bool) *Route {
	return r.add(desc, func(req *http.Request, body []byte) string {
		if !f(withBody(req.WithContext(req.Context()), body)) {
			return "not " + desc
		}
		return ""
	})
}

func (r *Route) add(desc string, check func(*http.Request, []byte) string) *Route {
	r.mock.mu.Lock()
	r.matchers = append(r.matchers, matcher{desc: desc, check: check})
	r.mock.mu.Unlock()
	return r
}

// Times expects exactly n calls: the route answers n requests at most (the
// next ones go to later routes) and the test fails at its end if it
// answered fewer. Without Times a route expects at least one call.
func (r *Route) Times(n int) *Route {
	r.mock.mu.Lock()
	r.times, r.anyTimes = max(n, 0), false
	r.mock.mu.Unlock()
	return r
}

// AnyTimes makes the route optional: it answers any number of requests,
// none included.
func (r *Route) AnyTimes() *Route {
	r.mock.mu.Lock()
	r.times, r.anyTimes = -1, true
	r.mock.mu.Unlock()
	return r
}

// Calls reports how many requests the route has answered.
func (r *Route) Calls() int {
	r.mock.mu.Lock()
	defer r.mock.mu.Unlock()
	return r.calls
}

// Reply adds a step answering status with body: a string or []byte as is
// (its Content-Type sniffed as net/http's server does), nil as no body, and
// anything else encoded as JSON with Content-Type application/json. A
// value that cannot be encoded fails the test at once.
func (r *Route) Reply(status int, body any) *Reply {
	r.mock.t.Helper()
	if status < 100 || status > 999 {
		r.mock.t.Fatalf("requeststest: route %q: Reply: status %d is not a three-digit HTTP status", r.pat.text, status)
	}
	st := &step{status: status, header: make(http.Header)}
	switch b := body.(type) {
	case nil:
	case string:
		st.body = []byte(b)
	case []byte:
		st.body = bytes.Clone(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.mock.t.Fatalf("requeststest: route %q: Reply: %v", r.pat.text, err)
		}
		st.body = j
		st.header.Set("Content-Type", "application/json")
	}
	return r.addStep(st)
}

// Fail adds a step that fails the request with err instead of answering,
// as a broken connection does: ErrReset, ErrRefused and ErrTimeout are
// classified by requests as their real counterparts are.
func (r *Route) Fail(err error) *Reply {
	return r.addStep(&step{err: err})
}

// Handle adds a step answered by h, as a server would: the request it gets
// has the route's wildcards as PathValues and a readable body.
func (r *Route) Handle(h http.HandlerFunc) *Reply {
	return r.addStep(&step{handler: h})
}

// RespondWith adds a step answered by f, which returns the response (or
// the error) the call gets. The request f gets has the route's wildcards as
// PathValues and a readable body. A response without a body gets an empty
// one.
func (r *Route) RespondWith(f func(*http.Request) (*http.Response, error)) *Reply {
	return r.addStep(&step{fn: f})
}

func (r *Route) addStep(st *step) *Reply {
	r.mock.mu.Lock()
	r.steps = append(r.steps, st)
	r.mock.mu.Unlock()
	return &Reply{route: r, step: st}
}

// usedUp reports whether the route answered all it expects. mu is held.
func (r *Route) usedUp() bool { return r.times >= 0 && !r.anyTimes && r.calls >= r.times }

// match returns the routed request when req matches. mu is held.
func (r *Route) match(req *http.Request, body []byte) *http.Request {
	routed := r.pat.match(req)
	if routed == nil {
		return nil
	}
	for _, m := range r.matchers {
		if m.check(req, body) != "" {
			return nil
		}
	}
	return routed
}

// explain lists why req does not match. mu is held.
func (r *Route) explain(req *http.Request, body []byte) []string {
	why := r.pat.explain(req)
	for _, m := range r.matchers {
		if w := m.check(req, body); w != "" {
			why = append(why, w)
		}
	}
	return why
}

// next counts a call and returns the step that answers it. mu is held.
func (r *Route) next() *step {
	n := r.calls
	r.calls++
	if len(r.steps) == 0 {
		return &step{status: http.StatusOK}
	}
	// A copy: the call answers outside the lock, and a step may still be
	// refined meanwhile.
	st := *r.steps[min(n, len(r.steps)-1)]
	st.header = st.header.Clone()
	return &st
}

// Reply is one step of a Route's answers, to be refined: headers, a delay,
// a body that breaks.
type Reply struct {
	route *Route
	step  *step
}

// Header adds a response header (on a Reply step; ignored by Fail, Handle
// and RespondWith steps, which set their own).
func (p *Reply) Header(key, value string) *Reply {
	p.route.mock.mu.Lock()
	if p.step.header == nil {
		p.step.header = make(http.Header)
	}
	p.step.header.Add(key, value)
	p.route.mock.mu.Unlock()
	return p
}

// Delay makes the step wait d before it answers (or fails), as a slow
// server does. The wait ends early, failing the call, when the request's
// context ends: a requests Timeout shorter than d fails the call with
// ErrReadTimeout.
func (p *Reply) Delay(d time.Duration) *Reply {
	p.route.mock.mu.Lock()
	p.step.delay = d
	p.route.mock.mu.Unlock()
	return p
}

// FailAfter makes the body break with err after its first n bytes: the
// headers arrive, announcing the whole body, and reading it fails, as a
// connection that dies mid-body. With ErrTimeout requests reports
// ErrReadTimeout, with ErrReset ErrConnection, and with
// io.ErrUnexpectedEOF ErrChunkedEncoding.
func (p *Reply) FailAfter(n int, err error) *Reply {
	p.route.mock.mu.Lock()
	p.step.cut, p.step.cutErr = max(n, 0), err
	p.route.mock.mu.Unlock()
	return p
}

// Then returns the route, to add the next step of a sequence.
func (p *Reply) Then() *Route { return p.route }

// step is one answer.
type step struct {
	status  int
	header  http.Header
	body    []byte
	delay   time.Duration
	err     error
	cut     int
	cutErr  error
	handler http.HandlerFunc
	fn      func(*http.Request) (*http.Response, error)
}

// respond builds the answer to req, a routed request.
func (st *step) respond(req *http.Request) (*http.Response, error) {
	switch {
	case st.err != nil:
		return nil, st.err
	case st.handler != nil:
		rec := httptest.NewRecorder()
		st.handler(rec, req)
		resp := rec.Result()
		resp.ContentLength = int64(rec.Body.Len())
		return resp, nil
	case st.fn != nil:
		resp, err := st.fn(req)
		if err != nil {
			return nil, err
		}
		if resp == nil {
			return nil, fmt.Errorf("requeststest: route %q: RespondWith returned neither a response nor an error", req.Pattern)
		}
		if resp.Body == nil {
			resp.Body = http.NoBody
		}
		if resp.Header == nil {
			resp.Header = make(http.Header)
		}
		return resp, nil
	}
	h := st.header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	if len(st.body) > 0 && h.Get("Content-Type") == "" {
		h.Set("Content-Type", http.DetectContentType(st.body))
	}
	h.Set("Content-Length", strconv.Itoa(len(st.body)))
	var body io.ReadCloser = io.NopCloser(bytes.NewReader(st.body))
	if st.cutErr != nil {
		body = io.NopCloser(io.MultiReader(bytes.NewReader(st.body[:min(st.cut, len(st.body))]), errReader{st.cutErr}))
	}
	return &http.Response{
		Status:        strings.TrimSpace(strconv.Itoa(st.status) + " " + http.StatusText(st.status)),
		StatusCode:    st.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          body,
		ContentLength: int64(len(st.body)),
	}, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// normalJSON is v as decoded JSON, for comparisons.
func normalJSON(v any) (any, error) {
	b, ok := v.([]byte)
	if !ok {
		if s, isStr := v.(string); isStr && json.Valid([]byte(s)) {
			b, ok = []byte(s), true
		}
	}
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	var out any
	err := json.Unmarshal(b, &out)
	return out, err
}

// clip shortens a body for an error message.
func clip(b []byte) string {
	const n = 120
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
