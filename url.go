package requests

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// parseURL parses and checks a request URL as requests' prepare_url does:
// leading white space dropped, a scheme required, http and https (or a
// mounted prefix) only, a host required, Unicode host names turned to IDNA.
func (s *Session) parseURL(raw string) (*url.URL, error) {
	raw = strings.TrimLeft(raw, " \t\r\n")
	u, err := url.Parse(raw)
	if err != nil {
		return nil, wrapRawErr("", raw, ErrInvalidURL, err)
	}
	if u.Scheme == "" || (u.Opaque != "" && looksLikePort(u.Opaque)) {
		// "example.com/x" has no scheme; "localhost:8080/x" parses as scheme
		// "localhost", which requests also reports as a missing scheme.
		return nil, wrapRawErr("", raw, ErrMissingSchema,
			fmt.Errorf("no scheme supplied; perhaps you meant https://%s", redactRaw(raw)))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if s.mounted(raw) != nil {
			return u, nil
		}
		return nil, wrapRawErr("", raw, ErrInvalidSchema,
			fmt.Errorf("no transport for scheme %q", u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, wrapRawErr("", raw, ErrInvalidURL, errors.New("no host supplied"))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, wrapRawErr("", raw, ErrInvalidURL, fmt.Errorf("invalid port %q", p))
		}
	}
	if host := u.Hostname(); !isASCII(host) {
		a, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return nil, wrapRawErr("", raw, ErrInvalidURL, fmt.Errorf("host %q is not a valid IDNA name: %w", host, err))
		}
		if p := u.Port(); p != "" {
			a += ":" + p
		}
		u.Host = a
	}
	u.RawQuery = requoteQuery(u.RawQuery)
	return u, nil
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
