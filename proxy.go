package requests

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http/httpproxy"
)

// Proxies maps a scheme, or a scheme and host, to a proxy URL (requests'
// proxies=). Keys are tried most specific first: "https://api.example.com",
// "https", "all://api.example.com", "all"; an empty URL means no proxy for
// that key. A call's Proxies win over its Session's, key by key. They apply
// to every host, loopback included.
//
// Proxy URLs may be http, https, socks5 or socks5h; a bare "host:port" is an
// http proxy. Plain http requests are sent to an http proxy; https requests
// go through a CONNECT tunnel. Credentials in a proxy URL go to the proxy
// only, as Proxy-Authorization (or SOCKS5 username and password). A
// Proxy-Authorization header given with Headers goes to the proxy only too:
// in the CONNECT request for https, in the request for plain http, nowhere
// when no http proxy is used. Unlike requests, socks5 also lets the proxy
// resolve host names, as socks5h does (net/http sends the name).
//
// When no key matches and TrustEnv is on, HTTP_PROXY, HTTPS_PROXY,
// ALL_PROXY and NO_PROXY decide (lower-case names too), with the semantics of
// golang.org/x/net/http/httpproxy: localhost and loopback addresses are never
// proxied from the environment. A proxy that refuses (407, or 403 to
// CONNECT), cannot be reached, or has a bad URL fails the call with ErrProxy;
// so does a proxy variable that does not parse, where httpproxy would go
// direct. In a CGI process (REQUEST_METHOD set) HTTP_PROXY may come from the
// client's Proxy: header (httpoxy), so a call to an http URL it would apply
// to fails with ErrProxy, as net/http refuses it there.
type Proxies map[string]string

func (p Proxies) apply(c *config) { c.proxies = addLayer(c.proxies, p) }

// proxyForRequest is the Transport's Proxy hook: the call's proxy for req.
func proxyForRequest(req *http.Request) (*url.URL, error) {
	cl := callOf(req.Context())
	if cl == nil {
		return nil, nil
	}
	return selectProxy(cl.cfg, req.URL)
}

// selectProxy implements requests' select_proxy, then the environment.
func selectProxy(c *config, u *url.URL) (*url.URL, error) {
	if len(c.proxies) > 0 {
		host := u.Hostname()
		// The keys, most specific first, are spelt in buffers on the stack:
		// a map look-up with string(b) does not allocate.
		var a, b [128]byte
		schemeHost := append(append(append(a[:0], u.Scheme...), "://"...), host...)
		allHost := append(append(b[:0], "all://"...), host...)
		for _, k := range [...][]byte{schemeHost, schemeHost[:len(u.Scheme)], allHost, allHost[:len("all")]} {
			if raw, ok := c.proxyFor(k); ok {
				if raw == "" {
					return nil, nil // an empty value turns proxying off for that key
				}
				return cachedProxy(raw)
			}
		}
	}
	if !c.TrustEnv {
		return nil, nil
	}
	return envProxy().proxyFor(u)
}

// proxyURLs holds the proxy URLs parsed so far, so that a Session's
// Proxies are not parsed again on every call. The Transport only reads the
// URLs it is given, so one can serve every call. It stops growing at
// maxCachedProxies, past which URLs are parsed per call as before.
var (
	proxyURLs     sync.Map // raw string -> *url.URL
	cachedProxies atomic.Int64
)

const maxCachedProxies = 256

func cachedProxy(raw string) (*url.URL, error) {
	if p, ok := proxyURLs.Load(raw); ok {
		return p.(*url.URL), nil
	}
	p, err := parseProxy(raw)
	if err == nil && cachedProxies.Load() < maxCachedProxies {
		if _, loaded := proxyURLs.LoadOrStore(raw, p); !loaded {
			cachedProxies.Add(1)
		}
	}
	return p, err
}

// parseProxy parses a proxy URL; a bare "host:port" means an http proxy.
func parseProxy(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	p, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProxy, scrubURLError(err))
	}
	switch p.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("%w: unsupported proxy scheme %q", ErrProxy, p.Scheme)
	}
	if p.Host == "" {
		return nil, fmt.Errorf("%w: proxy URL %q has no host", ErrProxy, p.Redacted())
	}
	return p, nil
}

// envProxyCache holds the proxies of the environment as last read, so that
// the environment is parsed again only when it changes (tests change it with
// t.Setenv; net/http reads it once per process).
var envProxyCache atomic.Pointer[envProxyEntry]

