package requests

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/go-requests/requests/internal/faultkit"
)

// closeAfterFirst answers the first request of a connection and keeps it
// alive, then reads the next request on it and closes without answering:
// a server that dropped an idle keep-alive connection just as it was reused.
// Later connections are answered normally.
func closeAfterFirst() faultkit.Handler {
	var conns atomic.Int64
	ok := faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
	return func(c *faultkit.Conn) {
		first := conns.Add(1) == 1
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		io.WriteString(c, ok)
		if _, err := c.ReadRequest(); err != nil || first {
			return
		}
		io.WriteString(c, ok)
		c.Hold()
	}
}

func connectionScenarios() []scenario {
	return []scenario{
		{"connection refused", "ErrConnection with the *net.OpError", func(t *testing.T) {
			addr := closedPort(t)
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get("http://" + addr + "/") })
			var op *net.OpError
			assert.ErrorAs(t, err, &op)
			assert.NotErrorIs(t, err, ErrTimeout)
		}},
		{"name that does not resolve", "ErrConnection with the *net.DNSError", func(t *testing.T) {
			dns := DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
				return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "nowhere.test", IsNotFound: true}}
			})
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t, dns).Get("http://nowhere.test/") })
			var dnsErr *net.DNSError
			assert.ErrorAs(t, err, &dnsErr)
		}},
		{"reset before the response", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.Reset())
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"reset mid-headers", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.ResetAfter("HTTP/1.1 200 OK\r\nContent-Le"))
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"reset mid-body", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.ResetAfter(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"closed without a byte", "ErrConnection", func(t *testing.T) {
			srv := raw(t, "")
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"closed before the request is read", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"idle keep-alive connection closed by the server, GET", "success: replayed on a new connection", func(t *testing.T) {
			srv := faultkit.Listen(t, closeAfterFirst())
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			r := succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Equal(t, "ok", r.Text())
			assert.Equal(t, 2, srv.Accepted())
		}},
		{"idle keep-alive connection closed by the server, POST", "ErrConnection: not replayed", func(t *testing.T) {
			srv := faultkit.Listen(t, closeAfterFirst())
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			fail(t, ErrConnection, func() (*Response, error) { return s.Post(srv.URL, Data("once")) })
			assert.Equal(t, 1, srv.Accepted(), "the POST was not sent again")
		}},
		{"truncated body with Content-Length", "ErrChunkedEncoding with io.ErrUnexpectedEOF", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\n"), []byte("short")))
			err := fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		}},
		{"truncated chunked body without the last chunk", "ErrChunkedEncoding", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"), []byte("5\r\nhello\r\n")))
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"truncated chunked body mid-chunk", "ErrChunkedEncoding", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"), []byte("a\r\nhel")))
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"body without a length ends at close", "success with the bytes sent", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\n\nall of it")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "all of it", r.Text())
		}},
	}
}
