// Package requeststest is the testing kit for code that uses requests:
//
//   - Mock, an http.RoundTripper that answers from routes written in
//     net/http's ServeMux pattern syntax, records what was sent and fails
//     the test when an expected call never came;
//   - Cassette, which records real exchanges to a file once (secrets
//     redacted) and replays them afterwards;
//   - NoLeaks, which fails a test that leaves a streamed Response open;
//   - NewFaultServer, a loopback server that misbehaves on purpose (stalls,
//     resets, drips, truncates, speaks garbage, aborts TLS).
//
// Everything here is safe for concurrent use and cleans up after itself
// when the test ends.
package requeststest