// proxyEnv is the environment's say on proxies.
type proxyEnv struct {
	http, https, all, no string
	// cgi is set in a CGI process, where HTTP_PROXY may come from the
	// client's Proxy: header (httpoxy, CVE-2016-5386).
	cgi bool
}

type envProxyEntry struct {
	env proxyEnv
	fn  func(*url.URL) (*url.URL, error)
	// httpErr and httpsErr say why the proxy for that scheme is unusable.
	httpErr, httpsErr error
}

// badProxyHost stands in, for the NO_PROXY rules, for a proxy value that
// does not parse: when it is chosen, the call fails with the parse error
// instead of going direct.
const badProxyHost = "malformed-proxy.invalid"

func envProxy() *envProxyEntry {
	env := environment().proxy
	if e := envProxyCache.Load(); e != nil && e.env == env {
		return e
	}
	e := &envProxyEntry{env: env}
	cfg := httpproxy.Config{NoProxy: env.no}
	// requests' "all" scheme is the fallback for both.
	cfg.HTTPProxy, e.httpErr = envProxyValue(cmp.Or(env.http, env.all))
	cfg.HTTPSProxy, e.httpsErr = envProxyValue(cmp.Or(env.https, env.all))
	if env.cgi && env.http != "" {
		e.httpErr = fmt.Errorf("%w: refusing HTTP_PROXY from the environment of a CGI process, where a client can set it", ErrProxy)
		cfg.HTTPProxy = "http://" + badProxyHost
	}
	e.fn = cfg.ProxyFunc()
	envProxyCache.Store(e)
	return e
}

// envProxyValue parses a proxy variable as Proxies values are parsed (a
// value without a scheme is an http proxy). httpproxy would drop a value it
// cannot parse and go direct; here it fails the calls it would apply to.
func envProxyValue(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	p, err := parseProxy(raw)
	if err != nil {
		return "http://" + badProxyHost, err
	}
	return p.String(), nil
}

// proxyFor returns the environment's proxy for u.
func (e *envProxyEntry) proxyFor(u *url.URL) (*url.URL, error) {
	p, err := e.fn(u)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProxy, err)
	}
	if p != nil && p.Host == badProxyHost {
		if u.Scheme == "https" {
			return nil, e.httpsErr
		}
		return nil, e.httpErr
	}
	return p, nil
}

// checkProxyConnect turns a refused CONNECT into ErrProxy.
func checkProxyConnect(_ context.Context, proxy *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return fmt.Errorf("%w: %s answered CONNECT with %s", ErrProxy, proxy.Redacted(), resp.Status)
}

// proxyAuthKey carries a caller's Proxy-Authorization header to the CONNECT
// request of the request's tunnel.
type proxyAuthKey struct{}

// routeProxyAuth keeps a Proxy-Authorization header the caller set from
// reaching anyone but the proxy (requests' CVE-2023-32681 in Go form): a
// plain http request through an http proxy keeps it, since the proxy reads
// and removes it; for a tunnelled https request it moves to the CONNECT
// request; with no http proxy it is dropped. It returns the credentials the
// CONNECT request will carry, if any.
func routeProxyAuth(c *config, req *http.Request) (*http.Request, string) {
	pa := req.Header.Get("Proxy-Authorization")
	if pa == "" {
		return req, ""
	}
	p, err := selectProxy(c, req.URL)
	httpProxy := err == nil && p != nil && (p.Scheme == "http" || p.Scheme == "https")
	if httpProxy && req.URL.Scheme == "http" {
		return req, ""
	}
	ctx := req.Context()
	connectAuth := ""
	if httpProxy {
		ctx = context.WithValue(ctx, proxyAuthKey{}, pa)
		connectAuth = pa
	}
	out := req.WithContext(ctx)
	out.Header = req.Header.Clone()
	out.Header.Del("Proxy-Authorization")
	return out, connectAuth
}

// proxyConnectHeader is the Transport's GetProxyConnectHeader hook: the
// headers of the CONNECT request that opens a tunnel. Credentials in the
// proxy URL replace these.
func proxyConnectHeader(ctx context.Context, _ *url.URL, _ string) (http.Header, error) {
	if pa, ok := ctx.Value(proxyAuthKey{}).(string); ok {
		return http.Header{"Proxy-Authorization": {pa}}, nil
	}
	return nil, nil
}
