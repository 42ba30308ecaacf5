package requests

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-requests/requests/internal/hosts"
)

// CircuitBreaker gives every host the Session calls a circuit breaker
// (Python's pybreaker, resty's circuit breaker): after a run of failed
// attempts in a row the host's breaker opens, and calls to that host fail at
// once with ErrCircuitOpen, without a request, until the cooldown has passed.
// Then it half-opens: a few probe calls go through, and it closes when they
// succeed or opens again when one fails. A host is a scheme, host and port.
//
// The breakers live in the option: given to NewSession or Update they serve
// every call of the Session (and of any Session given the same Option
// value). An open breaker stops a Retry policy at once, and Endpoints
// passes over an endpoint whose breaker is open.
// CircuitBreaker(BreakerPolicy{Failures: -1}) turns breakers off.
func CircuitBreaker(p BreakerPolicy) Option {
	return breakerOption(p, time.Now)
}

// breakerOption is CircuitBreaker with the clock the breakers read, which
// tests set.
func breakerOption(p BreakerPolicy, now func() time.Time) Option {
	p = p.withDefaults()
	var set *breakers
	if p.Failures > 0 {
		set = &breakers{p: p, now: now}
		set.hosts = hosts.New(p.MaxHosts, func() *breaker { return &breaker{} }, (*breaker).idle)
	}
	return optionFunc(func(c *config) { c.breakers, c.CircuitBreaker = set, set.policy() })
}

// policy is a copy of the policy for Settings; nil when breakers are off.
func (bs *breakers) policy() *BreakerPolicy {
	if bs == nil {
		return nil
	}
	p := bs.p
	return &p
}

// BreakerPolicy says when a host's circuit breaker opens and how it tries
// the host again. The zero value is a useful policy: open after 5 failures
// in a row, where a failure is a connection error, a timeout, a 429 or a
// 5xx; stay open 30 seconds; then let one probe through.
type BreakerPolicy struct {
	// Failures is the run of failed attempts in a row that opens a host's
	// breaker (pybreaker's fail_max). Zero means DefaultBreakerFailures;
	// negative turns breakers off.
	Failures int
	// Cooldown is how long an open breaker refuses calls before it lets
	// probes through (pybreaker's reset_timeout). Zero means
	// DefaultBreakerCooldown.
	Cooldown time.Duration
	// Probes is how many calls a half-open breaker lets through at a time,
	// all of which must succeed for it to close. Zero means 1.
	Probes int
	// FailureStatuses are the statuses that count as failures. Nil means
	// 429 and every 5xx.
	FailureStatuses []int
	// IsFailure, if set, decides instead which outcomes count as failures:
	// resp is nil when err is not. The caller's own cancellation never
	// counts either way.
	IsFailure func(resp *Response, err error) bool
	// OnChange, if set, is told of every change of a host's state, after
	// it happened; host is "scheme://host:port". It must not block.
	OnChange func(host string, from, to BreakerState)
	// MaxHosts bounds the hosts whose breaker is kept; past it the least
	// recently used closed ones are forgotten first. Zero means
	// DefaultMaxHosts.
	MaxHosts int
}

// The defaults behind a BreakerPolicy's zero fields, read when
// CircuitBreaker makes its option.
var (
	// DefaultBreakerFailures is the run of failures that opens a breaker.
	DefaultBreakerFailures = 5
	// DefaultBreakerCooldown is how long a breaker stays open.
	DefaultBreakerCooldown = 30 * time.Second
	// DefaultMaxHosts bounds the hosts a Session keeps a breaker or a rate
	// limiter for.
	DefaultMaxHosts = 1024
)

func (p BreakerPolicy) withDefaults() BreakerPolicy {
	if p.Failures == 0 {
		p.Failures = DefaultBreakerFailures
	}
	if p.Cooldown <= 0 {
		p.Cooldown = DefaultBreakerCooldown
	}
	p.Probes = max(p.Probes, 1)
	if p.MaxHosts <= 0 {
		p.MaxHosts = DefaultMaxHosts
	}
	p.FailureStatuses = slices.Clone(p.FailureStatuses)
	return p
}

// BreakerState is the state of one host's circuit breaker.
type BreakerState int

const (
	// BreakerClosed lets calls through, counting failures.
	BreakerClosed BreakerState = iota
	// BreakerOpen refuses calls until its cooldown has passed.
	BreakerOpen
	// BreakerHalfOpen lets probe calls through to see if the host is back.
	BreakerHalfOpen
)

// String names the state as OnChange reports it: "closed", "open" or
// "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", int(s))
}

// ErrCircuitOpen: the host's circuit breaker is open, so the call was not
// sent. A *CircuitOpenError in the chain says until when.
var ErrCircuitOpen = newKind("circuit breaker open")

// CircuitOpenError is the cause of an ErrCircuitOpen, reachable with
// errors.As: the host refused and when its breaker lets a call through
// again.
type CircuitOpenError struct {
	// Host is the host refused, "scheme://host:port".
	Host string
	// RetryAt is when the breaker lets a probe through: the end of its
	// cooldown, or now when it is half-open and its probes are out.
	RetryAt time.Time
}

