// Package http3 sends requests' calls over HTTP/3 (QUIC), as an opt-in
// module: github.com/go-requests/requests itself does not depend on QUIC.
//
// A Transport is an http.RoundTripper to Mount on a Session:
//
//	t := http3.NewTransport()
//	defer t.Close()
//	s := requests.NewSession(requests.Timeout(5 * time.Second))
//	s.Mount("https://", t) // or http3.NewSession(t, ...)
//	resp, err := s.Get("https://example.com/")
//
// What to know:
//
//   - HTTP/3 is https only. A mounted prefix decides which URLs use it;
//     an http:// URL that reaches the Transport fails with
//     requests.ErrInvalidSchema.
//   - There is no discovery: the Transport speaks HTTP/3 with prior
//     knowledge and does not read Alt-Svc, nor fall back to TCP. Mount it
//     for the hosts known to serve HTTP/3 ("https://cdn.example.com/").
//   - requests.Timeout, ConnectTimeout, ReadTimeout and Context bound a call
//     as they do over TCP: the connect timeout ends the wait for the QUIC
//     handshake (which is shared by the requests to one host and bounded by
//     HandshakeTimeout), the read timeout the wait for the headers and
//     each read of the body. Failures match requests.ErrConnectTimeout,
//     ErrReadTimeout and ErrTimeout.
//   - TLS is the Transport's own: requests.Verify, CABundle and Cert are
//     settings of the core's transport and do not reach a mounted one. Use
//     TLSConfig or RootCAs here. A certificate that does not verify fails
//     with requests.ErrSSL.
//   - Proxies cannot carry QUIC. requests.Proxies does not reach a mounted
//     transport; proxies named by the environment make the Transport refuse
//     with requests.ErrProxy rather than go around them (see TrustEnv).
//   - requests.DialContext does not reach it either (it dials TCP); use
//     Resolve to choose the addresses dialled.
//   - The http.Response a Transport returns has Proto "HTTP/3.0".
package http3
