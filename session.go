package requests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// config is the merged settings of one call, or a Session's defaults. A call
// starts from a copy of its Session's config and applies its own options on
// top. Options only append to slices (which the Session keeps clipped, so an
// append never writes into the Session's array) or replace fields: a call
// never writes to memory its Session or another call can see.
type config struct {
	query          []queryLayer
	headers        []Headers
	omit           []string
	cookies        []Cookies
	seed           Cookies // the Session's own Cookies, merged: see addCookies
	body           bodySpec
	connectTimeout time.Duration
	readTimeout    time.Duration
	readTimeoutSet bool // given by an option, not the default (Subscribe)
	ctx            context.Context
	tls            tlsKey
	auth           Authenticator
	authSet        bool
	redirects      redirectMode
	maxRedirects   int
	proxies        []Proxies
	stream         bool
	maxBody        int64
	onUpload       func(done, total int64) // UploadProgress
	onDownload     func(done, total int64) // DownloadProgress
	hooks          []func(*Response) error
	jar            http.CookieJar
	poolSize       int
	poolBlock      bool
	trustEnv       bool
	dial           DialFunc
	retry          *RetryPolicy // nil: no retries

	// Set only on a Session's published defaults.
	baseHeader http.Header // library defaults and Session headers, canonical and checked
	err        error       // a Session default that is invalid, reported by every call
}

type redirectMode uint8

const (
	redirectsDefault redirectMode = iota // on, except for HEAD
	redirectsOn
	redirectsOff
)

// queryLayer is one Params or ParamValues option.
type queryLayer struct {
	one  Params
	many ParamValues
}

// The defaults a new Session starts with. They are variables so that a
// program can read them; change them before creating Sessions.
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
	// See PoolSize and PoolBlock.
	DefaultPoolSize = 10
	// DefaultUserAgent is sent unless a User-Agent header is given or omitted.
	DefaultUserAgent = "go-requests/" + Version
)

// Version is this library's version, as sent in the default User-Agent.
const Version = "0.1.0"

// DialFunc dials a network connection, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialContext makes a Session dial with fn instead of its pooled net.Dialer:
// for a fixed resolution (curl's --resolve), a Unix socket, or tests that give
// chosen host names a loopback address. The connect timeout still bounds fn
// through its context. It is a Session setting: given to a single call it has
// no effect.
func DialContext(fn DialFunc) Option {
	return optionFunc(func(c *config) { c.dial = fn })
}

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
	transports atomic.Pointer[map[tlsKey]*http.Transport]
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
	s := &Session{ephemeral: jar == nil}
	c := &config{
		connectTimeout: DefaultConnectTimeout,
		readTimeout:    DefaultReadTimeout,
		maxRedirects:   DefaultMaxRedirects,
		poolSize:       DefaultPoolSize,
		trustEnv:       true,
		jar:            jar,
		baseHeader: http.Header{
			"User-Agent":      {DefaultUserAgent},
			"Accept":          {"*/*"},
			"Accept-Encoding": {acceptEncoding},
		},
	}
	for _, o := range opts {
		o.apply(c)
	}
	s.cfg.Store(c.publish())
	return s
}

// Update changes the Session's defaults for the calls that start after it
// (requests' s.headers.update(...), s.auth = ...). Headers and Params merge
// into the existing ones; other options replace the setting.
func (s *Session) Update(opts ...Option) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *s.cfg.Load()
	c.baseHeader = c.baseHeader.Clone()
	for _, o := range opts {
		o.apply(&c)
	}
	s.cfg.Store(c.publish())
}

