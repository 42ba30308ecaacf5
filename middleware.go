package requests

import "net/http"

// Middleware wraps the RoundTripper that sends each request on the wire
// with wrap: the Session's own tuned Transport (its pools, proxies, TLS and
// timeouts stay as they are, unlike Mount, which replaces them), or the
// RoundTripper mounted for the URL. Every attempt goes through it, each
// retry and each redirect hop alike, so that a tracer (otelhttp's
// NewTransport), metrics or a logger sees what went on the wire.
//
// Middleware given several times composes in the order given, the Session's
// before the call's: the first given is the outermost, the first to see a
// request and the last to see its response. wrap is called once per call
// and per RoundTripper that call uses; nil adds nothing.
func Middleware(wrap func(next http.RoundTripper) http.RoundTripper) Option {
	return optionFunc(func(c *config) {
		if wrap != nil {
			c.Middleware = addLayer(c.Middleware, wrap)
		}
	})
}

// wrapped is rt inside the call's middleware, built once per call and
// RoundTripper.
func (c *call) wrapped(rt http.RoundTripper) http.RoundTripper {
	mw := c.cfg.Middleware
	if len(mw) == 0 {
		return rt
	}
	x := c.x()
	if x.mwBase == rt && x.mwRT != nil {
		return x.mwRT
	}
	out := rt
	for i := len(mw) - 1; i >= 0; i-- {
		out = mw[i](out)
	}
	x.mwBase, x.mwRT = rt, out
	return out
}
