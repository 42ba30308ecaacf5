package requests

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/http"
	"time"
)

// ErrNotEventStream: Subscribe was answered with something other than a
// 200 text/event-stream (a browser's EventSource "fails the connection").
var ErrNotEventStream = newKind("not an event stream")

// The reconnection policy of Subscribe.
const (
	// defaultEventRetry is the wait before reconnecting until the server
	// sets one with a retry field, as browsers wait.
	defaultEventRetry = 3 * time.Second
	// maxEventRetry caps any wait, the server's retry or Retry-After included.
	maxEventRetry = time.Minute
	// maxEventFailures is how many connection attempts in a row may fail
	// before Subscribe gives up and yields the last error.
	maxEventFailures = 10
)

// Subscribe iterates over the events of a server-sent event stream and
// reconnects when it ends or breaks, as a browser's EventSource does. Each
// request asks for text/event-stream with Cache-Control: no-cache and,
// once the stream has set an ID, sends it back in Last-Event-ID (to resume
// from an ID kept elsewhere, give Headers{"Last-Event-ID": id}).
//
// Before reconnecting it waits the server's retry time (3s until the
// server sets one), plus up to a quarter more at random, doubled after
// each failed attempt in a row, and never more than a minute; a Context
// option's cancellation ends the wait and the loop. Breaking out of the
// loop closes the stream.
//
// What ends the loop:
//   - a 204 No Content, the server's way to say "stop": no error;
//   - a 4xx or 5xx status other than 429, 502, 503 and 504 (which are
//     retried, honouring Retry-After): Raise's *HTTPError, its body read;
//   - any other status than 200, or a Content-Type other than
//     text/event-stream: ErrNotEventStream;
//   - a line or an event too large for Events: ErrBodyTooLarge;
//   - errors that another attempt cannot mend (an invalid URL, TLS);
//   - the Context's end, with no error yielded.
//
// Network failures (refused connections, a stream cut, and a read timeout
// when the caller set one) reconnect silently, as in browsers, until 10
// attempts in a row fail to open a stream: the last error is then yielded
// and the loop ends.
//
// A quiet stream is normal, so the Session's default read timeout does not
// apply: only a Timeout or ReadTimeout given to this call or to the
// Session bounds the wait for headers and the gaps between events. Other
// options apply to every request, as to Get.
func (s *Session) Subscribe(url string, opts ...Option) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		var probe config
		for _, o := range opts {
			o.apply(&probe)
		}
		ctx := probe.ctx
		if ctx == nil {
			ctx = s.cfg.Load().ctx
		}
		if ctx == nil {
			ctx = context.Background()
		}
		base := make([]Option, 0, len(opts)+4)
		base = append(base, Headers{"Accept": "text/event-stream", "Cache-Control": "no-cache"})
		base = append(base, opts...)
		base = append(base, Stream(true)) // whatever opts say: the stream never ends
		if !probe.readTimeoutSet && !s.cfg.Load().readTimeoutSet {
			base = append(base, optionFunc(func(c *config) { c.ReadTimeout = 0 }))
		}

		var (
			lastID   string
			retry    = time.Duration(-1) // the server's, -1 until it sets one
			failures int
		)
		for {
			callOpts := base
			if lastID != "" {
				callOpts = append(callOpts[:len(base):len(base)], Headers{"Last-Event-ID": lastID})
			}
			resp, err := s.Get(url, callOpts...)
			var wait time.Duration // beyond the retry time: a Retry-After
			switch {
			case ctx.Err() != nil:
				if resp != nil {
					resp.Close()
				}
				return
			case err != nil:
				if !reconnectable(err) {
					yield(Event{}, err)
					return
				}
				failures++
			case resp.StatusCode == http.StatusNoContent:
				resp.Close()
				return
			case resp.StatusCode == http.StatusOK && eventStreamType(resp.Headers.Get("Content-Type")):
				failures = 0
				p := newEventParser(resp, lastID, retry)
				p.retrySet = retry >= 0
				for {
					ev, perr := p.next()
					if perr != nil {
						err = perr
						break
					}
					if !yield(ev, nil) {
						resp.Close()
						return
					}
				}
				resp.Close()
				lastID = p.lastID
				if p.retrySet {
					retry = p.retry
				}
				if ctx.Err() != nil {
					return
				}
				if errors.Is(err, ErrBodyTooLarge) || errors.Is(err, ErrContentDecoding) {
					yield(Event{}, err)
					return
				}
				// The end of the stream or a network failure: reconnect.
			case retryableEventStatus(resp.StatusCode):
				wait = eventRetryAfter(resp.Headers.Get("Retry-After"), time.Now())
				err = resp.Raise()
				resp.Content()
				failures++
			default:
				err = resp.Raise()
				if err != nil {
					resp.Content() // read and release: the *HTTPError keeps it
				} else {
					// Not read: a body of another type may never end.
					resp.Close()
					err = wrapErr(http.MethodGet, resp.Request.URL, ErrNotEventStream,
						fmt.Errorf("status %d, Content-Type %q", resp.StatusCode, resp.Headers.Get("Content-Type")))
				}
				yield(Event{}, err)
				return
			}
			if failures >= maxEventFailures {
				yield(Event{}, err)
				return
			}
			if !sleepCtx(ctx, reconnectDelay(retry, wait, failures)) {
				return
			}
		}
	}
}

// reconnectable reports whether another attempt may succeed where err
// failed: a connection that could not be made or broke, or a timeout, but
// not a certificate or a proxy refusal.
func reconnectable(err error) bool {
	if errors.Is(err, ErrSSL) || errors.Is(err, ErrProxy) || errors.Is(err, ErrTooManyRedirects) {
		return false
	}
	return errors.Is(err, ErrConnection) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrChunkedEncoding)
}

// retryableEventStatus are the statuses after which an event stream is
// tried again: overload and gateway failures, which pass.
func retryableEventStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// eventRetryAfter reads a Retry-After in either form (delay-seconds or an
// HTTP-date, as the retry policy does), capped at maxEventRetry; 0 when
// absent or unreadable (the reconnection time then applies).
func eventRetryAfter(v string, now time.Time) time.Duration {
	d, _ := parseRetryAfter(v, now, maxEventRetry)
	return min(d, maxEventRetry)
}

// reconnectDelay is the wait before the next attempt: the server's retry
// (or the default when it is negative: unset), doubled per failure in a row, at least the server's
// Retry-After, capped, plus up to a quarter of it at random so that many
// clients cut off at once do not come back at once.
func reconnectDelay(retry, retryAfter time.Duration, failures int) time.Duration {
	d := retry
	if d < 0 {
		d = defaultEventRetry
	}
	for i := 1; i < failures && d < maxEventRetry; i++ {
		d *= 2
	}
	d = min(max(d, retryAfter), maxEventRetry)
	if d > 0 {
		d += rand.N(d/4 + 1)
	}
	return d
}

// sleepCtx waits d, or until ctx is done (then false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
