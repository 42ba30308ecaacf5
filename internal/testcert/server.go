package testcert

import (
	"crypto/tls"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// ServerOptions configures StartTLSServer.
type ServerOptions struct {
	// Cert is the server certificate. It is required.
	Cert *Cert
	// ClientCA, when set, makes the server require a client certificate
	// that verifies against this CA (tls.RequireAndVerifyClientCert).
	ClientCA *CA
	// HTTP2 offers h2 as well as http/1.1 in ALPN.
	HTTP2 bool
}

// StartTLSServer starts an httptest server on a loopback port that serves h
// over TLS with opts.Cert, and closes it when the test ends. The server's
// error log (failed handshakes, for instance) goes to t.Log.
//
// The server's own Client trusts opts.Cert's leaf directly; tests that want
// to exercise CA verification should build their own client with CA.Pool.
func StartTLSServer(t testing.TB, h http.Handler, opts ServerOptions) *httptest.Server {
	t.Helper()
	if opts.Cert == nil {
		t.Fatalf("testcert: StartTLSServer needs ServerOptions.Cert")
	}
	srv := httptest.NewUnstartedServer(h)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{opts.Cert.TLS},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
	if opts.HTTP2 {
		srv.EnableHTTP2 = true
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	if opts.ClientCA != nil {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = opts.ClientCA.Pool
	}
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(testWriter{t}, "server: ", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// testWriter sends each write to t.Log.
type testWriter struct{ t testing.TB }

// Write logs p, without its trailing newline, as one line.
func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
