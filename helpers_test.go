package requests

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// newHTTPBin starts an in-process go-httpbin on 127.0.0.1, closed when the
// test ends. Its body and duration caps are raised for large and slow tests.
func newHTTPBin(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpbin.New(
		httpbin.WithMaxBodySize(256<<20),
		httpbin.WithMaxDuration(30*time.Second),
	).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// testSession returns a Session closed when the test ends.
func testSession(t testing.TB, opts ...Option) *Session {
	t.Helper()
	s := NewSession(opts...)
	t.Cleanup(func() { s.Close() })
	return s
}
