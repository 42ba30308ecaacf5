package testcert_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/go-requests/requests/internal/testcert"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// handshake serves one TLS handshake with serverCfg on a loopback listener
// and dials it with clientCfg, returning the client and server errors.
func handshake(t *testing.T, serverCfg, clientCfg *tls.Config) (clientErr, serverErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		tc := tls.Server(c, serverCfg)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		// Closing after the handshake sends close_notify, which the
		// client's read below turns into io.EOF.
		done <- tc.Handshake()
	}()

	c, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	require.NoError(t, err)
	tc := tls.Client(c, clientCfg)
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	clientErr = tc.Handshake()
	if clientErr == nil {
		// A TLS 1.3 server reports a bad client certificate only after the
		// client's side of the handshake has completed, so read until the
		// server closes.
		_, clientErr = tc.Read(make([]byte, 1))
		if errors.Is(clientErr, io.EOF) {
			clientErr = nil
		}
	}
	tc.Close()
	return clientErr, <-done
}

func serverConfig(c *testcert.Cert) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.TLS}, MinVersion: tls.VersionTLS12}
}

func TestCAVerifiesServerCert(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := ca.Server(t, testcert.Options{})

	assert.True(t, ca.Cert.IsCA)
	assert.Equal(t, []string{"localhost"}, srv.Leaf.DNSNames)
	require.Len(t, srv.Leaf.IPAddresses, 2)
	assert.True(t, srv.Leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)))
	assert.True(t, srv.Leaf.IPAddresses[1].Equal(net.IPv6loopback))

	for _, name := range []string{"localhost", "127.0.0.1"} {
		cfg := ca.ClientConfig()
		cfg.ServerName = name
		clientErr, serverErr := handshake(t, serverConfig(srv), cfg)
		assert.NoError(t, clientErr, name)
		assert.NoError(t, serverErr, name)
	}

	_, err := srv.Leaf.Verify(x509.VerifyOptions{
		Roots:     ca.Pool,
		DNSName:   "localhost",
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	assert.NoError(t, err)
}

func TestFilesMatchMemory(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := ca.Server(t, testcert.Options{DNSNames: []string{"example.test"}})

	pair, err := tls.LoadX509KeyPair(srv.CertFile, srv.KeyFile)
	require.NoError(t, err)
	assert.Equal(t, srv.TLS.Certificate, pair.Certificate)

	info, err := os.Stat(srv.KeyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	caPEM, err := os.ReadFile(ca.CertFile(t))
	require.NoError(t, err)
	assert.Equal(t, ca.CertPEM, caPEM)
	block, _ := pem.Decode(caPEM)
	require.NotNil(t, block)
	assert.Equal(t, "CERTIFICATE", block.Type)
	assert.Equal(t, ca.Cert.Raw, block.Bytes)

	assert.Equal(t, []string{"example.test"}, srv.Leaf.DNSNames)
	assert.Empty(t, srv.Leaf.IPAddresses)
	assert.Equal(t, "example.test", srv.Leaf.Subject.CommonName)
}

func TestExpired(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := ca.Server(t, testcert.Options{Expired: true})
	assert.True(t, srv.Leaf.NotAfter.Before(time.Now()))

	cfg := ca.ClientConfig()
	cfg.ServerName = "localhost"
	clientErr, _ := handshake(t, serverConfig(srv), cfg)
	var invalid x509.CertificateInvalidError
	require.ErrorAs(t, clientErr, &invalid)
	assert.Equal(t, x509.Expired, invalid.Reason)
}

func TestNotYetValid(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := ca.Server(t, testcert.Options{NotYetValid: true})
	assert.True(t, srv.Leaf.NotBefore.After(time.Now()))

	cfg := ca.ClientConfig()
	cfg.ServerName = "localhost"
	clientErr, _ := handshake(t, serverConfig(srv), cfg)
	var invalid x509.CertificateInvalidError
	require.ErrorAs(t, clientErr, &invalid)
	// crypto/x509 reports both ends of the validity window as Expired.
	assert.Equal(t, x509.Expired, invalid.Reason)
}

func TestWrongHost(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := ca.Server(t, testcert.Options{WrongHost: true, DNSNames: []string{"localhost"}})
	assert.Equal(t, []string{testcert.WrongHostName}, srv.Leaf.DNSNames)
	assert.Empty(t, srv.Leaf.IPAddresses)

	for _, name := range []string{"localhost", "127.0.0.1"} {
		cfg := ca.ClientConfig()
		cfg.ServerName = name
		clientErr, _ := handshake(t, serverConfig(srv), cfg)
		var hostErr x509.HostnameError
		assert.ErrorAs(t, clientErr, &hostErr, name)
	}

	// The certificate itself chains correctly.
	cfg := ca.ClientConfig()
	cfg.ServerName = testcert.WrongHostName
	clientErr, _ := handshake(t, serverConfig(srv), cfg)
	assert.NoError(t, clientErr)
}

func TestSelfSigned(t *testing.T) {
	self := testcert.SelfSigned(t, testcert.Options{})
	assert.Equal(t, self.Leaf.Subject.String(), self.Leaf.Issuer.String())
	assert.False(t, self.Leaf.IsCA)

	// Untrusted by a client that trusts another CA.
	other := testcert.NewCA(t)
	cfg := other.ClientConfig()
	cfg.ServerName = "localhost"
	clientErr, _ := handshake(t, serverConfig(self), cfg)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, clientErr, &unknown)

	// Trusted when pinned.
	cfg = &tls.Config{RootCAs: self.Pool(), ServerName: "localhost", MinVersion: tls.VersionTLS12}
	clientErr, serverErr := handshake(t, serverConfig(self), cfg)
	assert.NoError(t, clientErr)
	assert.NoError(t, serverErr)
}

func TestOtherCAIsUnknown(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := ca.Server(t, testcert.Options{})
	cfg := testcert.NewCA(t).ClientConfig()
	cfg.ServerName = "localhost"
	clientErr, _ := handshake(t, serverConfig(srv), cfg)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, clientErr, &unknown)
}

