package requests

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fuzz targets for the parsers and policies this package owns. Their seeds
// run with every go test; go test -fuzz=FuzzX explores further. The
// internal packages fuzz their own: digest challenges, netrc, Link headers,
// charsets and content codings.

// fuzzSession is shared by the targets: it makes no connection, so it
// holds no goroutine.
var fuzzSession = NewSession(TrustEnv(false))

// FuzzURLParams: params can never change the scheme, host or port a URL
// names, never turn a good URL bad or a bad one good, and arrive intact.
func FuzzURLParams(f *testing.F) {
	for _, s := range [][3]string{
		{"http://example.com/path?a=1", "q", "gopher"},
		{"https://user:pw@example.com:8443/x#frag", "@evil.com", "x"},
		{"http://example.com/", "a#b", "c?d"},
		{"http://[::1]:80/", "x", "/../"},
		{"http://example.com/p", "", ""},
		{"http://example.com/?", "k\r\n", "v\x00"},
		{"http://bücher.example/straße", "ü", "ß"},
		{"http://example.com", "//evil.com:1/", "http://evil.com"},
		{"http://example.com/a b", "x y", "&z=1"},
		{"example.com/x", "a", "b"},
		{"http://example.com:0/", "a", "b"},
		{"http://example.com/%zz", "a", "b"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, raw, key, value string) {
		base, errBase := fuzzSession.Prepare("GET", raw)
		req, err := fuzzSession.Prepare("GET", raw, Params{key: value})
		if errBase != nil {
			require.Error(t, err, "params made a bad URL good")
			return
		}
		require.NoError(t, err, "params made a good URL bad")
		assert.Equal(t, base.URL.Scheme, req.URL.Scheme)
		assert.Equal(t, base.URL.Host, req.URL.Host)
		assert.Equal(t, base.Host, req.Host)
		assert.Equal(t, base.URL.Fragment, req.URL.Fragment)

		// What goes on the wire names the same target, and is one line.
		u, err := url.Parse(req.URL.String())
		require.NoError(t, err, "%q", req.URL.String())
		assert.Equal(t, base.URL.Scheme, u.Scheme)
		assert.Equal(t, base.URL.Hostname(), u.Hostname())
		assert.Equal(t, portOf(base.URL), portOf(u))
		assert.False(t, strings.ContainsAny(req.URL.RequestURI(), " \r\n\x00"), "%q", req.URL.RequestURI())

		enc := url.Values{key: {value}}.Encode()
		if base.URL.RawQuery == "" {
			assert.Equal(t, enc, req.URL.RawQuery)
		} else {
			assert.Equal(t, base.URL.RawQuery+"&"+enc, req.URL.RawQuery)
		}
		q, err := url.ParseQuery(enc)
		require.NoError(t, err)
		assert.Equal(t, []string{value}, q[key])
	})
}

// writtenHeaders writes req as a client would and parses it back as a
// server does.
func writtenHeaders(t *testing.T, req *http.Request) *http.Request {
	var buf bytes.Buffer
	require.NoError(t, req.Write(&buf), "a request that passed the checks must be writable")
	got, err := http.ReadRequest(bufio.NewReader(&buf))
	require.NoError(t, err, "%q", buf.String())
	return got
}

// assertNoExtraHeaders checks that the server saw no header the request
// did not set: nothing was smuggled in.
func assertNoExtraHeaders(t *testing.T, req, got *http.Request) {
	for k := range got.Header {
		_, ok := req.Header[k]
		assert.True(t, ok, "header %q appeared on the wire", k)
	}
}

