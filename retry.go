package requests

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Retry makes calls send a request again when it fails to connect, fails
// after it was sent, or gets a status worth retrying, as p decides
// (requests' HTTPAdapter(max_retries=urllib3.Retry(...))). Retries are off
// by default. Given to NewSession or Update it applies to every call; given
// to a call it replaces the Session's policy for that call, and
// Retry(RetryPolicy{Total: -1}) turns retries off for it.
//
// Each request of a redirect chain gets the whole budget, as in requests,
// where every hop goes through the adapter afresh. Each attempt gets the
// full connect and read timeouts; no timeout runs while waiting between
// attempts, but the call's Context does: a wait that would end after its
// deadline is not begun, and the call fails at once with its last error
// and ErrRetry.
//
// The package defaults behind the policy's zero fields (DefaultRetries,
// DefaultBackoffMax, DefaultRetryAfterMax, DefaultRetryMethods) are read
// here, when the option is made.
func Retry(p RetryPolicy) Option {
	p = p.withDefaults()
	return optionFunc(func(c *config) {
		if p.Total < 0 {
			c.Retry = nil
			return
		}
		q := p
		c.Retry = &q
	})
}

// RetryPolicy says when and how often a request is sent again: urllib3's
// Retry as a Go value. The zero value is a useful policy: 3 retries of
// failed connections (any method), of failures after the request was sent
// and of 413, 429 and 503 responses that carry a Retry-After header (both for
// idempotent methods only), without waiting between them. Set only what
// differs:
//
//	requests.Retry(requests.RetryPolicy{
//		Total:           5,
//		BackoffFactor:   500 * time.Millisecond,
//		StatusForcelist: []int{502, 503, 504},
//	})
type RetryPolicy struct {
	// Total caps the retries of every kind together (urllib3's total).
	// Zero means DefaultRetries; negative turns retries off.
	Total int
	// Connect caps the retries after failing to connect: nothing reached
	// the server, so these are safe for every method. Read caps the
	// retries after a failure once the request may have been sent (reset,
	// closed connection, read timeout before the headers). Status caps the
	// retries on a response status. Zero leaves that kind capped by Total
	// only (urllib3's None); negative forbids retrying it (urllib3's 0).
	Connect, Read, Status int

	// BackoffFactor sets the wait between attempts: none before the first
	// retry, then BackoffFactor * 2^(n-1) before retry n, as urllib3's
	// backoff_factor. Zero retries at once.
	BackoffFactor time.Duration
	// BackoffMax caps that wait (urllib3's backoff_max). Zero means
	// DefaultBackoffMax.
	BackoffMax time.Duration
	// BackoffJitter adds a random wait in [0, BackoffJitter) to each
	// backoff, so that many clients do not retry in step (urllib3's
	// backoff_jitter).
	BackoffJitter time.Duration

	// StatusForcelist lists the statuses always retried (for the allowed
	// methods), urllib3's status_forcelist: 500, 502, 503 and 504 are the
	// usual choice.
	StatusForcelist []int
	// AllowedMethods lists the methods whose requests are retried once
	// they may have reached the server. Nil means DefaultRetryMethods,
	// the idempotent ones; add POST or PATCH only for an API that makes
	// them safe to repeat.
	AllowedMethods []string

	// IgnoreRetryAfter turns off the use of the Retry-After header. By
	// default, as in urllib3, a 413, 429 or 503 with a Retry-After is
	// retried, and any retried response's Retry-After (delay-seconds or an
	// HTTP-date) sets the wait instead of the backoff.
	IgnoreRetryAfter bool
	// RetryAfterMax caps the Retry-After a server may impose. A longer one
	// ends the retries at once, as if they were exhausted, rather than
	// sleeping that long or retrying earlier than the server asked. Zero
	// means DefaultRetryAfterMax.
	RetryAfterMax time.Duration

	// ReturnLastResponse makes a call whose status retries ran out return
	// the last response instead of failing with ErrRetry (urllib3's
	// raise_on_status=False).
	ReturnLastResponse bool

	// CheckRetry, if set, decides which outcomes are retried instead of
	// the policy's own rules (see Retryable, which it may call). The
	// counts, Total and the body's rewindability still apply.
	CheckRetry CheckRetry
	// Backoff, if set, computes the wait before a retry instead of the
	// policy's own backoff (see BackoffFor). A Retry-After header still
	// comes first unless IgnoreRetryAfter is set.
	Backoff Backoff

	// Budget, if set, also caps the retries of the whole Session (see
	// RetryBudget): when it is spent, calls fail at once with their last
	// error and ErrRetry.
	Budget *RetryBudget
	// IdempotencyKey makes POST and PATCH retryable like the methods in
	// AllowedMethods, by sending them with an Idempotency-Key header (the
	// IETF httpapi draft): a random value, the same for every attempt of a
	// call, so that a server that honours it applies the request once. A
	// caller's own Idempotency-Key header is kept and sent instead.
	IdempotencyKey bool
}

