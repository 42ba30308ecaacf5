package requests

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// PinSHA256 requires that a certificate of the server's chain have one of
// pins: the base64 of the SHA-256 of its SubjectPublicKeyInfo, as in HPKP
// and curl's --pinnedpubkey sha256//. Pinning a CA's key survives the
// renewal of the server's certificate; pinning the server's own key does
// so only while the key is kept.
//
// The pins are checked after the normal verification, never instead of it:
// the chain must be trusted and valid for the host, and have a pinned key.
// Only with Verify(false) too do the pins replace verification, checked on
// the certificates the server sent. A call whose server has no pinned key
// fails with ErrSSL, naming the pins its chain has. Pinned connections are
// pooled apart from unpinned ones and from those of other pins. A pin that
// is not the base64 of 32 bytes fails every https call with ErrSSL.
//
// Giving PinSHA256 with no pins turns pinning off.
func PinSHA256(pins ...string) Option {
	joined := strings.Join(pins, ",")
	return optionFunc(func(c *config) { c.tls.pins = joined })
}

// pinCheck returns the VerifyConnection hook for the comma-separated pins.
func pinCheck(joined string) (func(tls.ConnectionState) error, error) {
	pins := strings.Split(joined, ",")
	for _, p := range pins {
		if b, err := base64.StdEncoding.DecodeString(p); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("pin %q is not the base64 of a SHA-256 digest", p)
		}
	}
	return func(cs tls.ConnectionState) error {
		certs := cs.PeerCertificates
		if len(cs.VerifiedChains) > 0 {
			certs = slices.Concat(cs.VerifiedChains...)
		}
		var seen []string
		for _, cert := range certs {
			pin := spkiPin(cert)
			if slices.Contains(pins, pin) {
				return nil
			}
			if !slices.Contains(seen, pin) {
				seen = append(seen, pin)
			}
		}
		return fmt.Errorf("%w: no certificate of %s has a pinned key (the chain's: %s)",
			ErrSSL, cs.ServerName, strings.Join(seen, ", "))
	}, nil
}

// spkiPin is the pin of cert's public key.
func spkiPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}