// FuzzHeaders: a header is refused with ErrInvalidHeader, or it reaches the
// server as it was given, alone.
func FuzzHeaders(f *testing.F) {
	for _, s := range [][2]string{
		{"X-A", "plain"}, {"X-A", "a\r\nX-Injected: 1"}, {"X-A", "a\nb"}, {"X-A", "a\x00b"},
		{"X A", "v"}, {"", "v"}, {"X-A", " padded\t"}, {"X-A", "caf\xc3\xa9"}, {"X-A", "\xff"},
		{"Content-Length", "5"}, {"Host", "evil.com"}, {"x-lower", "v"}, {"X-A:", "v"}, {"X-A", "\t"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		req, err := fuzzSession.Prepare("GET", "http://example.com/", Headers{name: value})
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidHeader)
			return
		}
		got := writtenHeaders(t, req)
		assertNoExtraHeaders(t, req, got)
		switch k := http.CanonicalHeaderKey(name); k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			// Written from the request's fields, not from the header map.
		default:
			assert.Equal(t, []string{strings.Trim(value, " \t")}, got.Header[k])
		}
	})
}

// FuzzCookiesAndBasicAuth: cookies and Basic credentials are refused with
// ErrInvalidHeader, or reach the server as given, adding no header.
func FuzzCookiesAndBasicAuth(f *testing.F) {
	for _, s := range [][4]string{
		{"session", "abc", "user", "pass"},
		{"a", "b\r\nX: y", "u", "p"},
		{"a b", "c", "u", "p"},
		{"a", "b; admin=1", "u", "p"},
		{"a", "b", "u:v", "p"},
		{"a", "b", "u\r\nX: y", "p"},
		{"a", "\"quoted, with comma\"", "jürgen", "pässword"},
		{"a", "b", "\u4e16", "\u754c"},
		{"", "b", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, name, value, user, pass string) {
		req, err := fuzzSession.Prepare("GET", "http://example.com/", Cookies{name: value}, BasicAuth(user, pass))
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidHeader)
			return
		}
		got := writtenHeaders(t, req)
		assertNoExtraHeaders(t, req, got)
		assert.Equal(t, strings.Trim(name+"="+value, " \t"), got.Header.Get("Cookie"))
		u, p, ok := got.BasicAuth()
		require.True(t, ok)
		creds := string(latin1(user + ":" + pass))
		assert.Equal(t, creds, u+":"+p)
		assert.NotContains(t, u, ":")
	})
}

// FuzzRetryAfter: any Retry-After value gives a wait between zero and just
// over the cap, or none, and a number of seconds under the cap is exact.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{
		"0", "120", "121", " 7 ", "-1", "1.5", "1e3", "99999999999999999999", "",
		"Wed, 21 Oct 2015 07:28:00 GMT", "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 2015",
		"Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "soon", "\x00",
	} {
		f.Add(s, int64(time.Minute))
	}
	now := time.Date(2015, 10, 21, 7, 27, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string, limit int64) {
		if limit <= 0 {
			limit = -limit + 1
		}
		if limit > int64(1000*time.Hour) {
			limit %= int64(1000 * time.Hour)
			limit++
		}
		max := time.Duration(limit)
		d, ok := parseRetryAfter(v, now, max)
		if !ok {
			assert.Zero(t, d)
			return
		}
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, max+1)
		if s := strings.TrimSpace(v); isDigits(s) && len(s) < 10 {
			secs := time.Duration(0)
			for _, c := range s {
				secs = secs*10 + time.Duration(c-'0')
			}
			if secs*time.Second <= max {
				assert.Equal(t, secs*time.Second, d)
			}
		}
	})
}

// FuzzBackoff: the wait before any retry is never negative and never over
// BackoffMax, whatever the factor, jitter and count.
func FuzzBackoff(f *testing.F) {
	f.Add(int64(100*time.Millisecond), int64(0), int64(0), 3)
	f.Add(int64(time.Second), int64(10*time.Second), int64(time.Second), 100)
	f.Add(int64(1<<62), int64(0), int64(1<<62), 2)
	f.Add(int64(0), int64(time.Second), int64(time.Hour), 0)
	f.Add(int64(-1), int64(-1), int64(-1), -1)
	f.Fuzz(func(t *testing.T, factor, maxWait, jitter int64, retries int) {
		p := &RetryPolicy{BackoffFactor: time.Duration(factor), BackoffMax: time.Duration(maxWait), BackoffJitter: time.Duration(jitter)}
		limit := p.BackoffMax
		if limit <= 0 {
			limit = DefaultBackoffMax
		}
		d := p.BackoffFor(RetryAttempt{Retries: retries})
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, limit)
	})
}

