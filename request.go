package requests

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// build turns a method, URL and merged options into the request to send, as
// requests' prepare does: URL checked and its params merged, headers merged
// and checked, body encoded, cookies and auth applied. Nothing is sent, and a
// bad input is a typed error. cl is nil for Prepare.
func (s *Session) build(cl *call, c *config, method, rawURL string) (*http.Request, error) {
	if c.err != nil {
		return nil, wrapRawErr(method, rawURL, nil, c.err)
	}
	method, err := checkMethod(method)
	if err != nil {
		return nil, wrapRawErr(method, rawURL, ErrInvalidMethod, err)
	}
	u, err := s.parseURL(rawURL)
	if err != nil {
		return nil, err.(*Error).withMethod(method)
	}
	mergeURLQuery(u, c.query)

	var vals headerValues
	if cl != nil {
		vals = cl.hdr[:0]
	} else {
		vals = make(headerValues, 0, len(c.baseHeader)+2)
	}
	h := vals.clone(c.baseHeader, c.headers)
	for _, layer := range c.headers {
		for k, v := range layer {
			if !httpguts.ValidHeaderFieldName(k) {
				return nil, wrapErr(method, u, ErrInvalidHeader, fmt.Errorf("header name %q", k))
			}
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, wrapErr(method, u, ErrInvalidHeader, fmt.Errorf("value of header %s", k))
			}
			h[http.CanonicalHeaderKey(k)] = vals.one(v)
		}
	}
	for _, k := range c.omit {
		delete(h, k)
	}
	if _, ok := h["User-Agent"]; !ok {
		// An empty value keeps net/http from adding its own User-Agent.
		h["User-Agent"] = vals.one("")
	}

	b, err := c.body.encode()
	if err != nil {
		return nil, wrapErr(method, u, nil, err)
	}
	if c.onUpload != nil {
		b = b.withProgress(c.onUpload)
	}
	if cl != nil {
		b = b.trackedBy(cl)
	}
	if b.contentType != "" && h.Get("Content-Type") == "" {
		h["Content-Type"] = vals.one(b.contentType)
	}

	var ctx context.Context = context.Background()
	if cl != nil {
		ctx = cl.context()
	} else if c.ctx != nil {
		ctx = c.ctx
	}
	// Only WithContext sets a request's context: filled in on the stack and
	// copied once, the request costs one allocation instead of two.
	tmpl := http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Host:          u.Host,
		ContentLength: b.length,
		GetBody:       b.getBody,
	}
	if b.r != nil {
		tmpl.Body = b.r
		if cl != nil && !(b.inMemory && b.length <= directUpload) {
			tmpl.Body = cl.timedUpload(b.r)
		}
	} else {
		tmpl.ContentLength = 0
	}
	var req *http.Request
	if cl != nil {
		// The call's first request lives in the call: WithContext's copy is
		// made on the stack and copied in.
		cl.req = *tmpl.WithContext(ctx)
		req = &cl.req
	} else {
		req = tmpl.WithContext(ctx)
	}

	if err := addCookies(req, c, cl); err != nil {
		closeBody(req)
		return nil, wrapErr(method, u, ErrInvalidHeader, err)
	}
	if err := authenticate(req, c); err != nil {
		closeBody(req)
		return nil, wrapErr(method, u, nil, err)
	}
	return req, nil
}

// headerValues is storage for a request's header values, given by the call
// so that building the headers allocates little more than the map. Every
// slice handed out is capped at its length, so an append copies it instead
// of writing into its neighbour.
type headerValues []string

// clone copies base into a new map, sized for the call's own headers too.
func (s *headerValues) clone(base http.Header, layers []Headers) http.Header {
	n := len(base) + 2 // room for Content-Type and Cookie or Authorization
	for _, l := range layers {
		n += len(l)
	}
	var h http.Header
	if n <= 8 && base != nil {
		// A small map is copied whole, faster than inserting key by key;
		// the values are then replaced with the request's own copies.
		h = maps.Clone(base)
	} else {
		h = make(http.Header, n)
	}
	for k, vs := range base {
		h[k] = s.many(vs)
	}
	return h
}

// one returns []string{v}.
func (s *headerValues) one(v string) []string {
	if len(*s) == cap(*s) {
		return []string{v}
	}
	*s = append(*s, v)
	n := len(*s)
	return (*s)[n-1 : n : n]
}

// many returns a copy of vs.
func (s *headerValues) many(vs []string) []string {
	if cap(*s)-len(*s) < len(vs) {
		return slices.Clone(vs)
	}
	start := len(*s)
	*s = append(*s, vs...)
	return (*s)[start:len(*s):len(*s)]
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// checkMethod uppercases the method, as requests does, and checks it is a token.
func checkMethod(m string) (string, error) {
	if m == "" {
		return http.MethodGet, nil
	}
	for i := 0; i < len(m); i++ {
		if !httpguts.IsTokenRune(rune(m[i])) {
			return m, fmt.Errorf("method %q is not an HTTP token", m)
		}
		if 'a' <= m[i] && m[i] <= 'z' {
			return checkMethod(strings.ToUpper(m))
		}
	}
	return m, nil
}

// checkHeader rejects header names and values HTTP does not allow (CR, LF,
// NUL, ...), so that no header can smuggle another one in.
func checkHeader(h http.Header) error {
	for k, vs := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("%w: header name %q", ErrInvalidHeader, k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("%w: value of header %s", ErrInvalidHeader, k)
			}
		}
	}
	return nil
}

// checkRequest is Send's check of a request it did not build.
func checkRequest(req *http.Request) error {
	if _, err := checkMethod(req.Method); err != nil {
		return wrapErr(req.Method, req.URL, ErrInvalidMethod, err)
	}
	if err := checkHeader(req.Header); err != nil {
		return wrapErr(req.Method, req.URL, nil, err)
	}
	return nil
}
