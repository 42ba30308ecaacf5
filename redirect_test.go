package requests

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedirectHistory(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	for _, path := range []string{"/redirect/3", "/relative-redirect/3", "/absolute-redirect/3"} {
		t.Run(path, func(t *testing.T) {
			r, err := s.Get(srv.URL + path)
			require.NoError(t, err)
			assert.Equal(t, 200, r.StatusCode)
			assert.Equal(t, srv.URL+"/get", r.URL)
			require.Len(t, r.History, 3)
			assert.Equal(t, srv.URL+path, r.History[0].URL)
			for _, h := range r.History {
				assert.True(t, h.IsRedirect())
				assert.Equal(t, 302, h.StatusCode)
			}
		})
	}
}

// Each hop's History holds the hops before it, as the final response's
// holds them all (requests' resolve_redirects sets each hop's history as
// the chain grows).
func TestEachHopHoldsTheHopsBeforeIt(t *testing.T) {
	srv := newHTTPBin(t)
	d := &digestServer{user: "u", pass: "p", algorithm: "MD5", qop: "auth", nonces: map[string]map[string]bool{}}
	ds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/x", http.StatusFound)
			return
		}
		d.ServeHTTP(w, r)
	}))
	t.Cleanup(ds.Close)
	s := testSession(t, DigestAuth("u", "p"))
	r, err := s.Get(ds.URL + "/start")
	require.NoError(t, err)
	require.Equal(t, 200, r.StatusCode, r.Text())
	require.Len(t, r.History, 2, "the redirect, then the answered 401")
	assert.Equal(t, 302, r.History[0].StatusCode)
	assert.Equal(t, 401, r.History[1].StatusCode)
	hopsBefore(t, r)

	r, err = s.Get(srv.URL + "/redirect/4")
	require.NoError(t, err)
	require.Len(t, r.History, 4)
	hopsBefore(t, r)
}

func hopsBefore(t *testing.T, r *Response) {
	t.Helper()
	for i, h := range r.History {
		require.Len(t, h.History, i, "hop %d", i)
		for j := range i {
			assert.Same(t, r.History[j], h.History[j], "hop %d", i)
		}
		assert.Equal(t, i, cap(h.History), "hop %d: appending to it copies", i)
	}
}

func TestTooManyRedirects(t *testing.T) {
	srv := newHTTPBin(t)
	_, err := testSession(t).Get(srv.URL+"/redirect/5", MaxRedirects(4))
	assert.ErrorIs(t, err, ErrTooManyRedirects)

	r, err := testSession(t).Get(srv.URL+"/redirect/5", MaxRedirects(5))
	require.NoError(t, err)
	assert.Len(t, r.History, 5)
}

func TestDefaultRedirectLimitIs30(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL + "/redirect/30")
	require.NoError(t, err)
	assert.Len(t, r.History, 30)
	_, err = testSession(t).Get(srv.URL + "/redirect/31")
	assert.ErrorIs(t, err, ErrTooManyRedirects)
}

func TestRedirectsOff(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL+"/redirect/1", AllowRedirects(false))
	require.NoError(t, err)
	assert.Equal(t, 302, r.StatusCode)
	assert.True(t, r.IsRedirect())
	assert.False(t, r.IsPermanentRedirect())

	s := testSession(t, AllowRedirects(false))
	r, err = s.Get(srv.URL + "/redirect/1")
	require.NoError(t, err)
	assert.Equal(t, 302, r.StatusCode)
	r, err = s.Get(srv.URL+"/redirect/1", AllowRedirects(true))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
}

func TestHeadDoesNotFollowByDefault(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	r, err := s.Head(srv.URL + "/redirect/1")
	require.NoError(t, err)
	assert.Equal(t, 302, r.StatusCode)

	r, err = s.Head(srv.URL+"/redirect/1", AllowRedirects(true))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Len(t, r.History, 1)
}

