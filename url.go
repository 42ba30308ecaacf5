package requests

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
)

// parseURL parses and checks a request URL as requests' prepare_url does:
// leading white space dropped, then checkURL.
func (s *Session) parseURL(raw string) (*url.URL, error) {
	raw = strings.TrimLeft(raw, " \t\r\n")
	u, err := url.Parse(raw)
	if err != nil {
		return nil, wrapRawErr("", raw, ErrInvalidURL, err)
	}
	if kind, err := s.checkURL(u, raw); err != nil {
		return nil, wrapRawErr("", raw, kind, err)
	}
	u.RawQuery = requoteQuery(u.RawQuery)
	return u, nil
}

// checkURL checks a parsed URL, a direct one or a redirect's target alike,
// as requests' prepare_url does: a scheme required, http and https (or a
// mounted prefix, matched against raw) only, a valid host (see checkHost,
// which turns a Unicode name into IDNA in u), a valid port. It returns the
// failure's kind and cause.
func (s *Session) checkURL(u *url.URL, raw string) (kind, err error) {
	if u.Scheme == "" || (u.Opaque != "" && looksLikePort(u.Opaque)) {
		// "example.com/x" has no scheme; "localhost:8080/x" parses as scheme
		// "localhost", which requests also reports as a missing scheme.
		return ErrMissingSchema, fmt.Errorf("no scheme supplied; perhaps you meant https://%s", redactRaw(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if s.mounted(raw) != nil {
			return nil, nil
		}
		return ErrInvalidSchema, fmt.Errorf("no transport for scheme %q", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return ErrInvalidURL, errors.New("no host supplied")
	}
	p := u.Port()
	if p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return ErrInvalidURL, fmt.Errorf("invalid port %q", p)
		}
	}
	host := u.Hostname()
	a, err := checkHost(host)
	if err != nil {
		return ErrInvalidURL, err
	}
	if a != host {
		if p != "" {
			a += ":" + p
		}
		u.Host = a
	}
	return nil, nil
}

// checkHost validates a host name and returns its ASCII form, as requests'
// prepare_url does before anything is dialled. An ASCII name is taken as it
// is (no IDNA work: the common case stays cheap) unless it starts with "*"
// or ".", or has an empty or over-long label, which Python's idna codec
// refuses when connecting. Any other name must pass IDNA 2008 with UTS 46
// mapping, as requests' idna.encode(host, uts46=True) does. IP literals
// pass as they are.
func checkHost(host string) (string, error) {
	if isASCII(host) {
		return host, checkLabels(host)
	}
	// Lookup maps (UTS 46) and validates; Go's tables still admit code
	// points UTS 46 marks NV8 (valid there, disallowed by IDNA 2008, such as
	// symbols), which idna2008Rune refuses.
	mapped, err := idna.Lookup.ToUnicode(host)
	if err == nil {
		for _, r := range mapped {
			if r >= 0x80 && !idna2008Rune(r) {
				err = fmt.Errorf("%U is not allowed by IDNA 2008", r)
				break
			}
		}
	}
	var a string
	if err == nil {
		a, err = idna.Lookup.ToASCII(mapped)
	}
	if err == nil {
		err = checkLabels(a)
	}
	if err != nil {
		return "", fmt.Errorf("host %q is not a valid IDNA name: %w", host, err)
	}
	return a, nil
}

// checkLabels refuses an ASCII host name that starts with "*" or "." (as
// requests does) or has an empty label or one over 63 bytes (as Python's
// idna codec does); a final root "." is allowed.
func checkLabels(host string) error {
	if host[0] == '*' || host[0] == '.' {
		return fmt.Errorf("host %q has an invalid label", host)
	}
	if strings.IndexByte(host, ':') >= 0 {
		return nil // an IPv6 literal
	}
	start := 0
	for i := 0; i <= len(host); i++ {
		if i < len(host) && host[i] != '.' {
			continue
		}
		if n := i - start; (n == 0 && i < len(host)) || n > 63 {
			return fmt.Errorf("host %q has an empty or too long label", host)
		}
		start = i + 1
	}
	return nil
}

// idna2008Rune approximates RFC 5892's derived property for a non-ASCII
// code point already mapped by UTS 46: PVALID or contextual (letters,
// marks, digits, the joiners and the listed exceptions) is allowed;
// symbols, punctuation, old Hangul jamo and the ignorable blocks are not.
func idna2008Rune(r rune) bool {
	switch r {
	case 0xDF, 0x3C2, 0x6FD, 0x6FE, 0xF0B, 0x3007, // PVALID exceptions
		0xB7, 0x375, 0x5F3, 0x5F4, 0x30FB, // CONTEXTO
		0x200C, 0x200D: // CONTEXTJ, checked by the Lookup profile
		return true
	case 0x640, 0x7FA, 0x302E, 0x302F, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B:
		return false // DISALLOWED exceptions
	}
	switch {
	case 0x1100 <= r && r <= 0x11FF, 0xA960 <= r && r <= 0xA97F, 0xD7B0 <= r && r <= 0xD7FF,
		0x20D0 <= r && r <= 0x20FF, 0x1D100 <= r && r <= 0x1D24F:
		return false // old Hangul jamo, ignorable blocks
	}
	return unicode.In(r, unicode.Ll, unicode.Lo, unicode.Lm, unicode.Mn, unicode.Mc, unicode.Nd)
}

// spells reports whether u.String() is s, without building the string, for
// the usual spelling of a URL: a lowercase scheme, a host, then a path and
// query made of bytes String writes back as they are. Anything else
// (escapes, user info, a fragment, IPv6 hosts) answers false.
func spells(u *url.URL, s string) bool {
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil || u.OmitHost ||
		u.RawPath != "" || u.Fragment != "" || u.RawFragment != "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !plainURLByte(s[i]) && s[i] != '?' {
			return false
		}
	}
	rest, ok := strings.CutPrefix(s, u.Scheme)
	if ok {
		rest, ok = strings.CutPrefix(rest, "://")
	}
	if !ok || !plainHost(u.Host) {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, u.Host); !ok {
		return false
	}
	p := u.Path
	if p != "" && p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if !plainURLByte(p[i]) {
			return false
		}
	}
	if rest, ok = strings.CutPrefix(rest, p); !ok {
		return false
	}
	if u.RawQuery == "" && !u.ForceQuery {
		return rest == ""
	}
	return len(rest) == 1+len(u.RawQuery) && rest[0] == '?' && rest[1:] == u.RawQuery
}

