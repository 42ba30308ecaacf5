package requests

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The defaults a new Session starts with. They are variables so that a
// program can read them. Each is read when a Session is made (NewSession):
// a change applies to the Sessions made after it, never to one that exists
// (DefaultSession is made when the program starts).
var (
	// DefaultConnectTimeout bounds connecting when no timeout is given.
	// requests has no default and can hang forever; this library does not.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultReadTimeout bounds each wait for the server when no timeout is given.
	DefaultReadTimeout = 30 * time.Second
	// DefaultMaxRedirects is requests' DEFAULT_REDIRECT_LIMIT.
	DefaultMaxRedirects = 30
	// DefaultPoolSize is the idle connections kept per host, as requests'
	// DEFAULT_POOLSIZE (net/http keeps 2, which churns under concurrency).
	// The package-level functions keep it too: with 32 calls at once to one
	// host, about 1 call in 100 dials again (some 1% more CPU), while a
	// larger pool would hold more idle connections open to every host. A
	// program making more calls at once sets PoolSize on its own Session.
	// See PoolSize and PoolBlock.
	DefaultPoolSize = 10
	// DefaultUserAgent is sent unless a User-Agent header is given or omitted.
	DefaultUserAgent = "go-requests/" + Version
)

// Version is this library's version, as sent in the default User-Agent.
const Version = "0.1.0"

// A Session keeps settings, cookies and connection pools across calls
// (requests.Session). It is safe for concurrent use by many goroutines, Update
// included: a call sees the defaults as they were when it started. Create one
// per set of defaults and reuse it; Close it when done.
type Session struct {
	cfg        atomic.Pointer[config]
	mounts     atomic.Pointer[[]mount]
	closed     atomic.Bool
	ephemeral  bool // the package-level Session: no jar shared between calls
	mu         sync.Mutex
	transports atomic.Pointer[map[transportKey]*http.Transport]
	dns        dnsCache
	caWatch    sync.Map // transportKey -> *fileWatch of its CA bundle
	budgets    sync.Map // *RetryBudget -> *budgetState
}

// mount is one Mount: requests' adapter for a URL prefix.
type mount struct {
	prefix string
	rt     http.RoundTripper
}

// NewSession returns a Session with requests' defaults (a cookie jar using the
// public suffix list, redirects followed up to 30, User-Agent, Accept and
// Accept-Encoding headers) plus this library's timeouts, then opts applied.
func NewSession(opts ...Option) *Session {
	return newSession(newJar(), opts)
}

func newSession(jar http.CookieJar, opts []Option) *Session {
	rereadEnvironment() // a Session made after a change of the environment sees it
	s := &Session{ephemeral: jar == nil}
	c := &config{
		CallSettings: CallSettings{
			ConnectTimeout: DefaultConnectTimeout,
			ReadTimeout:    DefaultReadTimeout,
			MaxRedirects:   DefaultMaxRedirects,
			PoolSize:       DefaultPoolSize,
			TrustEnv:       true,
		},
		jar: jar,
		baseHeader: http.Header{
			"User-Agent":      {DefaultUserAgent},
			"Accept":          {"*/*"},
			"Accept-Encoding": {acceptEncoding},
		},
	}
	s.cfg.Store(c.derive(opts))
	return s
}

// Update changes the Session's defaults for the calls that start after it
// (requests' s.headers.update(...), s.auth = ...). Headers and Params merge
// into the existing ones; other options replace the setting.
func (s *Session) Update(opts ...Option) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg.Load().derive(opts)
	s.cfg.Store(c)
	if m := s.transports.Load(); m != nil {
		// Transports of another shape serve no new call: their idle
		// connections go now, those in use when their calls end.
		for k, t := range *m {
			if k.shape != shapeOf(c) {
				t.CloseIdleConnections()
			}
		}
	}
}

// Jar returns the Session's cookie jar (requests' s.cookies), to read cookies
// with Cookies(u) or to set them with SetCookies. It is nil for the
// package-level Session, which keeps no cookies between calls. The
// Session's own jar keeps at most MaxCookiesPerDomain cookies per domain
// and MaxCookies in all, evicting the oldest.
func (s *Session) Jar() http.CookieJar { return s.cfg.Load().jar }

// Mount sends every request whose URL starts with prefix through rt instead of
// the Session's own transport (requests' mount). The URL is matched without
// its user info, which is sent as credentials instead. The longest matching prefix
// wins. It is the seam for middleware (logging, tracing, retries) and for
// custom schemes. Mounting nil removes the prefix.
func (s *Session) Mount(prefix string, rt http.RoundTripper) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ms []mount
	if old := s.mounts.Load(); old != nil {
		ms = slices.Clone(*old)
	}
	ms = slices.DeleteFunc(ms, func(m mount) bool { return m.prefix == prefix })
	if rt != nil {
		ms = append(ms, mount{prefix: prefix, rt: rt})
	}
	// Longest first, so the first match is the longest.
	sort.SliceStable(ms, func(i, j int) bool { return len(ms[i].prefix) > len(ms[j].prefix) })
	s.mounts.Store(&ms)
}

// mounted returns the RoundTripper mounted for rawURL, or nil.
func (s *Session) mounted(rawURL string) http.RoundTripper {
	ms := s.mounts.Load()
	if ms == nil {
		return nil
	}
	for _, m := range *ms {
		// Case-insensitive, as requests' url.lower().startswith(prefix.lower()),
		// without lowering (copying) the URL for every mount.
		if len(rawURL) >= len(m.prefix) && strings.EqualFold(rawURL[:len(m.prefix)], m.prefix) {
			return m.rt
		}
		if (!isASCII(rawURL) || !isASCII(m.prefix)) && strings.HasPrefix(strings.ToLower(rawURL), strings.ToLower(m.prefix)) {
			return m.rt // case folding changed a length
		}
	}
	return nil
}

// Close releases the idle connections of every transport of the Session.
// Calls made after Close fail with ErrSessionClosed; calls in flight finish.
func (s *Session) Close() error {
	s.closed.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.transports.Load(); m != nil {
		for _, t := range *m {
			t.CloseIdleConnections()
		}
	}
	if ms := s.mounts.Load(); ms != nil {
		for _, m := range *ms {
			if ci, ok := m.rt.(interface{ CloseIdleConnections() }); ok {
				ci.CloseIdleConnections()
			}
		}
	}
	return nil
}

// Get sends a GET request (requests' s.get).
func (s *Session) Get(url string, opts ...Option) (*Response, error) {
	return s.Do(http.MethodGet, url, opts...)
}

// Head sends a HEAD request. Like requests' head, it does not follow
// redirects unless AllowRedirects(true) is given.
func (s *Session) Head(url string, opts ...Option) (*Response, error) {
	return s.Do(http.MethodHead, url, opts...)
}

// Post sends a POST request, usually with a JSON, Data or Files body.
func (s *Session) Post(url string, opts ...Option) (*Response, error) {
	return s.Do(http.MethodPost, url, opts...)
}

// Put sends a PUT request.
func (s *Session) Put(url string, opts ...Option) (*Response, error) {
	return s.Do(http.MethodPut, url, opts...)
}

// Patch sends a PATCH request.
func (s *Session) Patch(url string, opts ...Option) (*Response, error) {
	return s.Do(http.MethodPatch, url, opts...)
}

// Delete sends a DELETE request.
func (s *Session) Delete(url string, opts ...Option) (*Response, error) {
	return s.Do(http.MethodDelete, url, opts...)
}

// Options sends an OPTIONS request.
func (s *Session) Options(url string, opts ...Option) (*Response, error) {
	return s.Do(http.MethodOptions, url, opts...)
}
