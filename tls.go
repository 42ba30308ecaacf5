package requests

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Verify turns TLS certificate verification on or off (requests'
// verify=False). Off is for tests against self-signed servers only: the
// connection is then open to interception. Connections made with
// verification off are pooled apart and never serve a verified call.
func Verify(on bool) Option {
	return optionFunc(func(c *config) { c.tls.insecure = !on })
}

// CABundle trusts the certificates in the PEM file at path instead of the
// system roots (requests' verify="/path/ca.pem"). The file is read for the
// first https call, and again when it changes (checked at most once a
// second): new connections then trust the new bundle, while connections in
// use finish as they were. A file caught half-written is ignored until the
// next check.
func CABundle(path string) Option {
	return optionFunc(func(c *config) { c.tls.caBundle = path })
}

// Cert presents the client certificate in certFile with the private key in
// keyFile (requests' cert=(cert, key)). Both are PEM; keyFile may be empty
// when certFile holds the key too. They are read for the first https call
// (an unreadable file fails it with ErrSSL), and again when they change
// (checked at most once a second, on new connections), for short-lived
// certificates; a pair caught half-written leaves the last good one in use.
func Cert(certFile, keyFile string) Option {
	return optionFunc(func(c *config) { c.tls.certFile, c.tls.keyFile = certFile, keyFile })
}

// tlsKey is everything that makes one TLS configuration differ from another.
// Each distinct key gets its own Transport, so that a connection is never
// reused under settings other than the ones it was made with.
type tlsKey struct {
	insecure bool
	caBundle string
	certFile string
	keyFile  string
	pins     string // PinSHA256's pins, comma-separated
}

// resolve fills in the CA bundle from the environment, as requests does when
// trust_env is on and no bundle was given.
func (k tlsKey) resolve(trustEnv bool) tlsKey {
	if k.caBundle == "" && trustEnv && !k.insecure {
		k.caBundle = environment().caBundle
	}
	return k
}

// config builds the tls.Config for the key. Files are read when the
// Session first needs this configuration, for an https call; a changed
// client certificate is read again (see clientCert), a changed CA bundle
// makes a new Transport (see Session.caChanged).
func (k tlsKey) config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if k.insecure {
		cfg.InsecureSkipVerify = true
	}
	if k.pins != "" {
		check, err := pinCheck(k.pins)
		if err != nil {
			return nil, err
		}
		cfg.VerifyConnection = check
	}
	if k.caBundle != "" {
		pem, err := os.ReadFile(k.caBundle)
		if err != nil {
			return nil, fmt.Errorf("reading CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", k.caBundle)
		}
		cfg.RootCAs = pool
	}
	if k.certFile != "" {
		cert, err := loadClientCert(k.certFile, k.keyFile)
		if err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = cert.get
	}
	return cfg, nil
}
