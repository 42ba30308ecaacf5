package requests

import (
	"crypto/tls"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// Trace(true) records the Timings of every attempt: how long each phase
// took and which connection carried it, read with Response.Timings. It is
// off by default, and off it costs nothing.
func Trace(on bool) Option {
	return optionFunc(func(c *config) { c.Trace = on })
}

// Timings are the phases of the attempt that produced a Response (the last
// one, under a Retry policy), as net/http/httptrace reports them. A phase
// that did not happen is zero: DNS for an IP address or a custom dialer,
// DNS, Connect and TLS on a reused connection. Through a proxy, Connect and
// RemoteAddr are the proxy's, and TLS is the origin's handshake inside the
// tunnel.
type Timings struct {
	// DNS is the name lookup, Connect the TCP connect, TLS the handshake.
	DNS, Connect, TLS time.Duration
	// WaitFirstByte runs from the request written to the first byte of
	// the response (the server's time, plus the network's).
	WaitFirstByte time.Duration
	// Total runs from the start of the attempt to the end of its body:
	// read to its end, drained or closed. While a streamed body is still
	// open, it ends at the response headers.
	Total time.Duration
	// Reused reports whether the connection came from the pool.
	Reused bool
	// RemoteAddr is the "ip:port" actually dialled.
	RemoteAddr string
	// Protocol is the response's: "HTTP/1.1", "HTTP/2.0".
	Protocol string
}

// Timings returns the Timings of the attempt that produced the Response;
// each Response in History has its own. It is zero without Trace(true).
func (r *Response) Timings() Timings {
	if r.timing == nil {
		return Timings{}
	}
	return r.timing.timings()
}

// attemptTrace records one attempt's phases. Each attempt has its own, so
// that a callback arriving late (a dial that finishes after its attempt gave
// up, say) lands in a record that has been sealed, and is ignored.
type attemptTrace struct {
	trace httptrace.ClientTrace
	c     *call

	mu                              sync.Mutex
	sealed, done                    bool // the phases, then the body, are over
	start, dns, connect, tls, ready time.Duration
	t                               Timings
}

// newAttemptTrace starts recording an attempt. Its ClientTrace stands in
// for the call's own (whose GotConn it calls), so that each request carries
// one trace.
func newAttemptTrace(c *call) *attemptTrace {
	a := &attemptTrace{c: c, start: now()}
	a.trace = httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { a.mark(&a.dns) },
		DNSDone:              func(httptrace.DNSDoneInfo) { a.since(&a.dns, &a.t.DNS) },
		ConnectStart:         func(string, string) { a.mark(&a.connect) },
		ConnectDone:          a.connectDone,
		TLSHandshakeStart:    func() { a.mark(&a.tls) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { a.since(&a.tls, &a.t.TLS) },
		GotConn:              a.gotConn,
		WroteRequest:         func(httptrace.WroteRequestInfo) { a.remark(&a.ready) },
		GotFirstResponseByte: func() { a.since(&a.ready, &a.t.WaitFirstByte) },
	}
	return a
}

// mark notes when a phase starts, the first time only (several dials may
// race for one connection).
func (a *attemptTrace) mark(at *time.Duration) {
	a.mu.Lock()
	if !a.sealed && *at == 0 {
		*at = now()
	}
	a.mu.Unlock()
}

// remark notes when a phase starts, the last time.
func (a *attemptTrace) remark(at *time.Duration) {
	a.mu.Lock()
	if !a.sealed {
		*at = now()
	}
	a.mu.Unlock()
}

// since sets d to the time since the phase's start.
func (a *attemptTrace) since(at, d *time.Duration) {
	a.mu.Lock()
	if !a.sealed && *at != 0 {
		*d = now() - *at
	}
	a.mu.Unlock()
}

func (a *attemptTrace) connectDone(_, _ string, err error) {
	if err == nil {
		a.since(&a.connect, &a.t.Connect)
	}
}

func (a *attemptTrace) gotConn(info httptrace.GotConnInfo) {
	a.mu.Lock()
	if !a.sealed {
		a.t.Reused = info.Reused
		if info.Conn != nil {
			a.t.RemoteAddr = info.Conn.RemoteAddr().String()
		}
		a.ready = now() // until the request is written
	}
	a.mu.Unlock()
	if a.c.trace.GotConn != nil {
		a.c.gotConn(info)
	}
}

// end seals the phases once the response headers came (hr) or the attempt
// failed (nil).
func (a *attemptTrace) end(hr *http.Response) {
	a.mu.Lock()
	a.sealed = true
	a.t.Total = now() - a.start
	if hr != nil {
		a.t.Protocol = hr.Proto
	} else {
		a.done = true
	}
	a.mu.Unlock()
}

// bodyDone ends Total when the body was read, drained or closed.
func (a *attemptTrace) bodyDone() {
	if a == nil {
		return
	}
	a.mu.Lock()
	if !a.done {
		a.done = true
		a.t.Total = now() - a.start
	}
	a.mu.Unlock()
}

func (a *attemptTrace) timings() Timings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.t
}
