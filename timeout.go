package requests

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
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
//
// A fired timeout cancels the call, which ends it. Under a Retry policy each
// request put on the wire (an attempt) runs instead under a child context of
// the call, and a timeout cancels only that attempt, so that the next one
// starts afresh.
type call struct {
	context.Context
	cfg    *config
	cancel context.CancelCauseFunc
	own    config // cfg, when the call merged its options itself (Do)

	mu        sync.Mutex              // guards creating w, and the attempt's context
	w         atomic.Pointer[watch]   // the call's timer, once armed; nil again after release
	try       context.Context         // the current attempt's, under a Retry policy
	tryCancel context.CancelCauseFunc // cancels try
	reading   atomic.Bool             // phase: false while connecting
	released  atomic.Bool
	trace     httptrace.ClientTrace
	ownTrace  bool           // Value hands out trace itself, without a context layer
	jar       http.CookieJar // the call's jar: the Session's, or one for this call only
	ephemeral bool           // jar is made for this call on the first Set-Cookie
	first     Response       // the call's first Response, allocated with it
	req       http.Request   // the call's first request, allocated with it
	upload    timedUpload    // the call's first request body, allocated with it
	hdr       [8]string      // room for the header values of the call's request
	rawURL    string         // the URL as the caller spelt it (Do)
	firstUsed bool
	bodies    []io.Closer // request bodies sent, closed by release (see track)
}

type callKey struct{}

// errNilRequest is the cause when Send is given no request.
var errNilRequest = errors.New("nil request")

func newCall(c *config) *call {
	cl := &call{}
	cl.init(c)
	return cl
}

// newCall starts a call with the Session's defaults and opts applied, its
// settings allocated with it.
func (s *Session) newCall(opts []Option) *call {
	cl := &call{own: *s.cfg.Load()}
	for _, o := range opts {
		o.apply(&cl.own)
	}
	cl.init(&cl.own)
	return cl
}

func (cl *call) init(c *config) {
	cl.cfg, cl.jar = c, c.jar
	parent := c.ctx
	if parent == nil {
		parent = context.Background()
	}
	cl.Context, cl.cancel = context.WithCancelCause(parent)
	if onCall != nil {
		onCall(1)
	}
	if c.connectTimeout > 0 || c.readTimeout > 0 || c.retry != nil {
		// A Retry policy needs the phase too: a failure before a
		// connection was had means nothing reached the server.
		cl.trace.GotConn = cl.gotConn
		// A trace the caller's context carries must be composed with ours,
		// which WithClientTrace does.
		cl.ownTrace = traceKey != nil && httptrace.ContextClientTrace(parent) == nil
	}
}

// traceKey is the key under which httptrace looks a ClientTrace up, learnt
// once by asking a context that records the key it is asked for. With it, a
// call answers for its trace itself instead of adding a context layer per
// call. Should httptrace ever find traces another way, traceKey is nil and
// calls use WithClientTrace.
var traceKey = func() any {
	var r keyRecorder
	httptrace.ContextClientTrace(&r)
	return r.key
}()

type keyRecorder struct {
	context.Context
	key any
}

func (r *keyRecorder) Value(key any) any {
	r.key = key
	return nil
}

// Value hands the call to the transport's hooks.
func (c *call) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return c
	}
	if c.ownTrace && key == traceKey {
		return &c.trace
	}
	return c.Context.Value(key)
}

// context is what requests carry: the call, with the timeout trace if any.
func (c *call) context() context.Context {
	if c.trace.GotConn == nil || c.ownTrace {
		return c
	}
	return httptrace.WithClientTrace(c, &c.trace)
}

// response returns the storage for the call's next Response: the one
// allocated with the call for the first, a new one after that (redirect hops).
func (c *call) response() *Response {
	if c.firstUsed {
		return new(Response)
	}
	c.firstUsed = true
	return &c.first
}

// urlString is u.String(), or the caller's own spelling of the URL when it
// is the same, which costs nothing.
func (c *call) urlString(u *url.URL) string {
	if c.rawURL != "" && spells(u, c.rawURL) {
		return c.rawURL
	}
	return u.String()
}

