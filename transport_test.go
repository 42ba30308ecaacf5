package requests

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connCountingServer serves a small body and counts the connections it accepts.
func connCountingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	conns := countConns(srv)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, conns
}

// countConns counts the connections srv, not yet started, accepts.
func countConns(srv *httptest.Server) *atomic.Int64 {
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	return &conns
}

func TestSequentialCallsReuseOneConnection(t *testing.T) {
	srv, conns := connCountingServer(t)
	tests := []struct {
		name string
		get  func(url string, opts ...Option) (*Response, error)
	}{
		{"Session", testSession(t).Get},
		{"package-level call", Get},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := conns.Load()
			for range 1000 {
				r, err := tt.get(srv.URL)
				require.NoError(t, err)
				require.Equal(t, `{"ok":true}`, string(r.Content()))
			}
			assert.Equal(t, int64(1), conns.Load()-before)
		})
	}
}
