package requests

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// An Option sets one thing about a request. The same Option values configure
// a Session (NewSession, Update: defaults for every call) and a single call
// (overrides for that call); the call's option wins. Options are applied in
// order, so of two that set the same thing the later wins.
type Option interface {
	apply(*config)
}

// optionFunc adapts a plain function to Option.
type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Params are query parameters, merged with the URL's own query (requests'
// params=dict). Keys repeated between a Session and a call take the call's value.
type Params map[string]string

func (p Params) apply(c *config) { c.query = addLayer(c.query, queryLayer{one: p}) }

// ParamValues are query parameters with repeated keys (requests'
// params={"k": ["1", "2"]}). A url.Values converts to it directly.
type ParamValues map[string][]string

func (p ParamValues) apply(c *config) { c.query = addLayer(c.query, queryLayer{many: p}) }

// Headers are request headers. Names are case-insensitive: a call's
// "content-type" replaces a Session's "Content-Type". A "Host" header sets
// the request's Host (http.Request.Host), kept on redirects within the
// origin only.
type Headers map[string]string

func (h Headers) apply(c *config) { c.headers = addLayer(c.headers, h) }

// OmitHeaders drops headers the Session or the library would send, for this
// call (requests: a header set to None), e.g. OmitHeaders("User-Agent").
func OmitHeaders(names ...string) Option {
	return optionFunc(func(c *config) {
		for _, n := range names {
			c.omit = addLayer(c.omit, http.CanonicalHeaderKey(n))
		}
	})
}

// Cookies are sent with the call and win over stored cookies of the same
// name. Given to NewSession or Update they seed the Session's cookies
// (requests' s.cookies from a dict): sent with every call to whatever host it
// names, unless the jar holds a cookie of that name for the URL (the server's
// Set-Cookie wins). Unlike requests, and like Authorization, neither kind is
// sent to another host a redirect leads to. Session.Cookies reads them,
// Session.ClearCookies drops them.
type Cookies map[string]string

func (k Cookies) apply(c *config) { c.cookies = addLayer(c.cookies, k) }

// JSON sends v encoded as JSON, with Content-Type application/json
// (requests' json=). As in requests, Data wins when both are given. A value that cannot be encoded fails with ErrInvalidJSON
// before anything is sent.
func JSON(v any) Option {
	return optionFunc(func(c *config) { c.body.json, c.body.hasJSON = v, true })
}

// Data sends a body (requests' data=): a map with string keys and string or
// []string values (map[string]string, url.Values, or a named type of either
// shape) is form-encoded with Content-Type
// application/x-www-form-urlencoded; another value is ErrInvalidBody; a string, []byte or io.Reader is sent as
// it is. Readers that are also io.Seeker can be resent on a 307/308 redirect
// or a retry; other readers cannot (ErrUnrewindableBody).
func Data(v any) Option {
	return optionFunc(func(c *config) { c.body.data, c.body.hasData = v, true })
}

// Timeout bounds connecting and each wait for the server (requests'
// timeout=d): the dial and TLS handshake, the wait for the response headers,
// and every gap between reads of the body. A slow but steady download never
// times out. Zero or a negative d turns both timeouts off (timeout=None).
func Timeout(d time.Duration) Option {
	d = max(d, 0)
	return optionFunc(func(c *config) { c.ConnectTimeout, c.ReadTimeout, c.readTimeoutSet = d, d, true })
}

// ConnectTimeout bounds connecting: the dial, the proxy tunnel and the TLS
// handshake (the first half of requests' (connect, read) tuple). Zero or
// negative turns it off.
func ConnectTimeout(d time.Duration) Option {
	d = max(d, 0)
	return optionFunc(func(c *config) { c.ConnectTimeout = d })
}

// ReadTimeout bounds each wait for the server once the request is sent: for
// the response headers and between reads of the body (the second half of
// requests' (connect, read) tuple). Zero or negative turns it off.
func ReadTimeout(d time.Duration) Option {
	d = max(d, 0)
	return optionFunc(func(c *config) { c.ReadTimeout, c.readTimeoutSet = d, true })
}

// Context makes ctx govern the whole call: when it is done the call stops
// with its error, whatever the timeouts say. It has no equivalent in requests.
func Context(ctx context.Context) Option {
	return optionFunc(func(c *config) { c.ctx = ctx })
}