// timedUpload returns rc with the read timeout re-armed at each of its
// reads, in the room the call has for its first request body.
func (c *call) timedUpload(rc io.ReadCloser) io.ReadCloser {
	if c.upload.c != nil {
		return &timedUpload{rc: rc, c: c}
	}
	c.upload = timedUpload{rc: rc, c: c}
	return &c.upload
}

// callOf returns the call a request belongs to, if it was sent by a Session.
func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// onCall, when set (by tests), is told of every call started (+1) and
// released (-1), so that tests can prove no call keeps a timer or context.
var onCall func(delta int)

// startAttempt arms the connect phase for one request on the wire, and
// returns the request to send. Under a Retry policy that is req with the
// attempt's own context; the previous attempt's context ends here, its
// response having been drained and closed by now.
func (c *call) startAttempt(req *http.Request) *http.Request {
	c.reading.Store(false)
	if c.cfg.retry != nil {
		ctx, cancel := context.WithCancelCause(c)
		c.mu.Lock()
		prev := c.tryCancel
		c.try, c.tryCancel = ctx, cancel
		c.mu.Unlock()
		if prev != nil {
			prev(context.Canceled)
		}
		if c.trace.GotConn != nil && !c.ownTrace {
			ctx = httptrace.WithClientTrace(ctx, &c.trace)
		}
		req = req.WithContext(ctx)
	}
	if d := c.cfg.connectTimeout; d > 0 {
		c.arm(d)
	} else {
		c.stop()
	}
	return req
}

// sent reports whether the current attempt got a connection, after which
// the request may have reached the server.
func (c *call) sent() bool { return c.reading.Load() }

func (c *call) gotConn(httptrace.GotConnInfo) {
	c.reading.Store(true)
	c.armRead()
}

// armRead starts (or restarts) the wait for the server.
func (c *call) armRead() {
	if d := c.cfg.readTimeout; d > 0 {
		c.arm(d)
	} else {
		c.stop()
	}
}

func (c *call) arm(d time.Duration) {
	w := c.w.Load()
	if w == nil {
		c.mu.Lock()
		if w = c.w.Load(); w == nil {
			if c.released.Load() {
				c.mu.Unlock()
				return // nothing more to time; the context is already done
			}
			w = watches.Get().(*watch)
			w.attach(c)
			c.w.Store(w)
		}
		c.mu.Unlock()
	}
	w.arm(c, d)
}

// stop disarms the timer: while the caller holds a streamed body and does
// not read, no timeout runs, as with requests' socket timeout.
func (c *call) stop() {
	if w := c.w.Load(); w != nil {
		w.arm(c, 0)
	}
}

// watch is a timer bound once to its own fire method and pooled, so that
// timing a call costs no allocation. It serves one call at a time, from the
// call's first arm to its release; only then does it go back to the pool.
//
// Arming and stopping only move the due time: the timer itself is reset
// only when it must run earlier than it is set to. When it runs early (the
// due time moved on, or was cleared), it sets itself for the due time, or
// idles. Re-arming around every read of a body thus costs no timer update.
type watch struct {
	mu    sync.Mutex
	timer *time.Timer
	call  *call
	due   time.Duration // when the call times out, on the clock of now; 0 when stopped
	at    time.Duration // when the timer is set to run; 0 when it is idle
}

// epoch anchors the watches' clock: time.Since(epoch) reads the monotonic
// clock only, half the work of time.Now, which arming does on every read.
var epoch = time.Now()

func now() time.Duration { return time.Since(epoch) }

var watches = sync.Pool{New: func() any {
	w := new(watch)
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
	return w
}}

func (w *watch) attach(c *call) {
	w.mu.Lock()
	w.call = c
	w.mu.Unlock()
}

// arm makes c time out d from now; d == 0 stops it. It does nothing once
// the watch no longer serves c (a read racing with the call's release).
func (w *watch) arm(c *call, d time.Duration) {
	w.mu.Lock()
	if w.call != c {
		w.mu.Unlock()
		return
	}
	if d <= 0 {
		w.due = 0
	} else {
		w.due = now() + d
		if w.at == 0 || w.due < w.at {
			w.at = w.due
			w.timer.Reset(d)
		}
	}
	w.mu.Unlock()
}

