package requests

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/go-requests/requests/internal/faultkit"
	"github.com/go-requests/requests/internal/testcert"
)

func tlsScenarios() []scenario {
	certProblem := func(opts testcert.Options, cause any) func(*testing.T) {
		return func(t *testing.T) {
			ca := testcert.NewCA(t)
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: ca.Server(t, opts)})
			err := fail(t, ErrSSL, func() (*Response, error) { return testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL) })
			assert.ErrorIs(t, err, ErrConnection)
			assert.ErrorAs(t, err, cause)
		}
	}
	return []scenario{
		{"untrusted certificate", "ErrSSL with x509.UnknownAuthorityError", func(t *testing.T) {
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: testcert.NewCA(t).Server(t, testcert.Options{})})
			err := fail(t, ErrSSL, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			var unknown x509.UnknownAuthorityError
			assert.ErrorAs(t, err, &unknown)
		}},
		{"self-signed certificate", "ErrSSL", func(t *testing.T) {
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: testcert.SelfSigned(t, testcert.Options{})})
			fail(t, ErrSSL, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"expired certificate", "ErrSSL with x509.CertificateInvalidError", certProblem(testcert.Options{Expired: true}, new(x509.CertificateInvalidError))},
		{"certificate not yet valid", "ErrSSL with x509.CertificateInvalidError", certProblem(testcert.Options{NotYetValid: true}, new(x509.CertificateInvalidError))},
		{"certificate for another host", "ErrSSL with x509.HostnameError", certProblem(testcert.Options{WrongHost: true}, new(x509.HostnameError))},
		{"plain HTTP on an https URL", "ErrSSL with tls.RecordHeaderError", func(t *testing.T) {
			srv := httptest.NewServer(tlsHandler)
			t.Cleanup(srv.Close)
			err := fail(t, ErrSSL, func() (*Response, error) {
				return testSession(t).Get(strings.Replace(srv.URL, "http:", "https:", 1))
			})
			var rec tls.RecordHeaderError
			assert.ErrorAs(t, err, &rec)
		}},
		{"server hangs up during the handshake", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				b := make([]byte, 1)
				c.Raw().Read(b)
			})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get("https://" + srv.Addr + "/") })
		}},
		{"server speaks only TLS 1.0", "ErrSSL", func(t *testing.T) {
			cert := testcert.NewCA(t).Server(t, testcert.Options{})
			srv := faultkit.TLSListen(t, &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MaxVersion: tls.VersionTLS10}, faultkit.Hold())
			fail(t, ErrSSL, func() (*Response, error) { return testSession(t, Verify(false)).Get(srv.URL) })
		}},
		{"client certificate required, none given", "ErrSSL", func(t *testing.T) {
			ca := testcert.NewCA(t)
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), ClientCA: testcert.NewCA(t)})
			fail(t, ErrSSL, func() (*Response, error) { return testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL) })
		}},
		{"reset during the handshake", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				b := make([]byte, 1)
				if _, err := c.Raw().Read(b); err == nil {
					c.Reset()
				}
			})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get("https://" + srv.Addr + "/") })
		}},
		{"a Verify(false) connection, then a verified call", "ErrSSL: the insecure connection is never reused", func(t *testing.T) {
			srv, conns := tlsServer(t, testcert.NewCA(t), testcert.Options{}, nil)
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL, Verify(false)) })
			fail(t, ErrSSL, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Equal(t, 1, conns.count())
		}},
		{"client certificate A, then B", "each call presents its own certificate", func(t *testing.T) {
			ca, clients := testcert.NewCA(t), testcert.NewCA(t)
			var mu sync.Mutex
			var seen []string
			srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.TLS.PeerCertificates[0].Subject.CommonName)
				mu.Unlock()
			}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), ClientCA: clients})
			a, b := clients.Client(t, "alice"), clients.Client(t, "bob")
			s := testSession(t, CABundle(ca.CertFile(t)))
			for _, c := range []*testcert.Cert{a, b, a, b} {
				succeed(t, func() (*Response, error) { return s.Get(srv.URL, Cert(c.CertFile, c.KeyFile)) })
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"alice", "bob", "alice", "bob"}, seen)
		}},
	}
}