// CheckRetry decides whether an attempt's outcome is worth another attempt,
// like go-retryablehttp's CheckRetry. It must be safe for concurrent use.
type CheckRetry func(a RetryAttempt) bool

// Backoff computes how long to wait before the retry a describes, like
// go-retryablehttp's Backoff. It must be safe for concurrent use.
type Backoff func(a RetryAttempt) time.Duration

// RetryAttempt describes one attempt as the policy sees it.
type RetryAttempt struct {
	// Request is the request that was sent.
	Request *http.Request
	// Response is the response, its body not yet read; nil when Err is set.
	Response *Response
	// Err is the failure (an *Error); nil when a response came back.
	Err error
	// Sent reports whether the request may have reached the server: false
	// only for a failure to connect, which any method can retry safely.
	Sent bool
	// Retries counts the retries made before this attempt: 0 for the first.
	Retries int
}

// The defaults behind a RetryPolicy's zero fields. They are read when Retry
// makes its option: a change applies to the options made after it, never to
// a call already running.
var (
	// DefaultRetries is the Total of a RetryPolicy that gives none.
	DefaultRetries = 3
	// DefaultBackoffMax caps backoff waits, as urllib3's DEFAULT_BACKOFF_MAX.
	DefaultBackoffMax = 120 * time.Second
	// DefaultRetryAfterMax is the longest Retry-After honoured.
	DefaultRetryAfterMax = 120 * time.Second
	// DefaultRetryMethods are the methods retried once sent: the
	// idempotent ones, as urllib3's DEFAULT_ALLOWED_METHODS.
	DefaultRetryMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PUT", "TRACE"}
)

// withDefaults is p with its zero fields filled in from the package
// defaults, and its slices its own, so that a running call reads neither the
// package variables nor the caller's slices.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Total == 0 {
		p.Total = DefaultRetries
	}
	if p.BackoffMax <= 0 {
		p.BackoffMax = DefaultBackoffMax
	}
	if p.RetryAfterMax <= 0 {
		p.RetryAfterMax = DefaultRetryAfterMax
	}
	if p.AllowedMethods == nil {
		p.AllowedMethods = DefaultRetryMethods
	}
	p.AllowedMethods = slices.Clone(p.AllowedMethods)
	p.StatusForcelist = slices.Clone(p.StatusForcelist)
	return p
}

// retryAfterStatuses are the statuses retried when they carry Retry-After,
// as urllib3's RETRY_AFTER_STATUS_CODES.
var retryAfterStatuses = []int{http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusServiceUnavailable}

// RetryError is the cause of an ErrRetry: the policy's budget ran out. It
// unwraps to the last attempt's failure, so errors.Is still finds
// ErrConnection, ErrReadTimeout or an *HTTPError there.
type RetryError struct {
	// Attempts counts the requests sent, the first included.
	Attempts int
	// Response is the last response when a status used up the retries; its
	// body has been drained and closed. It is nil otherwise.
	Response *Response
	// Err is the last failure: the last attempt's *Error, or an *HTTPError
	// for a 4xx or 5xx Response. It is nil for another retried status.
	Err error
}

