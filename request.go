package requests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/idna"
)

// bodySpec is what the body options asked for; build turns it into bytes or
// a stream. As in requests, Files win over JSON and take form fields from
// Data, and Data wins over JSON.
type bodySpec struct {
	data    any
	hasData bool
	json    any
	hasJSON bool
	files   []map[string][]File // Files and MultiFiles, in the order given
}

// body is a request body ready to send: the reader, its length when known
// (-1 otherwise), how to get it again for a redirect or retry (nil when it
// cannot be), and the Content-Type it implies.
type body struct {
	r           io.ReadCloser
	length      int64
	getBody     func() (io.ReadCloser, error)
	contentType string
	inMemory    bool // r and what getBody returns need no closing
}

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

// withMethod fills in the method of an error made before it was known.
func (e *Error) withMethod(m string) *Error {
	e.Method = m
	return e
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

// parseURL parses and checks a request URL as requests' prepare_url does:
// leading white space dropped, a scheme required, http and https (or a
// mounted prefix) only, a host required, Unicode host names turned to IDNA.
func (s *Session) parseURL(raw string) (*url.URL, error) {
	raw = strings.TrimLeft(raw, " \t\r\n")
	u, err := url.Parse(raw)
	if err != nil {
		return nil, wrapRawErr("", raw, ErrInvalidURL, err)
	}
	if u.Scheme == "" || (u.Opaque != "" && looksLikePort(u.Opaque)) {
		// "example.com/x" has no scheme; "localhost:8080/x" parses as scheme
		// "localhost", which requests also reports as a missing scheme.
		return nil, wrapRawErr("", raw, ErrMissingSchema,
			fmt.Errorf("no scheme supplied; perhaps you meant https://%s", redactRaw(raw)))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if s.mounted(raw) != nil {
			return u, nil
		}
		return nil, wrapRawErr("", raw, ErrInvalidSchema,
			fmt.Errorf("no transport for scheme %q", u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, wrapRawErr("", raw, ErrInvalidURL, errors.New("no host supplied"))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, wrapRawErr("", raw, ErrInvalidURL, fmt.Errorf("invalid port %q", p))
		}
	}
	if host := u.Hostname(); !isASCII(host) {
		a, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return nil, wrapRawErr("", raw, ErrInvalidURL, fmt.Errorf("host %q is not a valid IDNA name: %w", host, err))
		}
		if p := u.Port(); p != "" {
			a += ":" + p
		}
		u.Host = a
	}
	u.RawQuery = requoteQuery(u.RawQuery)
	return u, nil
}

// spells reports whether u.String() is s, without building the string, for
// the usual spelling of a URL: a lowercase scheme, a host, then a path and
// query made of bytes String writes back as they are. Anything else
// (escapes, user info, a fragment, IPv6 hosts) answers false.
func spells(u *url.URL, s string) bool {
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil || u.OmitHost ||
		u.RawPath != "" || u.Fragment != "" || u.RawFragment != "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !plainURLByte(s[i]) && s[i] != '?' {
			return false
		}
	}
	rest, ok := strings.CutPrefix(s, u.Scheme)
	if ok {
		rest, ok = strings.CutPrefix(rest, "://")
	}
	if !ok || !plainHost(u.Host) {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, u.Host); !ok {
		return false
	}
	p := u.Path
	if p != "" && p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if !plainURLByte(p[i]) {
			return false
		}
	}
	if rest, ok = strings.CutPrefix(rest, p); !ok {
		return false
	}
	if u.RawQuery == "" && !u.ForceQuery {
		return rest == ""
	}
	return len(rest) == 1+len(u.RawQuery) && rest[0] == '?' && rest[1:] == u.RawQuery
}

// plainURLByte: the bytes url.URL.String writes back unescaped in a path.
func plainURLByte(c byte) bool { return plainURLBytes[c] }

var plainURLBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~:/=&+,;", byte(c)) >= 0
	}
	return t
}()

func plainHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if c := h[i]; c == '/' || c == '=' || c == '&' || c == '+' || c == ',' || c == ';' || !plainURLByte(c) {
			return false
		}
	}
	return true
}

// requoteQuery percent-encodes the bytes a query may not hold as they are
// (space, non-ASCII, and " < > \ ^ ` { | }), as requests' requote_uri
// does: url.Parse keeps a query raw, and a space in it would split the
// request line. Valid escapes are kept; a "%" that starts none becomes
// "%25". A query that needs nothing is returned as it is, without copying.
func requoteQuery(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		ok := queryByteOK(c)
		if c == '%' {
			ok = i+2 < len(q) && isHex(q[i+1]) && isHex(q[i+2])
		}
		if ok {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(q) + 8)
			b.WriteString(q[:i])
		}
		const hex = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if b.Len() == 0 {
		return q
	}
	return b.String()
}

