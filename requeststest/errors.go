package requeststest

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// Failures a route can return with Fail, or a body can end with (see
// Reply.FailAfter). They are the errors a real connection gives, so that a
// requests Session classifies them as it would the real ones.
var (
	// ErrReset is a connection reset by the server after the request was
	// sent. requests reports it as ErrConnection; it matches
	// syscall.ECONNRESET.
	ErrReset error = &net.OpError{Op: "read", Net: "tcp", Addr: mockAddr, Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	// ErrRefused is a connection the server refused: nothing was sent.
	// requests reports it as ErrConnection, and retries it for any method.
	ErrRefused error = &net.OpError{Op: "dial", Net: "tcp", Addr: mockAddr, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	// ErrTimeout is a read that timed out: a net.Error whose Timeout is
	// true. requests reports it as ErrReadTimeout, before the headers (Fail)
	// or during the body (FailAfter).
	ErrTimeout error = &net.OpError{Op: "read", Net: "tcp", Addr: mockAddr, Err: os.ErrDeadlineExceeded}
)

// ErrNoRoute is what a call to a Mock fails with when no route matches
// the request; the error's message lists the closest routes and why each
// did not match.
var ErrNoRoute = errors.New("requeststest: no route matches")

// ErrNotRecorded is what a replaying Cassette fails with when it holds no
// exchange for the request; the message names the nearest recorded one.
var ErrNotRecorded = errors.New("requeststest: no recorded exchange")

// mockAddr is the address a Mock's connections pretend to have.
var mockAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}
