package faultkit

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"time"
)

// ReadRequest reads one HTTP/1.x request from conn and reads its whole body
// into memory, so the returned request's Body can still be read and closed
// by the caller. On a *Conn it uses the connection's own buffered reader, so
// successive calls read successive requests of a keep-alive connection;
// on any other net.Conn it uses a new reader, which may buffer and lose
// bytes beyond the first request.
func ReadRequest(conn net.Conn) (*http.Request, error) {
	var br *bufio.Reader
	if c, ok := conn.(*Conn); ok {
		br = c.br
	} else {
		br = bufio.NewReader(conn)
	}
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	return req, err
}

// ReadRequest reads the next request from the connection; see the
// package-level ReadRequest.
func (c *Conn) ReadRequest() (*http.Request, error) { return ReadRequest(c) }

// Hold keeps the connection open, discarding whatever the peer sends, until
// the peer closes it, it fails, or the test ends. It returns true when the
// test ended (Done was closed).
func (c *Conn) Hold() bool {
	return hold(c, c.br)
}

func hold(c *Conn, r io.Reader) bool {
	_, _ = io.Copy(io.Discard, r)
	select {
	case <-c.srv.done:
		return true
	default:
		return false
	}
}

// Sleep pauses for d, returning early with false if the test ends first.
func (c *Conn) Sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.srv.done:
		return false
	}
}

// Reset aborts the connection with a TCP RST: it sets SO_LINGER to zero on
// the underlying TCP connection and closes it.
func (c *Conn) Reset() {
	if tc, ok := c.raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.raw.Close()
}

// Stall reads the request and then never answers: the connection stays open
// until the client gives up or the test ends.
func Stall() Handler {
	return func(c *Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		c.Hold()
	}
}

// Hold accepts the connection and keeps it open without reading a request or
// writing anything, until the client gives up or the test ends. On a
// TLSListen server the handshake still completes, since holding reads
// through TLS; use StallTLSHandshake to stall the handshake itself.
func Hold() Handler {
	return func(c *Conn) { c.Hold() }
}

// StallTLSHandshake accepts the TCP connection but never speaks TLS: the
// client's hello is read and discarded from the raw connection and nothing
// is sent back, until the client gives up or the test ends. It works with
// both Listen and TLSListen.
func StallTLSHandshake() Handler {
	return func(c *Conn) { hold(c, c.raw) }
}

// Respond reads the request, writes raw exactly as given, and closes the
// connection.
func Respond(raw string) Handler {
	return func(c *Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		_, _ = io.WriteString(c, raw)
	}
}

// RespondKeepOpen reads the request, writes raw exactly as given, and then
// keeps the connection open (discarding anything else the client sends)
// until the client closes it or the test ends. A response without a length
// that is held open this way never ends.
func RespondKeepOpen(raw string) Handler {
	return func(c *Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		if _, err := io.WriteString(c, raw); err != nil {
			return
		}
		c.Hold()
	}
}

// Drip reads the request, writes header exactly as given, then writes each
// chunk after waiting interval, and finally closes the connection. It stops
// early if a write fails or the test ends.
func Drip(header string, chunks [][]byte, interval time.Duration) Handler {
	return func(c *Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		if _, err := io.WriteString(c, header); err != nil {
			return
		}
		for _, chunk := range chunks {
			if !c.Sleep(interval) {
				return
			}
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

// Split cuts b into consecutive pieces of at most size bytes, for Drip.
// A size below 1 is treated as 1.
func Split(b []byte, size int) [][]byte {
	if size < 1 {
		size = 1
	}
	var out [][]byte
	for len(b) > 0 {
		n := min(size, len(b))
		out = append(out, b[:n:n])
		b = b[n:]
	}
	return out
}

// CloseMidBody reads the request, writes header and then partial exactly as
// given, and closes the connection cleanly (FIN, not RST). When header
// promises more body than partial holds, the client sees the body end early.
func CloseMidBody(header string, partial []byte) Handler {
	return func(c *Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		if _, err := io.WriteString(c, header); err != nil {
			return
		}
		_, _ = c.Write(partial)
	}
}

// Reset reads the request and then aborts the connection with a TCP RST
// instead of answering.
func Reset() Handler {
	return func(c *Conn) {
		_, _ = c.ReadRequest()
		c.Reset()
	}
}

// ResetAfter reads the request, writes raw exactly as given, and then aborts
// the connection with a TCP RST: a reset after a partial response.
func ResetAfter(raw string) Handler {
	return func(c *Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		_, _ = io.WriteString(c, raw)
		c.Reset()
	}
}
