package requests

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// Balance is how Endpoints spreads calls over its endpoints.
type Balance int

const (
	// RoundRobin sends each call to the next endpoint in turn.
	RoundRobin Balance = iota
	// LeastOutstanding sends each call to the endpoint with the fewest
	// requests waiting for their response headers, the next in turn among
	// equals.
	LeastOutstanding
)

// String names the strategy: "round robin" or "least outstanding".
func (b Balance) String() string {
	switch b {
	case RoundRobin:
		return "round robin"
	case LeastOutstanding:
		return "least outstanding"
	}
	return fmt.Sprintf("Balance(%d)", int(b))
}

// Endpoints makes one service of several base URLs (resty's load balancer):
// a call whose URL is a path ("/users?page=2") goes to one of bases, chosen
// as b says, with the path appended to the base's own. Calls with an
// absolute URL go where they say, untouched.
//
// An endpoint whose circuit breaker (CircuitBreaker) is open is passed over
// while another is ready. A request that fails on one endpoint with a
// connection error, a timeout or a status its breaker counts as a failure
// is sent again on the next: under a Retry policy each retry goes to the
// next endpoint, within the policy's counts; without one, the request tries
// each endpoint once, and only if it cannot have reached the server or its
// method is idempotent (DefaultRetryMethods).
//
// A request moved to another endpoint is sent as if the call had named it:
// the credentials the call or the Session gives go with it, since the
// endpoints are one service; what belongs to an origin is made afresh for
// the new one when the origin changes as for a redirect (shouldStripAuth's
// rule): the jar's cookies, the .netrc entry, an answer to an
// authentication challenge. Redirects an endpoint answers are followed as
// any redirect.
//
// Prepare places a path on the first endpoint; Send sends such a request
// there, without balancing, as it sends any prepared request.
//
// The rotation and counts live in the option: given to NewSession or Update
// they serve every call of the Session. Endpoints(nil, RoundRobin) turns it
// off. A base that is not an absolute http or https URL makes every call
// that needs it fail with ErrInvalidURL. Response.Protection tells which
// endpoint answered.
func Endpoints(bases []string, b Balance) Option {
	var set *endpointSet
	if len(bases) > 0 {
		set = newEndpointSet(bases, b)
	}
	return optionFunc(func(c *config) {
		c.endpoints = set
		c.Endpoints, c.Balance = nil, RoundRobin
		if set != nil {
			c.Endpoints, c.Balance = slices.Clone(set.raw), b
		}
	})
}

// endpointSet is the state of one Endpoints option.
type endpointSet struct {
	raw      []string
	bases    []*url.URL
	balance  Balance
	turn     atomic.Uint64
	inflight []atomic.Int64
	err      error // the first base that is not a usable URL
	// idempotent are the methods moved after they may have reached the
	// server: DefaultRetryMethods when the option was made.
	idempotent []string
}

func newEndpointSet(bases []string, b Balance) *endpointSet {
	set := &endpointSet{raw: slices.Clone(bases), balance: b, inflight: make([]atomic.Int64, len(bases)),
		idempotent: slices.Clone(DefaultRetryMethods)}
	for _, raw := range bases {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			set.err = fmt.Errorf("endpoint %q: %w", redactRaw(raw), scrubURLError(err))
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			set.err = fmt.Errorf("endpoint %q is not an absolute http or https URL", redactRaw(raw))
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			set.err = fmt.Errorf("endpoint %q has a query, fragment or userinfo", redactRaw(raw))
		}
		if set.err != nil {
			break
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = strings.TrimSuffix(u.RawPath, "/")
		set.bases = append(set.bases, u)
	}
	return set
}

// isRelative reports a call URL that Endpoints places: a path, not "//host".
func isRelative(raw string) bool {
	return strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//")
}