// fire runs when the timer expires. The call times out only if its due time
// has come; otherwise the timer is set again for the due time, or left idle
// when there is none. So a run that started before a re-arm or a stop (for
// this call or the next one the watch serves) does nothing wrong.
func (w *watch) fire() {
	w.mu.Lock()
	w.at = 0
	c := w.call
	if w.due == 0 || c == nil {
		w.mu.Unlock()
		return
	}
	if left := w.due - now(); left > 0 {
		w.at = w.due
		w.timer.Reset(left)
		w.mu.Unlock()
		return
	}
	w.due = 0
	w.mu.Unlock()
	c.fire()
}

// detach stops the timer and returns the watch to the pool. (A timer left
// running would keep a watch the pool has dropped alive until it fires.)
func (w *watch) detach() {
	w.mu.Lock()
	w.timer.Stop()
	w.call, w.due, w.at = nil, 0, 0
	w.mu.Unlock()
	watches.Put(w)
}

// fire ends the current attempt (or the call) with the timeout due.
func (c *call) fire() {
	c.mu.Lock()
	cancel := c.tryCancel
	c.mu.Unlock()
	if cancel == nil {
		cancel = c.cancel
	}
	if c.reading.Load() {
		cancel(ErrReadTimeout)
	} else {
		cancel(ErrConnectTimeout)
	}
}

// timeoutCause reports the timeout that ended the call, or its current
// attempt, if one did.
func (c *call) timeoutCause() error {
	var ctx context.Context = c.Context
	c.mu.Lock()
	if c.try != nil {
		ctx = c.try
	}
	c.mu.Unlock()
	switch cause := context.Cause(ctx); cause {
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
	streamClosed(c)
	c.mu.Lock()
	if w := c.w.Swap(nil); w != nil {
		w.detach()
	}
	c.mu.Unlock()
	c.cancel(context.Canceled)
	if onCall != nil {
		onCall(-1)
	}
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
// server that stops reading it is. It also tells when the Transport is done
// with the body (see rewind).
type timedUpload struct {
	rc io.ReadCloser
	c  *call

	doneOnce, closeOnce sync.Once
	done                chan struct{} // closed by Close
}

func (b *timedUpload) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.c.reading.Load() {
		b.c.armRead()
	}
	return n, err
}

func (b *timedUpload) Close() error {
	err := b.rc.Close()
	b.closeOnce.Do(func() { close(b.closed()) })
	return err
}

// closed is closed once the body is.
func (b *timedUpload) closed() chan struct{} {
	b.doneOnce.Do(func() { b.done = make(chan struct{}) })
	return b.done
}

// rewind returns the body of req, a request of this call already sent, to
// send it again; why names what needs it. It first waits until the
// RoundTripper has closed the body it was given: net/http's Transport may
// still read it after the server answered (to check its length), and a
// seekable reader rewound before that would be read to its end by the old
// request instead of the new one. A RoundTripper that keeps the body longer
// than the read timeout fails the call rather than have it send half a body.
func (c *call) rewind(req *http.Request, why string) (io.ReadCloser, error) {
	if req.GetBody == nil {
		return nil, wrapErr(req.Method, req.URL, ErrUnrewindableBody, errors.New(why+" needs the body again"))
	}
	if tu, ok := req.Body.(*timedUpload); ok {
		var late <-chan time.Time
		if d := c.cfg.readTimeout; d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			late = t.C
		}
		select {
		case <-tu.closed():
		case <-late:
			return nil, wrapErr(req.Method, req.URL, ErrUnrewindableBody,
				errors.New(why+" needs the body again, and the previous request still holds it"))
		case <-c.Done():
			err, cause := context.Cause(c), c.timeoutCause()
			if cause != nil {
				err = c.timeoutErr(cause)
			}
			return nil, wrapErr(req.Method, req.URL, classify(err, cause), err)
		}
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, wrapErr(req.Method, req.URL, ErrUnrewindableBody, err)
	}
	return b, nil
}

// cookieJar is the jar that stores the call's cookies. The package-level
// Session keeps none between calls, but cookies still flow within one call's
// redirect chain, in a jar made for that call.
func (c *call) cookieJar() http.CookieJar {
	if c.jar == nil && c.ephemeral {
		c.jar, _ = cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	}
	return c.jar
}
