package requests

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// RetryBudget caps the retries of a whole Session, whatever each call's
// policy allows (Finagle's RetryBudget, gRPC's retry throttling): during an
// outage every call failing and retrying would multiply the load on a
// server that is already down. Each request made earns Ratio of a retry;
// each retry spends one. Earnings are kept for budgetWindow (10 seconds).
// When the budget is spent, a call that would retry fails at once with its
// last error and ErrRetry.
//
// The budget is kept per Session and per *RetryBudget: calls of one Session
// whose policies point to the same RetryBudget share it.
type RetryBudget struct {
	// Ratio is the retries earned per request made, e.g. 0.2 for at most
	// one retry per five requests. The budget starts empty.
	Ratio float64
	// MinPerSecond is the retries always allowed per second, whatever
	// the ratio (so that a quiet client can still retry); 0: no floor.
	MinPerSecond int
}

// budgetWindow is how long a request's earnings count.
const budgetWindow = 10 * time.Second

// budgetState is the account of one RetryBudget in one Session: earnings
// and spending per second over the window.
type budgetState struct {
	mu      sync.Mutex
	buckets [budgetWindow / time.Second]budgetBucket
}

type budgetBucket struct {
	sec    int64 // the second it holds, since budgetEpoch
	earned float64
	spent  int
}

// budgetClock is the budgets' clock, in seconds; tests replace it.
var budgetClock = func() int64 { return int64(now() / time.Second) }

// bucket is the current second's bucket, emptied if it held an older second.
func (b *budgetState) bucket(sec int64) *budgetBucket {
	k := &b.buckets[sec%int64(len(b.buckets))]
	if k.sec != sec {
		*k = budgetBucket{sec: sec}
	}
	return k
}

// deposit earns a request's share.
func (b *budgetState) deposit(rb *RetryBudget) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bucket(budgetClock()).earned += rb.Ratio
}

// withdraw spends one retry if the window holds one.
func (b *budgetState) withdraw(rb *RetryBudget) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	sec := budgetClock()
	balance := float64(rb.MinPerSecond) * float64(len(b.buckets))
	for i := range b.buckets {
		if k := &b.buckets[i]; sec-k.sec < int64(len(b.buckets)) {
			balance += k.earned - float64(k.spent)
		}
	}
	if balance < 1 {
		return false
	}
	b.bucket(sec).spent++
	return true
}

// retryBudget is the Session's account for rb; nil when rb is.
func (s *Session) retryBudget(rb *RetryBudget) *budgetState {
	if rb == nil {
		return nil
	}
	if b, ok := s.budgets.Load(rb); ok {
		return b.(*budgetState)
	}
	b, _ := s.budgets.LoadOrStore(rb, new(budgetState))
	return b.(*budgetState)
}

// withIdempotencyKey gives a POST or PATCH request the call's
// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), the same
// for every attempt, unless the caller gave one. The request is copied,
// its headers too: they may be the caller's (Send).
func (cl *call) withIdempotencyKey(req *http.Request) *http.Request {
	if req.Method != http.MethodPost && req.Method != http.MethodPatch || req.Header.Get("Idempotency-Key") != "" {
		return req
	}
	if cl.x().idempotencyKey == "" {
		var b [16]byte
		rand.Read(b[:])
		cl.x().idempotencyKey = hex.EncodeToString(b[:])
	}
	out := req.WithContext(req.Context())
	out.Header = req.Header.Clone()
	out.Header.Set("Idempotency-Key", cl.x().idempotencyKey)
	return out
}

// idempotent reports whether req's method may be repeated under p: one of
// AllowedMethods, or with IdempotencyKey a POST or PATCH that carries the
// header.
func (p *RetryPolicy) idempotent(req *http.Request) bool {
	if p.methodAllowed(req.Method) {
		return true
	}
	return p.IdempotencyKey && (req.Method == http.MethodPost || req.Method == http.MethodPatch) &&
		req.Header.Get("Idempotency-Key") != ""
}

// fitsDeadline reports whether a wait of d ends before the call's deadline,
// if it has one: a retry that cannot be made in time is not waited for.
func (cl *call) fitsDeadline(d time.Duration) bool {
	dl, ok := cl.Deadline()
	return !ok || time.Until(dl) > d
}
