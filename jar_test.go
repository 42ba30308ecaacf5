package requests

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/testcert"
)

// A redirect chain that sets MaxSetCookies cookies per hop for a parent
// domain must not grow the jar past MaxCookiesPerDomain: a sibling host
// would otherwise get a Cookie header too large to answer.
func TestJarBoundsCookiesPerDomainAcrossResponses(t *testing.T) {
	const hops = 8
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "b.example.test" || strings.HasPrefix(r.Host, "b.example.test:") {
			n := len(r.Cookies())
			w.Header().Set("X-Cookies", strconv.Itoa(n))
			if n > MaxCookiesPerDomain {
				w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
			}
			return
		}
		hop, _ := strconv.Atoi(r.URL.Query().Get("hop"))
		for i := range MaxSetCookies {
			w.Header().Add("Set-Cookie", fmt.Sprintf("c%d_%d=v; Domain=example.test; Path=/", hop, i))
		}
		if hop < hops-1 {
			http.Redirect(w, r, "/?hop="+strconv.Itoa(hop+1), http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	s := testSession(t, resolve())
	_, err := s.Get(at(srv.URL, "a.example.test") + "/?hop=0")
	require.NoError(t, err)

	r, err := s.Get(at(srv.URL, "b.example.test") + "/")
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, strconv.Itoa(MaxCookiesPerDomain), r.Headers.Get("X-Cookies"))
	// The oldest went first: the last hop's cookies are all there.
	got, err := s.Cookies(at(srv.URL, "b.example.test") + "/")
	require.NoError(t, err)
	m := cookieMap(got)
	for i := range MaxSetCookies {
		assert.Contains(t, m, fmt.Sprintf("c%d_%d", hops-1, i))
	}
	assert.NotContains(t, m, "c0_0")
}

// The jar as a whole holds at most MaxCookies; past that the oldest cookie,
// whatever its domain, is expired.
func TestJarBoundsCookiesInTotal(t *testing.T) {
	s := testSession(t)
	domains := MaxCookies/MaxCookiesPerDomain + 1
	for d := range domains {
		u := &url.URL{Scheme: "https", Host: fmt.Sprintf("d%d.test", d), Path: "/"}
		cs := make([]*http.Cookie, MaxCookiesPerDomain)
		for i := range cs {
			cs[i] = &http.Cookie{Name: fmt.Sprintf("c%d", i), Value: "v"}
		}
		s.Jar().SetCookies(u, cs)
	}
	total := 0
	for d := range domains {
		total += len(s.Jar().Cookies(&url.URL{Scheme: "https", Host: fmt.Sprintf("d%d.test", d), Path: "/"}))
	}
	assert.Equal(t, MaxCookies, total)
	assert.Empty(t, s.Jar().Cookies(&url.URL{Scheme: "https", Host: "d0.test", Path: "/"}), "the oldest domain's cookies stay")
	assert.Len(t, s.Jar().Cookies(&url.URL{Scheme: "https", Host: fmt.Sprintf("d%d.test", domains-1), Path: "/"}), MaxCookiesPerDomain)
}

// Replacing or deleting a cookie does not count it twice.
func TestJarCountsReplacedAndDeletedCookiesOnce(t *testing.T) {
	s := testSession(t)
	u := &url.URL{Scheme: "https", Host: "x.test", Path: "/"}
	for range 3 * MaxCookiesPerDomain {
		s.Jar().SetCookies(u, []*http.Cookie{{Name: "keep", Value: "1"}, {Name: "gone", Value: "1"}})
		s.Jar().SetCookies(u, []*http.Cookie{{Name: "gone", MaxAge: -1}})
	}
	for i := range MaxCookiesPerDomain - 1 {
		s.Jar().SetCookies(u, []*http.Cookie{{Name: "n" + strconv.Itoa(i), Value: "1"}})
	}
	m := cookieMap(s.Jar().Cookies(u))
	assert.Len(t, m, MaxCookiesPerDomain)
	assert.Contains(t, m, "keep")
}

// An http response may not set or delete a cookie that shadows a Secure
// cookie of a domain-matching host (RFC 6265bis, "leave secure cookies
// alone"): over http, an attacker on the path could otherwise replace a
// session cookie that only https ever set.
func TestPlainHTTPLeavesSecureCookiesAlone(t *testing.T) {
	ca := testcert.NewCA(t)
	setCookies := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, v := range r.URL.Query()["c"] {
			w.Header().Add("Set-Cookie", v)
		}
		io.WriteString(w, r.Header.Get("Cookie"))
	})
	secure := testcert.StartTLSServer(t, setCookies, testcert.ServerOptions{
		Cert: ca.Server(t, testcert.Options{DNSNames: []string{"site.test", "a.site.test"}}),
	})
	plain := httptest.NewServer(setCookies)
	t.Cleanup(plain.Close)
	set := func(t *testing.T, s *Session, base, cookie string) string {
		t.Helper()
		r, err := s.Get(base, Params{"c": cookie})
		require.NoError(t, err)
		return r.Text()
	}
	tests := []struct {
		name, secureCookie, plainHost, plainCookie, want string
	}{
		{"same name over http", "sid=good; Secure; Path=/", "site.test", "sid=evil; Path=/", "sid=good"},
		{"deleted over http", "sid=good; Secure; Path=/", "site.test", "sid=; Max-Age=0; Path=/", "sid=good"},
		{"from a subdomain for the parent", "sid=good; Secure; Path=/", "a.site.test", "sid=evil; Domain=site.test; Path=/", "sid=good"},
		{"on a path under the secure one", "sid=good; Secure; Path=/", "site.test", "sid=evil; Path=/app", "sid=good"},
		{"on a path the secure one is under", "sid=good; Secure; Path=/app", "site.test", "sid=other; Path=/", "sid=good; sid=other"},
		{"another name", "sid=good; Secure; Path=/", "site.test", "theme=dark; Path=/", "sid=good; theme=dark"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t, resolve(), CABundle(ca.CertFile(t)))
			set(t, s, at(secure.URL, "site.test")+"/app", tt.secureCookie)
			set(t, s, at(plain.URL, tt.plainHost)+"/app", tt.plainCookie)
			assert.Equal(t, tt.want, set(t, s, at(secure.URL, "site.test")+"/app/x", ""))
		})
	}
}

// A cookie whose name or value holds a control byte or ';' is dropped when
// stored, and a jar's cookie that holds one is never sent.
func TestCookiesWithControlBytesAreDropped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Cookie"))
	}))
	t.Cleanup(srv.Close)
	u := mustParse(t, srv.URL)
	bad := []*http.Cookie{
		{Name: "nul", Value: "a\x00b"},
		{Name: "soh", Value: "a\x01b"},
		{Name: "crlf", Value: "a\r\nX-Injected: 1"},
		{Name: "semi", Value: "a;b=c"},
		{Name: "del", Value: "a\x7fb"},
		{Name: "bad name", Value: "v"},
	}
	s := testSession(t)
	s.Jar().SetCookies(u, append(bad, &http.Cookie{Name: "ok", Value: "1"}))
	got, err := s.Cookies(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ok": "1"}, cookieMap(got))

	// A jar of the caller's own stores anything; such cookies stay unsent.
	own, err := cookiejar.New(nil)
	require.NoError(t, err)
	own.SetCookies(u, append(bad, &http.Cookie{Name: "ok", Value: "1"}))
	r, err := testSession(t, Jar(own)).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok=1", r.Text())
}