// FuzzRedirectCredentials: along any two redirects, Authorization,
// Proxy-Authorization and the call's Cookies go only where the origin
// (scheme, host, port) stays the same, but for requests' http to https
// upgrade on the default ports, and once dropped stay dropped. No Referer
// is ever added.
func FuzzRedirectCredentials(f *testing.F) {
	for _, s := range [][4]string{
		{"http://a.example/x", "/y", "http://b.example/", "302"},
		{"http://a.example/x", "http://b.example/", "http://a.example/back", "302"},
		{"http://a.example/x", "https://a.example/", "https://a.example:443/z", "301"},
		{"https://a.example/x", "http://a.example/", "/again", "307"},
		{"http://a.example:8080/x", "http://a.example:8081/", "//a.example:8080/", "308"},
		{"http://a.example/x", "HTTP://A.EXAMPLE/y", "http://api.a.example/", "303"},
		{"http://a.example/x", "http://user:pw@a.example/", "ftp://a.example/", "302"},
		{"http://a.example/x", "http:///nohost", "http://[::1]/", "302"},
		{"http://a.example/x", "http://a.example./", "http://xn--a-ecp.example/", "302"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, start, loc1, loc2, status string) {
		code := 302
		switch status {
		case "301", "303", "307", "308":
			code = int(status[2]-'0') + 300
		}
		cl := fuzzSession.newCall([]Option{BasicAuth("user", "pass"), Cookies{"session": "secret"},
			Headers{"Proxy-Authorization": "Basic eHg6eXk="}})
		defer cl.release()
		req, err := fuzzSession.build(cl, cl.cfg, "GET", start)
		if err != nil {
			return
		}
		auth := req.Header.Get("Authorization")
		require.NotEmpty(t, auth)
		stripped, dropped := false, false
		for _, loc := range []string{loc1, loc2} {
			resp := &Response{StatusCode: code, Headers: http.Header{"Location": {loc}}, Request: req}
			next, err := fuzzSession.redirectRequest(cl, req, resp, &stripped)
			if err != nil {
				require.True(t, errors.Is(err, ErrInvalidURL) || errors.Is(err, ErrInvalidHeader), "%v", err)
				return
			}
			dropped = dropped || originChanged(req.URL, next.URL)
			h := next.Header
			assert.Empty(t, h.Get("Referer"))
			if dropped {
				assert.Empty(t, h.Get("Authorization"), "%s -> %s", req.URL, next.URL)
				assert.Empty(t, h.Get("Proxy-Authorization"), "%s -> %s", req.URL, next.URL)
				assert.NotContains(t, h.Get("Cookie"), "secret", "%s -> %s", req.URL, next.URL)
			} else {
				assert.Equal(t, auth, h.Get("Authorization"), "%s -> %s", req.URL, next.URL)
				assert.Contains(t, h.Get("Cookie"), "session=secret")
			}
			req = next
		}
	})
}

// originChanged is the credential rule, written out independently: a
// different host (case aside), scheme or port, except http to https on
// the default ports of the same host.
func originChanged(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		return map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	if !strings.EqualFold(a.Hostname(), b.Hostname()) {
		return true
	}
	if strings.EqualFold(a.Scheme, "http") && strings.EqualFold(b.Scheme, "https") && port(a) == "80" && port(b) == "443" {
		return false
	}
	return !strings.EqualFold(a.Scheme, b.Scheme) || port(a) != port(b)
}

