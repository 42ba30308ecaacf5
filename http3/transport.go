package http3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"time"

	"github.com/quic-go/quic-go"
	qhttp3 "github.com/quic-go/quic-go/http3"
	"golang.org/x/net/http/httpproxy"

	"github.com/go-requests/requests"
)

// ErrTransportClosed: the Transport was closed before the request. It
// matches requests.ErrConnection.
var ErrTransportClosed = fmt.Errorf("%w: http3 transport closed", requests.ErrConnection)

// ResolveFunc looks up the addresses of a host name, like
// net.Resolver.LookupNetIP. The first address returned is dialled.
type ResolveFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// A Transport sends requests over HTTP/3 (QUIC over UDP). It is an
// http.RoundTripper to Mount on a requests.Session for "https://" (or a
// narrower prefix), and is safe for concurrent use.
//
// Connections are pooled per host:port and shared by concurrent requests;
// keep-alive pings hold an idle one open until CloseIdleConnections or
// Close, or until the server drops it. The UDP socket is opened with the first connection and closed once no
// connection is left, so CloseIdleConnections (which Session.Close calls)
// releases it when nothing is in flight. Close releases everything for good.
type Transport struct {
	rt     *qhttp3.Transport
	sock   *socket
	proxy  func(*url.URL) (*url.URL, error) // nil: the environment is not consulted
	lookup ResolveFunc
	hsTime time.Duration
}

// settings is what the TransportOptions configure.
type settings struct {
	tls       *tls.Config
	roots     *x509.CertPool
	trustEnv  bool
	handshake time.Duration
	lookup    ResolveFunc
}

// A TransportOption configures a Transport made by NewTransport.
type TransportOption func(*settings)

// TLSConfig makes the Transport use a clone of c: later changes to c do not
// reach it. NextProtos is replaced by "h3" and MinVersion raised to TLS 1.3,
// as QUIC requires. c.InsecureSkipVerify is requests' Verify(false) here.
func TLSConfig(c *tls.Config) TransportOption {
	return func(s *settings) { s.tls = c.Clone() }
}

// RootCAs makes the Transport trust only the certificates in pool, instead
// of the system roots (requests' verify="bundle.pem"). Combined with
// TLSConfig, it replaces that config's RootCAs.
func RootCAs(pool *x509.CertPool) TransportOption {
	return func(s *settings) { s.roots = pool }
}

// TrustEnv decides what the proxy environment means (requests'
// trust_env). QUIC cannot go through an HTTP proxy, so when it is on (the
// default) a request that HTTPS_PROXY or ALL_PROXY would send through a
// proxy (NO_PROXY honoured; loopback never proxied) fails with
// requests.ErrProxy rather than silently bypass the proxy. Off, the
// environment is ignored and every request goes direct. The environment is
// read when the Transport is made.
func TrustEnv(on bool) TransportOption {
	return func(s *settings) { s.trustEnv = on }
}

// HandshakeTimeout bounds the QUIC and TLS handshake of each new
// connection (DefaultHandshakeTimeout when not given). A handshake is
// shared by every request waiting for that host, so it runs under the
// Transport's bound, while each request stops waiting at its own connect
// timeout. Zero or less leaves quic-go's own bound (5 seconds).
func HandshakeTimeout(d time.Duration) TransportOption {
	return func(s *settings) { s.handshake = d }
}

// Resolve makes the Transport look host names up with fn instead of the
// system resolver: for a fixed resolution (curl's --resolve), or tests that
// give chosen names a loopback address. IP literals are not looked up.
func Resolve(fn ResolveFunc) TransportOption {
	return func(s *settings) { s.lookup = fn }
}

// DefaultHandshakeTimeout bounds a new connection's handshake when
// HandshakeTimeout is not given; the same as the core's default connect
// timeout. Change it before making Transports; zero or less leaves
// quic-go's own bound.
var DefaultHandshakeTimeout = 10 * time.Second

// maxResponseHeaderBytes matches the core's bound on response headers.
const maxResponseHeaderBytes = 1 << 20

// NewTransport returns an HTTP/3 Transport that verifies certificates
// against the system roots unless opts say otherwise.
func NewTransport(opts ...TransportOption) *Transport {
	s := settings{trustEnv: true, handshake: DefaultHandshakeTimeout}
	for _, o := range opts {
		o(&s)
	}
	s.handshake = max(s.handshake, 0) // quic-go would time out at once
	tlsCfg := s.tls
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	if s.roots != nil {
		tlsCfg.RootCAs = s.roots
	}
	if tlsCfg.MinVersion < tls.VersionTLS13 {
		tlsCfg.MinVersion = tls.VersionTLS13
	}
	t := &Transport{
		sock:   &socket{conns: map[*quic.Conn]struct{}{}},
		lookup: s.lookup,
		hsTime: s.handshake,
	}
	if s.trustEnv {
		t.proxy = httpproxy.FromEnvironment().ProxyFunc()
	}
	t.rt = &qhttp3.Transport{
		TLSClientConfig: tlsCfg,
		QUICConfig: &quic.Config{
			HandshakeIdleTimeout: s.handshake,
			// quic-go's own client defaults: pings keep a connection
			// alive while a request waits on a slow server.
			KeepAlivePeriod:    10 * time.Second,
			MaxIncomingStreams: -1,
		},
		Dial:                   t.dial,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		// requests sends its own Accept-Encoding and decodes the body itself.
		DisableCompression: true,
	}
	return t
}

