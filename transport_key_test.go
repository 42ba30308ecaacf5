package requests

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingDial dials like net.Dialer and counts its dials.
func countingDial(n *atomic.Int64) DialFunc {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.Add(1)
		return d.DialContext(ctx, network, addr)
	}
}

// Options that shape a Session's connections cannot apply to one call: the
// call is refused before anything is sent, rather than the option ignored
// or, for DialContext, a connection dialled its way joining the shared pool.
func TestSessionOnlyOptionsAreRefusedPerCall(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	var dials atomic.Int64
	tests := []struct {
		name string
		opt  Option
	}{
		{"PoolSize", PoolSize(3)},
		{"PoolBlock", PoolBlock(true)},
		{"DialContext", DialContext(countingDial(&dials))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t)
			_, err := s.Get(srv.URL, tt.opt)
			require.ErrorIs(t, err, ErrSessionOption)
			req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			_, err = s.Send(req, tt.opt)
			require.ErrorIs(t, err, ErrSessionOption)
			r, err := s.Get(srv.URL)
			require.NoError(t, err, "the Session itself is unharmed")
			assert.Equal(t, 200, r.StatusCode)
		})
	}
	assert.Equal(t, int64(0), dials.Load())
	assert.Equal(t, int64(3), hits.Load(), "only the plain calls reached the server")
}

// The same value as the Session's is no change, so it is not refused.
func TestSessionOptionRepeatedPerCallIsAccepted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	var dials atomic.Int64
	dial := DialContext(countingDial(&dials))
	s := testSession(t, dial, PoolSize(4))
	_, err := s.Get(srv.URL, dial, PoolSize(4))
	require.NoError(t, err)
	assert.Equal(t, int64(1), dials.Load())
}

// Update after the first call changes the dialer, pool size and pool cap in
// force, and Settings reports them.
func TestUpdateReshapesTheTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(srv.Close)
	s := testSession(t)
	_, err := s.Get(srv.URL)
	require.NoError(t, err)

	var dials atomic.Int64
	s.Update(DialContext(countingDial(&dials)), PoolSize(1), PoolBlock(true))
	st := s.Settings()
	assert.Equal(t, 1, st.PoolSize)
	assert.True(t, st.PoolBlock)
	assert.NotNil(t, st.DialContext)

	held, err := s.Get(srv.URL, Stream(true))
	require.NoError(t, err)
	assert.Equal(t, int64(1), dials.Load(), "the updated dialer made the connection")
	_, err = s.Get(srv.URL, ConnectTimeout(100*time.Millisecond))
	require.ErrorIs(t, err, ErrConnectTimeout, "the updated cap of one connection is in force")
	require.NoError(t, held.Close())
	_, err = s.Get(srv.URL)
	require.NoError(t, err, "the closed stream freed its place")
}

// tunnelCounter counts the CONNECT tunnels a proxy opened, by their
// Proxy-Authorization.
type tunnelCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *tunnelCounter) seen(h http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[h.Get("Proxy-Authorization")]++
}

func (c *tunnelCounter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// A tunnel opened with one set of proxy credentials never serves a call
// with other credentials, or none: each gets its own.
func TestProxyTunnelsArePooledByCredentials(t *testing.T) {
	_, secure, ca := startOrigins(t)
	var tunnels tunnelCounter
	p := connectProxy(t, tunnels.seen)
	s := testSession(t, CABundle(ca), Proxies{"https": "http://" + p.Addr})
	for range 3 {
		for _, pa := range []string{"", basic("ann", "a"), basic("bob", "b")} {
			var opts []Option
			if pa != "" {
				opts = append(opts, Headers{"Proxy-Authorization": pa})
			}
			get(t, s, secure.URL, opts...)
		}
	}
	assert.Equal(t, map[string]int{"": 1, basic("ann", "a"): 1, basic("bob", "b"): 1}, tunnels.counts())
}

// Credentials in the proxy URL are part of net/http's pool key already.
func TestProxyURLCredentialsKeyTheirTunnels(t *testing.T) {
	_, secure, ca := startOrigins(t)
	var tunnels tunnelCounter
	u := connectProxy(t, tunnels.seen).Addr
	s := testSession(t, CABundle(ca))
	for range 3 {
		get(t, s, secure.URL, Proxies{"https": "http://ann:a@" + u})
		get(t, s, secure.URL, Proxies{"https": "http://bob:b@" + u})
	}
	assert.Equal(t, map[string]int{"Basic " + basic("ann", "a"): 1, "Basic " + basic("bob", "b"): 1}, tunnels.counts())
}