// FuzzRedactURL: a URL's password never shows in the masked form of the
// URL, nor in an error about it, whether the URL parses or not.
func FuzzRedactURL(f *testing.F) {
	for _, s := range [][4]string{
		{"user", "hunter2", "example.com", "/x"},
		{"user", "p@ss:w/rd", "example.com", ""},
		{"", "secret", "[::1]:8080", "?q=1#f"},
		{"us%20er", "pa%zzss", "example.com", "/%zz"},
		{"u", "secret", "bad host", "/"},
		{"u", "secret", "example.com:99999", ""},
		{"u", "päss wörd", "xn--bcher-kva.example", "/straße"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, user, pass, host, rest string) {
		for _, scheme := range []string{"http://", "ftp://", "//"} {
			raw := scheme + user + ":" + pass + "@" + host + rest
			userinfo, pw, ok := passwordOf(raw)
			if !ok || pw == "" || pw == "xxxxx" {
				continue
			}
			// The credential, as it stands in the URL or quoted in a message.
			cred := userinfo + "@"
			quoted := strings.Trim(strconv.Quote(cred), `"`)
			if rest := strings.Replace(raw, cred, "", 1); strings.Contains(strconv.Quote(rest), quoted) || strings.Contains(rest, cred) {
				continue // the same text stands elsewhere in the URL too
			}
			masked := redactRaw(raw)
			assert.NotContains(t, masked, cred, "%q", raw)
			_, got, _ := passwordOf(masked)
			assert.Equal(t, "xxxxx", got, "%q -> %q", raw, masked)
			msgs := []string{wrapRawErr("GET", raw, ErrInvalidURL, &url.Error{Op: "parse", URL: raw, Err: errors.New("bad")}).Error()}
			if u, err := url.Parse(raw); err == nil {
				msgs = append(msgs, wrapErr("GET", u, ErrConnection, errors.New("cannot reach "+raw)).Error())
			}
			for _, msg := range msgs {
				assert.NotContains(t, msg, cred, "%q", raw)
				assert.NotContains(t, msg, quoted, "%q", raw)
			}
		}
	})
}

// passwordOf finds raw's userinfo and password as a browser would: the
// authority runs from "//" to the first of "/?#", its userinfo to its last
// "@", and the password from the userinfo's first ":".
func passwordOf(raw string) (userinfo, pw string, ok bool) {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		return "", "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", "", false
	}
	_, pw, ok = strings.Cut(rest[:at], ":")
	return rest[:at], pw, ok
}

// mountedBody serves one canned response under http://fuzz.test/ for a
// fresh Session, so that a target can go through a whole call.
func mountedBody(header http.Header, body io.Reader) *Session {
	s := NewSession(TrustEnv(false), Timeout(0))
	s.Mount("http://fuzz.test/", roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: header, Body: io.NopCloser(body), ContentLength: -1, Request: req}, nil
	}))
	return s
}

// FuzzText: whatever the Content-Type and the bytes, Text is valid UTF-8,
// the guessed encoding is one Text can use, and JSON fails only with
// ErrJSONDecode.
func FuzzText(f *testing.F) {
	for _, s := range [][2]string{
		{"text/plain; charset=utf-8", "héllo"},
		{"text/html; charset=ISO-8859-1", "caf\xe9"},
		{"text/html", "<meta charset=\"shift_jis\">\x82\xa0"},
		{"application/json", "\xff\xfe{\x00}\x00"},
		{"application/json; charset=utf-16", "{\"a\":1}"},
		{"text/plain; charset=\"unknown", "\xed\xa0\x80"},
		{"", "\x00\x00\x00{"},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		s := mountedBody(http.Header{"Content-Type": {contentType}}, bytes.NewReader(body))
		defer s.Close()
		r, err := s.Get("http://fuzz.test/")
		require.NoError(t, err)
		assert.True(t, utf8.ValidString(r.Text()))
		r.Encoding = r.ApparentEncoding()
		assert.True(t, utf8.ValidString(r.Text()))
		var v any
		if err := r.JSON(&v); err != nil {
			assert.ErrorIs(t, err, ErrJSONDecode)
		}
	})
}

