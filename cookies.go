package requests

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/publicsuffix"
)

// Jar makes the Session, or one call, store and send cookies with j instead
// of the Session's own jar (requests' cookies=CookieJar). Jar(nil) on a call
// sends no stored cookies and keeps none.
func Jar(j http.CookieJar) Option {
	return optionFunc(func(c *config) { c.jar = j })
}

// newJar returns an empty jar that follows the public suffix list, so that
// a site cannot set a cookie for a whole registry such as "co.uk".
func newJar() http.CookieJar {
	jar, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	return &sessionJar{jar: jar}
}

// sessionJar is a Session's own jar. Until a cookie is first stored it
// answers "none" without looking: the look-up (the public suffix rules and
// the host parsed on every call, under the jar's lock) costs more than the
// rest of building a request, and many Sessions never receive a cookie.
//
// It also bounds the jar: at most MaxCookiesPerDomain cookies per
// registrable domain and MaxCookies in all, the oldest evicted first.
type sessionJar struct {
	jar  *cookiejar.Jar
	used atomic.Bool
	mu   sync.Mutex // guards idx and serialises SetCookies
	idx  jarIndex
}

// SetCookies stores cookies as cookiejar.Jar does, then evicts the oldest
// cookies past MaxCookiesPerDomain and MaxCookies. A cookie whose name is
// not a token or whose value holds a control byte or ';' is dropped, and
// so is one from a non-secure origin that would shadow a Secure cookie.
func (j *sessionJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if len(cookies) == 0 {
		return
	}
	j.used.Store(true)
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cookies {
		j.store(u, c)
	}
}

// Cookies returns the cookies to send to u, as cookiejar.Jar does.
func (j *sessionJar) Cookies(u *url.URL) []*http.Cookie {
	if !j.used.Load() {
		return nil
	}
	return j.jar.Cookies(u)
}

// Cookies returns the cookies the Session would send to rawURL (requests'
// s.cookies, read for one URL): those in its jar that match the URL by
// domain, path and secure rules, then the Session's Cookies that no jar
// cookie of the same name shadows. Cookies given to a single call are not
// included. A URL that is not valid fails as a call to it would.
func (s *Session) Cookies(rawURL string) ([]*http.Cookie, error) {
	u, err := s.parseURL(rawURL)
	if err != nil {
		return nil, err.(*Error).withMethod(http.MethodGet)
	}
	c := s.cfg.Load()
	var out []*http.Cookie
	if c.jar != nil {
		out = c.jar.Cookies(u)
	}
	for _, k := range sortedKeys(c.seed) {
		if !hasCookie(out, k) {
			out = append(out, &http.Cookie{Name: k, Value: c.seed[k]})
		}
	}
	return out, nil
}

// ClearCookies forgets every cookie the Session holds (requests'
// s.cookies.clear()): the Cookies given to NewSession or Update are dropped
// and the jar is replaced with a new, empty one of the default kind. A jar
// given with Jar is replaced too, since an http.CookieJar cannot be emptied;
// calls already under way keep the jar they started with. The package-level
// Session, which keeps no jar, only drops its Cookies.
func (s *Session) ClearCookies() {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *s.cfg.Load()
	c.seed = nil
	if c.jar != nil {
		c.jar = newJar()
	}
	s.cfg.Store(&c)
}

func hasCookie(cs []*http.Cookie, name string) bool {
	return slices.ContainsFunc(cs, func(c *http.Cookie) bool { return c.Name == name })
}

// sortedKeys gives the cookies a stable order in the Cookie header.
func sortedKeys(m Cookies) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func writeCookie(b *strings.Builder, name, value string) {
	if b.Len() > 0 {
		b.WriteString("; ")
	}
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
}

func checkCookies(m Cookies) error {
	for k, v := range m {
		if err := checkCookie(k, v); err != nil {
			return err
		}
	}
	return nil
}

// checkCookie refuses a cookie that would break the Cookie header.
func checkCookie(name, value string) error {
	if name == "" || strings.IndexFunc(name, func(r rune) bool { return !httpguts.IsTokenRune(r) }) >= 0 {
		return fmt.Errorf("cookie name %q is not a token", name)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 || c == 0x7f || c == ';' {
			return fmt.Errorf("value of cookie %s holds %q", name, c)
		}
	}
	return nil
}

// MaxSetCookies caps how many Set-Cookie headers of one response are stored
// in the jar; the rest are ignored, so that a server cannot flood the jar.
// Browsers keep about this many cookies per domain.
const MaxSetCookies = 50

// storeCookies stores a response's cookies in the call's jar, at most
// MaxSetCookies of them. Response.Cookies still lists them all.
func storeCookies(cl *call, u *url.URL, h http.Header) {
	lines := h["Set-Cookie"]
	if len(lines) == 0 {
		return
	}
	jar := cl.cookieJar()
	if jar == nil {
		return
	}
	if len(lines) > MaxSetCookies {
		lines = lines[:MaxSetCookies]
	}
	jar.SetCookies(u, parseSetCookies(lines))
}
