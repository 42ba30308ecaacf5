package testdaemon_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/net/proxy"

	"github.com/go-requests/requests/internal/testcert"
	"github.com/go-requests/requests/internal/testdaemon"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// origin starts a plain HTTP server that reports what it received.
func origin(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Origin-Via", r.Header.Get("Via"))
		w.Header().Set("X-Origin-Proxy-Auth", r.Header.Get("Proxy-Authorization"))
		fmt.Fprintf(w, "%s %s %s", r.Proto, r.Method, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// tlsOrigin starts an HTTPS server signed by a fresh CA and returns it with
// a TLS client configuration that trusts it.
func tlsOrigin(t *testing.T) (*httptest.Server, *tls.Config) {
	t.Helper()
	ca := testcert.NewCA(t)
	srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "secure %s %s", r.Method, r.URL.Path)
	}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{})})
	return srv, ca.ClientConfig()
}

func proxiedClient(t *testing.T, proxyURL *url.URL, tlsCfg *tls.Config) *http.Client {
	t.Helper()
	tr := &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: tlsCfg,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestRequireFindsBinary(t *testing.T) {
	path := testdaemon.Require(t, "sh")
	assert.True(t, strings.HasSuffix(path, "/sh"), path)
}

// recorder is a testing.TB that records Skipf and Fatalf instead of acting
// on them; both still end the calling goroutine, as the real ones do.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtimeGoexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtimeGoexit()
}

func runRecorded(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestRequireMissingSkips(t *testing.T) {
	t.Setenv(testdaemon.IntegrationEnv, "")
	r := runRecorded(t, func(tb testing.TB) { testdaemon.Require(tb, "no-such-daemon-xyz") })
	assert.Empty(t, r.fatal)
	assert.Contains(t, r.skipped, "no-such-daemon-xyz not found")
	assert.Contains(t, r.skipped, testdaemon.IntegrationEnv+"=1")
}

func TestRequireMissingFailsInIntegrationMode(t *testing.T) {
	t.Setenv(testdaemon.IntegrationEnv, "1")
	r := runRecorded(t, func(tb testing.TB) { testdaemon.Require(tb, "squid-that-is-not-there") })
	assert.Empty(t, r.skipped)
	assert.Contains(t, r.fatal, "squid-that-is-not-there not found")
}

func TestRequireNamesDebianPackage(t *testing.T) {
	t.Setenv(testdaemon.IntegrationEnv, "")
	t.Setenv("PATH", t.TempDir())
	// With PATH emptied the fixed directories are still searched, so only
	// check the message when nginx really is missing from them too.
	r := runRecorded(t, func(tb testing.TB) { testdaemon.Require(tb, "nginx") })
	if r.skipped != "" {
		assert.Contains(t, r.skipped, "nginx-light")
	}
}

func TestTinyproxy(t *testing.T) {
	t.Parallel()
	p := testdaemon.Tinyproxy(t, testdaemon.TinyproxyOptions{})
	t.Logf("tinyproxy started in %v", p.StartupTime)
	assert.True(t, strings.HasPrefix(p.URL, "http://127.0.0.1:"), p.URL)
	checkHTTPProxy(t, p)
}

func TestTinyproxyAuth(t *testing.T) {
	t.Parallel()
	p := testdaemon.Tinyproxy(t, testdaemon.TinyproxyOptions{User: "alice", Password: "s3cret"})
	checkHTTPProxyAuth(t, p)
}

func TestSquid(t *testing.T) {
	t.Parallel()
	p := testdaemon.Squid(t, testdaemon.SquidOptions{})
	t.Logf("squid started in %v", p.StartupTime)
	checkHTTPProxy(t, p)

	// squid resolves "localhost" from the hosts file.
	plain := origin(t)
	u, err := url.Parse(plain.URL)
	require.NoError(t, err)
	u.Host = "localhost:" + u.Port()
	resp, body := get(t, proxiedClient(t, p.URLWithAuth(), nil), u.String()+"/by-name")
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "HTTP/1.1 GET /by-name", body)
}

func TestSquidAuth(t *testing.T) {
	t.Parallel()
	p := testdaemon.Squid(t, testdaemon.SquidOptions{User: "bob", Password: "hunter2"})
	checkHTTPProxyAuth(t, p)
}

