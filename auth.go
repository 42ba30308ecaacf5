package requests

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
)

// An Authenticator adds credentials to a request before it is sent
// (requests' AuthBase). It is called for the first request of a call and
// again for every redirect hop that keeps credentials; it must be safe for
// concurrent use, since a Session's calls share it.
type Authenticator interface {
	Authenticate(req *http.Request) error
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(req *http.Request) error

// Authenticate calls f(req).
func (f AuthFunc) Authenticate(req *http.Request) error { return f(req) }

// Auth authenticates requests with a (requests' auth=AuthBase()). Auth(nil)
// removes a Session's authentication for a call.
func Auth(a Authenticator) Option {
	return optionFunc(func(c *config) { c.auth, c.authSet = a, true })
}

// BasicAuth sends HTTP Basic credentials (requests' auth=(user, pass)). As
// in requests, user and password are encoded as Latin-1 when they fit, UTF-8
// otherwise. A user name with a colon, or either part with a control
// character, fails with ErrInvalidHeader.
func BasicAuth(user, pass string) Option {
	return Auth(basicAuth{user: user, pass: pass})
}

// BearerAuth sends "Authorization: Bearer token".
func BearerAuth(token string) Option {
	return Auth(headerAuth("Bearer " + token))
}

type basicAuth struct{ user, pass string }

func (a basicAuth) Authenticate(req *http.Request) error {
	for i := 0; i < len(a.user); i++ {
		if c := a.user[i]; c == ':' || c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: basic auth user name holds %q", ErrInvalidHeader, c)
		}
	}
	for i := 0; i < len(a.pass); i++ {
		if c := a.pass[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: basic auth password holds a control character", ErrInvalidHeader)
		}
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(latin1(a.user+":"+a.pass)))
	return nil
}

// latin1 encodes s as Latin-1 when every rune fits, as requests does for
// Basic credentials; otherwise it keeps the UTF-8 bytes.
func latin1(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff || r == utf8.RuneError {
			return []byte(s)
		}
		out = append(out, byte(r))
	}
	return out
}

type headerAuth string

func (a headerAuth) Authenticate(req *http.Request) error {
	if !httpguts.ValidHeaderFieldValue(string(a)) {
		return fmt.Errorf("%w: authorization value", ErrInvalidHeader)
	}
	req.Header.Set("Authorization", string(a))
	return nil
}

// authenticate applies the call's Authenticator, if any.
func authenticate(req *http.Request, c *config) error {
	if c.auth == nil {
		return nil
	}
	return c.auth.Authenticate(req)
}
