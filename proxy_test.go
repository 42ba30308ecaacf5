package requests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/testcert"
	"github.com/go-requests/requests/internal/testdaemon"
)

// origin is a server behind the proxies: it records, for every request, the
// Via and Proxy-Authorization headers it got, and answers "ok".
type origin struct {
	*httptest.Server
	mu   sync.Mutex
	via  []string
	pa   []string
	port string
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.via = append(o.via, r.Header.Get("Via"))
	o.pa = append(o.pa, r.Header.Get("Proxy-Authorization"))
	o.mu.Unlock()
	fmt.Fprint(w, "ok")
}

// seen returns the Via and Proxy-Authorization headers of every request.
func (o *origin) seen() (via, proxyAuth []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.via...), append([]string(nil), o.pa...)
}

// startOrigins starts a plain and a TLS origin on 127.0.0.1. The TLS one
// has a certificate for 127.0.0.1, localhost and names, trusted through the
// returned CA bundle.
func startOrigins(t *testing.T, names ...string) (plain, secure *origin, caBundle string) {
	plain, secure = &origin{}, &origin{}
	plain.Server = httptest.NewServer(plain)
	t.Cleanup(plain.Close)
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{
		DNSNames: append([]string{"localhost"}, names...),
		IPs:      []net.IP{net.IPv4(127, 0, 0, 1)},
	})
	secure.Server = testcert.StartTLSServer(t, secure, testcert.ServerOptions{Cert: cert})
	for _, o := range []*origin{plain, secure} {
		o.port = o.URL[strings.LastIndexByte(o.URL, ':')+1:]
	}
	return plain, secure, ca.CertFile(t)
}

// httpProxies are the HTTP proxy daemons every proxy test runs against.
var httpProxies = []struct {
	name  string
	start func(t *testing.T, user, pass string) *testdaemon.Daemon
}{
	{"tinyproxy", func(t *testing.T, user, pass string) *testdaemon.Daemon {
		return testdaemon.Tinyproxy(t, testdaemon.TinyproxyOptions{User: user, Password: pass})
	}},
	{"squid", func(t *testing.T, user, pass string) *testdaemon.Daemon {
		return testdaemon.Squid(t, testdaemon.SquidOptions{User: user, Password: pass})
	}},
}

func get(t *testing.T, s *Session, u string, opts ...Option) *Response {
	t.Helper()
	r, err := s.Get(u, opts...)
	require.NoError(t, err)
	require.Equal(t, 200, r.StatusCode, r.Text())
	require.Equal(t, "ok", r.Text())
	return r
}

func TestExplicitProxiesApplyToLoopbackToo(t *testing.T) {
	for _, p := range httpProxies {
		t.Run(p.name, func(t *testing.T) {
			plain, secure, ca := startOrigins(t)
			d := p.start(t, "user", "pw")
			authURL := d.URLWithAuth().String()

			// Plain http is forwarded: the origin sees the proxy's Via.
			s := testSession(t, Proxies{"http": authURL, "https": authURL}, CABundle(ca))
			get(t, s, plain.URL+"/a")
			via, _ := plain.seen()
			assert.NotEmpty(t, via[0], "not forwarded by the proxy")

			// https is tunnelled; without the proxy's credentials the
			// tunnel is refused, which shows the proxy is in the way.
			get(t, s, secure.URL+"/b")
			_, err := testSession(t, Proxies{"https": d.URL}, CABundle(ca)).Get(secure.URL + "/c")
			assert.ErrorIs(t, err, ErrProxy)
			assert.ErrorIs(t, err, ErrConnection)
			via, _ = secure.seen()
			assert.Len(t, via, 1)
		})
	}
}

