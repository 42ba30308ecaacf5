package requests

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Under PoolBlock, a pool exhausted by streamed responses nobody reads makes
// the next call wait for a connection only as long as its connect timeout.
func TestExhaustedPoolIsAConnectTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "held")
	}))
	t.Cleanup(srv.Close)
	s := testSession(t, PoolSize(2), PoolBlock(true))
	var held []*Response
	for range 2 {
		r, err := s.Get(srv.URL, Stream(true))
		require.NoError(t, err)
		held = append(held, r)
	}
	var err error
	elapsed(t, func() { _, err = s.Get(srv.URL, ConnectTimeout(200*time.Millisecond)) })
	assert.ErrorIs(t, err, ErrConnectTimeout)
	for _, r := range held {
		r.Close()
	}
	r, err := s.Get(srv.URL)
	require.NoError(t, err, "a closed stream gives its connection back")
	assert.Equal(t, "held", r.Text())
}

// Without PoolBlock, as in requests, calls beyond the pool size get
// connections of their own instead of waiting.
func TestPoolDoesNotBlockByDefault(t *testing.T) {
	var conns remotes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conns.add(r.RemoteAddr)
		io.WriteString(w, "held")
	}))
	t.Cleanup(srv.Close)
	s := testSession(t, PoolSize(2))
	var held []*Response
	for range 4 {
		r, err := s.Get(srv.URL, Stream(true), ConnectTimeout(5*time.Second))
		require.NoError(t, err)
		held = append(held, r)
	}
	assert.Equal(t, 4, conns.count())
	for _, r := range held {
		require.NoError(t, r.Close())
	}
}

// Idle connections are bounded in total, not only per host: a Session
// calling many hosts keeps at most maxIdlePools pools' worth, as requests'
// PoolManager keeps pool_connections pools.
func TestIdleConnectionsAreBoundedAcrossHosts(t *testing.T) {
	var open atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	toServer := DialContext(func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	})
	const poolSize, hosts = 2, 3 * maxIdlePools
	s := testSession(t, PoolSize(poolSize), toServer)
	for i := range hosts {
		host := "h" + strconv.Itoa(i) + ".test"
		r, err := s.Get("http://" + host + "/")
		require.NoError(t, err)
		require.Equal(t, host, r.Text())
	}
	assert.Len(t, *s.transports.Load(), 1, "one Transport serves every host")
	assert.Eventually(t, func() bool { return open.Load() <= maxIdlePools*poolSize },
		10*time.Second, 5*time.Millisecond, "idle connections kept: %d", open.Load())
}
