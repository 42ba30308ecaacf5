// Package digest answers HTTP Digest authentication challenges (RFC 7616,
// compatible with RFC 2617 and RFC 2069) the way Python requests'
// HTTPDigestAuth does: parse the server's WWW-Authenticate challenge, keep it,
// and compute an Authorization header for each request, counting nonce uses.
//
// The package knows nothing of HTTP requests or responses: callers pass
// header values, the method, the request-target and optionally the body.
//
// A caller answers a 401 at most once per request, and a second time only
// when Update reports StaleNonce. SameNonce after a request that carried an
// Authorization for that nonce means the credentials were refused.
package digest

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"math"
	"strconv"
	"strings"
	"sync"
)

// ErrBodyRequired means the challenge offers only qop=auth-int, which hashes
// the request body, and Authorization was called without one.
var ErrBodyRequired = errors.New("digest: qop=auth-int needs the request body")

// ErrControlChar means the username or uri holds control characters, which
// cannot be carried in a header (and could forge other header lines).
var ErrControlChar = errors.New("digest: control character in username or uri")

// ErrNonceExhausted means the nonce count for the current nonce reached its
// 8-hex-digit limit; a new challenge is needed.
var ErrNonceExhausted = errors.New("digest: nonce count exhausted")

// Outcome tells the caller what a new challenge means for the previous
// answer, so it can decide whether to answer again.
type Outcome int

const (
	// NewNonce is the first challenge for the realm, or a different nonce
	// without stale=true: answer it (once per request).
	NewNonce Outcome = iota
	// StaleNonce is a different nonce with stale=true: the credentials were
	// right and only the nonce expired, so answer again without prompting.
	StaleNonce
	// SameNonce is the nonce already held, without stale=true. If the
	// rejected request carried an answer for it, the credentials are wrong.
	SameNonce
)

