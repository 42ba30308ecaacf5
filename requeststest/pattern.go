package requeststest

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// pattern is a route's "[METHOD ][SCHEME://][HOST[:PORT]]/PATH[?QUERY]".
// Method, host and path are matched by an http.ServeMux holding the
// pattern without its scheme, port and query, so that wildcards ({id},
// {path...}, {$}), the trailing-slash rule and GET also matching HEAD
// behave exactly as in net/http. The scheme and port, which ServeMux does
// not know, are compared here; the query becomes Query matchers.
type pattern struct {
	text   string
	method string
	scheme string // "" for any
	host   string // "" for any, without the port
	port   string // "" for any
	path   string
	query  url.Values

	mux     *http.ServeMux // the whole pattern: the decision
	pathMux *http.ServeMux // the path alone: to explain a mismatch
}

func parsePattern(text string) (p *pattern, err error) {
	p = &pattern{text: text}
	s := strings.TrimSpace(text)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		p.method, s = s[:i], strings.TrimLeft(s[i:], " \t")
	}
	for _, scheme := range []string{"http", "https"} {
		if len(s) > len(scheme)+3 && strings.EqualFold(s[:len(scheme)+3], scheme+"://") {
			p.scheme, s = scheme, s[len(scheme)+3:]
			if !strings.Contains(s, "/") {
				s += "/" // a bare origin: the whole host, as "host/" in ServeMux
			}
		}
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		if p.query, err = url.ParseQuery(s[i+1:]); err != nil {
			return nil, fmt.Errorf("pattern %q: query: %w", text, err)
		}
		s = s[:i]
	}
	slash := strings.IndexByte(s, '/')
	if slash < 0 {
		return nil, fmt.Errorf("pattern %q: no path (a pattern reads \"[METHOD ][https://host]/path\")", text)
	}
	p.host, p.path = s[:slash], s[slash:]
	if strings.Contains(p.host, ":") {
		h, port, err := net.SplitHostPort(p.host)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: host: %w", text, err)
		}
		p.host, p.port = h, port
	}
	full := strings.TrimSpace(p.method + " " + p.host + p.path)
	if p.mux, err = captureMux(full); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", text, err)
	}
	if p.pathMux, err = captureMux(p.path); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", text, err)
	}
	return p, nil
}

// captureMux returns a ServeMux whose only pattern is pat, and whose
// handler hands the request it was routed to back through a captureWriter.
// ServeMux panics on a pattern it cannot parse; that becomes an error.
func captureMux(pat string) (mux *http.ServeMux, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux = http.NewServeMux()
	mux.HandleFunc(pat, func(w http.ResponseWriter, r *http.Request) {
		if c, ok := w.(*captureWriter); ok {
			c.req = r
		}
	})
	return mux, nil
}

// route runs req, as a server would see it, through mux: the routed
// request (with its PathValues) if the pattern matched, nil otherwise.
func route(mux *http.ServeMux, req *http.Request) *http.Request {
	sv := req.WithContext(req.Context())
	if sv.Host == "" {
		sv.Host = req.URL.Host
	}
	var c captureWriter
	mux.ServeHTTP(&c, sv)
	return c.req
}

// captureWriter is the ResponseWriter of a routing: what ServeMux writes
// when nothing matches (404, 405, a redirect) is dropped.
type captureWriter struct {
	req *http.Request
	hdr http.Header
}

func (c *captureWriter) Header() http.Header {
	if c.hdr == nil {
		c.hdr = make(http.Header)
	}
	return c.hdr
}
func (c *captureWriter) Write(b []byte) (int, error) { return len(b), nil }
func (c *captureWriter) WriteHeader(int)             {}

// match returns the routed request when req matches the pattern, with its
// PathValues and Pattern set.
func (p *pattern) match(req *http.Request) *http.Request {
	if p.scheme != "" && !strings.EqualFold(req.URL.Scheme, p.scheme) {
		return nil
	}
	if p.port != "" && portOf(req.URL) != p.port {
		return nil
	}
	r := route(p.mux, req)
	if r != nil {
		r.Pattern = p.text
	}
	return r
}

// explain says why req does not match, part by part.
func (p *pattern) explain(req *http.Request) []string {
	var why []string
	if p.method != "" && p.method != req.Method && !(p.method == http.MethodGet && req.Method == http.MethodHead) {
		why = append(why, fmt.Sprintf("method is %s, not %s", req.Method, p.method))
	}
	if p.scheme != "" && !strings.EqualFold(req.URL.Scheme, p.scheme) {
		why = append(why, fmt.Sprintf("scheme is %s, not %s", req.URL.Scheme, p.scheme))
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if p.host != "" && !strings.EqualFold(host, p.host) {
		why = append(why, fmt.Sprintf("host is %s, not %s", host, p.host))
	}
	if p.port != "" && portOf(req.URL) != p.port {
		why = append(why, fmt.Sprintf("port is %s, not %s", portOf(req.URL), p.port))
	}
	if route(p.pathMux, req) == nil {
		why = append(why, fmt.Sprintf("path %s does not match %s", req.URL.EscapedPath(), p.path))
	}
	if len(why) == 0 && p.match(req) == nil {
		why = append(why, "does not match the pattern")
	}
	return why
}

// portOf is the URL's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
