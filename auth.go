package requests

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
)

// An Authenticator adds credentials to a request before it is sent
// (requests' AuthBase). It is called for the first request of a call, again
// for every redirect hop that keeps credentials (same host, scheme and port,
// or the upgrade to https), and for every answer to a challenge (see
// Challenger); it must be safe for concurrent use, since a Session's calls
// share it.
type Authenticator interface {
	Authenticate(req *http.Request) error
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(req *http.Request) error

// Authenticate calls f(req).
func (f AuthFunc) Authenticate(req *http.Request) error { return f(req) }

// Auth authenticates requests with a (requests' auth=AuthBase()). Auth(nil)
// removes a Session's authentication for a call; as in requests, .netrc
// credentials then apply unless TrustEnv(false) is given too.
func Auth(a Authenticator) Option {
	return optionFunc(func(c *config) { c.Auth = a })
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

// A Challenger is an Authenticator that also answers the server's
// challenge, as requests' HTTPDigestAuth does from its response hook. When a
// request it authenticated gets 401 Unauthorized, the Session calls
// Challenge; if that returns true, the 401's body is drained and closed, the
// request body rewound (ErrUnrewindableBody if it cannot be), Authenticate
// called on a fresh copy of the request, and the copy sent. The answered 401
// is kept in the final Response's History, as in requests. When Challenge
// returns false, the 401 is the call's Response. A redirect hop whose
// credentials were dropped (another host) is never answered.
type Challenger interface {
	Authenticator
	// Challenge is given the refused request, the 401 response (headers
	// only: its body is not readable here, and neither may be changed), and
	// how many times this request was already answered, 0 at the first 401.
	// It reports whether to send the request again; an error fails the call.
	// Whatever it says, one request is answered at most three times.
	Challenge(req *http.Request, resp *http.Response, answered int) (bool, error)
}

// maxChallenges bounds how many times a Session answers 401 challenges for
// one request, so that a Challenger and a server cannot loop.
const maxChallenges = 3

// authenticate applies the call's Authenticator or, when there is none,
// fromURL (the URL's user info, see urlAuth) or, when there is neither and
// the environment is trusted, the .netrc credentials for the request's host
// (requests' get_netrc_auth). An Authorization header given by the caller
// wins over .netrc, and so does the URL's user info, which requests does
// not do.
func authenticate(req *http.Request, c *config, fromURL Authenticator) error {
	switch {
	case c.Auth != nil:
		return c.Auth.Authenticate(req)
	case fromURL != nil:
		return fromURL.Authenticate(req)
	case c.TrustEnv && req.Header.Get("Authorization") == "":
		return netrcAuth(req)
	}
	return nil
}

// urlAuth is requests' get_auth_from_url: a URL's user info, decoded, as
// Basic credentials (a missing part empty); none when both parts are empty.
func urlAuth(u *url.Userinfo) Authenticator {
	if u == nil {
		return nil
	}
	pass, _ := u.Password()
	if u.Username() == "" && pass == "" {
		return nil
	}
	return basicAuth{user: u.Username(), pass: pass}
}

// authenticateHop authenticates a redirect hop (requests' rebuild_auth): the
// Authenticator again while credentials are kept, as a Digest answer depends
// on the URI; without one, the .netrc credentials of the hop's own host.
// Credentials from the first URL's user info travel in the kept header.
func authenticateHop(req *http.Request, c *config, stripped bool) error {
	if c.Auth != nil && stripped {
		return nil
	}
	return authenticate(req, c, nil)
}

// answerChallenges answers 401s while the call's Challenger asks to, and
// returns the last response with the request that produced it. Each
// answered 401 is drained and appended to history.
func (s *Session) answerChallenges(cl *call, req *http.Request, resp *Response, history *[]*Response) (*Response, *http.Request, error) {
	ch, ok := cl.cfg.Auth.(Challenger)
	if !ok {
		return resp, req, nil
	}
	for answered := 0; resp.StatusCode == http.StatusUnauthorized && answered < maxChallenges; answered++ {
		head := *resp.raw
		head.Body = http.NoBody
		again, err := ch.Challenge(req, &head, answered)
		if err != nil {
			resp.discard()
			return nil, nil, wrapErr(req.Method, req.URL, nil, err)
		}
		if !again {
			break
		}
		resp.discard() // first: the body may only be had again once the Transport is done
		next, err := reauthenticate(cl, req, resp)
		if err != nil {
			return nil, nil, err
		}
		*history = append(*history, resp)
		req = next
		if resp, err = s.sendWithRetries(cl, req); err != nil {
			return nil, nil, err
		}
	}
	return resp, req, nil
}

// reauthenticate builds the answer to a challenge: the same request with
// its body rewound, its cookies again if the 401 set some (as requests
// re-prepares them), and fresh credentials.
func reauthenticate(cl *call, req *http.Request, resp *Response) (*http.Request, error) {
	next, err := cl.again(req, "answering the authentication challenge")
	if err != nil {
		return nil, err
	}
	next.Header.Del("Authorization")
	if len(resp.raw.Header["Set-Cookie"]) > 0 {
		next.Header.Del("Cookie")
		if err := addCookies(next, cl.cfg, cl); err != nil {
			closeBody(next)
			return nil, wrapErr(next.Method, next.URL, ErrInvalidHeader, err)
		}
	}
	if err := cl.cfg.Auth.Authenticate(next); err != nil {
		closeBody(next)
		return nil, wrapErr(next.Method, next.URL, nil, err)
	}
	return next, nil
}
