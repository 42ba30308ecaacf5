package requests

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/testcert"
)

// serverCookies returns the cookies go-httpbin's /cookies received.
func serverCookies(t *testing.T, s *Session, base string, opts ...Option) map[string]string {
	t.Helper()
	r, err := s.Get(base+"/cookies", opts...)
	require.NoError(t, err)
	var got struct{ Cookies map[string]string }
	require.NoError(t, r.JSON(&got))
	return got.Cookies
}

// cookieMap turns cookies into name -> value.
func cookieMap(cs []*http.Cookie) map[string]string {
	m := map[string]string{}
	for _, c := range cs {
		m[c.Name] = c.Value
	}
	return m
}

// otherHost names the same loopback server differently, which makes it
// another host for cookies and credentials.
func otherHost(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }

func TestSessionKeepsCookiesAcrossCalls(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	r, err := s.Get(srv.URL+"/cookies/set?a=1&b=2", AllowRedirects(false))
	require.NoError(t, err)
	assert.Len(t, r.Cookies(), 2)
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, serverCookies(t, s, srv.URL))

	got, err := s.Cookies(srv.URL + "/anything")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, cookieMap(got))
	assert.Equal(t, got, s.Jar().Cookies(mustParse(t, srv.URL)))

	// The jar is keyed by host: another name for the same server gets nothing.
	assert.Empty(t, serverCookies(t, s, otherHost(srv.URL)))
}

func TestSetCookieFromEveryRedirectHopLandsInTheJar(t *testing.T) {
	var b *httptest.Server
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "from_a", Value: "1"})
		http.Redirect(w, r, otherHost(b.URL)+"/hop", http.StatusFound)
	}))
	t.Cleanup(a.Close)
	var seenAtB []string
	b = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenAtB = append(seenAtB, r.Header.Get("Cookie"))
		if r.URL.Path == "/hop" {
			http.SetCookie(w, &http.Cookie{Name: "from_b", Value: "2"})
			http.Redirect(w, r, "/end", http.StatusSeeOther)
		}
	}))
	t.Cleanup(b.Close)

	s := testSession(t)
	r, err := s.Get(a.URL + "/start")
	require.NoError(t, err)
	require.Len(t, r.History, 2)
	// B never saw A's cookie, and got its own back on the next hop.
	assert.Equal(t, []string{"", "from_b=2"}, seenAtB)

	ca, err := s.Cookies(a.URL)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"from_a": "1"}, cookieMap(ca))
	cb, err := s.Cookies(otherHost(b.URL))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"from_b": "2"}, cookieMap(cb))
}

func TestJarFollowsDomainPathAndSecureRules(t *testing.T) {
	ca := testcert.NewCA(t)
	setter := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "secure", Value: "1", Secure: true, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "scoped", Value: "1", Path: "/only"})
		http.SetCookie(w, &http.Cookie{Name: "plain", Value: "1", Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "defaultpath", Value: "1"}) // path of the request: /only
	}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{})})
	plain := newHTTPBin(t) // the same host, 127.0.0.1, over http

	s := testSession(t, CABundle(ca.CertFile(t)))
	_, err := s.Get(setter.URL + "/only/set")
	require.NoError(t, err)

	// Cookies ignore ports: the http server is the same host. It does not get
	// the cookies scoped to /only. It does get the Secure one, because
	// net/http's jar treats loopback as a secure origin, as browsers do.
	assert.Equal(t, map[string]string{"plain": "1", "secure": "1"}, serverCookies(t, s, plain.URL))
	got, err := s.Cookies(setter.URL + "/only/x")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"plain": "1", "scoped": "1", "secure": "1", "defaultpath": "1"}, cookieMap(got))
	// Another host gets none of them.
	got, err = s.Cookies(otherHost(setter.URL) + "/only/x")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestSessionCookiesSeedEveryHost(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Cookies{"token": "t1", "lang": "go"})
	assert.Equal(t, map[string]string{"token": "t1", "lang": "go"}, serverCookies(t, s, srv.URL))
	assert.Equal(t, map[string]string{"token": "t1", "lang": "go"}, serverCookies(t, s, otherHost(srv.URL)))

	got, err := s.Cookies(otherHost(srv.URL))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"token": "t1", "lang": "go"}, cookieMap(got))

	// Update merges into them.
	s.Update(Cookies{"lang": "python", "extra": "x"})
	assert.Equal(t, map[string]string{"token": "t1", "lang": "python", "extra": "x"}, serverCookies(t, s, srv.URL))
	assert.Equal(t, Cookies{"token": "t1", "lang": "python", "extra": "x"}, s.Settings().Cookies)
}

func TestCookiePrecedence(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Cookies{"k": "seed", "only_seed": "1"})
	// The server's cookie of the same name wins over the seed...
	_, err := s.Get(srv.URL+"/cookies/set?k=server", AllowRedirects(false))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "server", "only_seed": "1"}, serverCookies(t, s, srv.URL))
	// ...for that host only.
	assert.Equal(t, map[string]string{"k": "seed", "only_seed": "1"}, serverCookies(t, s, otherHost(srv.URL)))
	// A call's Cookies win over both, for that call only.
	assert.Equal(t, map[string]string{"k": "call", "only_seed": "1"}, serverCookies(t, s, srv.URL, Cookies{"k": "call"}))
	assert.Equal(t, map[string]string{"k": "server", "only_seed": "1"}, serverCookies(t, s, srv.URL))

	got, err := s.Cookies(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "server", "only_seed": "1"}, cookieMap(got))
}