// splitReader returns data in reads of the sizes sizes gives, in turn.
type splitReader struct {
	data  []byte
	sizes []byte
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.sizes) > 0 {
		n = int(r.sizes[0])%16 + 1
		r.sizes = r.sizes[1:]
	}
	n = min(n, len(r.data), len(p))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// refLines splits as Python's bytes.splitlines: at "\n", "\r\n" and "\r",
// with no empty line after a final terminator.
func refLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\n':
			out = append(out, b[start:i])
			start = i + 1
		case '\r':
			out = append(out, b[start:i])
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	return out
}

// refRecords splits at sep, with no empty record after a final separator.
func refRecords(b []byte, sep string) [][]byte {
	parts := bytes.Split(b, []byte(sep))
	if n := len(parts); n > 0 && len(parts[n-1]) == 0 {
		parts = parts[:n-1]
	}
	if len(parts) == 0 {
		return nil
	}
	return parts
}

// FuzzIterLines: however the body's bytes are split across reads, IterLines
// and IterDelimited yield the same lines as splitting the whole body at
// once.
func FuzzIterLines(f *testing.F) {
	for _, s := range [][3]string{
		{"a\nb\r\nc\rd", "\x00\x01\x02", "\n"},
		{"a\r\n\r\nb\r", "\x01", "\r\n"},
		{"\r\n", "\x00\x00", "--"},
		{"no terminator", "", "x"},
		{"ab--cd----ef--", "\x02\x00\x01", "--"},
		{"", "", ""},
		{"\n\n\n", "\x00", "\n\n"},
	} {
		f.Add([]byte(s[0]), []byte(s[1]), s[2])
	}
	f.Fuzz(func(t *testing.T, body, sizes []byte, delim string) {
		collect := func(seq func(*Response) func(func([]byte, error) bool)) [][]byte {
			s := mountedBody(http.Header{}, &splitReader{data: body, sizes: sizes})
			defer s.Close()
			r, err := s.Get("http://fuzz.test/", Stream(true))
			require.NoError(t, err)
			defer r.Close()
			var out [][]byte
			for line, err := range seq(r) {
				require.NoError(t, err)
				out = append(out, bytes.Clone(line)) // line is valid until the next iteration
			}
			return out
		}
		lines := collect(func(r *Response) func(func([]byte, error) bool) { return r.IterLines() })
		assert.Equal(t, refLines(body), lines, "%q split %v", body, sizes)
		if delim != "" {
			records := collect(func(r *Response) func(func([]byte, error) bool) { return r.IterDelimited(delim) })
			assert.Equal(t, refRecords(body, delim), records, "%q split %v by %q", body, sizes, delim)
		}
	})
}

// FuzzRequoteQuery: a requoted query holds only bytes a query may hold,
// decodes to what the original meant, and is left alone when it needed
// nothing.
func FuzzRequoteQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", " ", "q=a b", "%zz", "%2", "%41", "é=ü", "a|b^c`{}\"<>\\", "[::1]", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := requoteQuery(q)
		for i := 0; i < len(r); i++ {
			c := r[i]
			if c == '%' {
				require.True(t, i+2 < len(r) && isHex(r[i+1]) && isHex(r[i+2]), "%q -> %q", q, r)
				continue
			}
			require.True(t, queryByteOK(c), "%q -> %q holds %q", q, r, c)
		}
		assert.Equal(t, r, requoteQuery(r), "requoting is idempotent")
		if want, err := url.QueryUnescape(strings.ReplaceAll(q, "+", "%2B")); err == nil {
			got, err := url.QueryUnescape(strings.ReplaceAll(r, "+", "%2B"))
			require.NoError(t, err)
			assert.Equal(t, want, got, "%q -> %q", q, r)
		}
	})
}