func (e *RetryError) Error() string {
	var last string
	switch {
	case e.Err != nil:
		last = detached(e.Err).Error() // the method and URL are said once, outside
	case e.Response != nil:
		last = "status " + strconv.Itoa(e.Response.StatusCode)
	}
	if e.Attempts == 1 {
		return "1 attempt: " + last
	}
	return fmt.Sprintf("%d attempts, the last: %s", e.Attempts, last)
}

func (e *RetryError) Unwrap() error { return e.Err }

// Retryable reports whether the policy's own rules retry a: a failure to
// connect always; a failure after sending, or a status in StatusForcelist
// (or a 413, 429 or 503 with Retry-After), when the method is allowed.
// Failures that repeat identically are never retried: bad TLS certificates,
// invalid requests, a cancelled call, a body that cannot be read again.
func (p *RetryPolicy) Retryable(a RetryAttempt) bool {
	if a.Err != nil {
		if !retryableErr(a.Err) {
			return false
		}
		return !a.Sent || p.idempotent(a.Request)
	}
	if a.Response == nil || !p.idempotent(a.Request) {
		return false
	}
	code := a.Response.StatusCode
	if slices.Contains(p.StatusForcelist, code) {
		return true
	}
	return !p.IgnoreRetryAfter && slices.Contains(retryAfterStatuses, code) &&
		a.Response.Headers.Get("Retry-After") != ""
}

// BackoffFor is the policy's own wait before the retry after a: none for
// the first retry, then BackoffFactor doubled for each further one, plus
// the jitter, capped at BackoffMax.
func (p *RetryPolicy) BackoffFor(a RetryAttempt) time.Duration {
	limit := p.BackoffMax
	if limit <= 0 {
		limit = DefaultBackoffMax
	}
	var d time.Duration
	if n := a.Retries + 1; n > 1 && p.BackoffFactor > 0 { // n: the retry about to be made
		d = min(p.BackoffFactor, limit)
		for i := 1; i < n; i++ {
			if d > limit/2 { // doubled, it would only be capped (or overflow)
				d = limit
				break
			}
			d *= 2
		}
	}
	if j := p.jitter(); j < limit-d {
		return d + j
	}
	return limit
}

func (p *RetryPolicy) jitter() time.Duration {
	if p.BackoffJitter <= 0 {
		return 0
	}
	return rand.N(p.BackoffJitter)
}

func (p *RetryPolicy) methodAllowed(m string) bool {
	allowed := p.AllowedMethods
	if allowed == nil {
		allowed = DefaultRetryMethods
	}
	return slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, m) })
}

// retryableErr rules out failures that would fail again the same way.
func retryableErr(err error) bool {
	switch {
	case errors.Is(err, ErrSSL) && !errors.Is(err, ErrConnectTimeout),
		errors.Is(err, ErrInvalidURL), errors.Is(err, ErrInvalidHeader), errors.Is(err, ErrInvalidMethod),
		errors.Is(err, ErrUnrewindableBody), errors.Is(err, ErrProxy) && !isDialErr(err),
		errors.Is(err, ErrSessionClosed):
		return false
	}
	// A timeout the call fired is worth a retry; the caller's own
	// cancellation or deadline is not.
	var e *Error
	if errors.As(err, &e) && (e.Kind == ErrConnectTimeout || e.Kind == ErrReadTimeout) {
		return true
	}
	return errors.Is(err, ErrConnection) || errors.Is(err, ErrTimeout) && !isContextErr(err)
}

// retryBudget is what is left of a policy's counts during one request.
type retryBudget struct {
	total, connect, read, status int // remaining; -1: not capped by this count
}