// AllowRedirects turns redirect following on or off (requests'
// allow_redirects). It is on by default except for Head, as in requests.
func AllowRedirects(on bool) Option {
	return optionFunc(func(c *config) { c.AllowRedirects = &on })
}

// MaxRedirects caps the redirects followed in one call (requests'
// max_redirects, default 30); one more fails with ErrTooManyRedirects.
func MaxRedirects(n int) Option {
	return optionFunc(func(c *config) { c.MaxRedirects = max(n, 0) })
}

// RedirectSchemes lets redirects lead to URLs of these schemes besides http
// and https, through the RoundTripper mounted for them (Session.Mount). A
// server chooses where a redirect goes, so by default a Location with any
// other scheme (a custom one, file:) fails with ErrInvalidSchema even when a
// transport is mounted for it; the call's own URL may use any mounted
// scheme. Schemes match in any case; the last RedirectSchemes given wins,
// and RedirectSchemes() allows none again. It has no equivalent in requests.
func RedirectSchemes(schemes ...string) Option {
	allowed := make([]string, 0, len(schemes))
	for _, sc := range schemes {
		if sc = strings.ToLower(sc); !slices.Contains(allowed, sc) {
			allowed = append(allowed, sc)
		}
	}
	return optionFunc(func(c *config) { c.RedirectSchemes = allowed })
}

// Stream(true) leaves the response body unread when the call returns
// (requests' stream=True), for Body, IterContent and IterLines. The caller
// must then Close the Response or read the body to its end.
func Stream(on bool) Option {
	return optionFunc(func(c *config) { c.Stream = on })
}

// MaxBodySize caps how many bytes a buffered body (after decompression) may
// hold; a larger one fails with ErrBodyTooLarge instead of exhausting memory.
// Zero or negative means no cap. A Content-Length over n fails at once,
// except for a response without a body (HEAD, 204, 304). It applies to
// Content on a streamed Response too, bounds each line of IterLines, and
// caps what Save and Download write (the partial file is removed); a stream
// read with Body or IterContent is the caller's to bound.
func MaxBodySize(n int64) Option {
	return optionFunc(func(c *config) { c.MaxBodySize = max(n, 0) })
}

// Hook runs f on every response of a call, in the order given, as requests'
// hooks={"response": f}: on each redirect followed (its body drained, the
// hops before it in History) and on the final response (its body read unless
// the call streams), not on a 401 an Authenticator answered. Given to a call,
// hooks replace the Session's for that call, as in requests; given to a
// Session, they add to its hooks. An error from f fails the call and closes
// the response. Hook(nil) does nothing.
func Hook(f func(*Response) error) Option {
	return optionFunc(func(c *config) { c.addHook(f) })
}

// PoolSize sets how many idle connections a Session keeps per host for
// reuse (requests' HTTPAdapter pool_maxsize; default DefaultPoolSize). As in
// requests, more calls than that may run at once, each on a connection of
// its own; the extra connections are closed when done. Set it to the number
// of calls to one host a program makes at once, so that none is closed and
// dialled again. Across hosts a Session keeps at most ten pools' worth of
// idle connections (requests' pool_connections), closing the least recently
// used beyond that; idle connections close after 90 seconds. It is a
// Session setting (NewSession, Update): a call given another size is
// refused with ErrSessionOption.
func PoolSize(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.PoolSize = n
		}
	})
}

// PoolBlock(true) caps the connections a Session opens to one host at
// PoolSize (urllib3's pool_block=True): a call that finds them all busy
// waits for one, and the wait counts against its connect timeout, so it
// fails with ErrConnectTimeout rather than wait forever (for instance behind
// streamed responses nobody closes). Off by default, as in requests. It is a
// Session setting (NewSession, Update): a call given another value is
// refused with ErrSessionOption.
func PoolBlock(on bool) Option {
	return optionFunc(func(c *config) { c.PoolBlock = on })
}

// TrustEnv decides whether the environment is consulted (requests'
// trust_env, default on): HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY for
// proxies, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE for the CA bundle, and
// .netrc for credentials when no auth is given. The variables are read when
// a Session is made and again at most once a second, not on every call: a
// Session made after a change sees it at once, an older one within a second.
func TrustEnv(on bool) Option {
	return optionFunc(func(c *config) { c.TrustEnv = on })
}
