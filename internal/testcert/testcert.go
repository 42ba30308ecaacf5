// Package testcert generates throwaway certificates for tests: a private
// certificate authority, server and client leaves signed by it, and
// self-signed leaves, each also written to PEM files in the test's temporary
// directory so that external programs can load them.
//
// Keys are ECDSA P-256, which keeps generation fast enough to create fresh
// material in every test.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WrongHostName is the only name put in a certificate issued with
// Options.WrongHost. It is under the reserved .invalid top-level domain, so it
// never matches a host a test connects to.
const WrongHostName = "wrong-host.invalid"

// CA is a certificate authority that lives for the duration of a test.
type CA struct {
	// Cert is the parsed, self-signed CA certificate.
	Cert *x509.Certificate
	// Key is the CA's private key.
	Key *ecdsa.PrivateKey
	// CertPEM is Cert in PEM form.
	CertPEM []byte
	// Pool is a pool holding only Cert, for use as RootCAs or ClientCAs.
	Pool *x509.CertPool
}

// Options describes a leaf certificate. The zero value gives a certificate
// for "localhost", 127.0.0.1 and ::1 that is valid from an hour ago until a
// day from now.
type Options struct {
	// CommonName is the subject common name; empty means the first DNS
	// name, or "testcert" when there is none.
	CommonName string
	// DNSNames are the DNS subject alternative names. When both DNSNames and
	// IPs are empty, "localhost" is used.
	DNSNames []string
	// IPs are the IP subject alternative names. When both DNSNames and IPs
	// are empty, 127.0.0.1 and ::1 are used.
	IPs []net.IP
	// Expired makes the certificate's validity end an hour ago.
	Expired bool
	// NotYetValid makes the certificate's validity start an hour from now.
	NotYetValid bool
	// WrongHost replaces DNSNames and IPs with WrongHostName alone, so the
	// certificate is valid in every other respect but matches no loopback
	// host.
	WrongHost bool
}

// Cert is a generated leaf certificate with its key, in memory and on disk.
type Cert struct {
	// TLS is the certificate and key ready for a tls.Config; its Leaf is set.
	TLS tls.Certificate
	// Leaf is the parsed certificate.
	Leaf *x509.Certificate
	// CertPEM is the certificate in PEM form.
	CertPEM []byte
	// KeyPEM is the private key in PKCS #8 PEM form.
	KeyPEM []byte
	// CertFile is the path of a file holding CertPEM.
	CertFile string
	// KeyFile is the path of a file holding KeyPEM, readable only by its
	// owner.
	KeyFile string
}

// Pool returns a new pool holding only this certificate. It is how a client
// trusts a self-signed certificate.
func (c *Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Leaf)
	return p
}

// NewCA creates a certificate authority valid from an hour ago until a week
// from now.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key := newKey(t)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(t),
		Subject:               pkix.Name{CommonName: "testcert CA", Organization: []string{"testcert"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testcert: create CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testcert: parse CA certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{
		Cert:    cert,
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Pool:    pool,
	}
}

// CertFile writes the CA certificate in PEM form to a new file in a
// temporary directory of t and returns the file's path.
func (ca *CA) CertFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, path, ca.CertPEM, 0o644)
	return path
}

// ClientConfig returns a TLS client configuration that trusts only this CA.
func (ca *CA) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}
}

// Server issues a server certificate (extended key usage serverAuth)
// described by opts and signed by the CA.
func (ca *CA) Server(t testing.TB, opts Options) *Cert {
	t.Helper()
	return issue(t, opts, x509.ExtKeyUsageServerAuth, ca.Cert, ca.Key)
}

// Client issues a client certificate (extended key usage clientAuth) with
// the given subject common name, signed by the CA, for mutual TLS.
func (ca *CA) Client(t testing.TB, commonName string) *Cert {
	t.Helper()
	if commonName == "" {
		commonName = "testcert client"
	}
	return issue(t, Options{CommonName: commonName, DNSNames: []string{}, IPs: []net.IP{}},
		x509.ExtKeyUsageClientAuth, ca.Cert, ca.Key)
}

// SelfSigned creates a server certificate described by opts that is signed
// by its own key and chains to no CA. Clients reject it unless they trust
// it directly, for example through Cert.Pool.
func SelfSigned(t testing.TB, opts Options) *Cert {
	t.Helper()
	return issue(t, opts, x509.ExtKeyUsageServerAuth, nil, nil)
}

func issue(t testing.TB, opts Options, usage x509.ExtKeyUsage, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) *Cert {
	t.Helper()
	key := newKey(t)
	now := time.Now()
	notBefore, notAfter := now.Add(-time.Hour), now.Add(24*time.Hour)
	switch {
	case opts.Expired:
		notBefore, notAfter = now.Add(-48*time.Hour), now.Add(-time.Hour)
	case opts.NotYetValid:
		notBefore, notAfter = now.Add(time.Hour), now.Add(48*time.Hour)
	}

	dnsNames, ips := opts.DNSNames, opts.IPs
	switch {
	case opts.WrongHost:
		dnsNames, ips = []string{WrongHostName}, nil
	case dnsNames == nil && ips == nil:
		dnsNames = []string{"localhost"}
		ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	cn := opts.CommonName
	if cn == "" {
		cn = "testcert"
		if len(dnsNames) > 0 {
			cn = dnsNames[0]
		}
	}

	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(t),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"testcert"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{usage},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatalf("testcert: create certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testcert: parse certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("testcert: marshal key: %v", err)
	}

	c := &Cert{
		TLS:     tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		Leaf:    leaf,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	dir := t.TempDir()
	c.CertFile = filepath.Join(dir, "cert.pem")
	c.KeyFile = filepath.Join(dir, "key.pem")
	writeFile(t, c.CertFile, c.CertPEM, 0o644)
	writeFile(t, c.KeyFile, c.KeyPEM, 0o600)
	return c
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testcert: generate key: %v", err)
	}
	return key
}

func newSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatalf("testcert: serial number: %v", err)
	}
	return n.Add(n, big.NewInt(1))
}

func writeFile(t testing.TB, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatalf("testcert: %v", err)
	}
}