// RoundTrip sends req over HTTP/3. Only https URLs are served: a plain
// http request fails with requests.ErrInvalidSchema. A request the
// environment would proxy fails with requests.ErrProxy (see TrustEnv). A
// TLS failure (an unknown authority, a refused handshake) matches
// requests.ErrSSL. As the RoundTripper contract says, req.Body is closed
// in every case.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.check(req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, classify(err)
	}
	return resp, nil
}

// check refuses what HTTP/3 cannot carry before anything is sent.
func (t *Transport) check(req *http.Request) error {
	if req.URL == nil {
		return fmt.Errorf("%w: http3: request without URL", requests.ErrInvalidURL)
	}
	if req.URL.Scheme != "https" {
		return fmt.Errorf("%w: http3 carries https only, not %q", requests.ErrInvalidSchema, req.URL.Scheme)
	}
	if t.proxy != nil {
		p, err := t.proxy(req.URL)
		if err != nil {
			return fmt.Errorf("%w: %w", requests.ErrProxy, err)
		}
		if p != nil {
			return fmt.Errorf("%w: the environment names proxy %s for %s, and QUIC cannot go through it",
				requests.ErrProxy, p.Redacted(), req.URL.Host)
		}
	}
	return nil
}

// classify marks the failures the core cannot recognise in QUIC's own
// types: a TLS alert carried as a QUIC CRYPTO_ERROR, raised by either side,
// is requests.ErrSSL; a closed Transport is ErrTransportClosed.
func classify(err error) error {
	var te *quic.TransportError
	switch {
	case errors.Is(err, requests.ErrSSL):
	case errors.As(err, &te) && te.ErrorCode.IsCryptoError():
		return fmt.Errorf("%w: %w", requests.ErrSSL, err)
	case errors.Is(err, qhttp3.ErrTransportClosed):
		return fmt.Errorf("%w: %w", ErrTransportClosed, err)
	}
	return err
}

// dial opens a QUIC connection for quic-go's Transport, on the shared
// socket. ctx is not the request's: the dial serves every request waiting
// for the host, so it is bounded by the handshake timeout alone. It carries
// the values of the request that caused it, so that request's
// httptrace.ClientTrace hears of the lookup, the connect and the handshake,
// as over TCP (possibly after that request stopped waiting).
func (t *Transport) dial(ctx context.Context, addr string, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
	if t.hsTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.hsTime)
		defer cancel()
	}
	trace := httptrace.ContextClientTrace(ctx)
	if trace == nil {
		trace = &httptrace.ClientTrace{}
	}
	ua, err := t.resolve(ctx, addr, trace)
	if err != nil {
		return nil, err
	}
	if trace.ConnectStart != nil {
		trace.ConnectStart("udp", ua.String())
	}
	if trace.TLSHandshakeStart != nil {
		trace.TLSHandshakeStart()
	}
	conn, err := t.sock.dial(ctx, ua, tlsCfg, cfg)
	if trace.TLSHandshakeDone != nil {
		var state tls.ConnectionState
		if conn != nil {
			state = conn.ConnectionState().TLS
		}
		trace.TLSHandshakeDone(state, err)
	}
	if err != nil {
		// As net.Dialer reports it, so that a handshake that ran out of
		// time reads as a connect timeout.
		err = &net.OpError{Op: "dial", Net: "udp", Addr: ua, Err: err}
	}
	if trace.ConnectDone != nil {
		trace.ConnectDone("udp", ua.String(), err)
	}
	return conn, err
}

// resolve turns "host:port" into the UDP address to dial.
func (t *Transport) resolve(ctx context.Context, addr string, trace *httptrace.ClientTrace) (*net.UDPAddr, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := net.LookupPort("udp", portStr)
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if ip, err = t.lookupHost(ctx, host, trace); err != nil {
			return nil, &net.OpError{Op: "dial", Net: "udp", Err: err}
		}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(port))), nil
}

// lookupHost returns the address to dial for host, with Resolve's function
// or the system resolver.
func (t *Transport) lookupHost(ctx context.Context, host string, trace *httptrace.ClientTrace) (netip.Addr, error) {
	if trace.DNSStart != nil {
		trace.DNSStart(httptrace.DNSStartInfo{Host: host})
	}
	var ips []netip.Addr
	var err error
	if t.lookup != nil {
		ips, err = t.lookup(ctx, host)
	} else {
		ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if trace.DNSDone != nil {
		info := httptrace.DNSDoneInfo{Err: err}
		for _, ip := range ips {
			info.Addrs = append(info.Addrs, net.IPAddr{IP: ip.AsSlice(), Zone: ip.Zone()})
		}
		trace.DNSDone(info)
	}
	if err != nil {
		return netip.Addr{}, err
	}
	return ips[0], nil
}

// CloseIdleConnections closes the connections no request is using, and
// the UDP socket once no connection is left. The Transport stays usable.
// Session.Close calls it.
func (t *Transport) CloseIdleConnections() {
	t.rt.CloseIdleConnections()
	t.sock.sweep()
}

// Close closes every connection, in use or not, and the UDP socket. The
// Transport cannot be used after it: requests fail with ErrTransportClosed.
func (t *Transport) Close() error {
	err := t.rt.Close()
	t.sock.close()
	return err
}
