package requests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRateLimitRefusesAWaitPastTheDeadline(t *testing.T) {
	srv := newFlakyServer(t, 0)
	srv.failing.Store(false)
	s := testSession(t, RateLimit(RateLimitPolicy{PerSecond: 0.01})) // one turn per 100 s

	_, err := s.Get(srv.URL)
	require.NoError(t, err, "the burst's turn")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = s.Get(srv.URL, Context(ctx))
	require.ErrorIs(t, err, ErrRateLimited)
	assert.Less(t, time.Since(start), 30*time.Second, "refused at once, not after waiting")
	assert.EqualValues(t, 1, srv.hits.Load())
}

func TestRateLimitGivesARefusedTurnBack(t *testing.T) {
	s := testSession(t, RateLimit(RateLimitPolicy{PerSecond: 1, Burst: 1, MaxWait: time.Millisecond}))
	l := s.cfg.Load().limits
	now := time.Now()
	l.now = func() time.Time { return now }
	cl := newCall(s.cfg.Load())
	defer cl.release()

	_, refused, err := l.wait(cl, "http://a.test:80")
	require.NoError(t, err)
	require.NoError(t, refused)
	_, refused, err = l.wait(cl, "http://a.test:80")
	require.NoError(t, err)
	require.Error(t, refused)
	assert.InDelta(t, 0, l.all.TokensAt(now), 1e-9, "the refused reservation was cancelled")
}

func TestRateLimitWaitsForItsTurn(t *testing.T) {
	srv := newFlakyServer(t, 0)
	srv.failing.Store(false)
	s := testSession(t, RateLimit(RateLimitPolicy{PerSecond: 4, Burst: 1}))

	var waited time.Duration
	for range 2 {
		resp, err := s.Get(srv.URL, Timeout(10*time.Second))
		require.NoError(t, err)
		waited += resp.Protection().LimiterWait
	}
	assert.Positive(t, waited, "the second call waited for its turn, a quarter second after the first")
	assert.Less(t, waited, 10*time.Second)
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestRateLimitPerHost(t *testing.T) {
	a, b := newFlakyServer(t, 0), newFlakyServer(t, 0)
	a.failing.Store(false)
	b.failing.Store(false)
	s := testSession(t, RateLimit(RateLimitPolicy{PerHost: 0.01, MaxWait: time.Second}))

	for _, srv := range []*flakyServer{a, b} {
		_, err := s.Get(srv.URL)
		require.NoError(t, err, "each host has its own burst")
	}
	_, err := s.Get(a.URL)
	require.ErrorIs(t, err, ErrRateLimited)
	assert.EqualValues(t, 1, a.hits.Load())
	assert.EqualValues(t, 1, b.hits.Load())
}

func TestRateLimitCountsEveryRetry(t *testing.T) {
	srv := newFlakyServer(t, http.StatusServiceUnavailable)
	s := testSession(t,
		RateLimit(RateLimitPolicy{PerSecond: 0.01, Burst: 2, MaxWait: time.Second}),
		Retry(RetryPolicy{Total: 5, StatusForcelist: []int{503}}))

	_, err := s.Get(srv.URL)
	require.ErrorIs(t, err, ErrRateLimited, "the third attempt finds no turn")
	assert.NotErrorIs(t, err, ErrRetry)
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	srv := newFlakyServer(t, 0)
	srv.failing.Store(false)
	s := testSession(t, RateLimit(RateLimitPolicy{PerSecond: 0.01}))
	_, err := s.Get(srv.URL)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Get(srv.URL, Context(ctx))
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrRateLimited)
	assert.EqualValues(t, 1, srv.hits.Load())
}

func TestRateLimitHostsAreBounded(t *testing.T) {
	s := testSession(t, RateLimit(RateLimitPolicy{PerHost: 1000, MaxHosts: 3}))
	l := s.cfg.Load().limits
	cl := newCall(s.cfg.Load())
	defer cl.release()
	for _, h := range []string{"a", "b", "c", "d", "e"} {
		_, refused, err := l.wait(cl, "http://"+h+".test:80")
		require.NoError(t, err)
		require.NoError(t, refused)
	}
	assert.Equal(t, 3, l.hosts.Len())
}

func TestRateLimitSettingsAndOff(t *testing.T) {
	s := testSession(t, RateLimit(RateLimitPolicy{PerSecond: 2.5}))
	st := s.Settings()
	require.NotNil(t, st.RateLimit)
	assert.Equal(t, 3, st.RateLimit.Burst, "the rate rounded up")
	assert.Equal(t, DefaultMaxHosts, st.RateLimit.MaxHosts)
	s.Update(RateLimit(RateLimitPolicy{}))
	assert.Nil(t, s.Settings().RateLimit)
}
