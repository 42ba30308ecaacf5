package requests

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-requests/requests/internal/hosts"
	"golang.org/x/time/rate"
)

// RateLimit makes calls wait for their turn so that the Session sends at
// most so many requests per second, in all and to each host (Python's
// ratelimit, resty's rate limiter). Every request put on the wire takes a
// turn: retries and moves to another endpoint count too. A call waits
// within its Context: when the turn would come after the Context's deadline
// or after MaxWait, the call fails at once with ErrRateLimited, and its
// turn goes back to the others.
//
// The limiters live in the option: given to NewSession or Update they serve
// every call of the Session (and of any Session given the same Option
// value). RateLimit(RateLimitPolicy{}) turns rate limiting off.
func RateLimit(p RateLimitPolicy) Option {
	p = p.withDefaults()
	var l *limiters
	if p.PerSecond > 0 || p.PerHost > 0 {
		l = &limiters{p: p, now: time.Now}
		if p.PerSecond > 0 {
			l.all = rate.NewLimiter(rate.Limit(p.PerSecond), p.Burst)
		}
		if p.PerHost > 0 {
			l.hosts = hosts.New(p.MaxHosts, func() *rate.Limiter {
				return rate.NewLimiter(rate.Limit(p.PerHost), p.HostBurst)
			}, l.full)
		}
	}
	return optionFunc(func(c *config) { c.limits, c.RateLimit = l, l.policy() })
}

// policy is a copy of the policy for Settings; nil when limits are off.
func (l *limiters) policy() *RateLimitPolicy {
	if l == nil {
		return nil
	}
	p := l.p
	return &p
}

// RateLimitPolicy sets the rates RateLimit enforces. A rate of zero is no
// limit of that kind.
//
//	requests.RateLimit(requests.RateLimitPolicy{PerSecond: 50, PerHost: 10, HostBurst: 5})
type RateLimitPolicy struct {
	// PerSecond is the requests per second the Session sends in all, and
	// Burst how many of them may go at once after a quiet spell. Burst
	// zero means the rate rounded up (at least 1).
	PerSecond float64
	Burst     int
	// PerHost and HostBurst are the same for each host (scheme, host and
	// port) on its own.
	PerHost   float64
	HostBurst int
	// MaxWait is the longest a call waits for its turn; a longer wait fails
	// at once with ErrRateLimited. Zero leaves the wait bounded only by
	// the call's Context.
	MaxWait time.Duration
	// MaxHosts bounds the hosts with a limiter of their own; past it the
	// least recently used idle ones are forgotten first (a forgotten host
	// starts afresh with a full burst, as an idle one has). Zero means
	// DefaultMaxHosts.
	MaxHosts int
}

func (p RateLimitPolicy) withDefaults() RateLimitPolicy {
	burst := func(b int, r float64) int {
		if b > 0 {
			return b
		}
		return int(max(math.Ceil(min(r, 1<<20)), 1))
	}
	p.Burst, p.HostBurst = burst(p.Burst, p.PerSecond), burst(p.HostBurst, p.PerHost)
	if p.MaxHosts <= 0 {
		p.MaxHosts = DefaultMaxHosts
	}
	p.MaxWait = max(p.MaxWait, 0)
	return p
}

// ErrRateLimited: the rate limit would have made the call wait past its
// deadline or MaxWait, so it was not sent.
var ErrRateLimited = newKind("rate limited")

// limiters are the token buckets of one RateLimit option.
type limiters struct {
	p     RateLimitPolicy
	now   func() time.Time
	all   *rate.Limiter               // nil: no Session-wide rate
	hosts *hosts.Table[*rate.Limiter] // nil: no per-host rate
}

// full reports a host limiter with its whole burst available, which a new
// one would equal.
func (l *limiters) full(lim *rate.Limiter) bool {
	return lim.TokensAt(l.now()) >= float64(lim.Burst())
}

// wait takes a turn for a request to host: at once if one is free, else
// after waiting for it within the call's Context. It returns how long it
// waited. A wait that cannot fit is refused at once, its reservations
// cancelled; a wait the call's Context ends fails with the Context's cause.
func (l *limiters) wait(cl *call, host string) (waited time.Duration, refused, err error) {
	now := l.now()
	var rs [2]*rate.Reservation
	n := 0
	if l.all != nil {
		rs[n], n = l.all.ReserveN(now, 1), n+1
	}
	if l.hosts != nil {
		rs[n], n = l.hosts.Get(host).ReserveN(now, 1), n+1
	}
	var delay time.Duration
	for _, r := range rs[:n] {
		delay = max(delay, r.DelayFrom(now))
	}
	if delay == 0 {
		return 0, nil, nil
	}
	giveBack := func() {
		for _, r := range rs[:n] {
			r.CancelAt(l.now())
		}
	}
	if l.p.MaxWait > 0 && delay > l.p.MaxWait {
		giveBack()
		return 0, fmt.Errorf("the next turn for %s is in %v, beyond the longest wait (%v)", host, delay, l.p.MaxWait), nil
	}
	if dl, ok := cl.Deadline(); ok && now.Add(delay).After(dl) {
		giveBack()
		return 0, fmt.Errorf("the next turn for %s is in %v, after the call's deadline", host, delay), nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return delay, nil, nil
	case <-cl.Done():
		giveBack()
		return 0, nil, context.Cause(cl)
	}
}
