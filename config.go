package requests

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// config is the merged settings of one call, or a Session's defaults. A call
// starts from a copy of its Session's config and applies its own options on
// top. This file holds every rule by which they merge.
//
// A call never writes to memory its Session or another call can see: options
// only replace fields or add a layer with addLayer, which copies the slice
// before it grows; maps the Session holds (baseHeader, seed, the merged
// query and proxies) are read, never written, by calls, which build their
// own (requestHeader, callCookies).
type config struct {
	CallSettings // the settings held as given, which Settings reports as they are

	query   []queryLayer
	headers []Headers
	omit    []string
	cookies []Cookies
	seed    Cookies // the Session's own Cookies, merged: see addCookies
	body    bodySpec

	// The state of RateLimit, CircuitBreaker and Endpoints, shared by every
	// call given the same option.
	limits    *limiters
	breakers  *breakers
	endpoints *endpointSet

	ctx     context.Context
	tls     tlsKey
	proxies []Proxies
	jar     http.CookieJar
	dialID  *DialFunc // the DialContext option that set DialContext
	allow   *allowList

	readTimeoutSet bool // a read timeout given by an option, not the default (Subscribe)
	// inheritedHooks is set while a call's Hooks are still its Session's:
	// the call's first Hook replaces them.
	inheritedHooks bool

	// Set only on a Session's published defaults.
	baseHeader http.Header // library defaults and Session headers, canonical and checked
	err        error       // a Session default that is invalid, reported by every call
}

// queryLayer is one Params or ParamValues option.
type queryLayer struct {
	one  Params
	many ParamValues
}

// apply applies opts to c, in order: of two that set the same thing the later
// wins.
func (c *config) apply(opts []Option) {
	for _, o := range opts {
		o.apply(c)
	}
}

// addLayer appends v to layers, copying them first when their array has
// room: the array may be the Session's, or another call's copied from the
// same Session, and must not be written through.
func addLayer[S ~[]E, E any](layers S, v E) S {
	return append(slices.Clip(layers), v)
}

// mergeLayers merges map layers into a new map: a later layer's key replaces
// an earlier one's.
func mergeLayers[M ~map[K]V, K comparable, V any](layers ...M) M {
	n := 0
	for _, l := range layers {
		n = max(n, len(l))
	}
	out := make(M, n)
	for _, l := range layers {
		maps.Copy(out, l)
	}
	return out
}

// derive returns new Session defaults: c (left as it is) with opts applied
// and published. Headers, Params, Cookies and Proxies merge into the existing
// ones; other options replace the setting.
func (c *config) derive(opts []Option) *config {
	d := *c
	d.baseHeader = d.baseHeader.Clone()
	d.apply(opts)
	return d.publish()
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
		c.seed, c.cookies = mergeLayers(append([]Cookies{c.seed}, c.cookies...)...), nil
	}
	if err := checkCookies(c.seed); err != nil && c.err == nil {
		c.err = fmt.Errorf("%w: %w", ErrInvalidHeader, err)
	}
	if len(c.proxies) > 0 {
		c.proxies = []Proxies{mergeLayers(c.proxies...)}
	}
	if c.allow != nil && c.allow.err != nil && c.err == nil {
		c.err = c.allow.err
	}
	if c.DNSCache > 0 && c.DialContext != nil && c.err == nil {
		c.err = errDNSCacheDial
	}
	c.Hooks = slices.Clip(slices.Clone(c.Hooks))
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

// callConfig is the Session's defaults with a call's options applied.
func (s *Session) callConfig(opts []Option) *config {
	c := new(config)
	base := s.cfg.Load()
	*c = *base
	c.applyCall(opts)
	if err := checkShape(base, c); err != nil {
		c.err = err
	}
	return c
}

// applyCall applies a call's options to a copy of its Session's defaults.
func (c *config) applyCall(opts []Option) {
	c.inheritedHooks = true
	c.apply(opts)
}

