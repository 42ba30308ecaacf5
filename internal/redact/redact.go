// Package redact masks credentials in headers and URLs before they are
// written anywhere a person may read them: logs, dumps, recorded exchanges.
//
// It masks values, never names, so that what was sent can still be read:
// "Authorization: Bearer REDACTED", "session=REDACTED", "?token=REDACTED".
package redact

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Mask replaces every secret.
const Mask = "REDACTED"

// Headers are the headers that carry credentials, in canonical form.
var Headers = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// Params are the query parameter names that carry credentials. Names are
// compared case-insensitively, with "-" and "_" alike; a name ending in
// "_token", "_secret" or "_password" (refresh_token, db_password) is a
// credential too.
var Params = []string{
	"token", "access_token", "key", "api_key", "apikey", "secret", "client_secret",
	"password", "passwd", "signature", "sig",
}

// paramSuffixes make the families of Params' names credentials as well.
var paramSuffixes = []string{"_token", "_secret", "_password"}

// IsHeader reports whether the header name carries credentials: one of
// Headers, or of extra, the names a caller declared sensitive (an API key
// header, say).
func IsHeader(name string, extra ...string) bool {
	for _, h := range Headers {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	for _, h := range extra {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// IsParam reports whether the query parameter name carries credentials.
func IsParam(name string) bool {
	n := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if slices.Contains(Params, n) {
		return true
	}
	for _, s := range paramSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// RedactHeader returns value with its secret masked when name is a
// credential header (see IsHeader for extra), and value itself otherwise.
// The authentication scheme ("Basic", "Bearer") and cookie names and
// attributes are kept, since they tell what was sent without giving it away.
func RedactHeader(name, value string, extra ...string) string {
	switch {
	case strings.EqualFold(name, "Authorization"), strings.EqualFold(name, "Proxy-Authorization"):
		if scheme, _, ok := strings.Cut(strings.TrimSpace(value), " "); ok && scheme != "" {
			return scheme + " " + Mask
		}
		return Mask
	case strings.EqualFold(name, "Cookie"):
		// name=value; name2=value2
		parts := strings.Split(value, ";")
		for i, p := range parts {
			parts[i] = maskPair(p)
		}
		return strings.Join(parts, ";")
	case strings.EqualFold(name, "Set-Cookie"):
		// name=value; Path=/; HttpOnly: only the first pair is secret.
		first, rest, _ := strings.Cut(value, ";")
		if rest != "" {
			return maskPair(first) + ";" + rest
		}
		return maskPair(first)
	case IsHeader(name, extra...):
		return Mask
	}
	return value
}

// maskPair masks the value of "name=value", keeping the spaces around it.
func maskPair(p string) string {
	k, _, ok := strings.Cut(p, "=")
	if !ok {
		if strings.TrimSpace(p) == "" {
			return p
		}
		return Mask
	}
	return k + "=" + Mask
}

// RedactHeaders returns a copy of h with every credential header's values
// masked, extra naming more credential headers.
func RedactHeaders(h http.Header, extra ...string) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		c := make([]string, len(vs))
		for i, v := range vs {
			c[i] = RedactHeader(k, v, extra...)
		}
		out[k] = c
	}
	return out
}

// RedactURL returns u as a string with its password and the values of its
// credential query parameters masked. The rest is spelt as in u, the
// query's order and escapes included. A nil u gives "".
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), Mask)
		}
	}
	c.RawQuery = RedactQuery(c.RawQuery)
	return c.String()
}

// RedactQuery masks the values of the credential parameters in a raw
// (encoded) query, leaving every other byte as it was.
func RedactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if IsParam(name) {
			parts[i] = k + "=" + Mask
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

// RedactForm masks the values of the credential fields of a form-encoded
// body (application/x-www-form-urlencoded), as RedactQuery does for a query:
// OAuth token requests carry client_secret and password there.
func RedactForm(body string) string { return RedactQuery(body) }
