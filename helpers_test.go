package requests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
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

// redirectThenFlaky serves /start, which redirects to /flaky?token=t0k,
// which answers 503 the first time and "hello" after that.
func redirectThenFlaky(t testing.TB) *httptest.Server {
	var fails atomic.Int32
	fails.Store(1)
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/flaky?token=t0k", http.StatusFound)
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "hello")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}