func TestProxyCredentialsReachTheProxyOnly(t *testing.T) {
	for _, p := range httpProxies {
		t.Run(p.name, func(t *testing.T) {
			plain, secure, ca := startOrigins(t)
			d := p.start(t, "user", "pw")
			creds := "Basic " + basic("user", "pw")

			// In the proxy URL.
			s := testSession(t, Proxies{"all": d.URLWithAuth().String()}, CABundle(ca))
			get(t, s, plain.URL)
			get(t, s, secure.URL)

			// As a header, with a proxy URL without credentials: for https
			// it goes in the CONNECT request, not through the tunnel.
			s = testSession(t, Proxies{"all": d.URL}, CABundle(ca), Headers{"Proxy-Authorization": creds})
			get(t, s, plain.URL)
			get(t, s, secure.URL)
			get(t, testSession(t, Proxies{"all": d.URL}, CABundle(ca)), secure.URL+"/call",
				Headers{"Proxy-Authorization": creds})

			for _, o := range []*origin{plain, secure} {
				_, pa := o.seen()
				for _, v := range pa {
					assert.Empty(t, v, "Proxy-Authorization reached the origin")
				}
			}
		})
	}
}

func TestProxyAuthorizationHeaderIsDroppedWithoutAProxy(t *testing.T) {
	plain, secure, ca := startOrigins(t)
	s := testSession(t, CABundle(ca), TrustEnv(false), Headers{"Proxy-Authorization": "Basic eDp5"})
	get(t, s, plain.URL)
	get(t, s, secure.URL)
	_, pa := plain.seen()
	assert.Equal(t, []string{""}, pa)
	_, pa = secure.seen()
	assert.Equal(t, []string{""}, pa)

	// Not through a SOCKS proxy either, which takes no HTTP headers.
	d := testdaemon.Microsocks(t, testdaemon.MicrosocksOptions{})
	get(t, s, plain.URL, Proxies{"all": d.URL})
	_, pa = plain.seen()
	assert.Equal(t, []string{"", ""}, pa)
}

func TestProxyRefusals(t *testing.T) {
	plain, secure, ca := startOrigins(t)
	for _, p := range httpProxies {
		t.Run(p.name, func(t *testing.T) {
			d := p.start(t, "user", "pw")
			wrong := &url.URL{Scheme: "http", Host: d.Addr, User: url.UserPassword("user", "nope")}
			for _, proxy := range []string{d.URL, wrong.String()} {
				_, err := testSession(t, Proxies{"https": proxy}, CABundle(ca)).Get(secure.URL)
				assert.ErrorIs(t, err, ErrProxy, proxy)
				assert.NotContains(t, fmt.Sprint(err), "nope", "the password is not in the error")
			}
			// Plain http through a proxy that refuses: its answer is the
			// Response, as in requests.
			r, err := testSession(t, Proxies{"http": d.URL}).Get(plain.URL)
			require.NoError(t, err)
			assert.Equal(t, http.StatusProxyAuthRequired, r.StatusCode)
		})
	}

	t.Run("403 to CONNECT", func(t *testing.T) {
		d := testdaemon.Tinyproxy(t, testdaemon.TinyproxyOptions{ExtraConfig: "ConnectPort 1\n"})
		_, err := testSession(t, Proxies{"https": d.URL}, CABundle(ca)).Get(secure.URL)
		assert.ErrorIs(t, err, ErrProxy)
		assert.Contains(t, err.Error(), "403")
	})
}

func TestProxyUnreachableOrBad(t *testing.T) {
	plain, _, _ := startOrigins(t)
	for _, proxy := range []string{"http://127.0.0.1:1", "socks5://127.0.0.1:1", "127.0.0.1:1"} {
		_, err := testSession(t, Proxies{"all": proxy}).Get(plain.URL)
		assert.ErrorIs(t, err, ErrProxy, proxy)
		assert.ErrorIs(t, err, ErrConnection, proxy)
	}
	for _, proxy := range []string{"ftp://127.0.0.1:21", "http://[::1", "http://user:secret@[::1"} {
		_, err := testSession(t, Proxies{"http": proxy}).Get(plain.URL)
		assert.ErrorIs(t, err, ErrProxy, proxy)
		assert.NotContains(t, fmt.Sprint(err), "secret")
	}
	_, err := testSession(t, Proxies{"http": "ftp://127.0.0.1:21"}).Get(plain.URL)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, plain.URL, e.URL)
}