// plainURLByte: the bytes url.URL.String writes back unescaped in a path.
func plainURLByte(c byte) bool { return plainURLBytes[c] }

var plainURLBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~:/=&+,;", byte(c)) >= 0
	}
	return t
}()

func plainHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if c := h[i]; c == '/' || c == '=' || c == '&' || c == '+' || c == ',' || c == ';' || !plainURLByte(c) {
			return false
		}
	}
	return true
}

// requoteQuery percent-encodes the bytes a query may not hold as they are
// (space, non-ASCII, and " < > \ ^ ` { | }), as requests' requote_uri
// does: url.Parse keeps a query raw, and a space in it would split the
// request line. Valid escapes are kept; a "%" that starts none becomes
// "%25". A query that needs nothing is returned as it is, without copying.
func requoteQuery(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		ok := queryByteOK(c)
		if c == '%' {
			ok = i+2 < len(q) && isHex(q[i+1]) && isHex(q[i+2])
		}
		if ok {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(q) + 8)
			b.WriteString(q[:i])
		}
		const hex = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if b.Len() == 0 {
		return q
	}
	return b.String()
}

// queryByteOK reports whether c may stand in a query as it is: unreserved,
// a sub-delimiter, ":", "@", "/", "?", or requests' extra "[" and "]".
func queryByteOK(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?[]", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func looksLikePort(opaque string) bool {
	return opaque[0] >= '0' && opaque[0] <= '9'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