func newBudget(p *RetryPolicy) retryBudget {
	kind := func(n int) int {
		if n == 0 {
			return -1
		}
		return max(n, 0)
	}
	total := p.Total
	if total == 0 {
		total = DefaultRetries
	}
	return retryBudget{total: total, connect: kind(p.Connect), read: kind(p.Read), status: kind(p.Status)}
}

// kind is the count a retry of a spends.
func (b *retryBudget) kind(a RetryAttempt) *int {
	switch {
	case a.Err != nil && !a.Sent:
		return &b.connect
	case a.Err != nil:
		return &b.read
	}
	return &b.status
}

// forbids reports whether the policy allows no retry at all of a's kind, so
// that a's outcome is returned as it is rather than as ErrRetry.
func (b *retryBudget) forbids(a RetryAttempt) bool {
	return a.Retries == 0 && *b.kind(a) == 0
}

// take spends one retry of the kind a is; it reports false when none is left.
func (b *retryBudget) take(a RetryAttempt) bool {
	k := b.kind(a)
	if b.total == 0 || *k == 0 {
		return false
	}
	b.total--
	if *k > 0 {
		*k--
	}
	return true
}

// sent reports whether a failed attempt may have reached the server. The
// Session's transports report getting a connection; a mounted RoundTripper
// may not, so there only a failed dial counts as not sent.
func (s *Session) sent(cl *call, req *http.Request, err error) bool {
	if cl.sent() {
		return true
	}
	if s.mounts.Load() != nil && s.mounted(req.URL.String()) != nil {
		return !isDialErr(err)
	}
	return false
}

// wait is how long to wait before retrying a: the response's Retry-After if
// any (honoured is false when it exceeds RetryAfterMax), else the backoff.
func (p *RetryPolicy) wait(a RetryAttempt) (d time.Duration, honoured bool) {
	if !p.IgnoreRetryAfter && a.Response != nil {
		if v := a.Response.Headers.Get("Retry-After"); v != "" {
			limit := p.RetryAfterMax
			if limit <= 0 {
				limit = DefaultRetryAfterMax
			}
			if d, ok := parseRetryAfter(v, time.Now(), limit); ok {
				return d, d <= limit
			}
		}
	}
	if p.Backoff != nil {
		return max(p.Backoff(a), 0), true
	}
	return p.BackoffFor(a), true
}

// giveUp ends the retries with a's outcome: ErrRetry around the last
// failure, or for a status the last response itself if the policy says so.
func (p *RetryPolicy) giveUp(a RetryAttempt) (*Response, error) {
	req := a.Request
	if a.Err != nil {
		return nil, wrapErr(req.Method, req.URL, ErrRetry, &RetryError{Attempts: a.Retries + 1, Err: a.Err})
	}
	if p.ReturnLastResponse {
		return a.Response, nil
	}
	a.Response.discard()
	re := &RetryError{Attempts: a.Retries + 1, Response: a.Response}
	if a.Response.StatusCode >= 400 {
		re.Err = &HTTPError{Response: a.Response}
	}
	return nil, wrapErr(req.Method, req.URL, ErrRetry, re)
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110 10.2.3), relative to now. A date in the past means no wait. A
// value beyond limit is reported as just over it rather than computed, so
// that huge numbers cannot overflow. ok is false when v is neither form.
func parseRetryAfter(v string, now time.Time, limit time.Duration) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(limit/time.Second) {
			return limit + 1, true // out of range, or longer than allowed
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if !t.After(now) {
		return 0, true
	}
	if t.Sub(now) > limit {
		return limit + 1, true
	}
	return t.Sub(now), true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// detached is err without the method and URL that an enclosing *Error
// already shows.
func detached(err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Kind: e.Kind, Err: e.Err}
	}
	return err
}

// isDialErr reports whether err is a failure to dial, possibly the dial to
// a proxy: the request cannot have been sent.
func isDialErr(err error) bool {
	for err != nil {
		var op *net.OpError
		if !errors.As(err, &op) {
			return false
		}
		if op.Op == "dial" {
			return true
		}
		err = op.Err
	}
	return false
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