func TestSOCKS5(t *testing.T) {
	plain, secure, ca := startOrigins(t)
	for _, auth := range []bool{false, true} {
		for _, scheme := range []string{"socks5", "socks5h"} {
			t.Run(fmt.Sprintf("%s/auth=%v", scheme, auth), func(t *testing.T) {
				var opts testdaemon.MicrosocksOptions
				if auth {
					opts = testdaemon.MicrosocksOptions{User: "user", Password: "pw"}
				}
				d := testdaemon.Microsocks(t, opts)
				proxy := d.URLWithAuth()
				proxy.Scheme = scheme
				// The only address the client may dial is the proxy's: the
				// origin, named "localhost", is reached through it.
				onlyProxy := DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
					if addr != d.Addr {
						return nil, fmt.Errorf("dialled %s directly", addr)
					}
					var dl net.Dialer
					return dl.DialContext(ctx, network, addr)
				})
				s := testSession(t, Proxies{"all": proxy.String()}, CABundle(ca), onlyProxy)
				get(t, s, otherHost(plain.URL))
				get(t, s, otherHost(secure.URL))

				if auth {
					proxy.User = url.UserPassword("user", "nope")
					_, err := testSession(t, Proxies{"all": proxy.String()}).Get(plain.URL)
					assert.ErrorIs(t, err, ErrProxy)
					assert.NotContains(t, fmt.Sprint(err), "nope")
				}
			})
		}
	}
}

// envProxy starts a squid that resolves originName to 127.0.0.1 (from a
// hosts file of its own), so that the environment's proxies, which never
// apply to loopback addresses or localhost, can be tested with that name.
func envSquid(t *testing.T, user, pass string) *testdaemon.Daemon {
	dir, err := os.MkdirTemp("", "requests-hosts-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755)) // squid may run as another user
	hosts := filepath.Join(dir, "hosts")
	require.NoError(t, os.WriteFile(hosts, []byte("127.0.0.1 "+originName+"\n"), 0o644))
	return testdaemon.Squid(t, testdaemon.SquidOptions{User: user, Password: pass, ExtraConfig: "hosts_file " + hosts + "\n"})
}

// originName is a name only the test's squid resolves; the client reaches
// it through DialContext only where a test says so.
const originName = "origin.test"

// dialOrigin maps originName to 127.0.0.1 on the client side; with direct
// false it refuses originName, so that a call can only succeed through a proxy.
func dialOrigin(direct bool) Option {
	return DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, _ := net.SplitHostPort(addr); host == originName {
			if !direct {
				return nil, fmt.Errorf("dialled %s directly", addr)
			}
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		var dl net.Dialer
		return dl.DialContext(ctx, network, addr)
	})
}

func clearProxyEnv(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"} {
		t.Setenv(k, "")
	}
}

