package requests

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

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