// checkHTTPProxy sends a plain GET and a CONNECT tunnel through p.
func checkHTTPProxy(t *testing.T, p *testdaemon.Daemon) {
	t.Helper()
	plain := origin(t)
	secure, tlsCfg := tlsOrigin(t)
	c := proxiedClient(t, p.URLWithAuth(), tlsCfg)

	resp, body := get(t, c, plain.URL+"/plain")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "HTTP/1.1 GET /plain", body)
	assert.NotEmpty(t, resp.Header.Get("X-Origin-Via"), "the proxy forwarded the request")

	resp, body = get(t, c, secure.URL+"/tunnel")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "secure GET /tunnel", body)
	require.NotNil(t, resp.TLS, "end-to-end TLS through CONNECT")
}

// checkHTTPProxyAuth checks that p refuses requests without credentials
// and with wrong ones, and forwards them with the right ones.
func checkHTTPProxyAuth(t *testing.T, p *testdaemon.Daemon) {
	t.Helper()
	plain := origin(t)
	secure, tlsCfg := tlsOrigin(t)

	noAuth, err := url.Parse(p.URL)
	require.NoError(t, err)
	resp, _ := get(t, proxiedClient(t, noAuth, tlsCfg), plain.URL)
	assert.Equal(t, http.StatusProxyAuthRequired, resp.StatusCode)

	_, err = proxiedClient(t, noAuth, tlsCfg).Get(secure.URL)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Proxy Authentication Required")

	wrong := p.URLWithAuth()
	wrong.User = url.UserPassword(p.User, "wrong")
	resp, _ = get(t, proxiedClient(t, wrong, tlsCfg), plain.URL)
	// tinyproxy answers wrong credentials with 401 rather than 407.
	assert.Contains(t, []int{http.StatusProxyAuthRequired, http.StatusUnauthorized}, resp.StatusCode)

	c := proxiedClient(t, p.URLWithAuth(), tlsCfg)
	resp, body := get(t, c, plain.URL+"/a")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "HTTP/1.1 GET /a", body)
	assert.Empty(t, resp.Header.Get("X-Origin-Proxy-Auth"), "the proxy consumed the credentials")

	resp, body = get(t, c, secure.URL+"/b")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "secure GET /b", body)
}

func TestMicrosocks(t *testing.T) {
	t.Parallel()
	s := testdaemon.Microsocks(t, testdaemon.MicrosocksOptions{})
	t.Logf("microsocks started in %v", s.StartupTime)
	assert.True(t, strings.HasPrefix(s.URL, "socks5://127.0.0.1:"), s.URL)

	plain := origin(t)
	secure, tlsCfg := tlsOrigin(t)
	c := proxiedClient(t, s.URLWithAuth(), tlsCfg)
	_, body := get(t, c, plain.URL+"/via-socks")
	assert.Equal(t, "HTTP/1.1 GET /via-socks", body)
	resp, body := get(t, c, secure.URL+"/tls-via-socks")
	assert.Equal(t, "secure GET /tls-via-socks", body)
	assert.NotNil(t, resp.TLS)
}

