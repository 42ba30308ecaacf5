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

// A pool exhausted by streamed responses nobody reads makes the next call
// wait for a connection only as long as its connect timeout.
func TestExhaustedPoolIsAConnectTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "held")
	}))
	t.Cleanup(srv.Close)
	s := testSession(t, PoolSize(2))
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
