package requests

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

// Helpers shared by the fault suite's categories and by other tests.

// fail runs a call that must fail with want within the bound, and returns
// its error for further checks.
func fail(t *testing.T, want error, call func() (*Response, error)) error {
	t.Helper()
	var r *Response
	var err error
	elapsed(t, func() { r, err = call() })
	require.Error(t, err)
	assert.Nil(t, r)
	assert.ErrorIs(t, err, want)
	var e *Error
	assert.ErrorAs(t, err, &e, "every failure is an *Error")
	return err
}

// succeed runs a call that must succeed within the bound.
func succeed(t *testing.T, call func() (*Response, error)) *Response {
	t.Helper()
	var r *Response
	var err error
	elapsed(t, func() { r, err = call() })
	require.NoError(t, err)
	require.NotNil(t, r)
	return r
}

// raw serves every connection with exactly this response (CRLF line ends).
func raw(t *testing.T, response string) *faultkit.Server {
	return faultkit.Listen(t, faultkit.Respond(faultkit.CRLF(response)))
}

// zeros is an endless, unseekable body source.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// respondBytes serves every connection the header (CRLF line ends) and
// then body, as they are.
func respondBytes(t *testing.T, header string, body []byte) *faultkit.Server {
	return faultkit.Listen(t, faultkit.Respond(faultkit.CRLF(header)+string(body)))
}

// gzipped returns data gzip-compressed, n times over.
func gzipped(t *testing.T, data []byte, n int) []byte {
	for range n {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, err := w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		data = b.Bytes()
	}
	return data
}

// resolve maps every host name ending in ".test" to 127.0.0.1, keeping the
// port, so that cross-host rules can be tested on loopback. Any other name
// that is not a loopback address fails to dial: no test leaves loopback,
// not even for a DNS query.
func resolve() Option {
	var d net.Dialer
	return DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		switch ip := net.ParseIP(host); {
		case strings.HasSuffix(host, ".test"):
			addr = net.JoinHostPort("127.0.0.1", port)
		case ip == nil || !ip.IsLoopback():
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "not a test name", Name: host, IsNotFound: true}}
		}
		return d.DialContext(ctx, network, addr)
	})
}

// at returns srv's URL with its address replaced by host and srv's port.
func at(srvURL, host string) string {
	i := strings.LastIndex(srvURL, ":")
	scheme, _, _ := strings.Cut(srvURL, "://")
	return scheme + "://" + host + srvURL[i:]
}

// tlsHandler answers "ok" over TLS.
var tlsHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
