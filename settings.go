package requests

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Settings is a snapshot of a Session's defaults, the state requests keeps
// in s.headers, s.params, s.auth, s.proxies, s.hooks, s.verify, s.cert,
// s.max_redirects, s.trust_env and s.adapters. Session.Settings returns a
// copy: changing it changes nothing, use Update (or Mount, Jar,
// ClearCookies) for that. Cookies the server set are in the jar, read with
// Session.Cookies.
//
// Every setting an Option gives is here: those kept as they are given are
// the embedded CallSettings, which is also how a Session holds them, so
// that a new one cannot be left out; the others (merged maps, TLS files,
// mounts) are listed below it.
type Settings struct {
	CallSettings

	// Headers are sent with every call: the library's defaults
	// (User-Agent, Accept, Accept-Encoding) merged with the Session's.
	Headers http.Header
	// Params are added to every URL's query.
	Params ParamValues
	// Cookies are the Session's own cookies, given to NewSession or Update.
	Cookies Cookies
	// Verify reports whether TLS certificates are verified.
	Verify bool
	// CABundle is the PEM file trusted instead of the system roots, if any.
	CABundle string
	// CertFile and KeyFile are the client certificate, if any.
	CertFile, KeyFile string
	// Pins are the PinSHA256 pins; nil for none.
	Pins []string
	// Proxies are the Session's proxies by key, before the environment.
	Proxies Proxies
	// Mounts are the RoundTrippers given to Mount, by URL prefix.
	// Params, Cookies, Proxies and Mounts are nil when there are none.
	Mounts map[string]http.RoundTripper
	// AllowAddresses are the exceptions to DenyPrivateNetworks; nil for none.
	AllowAddresses []netip.Prefix
}

// CallSettings are the settings a Session holds as they were given, and
// reports in Settings as they are. Each field is set by the Option of the
// same name (Timeout sets both timeouts; the progress options set
// ProgressInterval too).
type CallSettings struct {
	// Auth authenticates every call; nil when there is none.
	Auth Authenticator
	// ConnectTimeout and ReadTimeout are the two halves of Timeout; zero
	// means none.
	ConnectTimeout, ReadTimeout time.Duration
	// AllowRedirects is nil unless AllowRedirects was given: redirects are
	// then followed except for HEAD, as in requests.
	AllowRedirects *bool
	// MaxRedirects caps the redirects a call follows.
	MaxRedirects int
	// RedirectSchemes are the schemes besides http and https a redirect
	// may lead to, through a mounted RoundTripper; nil when there are none.
	RedirectSchemes []string
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
	// Retry is the retry policy, its zero fields filled in from the
	// package defaults; nil when calls are not retried.
	Retry *RetryPolicy
	// DialContext dials the Session's connections; nil for its own dialer.
	DialContext DialFunc
	// DenyPrivateNetworks reports whether non-public addresses are refused
	// (see Settings.AllowAddresses for the exceptions).
	DenyPrivateNetworks bool
	// HTTP2Cleartext reports whether http:// URLs are sent with h2c.
	HTTP2Cleartext bool
	// DNSCache is how long resolved addresses are kept; zero for no cache.
	DNSCache time.Duration
	// DownloadProgress and UploadProgress are the progress functions, if
	// any, called at most once per ProgressInterval (the package's
	// ProgressInterval when the progress option was made).
	DownloadProgress, UploadProgress func(done, total int64)
	ProgressInterval                 time.Duration
	// RateLimit and CircuitBreaker are the policies, their zero fields
	// filled in from the package defaults; nil when off.
	RateLimit      *RateLimitPolicy
	CircuitBreaker *BreakerPolicy
	// Endpoints are the base URLs calls with a path are spread over, as
	// Balance says; nil when off.
	Endpoints []string
	Balance   Balance
	// SensitiveHeaders are the caller's own credential headers, canonical,
	// the Session's and the call's together (see SensitiveHeaders).
	SensitiveHeaders []string
	// Middleware wraps the RoundTripper of every attempt, first given
	// outermost (see Middleware).
	Middleware []func(http.RoundTripper) http.RoundTripper
	// Trace reports whether calls record their Timings.
	Trace bool
	// Logger receives a record per attempt; nil logs nothing.
	Logger *slog.Logger
	// Dump receives the wire view of every attempt; nil for none.
	Dump io.Writer
	// DownloadProgressErr is the download progress function that may stop
	// the transfer; at most one of it and DownloadProgress is set.
	DownloadProgressErr func(done, total int64) error
}

// clone is a copy of s that shares nothing a caller could change.
func (s CallSettings) clone() CallSettings {
	s.Hooks = slices.Clone(s.Hooks)
	s.SensitiveHeaders = slices.Clone(s.SensitiveHeaders)
	s.Middleware = slices.Clone(s.Middleware)
	s.RedirectSchemes = slices.Clone(s.RedirectSchemes)
	if s.AllowRedirects != nil {
		on := *s.AllowRedirects
		s.AllowRedirects = &on
	}
	if s.Retry != nil {
		p := *s.Retry
		p.StatusForcelist = slices.Clone(p.StatusForcelist)
		p.AllowedMethods = slices.Clone(p.AllowedMethods)
		s.Retry = &p
	}
	if s.RateLimit != nil {
		p := *s.RateLimit
		s.RateLimit = &p
	}
	if s.CircuitBreaker != nil {
		p := *s.CircuitBreaker
		p.FailureStatuses = slices.Clone(p.FailureStatuses)
		s.CircuitBreaker = &p
	}
	s.Endpoints = slices.Clone(s.Endpoints)
	return s
}

// Settings returns a snapshot of the Session's defaults, as a call starting
// now would see them. It is safe to call concurrently with Update and calls.
func (s *Session) Settings() Settings {
	c := s.cfg.Load()
	st := Settings{
		CallSettings: c.CallSettings.clone(),
		Headers:      c.baseHeader.Clone(),
		Cookies:      maps.Clone(c.seed),
		Verify:       !c.tls.insecure,
		CABundle:     c.tls.caBundle,
		CertFile:     c.tls.certFile,
		KeyFile:      c.tls.keyFile,
	}
	if c.tls.pins != "" {
		st.Pins = strings.Split(c.tls.pins, ",")
	}
	if c.allow != nil {
		st.AllowAddresses = slices.Clone(c.allow.prefixes)
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
