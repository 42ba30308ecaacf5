package requeststest

import (
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/go-requests/requests/internal/faultkit"
)

// Fault is a way for a FaultServer to misbehave.
type Fault int

// The faults, and what requests reports for each.
const (
	// Stall accepts the connection, reads the request and never answers
	// until the test ends: with a Timeout, ErrReadTimeout.
	Stall Fault = iota + 1
	// Reset reads the request and aborts the connection with a TCP RST
	// (SO_LINGER 0, then close): ErrConnection.
	Reset
	// Drip sends the headers, then the body one byte at a time, slowly
	// (see DripInterval): with a Timeout shorter than the interval,
	// ErrReadTimeout; with a longer one, the whole body.
	Drip
	// Truncate sends a Content-Length larger than the body it sends, then
	// closes the connection: ErrChunkedEncoding.
	Truncate
	// Garbage answers the request with bytes that are not HTTP:
	// ErrConnection.
	Garbage
	// TLSAbort is a TLS server (its URL is https://) that answers the
	// client's hello with a handshake_failure alert: ErrSSL.
	TLSAbort
)

var faultNames = map[Fault]string{
	Stall: "Stall", Reset: "Reset", Drip: "Drip", Truncate: "Truncate", Garbage: "Garbage", TLSAbort: "TLSAbort",
}

// String returns the fault's name ("Stall"), for test names and messages.
func (f Fault) String() string {
	if n, ok := faultNames[f]; ok {
		return n
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// FaultServer is a server on 127.0.0.1 that misbehaves on purpose, to test
// how code that uses requests copes with a broken network. It serves every
// connection the same way, and closes the listener and every connection
// when the test ends.
type FaultServer struct {
	// URL is "http://127.0.0.1:PORT" ("https://..." for TLSAbort).
	URL string
	// Addr is "127.0.0.1:PORT".
	Addr string
	// Fault is how the server misbehaves.
	Fault Fault

	srv *faultkit.Server
}

// FaultOption adjusts a FaultServer.
type FaultOption func(*faultConfig)

type faultConfig struct {
	interval time.Duration
	body     string
}

// DefaultDripInterval is the pause between two bytes of a Drip server.
const DefaultDripInterval = 100 * time.Millisecond

// DripInterval sets the pause between two bytes of a Drip server's body
// (DefaultDripInterval by default).
func DripInterval(d time.Duration) FaultOption {
	return func(c *faultConfig) { c.interval = d }
}

// FaultBody sets the body a Drip or Truncate server sends (of which
// Truncate announces twice the length).
func FaultBody(body string) FaultOption {
	return func(c *faultConfig) { c.body = body }
}

// NewFaultServer starts a server that misbehaves as f says. It is closed
// when the test ends; an unknown Fault fails the test at once.
func NewFaultServer(t testing.TB, f Fault, opts ...FaultOption) *FaultServer {
	t.Helper()
	cfg := faultConfig{interval: DefaultDripInterval, body: "0123456789"}
	for _, o := range opts {
		o(&cfg)
	}
	head := func(n int) string {
		return faultkit.CRLF(fmt.Sprintf("HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: %d\n\n", n))
	}
	var h faultkit.Handler
	switch f {
	case Stall:
		h = faultkit.Stall()
	case Reset:
		h = faultkit.Reset()
	case Drip:
		h = faultkit.Drip(head(len(cfg.body)), faultkit.Split([]byte(cfg.body), 1), cfg.interval)
	case Truncate:
		h = faultkit.CloseMidBody(head(2*len(cfg.body)+1), []byte(cfg.body))
	case Garbage:
		h = faultkit.Respond("\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n")
	case TLSAbort:
		h = abortHandshake
	default:
		t.Fatalf("requeststest: NewFaultServer: unknown %v", f)
		return nil
	}
	srv := faultkit.Listen(t, h)
	s := &FaultServer{URL: srv.URL, Addr: srv.Addr, Fault: f, srv: srv}
	if f == TLSAbort {
		s.URL = "https://" + srv.Addr
	}
	return s
}

// Accepted reports how many connections the server has accepted.
func (s *FaultServer) Accepted() int { return s.srv.Accepted() }

// Close closes the listener and every connection, and waits for the
// server to stop. It runs when the test ends; calling it earlier is safe.
func (s *FaultServer) Close() { s.srv.Close() }

// handshakeFailure is a TLS record holding a fatal handshake_failure alert.
var handshakeFailure = []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}

// abortHandshake reads the client's hello (one TLS record) and answers it
// with a fatal alert, ending the handshake.
func abortHandshake(c *faultkit.Conn) {
	var hdr [5]byte
	if _, err := io.ReadFull(c.Reader(), hdr[:]); err != nil {
		return
	}
	n := int(hdr[3])<<8 | int(hdr[4])
	if _, err := io.CopyN(io.Discard, c.Reader(), int64(n)); err != nil {
		return
	}
	_, _ = c.Write(handshakeFailure)
}
