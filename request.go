package requests

import (
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

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

// requestHost takes a Host header out of h and returns the Host to send: its
// value, or urlHost when there is none (or it is empty). net/http never
// sends a Host from the header map, only the request's Host, so a header
// left there would be dropped without a word.
func requestHost(h http.Header, urlHost string) (string, error) {
	v, ok := h["Host"]
	if !ok {
		return urlHost, nil
	}
	delete(h, "Host")
	if len(v) == 0 || v[0] == "" {
		return urlHost, nil
	}
	if !httpguts.ValidHostHeader(v[0]) {
		return "", fmt.Errorf("%w: Host header %q", ErrInvalidHeader, v[0])
	}
	return v[0], nil
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
