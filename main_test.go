package requests

import (
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// The package-level Session pools connections on purpose; let them go
	// before looking for leaked goroutines.
	closeIdle(DefaultSession)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// closeIdle drops a Session's idle connections without closing it.
func closeIdle(s *Session) {
	if m := s.transports.Load(); m != nil {
		for _, t := range *m {
			t.CloseIdleConnections()
		}
	}
}

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

// newSession returns a Session closed when the test ends.
func testSession(t testing.TB, opts ...Option) *Session {
	t.Helper()
	s := NewSession(opts...)
	t.Cleanup(func() { s.Close() })
	return s
}
