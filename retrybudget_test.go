package requests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attemptLog is a server's record of the requests it got.
type attemptLog struct {
	mu   sync.Mutex
	keys []string
}

func (l *attemptLog) add(r *http.Request) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, r.Header.Get("Idempotency-Key"))
	return len(l.keys)
}

func (l *attemptLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.keys...)
}

// statusServer answers status to every request, logging it.
func statusServer(t *testing.T, status func(n int) int, header http.Header) (*httptest.Server, *attemptLog) {
	var log attemptLog
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := log.add(r)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status(n))
	}))
	t.Cleanup(srv.Close)
	return srv, &log
}

// frozenBudgetClock stops the budgets' clock, so that no earning expires.
func frozenBudgetClock(t *testing.T) {
	old := budgetClock
	budgetClock = func() int64 { return 1000 }
	t.Cleanup(func() { budgetClock = old })
}

// During an outage, a Session's retries are capped by its budget, not by
// each call's policy.
func TestRetryBudgetCapsASessionsRetries(t *testing.T) {
	frozenBudgetClock(t)
	tests := []struct {
		name   string
		budget RetryBudget
		want   int // requests the server gets from 10 calls
	}{
		{"ratio", RetryBudget{Ratio: 0.5}, 10 + 5},
		{"floor", RetryBudget{MinPerSecond: 1}, 10 + 10},
		{"a budget not reached", RetryBudget{Ratio: 100}, 10 * 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, log := statusServer(t, func(int) int { return 503 }, nil)
			s := testSession(t, Retry(RetryPolicy{Total: 3, StatusForcelist: []int{503}, Budget: &tt.budget}))
			for range 10 {
				_, err := s.Get(srv.URL)
				require.ErrorIs(t, err, ErrRetry)
			}
			assert.Len(t, log.all(), tt.want)
		})
	}
}

// POST is retried under IdempotencyKey with one key for all its attempts,
// a new one per call; a caller's own key is kept. Without it, POST is not
// retried.
func TestRetryIdempotencyKey(t *testing.T) {
	failTwice := func(n int) int {
		if n%3 != 0 {
			return 503
		}
		return 200
	}
	policy := RetryPolicy{StatusForcelist: []int{503}, IdempotencyKey: true}

	srv, log := statusServer(t, failTwice, nil)
	s := testSession(t, Retry(policy))
	for range 2 {
		r, err := s.Post(srv.URL, JSON(map[string]int{"n": 1}))
		require.NoError(t, err)
		assert.Equal(t, 200, r.StatusCode)
	}
	keys := log.all()
	require.Len(t, keys, 6)
	assert.Len(t, keys[0], 32)
	assert.Equal(t, []string{keys[0], keys[0], keys[0]}, keys[:3])
	assert.Equal(t, []string{keys[3], keys[3], keys[3]}, keys[3:])
	assert.NotEqual(t, keys[0], keys[3])

	srv, log = statusServer(t, failTwice, nil)
	r, err := testSession(t, Retry(policy)).Patch(srv.URL, Headers{"Idempotency-Key": "mine"})
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, []string{"mine", "mine", "mine"}, log.all())

	srv, log = statusServer(t, failTwice, nil)
	r, err = testSession(t, Retry(RetryPolicy{StatusForcelist: []int{503}})).Post(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 503, r.StatusCode)
	assert.Equal(t, []string{""}, log.all())
}

// A wait that would outlast the call's deadline is not begun.
func TestRetryWaitBeyondTheDeadlineFailsAtOnce(t *testing.T) {
	srv, log := statusServer(t, func(int) int { return 503 }, http.Header{"Retry-After": {"30"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	took := elapsed(t, func() {
		_, err = testSession(t, Retry(RetryPolicy{StatusForcelist: []int{503}})).Get(srv.URL, Context(ctx))
	})
	require.ErrorIs(t, err, ErrRetry)
	assert.Less(t, took, 5*time.Second)
	assert.Len(t, log.all(), 1)
}