func TestClientCert(t *testing.T) {
	ca := testcert.NewCA(t)
	client := ca.Client(t, "alice")
	assert.Equal(t, "alice", client.Leaf.Subject.CommonName)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, client.Leaf.ExtKeyUsage)
	assert.Empty(t, client.Leaf.DNSNames)

	pair, err := tls.LoadX509KeyPair(client.CertFile, client.KeyFile)
	require.NoError(t, err)
	assert.Equal(t, client.TLS.Certificate, pair.Certificate)

	_, err = client.Leaf.Verify(x509.VerifyOptions{
		Roots:     ca.Pool,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	assert.NoError(t, err)
}

func newClient(t *testing.T, cfg *tls.Config, h2 bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: h2}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestStartTLSServer(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{})})

	resp, err := newClient(t, ca.ClientConfig(), false).Get(srv.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1", string(body))

	// A client that does not trust the CA fails.
	_, err = newClient(t, testcert.NewCA(t).ClientConfig(), false).Get(srv.URL)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown)
}

func TestStartTLSServerHTTP2(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), HTTP2: true})

	resp, err := newClient(t, ca.ClientConfig(), true).Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 2, resp.ProtoMajor)
}

func TestStartTLSServerMutualTLS(t *testing.T) {
	ca := testcert.NewCA(t)
	srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), ClientCA: ca})

	// Without a client certificate the handshake is refused.
	_, err := newClient(t, ca.ClientConfig(), false).Get(srv.URL)
	assert.Error(t, err)

	// A certificate from another CA is refused too.
	cfg := ca.ClientConfig()
	cfg.Certificates = []tls.Certificate{testcert.NewCA(t).Client(t, "mallory").TLS}
	_, err = newClient(t, cfg, false).Get(srv.URL)
	assert.Error(t, err)

	cfg = ca.ClientConfig()
	cfg.Certificates = []tls.Certificate{ca.Client(t, "alice").TLS}
	resp, err := newClient(t, cfg, false).Get(srv.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, "alice", string(body))
}
