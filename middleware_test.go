package requests

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a middleware that notes, under its name, every request it
// passes on and the RoundTripper it wraps.
type recorder struct {
	mu    sync.Mutex
	seen  []string
	inner []http.RoundTripper
}

func (r *recorder) wrap(name string) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		r.mu.Lock()
		r.inner = append(r.inner, next)
		r.mu.Unlock()
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			r.mu.Lock()
			r.seen = append(r.seen, name+" "+req.URL.Path)
			r.mu.Unlock()
			return next.RoundTrip(req)
		})
	}
}

func TestMiddlewareSeesEveryAttemptInOrder(t *testing.T) {
	srv := redirectThenFlaky(t)

	var rec recorder
	s := testSession(t, Middleware(rec.wrap("outer")), Middleware(nil))
	r, err := s.Get(srv.URL+"/start", Middleware(rec.wrap("inner")),
		Retry(RetryPolicy{StatusForcelist: []int{503}}))
	require.NoError(t, err)
	assert.Equal(t, "hello", r.Text())
	assert.Equal(t, []string{
		"outer /start", "inner /start",
		"outer /flaky", "inner /flaky", // the 503
		"outer /flaky", "inner /flaky", // its retry
	}, rec.seen)
	require.Len(t, rec.inner, 2, "wrapped once per call")
	_, own := rec.inner[0].(*http.Transport)
	assert.True(t, own, "the innermost wraps the Session's own Transport")

	// Settings report the Session's middleware; a call's stays its own.
	assert.Len(t, s.Settings().Middleware, 1)
}
