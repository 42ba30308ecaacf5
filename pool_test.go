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