// queryByteOK reports whether c may stand in a query as it is: unreserved,
// a sub-delimiter, ":", "@", "/", "?", or requests' extra "[" and "]".
func queryByteOK(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?[]", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func looksLikePort(opaque string) bool {
	return opaque[0] >= '0' && opaque[0] <= '9'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
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

// encode turns the body options into a body. Byte bodies can always be sent
// again; a reader only when it can seek back to where it started.
func (b bodySpec) encode() (body, error) {
	if files := mergeFiles(b.files); len(files) > 0 {
		fields, err := formFields(b.data)
		if err != nil {
			return body{}, err
		}
		return multipartBody(fields, files)
	}
	switch {
	case b.hasData:
		return dataBody(b.data)
	case b.hasJSON:
		p, err := json.Marshal(b.json)
		if err != nil {
			return body{}, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
		}
		return bytesBody(p, "application/json"), nil
	}
	return body{length: 0}, nil
}

func dataBody(v any) (body, error) {
	switch d := v.(type) {
	case nil:
		return body{}, nil
	case map[string]string:
		f := make(url.Values, len(d))
		for k, x := range d {
			f[k] = []string{x}
		}
		return formBody(f), nil
	case url.Values:
		return formBody(d), nil
	case map[string][]string:
		return formBody(url.Values(d)), nil
	case string:
		return bytesBody([]byte(d), ""), nil
	case []byte:
		return bytesBody(d, ""), nil
	case io.Reader:
		return readerBody(d)
	}
	return body{}, fmt.Errorf("%w: Data takes a map[string]string, url.Values, string, []byte or io.Reader, not %T", ErrInvalidBody, v)
}

// formFields are the form fields sent before the files of a multipart body.
// As in requests, a raw body cannot be combined with files.
func formFields(v any) (url.Values, error) {
	switch d := v.(type) {
	case nil:
		return nil, nil
	case map[string]string:
		f := make(url.Values, len(d))
		for k, x := range d {
			f[k] = []string{x}
		}
		return f, nil
	case url.Values:
		return d, nil
	case map[string][]string:
		return url.Values(d), nil
	}
	return nil, fmt.Errorf("%w: Data combined with Files must be form fields (a map[string]string or url.Values), not %T", ErrInvalidBody, v)
}

// trackedBy hands every reader of the body to the call, which closes them
// when it ends: a file a body opened is then closed by the time the call
// returns, even where net/http would close the body later in a goroutine
// of its own.
func (b body) trackedBy(cl *call) body {
	if b.r == nil || b.inMemory {
		return b
	}
	cl.track(b.r)
	if gb := b.getBody; gb != nil {
		b.getBody = func() (io.ReadCloser, error) {
			rc, err := gb()
			if err == nil {
				cl.track(rc)
			}
			return rc, err
		}
	}
	return b
}

func formBody(f url.Values) body {
	return bytesBody([]byte(f.Encode()), "application/x-www-form-urlencoded")
}

func bytesBody(p []byte, contentType string) body {
	// io.NopCloser over a *bytes.Reader is what net/http recognises as an
	// in-memory body: it then writes the headers and the body at once,
	// instead of flushing the headers in a packet of their own.
	return body{
		r:           io.NopCloser(bytes.NewReader(p)),
		length:      int64(len(p)),
		getBody:     func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(p)), nil },
		contentType: contentType,
		inMemory:    true,
	}
}

// directUpload is the size up to which an in-memory body goes to the
// Transport as it is, without the wrapper that re-arms the read timeout at
// every read: the wrapper would hide from net/http that the body is in
// memory and cost a packet of its own for the headers, while a body this
// small is written at once (it fits the socket's buffer), so the read
// timeout armed when the connection was had bounds its writing well enough.
const directUpload = 64 << 10

// readerBody sends a reader as it is. Its length is known for in-memory
// readers and regular files; it can be sent again if it can seek.
func readerBody(r io.Reader) (body, error) {
	b := body{length: -1}
	switch x := r.(type) {
	case *bytes.Reader:
		b.length = int64(x.Len())
	case *strings.Reader:
		b.length = int64(x.Len())
	case *bytes.Buffer:
		return bytesBody(bytes.Clone(x.Bytes()), ""), nil
	case *os.File:
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			if off, err := x.Seek(0, io.SeekCurrent); err == nil {
				b.length = fi.Size() - off
			}
		}
	}
	// The reader stays the caller's: it is read, never closed.
	b.r = io.NopCloser(r)
	if sk, ok := r.(io.Seeker); ok {
		if start, err := sk.Seek(0, io.SeekCurrent); err == nil {
			b.getBody = func() (io.ReadCloser, error) {
				if _, err := sk.Seek(start, io.SeekStart); err != nil {
					return nil, fmt.Errorf("%w: %w", ErrUnrewindableBody, err)
				}
				return io.NopCloser(r), nil
			}
		}
	}
	if b.length == 0 {
		// An empty reader is sent with Content-Length: 0, not chunked.
		b.r, b.getBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	}
	return b, nil
}
