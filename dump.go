package requests

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-requests/requests/internal/redact"
)

// dumpLimit caps the bytes of each body Dump shows.
const dumpLimit = 4 << 10

// Dump writes the wire view of every attempt to w, as curl -v shows it:
// the request line and headers ("> "), the status line and headers ("< "),
// and each body's first 4 KiB with a note of what was cut. Every attempt is
// one record, retries and redirect hops included, written whole once its
// response body was read (or when it failed), so that calls sharing w do
// not interleave within a record.
//
// Secrets are masked as Logger masks them: credential headers and those
// named by SensitiveHeaders, the URL's password and credential query
// parameters, and credential fields of a form-encoded request body. Bodies
// are shown as far as the library read them anyway: a request body that
// cannot be replayed (a plain io.Reader) and a streamed response body
// (Stream) are not buffered to show them, nor are encoded (gzip...) or
// binary ones.
func Dump(w io.Writer) Option {
	return optionFunc(func(c *config) { c.Dump = w })
}

// dumpMu serializes the records of every call, whatever their writer.
var dumpMu sync.Mutex

// dumpAttempt records one attempt for Dump: its request body is captured as
// the RoundTripper reads it, its response body as the call reads it, and the
// record is written when the response body is closed.
type dumpAttempt struct {
	c    *call
	req  *http.Request
	reqB *capture // nil: no body, or one not shown
	note string   // why the request body is not shown
	once sync.Once
}

// capture keeps the first dumpLimit bytes read through it.
type capture struct {
	rc     io.ReadCloser
	mu     sync.Mutex
	buf    []byte
	n      int64
	eof    bool
	closed func()
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.mu.Lock()
	if room := dumpLimit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(n, room)]...)
	}
	c.n += int64(n)
	if err == io.EOF {
		c.eof = true
	}
	c.mu.Unlock()
	return n, err
}

func (c *capture) Close() error {
	err := c.rc.Close()
	if c.closed != nil {
		c.closed()
	}
	return err
}

// dumpRequest prepares the attempt's record and returns the request to put
// on the wire: req itself, or a copy whose body is captured.
func (c *call) dumpRequest(req *http.Request) (*http.Request, *dumpAttempt) {
	d := &dumpAttempt{c: c, req: req}
	if req.Body == nil || req.Body == http.NoBody {
		return req, d
	}
	if req.GetBody == nil {
		d.note = "[streamed body not shown]"
		return req, d
	}
	d.reqB = &capture{rc: req.Body}
	out := *req
	out.Body = d.reqB
	return &out, d
}

// response finishes the record with the attempt's outcome: hr's body is
// captured and the record written when it is closed, or the record is
// written now for a failure (hr nil) or a streamed body.
func (d *dumpAttempt) response(hr *http.Response, err error) {
	if hr == nil || d.c.cfg.Stream {
		d.write(hr, nil, err)
		return
	}
	b := &capture{rc: hr.Body}
	b.closed = func() { d.write(hr, b, nil) }
	hr.Body = b
}

func (d *dumpAttempt) write(hr *http.Response, body *capture, err error) {
	d.once.Do(func() {
		var b bytes.Buffer
		extra := d.c.cfg.SensitiveHeaders
		req := d.req
		proto := "HTTP/1.1"
		if hr != nil {
			proto = hr.Proto
		}
		fmt.Fprintf(&b, "* %s %s\n", req.Method, redact.RedactURL(req.URL))
		target := req.URL.EscapedPath()
		if target == "" {
			target = "/"
		}
		if req.URL.RawQuery != "" {
			target += "?" + redact.RedactQuery(req.URL.RawQuery)
		}
		fmt.Fprintf(&b, "> %s %s %s\n> Host: %s\n", req.Method, target, proto, req.Host)
		h := req.Header.Clone()
		if h.Get("User-Agent") == "" {
			delete(h, "User-Agent") // net/http sends none then
		}
		if req.ContentLength > 0 {
			h.Set("Content-Length", fmt.Sprint(req.ContentLength))
		}
		writeHeaders(&b, "> ", h, extra)
		secrets := secretsOf(req, extra)
		writeBody(&b, d.reqB, d.note, req.Header, secrets)
		switch {
		case hr != nil:
			fmt.Fprintf(&b, "< %s %s\n", hr.Proto, hr.Status)
			writeHeaders(&b, "< ", hr.Header, extra)
			note := ""
			if body == nil {
				note = "[streamed body not shown]"
			}
			writeBody(&b, body, note, hr.Header, secrets)
		case err != nil:
			fmt.Fprintf(&b, "* failed: %s\n", kindName(err))
		}
		b.WriteByte('\n')
		dumpMu.Lock()
		d.c.cfg.Dump.Write(b.Bytes())
		dumpMu.Unlock()
	})
}

func writeHeaders(b *bytes.Buffer, prefix string, h http.Header, extra []string) {
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, redact.RedactHeader(k, v, extra...))
		}
	}
	b.WriteString(prefix[:1] + "\n")
}

// writeBody shows a captured body, or says why it is not shown. The
// request's secrets are masked in it too: a server may echo them.
func writeBody(b *bytes.Buffer, c *capture, note string, h http.Header, secrets []string) {
	if c == nil {
		if note != "" {
			b.WriteString(note + "\n")
		}
		return
	}
	c.mu.Lock()
	data, n, eof := c.buf, c.n, c.eof
	c.mu.Unlock()
	switch {
	case n == 0:
		return
	case h.Get("Content-Encoding") != "":
		fmt.Fprintf(b, "[%d bytes of %s-encoded body not shown]\n", n, h.Get("Content-Encoding"))
		return
	case !printable(data):
		fmt.Fprintf(b, "[%d bytes of binary body not shown]\n", n)
		return
	}
	text := string(data)
	if strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") {
		text = redact.RedactForm(text)
	}
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, redact.Mask)
	}
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
	if cut := n - int64(len(data)); cut > 0 {
		fmt.Fprintf(b, "[%d more bytes not shown]\n", cut)
	}
	if !eof {
		b.WriteString("[body not read to its end]\n")
	}
}

// printable reports whether p is text a terminal can show.
func printable(p []byte) bool {
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size == 1 && len(p) >= utf8.UTFMax {
			return false
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return false
		}
		p = p[size:]
	}
	return true
}

// secretsOf lists the secret values req carries, as they may be echoed in
// a body: credential and sensitive header values (an Authorization's
// credentials without their scheme, each cookie's value), the URL's
// password and the values of its credential query parameters.
func secretsOf(req *http.Request, extra []string) []string {
	var out []string
	addSecret := func(s string) {
		if s = strings.TrimSpace(s); s != "" && s != redact.Mask {
			out = append(out, s)
		}
	}
	for k, vs := range req.Header {
		if !redact.IsHeader(k, extra...) {
			continue
		}
		for _, v := range vs {
			switch k {
			case "Authorization", "Proxy-Authorization":
				_, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
				if ok {
					addSecret(cred)
				} else {
					addSecret(v)
				}
			case "Cookie":
				for _, pair := range strings.Split(v, ";") {
					_, val, _ := strings.Cut(pair, "=")
					addSecret(val)
				}
			default:
				addSecret(v)
			}
		}
	}
	if pw, ok := req.URL.User.Password(); ok {
		addSecret(pw)
	}
	for k, vs := range req.URL.Query() {
		if redact.IsParam(k) {
			for _, v := range vs {
				addSecret(v)
			}
		}
	}
	// Longest first, so that a secret containing another is masked whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}
