package digest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoChallenge means no Digest challenge was found: the WWW-Authenticate
// values offer other schemes only, or no challenge has been recorded yet.
// Callers treat it as "Digest cannot answer this response".
var ErrNoChallenge = errors.New("digest: no Digest challenge")

// ErrUnsupported is wrapped by a ChallengeError whose parameter value this
// package cannot answer (an unknown algorithm, a qop list without "auth" or
// "auth-int", a session algorithm without qop). Another challenge in the same
// response may still be usable.
var ErrUnsupported = errors.New("digest: unsupported")

// SyntaxError reports a WWW-Authenticate value that does not follow the
// challenge grammar of RFC 7235 section 4.1. Offset is the byte offset in the
// header value where parsing stopped, to help locate the fault in logs.
type SyntaxError struct {
	Offset int
	Msg    string
}

// Error describes the fault and its offset.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("digest: malformed challenge at offset %d: %s", e.Offset, e.Msg)
}

// ChallengeError reports a syntactically valid Digest challenge that cannot be
// answered: a required parameter is missing or repeated, or a value is
// unsupported (then Err is ErrUnsupported, so errors.Is works).
type ChallengeError struct {
	Param  string
	Value  string
	Reason string
	Err    error
}

// Error names the parameter and why it cannot be answered.
func (e *ChallengeError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("digest: challenge parameter %s=%q: %s", e.Param, e.Value, e.Reason)
	}
	return fmt.Sprintf("digest: challenge parameter %s: %s", e.Param, e.Reason)
}

// Unwrap returns ErrUnsupported for unsupported values and nil otherwise.
func (e *ChallengeError) Unwrap() error { return e.Err }

// Algorithm names a Digest hash algorithm. The zero value is MD5, the RFC's
// default when a challenge names none.
type Algorithm int

// The algorithms of RFC 7616 section 6.1, and SHA-512, which Python's
// requests answers too; the -sess variants hash the client nonce into the
// session key (section 3.4.2).
const (
	MD5            Algorithm = iota // MD5, the default
	MD5Sess                         // MD5-sess
	SHA256                          // SHA-256
	SHA256Sess                      // SHA-256-sess
	SHA512_256                      // SHA-512-256 (SHA-512/256)
	SHA512_256Sess                  // SHA-512-256-sess
	SHA512                          // SHA-512
	SHA512Sess                      // SHA-512-sess
)

var algorithmNames = [...]string{
	MD5:            "MD5",
	MD5Sess:        "MD5-sess",
	SHA256:         "SHA-256",
	SHA256Sess:     "SHA-256-sess",
	SHA512_256:     "SHA-512-256",
	SHA512_256Sess: "SHA-512-256-sess",
	SHA512:         "SHA-512",
	SHA512Sess:     "SHA-512-sess",
}

// String returns the algorithm token as the RFC spells it, which is also what
// goes into the Authorization header.
func (a Algorithm) String() string {
	if a < 0 || int(a) >= len(algorithmNames) {
		return fmt.Sprintf("Algorithm(%d)", int(a))
	}
	return algorithmNames[a]
}

// Sess reports whether a is a session variant (MD5-sess and friends).
func (a Algorithm) Sess() bool {
	return a == MD5Sess || a == SHA256Sess || a == SHA512_256Sess || a == SHA512Sess
}

// strength orders algorithms by hash strength for choosing among several
// challenges; 0 means unknown.
func (a Algorithm) strength() int {
	switch a {
	case MD5, MD5Sess:
		return 1
	case SHA256, SHA256Sess:
		return 2
	case SHA512_256, SHA512_256Sess, SHA512, SHA512Sess:
		return 3
	}
	return 0
}

func parseAlgorithm(s string) (Algorithm, bool) {
	for i, name := range algorithmNames {
		if strings.EqualFold(s, name) {
			return Algorithm(i), true
		}
	}
	return 0, false
}

// Challenge is one parsed Digest challenge (RFC 7616 section 3.3). Values are
// unquoted and unescaped.
type Challenge struct {
	// Realm names the protection space; the Client keys its state by it.
	Realm string
	// Nonce is the server nonce the answer is computed over.
	Nonce string
	// Opaque is echoed back unchanged when not empty.
	Opaque string
	// Algorithm is MD5 when the challenge does not name one.
	Algorithm Algorithm
	// QOP lists the offered qop values, lower-cased, in the server's order;
	// empty means an RFC 2069 challenge without qop.
	QOP []string
	// Stale reports stale=true: the previous answer had the right
	// credentials but an expired nonce.
	Stale bool
	// UserHash reports userhash=true: the server accepts a hashed username.
	// The username is sent in clear unless the client opted in with
	// WithUserhash.
	UserHash bool
	// Charset is the charset parameter ("UTF-8" when present at all); the
	// username and password are always used as UTF-8 bytes.
	Charset string
	// Domain lists the URIs of the protection space, if the server sent any.
	Domain []string
}

