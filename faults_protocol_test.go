package requests

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/go-requests/requests/internal/faultkit"
)

func protocolScenarios() []scenario {
	refused := func(response string) func(t *testing.T) {
		return func(t *testing.T) {
			srv := raw(t, response)
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}
	}
	badFraming := func(response string) func(t *testing.T) {
		return func(t *testing.T) {
			srv := raw(t, response)
			err := fail(t, ErrInvalidHeader, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.ErrorIs(t, err, ErrConnection)
			assert.NotErrorIs(t, err, ErrChunkedEncoding)
		}
	}
	chunked := "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"
	return []scenario{
		{"garbage status line", "ErrConnection", refused("HELLO WORLD\n\n")},
		{"status code out of range", "ErrConnection", refused("HTTP/1.1 2000 OK\nContent-Length: 0\n\n")},
		{"status code not a number", "ErrConnection", refused("HTTP/1.1 abc OK\nContent-Length: 0\n\n")},
		{"malformed protocol version", "ErrConnection", refused("http/1.1 200 OK\nContent-Length: 0\n\n")},
		{"negative status code", "ErrConnection", refused("HTTP/1.1 -200 OK\nContent-Length: 0\n\n")},
		// As http.client (UnknownProtocol, BadStatusLine): only HTTP/1.x
		// answers an HTTP/1 request, an "HTTP/0.9" status line read as 1.0.
		{"status line HTTP/0.5", "ErrConnection", refused("HTTP/0.5 200 OK\nContent-Length: 0\n\n")},
		{"status line HTTP/2.0 on HTTP/1", "ErrConnection", refused("HTTP/2.0 200 OK\nContent-Length: 0\n\n")},
		{"status line HTTP/3.0", "ErrConnection", refused("HTTP/3.0 200 OK\nContent-Length: 2\n\nok")},
		{"HTTP/0.9 reply without a status line", "ErrConnection", refused("<html>hello</html>")},
		{"status line HTTP/0.9", "success, as HTTP/1.0", func(t *testing.T) {
			srv := raw(t, "HTTP/0.9 200 OK\nContent-Length: 2\n\nok")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "ok", r.Text())
		}},
		{"status line HTTP/1.9", "success, as HTTP/1.1", func(t *testing.T) {
			srv := raw(t, "HTTP/1.9 200 OK\nContent-Length: 2\n\nok")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "ok", r.Text())
		}},
		{"status line without a reason", "success, the reason from the code", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 404\nContent-Length: 0\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, 404, r.StatusCode)
			assert.Equal(t, "Not Found", r.Reason)
		}},
		// urllib3 raises InvalidHeader for unmatching Content-Length values
		// (requests' InvalidHeader); these match it and ErrConnection.
		{"conflicting Content-Length", "ErrInvalidHeader and ErrConnection", badFraming("HTTP/1.1 200 OK\nContent-Length: 5\nContent-Length: 6\n\nhello!")},
		{"conflicting Content-Length in one header", "ErrInvalidHeader and ErrConnection", badFraming("HTTP/1.1 200 OK\nContent-Length: 5, 6\n\nhello!")},
		{"negative Content-Length", "ErrInvalidHeader and ErrConnection", badFraming("HTTP/1.1 200 OK\nContent-Length: -5\n\nhello")},
		{"Content-Length not a number", "ErrInvalidHeader and ErrConnection", badFraming("HTTP/1.1 200 OK\nContent-Length: 5x\n\nhello")},
		{"empty Content-Length", "ErrInvalidHeader and ErrConnection", badFraming("HTTP/1.1 200 OK\nContent-Length: \n\nhello")},
		{"the same Content-Length twice", "success", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 5\nContent-Length: 5\n\nhello")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "hello", r.Text())
		}},
		{"unsupported Transfer-Encoding", "ErrConnection", refused("HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked\n\n0\n\n")},
		{"Transfer-Encoding identity", "ErrConnection", refused("HTTP/1.1 200 OK\nTransfer-Encoding: identity\n\nabc")},
		{"Transfer-Encoding chunked twice", "ErrConnection", refused("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n0\n\n")},
		{"Transfer-Encoding with Content-Length", "success: chunked framing wins, nothing smuggled", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "hello", r.Text())
		}},
		{"chunk size not hex", "ErrChunkedEncoding", func(t *testing.T) {
			srv := raw(t, chunked+"zz\nhello\n0\n\n")
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"chunk size overflow", "ErrChunkedEncoding", func(t *testing.T) {
			srv := raw(t, chunked+"fffffffffffffffffff\nhello\n0\n\n")
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"chunk longer than its size", "ErrChunkedEncoding", func(t *testing.T) {
			srv := raw(t, chunked+"3\nhello\n0\n\n")
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"header flood past 1 MiB", "ErrConnection, without reading it all", func(t *testing.T) {
			flood := strings.Repeat("X-Flood: "+strings.Repeat("a", 100)+"\r\n", 20000) // 2.2 MB
			srv := faultkit.Listen(t, faultkit.Respond("HTTP/1.1 200 OK\r\n"+flood+"Content-Length: 0\r\n\r\n"))
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Contains(t, err.Error(), "exceeded")
		}},
		{"one endless header line", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				if _, err := c.ReadRequest(); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Long: ")
				io.Copy(c, io.LimitReader(strings.NewReader(strings.Repeat("a", 4<<20)), 4<<20))
			})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"1xx flood past 1 MiB", "ErrConnection", func(t *testing.T) {
			// The header limit counts the informational responses too.
			hint := "HTTP/1.1 103 Early Hints\r\nLink: <" + strings.Repeat("a", 1000) + ">\r\n\r\n"
			srv := faultkit.Listen(t, faultkit.Respond(strings.Repeat(hint, 2000)+"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Contains(t, err.Error(), "exceeded")
		}},
		{"fifty 1xx, then the answer", "success", func(t *testing.T) {
			srv := raw(t, strings.Repeat("HTTP/1.1 103 Early Hints\nLink: </a>\n\n", 50)+"HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "ok", r.Text())
		}},
		{"HEAD answered with a Content-Length", "success, empty body, connection reused", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				for {
					if _, err := c.ReadRequest(); err != nil {
						return
					}
					io.WriteString(c, faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 1000\nContent-Encoding: gzip\n\n"))
				}
			})
			s := testSession(t)
			for range 3 {
				r := succeed(t, func() (*Response, error) { return s.Head(srv.URL) })
				assert.Empty(t, r.Content())
			}
			assert.Equal(t, 1, srv.Accepted())
		}},
		{"204 with a body", "success, empty body; the stray bytes never pass for the next answer", desyncAfter("HTTP/1.1 204 No Content\nContent-Length: 5\n\n", 204)},
		{"chunked 204 with a body", "success, empty body; the stray bytes never pass for the next answer", desyncAfter("HTTP/1.1 204 No Content\nTransfer-Encoding: chunked\n\n", 204)},
		{"chunked 304 with a body", "success, empty body; the stray bytes never pass for the next answer", desyncAfter("HTTP/1.1 304 Not Modified\nTransfer-Encoding: chunked\n\n", 304)},
		{"101 Switching Protocols nobody asked for", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 101 Switching Protocols\nUpgrade: x\nConnection: Upgrade\n\nendless")))
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"304 with a Content-Length", "success, empty body", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 304 Not Modified\nContent-Length: 100\nContent-Encoding: br\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, 304, r.StatusCode)
			assert.Empty(t, r.Content())
		}},
		{"NUL in a header value", "ErrConnection", refused("HTTP/1.1 200 OK\nX-A: a\x00b\nContent-Length: 0\n\n")},
		{"header line without a colon", "ErrConnection", refused("HTTP/1.1 200 OK\nX-A a\nContent-Length: 0\n\n")},
		{"control byte in a header name", "ErrConnection", refused("HTTP/1.1 200 OK\nX\x01A: b\nContent-Length: 0\n\n")},
		{"bare CR in a header value", "ErrConnection", refused("HTTP/1.1 200 OK\nX-A: b\rc\nContent-Length: 0\n\n")},
		{"headers never end", "ErrConnection", refused("HTTP/1.1 200 OK\nContent-Length: 0\n")},
		{"unknown Content-Encoding", "ErrContentDecoding", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Encoding: compress\nContent-Length: 2\n\nab")
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"corrupt gzip", "ErrContentDecoding", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: 8\n\nnot gzip")
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"truncated gzip", "ErrContentDecoding", func(t *testing.T) {
			z := gzipped(t, []byte(strings.Repeat("hello ", 100)), 1)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: %d\n\n", len(z)/2), z[:len(z)/2])
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"five stacked codings", "success", func(t *testing.T) {
			z := gzipped(t, []byte("deep"), 5)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip, gzip, gzip, gzip, gzip\nContent-Length: %d\n\n", len(z)), z)
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "deep", r.Text())
		}},
		{"six stacked codings", "ErrContentDecoding", func(t *testing.T) {
			z := gzipped(t, []byte("deep"), 6)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip, gzip, gzip\nContent-Encoding: gzip, gzip, gzip\nContent-Length: %d\n\n", len(z)), z)
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
	}
}

// desyncAfter is a scenario where a server follows a bodiless response
// (head) with a whole second response on the same connection: read as the
// answer to the next call on that connection, it would desynchronise every
// call after it. The next call must use a new connection.
func desyncAfter(head string, status int) func(t *testing.T) {
	return func(t *testing.T) {
		srv := faultkit.Listen(t, func(c *faultkit.Conn) {
			if _, err := c.ReadRequest(); err != nil {
				return
			}
			io.WriteString(c, faultkit.CRLF(head+"HTTP/1.1 200 OK\nContent-Length: 8\n\nsmuggled"))
			c.Hold()
		})
		s := testSession(t)
		for range 3 {
			r := succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Equal(t, status, r.StatusCode)
			assert.Empty(t, r.Content())
		}
		assert.Equal(t, 3, srv.Accepted(), "a connection with stray bytes is never reused")
	}
}
