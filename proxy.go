package requests

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/net/http/httpproxy"
)

// Proxies maps a scheme, or a scheme and host, to a proxy URL (requests'
// proxies=). Keys are tried most specific first: "https://api.example.com",
// "https", "all://api.example.com", "all". Proxy URLs may be http, https,
// socks5 (names resolved by the client) or socks5h (names resolved by the
// proxy); credentials in a proxy URL go to the proxy only. When no key
// matches and TrustEnv is on, HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and
// NO_PROXY decide.
type Proxies map[string]string

func (p Proxies) apply(c *config) { c.proxies = append(c.proxies, p) }

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
		keys := [...]string{u.Scheme + "://" + host, u.Scheme, "all://" + host, "all"}
		for _, k := range keys {
			// The last layer to name the key wins: a call's over its Session's.
			for i := len(c.proxies) - 1; i >= 0; i-- {
				if raw, ok := c.proxies[i][k]; ok {
					if raw == "" {
						return nil, nil // an empty value turns proxying off for that key
					}
					return parseProxy(raw)
				}
			}
		}
	}
	if !c.trustEnv {
		return nil, nil
	}
	p, err := envProxy()(u)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProxy, err)
	}
	return p, nil
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
	return p, nil
}

// envProxyCache holds the proxy function for the environment as last read,
// so that the environment is parsed again only when it changes (tests change
// it with t.Setenv; net/http reads it once per process).
var envProxyCache atomic.Pointer[envProxyEntry]

type envProxyEntry struct {
	cfg httpproxy.Config
	fn  func(*url.URL) (*url.URL, error)
}

func envProxy() func(*url.URL) (*url.URL, error) {
	cfg := httpproxy.Config{
		HTTPProxy:  getenvAny("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: getenvAny("HTTPS_PROXY", "https_proxy"),
		NoProxy:    getenvAny("NO_PROXY", "no_proxy"),
	}
	if all := getenvAny("ALL_PROXY", "all_proxy"); all != "" {
		// requests' "all" scheme: the fallback for both.
		if cfg.HTTPProxy == "" {
			cfg.HTTPProxy = all
		}
		if cfg.HTTPSProxy == "" {
			cfg.HTTPSProxy = all
		}
	}
	if e := envProxyCache.Load(); e != nil && e.cfg == cfg {
		return e.fn
	}
	e := &envProxyEntry{cfg: cfg, fn: cfg.ProxyFunc()}
	envProxyCache.Store(e)
	return e.fn
}

func getenvAny(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// checkProxyConnect turns a refused CONNECT into ErrProxy.
func checkProxyConnect(_ context.Context, proxy *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return fmt.Errorf("%w: %s answered CONNECT with %s", ErrProxy, proxy.Redacted(), resp.Status)
}
