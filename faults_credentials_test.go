package requests

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
	"github.com/go-requests/requests/internal/testcert"
)

// headerLog records the headers of every request a handler got, by path.
type headerLog struct {
	mu   sync.Mutex
	seen map[string]http.Header
}

func (l *headerLog) wrap(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		if l.seen == nil {
			l.seen = map[string]http.Header{}
		}
		l.seen[r.URL.Path] = r.Header.Clone()
		l.mu.Unlock()
		h(w, r)
	})
}

func (l *headerLog) at(path string) http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[path]
}

// credentials are the options that send credentials in a redirect test.
var credentials = []Option{
	BasicAuth("user", "pass"),
	Cookies{"session": "secret"},
	Headers{"Proxy-Authorization": "Basic cHJveHk6c2VjcmV0"},
}

// assertNoCredentials checks that none of the credentials arrived.
func assertNoCredentials(t *testing.T, h http.Header, where string) {
	t.Helper()
	require.NotNil(t, h, "%s was not reached", where)
	for _, k := range []string{"Authorization", "Cookie", "Proxy-Authorization", "Referer"} {
		assert.Empty(t, h.Get(k), "%s got %s", where, k)
	}
}

// redirectTo is a handler that redirects to target with status 302.
func redirectTo(target *string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, *target, http.StatusFound) }
}

// connectProxy is an HTTP proxy for tunnels only: it reports each CONNECT
// request's headers to seen, then relays bytes to the target.
func connectProxy(t *testing.T, seen func(http.Header)) *faultkit.Server {
	return faultkit.Listen(t, func(c *faultkit.Conn) {
		req, err := http.ReadRequest(c.Reader())
		if err != nil || req.Method != http.MethodConnect {
			return
		}
		seen(req.Header)
		up, err := net.Dial("tcp", req.Host)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		defer up.Close()
		if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			io.Copy(up, c.Reader())
			up.Close()
			close(done)
		}()
		io.Copy(c, up)
		c.Close()
		<-done
	})
}