// publish turns a config into a Session's immutable defaults: the layers of
// headers, params and cookies are merged into owned copies (so the caller may
// reuse its maps), and every slice is clipped so that a call's append copies.
func (c *config) publish() *config {
	c.err = nil
	for _, h := range c.headers {
		for k, v := range h {
			c.baseHeader[http.CanonicalHeaderKey(k)] = []string{v}
		}
	}
	for _, k := range c.omit {
		delete(c.baseHeader, k)
	}
	c.headers, c.omit = nil, nil
	if err := checkHeader(c.baseHeader); err != nil {
		c.err = err
	}
	if len(c.query) > 0 {
		c.query = []queryLayer{{many: mergeQuery(c.query)}}
	}
	if len(c.cookies) > 0 {
		merged := Cookies{}
		for k, v := range c.seed {
			merged[k] = v
		}
		for _, layer := range c.cookies {
			for k, v := range layer {
				merged[k] = v
			}
		}
		c.seed, c.cookies = merged, nil
	}
	if err := checkCookies(c.seed); err != nil && c.err == nil {
		c.err = fmt.Errorf("%w: %w", ErrInvalidHeader, err)
	}
	if len(c.proxies) > 0 {
		merged := Proxies{}
		for _, layer := range c.proxies {
			for k, v := range layer {
				merged[k] = v
			}
		}
		c.proxies = []Proxies{merged}
	}
	c.hooks = slices.Clip(slices.Clone(c.hooks))
	return c
}

// mergeQuery merges Params layers: a later layer's key replaces an earlier one's.
func mergeQuery(layers []queryLayer) ParamValues {
	out := ParamValues{}
	for _, l := range layers {
		for k, v := range l.one {
			out[k] = []string{v}
		}
		for k, v := range l.many {
			out[k] = slices.Clone(v)
		}
	}
	return out
}

// Jar returns the Session's cookie jar (requests' s.cookies), to read cookies
// with Cookies(u) or to set them with SetCookies. It is nil for the
// package-level Session, which keeps no cookies between calls.
func (s *Session) Jar() http.CookieJar { return s.cfg.Load().jar }

// Mount sends every request whose URL starts with prefix through rt instead of
// the Session's own transport (requests' mount). The longest matching prefix
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

// Do sends a request with any method (requests' s.request): the Session's
// defaults merged with opts, redirects followed, and by default the body read
// in full and the connection returned to the pool before it returns. On
// error the Response is nil and nothing needs closing.
func (s *Session) Do(method, rawURL string, opts ...Option) (*Response, error) {
	if s.closed.Load() {
		return nil, wrapRawErr(method, rawURL, ErrSessionClosed, nil)
	}
	cl := s.newCall(opts)
	cl.rawURL = rawURL
	req, err := s.build(cl, cl.cfg, method, rawURL)
	if err != nil {
		cl.release()
		return nil, err
	}
	return s.send(cl, req)
}

// Prepare builds the request Do would send, without sending it (requests'
// prepare_request): the URL with its params, the merged headers, the body,
// auth and the Session's cookies. Change it as needed and pass it to Send.
func (s *Session) Prepare(method, rawURL string, opts ...Option) (*http.Request, error) {
	c := s.callConfig(opts)
	return s.build(nil, c, method, rawURL)
}

// Send sends a prepared request (requests' s.send) with the Session's
// redirects, cookies, timeouts, TLS settings and hooks. opts may set those
// (Timeout, AllowRedirects, Stream, Verify, Hook, ...); options that build a
// request (headers, params, bodies) were for Prepare and are ignored here.
// The request's own context, if any, governs the call unless opts give one.
func (s *Session) Send(req *http.Request, opts ...Option) (*Response, error) {
	if req == nil || req.URL == nil {
		return nil, &Error{Method: "", URL: "", Kind: ErrInvalidURL, Err: errNilRequest}
	}
	c := s.callConfig(opts)
	if c.ctx == nil && req.Context() != context.Background() {
		c.ctx = req.Context()
	}
	if s.closed.Load() {
		return nil, wrapErr(req.Method, req.URL, ErrSessionClosed, nil)
	}
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	cl := newCall(c)
	req = req.WithContext(cl.context())
	if req.Body != nil && req.Body != http.NoBody {
		// As for Do: the read timeout follows the upload, and the body can
		// be rewound safely for a redirect or a challenge.
		req.Body = &timedUpload{rc: req.Body, c: cl}
	}
	return s.send(cl, req)
}