func (c *Challenge) offers(qop string) bool {
	for _, q := range c.QOP {
		if q == qop {
			return true
		}
	}
	return false
}

func (c *Challenge) clone() Challenge {
	out := *c
	out.QOP = append([]string(nil), c.QOP...)
	out.Domain = append([]string(nil), c.Domain...)
	return out
}

// ParseChallenge parses one WWW-Authenticate header value, which may list
// several challenges of several schemes, and returns its strongest supported
// Digest challenge. It is ParseChallenges with a single value.
func ParseChallenge(header string) (*Challenge, error) {
	return ParseChallenges([]string{header})
}

// ParseChallenges returns the strongest supported Digest challenge among all
// the WWW-Authenticate values of one response: SHA-512-256 over SHA-256 over
// MD5, the first offered on a tie. Challenges that cannot be answered are
// skipped. If none is usable it returns the first error met, or
// ErrNoChallenge when no value offers Digest at all.
func ParseChallenges(headers []string) (*Challenge, error) {
	var best *Challenge
	var firstErr error
	for _, h := range headers {
		raws, err := splitChallenges(h)
		for _, rc := range raws {
			if !strings.EqualFold(rc.scheme, "Digest") {
				continue
			}
			ch, cerr := rc.digest()
			if cerr != nil {
				if firstErr == nil {
					firstErr = cerr
				}
				continue
			}
			if best == nil || ch.Algorithm.strength() > best.Algorithm.strength() {
				best = ch
			}
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if best != nil {
		return best, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, ErrNoChallenge
}

type authParam struct {
	name, value string
}

type rawChallenge struct {
	scheme  string
	params  []authParam
	token68 bool
}

// digest converts a raw challenge into a validated Digest challenge.
func (rc *rawChallenge) digest() (*Challenge, error) {
	if rc.token68 {
		return nil, &ChallengeError{Param: "(token68)", Reason: "Digest takes auth-params, not a token68"}
	}
	ch := &Challenge{}
	seen := make(map[string]bool, len(rc.params))
	var haveRealm, haveNonce bool
	for _, p := range rc.params {
		name := strings.ToLower(p.name)
		if seen[name] {
			return nil, &ChallengeError{Param: name, Reason: "repeated"}
		}
		seen[name] = true
		switch name {
		case "realm":
			ch.Realm, haveRealm = p.value, true
		case "nonce":
			ch.Nonce, haveNonce = p.value, true
		case "opaque":
			ch.Opaque = p.value
		case "algorithm":
			alg, ok := parseAlgorithm(p.value)
			if !ok {
				return nil, &ChallengeError{Param: name, Value: p.value, Reason: "unknown algorithm", Err: ErrUnsupported}
			}
			ch.Algorithm = alg
		case "qop":
			for _, q := range strings.Split(p.value, ",") {
				if q = strings.ToLower(strings.Trim(q, " \t")); q != "" {
					ch.QOP = append(ch.QOP, q)
				}
			}
			if len(ch.QOP) > 0 && !ch.offers("auth") && !ch.offers("auth-int") {
				return nil, &ChallengeError{Param: name, Value: p.value, Reason: "neither auth nor auth-int offered", Err: ErrUnsupported}
			}
		case "stale":
			ch.Stale = strings.EqualFold(p.value, "true")
		case "userhash":
			ch.UserHash = strings.EqualFold(p.value, "true")
		case "charset":
			ch.Charset = p.value
		case "domain":
			ch.Domain = strings.Fields(p.value)
		}
	}
	if !haveRealm {
		return nil, &ChallengeError{Param: "realm", Reason: "missing"}
	}
	if !haveNonce {
		return nil, &ChallengeError{Param: "nonce", Reason: "missing"}
	}
	if ch.Algorithm.Sess() && len(ch.QOP) == 0 {
		return nil, &ChallengeError{Param: "algorithm", Value: ch.Algorithm.String(), Reason: "session algorithm without qop", Err: ErrUnsupported}
	}
	return ch, nil
}

// splitChallenges splits a WWW-Authenticate value into challenges. It follows
// RFC 7235 and is lenient where real servers are sloppy: commas may be
// missing between parameters, empty list elements are skipped and unquoted
// values may hold any visible character but a comma or a quote. It returns
// the challenges read before any syntax error.
func splitChallenges(s string) ([]rawChallenge, error) {
	p := &headerParser{s: s}
	var out []rawChallenge
	for {
		p.skipSeparators()
		if p.eof() {
			return out, nil
		}
		scheme := p.token()
		if scheme == "" {
			return out, p.errorf("expected an auth-scheme, found %q", p.s[p.i])
		}
		if !p.eof() && !isSpace(p.s[p.i]) && p.s[p.i] != ',' {
			return out, p.errorf("unexpected %q after auth-scheme", p.s[p.i])
		}
		rc := rawChallenge{scheme: scheme}
		if err := p.challengeBody(&rc); err != nil {
			return out, err
		}
		out = append(out, rc)
	}
}

type headerParser struct {
	s string
	i int
}

func (p *headerParser) eof() bool { return p.i >= len(p.s) }

func (p *headerParser) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: p.i, Msg: fmt.Sprintf(format, args...)}
}

func (p *headerParser) skipSpace() {
	for !p.eof() && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *headerParser) skipSeparators() {
	for !p.eof() && (isSpace(p.s[p.i]) || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *headerParser) token() string {
	start := p.i
	for !p.eof() && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// challengeBody reads the token68 or auth-params after a scheme, stopping
// before the next challenge's scheme.
func (p *headerParser) challengeBody(rc *rawChallenge) error {
	first := true
	for {
		if first {
			p.skipSpace()
		} else {
			p.skipSeparators()
		}
		if p.eof() {
			return nil
		}
		if p.s[p.i] == ',' {
			// A bare scheme followed by a list separator.
			return nil
		}
		start := p.i
		name := p.token()
		p.skipSpace()
		if name != "" && !p.eof() && p.s[p.i] == '=' {
			p.i++
			p.skipSpace()
			if first && (p.eof() || p.s[p.i] == ',' || p.s[p.i] == '=') {
				p.i = start
				return p.token68(rc)
			}
			value, err := p.value()
			if err != nil {
				return err
			}
			rc.params = append(rc.params, authParam{name: name, value: value})
			first = false
			continue
		}
		if first {
			p.i = start
			return p.token68(rc)
		}
		if name == "" {
			return p.errorf("unexpected %q in auth-param list", p.s[p.i])
		}
		// A token not followed by "=" starts the next challenge.
		p.i = start
		return nil
	}
}

func (p *headerParser) token68(rc *rawChallenge) error {
	start := p.i
	for !p.eof() && isToken68(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return p.errorf("unexpected %q after auth-scheme", p.s[p.i])
	}
	for !p.eof() && p.s[p.i] == '=' {
		p.i++
	}
	if !p.eof() && !isSpace(p.s[p.i]) && p.s[p.i] != ',' {
		return p.errorf("unexpected %q in token68", p.s[p.i])
	}
	rc.token68 = true
	return nil
}

func (p *headerParser) value() (string, error) {
	if p.eof() {
		return "", p.errorf("missing parameter value")
	}
	if p.s[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for !p.eof() {
		c := p.s[p.i]
		if isSpace(c) || c == ',' || c == '"' || isCTL(c) {
			break
		}
		p.i++
	}
	if p.i == start {
		return "", p.errorf("missing parameter value")
	}
	return p.s[start:p.i], nil
}

// quoted reads a quoted-string (RFC 9110 section 5.6.4) at p.i and returns
// its unescaped content.
func (p *headerParser) quoted() (string, error) {
	open := p.i
	p.i++
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			p.i++
			if p.eof() {
				return "", &SyntaxError{Offset: open, Msg: "unterminated quoted-string"}
			}
			c = p.s[p.i]
			if isCTL(c) && c != '\t' {
				return "", p.errorf("control character in quoted-pair")
			}
		case isCTL(c) && c != '\t':
			return "", p.errorf("control character in quoted-string")
		}
		b.WriteByte(c)
		p.i++
	}
	return "", &SyntaxError{Offset: open, Msg: "unterminated quoted-string"}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isCTL(c byte) bool { return c < 0x20 || c == 0x7f }

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isTchar reports whether c may appear in an RFC 9110 token.
func isTchar(c byte) bool {
	if isAlnum(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~+/", c) >= 0
}