func TestEnvironmentProxies(t *testing.T) {
	clearProxyEnv(t)
	plain, secure, ca := startOrigins(t, originName)
	d := envSquid(t, "user", "pw")
	proxy := d.URLWithAuth().String()
	plainURL := "http://" + originName + ":" + plain.port
	secureURL := "https://" + originName + ":" + secure.port

	tests := []struct {
		name    string
		env     map[string]string
		opts    []Option
		proxied bool
	}{
		{"HTTP_PROXY and HTTPS_PROXY", map[string]string{"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy}, nil, true},
		{"lower case", map[string]string{"http_proxy": proxy, "https_proxy": proxy}, nil, true},
		{"ALL_PROXY", map[string]string{"ALL_PROXY": proxy}, nil, true},
		{"NO_PROXY", map[string]string{"ALL_PROXY": proxy, "NO_PROXY": "example.com," + originName}, nil, false},
		{"NO_PROXY suffix", map[string]string{"ALL_PROXY": proxy, "NO_PROXY": ".test"}, nil, false},
		{"TrustEnv(false)", map[string]string{"ALL_PROXY": proxy}, []Option{TrustEnv(false)}, false},
		{"empty Proxies entry", map[string]string{"ALL_PROXY": proxy}, []Option{Proxies{"http": "", "https": ""}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s := testSession(t, append([]Option{CABundle(ca), dialOrigin(!tt.proxied)}, tt.opts...)...)
			before, _ := plain.seen()
			get(t, s, plainURL)
			via, _ := plain.seen()
			assert.Equal(t, tt.proxied, via[len(before)] != "", "Via: %q", via[len(before)])
			// For https the client cannot dial the origin itself when it
			// must be proxied, so success shows the tunnel.
			get(t, s, secureURL)
		})
	}
	for _, o := range []*origin{plain, secure} {
		_, pa := o.seen()
		for _, v := range pa {
			assert.Empty(t, v, "Proxy-Authorization reached the origin")
		}
	}
}

func TestEnvironmentProxiesSkipLoopback(t *testing.T) {
	clearProxyEnv(t)
	t.Setenv("ALL_PROXY", "http://127.0.0.1:1") // would fail every call
	plain, secure, ca := startOrigins(t)
	s := testSession(t, CABundle(ca))
	get(t, s, plain.URL)
	get(t, s, otherHost(secure.URL))
}

func TestBadEnvironmentProxy(t *testing.T) {
	clearProxyEnv(t)
	t.Setenv("HTTPS_PROXY", "http://user:secret@[::1")
	_, err := testSession(t).Get("https://" + originName + "/")
	assert.ErrorIs(t, err, ErrProxy)
	assert.NotContains(t, fmt.Sprint(err), "secret")
	assert.False(t, errors.Is(err, ErrInvalidURL))
}

func basic(user, pass string) string {
	req := &http.Request{Header: http.Header{}}
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// A Session's proxy URLs are parsed once and shared by its calls; a bad one
// still fails every call, and the most specific key still wins.
func TestProxiesAreParsedOnce(t *testing.T) {
	c := &config{proxies: []Proxies{
		{"http": "proxy.example:3128", "https://api.example.com": "socks5://s.example:1080", "all": "bad://x"},
	}}
	u, err := url.Parse("http://example.com/x")
	require.NoError(t, err)
	p1, err := selectProxy(c, u)
	require.NoError(t, err)
	p2, err := selectProxy(c, u)
	require.NoError(t, err)
	assert.Same(t, p1, p2)
	assert.Equal(t, "http://proxy.example:3128", p1.String())

	u, err = url.Parse("https://api.example.com/x")
	require.NoError(t, err)
	p, err := selectProxy(c, u)
	require.NoError(t, err)
	assert.Equal(t, "socks5://s.example:1080", p.String())

	u, err = url.Parse("https://other.example.com/x")
	require.NoError(t, err)
	for range 2 {
		_, err = selectProxy(c, u)
		assert.ErrorIs(t, err, ErrProxy)
	}
}

// In a CGI process HTTP_PROXY comes from the client's Proxy: header
// (httpoxy), so it is never used for http URLs there.
func TestCGIRefusesHTTPProxyFromEnvironment(t *testing.T) {
	plain, _, _ := startOrigins(t, originName)
	plainURL := "http://" + originName + ":" + plain.port
	for _, name := range []string{"HTTP_PROXY", "http_proxy"} {
		t.Run(name, func(t *testing.T) {
			clearProxyEnv(t)
			t.Setenv("REQUEST_METHOD", "GET")
			t.Setenv(name, "http://127.0.0.1:1")
			before, _ := plain.seen()
			_, err := testSession(t, dialOrigin(true)).Get(plainURL)
			require.ErrorIs(t, err, ErrProxy)
			assert.Contains(t, err.Error(), "CGI")
			after, _ := plain.seen()
			assert.Len(t, after, len(before), "the origin was reached")
		})
	}
	t.Run("ALL_PROXY is not client-controlled", func(t *testing.T) {
		clearProxyEnv(t)
		t.Setenv("REQUEST_METHOD", "GET")
		t.Setenv("ALL_PROXY", "http://127.0.0.1:1")
		_, err := testSession(t, dialOrigin(true)).Get(plainURL)
		require.ErrorIs(t, err, ErrProxy) // the proxy is used, and refuses
		assert.NotContains(t, err.Error(), "CGI")
	})
	t.Run("without REQUEST_METHOD", func(t *testing.T) {
		clearProxyEnv(t)
		t.Setenv("REQUEST_METHOD", "")
		t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
		_, err := testSession(t, dialOrigin(true)).Get(plainURL)
		require.ErrorIs(t, err, ErrProxy)
		assert.NotContains(t, err.Error(), "CGI")
	})
}

// A proxy variable that does not parse fails the call instead of letting
// it go direct.
func TestMalformedEnvironmentProxyFailsClosed(t *testing.T) {
	plain, secure, ca := startOrigins(t, originName)
	plainURL := "http://" + originName + ":" + plain.port
	secureURL := "https://" + originName + ":" + secure.port
	tests := []struct {
		env, value, url string
	}{
		{"HTTP_PROXY", "http://user:secret@proxy.test:port", plainURL},
		{"http_proxy", "proxy\x7f.test:3128", plainURL},
		{"HTTPS_PROXY", "https://user:secret@[::1", secureURL},
		{"https_proxy", "http://%zz", secureURL},
		{"ALL_PROXY", "http://", plainURL},
		{"all_proxy", "ftp://proxy.test", secureURL},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			clearProxyEnv(t)
			t.Setenv(tt.env, tt.value)
			_, err := testSession(t, CABundle(ca), dialOrigin(true)).Get(tt.url)
			require.ErrorIs(t, err, ErrProxy)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
	for _, o := range []*origin{plain, secure} {
		via, _ := o.seen()
		assert.Len(t, via, 0, "an origin was reached directly")
	}
	t.Run("NO_PROXY still applies", func(t *testing.T) {
		clearProxyEnv(t)
		t.Setenv("HTTP_PROXY", "http://%zz")
		t.Setenv("NO_PROXY", originName)
		get(t, testSession(t, dialOrigin(true)), plainURL)
	})
	t.Run("a bare host:port is an http proxy", func(t *testing.T) {
		clearProxyEnv(t)
		t.Setenv("HTTP_PROXY", "127.0.0.1:1")
		_, err := testSession(t, dialOrigin(true)).Get(plainURL)
		require.ErrorIs(t, err, ErrProxy)
	})
}

// The environment is read when a Session is made and then at most every
// envRecheck, not on every call.
func TestEnvironmentChangeIsSeenByNewSessionsAndAfterRecheck(t *testing.T) {
	plain, _, _ := startOrigins(t, originName)
	plainURL := "http://" + originName + ":" + plain.port
	clearProxyEnv(t)
	recheck := envRecheck
	envRecheck = time.Hour
	t.Cleanup(func() { envRecheck = recheck })

	old := testSession(t, dialOrigin(true))
	_, err := old.Get(plainURL)
	require.NoError(t, err)
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")

	_, err = old.Get(plainURL)
	require.NoError(t, err, "a call on an older Session read the environment again")
	_, err = testSession(t, dialOrigin(true)).Get(plainURL)
	require.ErrorIs(t, err, ErrProxy, "a new Session did not see the change")

	envRecheck = 0
	t.Setenv("HTTP_PROXY", "")
	_, err = old.Get(plainURL)
	require.NoError(t, err, "the change was not seen after envRecheck")
}