func TestMicrosocksAuth(t *testing.T) {
	t.Parallel()
	s := testdaemon.Microsocks(t, testdaemon.MicrosocksOptions{User: "carol", Password: "pw123"})
	plain := origin(t)
	target := strings.TrimPrefix(plain.URL, "http://")

	dialAndGet := func(auth *proxy.Auth) (string, error) {
		d, err := proxy.SOCKS5("tcp", s.Addr, auth, &net.Dialer{Timeout: 5 * time.Second})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := d.(proxy.ContextDialer).DialContext(ctx, "tcp", target)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, "GET /socks-auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	_, err := dialAndGet(nil)
	assert.Error(t, err, "no credentials")
	_, err = dialAndGet(&proxy.Auth{User: "carol", Password: "nope"})
	assert.Error(t, err, "wrong password")
	body, err := dialAndGet(&proxy.Auth{User: "carol", Password: "pw123"})
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 GET /socks-auth", body)

	// net/http's own SOCKS5 support takes the credentials from the URL.
	_, body = get(t, proxiedClient(t, s.URLWithAuth(), nil), plain.URL+"/std")
	assert.Equal(t, "HTTP/1.1 GET /std", body)
}

func nginxClient(t *testing.T, ca *testcert.CA) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestNginxHTTP2Echo(t *testing.T) {
	t.Parallel()
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	n := testdaemon.Nginx(t, testdaemon.NginxOptions{
		CertFile:    cert.CertFile,
		KeyFile:     cert.KeyFile,
		EchoHeaders: []string{"X-Test-Token", "Accept-Encoding"},
		Body:        "fixed $body 'with' quotes\\n",
	})
	t.Logf("nginx started in %v", n.StartupTime)
	assert.True(t, strings.HasPrefix(n.URL, "https://127.0.0.1:"), n.URL)
	c := nginxClient(t, ca)

	req, err := http.NewRequest(http.MethodGet, n.URL+testdaemon.NginxEchoPath+"?q=1", nil)
	require.NoError(t, err)
	req.Header.Set("X-Test-Token", "abc123")
	req.Header.Set("User-Agent", "testdaemon-test")
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

	var echo testdaemon.NginxEcho
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&echo))
	assert.Equal(t, "h2", echo.HTTP2)
	assert.Equal(t, "HTTP/2.0", echo.Protocol)
	assert.Equal(t, "h2", echo.ALPN)
	assert.Equal(t, "TLSv1.3", echo.TLSVersion)
	assert.Equal(t, "GET", echo.Method)
	assert.Equal(t, testdaemon.NginxEchoPath+"?q=1", echo.URI)
	assert.Equal(t, strings.TrimPrefix(n.URL, "https://"), echo.Host)
	assert.Equal(t, "abc123", echo.Headers["X-Test-Token"])
	assert.Equal(t, "testdaemon-test", echo.Headers["User-Agent"])
	assert.Contains(t, echo.Headers, "Accept-Encoding")

	resp2, body := get(t, c, n.URL+"/anything")
	assert.Equal(t, 2, resp2.ProtoMajor)
	assert.Equal(t, "fixed $body 'with' quotes\\n", body)
	assert.Equal(t, "text/plain", resp2.Header.Get("Content-Type"))
}

func TestNginxHTTP1Only(t *testing.T) {
	t.Parallel()
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	n := testdaemon.Nginx(t, testdaemon.NginxOptions{CertFile: cert.CertFile, KeyFile: cert.KeyFile, DisableHTTP2: true})
	resp, body := get(t, nginxClient(t, ca), n.URL+"/")
	assert.Equal(t, 1, resp.ProtoMajor)
	assert.Equal(t, "ok\n", body)
}

func TestNginxReverseProxy(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Upstream-Proto", r.Proto)
		w.Header().Set("X-Upstream-Forwarded-Proto", r.Header.Get("X-Forwarded-Proto"))
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s host=%s body=%s", r.Method, r.URL.RequestURI(), r.Host, b)
	}))
	t.Cleanup(upstream.Close)

	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	n := testdaemon.Nginx(t, testdaemon.NginxOptions{CertFile: cert.CertFile, KeyFile: cert.KeyFile, Upstream: upstream.URL})
	c := nginxClient(t, ca)

	resp, err := c.Post(n.URL+"/up/path?x=1", "text/plain", strings.NewReader("payload"))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, 2, resp.ProtoMajor, "client side is HTTP/2")
	assert.Equal(t, "HTTP/1.1", resp.Header.Get("X-Upstream-Proto"), "upstream side is HTTP/1.1")
	assert.Equal(t, "https", resp.Header.Get("X-Upstream-Forwarded-Proto"))
	assert.Equal(t, "POST /up/path?x=1 host="+strings.TrimPrefix(n.URL, "https://")+" body=payload", string(body))
	assert.EqualValues(t, 1, hits.Load())

	// The echo location is still nginx's own.
	resp, body2 := get(t, c, n.URL+testdaemon.NginxEchoPath)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body2, `"http2":"h2"`)
	assert.EqualValues(t, 1, hits.Load())
}

func TestNginxRejectsNonLoopbackUpstream(t *testing.T) {
	r := runRecorded(t, func(tb testing.TB) {
		testdaemon.Nginx(tb, testdaemon.NginxOptions{CertFile: "c", KeyFile: "k", Upstream: "http://192.0.2.1:80"})
	})
	if r.skipped != "" {
		t.Skip(r.skipped)
	}
	assert.Contains(t, r.fatal, "loopback")
}

func TestStopIsIdempotentAndFreesPort(t *testing.T) {
	t.Parallel()
	s := testdaemon.Microsocks(t, testdaemon.MicrosocksOptions{})
	s.Stop()
	s.Stop()
	_, err := net.DialTimeout("tcp", s.Addr, time.Second)
	assert.Error(t, err)
}