// String names the outcome for logs and test failures.
func (o Outcome) String() string {
	switch o {
	case NewNonce:
		return "NewNonce"
	case StaleNonce:
		return "StaleNonce"
	case SameNonce:
		return "SameNonce"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// maxRealms bounds the realms a Client remembers, so a server cannot make it
// grow without limit by inventing realms.
const maxRealms = 16

// Option configures a Client.
type Option func(*Client)

// WithCnonce replaces the client nonce generator, which by default returns 16
// random bytes from crypto/rand in hex. Tests use it to reproduce known
// answers; values should be printable ASCII.
func WithCnonce(f func() (string, error)) Option {
	return func(c *Client) { c.cnonce = f }
}

// WithUserhash makes the client send H(username:realm) instead of the
// username when a challenge says userhash=true (RFC 7616 section 3.4.4).
// It is off by default, as in Python requests: servers must still accept
// the clear username.
func WithUserhash() Option {
	return func(c *Client) { c.userhash = true }
}

// Client holds credentials, the last challenge of each realm (up to 16) and
// their nonce counts, so that returning to a realm continues its count.
// Authorization answers the realm most recently passed to Update. It is safe
// for concurrent use; one Client serves one set of credentials, typically
// per host.
type Client struct {
	username string
	password string
	cnonce   func() (string, error)
	userhash bool

	mu      sync.Mutex
	realms  map[string]*session
	current *session
	tick    uint64
}

type session struct {
	ch   Challenge
	nc   uint32
	used uint64 // tick of the last Update, for eviction
}

// New returns a Client for the given username and password, used as UTF-8
// bytes exactly as given.
func New(username, password string, opts ...Option) *Client {
	c := &Client{
		username: username,
		password: password,
		cnonce:   randomCnonce,
		realms:   make(map[string]*session),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func randomCnonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Update records ch as the current challenge of its realm; later
// Authorization calls answer it. The nonce count restarts at 1 when the
// nonce changes and continues when it does not. ch must not be nil; it is
// copied.
func (c *Client) Update(ch *Challenge) Outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	s := c.realms[ch.Realm]
	outcome := NewNonce
	switch {
	case s == nil:
		if len(c.realms) >= maxRealms {
			c.evictOldest()
		}
		s = &session{}
		c.realms[ch.Realm] = s
	case s.ch.Nonce == ch.Nonce:
		outcome = SameNonce
	default:
		s.nc = 0
		if ch.Stale {
			outcome = StaleNonce
		}
	}
	s.ch = ch.clone()
	s.used = c.tick
	c.current = s
	return outcome
}

func (c *Client) evictOldest() {
	var oldest string
	oldestTick := uint64(math.MaxUint64)
	for realm, s := range c.realms {
		if s.used < oldestTick {
			oldest, oldestTick = realm, s.used
		}
	}
	delete(c.realms, oldest)
}

// Authorization returns the Authorization header value answering the most
// recently updated challenge for a request with the given method and
// request-target (uri: the path and query as sent on the request line, as
// Python requests does). body is the request body for qop=auth-int; nil
// means unknown, and then only qop=auth or no qop is used. It returns
// ErrNoChallenge before the first Update. Each call uses the next nonce count.
func (c *Client) Authorization(method, uri string, body []byte) (string, error) {
	if hasCTL(c.username) || hasCTL(uri) {
		return "", ErrControlChar
	}
	c.mu.Lock()
	s := c.current
	if s == nil {
		c.mu.Unlock()
		return "", ErrNoChallenge
	}
	ch := &s.ch
	qop := ""
	switch {
	case len(ch.QOP) == 0:
	case ch.offers("auth"):
		qop = "auth"
	case ch.offers("auth-int") && body != nil:
		qop = "auth-int"
	default:
		c.mu.Unlock()
		return "", ErrBodyRequired
	}
	if s.nc == math.MaxUint32 {
		c.mu.Unlock()
		return "", ErrNonceExhausted
	}
	s.nc++
	nc := s.nc
	chal := s.ch // a copy: Update may replace s.ch once the lock is released
	c.mu.Unlock()

	newHash := hashFunc(chal.Algorithm)
	if newHash == nil {
		return "", &ChallengeError{Param: "algorithm", Value: chal.Algorithm.String(), Reason: "unknown algorithm", Err: ErrUnsupported}
	}
	h := func(parts ...string) string {
		hh := newHash()
		for i, p := range parts {
			if i > 0 {
				hh.Write([]byte{':'})
			}
			hh.Write([]byte(p))
		}
		return hex.EncodeToString(hh.Sum(nil))
	}

	var cnonce string
	if qop != "" {
		var err error
		if cnonce, err = c.cnonce(); err != nil {
			return "", err
		}
	}
	ncValue := formatNC(nc)

	ha1 := h(c.username, chal.Realm, c.password)
	if chal.Algorithm.Sess() {
		ha1 = h(ha1, chal.Nonce, cnonce)
	}
	var ha2 string
	if qop == "auth-int" {
		ha2 = h(method, uri, h(string(body)))
	} else {
		ha2 = h(method, uri)
	}
	var response string
	if qop == "" {
		response = h(ha1, chal.Nonce, ha2)
	} else {
		response = h(ha1, chal.Nonce, ncValue, cnonce, qop, ha2)
	}

	username := c.username
	hashedUser := c.userhash && chal.UserHash
	if hashedUser {
		username = h(c.username, chal.Realm)
	}

	var b strings.Builder
	b.WriteString("Digest ")
	writeQuoted(&b, "username", username)
	b.WriteString(", ")
	writeQuoted(&b, "realm", chal.Realm)
	b.WriteString(", ")
	writeQuoted(&b, "nonce", chal.Nonce)
	b.WriteString(", ")
	writeQuoted(&b, "uri", uri)
	b.WriteString(", algorithm=")
	b.WriteString(chal.Algorithm.String())
	b.WriteString(", ")
	writeQuoted(&b, "response", response)
	if chal.Opaque != "" {
		b.WriteString(", ")
		writeQuoted(&b, "opaque", chal.Opaque)
	}
	if qop != "" {
		b.WriteString(", qop=")
		b.WriteString(qop)
		b.WriteString(", nc=")
		b.WriteString(ncValue)
		b.WriteString(", ")
		writeQuoted(&b, "cnonce", cnonce)
	}
	if hashedUser {
		b.WriteString(", userhash=true")
	}
	return b.String(), nil
}

// hasCTL reports control characters other than HTAB, which quoted-strings
// cannot carry.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if isCTL(s[i]) && s[i] != '\t' {
			return true
		}
	}
	return false
}

func hashFunc(a Algorithm) func() hash.Hash {
	switch a {
	case MD5, MD5Sess:
		return md5.New
	case SHA256, SHA256Sess:
		return sha256.New
	case SHA512_256, SHA512_256Sess:
		return sha512.New512_256
	case SHA512, SHA512Sess:
		return sha512.New
	}
	return nil
}

func formatNC(n uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// writeQuoted writes name="value" with backslash escapes for '"' and '\'.
func writeQuoted(b *strings.Builder, name, value string) {
	b.WriteString(name)
	b.WriteString(`="`)
	for i := 0; i < len(value); i++ {
		if c := value[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(value[i])
	}
	b.WriteByte('"')
}