// callURL parses a call's URL. With Endpoints, a path is placed on the
// endpoint the call's first request goes to (on the first endpoint for
// Prepare, whose request is not balanced).
func (s *Session) callURL(cl *call, c *config, raw string) (*url.URL, error) {
	set := c.endpoints
	if set == nil || !isRelative(raw) {
		return s.parseURL(raw)
	}
	if set.err != nil {
		return nil, wrapRawErr("", raw, ErrInvalidURL, set.err)
	}
	i := 0
	if cl != nil {
		var err error
		if i, err = set.pick(c.breakers, -1); err != nil {
			return nil, wrapRawErr("", raw, ErrCircuitOpen, err)
		}
		cl.x().prot.balanced, cl.x().prot.ep = true, i
	}
	b := set.bases[i]
	return s.parseURL(b.Scheme + "://" + b.Host + b.EscapedPath() + raw)
}

// pick chooses the endpoint for a request, passing over skip (the one that
// just failed) while another is ready and those whose breaker is open. When
// every endpoint's breaker is open it fails with the *CircuitOpenError of
// the one that opens first.
func (set *endpointSet) pick(bs *breakers, skip int) (int, error) {
	n := len(set.bases)
	start := int(set.turn.Add(1)-1) % n
	best, fallback := -1, -1
	var soonest *CircuitOpenError
	for k := range n {
		i := (start + k) % n
		if bs != nil {
			host := hostKey(set.bases[i])
			if ok, at := bs.ready(host); !ok {
				if soonest == nil || at.Before(soonest.RetryAt) {
					soonest = &CircuitOpenError{Host: host, RetryAt: at}
				}
				continue
			}
		}
		if i == skip {
			fallback = i
			continue
		}
		if best < 0 || set.balance == LeastOutstanding && set.inflight[i].Load() < set.inflight[best].Load() {
			best = i
		}
		if set.balance != LeastOutstanding {
			break
		}
	}
	switch {
	case best >= 0:
		return best, nil
	case fallback >= 0:
		return fallback, nil
	}
	return -1, soonest
}

// move returns req, not yet sent, placed on endpoint to instead of from,
// with what belongs to an origin made afresh for the new one when the origin
// changes.
func (set *endpointSet) move(cl *call, req *http.Request, from, to int) (*http.Request, error) {
	ob, nb := set.bases[from], set.bases[to]
	u := *req.URL
	u.Scheme, u.Host = nb.Scheme, nb.Host
	u.Path = nb.Path + strings.TrimPrefix(u.Path, ob.Path)
	if u.RawPath != "" {
		u.RawPath = nb.EscapedPath() + strings.TrimPrefix(u.RawPath, ob.EscapedPath())
	}
	next := req.Clone(req.Context())
	next.URL, next.Host = &u, u.Host
	if !shouldStripAuth(req.URL, &u) {
		return next, nil
	}
	// As built for the new origin: the caller's own headers, then the
	// jar's cookies and the credentials for it.
	c := cl.cfg
	var vals headerValues
	h, err := c.requestHeader(&vals)
	if err != nil {
		closeBody(next)
		return nil, wrapErr(next.Method, &u, ErrInvalidHeader, err)
	}
	for _, k := range [...]string{"Authorization", "Cookie"} {
		if v, ok := h[k]; ok {
			next.Header[k] = v
		} else {
			delete(next.Header, k)
		}
	}
	if err := addCookies(next, c, cl); err != nil {
		closeBody(next)
		return nil, wrapErr(next.Method, &u, ErrInvalidHeader, err)
	}
	if err := authenticate(next, c, nil); err != nil { // a path carries no user info
		closeBody(next)
		return nil, wrapErr(next.Method, &u, nil, err)
	}
	return next, nil
}

// locate returns the endpoint a request of a balanced call is placed on, or
// -1 when the call is not balanced or a redirect led elsewhere.
func (set *endpointSet) locate(cl *call, req *http.Request) int {
	if !cl.x().prot.balanced {
		return -1
	}
	host := hostKey(req.URL)
	for i, b := range set.bases {
		// The path at a segment boundary: base /api holds /api/x, not /apiv2.
		if hostKey(b) == host && (b.Path == "" || pathMatch(req.URL.Path, b.Path)) {
			return i
		}
	}
	return -1
}
