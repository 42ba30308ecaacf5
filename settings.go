package requests

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// Settings is a snapshot of a Session's defaults, the state requests keeps
// in s.headers, s.params, s.auth, s.proxies, s.hooks, s.verify, s.cert,
// s.max_redirects, s.trust_env and s.adapters. Session.Settings returns a
// copy: changing it changes nothing, use Update (or Mount, Jar,
// ClearCookies) for that. Cookies the server set are in the jar, read with
// Session.Cookies.
type Settings struct {
	// Headers are sent with every call: the library's defaults
	// (User-Agent, Accept, Accept-Encoding) merged with the Session's.
	Headers http.Header
	// Params are added to every URL's query.
	Params ParamValues
	// Cookies are the Session's own cookies, given to NewSession or Update.
	Cookies Cookies
	// Auth authenticates every call; nil when there is none.
	Auth Authenticator
	// ConnectTimeout and ReadTimeout are the two halves of Timeout; zero
	// means none.
	ConnectTimeout, ReadTimeout time.Duration
	// Verify reports whether TLS certificates are verified.
	Verify bool
	// CABundle is the PEM file trusted instead of the system roots, if any.
	CABundle string
	// CertFile and KeyFile are the client certificate, if any.
	CertFile, KeyFile string
	// Proxies are the Session's proxies by key, before the environment.
	Proxies Proxies
	// MaxRedirects caps the redirects a call follows.
	MaxRedirects int
	// Stream reports whether calls leave bodies unread by default.
	Stream bool
	// MaxBodySize caps a buffered body; zero means no cap.
	MaxBodySize int64
	// PoolSize is the idle connections kept per host.
	PoolSize int
	// PoolBlock caps the connections open per host at PoolSize.
	PoolBlock bool
	// TrustEnv reports whether proxies, CA bundle and .netrc come from the
	// environment.
	TrustEnv bool
	// Hooks run on every final response, in this order.
	Hooks []func(*Response) error
	// Mounts are the RoundTrippers given to Mount, by URL prefix.
	// Params, Cookies, Proxies and Mounts are nil when there are none.
	Mounts map[string]http.RoundTripper
}

// Settings returns a snapshot of the Session's defaults, as a call starting
// now would see them. It is safe to call concurrently with Update and calls.
func (s *Session) Settings() Settings {
	c := s.cfg.Load()
	st := Settings{
		Headers:        c.baseHeader.Clone(),
		Cookies:        maps.Clone(c.seed),
		Auth:           c.auth,
		ConnectTimeout: c.connectTimeout,
		ReadTimeout:    c.readTimeout,
		Verify:         !c.tls.insecure,
		CABundle:       c.tls.caBundle,
		CertFile:       c.tls.certFile,
		KeyFile:        c.tls.keyFile,
		MaxRedirects:   c.maxRedirects,
		Stream:         c.stream,
		MaxBodySize:    c.maxBody,
		PoolSize:       c.poolSize,
		PoolBlock:      c.poolBlock,
		TrustEnv:       c.trustEnv,
		Hooks:          slices.Clone(c.hooks),
	}
	if len(c.query) > 0 {
		st.Params = mergeQuery(c.query)
	}
	if len(c.proxies) > 0 {
		st.Proxies = maps.Clone(c.proxies[0])
	}
	if ms := s.mounts.Load(); ms != nil && len(*ms) > 0 {
		st.Mounts = make(map[string]http.RoundTripper, len(*ms))
		for _, m := range *ms {
			st.Mounts[m.prefix] = m.rt
		}
	}
	return st
}
