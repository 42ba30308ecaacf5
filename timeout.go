package requests

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/publicsuffix"
)

// call is the state of one call to Do or Send, across its redirects and
// retries. It is the context of every request it sends: its Value method
// hands the call to the transport's dial and proxy hooks without an extra
// context layer, and its cancellation carries the timeout that fired.
//
// requests' timeouts are enforced by one timer per call, in two phases:
// while connecting it is armed with the connect timeout; from the moment a
// connection is had, with the read timeout, re-armed at every write of the
// request body and around every read of the response body. A deadline on the
// net.Conn would leak into the next request on a pooled connection and do
// nothing per stream on HTTP/2.
type call struct {
	context.Context
	cfg    *config
	cancel context.CancelCauseFunc

	mu        sync.Mutex // guards timer creation
	timer     *time.Timer
	reading   atomic.Bool // phase: false while connecting
	released  atomic.Bool
	trace     httptrace.ClientTrace
	jar       http.CookieJar // the call's jar: the Session's, or one for this call only
	ephemeral bool           // jar is made for this call on the first Set-Cookie
	bodies    []io.Closer    // request bodies sent, closed by release (see track)
}

type callKey struct{}

// errNilRequest is the cause when Send is given no request.
var errNilRequest = errors.New("nil request")

func newCall(c *config) *call {
	cl := &call{cfg: c, jar: c.jar}
	parent := c.ctx
	if parent == nil {
		parent = context.Background()
	}
	cl.Context, cl.cancel = context.WithCancelCause(parent)
	if c.connectTimeout > 0 || c.readTimeout > 0 {
		cl.trace.GotConn = cl.gotConn
		cl.trace.WroteRequest = cl.wroteRequest
	}
	return cl
}

// Value hands the call to the transport's hooks.
func (c *call) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// context is what requests carry: the call, with the timeout trace if any.
func (c *call) context() context.Context {
	if c.trace.GotConn == nil {
		return c
	}
	return httptrace.WithClientTrace(c, &c.trace)
}

// callOf returns the call a request belongs to, if it was sent by a Session.
func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// startAttempt arms the connect phase for one request on the wire.
func (c *call) startAttempt() {
	c.reading.Store(false)
	if d := c.cfg.connectTimeout; d > 0 {
		c.arm(d)
	} else {
		c.stop()
	}
}

func (c *call) gotConn(httptrace.GotConnInfo) {
	c.reading.Store(true)
	c.armRead()
}

func (c *call) wroteRequest(httptrace.WroteRequestInfo) { c.armRead() }

// armRead starts (or restarts) the wait for the server.
func (c *call) armRead() {
	if d := c.cfg.readTimeout; d > 0 {
		c.arm(d)
	} else {
		c.stop()
	}
}

func (c *call) arm(d time.Duration) {
	c.mu.Lock()
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.fire)
	} else {
		c.timer.Reset(d)
	}
	c.mu.Unlock()
}

// stop disarms the timer: while the caller holds a streamed body and does
// not read, no timeout runs, as with requests' socket timeout.
func (c *call) stop() {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
}

func (c *call) fire() {
	if c.reading.Load() {
		c.cancel(ErrReadTimeout)
	} else {
		c.cancel(ErrConnectTimeout)
	}
}

// timeoutCause reports the timeout that ended the call, if one did.
func (c *call) timeoutCause() error {
	switch cause := context.Cause(c.Context); cause {
	case ErrConnectTimeout, ErrReadTimeout:
		return cause
	}
	return nil
}

// timeoutErr describes the timeout that ended the call, as a net.Error.
func (c *call) timeoutErr(cause error) error {
	if cause == ErrConnectTimeout {
		return &timeoutError{msg: "no connection within " + c.cfg.connectTimeout.String()}
	}
	return &timeoutError{msg: "server sent nothing for " + c.cfg.readTimeout.String()}
}

// timeoutError is the cause of a timeout the call fired. It is a net.Error
// whose Timeout is true, like the errors of a deadline on a connection.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// release frees the call's timer and context once nothing more will be read.
// It is idempotent.
func (c *call) release() {
	if c.released.Swap(true) {
		return
	}
	c.stop()
	c.cancel(context.Canceled)
	c.mu.Lock()
	bodies := c.bodies
	c.bodies = nil
	c.mu.Unlock()
	for _, b := range bodies {
		b.Close()
	}
}

// timedBody enforces the read timeout on a response body: the timer runs only
// while a Read waits, so a slow consumer of a streamed body is not timed out.
type timedBody struct {
	rc io.ReadCloser
	c  *call
}

func (b *timedBody) Read(p []byte) (int, error) {
	b.c.armRead()
	n, err := b.rc.Read(p)
	b.c.stop()
	if err != nil && err != io.EOF {
		if cause := b.c.timeoutCause(); cause != nil {
			err = b.c.timeoutErr(cause)
		}
	}
	return n, err
}

func (b *timedBody) Close() error { return b.rc.Close() }

// timedUpload re-arms the read timeout at every read of the request body, so
// a long upload that keeps moving is not cut by the read timeout while a
// server that stops reading it is.
type timedUpload struct {
	rc io.ReadCloser
	c  *call
}

func (b *timedUpload) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.c.reading.Load() {
		b.c.armRead()
	}
	return n, err
}

func (b *timedUpload) Close() error { return b.rc.Close() }

// cookieJar is the jar that stores the call's cookies. The package-level
// Session keeps none between calls, but cookies still flow within one call's
// redirect chain, in a jar made for that call.
func (c *call) cookieJar() http.CookieJar {
	if c.jar == nil && c.ephemeral {
		c.jar, _ = cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	}
	return c.jar
}
