package requests

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/testcert"
)

// checkTLSFilesAlways makes the test's Sessions look at their TLS files on
// every new connection.
func checkTLSFilesAlways(t *testing.T) {
	old := tlsReloadInterval
	tlsReloadInterval = 0
	t.Cleanup(func() { tlsReloadInterval = old })
}

func rewrite(t *testing.T, path string, b []byte) {
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// A CA bundle rewritten between calls is trusted from the next connection.
func TestCABundleIsReloaded(t *testing.T) {
	checkTLSFilesAlways(t)
	caA, caB := testcert.NewCA(t), testcert.NewCA(t)
	srvA, _ := tlsServer(t, caA, testcert.Options{}, nil)
	srvB, _ := tlsServer(t, caB, testcert.Options{}, nil)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	rewrite(t, bundle, caA.CertPEM)
	s := testSession(t, CABundle(bundle))

	_, err := s.Get(srvA.URL)
	require.NoError(t, err)
	_, err = s.Get(srvB.URL)
	require.ErrorIs(t, err, ErrSSL)

	rewrite(t, bundle, caB.CertPEM)
	r, err := s.Get(srvB.URL)
	require.NoError(t, err, "the new bundle is in force")
	assert.Equal(t, "ok", r.Text())
	_, err = s.Get(srvA.URL)
	require.ErrorIs(t, err, ErrSSL, "the old CA is no longer trusted")

	rewrite(t, bundle, []byte("being rewritten"))
	r, err = s.Get(srvB.URL)
	require.NoError(t, err, "a bundle caught half-written leaves the last good one in force")
	assert.Equal(t, "ok", r.Text())
}

// A client certificate rewritten between calls is presented from the next
// connection on.
func TestClientCertIsReloaded(t *testing.T) {
	checkTLSFilesAlways(t)
	ca, clients := testcert.NewCA(t), testcert.NewCA(t)
	srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // each call makes a new connection
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), ClientCA: clients})
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	alice, bob := clients.Client(t, "alice"), clients.Client(t, "bob")
	rewrite(t, certFile, alice.CertPEM)
	rewrite(t, keyFile, alice.KeyPEM)
	s := testSession(t, CABundle(ca.CertFile(t)), Cert(certFile, keyFile))

	r, err := s.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "alice", r.Text())

	rewrite(t, certFile, bob.CertPEM)
	rewrite(t, keyFile, bob.KeyPEM)
	r, err = s.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "bob", r.Text())
}