func TestRedirectMethodAndBody(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	tests := []struct {
		method     string
		status     int
		wantMethod string
		keepsBody  bool
	}{
		{"POST", 301, "GET", false},
		{"PUT", 301, "PUT", false},
		{"POST", 302, "GET", false},
		{"PUT", 302, "GET", false},
		{"POST", 303, "GET", false},
		{"DELETE", 303, "GET", false},
		{"POST", 307, "POST", true},
		{"PUT", 308, "PUT", true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+http.StatusText(tt.status), func(t *testing.T) {
			u := srv.URL + "/redirect-to?" + url.Values{"url": {"/anything"}, "status_code": {strconv.Itoa(tt.status)}}.Encode()
			e := anything(t, s, tt.method, u, Data("payload"), Headers{"Content-Type": "text/plain"})
			assert.Equal(t, tt.wantMethod, e.Method)
			if tt.keepsBody {
				assert.Equal(t, "payload", e.body())
				assert.Equal(t, "text/plain", e.header("Content-Type"))
			} else {
				assert.Empty(t, e.body())
				assert.Empty(t, e.header("Content-Type"))
				assert.Contains(t, []string{"", "0"}, e.header("Content-Length"))
			}
		})
	}
}

func TestRedirect307WithUnrewindableBody(t *testing.T) {
	srv := newHTTPBin(t)
	u := srv.URL + "/redirect-to?" + url.Values{"url": {"/anything"}, "status_code": {"307"}}.Encode()
	body := io.MultiReader(strings.NewReader("not seekable"))
	_, err := testSession(t).Post(u, Data(body))
	assert.ErrorIs(t, err, ErrUnrewindableBody)
}

func TestRedirect307WithSeekableReader(t *testing.T) {
	srv := newHTTPBin(t)
	u := srv.URL + "/redirect-to?" + url.Values{"url": {"/anything"}, "status_code": {"307"}}.Encode()
	e := anything(t, testSession(t), "POST", u, Data(strings.NewReader("seekable")))
	assert.Equal(t, "seekable", e.body())
}

func TestRedirectKeepsFragment(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL + "/redirect/1#section")
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/get#section", r.URL)
}

// headersSeen runs a server that records the Authorization and Cookie
// headers it was sent.
func headersSeen(t *testing.T) (*httptest.Server, *[]http.Header) {
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Clone())
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestAuthorizationStrippedOnCrossHostRedirect(t *testing.T) {
	target, seen := headersSeen(t)
	// The same loopback server under another name is another host.
	other := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)
	hop := httptest.NewServer(http.RedirectHandler(other+"/landed", http.StatusFound))
	defer hop.Close()

	r, err := testSession(t).Get(hop.URL, BasicAuth("u", "p"), Cookies{"session": "secret"},
		Headers{"Proxy-Authorization": "Basic eHg6eXk="})
	require.NoError(t, err)
	assert.Equal(t, other+"/landed", r.URL)
	require.Len(t, *seen, 1)
	h := (*seen)[0]
	assert.Empty(t, h.Get("Authorization"))
	assert.Empty(t, h.Get("Cookie"))
	assert.Empty(t, h.Get("Proxy-Authorization"))
	assert.Empty(t, h.Get("Referer"))
}

// A header the caller declared sensitive goes where Authorization goes:
// the cross-origin hop never sees it (resty#1128's leak of X-Api-Key), the
// same-origin one does.
func TestSensitiveHeadersStrippedOnCrossOriginRedirect(t *testing.T) {
	tests := []struct {
		name       string
		session    []Option
		call       []Option
		crossHost  bool
		wantAtDest []string // sensitive headers the destination must see
	}{
		{"call option, cross host", nil, []Option{Headers{"X-Api-Key": "k3y"}, SensitiveHeaders("x-api-key")}, true, nil},
		{"session option, cross host", []Option{Headers{"X-Api-Key": "k3y"}, SensitiveHeaders("X-Api-Key")}, nil, true, nil},
		{"session and call names merge", []Option{SensitiveHeaders("X-Api-Key")},
			[]Option{Headers{"X-Api-Key": "k3y", "X-Token": "t0k"}, SensitiveHeaders("X-Token")}, true, nil},
		{"same host keeps it", nil, []Option{Headers{"X-Api-Key": "k3y"}, SensitiveHeaders("X-Api-Key")}, false, []string{"X-Api-Key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var landed []http.Header
			var dest string
			mux := http.NewServeMux()
			mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, dest+"/landed", http.StatusFound)
			})
			mux.HandleFunc("/landed", func(w http.ResponseWriter, r *http.Request) {
				landed = append(landed, r.Header.Clone())
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			dest = srv.URL
			if tt.crossHost {
				dest = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
			}
			_, err := testSession(t, tt.session...).Get(srv.URL+"/start", tt.call...)
			require.NoError(t, err)
			require.Len(t, landed, 1)
			for _, k := range []string{"X-Api-Key", "X-Token"} {
				if slices.Contains(tt.wantAtDest, k) {
					assert.NotEmpty(t, landed[0].Get(k), k)
				} else {
					assert.Empty(t, landed[0].Get(k), k)
				}
			}
		})
	}
}

