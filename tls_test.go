package requests

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/testcert"
)

// tlsServer serves "ok" over TLS with a certificate from ca and records the
// client address of every request, which tells connections apart.
func tlsServer(t *testing.T, ca *testcert.CA, opts testcert.Options, clientCA *testcert.CA) (*httptest.Server, *remotes) {
	var seen remotes
	srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.add(r.RemoteAddr)
		w.Write([]byte("ok"))
	}), testcert.ServerOptions{Cert: ca.Server(t, opts), ClientCA: clientCA})
	return srv, &seen
}

// remotes is the set of client addresses a server saw.
type remotes struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *remotes) add(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[addr] = true
}

func (r *remotes) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func TestCertificateProblems(t *testing.T) {
	ca := testcert.NewCA(t)
	for name, opts := range map[string]testcert.Options{
		"expired":       {Expired: true},
		"not yet valid": {NotYetValid: true},
		"wrong host":    {WrongHost: true},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := tlsServer(t, ca, opts, nil)
			_, err := testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL)
			assert.ErrorIs(t, err, ErrSSL)

			r, err := testSession(t, Verify(false)).Get(srv.URL)
			require.NoError(t, err, "verification off accepts it")
			assert.Equal(t, "ok", r.Text())
		})
	}
}

func TestCABundle(t *testing.T) {
	ca := testcert.NewCA(t)
	srv, _ := tlsServer(t, ca, testcert.Options{}, nil)

	r, err := testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())

	// As a call option, and through requests' environment variable.
	r, err = testSession(t).Get(srv.URL, CABundle(ca.CertFile(t)))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)

	t.Setenv("REQUESTS_CA_BUNDLE", ca.CertFile(t))
	r, err = testSession(t).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	_, err = testSession(t, TrustEnv(false)).Get(srv.URL)
	assert.ErrorIs(t, err, ErrSSL, "TrustEnv(false) ignores the variable")
}

func TestCABundleMissingFile(t *testing.T) {
	_, err := testSession(t, CABundle("/nonexistent/ca.pem")).Get("https://127.0.0.1:1/")
	assert.ErrorIs(t, err, ErrSSL)
}

func TestClientCert(t *testing.T) {
	ca := testcert.NewCA(t)
	clients := testcert.NewCA(t)
	srv, _ := tlsServer(t, ca, testcert.Options{}, clients)
	s := testSession(t, CABundle(ca.CertFile(t)))

	_, err := s.Get(srv.URL)
	require.Error(t, err, "the server requires a client certificate")

	c := clients.Client(t, "alice")
	r, err := s.Get(srv.URL, Cert(c.CertFile, c.KeyFile))
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())

	_, err = s.Get(srv.URL, Cert(c.CertFile, "/nonexistent/key.pem"))
	assert.ErrorIs(t, err, ErrSSL)
}

// TestInsecureConnectionIsNeverReused is requests' CVE-2024-35195 in Go
// form: a connection made with verification off must not serve a later call
// that verifies, even on the same Session and host.
func TestInsecureConnectionIsNeverReused(t *testing.T) {
	srv, conns := tlsServer(t, testcert.NewCA(t), testcert.Options{}, nil)
	s := testSession(t)

	r, err := s.Get(srv.URL, Verify(false))
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())

	_, err = s.Get(srv.URL)
	assert.ErrorIs(t, err, ErrSSL, "the verified call must verify, not reuse the insecure connection")

	r, err = s.Get(srv.URL, Verify(false))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, 1, conns.count(), "the insecure calls share their own pooled connection")
}

func TestHTTP2IsNegotiated(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Proto))
	}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), HTTP2: true})
	r, err := testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "HTTP/2.0", r.Text())
}

// As in requests, TLS settings apply to https calls only: a plain http call
// succeeds whatever they name, and the https call that needs an unreadable
// file fails with ErrSSL naming it.
func TestTLSFilesAreReadOnlyForHTTPS(t *testing.T) {
	plain := httptest.NewServer(tlsHandler)
	t.Cleanup(plain.Close)
	tests := []struct {
		name, file string
		opt        Option
	}{
		{"Cert", "/nonexistent/client.pem", Cert("/nonexistent/client.pem", "")},
		{"CABundle", "/nonexistent/ca.pem", CABundle("/nonexistent/ca.pem")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range []*Session{testSession(t, tt.opt), testSession(t)} {
				r, err := s.Get(plain.URL, tt.opt)
				require.NoError(t, err)
				assert.Equal(t, "ok", r.Text())
				_, err = s.Get("https://127.0.0.1:1/", tt.opt)
				require.ErrorIs(t, err, ErrSSL)
				assert.Contains(t, err.Error(), tt.file)
				assert.NotContains(t, err.Error(), "connection refused", "nothing is dialled without the file")
			}
		})
	}
}