// addHook adds a response hook. As requests' merge_hooks, hooks given to a
// call replace the Session's for that call rather than adding to them; a
// Session's own hooks accumulate.
func (c *config) addHook(f func(*Response) error) {
	if f == nil {
		return
	}
	if c.inheritedHooks {
		c.Hooks, c.inheritedHooks = nil, false
	}
	c.Hooks = addLayer(c.Hooks, f)
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

// requestHeader merges a call's headers: the Session's (baseHeader, already
// merged with the library's defaults), then each Headers option in order, a
// later name replacing an earlier one whatever its case, then OmitHeaders.
// The map and its values are the call's own, taken from vals.
func (c *config) requestHeader(vals *headerValues) (http.Header, error) {
	h := vals.clone(c.baseHeader, c.headers)
	for _, layer := range c.headers {
		for k, v := range layer {
			if !httpguts.ValidHeaderFieldName(k) {
				return nil, fmt.Errorf("header name %q", k)
			}
			if err := checkHeaderValue(k, v); err != nil {
				return nil, err
			}
			h[http.CanonicalHeaderKey(k)] = vals.one(v)
		}
	}
	for _, k := range c.omit {
		delete(h, k)
	}
	if _, ok := h["User-Agent"]; !ok {
		// An empty value keeps net/http from adding its own User-Agent.
		h["User-Agent"] = vals.one("")
	}
	return h, nil
}

// headerValues is storage for a request's header values, given by the call
// so that building the headers allocates little more than the map. Every
// slice handed out is capped at its length, so an append copies it instead
// of writing into its neighbour.
type headerValues []string

// clone copies base into a new map, sized for the call's own headers too.
func (s *headerValues) clone(base http.Header, layers []Headers) http.Header {
	n := len(base) + 2 // room for Content-Type and Cookie or Authorization
	for _, l := range layers {
		n += len(l)
	}
	var h http.Header
	if n <= 8 && base != nil {
		// A small map is copied whole, faster than inserting key by key;
		// the values are then replaced with the request's own copies.
		h = maps.Clone(base)
	} else {
		h = make(http.Header, n)
	}
	for k, vs := range base {
		h[k] = s.many(vs)
	}
	return h
}

// one returns []string{v}.
func (s *headerValues) one(v string) []string {
	if len(*s) == cap(*s) {
		return []string{v}
	}
	*s = append(*s, v)
	n := len(*s)
	return (*s)[n-1 : n : n]
}

// many returns a copy of vs.
func (s *headerValues) many(vs []string) []string {
	if cap(*s)-len(*s) < len(vs) {
		return slices.Clone(vs)
	}
	start := len(*s)
	*s = append(*s, vs...)
	return (*s)[start:len(*s):len(*s)]
}

// callCookies are the call's own Cookies merged: a later option's cookie
// replaces an earlier one's. The Session's are in seed (see addCookies for
// how the two meet the jar's).
func (c *config) callCookies() Cookies {
	switch len(c.cookies) {
	case 0:
		return nil
	case 1:
		return c.cookies[0]
	}
	return mergeLayers(c.cookies...)
}

// withoutCookies is c without its Cookies, the Session's or the call's: for
// a redirect hop to another host, which gets no credentials.
func (c *config) withoutCookies() *config {
	cc := *c
	cc.cookies, cc.seed = nil, nil
	return &cc
}

// mergeFiles merges the Files and MultiFiles layers (a later layer's field
// replaces an earlier one's) into fields sorted by name, so that the body
// does not depend on map order.
func mergeFiles(layers []map[string][]File) []formFile {
	if len(layers) == 0 {
		return nil
	}
	merged := mergeLayers(layers...)
	var out []formFile
	for _, k := range slices.Sorted(maps.Keys(merged)) {
		for _, f := range merged[k] {
			out = append(out, formFile{field: k, File: f})
		}
	}
	return out
}

// proxyFor looks key up in the Proxies layers: the last layer to name it
// wins, a call's over its Session's (whose own are merged into one layer).
func (c *config) proxyFor(key []byte) (string, bool) {
	for i := len(c.proxies) - 1; i >= 0; i-- {
		if raw, ok := c.proxies[i][string(key)]; ok {
			return raw, true
		}
	}
	return "", false
}

// addCookies sets the Cookie header as requests does: the jar's cookies for
// the URL, the Session's Cookies (which seed the jar: a jar cookie of the
// same name, set by the server, wins), then the call's Cookies, which win
// over both. A Cookie header given by the caller is left as it is.
func addCookies(req *http.Request, c *config, cl *call) error {
	if req.Header.Get("Cookie") != "" {
		return nil
	}
	jar := c.jar
	if cl != nil {
		jar = cl.jar
	}
	explicit := c.callCookies()
	if err := checkCookies(explicit); err != nil {
		return err
	}
	var b strings.Builder
	var stored []*http.Cookie
	if jar != nil {
		stored = jar.Cookies(req.URL)
		for _, ck := range stored {
			if _, ok := explicit[ck.Name]; ok || checkCookie(ck.Name, ck.Value) != nil {
				continue // a jar of the caller's may hold what cannot be sent
			}
			writeCookie(&b, ck.Name, ck.Value)
		}
	}
	for _, k := range sortedKeys(c.seed) {
		if _, ok := explicit[k]; ok || hasCookie(stored, k) {
			continue
		}
		writeCookie(&b, k, c.seed[k])
	}
	for _, k := range sortedKeys(explicit) {
		writeCookie(&b, k, explicit[k])
	}
	if b.Len() > 0 {
		req.Header.Set("Cookie", b.String())
	}
	return nil
}
