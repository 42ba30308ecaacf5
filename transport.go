package requests

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Transport tuning shared by every Session. Named so that a reader can see
// them; they are not meant to be changed at run time.
const (
	// idleConnTimeout is how long an idle pooled connection is kept.
	idleConnTimeout = 90 * time.Second
	// maxIdlePools bounds a Transport's idle connections to this many
	// hosts' pools (MaxIdleConns = maxIdlePools * PoolSize), as requests'
	// PoolManager keeps pool_connections (10) pools: a Session calling
	// many hosts does not keep an idle connection to each of them.
	maxIdlePools = 10
	// maxResponseHeaderBytes bounds the response headers a server may send
	// (1xx responses included).
	maxResponseHeaderBytes = 1 << 20
)

// h2PingAfter: an HTTP/2 connection silent this long is probed with a ping,
// and closed if the ping is not answered within h2PingTimeout, so a dead
// connection is not handed to the next call and a call waiting on one fails
// instead of hanging. Variables only so that tests can shorten them.
var (
	h2PingAfter   = 30 * time.Second
	h2PingTimeout = 15 * time.Second
)

// dialer is the one net.Dialer behind every Session. It carries no timeout of
// its own: the connect timeout of the call that causes a dial bounds it.
var dialer = &net.Dialer{KeepAlive: 30 * time.Second}

// dialContext dials for a call, bounded by the call's connect timeout. The
// Transport keeps the values of the request's context for the dial (not its
// cancellation), so the call can be found here.
func dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	cl := callOf(ctx)
	if cl == nil {
		return dialer.DialContext(ctx, network, addr)
	}
	if d := cl.cfg.ConnectTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if cl.cfg.DialContext != nil {
		return cl.cfg.DialContext(ctx, network, addr)
	}
	return dialer.DialContext(ctx, network, addr)
}

// newTransport builds the tuned Transport for one TLS configuration.
func newTransport(key tlsKey, c *config) (*http.Transport, error) {
	tlsCfg, err := key.config()
	if err != nil {
		return nil, err
	}
	return &http.Transport{
		Proxy:                  proxyForRequest,
		GetProxyConnectHeader:  proxyConnectHeader,
		OnProxyConnectResponse: checkProxyConnect,
		DialContext:            dialContext,
		TLSClientConfig:        tlsCfg,
		TLSHandshakeTimeout:    c.ConnectTimeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxIdlePools * max(c.PoolSize, 1),
		MaxIdleConnsPerHost:    c.PoolSize,
		MaxConnsPerHost:        maxConns(c),
		IdleConnTimeout:        idleConnTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		// The library sends its own Accept-Encoding and decodes the body
		// itself, for brotli and zstd and for the body size guard.
		DisableCompression: true,
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: h2PingAfter,
			PingTimeout:     h2PingTimeout,
		},
	}, nil
}

// transport returns the Session's Transport for the call's TLS configuration,
// creating it on first use.
func (s *Session) transport(c *config) (*http.Transport, error) {
	key := c.tls.resolve(c.TrustEnv)
	if m := s.transports.Load(); m != nil {
		if t, ok := (*m)[key]; ok {
			return t, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.transports.Load()
	if old != nil {
		if t, ok := (*old)[key]; ok {
			return t, nil
		}
	}
	t, err := newTransport(key, s.cfg.Load())
	if err != nil {
		return nil, err
	}
	// Copy on write: calls look transports up without a lock.
	m := make(map[tlsKey]*http.Transport, 1)
	if old != nil {
		maps.Copy(m, *old)
	}
	m[key] = t
	s.transports.Store(&m)
	return t, nil
}

// roundTripper picks what sends req: a mounted RoundTripper for its URL, or
// the Session's Transport for the call's TLS settings.
func (s *Session) roundTripper(cl *call, u *url.URL) (http.RoundTripper, error) {
	if s.mounts.Load() != nil {
		if rt := s.mounted(cl.urlString(u)); rt != nil {
			return rt, nil
		}
	}
	return s.transport(cl.cfg)
}

// dropDesynced keeps a connection that a response has poisoned out of the
// pool. A 204 that announces a body (a Content-Length or Transfer-Encoding
// it must not have), or a 304 with a Transfer-Encoding, may be followed by
// body bytes the Transport never reads: left in the connection's buffer,
// they would be read as the answer to the next request on it (RFC 9112
// 6.3: a client must not take such data for a response). The Transport
// puts the connection back in the pool before handing over the response, so
// all of its idle connections are closed: a rare, misbehaving server pays
// for it, and the caller's next call cannot pick the poisoned one up.
func dropDesynced(rt http.RoundTripper, hr *http.Response) {
	if hr.ProtoMajor != 1 {
		return
	}
	chunked := len(hr.TransferEncoding) > 0 // net/http moves the header here
	switch {
	case hr.StatusCode == http.StatusNoContent && (chunked || hr.Header.Get("Content-Length") != "" && hr.Header.Get("Content-Length") != "0"),
		hr.StatusCode == http.StatusNotModified && chunked:
	default:
		return
	}
	if t, ok := rt.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// unknownProtocol reports whether the Transport took for an answer a status
// line that is not HTTP/1.x (net/http parses any "HTTP/d.d"): http.client,
// under requests, raises UnknownProtocol for it, reading "HTTP/0.9" as 1.0.
// An HTTP/2 answer is one only on a connection that negotiated h2. The
// connection it came on is dropped with the others idle, as in
// dropDesynced, so that no later call reads what follows.
func unknownProtocol(rt http.RoundTripper, hr *http.Response) bool {
	switch {
	case hr.ProtoMajor == 1, hr.Proto == "HTTP/0.9":
		return false
	case hr.ProtoMajor == 2 && hr.TLS != nil && hr.TLS.NegotiatedProtocol == "h2":
		return false
	}
	if t, ok := rt.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	return true
}

// maxConns is the cap on connections open to one host: PoolSize under
// PoolBlock, none otherwise (requests' pool_block=False).
func maxConns(c *config) int {
	if c.PoolBlock {
		return c.PoolSize
	}
	return 0
}

// DialFunc dials a network connection, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialContext makes a Session dial with fn instead of its pooled net.Dialer:
// for a fixed resolution (curl's --resolve), a Unix socket, or tests that give
// chosen host names a loopback address. The connect timeout still bounds fn
// through its context. It is a Session setting: given to a single call it has
// no effect.
func DialContext(fn DialFunc) Option {
	return optionFunc(func(c *config) { c.DialContext = fn })
}
