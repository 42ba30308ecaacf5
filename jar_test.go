package requests

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
