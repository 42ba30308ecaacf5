package requests

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

// endless answers with header and then an endless body, until the client
// goes away or the test ends.
func endless(header string) faultkit.Handler {
	chunk := bytes.Repeat([]byte("z"), 32<<10)
	return func(c *faultkit.Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		if _, err := io.WriteString(c, faultkit.CRLF(header)); err != nil {
			return
		}
		for {
			select {
			case <-c.Done():
				return
			default:
			}
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

// bomb is a gzip body that inflates to size zero bytes.
func bomb(t *testing.T, size int64) []byte {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	require.NoError(t, err)
	_, err = io.CopyN(w, zeros{}, size)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

// bombs are gzip bodies of zeros, made once: gzip members may follow one
// another, so a member holding 1 MiB of zeros, repeated, inflates without
// limit while costing one small compression.
var bombs = struct {
	once   sync.Once
	single []byte // gzip: 64 MiB of zeros in about 64 KiB
	double []byte // gzip, gzip: the same in a few hundred bytes
	huge   []byte // gzip: 1 GiB of zeros in about 1 MiB
}{}

func gzipBombs(t *testing.T) (single, double, huge []byte) {
	bombs.once.Do(func() {
		member := bomb(t, 1<<20)
		bombs.single = bytes.Repeat(member, 64)
		bombs.double = gzipped(t, bombs.single, 1)
		bombs.huge = bytes.Repeat(member, 1024)
	})
	return bombs.single, bombs.double, bombs.huge
}

// countingBody counts the bytes read from it.
type countingBody struct {
	r io.Reader
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error { return nil }

func cookieNames(cs []*http.Cookie) []string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

func hostileScenarios() []scenario {
	return []scenario{
		{"redirect loop", "ErrTooManyRedirects after MaxRedirects hops", func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Redirect(w, r, "/", http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			fail(t, ErrTooManyRedirects, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxRedirects(10)) })
			assert.EqualValues(t, 11, hits.Load())
		}},
		{"redirect to file:", "ErrInvalidSchema, nothing read", func(t *testing.T) {
			srv := httptest.NewServer(http.RedirectHandler("file:///etc/passwd", http.StatusFound))
			t.Cleanup(srv.Close)
			fail(t, ErrInvalidSchema, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"redirect to other schemes", "ErrInvalidSchema", func(t *testing.T) {
			for _, loc := range []string{"ftp://127.0.0.1/", "gopher://127.0.0.1:70/", "data:text/plain,hi", "javascript:alert(1)", "ws://127.0.0.1/"} {
				srv := httptest.NewServer(http.RedirectHandler(loc, http.StatusFound))
				t.Cleanup(srv.Close)
				fail(t, ErrInvalidSchema, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			}
		}},
		{"redirect without a host", "ErrInvalidURL", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 302 Found\nLocation: http:///nohost\nContent-Length: 0\n\n")
			fail(t, ErrInvalidURL, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"305 Use Proxy", "not followed: the 305 is returned", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 305 Use Proxy\nLocation: http://127.0.0.1:1/\nContent-Length: 0\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, 305, r.StatusCode)
			assert.Empty(t, r.History)
		}},
		{"gzip bomb", "ErrBodyTooLarge under MaxBodySize", func(t *testing.T) {
			single, _, _ := gzipBombs(t)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: %d\n\n", len(single)), single)
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(1<<20)) })
		}},
		{"nested gzip bomb", "ErrBodyTooLarge under MaxBodySize", func(t *testing.T) {
			_, double, _ := gzipBombs(t)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip, gzip\nContent-Length: %d\n\n", len(double)), double)
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(1<<20)) })
		}},
		{"gzip bomb in a redirect hop", "success: the hop is drained raw (64 KiB at most), never inflated", func(t *testing.T) {
			final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "landed") }))
			t.Cleanup(final.Close)
			_, double, huge := gzipBombs(t)
			for _, b := range [][]byte{double, huge} {
				hop := respondBytes(t, fmt.Sprintf("HTTP/1.1 302 Found\nLocation: %s\nContent-Encoding: gzip\nContent-Length: %d\n\n", final.URL, len(b)), b)
				r := succeed(t, func() (*Response, error) { return testSession(t).Get(hop.URL, MaxBodySize(1<<20)) })
				assert.Equal(t, "landed", r.Text())
			}
			// What the drain reads, exactly: raw bytes, at most drainLimit.
			body := &countingBody{r: bytes.NewReader(huge)}
			hop := &Response{StatusCode: 302, Request: &http.Request{Method: "GET"}, call: newCall(&config{}),
				raw: &http.Response{Header: http.Header{"Content-Encoding": {"gzip"}}, Body: body}}
			hop.discard()
			hop.call.release()
			assert.EqualValues(t, drainLimit, body.n)
		}},
		{"endless body in a redirect hop", "success: 64 KiB drained, the connection dropped", func(t *testing.T) {
			final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "landed") }))
			t.Cleanup(final.Close)
			hop := faultkit.Listen(t, endless("HTTP/1.1 302 Found\nLocation: "+final.URL+"\nTransfer-Encoding: chunked\n\n"))
			// The endless bytes are not valid chunks; a hop without framing:
			hop2 := faultkit.Listen(t, endless("HTTP/1.1 302 Found\nLocation: "+final.URL+"\n\n"))
			for _, h := range []*faultkit.Server{hop, hop2} {
				r := succeed(t, func() (*Response, error) { return testSession(t).Get(h.URL) })
				assert.Equal(t, "landed", r.Text())
			}
		}},
		{"endless body", "ErrBodyTooLarge under MaxBodySize", func(t *testing.T) {
			srv := faultkit.Listen(t, endless("HTTP/1.1 200 OK\n\n"))
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(4<<20)) })
		}},
		{"endless body, streamed and closed early", "Close returns at once", func(t *testing.T) {
			srv := faultkit.Listen(t, endless("HTTP/1.1 200 OK\n\n"))
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL, Stream(true)) })
			elapsed(t, func() { assert.NoError(t, r.Close()) })
		}},
		{"announced body over MaxBodySize", "ErrBodyTooLarge before reading it", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 10000000000\n\n")))
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(1<<20)) })
		}},
		{"absurd Retry-After", "ErrRetry at once, no wait", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 503 Busy\nRetry-After: 999999999999\nContent-Length: 0\n\n")
			err := fail(t, ErrRetry, func() (*Response, error) { return testSession(t).Get(srv.URL, Retry(RetryPolicy{})) })
			var re *RetryError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, 1, re.Attempts)
			assert.Equal(t, 1, srv.Accepted())
		}},
		{"Retry-After far in the future as a date", "ErrRetry at once, no wait", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 429 Slow Down\nRetry-After: Fri, 31 Dec 9999 23:59:59 GMT\nContent-Length: 0\n\n")
			fail(t, ErrRetry, func() (*Response, error) { return testSession(t).Get(srv.URL, Retry(RetryPolicy{})) })
		}},
		{"super-cookie for a public suffix", "rejected by the jar", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nSet-Cookie: super=1; Domain=test\nSet-Cookie: site=1; Domain=site.test\nContent-Length: 0\n\n")
			s := testSession(t, resolve())
			succeed(t, func() (*Response, error) { return s.Get(at(srv.URL, "a.site.test")) })
			other, _ := url.Parse(at(srv.URL, "b.other.test"))
			assert.Empty(t, s.Jar().Cookies(other))
			sibling, _ := url.Parse(at(srv.URL, "c.site.test"))
			assert.Equal(t, []string{"site"}, cookieNames(s.Jar().Cookies(sibling)), "a cookie for the site itself is kept")
		}},
		{"cross-domain Set-Cookie", "ignored", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nSet-Cookie: evil=1; Domain=b.test\nContent-Length: 0\n\n")
			s := testSession(t, resolve())
			succeed(t, func() (*Response, error) { return s.Get(at(srv.URL, "a.test")) })
			for _, host := range []string{"a.test", "b.test"} {
				u, _ := url.Parse(at(srv.URL, host))
				assert.Empty(t, s.Jar().Cookies(u), host)
			}
		}},
		{"Set-Cookie flood", "at most MaxSetCookies stored", func(t *testing.T) {
			var b strings.Builder
			b.WriteString("HTTP/1.1 200 OK\r\n")
			for i := range 1000 {
				fmt.Fprintf(&b, "Set-Cookie: c%d=%d\r\n", i, i)
			}
			b.WriteString("Content-Length: 0\r\n\r\n")
			srv := faultkit.Listen(t, faultkit.Respond(b.String()))
			s := testSession(t)
			r := succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Len(t, r.Cookies(), 1000, "the response still shows them all")
			u, _ := url.Parse(srv.URL)
			names := cookieNames(s.Jar().Cookies(u))
			assert.Len(t, names, MaxSetCookies)
			assert.Contains(t, names, "c0")
			assert.NotContains(t, names, "c50")
		}},
		{"307 answered before the upload was read", "success: the seekable body is replayed whole", func(t *testing.T) {
			var got atomic.Int64
			final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				got.Store(n)
			}))
			t.Cleanup(final.Close)
			early := faultkit.Listen(t, func(c *faultkit.Conn) {
				req, err := http.ReadRequest(c.Reader()) // headers only: the body stays unread
				if err != nil {
					return
				}
				_ = req
				io.WriteString(c, faultkit.CRLF("HTTP/1.1 307 Temporary Redirect\nLocation: "+final.URL+"\nContent-Length: 0\nConnection: close\n\n"))
			})
			body := bytes.Repeat([]byte("u"), 8<<20)
			succeed(t, func() (*Response, error) { return testSession(t).Post(early.URL, Data(bytes.NewReader(body))) })
			assert.EqualValues(t, len(body), got.Load())
		}},
		{"413 answered before the upload was read", "the 413 Response, never a reset", func(t *testing.T) {
			early := faultkit.Listen(t, func(c *faultkit.Conn) {
				if _, err := http.ReadRequest(c.Reader()); err != nil { // headers only
					return
				}
				io.WriteString(c, faultkit.CRLF("HTTP/1.1 413 Content Too Large\nContent-Length: 8\nConnection: close\n\ntoo big!"))
			})
			for _, data := range []any{bytes.Repeat([]byte("u"), 8<<20), io.LimitReader(zeros{}, 8<<20)} {
				r := succeed(t, func() (*Response, error) { return testSession(t).Post(early.URL, Data(data)) })
				assert.Equal(t, http.StatusRequestEntityTooLarge, r.StatusCode)
				assert.Equal(t, "too big!", r.Text())
			}
		}},
	}
}
