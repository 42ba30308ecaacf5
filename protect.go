package requests

import (
	"errors"
	"net/http"
	"slices"
	"time"
)

// This file puts the protections of the servers a Session calls (RateLimit,
// CircuitBreaker, Endpoints) around each request sent on the wire, and
// records what they did in the call.

// Protection is what the Session's protections did during a call, recorded
// in it for logging: which endpoint answered, the endpoints tried before,
// those passed over, and the wait for the rate limiter. Its zero value
// means none of them acted.
type Protection struct {
	// Endpoint is the base URL (as given to Endpoints) of the endpoint
	// that answered; empty when the call was not balanced.
	Endpoint string
	// Moves are the base URLs the call left for another endpoint after a
	// failure there, in order.
	Moves []string
	// Skipped are the base URLs passed over because their circuit breaker
	// was open, in order, each once.
	Skipped []string
	// LimiterWait is the time spent waiting for the rate limiter, every
	// request of the call together.
	LimiterWait time.Duration
}

// Protection reports what the Session's protections did during the call
// that produced r (the same for every Response of its History).
func (r *Response) Protection() Protection {
	if r == nil || r.call == nil || r.call.ext == nil {
		return Protection{}
	}
	p := &r.call.ext.prot
	out := Protection{Moves: slices.Clone(p.moves), Skipped: slices.Clone(p.skipped), LimiterWait: p.waited}
	if p.balanced {
		out.Endpoint = r.call.cfg.endpoints.raw[p.ep]
	}
	return out
}

// protState is a call's record of its protections, kept in the call.
type protState struct {
	balanced bool          // the call's URL was placed on an endpoint
	ep       int           // the endpoint the call's requests are placed on
	failed   bool          // the last request failed, so the next goes elsewhere
	moves    []string      // endpoints left after a failure
	skipped  []string      // endpoints passed over, their breaker open
	waited   time.Duration // total wait for the rate limiter
}

// trip sends one request through the Session's protections: placed on the
// next endpoint if the last one failed, refused at once by an open breaker,
// in its turn under the rate limit. Without a Retry policy, a balanced
// request that fails moves on to the next endpoint by itself (see
// Endpoints).
func (s *Session) trip(cl *call, req *http.Request) (*Response, error) {
	c := cl.cfg
	if c.limits == nil && c.breakers == nil && c.endpoints == nil {
		return s.roundTrip(cl, req)
	}
	set := c.endpoints
	at := -1 // the endpoint req is placed on
	if set != nil {
		at = set.locate(cl, req)
	}
	for moves := 0; ; moves++ {
		if at >= 0 {
			if cl.x().prot.failed {
				next, err := s.place(cl, req, at)
				if err != nil {
					cl.logFailure(req, err)
					return nil, err
				}
				req, at = next, cl.x().prot.ep
			}
			cl.x().prot.ep = at
			cl.x().prot.noteSkips(set, c.breakers)
		}
		resp, err := s.guarded(cl, req, at >= 0)
		if refused(err) {
			cl.logFailure(req, err) // kept from the wire: roundTrip logged nothing
		}
		if at < 0 || !s.failover(cl, req, err, moves) {
			return resp, err
		}
		if resp != nil {
			resp.discard() // first: the transport may hold the body until then
		}
		next, err := cl.again(req, "a move to another endpoint")
		if err != nil {
			return nil, err
		}
		req = next
	}
}

// failover reports whether a balanced request that was sent without a
// Retry policy moves on to the next endpoint: it failed there, another
// endpoint is left to try, and it cannot have reached the server or its
// method is idempotent.
func (s *Session) failover(cl *call, req *http.Request, err error, moves int) bool {
	set := cl.cfg.endpoints
	if !cl.x().prot.failed || cl.cfg.Retry != nil || moves+1 >= len(set.bases) {
		return false
	}
	return err != nil && !s.sent(cl, req, err) || slices.Contains(set.idempotent, req.Method)
}

// place puts req, not yet sent and placed on endpoint at, on the next
// endpoint after a failure on the last one the call sent to (cl.x().prot.ep,
// which a retry's request, copied from the first, may not be on).
func (s *Session) place(cl *call, req *http.Request, at int) (*http.Request, error) {
	set := cl.cfg.endpoints
	failed := cl.x().prot.ep
	to, err := set.pick(cl.cfg.breakers, failed)
	if err != nil {
		closeBody(req)
		return nil, wrapErr(req.Method, req.URL, ErrCircuitOpen, err)
	}
	cl.x().prot.failed = false
	if to != failed {
		cl.x().prot.moves = append(cl.x().prot.moves, set.raw[failed])
	}
	cl.x().prot.ep = to
	if to == at {
		return req, nil
	}
	return set.move(cl, req, at, to)
}

// noteSkips records the endpoints whose breaker is open now.
func (p *protState) noteSkips(set *endpointSet, bs *breakers) {
	if bs == nil {
		return
	}
	for i, b := range set.bases {
		if ok, _ := bs.ready(hostKey(b)); !ok && !slices.Contains(p.skipped, set.raw[i]) {
			p.skipped = append(p.skipped, set.raw[i])
		}
	}
}

// guarded sends req once: through its host's breaker, then the rate limit.
func (s *Session) guarded(cl *call, req *http.Request, balanced bool) (*Response, error) {
	c := cl.cfg
	host := hostKey(req.URL)
	var probe bool
	if c.breakers != nil {
		var err error
		if probe, err = c.breakers.allow(host); err != nil {
			closeBody(req)
			cl.x().prot.failed = balanced
			return nil, wrapErr(req.Method, req.URL, ErrCircuitOpen, err)
		}
	}
	if c.limits != nil {
		waited, refused, err := c.limits.wait(cl, host)
		cl.x().prot.waited += waited
		if refused != nil || err != nil {
			if c.breakers != nil {
				c.breakers.report(host, probe, neutral)
			}
			closeBody(req)
			if refused != nil {
				return nil, wrapErr(req.Method, req.URL, ErrRateLimited, refused)
			}
			return nil, wrapErr(req.Method, req.URL, classify(err, nil), err)
		}
	}
	if balanced {
		n := &c.endpoints.inflight[cl.x().prot.ep]
		n.Add(1)
		defer n.Add(-1)
	}
	resp, err := s.roundTrip(cl, req)
	o := c.breakers.judge(resp, err)
	if c.breakers != nil {
		c.breakers.report(host, probe, o)
	}
	cl.x().prot.failed = balanced && o == failure
	return resp, err
}

// refused reports a request the protections kept from the wire, which a
// retry would only repeat.
func refused(err error) bool {
	return errors.Is(err, ErrCircuitOpen) || errors.Is(err, ErrRateLimited)
}
