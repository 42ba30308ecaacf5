package requests

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/go-requests/requests/internal/digest"
)

// DigestAuth authenticates with HTTP Digest (requests' HTTPDigestAuth): the
// first request goes without credentials, the server's 401 challenge is
// answered once with the request body sent again, and later requests to the
// same host answer the last challenge directly, counting nonce uses. It
// supports MD5, SHA-256, SHA-512-256 and SHA-512 with their -sess variants, and qop
// auth, auth-int or none; a stale nonce is answered once more. Wrong
// credentials give the server's 401 as the Response, not an error. Given to
// NewSession, the challenge state is shared by the Session's calls; given to
// one call, it lasts for that call.
func DigestAuth(user, pass string) Option {
	return Auth(&digestAuth{user: user, pass: pass})
}

// maxDigestHosts bounds the hosts whose challenges a DigestAuth remembers.
const maxDigestHosts = 64

// maxAuthIntBody bounds the request body hashed for qop=auth-int, which has
// to be held in memory.
const maxAuthIntBody = 8 << 20

// digestAuth is the Challenger behind DigestAuth. It keeps one digest.Client
// per origin, as a challenge belongs to the server that sent it.
type digestAuth struct {
	user, pass string

	mu    sync.Mutex
	hosts map[string]*digest.Client
}

// client returns the digest state for u's origin; with create false it
// returns nil when the origin never challenged.
func (d *digestAuth) client(u *url.URL, create bool) *digest.Client {
	key := u.Scheme + "://" + strings.ToLower(u.Hostname()) + ":" + portOf(u)
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.hosts[key]; c != nil || !create {
		return c
	}
	if d.hosts == nil {
		d.hosts = make(map[string]*digest.Client)
	}
	if len(d.hosts) >= maxDigestHosts {
		for k := range d.hosts { // forget one origin to make room
			delete(d.hosts, k)
			break
		}
	}
	c := digest.New(d.user, d.pass)
	d.hosts[key] = c
	return c
}

// Authenticate answers the origin's last challenge, if it sent one; the
// first request to an origin goes without credentials.
func (d *digestAuth) Authenticate(req *http.Request) error {
	c := d.client(req.URL, false)
	if c == nil {
		return nil
	}
	uri := req.URL.RequestURI()
	h, err := c.Authorization(req.Method, uri, nil)
	if errors.Is(err, digest.ErrBodyRequired) {
		body, berr := authIntBody(req)
		if berr != nil {
			return berr
		}
		h, err = c.Authorization(req.Method, uri, body)
	}
	switch {
	case err == nil:
		req.Header.Set("Authorization", h)
	case errors.Is(err, digest.ErrNoChallenge), errors.Is(err, digest.ErrNonceExhausted):
		// Nothing to answer yet: the server's next challenge brings a nonce.
	case errors.Is(err, digest.ErrControlChar):
		return fmt.Errorf("%w: %w", ErrInvalidHeader, err)
	default:
		return err
	}
	return nil
}

// Challenge records the 401's Digest challenge and asks for the request to
// be answered: once, and once more when the server says the nonce was stale.
// A 401 with no Digest challenge this package can answer stands as the
// response, as does a refusal of an answer to the very nonce it carried.
func (d *digestAuth) Challenge(req *http.Request, resp *http.Response, answered int) (bool, error) {
	ch, err := digest.ParseChallenges(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return false, nil
	}
	switch d.client(req.URL, true).Update(ch) {
	case digest.StaleNonce:
		return answered < 2, nil
	case digest.SameNonce:
		if strings.HasPrefix(req.Header.Get("Authorization"), "Digest ") {
			return false, nil // the credentials were refused
		}
	}
	return answered == 0, nil
}

// authIntBody returns the request body for qop=auth-int, which hashes it:
// empty when there is none, read through GetBody otherwise.
func authIntBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return []byte{}, nil
	}
	if req.GetBody == nil {
		return nil, fmt.Errorf("%w: digest qop=auth-int hashes the body, which cannot be read twice", ErrUnrewindableBody)
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnrewindableBody, err)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxAuthIntBody+1))
	rc.Close()
	if err != nil {
		return nil, err
	}
	if len(b) > maxAuthIntBody {
		return nil, fmt.Errorf("%w: digest qop=auth-int hashes the body, which is larger than %d bytes", ErrBodyTooLarge, maxAuthIntBody)
	}
	// A seekable reader's GetBody returns the reader itself: rewind it again
	// so that the body sent is whole.
	rc, err = req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnrewindableBody, err)
	}
	rc.Close()
	return b, nil
}
