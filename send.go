package requests

// This file is the path of one request, in call order: Do (or Send) builds
// it, send drives it, followRedirects follows the chain, sendWithRetries
// repeats a request as the retry policy allows, and roundTrip puts it on the
// wire and wraps the response. Policy details live beside: redirect.go
// (methods and credentials per hop), retry.go (when and how long to wait),
// auth.go (challenges).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Do sends a request with any method (requests' s.request): the Session's
// defaults merged with opts, redirects followed, and by default the body read
// in full and the connection returned to the pool before it returns. On
// error the Response is nil and nothing needs closing.
func (s *Session) Do(method, rawURL string, opts ...Option) (*Response, error) {
	if s.closed.Load() {
		return nil, wrapRawErr(method, rawURL, ErrSessionClosed, nil)
	}
	cl := s.newCall(opts)
	cl.rawURL = rawURL
	req, err := s.build(cl, cl.cfg, method, rawURL)
	if err != nil {
		cl.release()
		return nil, err
	}
	return s.send(cl, req)
}

// Prepare builds the request Do would send, without sending it (requests'
// prepare_request): the URL with its params, the merged headers, the body,
// auth and the Session's cookies. Change it as needed and pass it to Send.
func (s *Session) Prepare(method, rawURL string, opts ...Option) (*http.Request, error) {
	c := s.callConfig(opts)
	return s.build(nil, c, method, rawURL)
}

// Send sends a prepared request (requests' s.send) with the Session's
// redirects, cookies, timeouts, TLS settings and hooks. opts may set those
// (Timeout, AllowRedirects, Stream, Verify, Hook, ...); options that build a
// request (headers, params, bodies) were for Prepare and are ignored here.
// The request's own context, if any, governs the call unless opts give one.
func (s *Session) Send(req *http.Request, opts ...Option) (*Response, error) {
	if req == nil || req.URL == nil {
		return nil, &Error{Method: "", URL: "", Kind: ErrInvalidURL, Err: errNilRequest}
	}
	c := s.callConfig(opts)
	if c.err != nil {
		return nil, wrapErr(req.Method, req.URL, nil, c.err)
	}
	if c.ctx == nil && req.Context() != context.Background() {
		c.ctx = req.Context()
	}
	if s.closed.Load() {
		return nil, wrapErr(req.Method, req.URL, ErrSessionClosed, nil)
	}
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	cl := newCall(c)
	req = req.WithContext(cl.context())
	// As for Do: the read timeout follows the upload, and the body can be
	// rewound safely for a redirect or a challenge.
	req.Body = cl.timedUpload(req.Body)
	return s.send(cl, req)
}

// build turns a method, URL and merged options into the request to send, as
// requests' prepare does: URL checked and its params merged, headers merged
// and checked, body encoded, cookies and auth applied. Nothing is sent, and a
// bad input is a typed error. cl is nil for Prepare.
func (s *Session) build(cl *call, c *config, method, rawURL string) (*http.Request, error) {
	if c.err != nil {
		return nil, wrapRawErr(method, rawURL, nil, c.err)
	}
	method, err := checkMethod(method)
	if err != nil {
		return nil, wrapRawErr(method, rawURL, ErrInvalidMethod, err)
	}
	u, err := s.callURL(cl, c, rawURL)
	if err != nil {
		return nil, err.(*Error).withMethod(method)
	}
	mergeURLQuery(u, c.query)
	// The user info is credentials (sent as Basic auth below): taken out of
	// the URL so that no Response.URL, History or error shows it.
	fromURL := urlAuth(u.User)
	u.User = nil

	var vals headerValues
	if cl != nil {
		vals = cl.hdr[:0]
	} else {
		vals = make(headerValues, 0, len(c.baseHeader)+2)
	}
	h, err := c.requestHeader(&vals)
	if err != nil {
		return nil, wrapErr(method, u, ErrInvalidHeader, err)
	}
	host, err := requestHost(h, u.Host)
	if err != nil {
		return nil, wrapErr(method, u, nil, err)
	}

	b, err := c.body.encode()
	if err != nil {
		return nil, wrapErr(method, u, nil, err)
	}
	if c.UploadProgress != nil {
		b = b.withProgress(c.UploadProgress, c.ProgressInterval)
	}
	if cl != nil {
		b = b.trackedBy(cl)
	}
	if b.contentType != "" && h.Get("Content-Type") == "" {
		h["Content-Type"] = vals.one(b.contentType)
	}

	var ctx context.Context = context.Background()
	if cl != nil {
		ctx = cl.context()
	} else {
		if c.ctx != nil {
			ctx = c.ctx
		}
		// For Curl, which reads the settings a request was built with.
		ctx = context.WithValue(ctx, preparedKey{}, c)
	}
	// Only WithContext sets a request's context: filled in on the stack and
	// copied once, the request costs one allocation instead of two.
	tmpl := http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Host:          host,
		ContentLength: b.length,
		GetBody:       b.getBody,
	}
	if b.r != nil {
		tmpl.Body = b.r
		if cl != nil && !(b.inMemory && b.length <= directUpload) {
			tmpl.Body = cl.timedUpload(b.r)
		}
	} else {
		tmpl.ContentLength = 0
	}
	var req *http.Request
	if cl != nil {
		// The call's first request lives in the call: WithContext's copy is
		// made on the stack and copied in.
		cl.req = *tmpl.WithContext(ctx)
		req = &cl.req
	} else {
		req = tmpl.WithContext(ctx)
	}

	if err := addCookies(req, c, cl); err != nil {
		closeBody(req)
		return nil, wrapErr(method, u, ErrInvalidHeader, err)
	}
	if err := authenticate(req, c, fromURL); err != nil {
		closeBody(req)
		return nil, wrapErr(method, u, nil, err)
	}
	return req, nil
}

