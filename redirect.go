package requests

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// redirectMethod is requests' rebuild_method: 303 turns anything but HEAD
// into GET; so does 302, as browsers do; 301 turns POST into GET.
func redirectMethod(method string, status int) string {
	switch {
	case status == http.StatusSeeOther && method != http.MethodHead,
		status == http.StatusFound && method != http.MethodHead,
		status == http.StatusMovedPermanently && method == http.MethodPost:
		return http.MethodGet
	}
	return method
}

// SensitiveHeaders declares more credential headers (an API key's
// X-Api-Key, say), the Session's and the call's together. They are then
// treated as Authorization is: dropped from a redirect to another host,
// scheme or port (and from every later hop of that chain), and their values
// masked in Logger records, Dump output and Curl command lines.
func SensitiveHeaders(names ...string) Option {
	return optionFunc(func(c *config) {
		for _, n := range names {
			k := http.CanonicalHeaderKey(n)
			if !slices.Contains(c.SensitiveHeaders, k) {
				c.SensitiveHeaders = addLayer(c.SensitiveHeaders, k)
			}
		}
	})
}

// redirectRequest builds the request for the next hop.
func (s *Session) redirectRequest(cl *call, req *http.Request, resp *Response, stripped *bool) (*http.Request, error) {
	loc := resp.Headers.Get("Location")
	target, err := req.URL.Parse(loc)
	if err != nil {
		return nil, wrapErr(req.Method, req.URL, ErrInvalidURL, fmt.Errorf("redirect to %q: %w", redactRaw(loc), scrubURLError(err)))
	}
	if target.Fragment == "" && req.URL.Fragment != "" {
		// A fragment survives a redirect that gives none (RFC 7231 7.1.2).
		target.Fragment, target.RawFragment = req.URL.Fragment, req.URL.RawFragment
	}
	// A server picks the target: only http and https, or a scheme the
	// caller allowed, may reach a transport (a mounted one included).
	if target.Scheme != "http" && target.Scheme != "https" &&
		(!slices.Contains(cl.cfg.RedirectSchemes, target.Scheme) || s.mounted(target.String()) == nil) {
		return nil, wrapErr(req.Method, req.URL, ErrInvalidSchema, fmt.Errorf("redirect to unsupported scheme %q", target.Scheme))
	}
	// A Location's user info is not used, as in requests, nor shown.
	target.User = nil
	// Every check a direct URL gets: a target Get would refuse is refused.
	if kind, err := s.checkURL(target, target.String()); err != nil {
		return nil, wrapErr(req.Method, req.URL, kind, fmt.Errorf("redirect to %q: %w", redactRaw(loc), err))
	}

	method := redirectMethod(req.Method, resp.StatusCode)
	h := req.Header.Clone()
	next := &http.Request{
		Method:     method,
		URL:        target,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       target.Host,
	}
	if resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect {
		// 307 and 308 resend the same body, which must be rewound.
		if req.Body != nil && req.Body != http.NoBody {
			b, err := cl.replayBody(req, fmt.Sprintf("%d redirect", resp.StatusCode))
			if err != nil {
				return nil, err
			}
			next.Body = b
			next.GetBody = req.GetBody
			next.ContentLength = req.ContentLength
		}
	} else {
		for _, k := range [...]string{"Content-Type", "Content-Length", "Transfer-Encoding"} {
			delete(h, k)
		}
	}

	delete(h, "Cookie")
	if *stripped || shouldStripAuth(req.URL, target) {
		*stripped = true
		for _, k := range credentialHeaders(cl.cfg) {
			delete(h, k)
		}
	}
	if !*stripped && req.Host != req.URL.Host {
		// A Host given for the request stays while the chain stays on the
		// origin, as credentials do; another host gets its own name.
		next.Host = req.Host
	}
	next = next.WithContext(req.Context())
	c := cl.cfg
	if *stripped {
		// Cookies given as options are credentials too: they go to the
		// original host only. The jar's cookies follow the jar's rules.
		c = c.withoutCookies()
	}
	if err := addCookies(next, c, cl); err != nil {
		closeBody(next)
		return nil, wrapErr(method, target, ErrInvalidHeader, err)
	}
	if err := authenticateHop(next, c, *stripped); err != nil {
		closeBody(next)
		return nil, wrapErr(method, target, nil, err)
	}
	return next, nil
}

// credentialHeaders are the headers that never leave the origin they were
// given for: requests' Authorization and Proxy-Authorization, and the
// caller's SensitiveHeaders. Redirects and Pages drop them alike.
func credentialHeaders(c *config) []string {
	return append([]string{"Authorization", "Proxy-Authorization"}, c.SensitiveHeaders...)
}

// shouldStripAuth is requests' should_strip_auth: credentials are dropped
// when the host changes, or the scheme or port does, except for the upgrade
// from http to https on the default ports of the same host.
func shouldStripAuth(old, new *url.URL) bool {
	if !strings.EqualFold(old.Hostname(), new.Hostname()) {
		return true
	}
	oldPort, newPort := portOf(old), portOf(new)
	if old.Scheme == "http" && new.Scheme == "https" && oldPort == "80" && newPort == "443" {
		return false
	}
	return old.Scheme != new.Scheme || oldPort != newPort
}

// portOf is the URL's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch u.Scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