func TestCookieHeaderIsStable(t *testing.T) {
	s := testSession(t, Cookies{"b": "2", "a": "1"})
	req, err := s.Prepare("GET", "http://127.0.0.1:1/", Cookies{"d": "4", "c": "3"})
	require.NoError(t, err)
	assert.Equal(t, "a=1; b=2; c=3; d=4", req.Header.Get("Cookie"))

	// A Cookie header given by the caller is left as it is.
	req, err = s.Prepare("GET", "http://127.0.0.1:1/", Headers{"Cookie": "mine=1"})
	require.NoError(t, err)
	assert.Equal(t, "mine=1", req.Header.Get("Cookie"))
}

func TestSessionCookiesDoNotFollowARedirectToAnotherHost(t *testing.T) {
	target, seen := headersSeen(t)
	hop := httptest.NewServer(http.RedirectHandler(otherHost(target.URL)+"/landed", http.StatusFound))
	t.Cleanup(hop.Close)
	var atHop string
	s := testSession(t, Cookies{"session": "secret"}, Hook(func(r *Response) error {
		if len(r.History) > 0 { // the final response: hooks see the hop too
			atHop = r.History[0].Request.Header.Get("Cookie")
		}
		return nil
	}))
	_, err := s.Get(hop.URL)
	require.NoError(t, err)
	assert.Equal(t, "session=secret", atHop)
	require.Len(t, *seen, 1)
	assert.Empty(t, (*seen)[0].Get("Cookie"))
}

func TestClearCookies(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Cookies{"seed": "1"})
	_, err := s.Get(srv.URL+"/cookies/set?server=1", AllowRedirects(false))
	require.NoError(t, err)
	require.Len(t, serverCookies(t, s, srv.URL), 2)
	oldJar := s.Jar()

	s.ClearCookies()
	assert.Empty(t, serverCookies(t, s, srv.URL))
	got, err := s.Cookies(srv.URL)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Empty(t, s.Settings().Cookies)
	assert.NotSame(t, oldJar, s.Jar())
	assert.NotNil(t, s.Jar())

	// The new jar works like the old one.
	_, err = s.Get(srv.URL+"/cookies/set?again=1", AllowRedirects(false))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"again": "1"}, serverCookies(t, s, srv.URL))
}

func TestJarOption(t *testing.T) {
	srv := newHTTPBin(t)
	mine, err := cookiejar.New(nil)
	require.NoError(t, err)
	s := testSession(t, Jar(mine))
	assert.Same(t, mine, s.Jar())
	_, err = s.Get(srv.URL+"/cookies/set?a=1", AllowRedirects(false))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1"}, cookieMap(mine.Cookies(mustParse(t, srv.URL))))

	// Jar(nil) on a call: no stored cookie sent, none kept.
	assert.Empty(t, serverCookies(t, s, srv.URL, Jar(nil)))
	_, err = s.Get(srv.URL+"/cookies/set?b=2", AllowRedirects(false), Jar(nil))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1"}, serverCookies(t, s, srv.URL))

	// Another jar for one call keeps that call's cookies apart.
	other, err := cookiejar.New(nil)
	require.NoError(t, err)
	_, err = s.Get(srv.URL+"/cookies/set?c=3", AllowRedirects(false), Jar(other))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"c": "3"}, cookieMap(other.Cookies(mustParse(t, srv.URL))))
	assert.Equal(t, map[string]string{"a": "1"}, serverCookies(t, s, srv.URL))
}

func TestBadCookies(t *testing.T) {
	s := testSession(t, Cookies{"bad name": "v"})
	_, err := s.Get("http://127.0.0.1:1/")
	assert.ErrorIs(t, err, ErrInvalidHeader)

	_, err = testSession(t).Get("http://127.0.0.1:1/", Cookies{"k": "a;b"})
	assert.ErrorIs(t, err, ErrInvalidHeader)

	_, err = testSession(t).Cookies("127.0.0.1/x")
	assert.ErrorIs(t, err, ErrMissingSchema)
}

func TestPackageLevelSessionCookies(t *testing.T) {
	s := newSession(nil, nil)
	got, err := s.Cookies("http://127.0.0.1:1/")
	require.NoError(t, err)
	assert.Empty(t, got)
	s.Update(Cookies{"k": "v"})
	got, err = s.Cookies("http://127.0.0.1:1/")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, cookieMap(got))
	s.ClearCookies()
	assert.Nil(t, s.Jar())
	got, err = s.Cookies("http://127.0.0.1:1/")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// The Session's own jar answers without a look-up until a cookie is first
// stored, and as a cookie jar from then on.
func TestSessionJarBeforeAndAfterTheFirstCookie(t *testing.T) {
	s := testSession(t)
	u := mustParse(t, "http://example.com/a")
	assert.Empty(t, s.Jar().Cookies(u))

	s.Jar().SetCookies(u, []*http.Cookie{{Name: "elsewhere", Value: "1", Domain: "other.example"}})
	assert.Empty(t, s.Jar().Cookies(u), "a cookie for another domain is refused")

	s.Jar().SetCookies(u, []*http.Cookie{{Name: "k", Value: "v"}})
	got := s.Jar().Cookies(u)
	require.Len(t, got, 1)
	assert.Equal(t, "k", got[0].Name)
	assert.Empty(t, s.Jar().Cookies(mustParse(t, "http://other.example/")))
}
