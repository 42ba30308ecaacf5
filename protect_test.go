package requests

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// All three protections at once, from many goroutines, against three
// endpoints of which one fails: every call ends on a healthy endpoint, the
// failing one gets no more than the run that opens its breaker, and the
// race detector finds the shared state guarded.
func TestProtectionsUnderConcurrentCalls(t *testing.T) {
	bad, b, c := newEndpoint(t, "bad"), newEndpoint(t, "b"), newEndpoint(t, "c")
	bad.status.Store(http.StatusInternalServerError)
	s := testSession(t,
		Endpoints([]string{bad.URL, b.URL, c.URL}, LeastOutstanding),
		CircuitBreaker(BreakerPolicy{Failures: 3, Cooldown: time.Hour}),
		RateLimit(RateLimitPolicy{PerSecond: 10000, PerHost: 10000}),
	)

	var wg sync.WaitGroup
	errs := make(chan error, 16*20)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				resp, err := s.Get("/x")
				if err == nil && resp.StatusCode != 200 {
					err = resp.Raise()
				}
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// Calls in flight when the breaker opened may each have sent one.
	assert.LessOrEqual(t, len(bad.requests()), 3+16)
	assert.Equal(t, 16*20, len(b.requests())+len(c.requests()), "one healthy answer per call")
}

func TestProtectionIsEmptyWithoutProtections(t *testing.T) {
	e := newEndpoint(t, "e")
	resp, err := testSession(t).Get(e.URL)
	require.NoError(t, err)
	assert.Equal(t, Protection{}, resp.Protection())
}
