package requests

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/go-requests/requests/internal/earlyanswer"
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

// dialContext dials for a call with the Transport's dial function (nil: the
// shared dialer), bounded by the call's connect timeout. The Transport keeps
// the values of the request's context for the dial (not its cancellation),
// so the call can be found here.
//
// Every connection holds back a failed write while the response is read
// (internal/earlyanswer): a server that answers before reading the whole
// upload and closes gets its answer to the caller, never a reset instead.
func dialContext(ctx context.Context, dial DialFunc, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = dialer.DialContext
	}
	if cl := callOf(ctx); cl != nil && cl.cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cl.cfg.ConnectTimeout)
		defer cancel()
	}
	c, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return earlyanswer.Wrap(c), nil
}

// transportKey is everything that shapes a Transport. Each distinct key
// gets its own Transport, so that a connection is never reused under
// settings other than the ones it was made with.
type transportKey struct {
	tls tlsKey
	shape
	// connectAuth is the Proxy-Authorization a caller's header sends in
	// CONNECT requests: net/http keys its pool by the proxy URL, credentials
	// in it included, but not by a header, so tunnels opened with one
	// credential would serve calls with another.
	connectAuth string
}

// shape is the part of a transportKey that only a Session sets (NewSession,
// Update): a call that gives other values is refused (ErrSessionOption).
type shape struct {
	poolSize  int
	poolBlock bool
	dial      *DialFunc // the DialContext option's identity; nil for none
	deny      bool
	allow     *allowList
	dnsTTL    time.Duration
	h2c       bool // for http:// calls only: see Session.transport
}

// shapeOf is the shape c asks for.
func shapeOf(c *config) shape {
	return shape{poolSize: c.PoolSize, poolBlock: c.PoolBlock, dial: c.dialID,
		deny: c.DenyPrivateNetworks, allow: c.allow, dnsTTL: c.DNSCache, h2c: c.HTTP2Cleartext}
}

// checkShape refuses a call whose options would shape its connections other
// than its Session does.
func checkShape(session, c *config) error {
	if c.err == nil && shapeOf(c) != shapeOf(session) {
		return errSessionOption
	}
	return nil
}

var errSessionOption = fmt.Errorf("%w: PoolSize, PoolBlock, DialContext, DenyPrivateNetworks, AllowAddresses, DNSCache and HTTP2Cleartext apply to a whole Session (NewSession, Update)", ErrSessionOption)

// newTransport builds the tuned Transport for one key.
func newTransport(key transportKey, c *config, dns *dnsCache) (*http.Transport, error) {
	tlsCfg, err := key.tls.config()
	if err != nil {
		return nil, err
	}
	var dial DialFunc
	if key.dial != nil {
		dial = *key.dial
	}
	if key.deny {
		dial = (&guard{allow: key.allow}).dial(dial)
	}
	if key.dnsTTL > 0 && key.dial == nil {
		if dial == nil {
			dial = dialer.DialContext
		}
		dial = dns.dial(key.dnsTTL, dial)
	}
	t := &http.Transport{
		Proxy:                  proxyForRequest,
		GetProxyConnectHeader:  proxyConnectHeader,
		OnProxyConnectResponse: checkProxyConnect,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialContext(ctx, dial, network, addr)
		},
		TLSClientConfig:        tlsCfg,
		TLSHandshakeTimeout:    c.ConnectTimeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxIdlePools * max(key.poolSize, 1),
		MaxIdleConnsPerHost:    key.poolSize,
		MaxConnsPerHost:        maxConns(key.shape),
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
	}
	if key.h2c {
		t.Protocols = h2cProtocols()
	}
	return t, nil
}

// transport returns the Session's Transport for the call's settings and
// the CONNECT credentials it sends (if any), creating it on first use.
func (s *Session) transport(c *config, u *url.URL, connectAuth string) (*http.Transport, error) {
	key := transportKey{tls: c.tls.resolve(c.TrustEnv), shape: shapeOf(c), connectAuth: connectAuth}
	if key.tls != (tlsKey{}) && u != nil && u.Scheme == "http" && !viaTLSProxy(c, u) {
		// TLS settings do not apply to a plain http call, as in requests:
		// its files are not read for it, and it shares the plain pool.
		key.tls = tlsKey{}
	}
	if key.h2c && (u == nil || u.Scheme != "http") {
		key.h2c = false // h2c is for http:// URLs; https negotiates
	}
	stale := false
	if m := s.transports.Load(); m != nil {
		if t, ok := (*m)[key]; ok {
			if key.tls.caBundle == "" || !s.caChanged(key) {
				return t, nil
			}
			stale = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.transports.Load()
	if old != nil && !stale {
		if t, ok := (*old)[key]; ok {
			return t, nil
		}
	}
	if key.tls.caBundle != "" {
		// Watched from before it is read, so a change while it is read
		// is seen next time.
		s.caWatch.Store(key, newFileWatch(key.tls.caBundle))
	}
	t, err := newTransport(key, s.cfg.Load(), &s.dns)
	if err != nil && stale {
		// Caught being rewritten: the old bundle serves until the next check.
		return (*old)[key], nil
	}
	if err != nil {
		return nil, err
	}
	if stale {
		// Connections in use finish on the old Transport; its idle ones
		// would serve no call again.
		(*old)[key].CloseIdleConnections()
	}
	// Copy on write: calls look transports up without a lock.
	m := make(map[transportKey]*http.Transport, 1)
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
	return s.transport(cl.cfg, u, "")
}

// viaTLSProxy reports whether a plain http call to u goes through an https
// proxy, whose TLS connection uses the call's TLS settings.
func viaTLSProxy(c *config, u *url.URL) bool {
	p, err := selectProxy(c, u)
	return err == nil && p != nil && p.Scheme == "https"
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
	t, ok := rt.(*http.Transport)
	if ok && hr.ProtoMajor == 2 && hr.TLS == nil && t.Protocols != nil &&
		t.Protocols.UnencryptedHTTP2() && !t.Protocols.HTTP1() {
		// HTTP2Cleartext: h2 frames with prior knowledge, never a status
		// line that merely claims HTTP/2.
		return false
	}
	if ok {
		t.CloseIdleConnections()
	}
	return true
}

// maxConns is the cap on connections open to one host: PoolSize under
// PoolBlock, none otherwise (requests' pool_block=False).
func maxConns(s shape) int {
	if s.poolBlock {
		return s.poolSize
	}
	return 0
}

// DialFunc dials a network connection, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialContext makes a Session dial with fn instead of its pooled net.Dialer:
// for a fixed resolution (curl's --resolve), a Unix socket, or tests that give
// chosen host names a loopback address. The connect timeout still bounds fn
// through its context. It is a Session setting (NewSession, Update): a call
// given another one is refused with ErrSessionOption.
func DialContext(fn DialFunc) Option {
	id := &fn // the option's identity: Transports are keyed by it
	if fn == nil {
		id = nil
	}
	return optionFunc(func(c *config) { c.DialContext, c.dialID = fn, id })
}
