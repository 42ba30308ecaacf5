package requests

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// MaxCookiesPerDomain caps how many cookies a Session's jar keeps for one
// registrable domain (example.com with its subdomains), and MaxCookies how
// many it keeps in all, as browsers do. Past either the oldest cookie is
// evicted, so that servers cannot grow the jar, and with it the Cookie
// header sent to their sibling hosts, without bound.
const (
	MaxCookiesPerDomain = 50
	MaxCookies          = 3000
)

// jarKey names a cookie as the jar does: its domain, path and name.
type jarKey struct{ domain, path, name string }

// jarEntry is what the jar's bookkeeping knows of a stored cookie.
type jarEntry struct {
	seq     uint64 // creation order; a replaced cookie keeps its place
	site    string // registrable domain, for MaxCookiesPerDomain
	secure  bool
	expires time.Time
}

// jarIndex tracks the cookies a sessionJar holds, since cookiejar.Jar
// cannot list them, so that the oldest can be evicted.
type jarIndex struct {
	seq     uint64
	entries map[jarKey]*jarEntry
	perSite map[string]int
}

// store stores one cookie in j and keeps the index and the limits.
func (j *sessionJar) store(u *url.URL, c *http.Cookie) {
	if checkCookie(c.Name, c.Value) != nil {
		return // it could never be sent safely
	}
	now := time.Now()
	k := jarKey{domain: cookieDomain(u, c), path: cookiePath(u, c), name: c.Name}
	if !c.Secure && !secureOrigin(u) && j.shadowsSecure(k, now) {
		return
	}
	j.jar.SetCookies(u, []*http.Cookie{c})
	if c.MaxAge < 0 || (!c.Expires.IsZero() && !c.Expires.After(now)) || !j.holds(k, c.Value) {
		j.forget(k) // deleted, or refused by the jar
		return
	}
	e := j.idx.entries[k]
	if e == nil {
		if j.idx.entries == nil {
			j.idx.entries, j.idx.perSite = map[jarKey]*jarEntry{}, map[string]int{}
		}
		j.idx.seq++
		e = &jarEntry{seq: j.idx.seq, site: registrableDomain(k.domain)}
		j.idx.entries[k] = e
		j.idx.perSite[e.site]++
	}
	e.secure, e.expires = c.Secure, time.Time{}
	if c.MaxAge > 0 {
		e.expires = now.Add(time.Duration(c.MaxAge) * time.Second)
	} else if !c.Expires.IsZero() {
		e.expires = c.Expires
	}
	if j.idx.perSite[e.site] > MaxCookiesPerDomain || len(j.idx.entries) > MaxCookies {
		j.forgetExpired(now)
	}
	for j.idx.perSite[e.site] > MaxCookiesPerDomain {
		j.evict(j.oldest(e.site))
	}
	for len(j.idx.entries) > MaxCookies {
		j.evict(j.oldest(""))
	}
}

// shadowsSecure reports whether a cookie filed under k would shadow a
// stored Secure cookie (RFC 6265bis section 5.7, "leave secure cookies
// alone"): one of the same name whose domain domain-matches k's, or the
// other way round, and whose path k's path path-matches. A non-secure
// origin may neither replace nor delete such a cookie.
func (j *sessionJar) shadowsSecure(k jarKey, now time.Time) bool {
	for ek, e := range j.idx.entries {
		if e.secure && ek.name == k.name && (e.expires.IsZero() || e.expires.After(now)) &&
			(domainMatch(ek.domain, k.domain) || domainMatch(k.domain, ek.domain)) &&
			pathMatch(k.path, ek.path) {
			return true
		}
	}
	return false
}

// secureOrigin reports whether u may set Secure cookies: https, or a
// loopback host, which net/http's jar sends Secure cookies to as browsers do.
func secureOrigin(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return host == "localhost"
}

// domainMatch implements RFC 6265 section 5.1.3 for s and d.
func domainMatch(s, d string) bool {
	return s == d || (strings.HasSuffix(s, "."+d) && net.ParseIP(s) == nil)
}

// pathMatch implements RFC 6265 section 5.1.4: whether p is within the
// cookie path cp.
func pathMatch(p, cp string) bool {
	return p == cp || (strings.HasPrefix(p, cp) && (strings.HasSuffix(cp, "/") || p[len(cp)] == '/'))
}

// holds reports whether the jar keeps a cookie named k.name with value at
// k's domain and path: cookiejar.Jar may refuse a cookie without a word.
func (j *sessionJar) holds(k jarKey, value string) bool {
	for _, c := range j.jar.Cookies(keyURL(k)) {
		if c.Name == k.name && c.Value == value {
			return true
		}
	}
	return false
}

// oldest returns the key of the oldest cookie of site, or of all if site
// is empty.
func (j *sessionJar) oldest(site string) jarKey {
	var (
		out  jarKey
		best uint64
	)
	for k, e := range j.idx.entries {
		if (site == "" || e.site == site) && (best == 0 || e.seq < best) {
			out, best = k, e.seq
		}
	}
	return out
}

// evict expires k in the jar and forgets it.
func (j *sessionJar) evict(k jarKey) {
	j.jar.SetCookies(keyURL(k), []*http.Cookie{{Name: k.name, Path: k.path, MaxAge: -1}})
	j.forget(k)
}

func (j *sessionJar) forget(k jarKey) {
	if e, ok := j.idx.entries[k]; ok {
		delete(j.idx.entries, k)
		if j.idx.perSite[e.site]--; j.idx.perSite[e.site] == 0 {
			delete(j.idx.perSite, e.site)
		}
	}
}

// forgetExpired forgets the cookies the jar no longer sends.
func (j *sessionJar) forgetExpired(now time.Time) {
	for k, e := range j.idx.entries {
		if !e.expires.IsZero() && !e.expires.After(now) {
			j.forget(k)
		}
	}
}

// keyURL is a URL that k's cookie is sent to.
func keyURL(k jarKey) *url.URL {
	host := k.domain
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return &url.URL{Scheme: "https", Host: host, Path: k.path}
}

// cookieDomain is the domain cookiejar.Jar files c under when u sets it.
func cookieDomain(u *url.URL, c *http.Cookie) string {
	if c.Domain == "" {
		return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	}
	return strings.ToLower(strings.TrimPrefix(c.Domain, "."))
}

// cookiePath is the path cookiejar.Jar files c under when u sets it: its
// Path, or the directory of u's path (RFC 6265 section 5.1.4).
func cookiePath(u *url.URL, c *http.Cookie) string {
	if c.Path != "" && c.Path[0] == '/' {
		return c.Path
	}
	p := u.Path
	i := strings.LastIndexByte(p, '/')
	if p == "" || p[0] != '/' || i == 0 {
		return "/"
	}
	return p[:i]
}

// registrableDomain is the domain's eTLD+1 (example.com for
// a.b.example.com); an IP address or a public suffix stands for itself.
func registrableDomain(domain string) string {
	if net.ParseIP(domain) != nil {
		return domain
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return d
	}
	return domain
}