func TestAuthorizationKeptOnSameHostRedirect(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL+"/redirect-to?url=/basic-auth/u/p", BasicAuth("u", "p"))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
}

func TestAuthorizationStaysStrippedForTheRestOfTheChain(t *testing.T) {
	target, seen := headersSeen(t)
	other := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)
	// a (127.0.0.1) -> b (localhost) -> a again: still no credentials.
	var back *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(back.URL, "127.0.0.1", "localhost", 1)+"/bounce", http.StatusFound)
	})
	mux.HandleFunc("/bounce", func(w http.ResponseWriter, r *http.Request) {
		assert.Empty(t, r.Header.Get("Authorization"))
		http.Redirect(w, r, target.URL+"/end", http.StatusFound)
	})
	back = httptest.NewServer(mux)
	defer back.Close()
	_ = other

	_, err := testSession(t).Get(back.URL+"/start", BearerAuth("tok"))
	require.NoError(t, err)
	require.Len(t, *seen, 1)
	assert.Empty(t, (*seen)[0].Get("Authorization"))
}

func TestShouldStripAuth(t *testing.T) {
	tests := []struct {
		from, to string
		strip    bool
	}{
		{"http://a.com/x", "http://a.com/y", false},
		{"http://a.com/x", "http://A.COM/y", false},
		{"http://a.com/", "http://b.com/", true},
		{"http://a.com/", "http://sub.a.com/", true},
		{"https://a.com/", "http://a.com/", true},  // downgrade
		{"http://a.com/", "https://a.com/", false}, // upgrade on default ports
		{"http://a.com:80/", "https://a.com:443/", false},
		{"http://a.com:8080/", "https://a.com:8443/", true},
		{"http://a.com/", "http://a.com:8080/", true},
		{"https://a.com/", "https://a.com:443/", false},
		{"https://a.com:8443/", "https://a.com:9443/", true},
	}
	for _, tt := range tests {
		from, _ := url.Parse(tt.from)
		to, _ := url.Parse(tt.to)
		assert.Equal(t, tt.strip, shouldStripAuth(from, to), "%s -> %s", tt.from, tt.to)
	}
}

func TestRedirectMethodTable(t *testing.T) {
	assert.Equal(t, "HEAD", redirectMethod("HEAD", 302))
	assert.Equal(t, "HEAD", redirectMethod("HEAD", 303))
	assert.Equal(t, "GET", redirectMethod("OPTIONS", 303))
	assert.Equal(t, "DELETE", redirectMethod("DELETE", 301))
	assert.Equal(t, "POST", redirectMethod("POST", 308))
}

func TestCookiesFlowWithinOneRedirectChain(t *testing.T) {
	srv := newHTTPBin(t)
	// The package-level Session keeps no cookies between calls...
	r, err := Get(srv.URL + "/cookies/set?a=1")
	require.NoError(t, err)
	var got struct{ Cookies map[string]string }
	require.NoError(t, r.JSON(&got))
	assert.Equal(t, map[string]string{"a": "1"}, got.Cookies, "within the chain the cookie flows")

	r, err = Get(srv.URL + "/cookies")
	require.NoError(t, err)
	got.Cookies = nil
	require.NoError(t, r.JSON(&got))
	assert.Empty(t, got.Cookies, "between calls it does not")

	// ...a Session does.
	s := testSession(t)
	_, err = s.Get(srv.URL + "/cookies/set?b=2")
	require.NoError(t, err)
	r, err = s.Get(srv.URL + "/cookies")
	require.NoError(t, err)
	require.NoError(t, r.JSON(&got))
	assert.Equal(t, map[string]string{"b": "2"}, got.Cookies)
}

