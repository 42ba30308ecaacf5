package requests

import (
	"context"
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
// Its timeouts are in timeout.go.
type call struct {
	context.Context
	cfg    *config
	cancel context.CancelCauseFunc

	mu        sync.Mutex              // guards creating w, and the attempt's context
	w         atomic.Pointer[watch]   // the call's timer, once armed; nil again after release
	try       context.Context         // the current attempt's, under a Retry policy
	tryCancel context.CancelCauseFunc // cancels try
	reading   atomic.Bool             // phase: false while connecting
	released  atomic.Bool
	ownTrace  bool // Value hands out trace itself, without a context layer
	ephemeral bool // jar is made for this call on the first Set-Cookie
	firstUsed bool
	tries     int32 // the retries made of the request on the wire
	trace     httptrace.ClientTrace
	jar       http.CookieJar // the call's jar: the Session's, or one for this call only
	first     Response       // the call's first Response, allocated with it
	req       http.Request   // the call's first request, allocated with it
	// hdr is room for the header values of the call's request: the three
	// defaults and one more (Content-Type, Cookie or Authorization); further
	// values are allocated. It is kept small, as the whole call is, to fit
	// its size class (call_test.go).
	hdr    [4]string
	rawURL string      // the URL as the caller spelt it (Do)
	bodies []io.Closer // request bodies sent, closed by release (see track)
	ext    *callExt    // what the optional features keep, made by the first that needs it
}

// callExt is the state of the features a plain call does not use, kept
// apart so that the call stays within its size class (call_test.go).
type callExt struct {
	mwBase http.RoundTripper // what mwRT wraps (see wrapped)
	mwRT   http.RoundTripper
	at     *attemptTrace // the current attempt's record, under Trace(true)
	prot   protState     // what RateLimit, CircuitBreaker and Endpoints did (protect.go)
	// idempotencyKey is the call's Idempotency-Key, once one is needed.
	idempotencyKey string
}

// x is the call's callExt, made on first use. Only the call's own
// goroutine makes it.
func (c *call) x() *callExt {
	if c.ext == nil {
		c.ext = new(callExt)
	}
	return c.ext
}

// attempt is the current attempt's trace record, nil without Trace(true).
func (c *call) attempt() *attemptTrace {
	if c.ext == nil {
		return nil
	}
	return c.ext.at
}

type callKey struct{}

func newCall(c *config) *call {
	cl := &call{}
	cl.init(c)
	return cl
}

// ownedCall is a call with the settings its options made, allocated with it.
type ownedCall struct {
	call
	own config
}

// newCall starts a call with the Session's defaults and opts applied. A call
// without options reads the Session's settings in place (they are never
// written once published), saving a copy of them per call.
func (s *Session) newCall(opts []Option) *call {
	if len(opts) == 0 {
		return newCall(s.cfg.Load())
	}
	base := s.cfg.Load()
	oc := &ownedCall{own: *base}
	oc.own.applyCall(opts)
	if err := checkShape(base, &oc.own); err != nil {
		oc.own.err = err
	}
	oc.init(&oc.own)
	return &oc.call
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
	if c.ConnectTimeout > 0 || c.ReadTimeout > 0 || c.Retry != nil {
		// A Retry policy needs the phase too: a failure before a
		// connection was had means nothing reached the server.
		cl.trace.GotConn = cl.gotConn
		// A trace the caller's context carries must be composed with ours,
		// which WithClientTrace does. Under Trace(true) each attempt
		// carries a trace of its own instead (see startAttempt).
		cl.ownTrace = !c.Trace && traceKey != nil && httptrace.ContextClientTrace(parent) == nil
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
	if c.trace.GotConn == nil || c.ownTrace || c.cfg.Trace {
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
// reads. No body (nil or http.NoBody) is returned as it is.
func (c *call) timedUpload(rc io.ReadCloser) io.ReadCloser {
	if rc == nil || rc == http.NoBody {
		return rc
	}
	return &timedUpload{rc: rc, c: c}
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
// response having been drained and closed by now. Under Trace(true) the
// attempt's context carries its own trace (with the call's GotConn in it).
func (c *call) startAttempt(req *http.Request) *http.Request {
	c.reading.Store(false)
	if c.cfg.Trace {
		c.x().at = newAttemptTrace(c)
		var ctx context.Context = c
		if c.cfg.Retry != nil {
			ctx = c.newTry()
		}
		req = req.WithContext(httptrace.WithClientTrace(ctx, &c.ext.at.trace))
	} else if c.cfg.Retry != nil {
		ctx := c.newTry()
		if c.trace.GotConn != nil && !c.ownTrace {
			ctx = httptrace.WithClientTrace(ctx, &c.trace)
		}
		req = req.WithContext(ctx)
	}
	if d := c.cfg.ConnectTimeout; d > 0 {
		c.arm(d)
	} else {
		c.stop()
	}
	return req
}

// newTry starts the context of an attempt under a Retry policy, ending the
// previous attempt's.
func (c *call) newTry() context.Context {
	ctx, cancel := context.WithCancelCause(c)
	c.mu.Lock()
	prev := c.tryCancel
	c.try, c.tryCancel = ctx, cancel
	c.mu.Unlock()
	if prev != nil {
		prev(context.Canceled)
	}
	return ctx
}

// connecting reports whether the current attempt is known to be still
// connecting: the call watches the phase (it does whenever a connect
// timeout is set) and no connection was had yet.
func (c *call) connecting() bool { return c.trace.GotConn != nil && !c.reading.Load() }

// sent reports whether the current attempt got a connection, after which
// the request may have reached the server.
func (c *call) sent() bool { return c.reading.Load() }

func (c *call) gotConn(httptrace.GotConnInfo) {
	c.reading.Store(true)
	c.armRead()
}

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

// cookieJar is the jar that stores the call's cookies. The package-level
// Session keeps none between calls, but cookies still flow within one call's
// redirect chain, in a jar made for that call.
func (c *call) cookieJar() http.CookieJar {
	if c.jar == nil && c.ephemeral {
		c.jar, _ = cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	}
	return c.jar
}

// track adds a request body to those release closes, or closes it now if
// the call has ended.
func (c *call) track(b io.Closer) {
	c.mu.Lock()
	if c.released.Load() {
		c.mu.Unlock()
		b.Close()
		return
	}
	c.bodies = append(c.bodies, b)
	c.mu.Unlock()
}

// sleep waits d, or until the call's context ends. No timeout is armed
// meanwhile: waiting is neither connecting nor reading.
func (c *call) sleep(d time.Duration) error {
	if d <= 0 {
		return context.Cause(c)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.Done():
		return context.Cause(c)
	}
}