func credentialScenarios() []scenario {
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	return []scenario{
		{"same host keeps credentials", "Authorization and Cookie sent on every hop", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&target)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = at(srv.URL, "a.test") + "/end"
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			end := log.at("/end")
			assert.NotEmpty(t, end.Get("Authorization"))
			assert.Equal(t, "session=secret", end.Get("Cookie"))
			assert.Empty(t, end.Get("Referer"))
		}},
		{"other host, and back (a -> b -> a)", "all credentials dropped on b and still dropped back on a; no Referer", func(t *testing.T) {
			var log headerLog
			var toB, toA string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&toB)))
			mux.Handle("/bounce", log.wrap(redirectTo(&toA)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			toB, toA = at(srv.URL, "b.test")+"/bounce", at(srv.URL, "a.test")+"/end"
			r := succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			assert.Len(t, r.History, 2)
			assert.NotEmpty(t, log.at("/start").Get("Authorization"))
			assertNoCredentials(t, log.at("/bounce"), "b")
			assertNoCredentials(t, log.at("/end"), "a, after b")
		}},
		{"subdomain", "credentials dropped (net/http would keep them)", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&target)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = at(srv.URL, "api.a.test") + "/end"
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			assertNoCredentials(t, log.at("/end"), "the subdomain")
		}},
		{"other port on the same host", "credentials dropped", func(t *testing.T) {
			var log headerLog
			other := httptest.NewServer(log.wrap(ok))
			t.Cleanup(other.Close)
			target := at(other.URL, "a.test") + "/end"
			srv := httptest.NewServer(redirectTo(&target))
			t.Cleanup(srv.Close)
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			assertNoCredentials(t, log.at("/end"), "the other port")
		}},
		{"https to http on the same host", "credentials dropped", func(t *testing.T) {
			var log headerLog
			plain := httptest.NewServer(log.wrap(ok))
			t.Cleanup(plain.Close)
			target := at(plain.URL, "a.test") + "/end"
			ca := testcert.NewCA(t)
			secure := testcert.StartTLSServer(t, redirectTo(&target), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{DNSNames: []string{"a.test"}})})
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve(), CABundle(ca.CertFile(t))).Get(at(secure.URL, "a.test")+"/start", credentials...)
			})
			assertNoCredentials(t, log.at("/end"), "the http downgrade")
		}},
		{"Location with user:password@", "the URL's credentials are not sent", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&target)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = strings.Replace(at(srv.URL, "b.test"), "://", "://mallory:stolen@", 1) + "/end"
			succeed(t, func() (*Response, error) { return testSession(t, resolve()).Get(at(srv.URL, "a.test") + "/start") })
			assertNoCredentials(t, log.at("/end"), "the target")
		}},
		{"jar cookies on a cross-host redirect", "sent only where the jar's domain rules allow", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "host", Value: "a"})
				redirectTo(&target)(w, r)
			}))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = at(srv.URL, "b.test") + "/end"
			succeed(t, func() (*Response, error) { return testSession(t, resolve()).Get(at(srv.URL, "a.test") + "/start") })
			assertNoCredentials(t, log.at("/end"), "b")
		}},
		{"Proxy-Authorization for a tunnel, across retries", "on every CONNECT, never through the tunnel", func(t *testing.T) {
			var mu sync.Mutex
			var connects, atOrigin []string
			var hits atomic.Int64
			ca := testcert.NewCA(t)
			origin := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				atOrigin = append(atOrigin, r.Header.Get("Proxy-Authorization"))
				mu.Unlock()
				if hits.Add(1) == 1 {
					w.Header().Set("Connection", "close") // the retry needs a new tunnel
					w.WriteHeader(503)
					return
				}
				io.WriteString(w, "ok")
			}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{})})
			proxy := connectProxy(t, func(h http.Header) {
				mu.Lock()
				connects = append(connects, h.Get("Proxy-Authorization"))
				mu.Unlock()
			})
			r := succeed(t, func() (*Response, error) {
				return testSession(t, CABundle(ca.CertFile(t)), Proxies{"https": proxy.URL}).Get(origin.URL,
					Headers{"Proxy-Authorization": "Basic cHJveHk6c2VjcmV0"}, Retry(RetryPolicy{StatusForcelist: []int{503}}))
			})
			assert.Equal(t, 1, r.Retries)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"Basic cHJveHk6c2VjcmV0", "Basic cHJveHk6c2VjcmV0"}, connects)
			assert.Equal(t, []string{"", ""}, atOrigin)
		}},
		{"passwords from URLs in error messages", "masked on every error path", func(t *testing.T) {
			const pw = "s3cr3t-pw"
			s := testSession(t, resolve())
			gone := closedPort(t)
			redirect := func(loc string) string {
				srv := httptest.NewServer(http.RedirectHandler(loc, http.StatusFound))
				t.Cleanup(srv.Close)
				return srv.URL
			}
			notFound := httptest.NewServer(http.NotFoundHandler())
			t.Cleanup(notFound.Close)
			stall := faultkit.Listen(t, faultkit.Stall())
			s.Mount("http://mounted.test/", roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("cannot reach %s", r.URL) // a careless RoundTripper
			}))
			cases := map[string]func() error{
				"refused": func() error { _, err := s.Get("http://user:" + pw + "@" + gone + "/"); return err },
				"name":    func() error { _, err := s.Get("http://user:" + pw + "@nowhere.invalid/"); return err },
				"bad escape": func() error {
					_, err := s.Get("http://user:" + pw + "@127.0.0.1/%zz")
					return err
				},
				"bad port":     func() error { _, err := s.Get("http://user:" + pw + "@127.0.0.1:99999999/"); return err },
				"wrong scheme": func() error { _, err := s.Get("ftp://user:" + pw + "@127.0.0.1/"); return err },
				"no scheme":    func() error { _, err := s.Get("//user:" + pw + "@127.0.0.1/"); return err },
				"read timeout": func() error {
					_, err := s.Get(strings.Replace(stall.URL, "://", "://user:"+pw+"@", 1), Timeout(50*time.Millisecond))
					return err
				},
				"mounted": func() error {
					// The user info is sent as credentials, never in the URL
					// a RoundTripper sees.
					_, err := s.Get("http://user:" + pw + "@mounted.test/")
					assert.ErrorContains(t, err, "cannot reach http://mounted.test/")
					return err
				},
				"redirect, no host": func() error { _, err := s.Get(redirect("http://user:" + pw + "@/x")); return err },
				"redirect, bad escape": func() error {
					_, err := s.Get(redirect("http://user:" + pw + "@127.0.0.1/%zz"))
					return err
				},
				"redirect, refused": func() error { _, err := s.Get(redirect("http://user:" + pw + "@" + gone + "/")); return err },
				"HTTPError": func() error {
					r, err := s.Get(strings.Replace(notFound.URL, "://", "://user:"+pw+"@", 1))
					require.NoError(t, err)
					return r.Raise()
				},
				"retries exhausted": func() error {
					_, err := s.Get(strings.Replace(notFound.URL, "://", "://user:"+pw+"@", 1), Retry(RetryPolicy{Total: 1, StatusForcelist: []int{404}}))
					return err
				},
				"proxy URL": func() error {
					_, err := s.Get("http://a.test/", Proxies{"http": "http://user:" + pw + "@[::1"})
					return err
				},
				"proxy refused": func() error {
					_, err := s.Get("http://a.test/", Proxies{"http": "http://user:" + pw + "@" + gone})
					return err
				},
			}
			for name, f := range cases {
				var err error
				elapsed(t, func() { err = f() })
				require.Error(t, err, name)
				assert.NotContains(t, err.Error(), pw, name)
				assert.NotContains(t, fmt.Sprintf("%+v", err), pw, name)
			}
		}},
	}
}