// callConfig is the Session's defaults with a call's options applied.
func (s *Session) callConfig(opts []Option) *config {
	c := new(config)
	*c = *s.cfg.Load()
	for _, o := range opts {
		o.apply(c)
	}
	return c
}

// mergeURLQuery is used by Prepare and Do alike: params appended to the URL's
// own query, as requests does.
func mergeURLQuery(u *url.URL, layers []queryLayer) {
	if len(layers) == 0 {
		return
	}
	var enc string
	if len(layers) == 1 && layers[0].one != nil {
		v := make(url.Values, len(layers[0].one))
		for k, x := range layers[0].one {
			v[k] = []string{x}
		}
		enc = v.Encode()
	} else {
		enc = url.Values(mergeQuery(layers)).Encode()
	}
	if enc == "" {
		return
	}
	if u.RawQuery == "" {
		u.RawQuery = enc
	} else {
		u.RawQuery += "&" + enc
	}
}

// send runs a built request: redirects followed, hooks run, and unless the
// call streams, the body read in full and the call's resources released.
func (s *Session) send(cl *call, req *http.Request) (*Response, error) {
	cl.ephemeral = s.ephemeral && cl.jar == nil
	resp, err := s.follow(cl, req)
	if err != nil {
		cl.release()
		return nil, err
	}
	if !cl.cfg.stream {
		err := resp.load()
		cl.release()
		if err != nil {
			return nil, err
		}
	}
	for _, h := range cl.cfg.hooks {
		if err := h(resp); err != nil {
			resp.Close()
			return nil, wrapErr(req.Method, resp.Request.URL, nil, err)
		}
	}
	return resp, nil
}

// attempt sends a request, and sends it again as the call's retry policy
// allows (retry.go).
func (s *Session) attempt(cl *call, req *http.Request) (*Response, error) {
	if cl.cfg.retry != nil {
		return s.retry(cl, req)
	}
	return s.once(cl, req)
}

// once sends one request on the wire and wraps its response.
func (s *Session) once(cl *call, req *http.Request) (*Response, error) {
	rt, err := s.roundTripper(cl, req.URL)
	if err != nil {
		closeBody(req)
		return nil, wrapErr(req.Method, req.URL, ErrSSL, err)
	}
	if q := requoteQuery(req.URL.RawQuery); q != req.URL.RawQuery {
		// A request from Send or a redirect's Location: a raw space in the
		// query would split the request line.
		u := *req.URL
		u.RawQuery = q
		req = req.WithContext(req.Context())
		req.URL = &u
	}
	// The attempt's context first: routing Proxy-Authorization adds to it.
	req = cl.startAttempt(req)
	if _, ok := rt.(*http.Transport); ok {
		req = routeProxyAuth(cl.cfg, req)
	}
	start := now()
	hr, err := rt.RoundTrip(req)
	cl.stop()
	if err != nil {
		cause := cl.timeoutCause()
		if cause != nil {
			err = cl.timeoutErr(cause)
		}
		return nil, wrapErr(req.Method, req.URL, classify(err, cause), err)
	}
	elapsed := now() - start
	if hr.StatusCode == http.StatusSwitchingProtocols && req.Header.Get("Upgrade") == "" {
		// The connection now speaks something else; as a body it would
		// never end (RFC 9110 15.2.2: a server must not switch unasked).
		hr.Body.Close()
		return nil, wrapErr(req.Method, req.URL, ErrConnection, errors.New("server switched protocols unasked"))
	}
	dropDesynced(rt, hr)
	storeCookies(cl, req.URL, hr.Header)
	return newResponse(hr, req, elapsed, cl), nil
}