// send runs a built request, Do's and Send's alike: redirects followed,
// hooks run, and unless the call streams, the body read in full and the
// call's resources released.
func (s *Session) send(cl *call, req *http.Request) (*Response, error) {
	cl.ephemeral = s.ephemeral && cl.jar == nil
	resp, err := s.followRedirects(cl, req)
	if err != nil {
		cl.release()
		return nil, err
	}
	if !cl.cfg.Stream {
		err := resp.load()
		cl.release()
		if err != nil {
			return nil, err
		}
	} else {
		resp.logResponse(-1, nil)
	}
	streamOpened(cl)
	if err := runHooks(cl, resp); err != nil {
		resp.Close()
		return nil, err
	}
	return resp, nil
}

// runHooks runs the call's response hooks on resp, as requests' dispatch_hook
// does on each response of a chain; the first error stops them.
func runHooks(cl *call, resp *Response) error {
	for _, h := range cl.cfg.Hooks {
		if err := h(resp); err != nil {
			return wrapErr(resp.Request.Method, resp.Request.URL, nil, err)
		}
	}
	return nil
}

// followRedirects sends req and follows its redirects as requests'
// resolve_redirects does, answering authentication challenges on the way, and returns the
// final Response with the hops (redirects and answered 401s) in History.
// Each hop's body is drained (raw, bounded) and closed so its connection is
// reused.
func (s *Session) followRedirects(cl *call, req *http.Request) (*Response, error) {
	c := cl.cfg
	follow := req.Method != http.MethodHead
	if c.AllowRedirects != nil {
		follow = *c.AllowRedirects
	}
	var history []*Response
	redirects := 0
	stripped := false // credentials dropped once stay dropped for the rest of the chain
	for {
		resp, err := s.sendWithRetries(cl, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && !stripped {
			if resp, req, err = s.answerChallenges(cl, req, resp, &history); err != nil {
				return nil, err
			}
		}
		resp.History = history[:len(history):len(history)]
		if !follow || !resp.IsRedirect() {
			return resp, nil
		}
		// Drained first: a body to send again may only be had once the
		// Transport is done with this exchange.
		resp.discard()
		if cause := cl.timeoutCause(); cause != nil {
			// The hop's body stalled: as in requests, that ends the call,
			// whether or not a retry policy scoped the timeout to the hop.
			return nil, wrapErr(req.Method, req.URL, cause, cl.timeoutErr(cause))
		}
		if err := runHooks(cl, resp); err != nil {
			return nil, err
		}
		if redirects >= c.MaxRedirects {
			return nil, wrapErr(req.Method, req.URL, ErrTooManyRedirects,
				fmt.Errorf("exceeded %d redirects", c.MaxRedirects))
		}
		next, err := s.redirectRequest(cl, req, resp, &stripped)
		if err != nil {
			return nil, err
		}
		history = append(history, resp)
		redirects++
		req = next
	}
}

// addHop appends a hop to a chain's history; the hop's own History is the
// hops before it, as in requests. It shares the chain's array, capped so that
// appending to it copies.
func addHop(history []*Response, hop *Response) []*Response {
	hop.History = history[:len(history):len(history)]
	return append(history, hop)
}

// sendWithRetries sends one request of the chain, and sends it again while
// the call's retry policy says so (the policy's rules are in retry.go). Only
// the request put on the wire is repeated: redirects are followed around it.
func (s *Session) sendWithRetries(cl *call, req *http.Request) (*Response, error) {
	p := cl.cfg.Retry
	if p == nil {
		return s.trip(cl, req)
	}
	budget := newBudget(p)
	check := p.CheckRetry
	if check == nil {
		check = p.Retryable
	}
	if p.IdempotencyKey {
		req = cl.withIdempotencyKey(req)
	}
	shared := s.retryBudget(p.Budget)
	if shared != nil {
		shared.deposit(p.Budget)
	}
	for n := 0; ; n++ {
		cl.tries = int32(n)
		resp, err := s.trip(cl, req)
		a := RetryAttempt{Request: req, Response: resp, Err: err, Sent: err == nil || s.sent(cl, req, err), Retries: n}
		if resp != nil {
			resp.Retries = n
			a.Request = resp.Request
		}
		if !check(a) || budget.forbids(a) || refused(err) {
			return resp, err
		}
		if resp != nil {
			resp.warn = true
		}
		wait, honoured := p.wait(a)
		if !honoured || !cl.fitsDeadline(wait) || !budget.take(a) ||
			shared != nil && !shared.withdraw(p.Budget) {
			if resp != nil {
				resp.gaveUp = true
			}
			return p.giveUp(a)
		}
		if resp != nil {
			resp.discard() // first: the transport may hold the body until then
		}
		next, rerr := cl.again(req, "a retry")
		if rerr != nil {
			var e *Error
			if errors.As(rerr, &e) {
				// A failure has no response to tell the status of.
				var after error
				if err != nil {
					after = detached(err)
				} else {
					after = fmt.Errorf("status %d", resp.StatusCode)
				}
				e.Err = fmt.Errorf("%w, for a retry after %w", e.Err, after)
			}
			return nil, rerr
		}
		if err := cl.sleep(wait); err != nil {
			closeBody(next)
			return nil, wrapErr(req.Method, req.URL, classify(err, nil), err)
		}
		req = next
	}
}

// roundTrip sends one request on the wire and wraps its response.
func (s *Session) roundTrip(cl *call, req *http.Request) (*Response, error) {
	rt, err := s.roundTripper(cl, req.URL)
	if err != nil {
		closeBody(req)
		return nil, wrapErr(req.Method, req.URL, ErrSSL, err)
	}
	if q := requoteQuery(req.URL.RawQuery); q != req.URL.RawQuery {
		// A request from Send or a redirect's Location: a raw space in the
		// query would split the request line.
		u := *req.URL
		u.RawQuery = q
		req = req.WithContext(req.Context())
		req.URL = &u
	}
	// The attempt's context first: routing Proxy-Authorization adds to it.
	req = cl.startAttempt(req)
	_, ownTransport := rt.(*http.Transport)
	if ownTransport {
		var connectAuth string
		if req, connectAuth = routeProxyAuth(cl.cfg, req); connectAuth != "" {
			// Tunnels opened with these credentials are pooled apart.
			if rt, err = s.transport(cl.cfg, req.URL, connectAuth); err != nil {
				closeBody(req)
				return nil, wrapErr(req.Method, req.URL, ErrSSL, err)
			}
		}
	}
	sendReq, dump := req, (*dumpAttempt)(nil)
	if cl.cfg.Dump != nil {
		sendReq, dump = cl.dumpRequest(req)
	}
	start := now()
	hr, err := cl.wrapped(rt).RoundTrip(sendReq)
	cl.stop()
	if at := cl.attempt(); at != nil {
		at.end(hr)
	}
	if err != nil {
		cause := cl.timeoutCause()
		if cause != nil {
			err = cl.timeoutErr(cause)
		}
		kind := classify(err, cause)
		if kind == ErrReadTimeout && ownTransport && cl.connecting() {
			// The Transport's own TLS handshake timeout: no connection
			// was had yet, so it timed out connecting.
			kind = ErrConnectTimeout
		}
		err = wrapErr(req.Method, req.URL, kind, err)
		cl.logFailure(req, err)
		if dump != nil {
			dump.response(nil, err)
		}
		return nil, err
	}
	if hr == nil {
		// http.Client fails the same way: a RoundTripper owes a response
		// or an error.
		closeBody(req)
		return nil, wrapErr(req.Method, req.URL, ErrConnection, fmt.Errorf("%T returned no response and no error", rt))
	}
	if hr.Body == nil {
		hr.Body = http.NoBody // as http.Client does
	}
	elapsed := now() - start
	if hr.StatusCode == http.StatusSwitchingProtocols && req.Header.Get("Upgrade") == "" {
		// The connection now speaks something else; as a body it would
		// never end (RFC 9110 15.2.2: a server must not switch unasked).
		hr.Body.Close()
		return nil, wrapErr(req.Method, req.URL, ErrConnection, errors.New("server switched protocols unasked"))
	}
	if ownTransport && unknownProtocol(rt, hr) {
		hr.Body.Close()
		return nil, wrapErr(req.Method, req.URL, ErrConnection, fmt.Errorf("unknown protocol %q in the status line", hr.Proto))
	}
	if dump != nil {
		dump.response(hr, nil)
	}
	dropDesynced(rt, hr)
	storeCookies(cl, req.URL, hr.Header)
	return newResponse(hr, req, elapsed, cl), nil
}
