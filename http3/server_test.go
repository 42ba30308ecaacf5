package http3_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	qhttp3 "github.com/quic-go/quic-go/http3"

	"github.com/go-requests/requests/http3"
)

// exampleHost is the name the tests and examples use for their server. The
// tests' Resolve maps it to loopback; it is never looked up.
const exampleHost = "h3.example.com"

// certificate is a self-signed certificate for exampleHost, localhost and
// 127.0.0.1, and a pool that trusts it.
type certificate struct {
	tls  tls.Certificate
	pool *x509.CertPool
}

// newCert generates a fresh self-signed certificate (ECDSA P-256, fast).
func newCert() (*certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: exampleHost},
		DNSNames:              []string{exampleHost, "localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &certificate{
		tls:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		pool: pool,
	}, nil
}

// server is quic-go's HTTP/3 server on a loopback UDP socket.
type server struct {
	srv  *qhttp3.Server
	ln   *quic.EarlyListener
	conn net.PacketConn
	done chan error
	cert *certificate
	Addr string // 127.0.0.1:port
}

// startServer serves h over HTTP/3 on 127.0.0.1 with a fresh certificate.
// configure, if given, adjusts the server's TLS config.
func startServer(h http.Handler, configure func(*tls.Config)) (*server, error) {
	cert, err := newCert()
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert.tls}}
	if configure != nil {
		configure(tlsCfg)
	}
	// Listening here rather than in Serve starts the listener's goroutines
	// before startServer returns, so that a test can tell them from the
	// client's.
	ln, err := quic.ListenEarly(conn, qhttp3.ConfigureTLSConfig(tlsCfg), &quic.Config{})
	if err != nil {
		conn.Close()
		return nil, err
	}
	s := &server{
		srv:  &qhttp3.Server{Handler: h},
		ln:   ln,
		conn: conn,
		done: make(chan error, 1),
		cert: cert,
		Addr: conn.LocalAddr().String(),
	}
	go func() { s.done <- s.srv.ServeListener(ln) }()
	return s, nil
}

// Close stops the server and waits for it to end.
func (s *server) Close() {
	s.srv.Close()
	s.ln.Close()
	s.conn.Close()
	<-s.done
}

// URL is the https URL of path on the server, by IP.
func (s *server) URL(path string) string { return "https://" + s.Addr + path }

// NamedURL is the https URL of path on the server, by exampleHost.
func (s *server) NamedURL(path string) string {
	_, port, _ := net.SplitHostPort(s.Addr)
	return "https://" + net.JoinHostPort(exampleHost, port) + path
}

// newServer is startServer for a test, closed at its Cleanup.
func newServer(t *testing.T, h http.Handler) *server {
	return newServerTLS(t, h, nil)
}

func newServerTLS(t *testing.T, h http.Handler, configure func(*tls.Config)) *server {
	t.Helper()
	s, err := startServer(h, configure)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// toLoopback resolves exampleHost to 127.0.0.1 and refuses every other
// name, so that no test can reach beyond loopback.
func toLoopback(_ context.Context, host string) ([]netip.Addr, error) {
	if host == exampleHost || host == "localhost" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, errors.New("test resolver: unknown host " + host)
}

// newTransport is a Transport trusting s, for a test, closed at its
// Cleanup. It ignores the proxy environment of the machine running the
// tests, unless opts say otherwise.
func newTransport(t *testing.T, s *server, opts ...http3.TransportOption) *http3.Transport {
	t.Helper()
	opts = append([]http3.TransportOption{http3.RootCAs(s.cert.pool), http3.Resolve(toLoopback), http3.TrustEnv(false)}, opts...)
	tr := http3.NewTransport(opts...)
	t.Cleanup(func() { tr.Close() })
	return tr
}