// Error names the host and when it lets a call through again.
func (e *CircuitOpenError) Error() string {
	return fmt.Sprintf("%s refused until %s", e.Host, e.RetryAt.UTC().Format(time.RFC3339Nano))
}

// Is makes errors.Is(err, ErrCircuitOpen) hold for the cause alone too.
func (e *CircuitOpenError) Is(target error) bool { return target == ErrCircuitOpen }

// outcome is what one attempt says about a host's health.
type outcome int

const (
	neutral outcome = iota // says nothing: the caller cancelled, or the call never reached the host
	success
	failure
)

// breakers are the per-host breakers of one CircuitBreaker option.
type breakers struct {
	p     BreakerPolicy
	now   func() time.Time
	hosts *hosts.Table[*breaker]
}

// breaker is one host's state machine.
type breaker struct {
	mu       sync.Mutex
	state    BreakerState
	failures int       // in a row, while closed
	until    time.Time // end of the cooldown, while open
	probing  int       // probes in flight, while half-open
	passed   int       // probes that succeeded, while half-open
}

// hostKey is the origin a breaker or limiter is kept for.
func hostKey(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), portOf(u))
}

// allow asks host's breaker to let an attempt through. probe reports an
// attempt let through half-open, whose outcome must be reported.
func (bs *breakers) allow(host string) (probe bool, err error) {
	b := bs.hosts.Get(host)
	now := bs.now()
	b.mu.Lock()
	from := b.state
	if b.state == BreakerOpen && !now.Before(b.until) {
		b.state, b.probing, b.passed = BreakerHalfOpen, 0, 0
	}
	switch {
	case b.state == BreakerOpen:
		err = &CircuitOpenError{Host: host, RetryAt: b.until}
	case b.state == BreakerHalfOpen && b.probing+b.passed >= bs.p.Probes:
		err = &CircuitOpenError{Host: host, RetryAt: now}
	case b.state == BreakerHalfOpen:
		b.probing++
		probe = true
	}
	to := b.state
	b.mu.Unlock()
	bs.changed(host, from, to)
	return probe, err
}

// ready reports whether host's breaker would let an attempt through now,
// and if not, when it will; it changes nothing.
func (bs *breakers) ready(host string) (bool, time.Time) {
	b, ok := bs.hosts.Peek(host)
	if !ok {
		return true, time.Time{}
	}
	now := bs.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.state == BreakerOpen && now.Before(b.until):
		return false, b.until
	case b.state == BreakerHalfOpen && b.probing+b.passed >= bs.p.Probes:
		return false, now
	}
	return true, time.Time{}
}

// report tells host's breaker the outcome of an attempt it let through.
func (bs *breakers) report(host string, probe bool, o outcome) {
	b := bs.hosts.Get(host)
	now := bs.now()
	b.mu.Lock()
	from := b.state
	if probe && b.state == BreakerHalfOpen {
		b.probing--
	}
	switch {
	case o == failure && (b.state == BreakerHalfOpen && probe || b.state == BreakerClosed && b.failures+1 >= bs.p.Failures):
		b.state, b.until, b.failures = BreakerOpen, now.Add(bs.p.Cooldown), 0
	case o == failure && b.state == BreakerClosed:
		b.failures++
	case o == success && b.state == BreakerClosed:
		b.failures = 0
	case o == success && b.state == BreakerHalfOpen && probe:
		if b.passed++; b.passed >= bs.p.Probes {
			b.state, b.failures = BreakerClosed, 0
		}
	}
	to := b.state
	b.mu.Unlock()
	bs.changed(host, from, to)
}

func (bs *breakers) changed(host string, from, to BreakerState) {
	if from != to && bs.p.OnChange != nil {
		bs.p.OnChange(host, from, to)
	}
}

// idle reports a breaker a fresh one would equal, which may be forgotten.
func (b *breaker) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state == BreakerClosed && b.failures == 0
}

// judge says what an attempt's result tells of its host; without breakers
// (nil), as the zero BreakerPolicy does.
func (bs *breakers) judge(resp *Response, err error) outcome {
	if err != nil && (errors.Is(err, ErrCircuitOpen) || errors.Is(err, ErrRateLimited) || callerGaveUp(err)) {
		return neutral
	}
	var p BreakerPolicy
	if bs != nil {
		p = bs.p
	}
	if p.IsFailure != nil {
		if p.IsFailure(resp, err) {
			return failure
		}
		return success
	}
	if err != nil {
		if errors.Is(err, ErrConnection) || errors.Is(err, ErrTimeout) {
			return failure
		}
		return neutral // a bad request of the caller's, not the host's fault
	}
	code := resp.StatusCode
	if p.FailureStatuses != nil {
		if slices.Contains(p.FailureStatuses, code) {
			return failure
		}
		return success
	}
	if code == 429 || code >= 500 {
		return failure
	}
	return success
}

// callerGaveUp reports a failure caused by the caller's own cancellation or
// deadline rather than a timeout of the call.
func callerGaveUp(err error) bool {
	var e *Error
	if errors.As(err, &e) && (e.Kind == ErrConnectTimeout || e.Kind == ErrReadTimeout) {
		return false
	}
	return isContextErr(err)
}
