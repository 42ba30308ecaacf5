package requests

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Logger says what the protections did: a call refused by an open
// breaker (and when it may try again), a call moved to another endpoint,
// and a call that waited for the rate limiter.
func TestLoggerReportsProtections(t *testing.T) {
	t.Run("breaker", func(t *testing.T) {
		srv := newFlakyServer(t, http.StatusInternalServerError)
		clk := newFakeClock()
		var buf bytes.Buffer
		s := testSession(t, jsonLog(&buf), breakerOption(BreakerPolicy{Failures: 1, Cooldown: 10 * time.Second}, clk.Now))
		_, err := s.Get(srv.URL)
		require.NoError(t, err)
		_, err = s.Get(srv.URL)
		require.ErrorIs(t, err, ErrCircuitOpen)
		recs := records(t, &buf)
		require.Len(t, recs, 2)
		last := recs[1]
		assert.Equal(t, "WARN", last["level"])
		assert.Equal(t, "ErrCircuitOpen", last["error_kind"])
		assert.Equal(t, hostKey(mustParse(t, srv.URL)), last["breaker_host"])
		assert.Equal(t, clk.Now().Add(10*time.Second).Format(time.RFC3339), last["retry_at"])
	})
	t.Run("endpoint move", func(t *testing.T) {
		bad, good := newEndpoint(t, "bad"), newEndpoint(t, "good")
		bad.status.Store(503)
		var buf bytes.Buffer
		s := testSession(t, jsonLog(&buf), Endpoints([]string{bad.URL, good.URL}, RoundRobin))
		resp, err := s.Get("/x")
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		recs := records(t, &buf)
		require.NotEmpty(t, recs)
		last := recs[len(recs)-1]
		assert.Equal(t, good.URL, last["endpoint"])
		assert.Equal(t, []any{bad.URL}, last["moved_from"])
	})
	t.Run("limiter wait", func(t *testing.T) {
		srv := newFlakyServer(t, 0)
		srv.failing.Store(false)
		var buf bytes.Buffer
		// A burst of one at 50 per second: the second call waits its turn.
		s := testSession(t, jsonLog(&buf), RateLimit(RateLimitPolicy{PerSecond: 50, Burst: 1}))
		for range 2 {
			_, err := s.Get(srv.URL)
			require.NoError(t, err)
		}
		recs := records(t, &buf)
		require.Len(t, recs, 2)
		assert.NotContains(t, recs[0], "limiter_wait", "the first call had its turn at once")
		assert.Contains(t, recs[1], "limiter_wait")
	})
}
