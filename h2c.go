package requests

import "net/http"

// HTTP2Cleartext(true) speaks HTTP/2 without TLS to http:// URLs (h2c
// with prior knowledge, RFC 9113 3.3): for servers known to speak it, such
// as gRPC-style services behind a load balancer that ends TLS. There is no
// fall-back to HTTP/1.1: a server that does not speak HTTP/2 fails the
// call. https:// URLs are unaffected (HTTP/2 is negotiated there as
// always). Through an http proxy, it is the proxy that is spoken to in
// h2c, which few proxies accept. It is a Session setting
// (NewSession, Update): a call given another value is refused with
// ErrSessionOption.
func HTTP2Cleartext(on bool) Option {
	return optionFunc(func(c *config) { c.HTTP2Cleartext = on })
}

// h2cProtocols is the protocols of a Transport for h2c calls.
func h2cProtocols() *http.Protocols {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &p
}