func TestRedirect307RewindsASeekableReaderTheServerRead(t *testing.T) {
	// The server reads the whole body before redirecting, so the response
	// can arrive while net/http still checks the old body for extra bytes;
	// the body must be rewound only after that, or the new request gets none.
	mux := http.NewServeMux()
	mux.HandleFunc("/in", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, "/out", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/out", func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := testSession(t)
	for range 20 {
		r, err := s.Post(srv.URL+"/in", Data(strings.NewReader("seekable")))
		require.NoError(t, err)
		require.Equal(t, "seekable", r.Text())
	}
}

// A redirect's target gets every check a URL given to Get gets (requests'
// resolve_redirects sends each hop through prepare_url's rules too): one
// that Get refuses with ErrInvalidURL is refused the same way, and never
// dialled (http://:1 would be the local machine).
func TestRedirectTargetsAreValidatedLikeDirectURLs(t *testing.T) {
	for _, loc := range []string{
		"http://:1/",
		"http://:80",
		"https://:443/x",
		"http://*example.com/",
		"http://.example.com/",
		"http://*/",
		"http://a..example.com/",
		"http://☃.net/",
		"http://127.0.0.1:0/",
	} {
		t.Run(loc, func(t *testing.T) {
			srv := httptest.NewServer(http.RedirectHandler(loc, http.StatusFound))
			t.Cleanup(srv.Close)
			var d net.Dialer
			s := testSession(t, DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr != srv.Listener.Addr().String() {
					t.Errorf("dialled %s", addr)
					return nil, errors.New("not dialled in tests")
				}
				return d.DialContext(ctx, network, addr)
			}))
			_, direct := s.Get(loc)
			require.ErrorIs(t, direct, ErrInvalidURL)
			r, err := s.Get(srv.URL)
			assert.Nil(t, r)
			assert.ErrorIs(t, err, ErrInvalidURL)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, srv.URL, e.URL, "the error names the URL that redirected")
		})
	}
}

// A redirect target's Unicode host is sent as IDNA, as a direct URL's is.
func TestRedirectTargetHostIsEncodedAsIDNA(t *testing.T) {
	var port string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "http://bücher.test:"+port+"/end", http.StatusFound)
			return
		}
		io.WriteString(w, r.Host)
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	r, err := testSession(t, resolve()).Get(srv.URL + "/start")
	require.NoError(t, err)
	assert.Equal(t, "xn--bcher-kva.test:"+port, r.Text())
}

func TestRedirectToMountedSchemeNeedsOptIn(t *testing.T) {
	// A server chooses redirect targets: it may send the call only to http
	// and https, unless the caller names another scheme.
	var reached atomic.Int64
	mounted := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		reached.Add(1)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("secret")), Request: r}, nil
	})
	tests := []struct {
		name   string
		target string
		opts   []Option
		want   error // nil: followed into the mounted transport
	}{
		{"spy, not allowed", "spy://inside/x", nil, ErrInvalidSchema},
		{"file, not allowed", "file:///etc/passwd", nil, ErrInvalidSchema},
		{"spy, allowed", "spy://inside/x", []Option{RedirectSchemes("spy")}, nil},
		{"spy, allowed in another case", "SPY://inside/x", []Option{RedirectSchemes("Spy")}, nil},
		{"file, only spy allowed", "file:///etc/passwd", []Option{RedirectSchemes("spy")}, ErrInvalidSchema},
		{"allowed but not mounted", "ftp://inside/x", []Option{RedirectSchemes("ftp")}, ErrInvalidSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.RedirectHandler(tt.target, http.StatusFound))
			t.Cleanup(srv.Close)
			s := testSession(t)
			s.Mount("spy://", mounted)
			s.Mount("file://", mounted)
			reached.Store(0)
			r, err := s.Get(srv.URL, tt.opts...)
			if tt.want != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.want)
				assert.Zero(t, reached.Load(), "the mounted transport was never reached")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "secret", r.Text())
			assert.EqualValues(t, 1, reached.Load())
		})
	}
}

func TestRedirectSchemesPerSession(t *testing.T) {
	s := testSession(t, RedirectSchemes("spy", "SPY"))
	assert.Equal(t, []string{"spy"}, s.Settings().RedirectSchemes)
	s.Update(RedirectSchemes())
	assert.Empty(t, s.Settings().RedirectSchemes)
}
