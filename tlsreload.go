package requests

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// tlsReloadInterval is how often, at most, the files of CABundle and Cert
// are checked for a change, on new connections. A variable so that tests
// can check on every connection.
var tlsReloadInterval = time.Second

// fileWatch notices when files change: their contents, as a file rewritten
// in place within the file system's time granularity may keep its size and
// modification time. The files are small, and read at most once per
// tlsReloadInterval.
type fileWatch struct {
	paths   []string
	mu      sync.Mutex
	checked time.Time
	stamp   string
}

func newFileWatch(paths ...string) *fileWatch {
	w := &fileWatch{paths: paths, checked: time.Now()}
	w.stamp = w.read()
	return w
}

// read is the files' current stamp: a digest of their contents.
func (w *fileWatch) read() string {
	h := sha256.New()
	for _, p := range w.paths {
		b, err := os.ReadFile(p)
		if err != nil {
			b = []byte(err.Error())
		}
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	return string(h.Sum(nil))
}

// changed reports whether the files changed since it last said so, looking
// at most once per tlsReloadInterval.
func (w *fileWatch) changed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if now.Sub(w.checked) < tlsReloadInterval {
		return false
	}
	w.checked = now
	s := w.read()
	if s == w.stamp {
		return false
	}
	w.stamp = s
	return true
}

// clientCert serves a Cert's key pair to handshakes, loaded again when its
// files change (short-lived certificates): tls.Config.GetClientCertificate.
type clientCert struct {
	certFile, keyFile string
	watch             *fileWatch
	mu                sync.Mutex
	cert              *tls.Certificate
}

// loadClientCert loads the key pair now, so that a bad file fails the
// first https call that needs it.
func loadClientCert(certFile, keyFile string) (*clientCert, error) {
	if keyFile == "" {
		keyFile = certFile
	}
	c := &clientCert{certFile: certFile, keyFile: keyFile, watch: newFileWatch(certFile, keyFile)}
	cert, err := c.load()
	if err != nil {
		return nil, err
	}
	c.cert = cert
	return c, nil
}

func (c *clientCert) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading client certificate %s: %w", c.certFile, err)
	}
	return &cert, nil
}

// get is the GetClientCertificate hook. A file that changed but cannot be
// loaded (being rewritten) leaves the last good pair in use.
func (c *clientCert) get(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watch.changed() {
		if cert, err := c.load(); err == nil {
			c.cert = cert
		}
	}
	return c.cert, nil
}

// caChanged reports whether the CA bundle of key changed since its
// Transport was made; the Transport is then made again, with the new
// bundle, for new connections.
func (s *Session) caChanged(key transportKey) bool {
	w, ok := s.caWatch.Load(key)
	return ok && w.(*fileWatch).changed()
}
