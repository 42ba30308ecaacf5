package requests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainGetAllocs is the allocations of one plain GET on a Session with
// opts, against a loopback server, its connection reused.
func plainGetAllocs(t *testing.T, opts ...Option) float64 {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(srv.Close)
	s := testSession(t, opts...)
	_, err := s.Get(srv.URL)
	require.NoError(t, err)
	return testing.AllocsPerRun(200, func() {
		r, err := s.Get(srv.URL)
		if err != nil || r.StatusCode != 200 {
			t.Fatal(err)
		}
	})
}

// The network options cost nothing on a call's path when off, nor when on
// for a call on a pooled connection (they act when connecting).
func TestNetworkOptionsAddNoAllocation(t *testing.T) {
	base := plainGetAllocs(t)
	t.Logf("plain GET: %.0f allocations", base)
	tests := []struct {
		name string
		opts []Option
	}{
		{"off", []Option{DenyPrivateNetworks(false), DNSCache(0), HTTP2Cleartext(false), PinSHA256()}},
		{"on, connection pooled", []Option{DenyPrivateNetworks(true), AllowAddresses("127.0.0.1"), DNSCache(time.Minute)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The count is the whole process's, the server's included,
			// which varies by one or two from run to run.
			assert.InDelta(t, base, plainGetAllocs(t, tt.opts...), 2)
		})
	}
}
