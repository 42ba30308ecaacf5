package requests

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-requests/requests/internal/redact"
)

// Logger makes calls log to l: one record per attempt, redirect hops and
// answered challenges included. A response is logged once its body was read
// (or drained, for a hop or a retried attempt), a streamed one when it is
// handed over (bytes -1), a failure when it happens. Records are at Debug,
// or at Warn for a failure and for a response that is retried or exhausts
// the retries. Their attributes: method, url (with its password and
// credential query parameters masked), status, duration (to the response
// headers), bytes (of the body, decoded), attempt (1 for the first try of a
// request) and, on failure, error_kind: the name of the sentinel, such as
// "ErrConnectTimeout". Headers and bodies are never logged (see Dump).
// Records are logged with the call's context, so that a handler can add
// what the caller's Context carries (a trace ID, say).
// Logger(nil), the default, logs nothing.
func Logger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.Logger = l })
}

// logMsg is every record's message.
const logMsg = "http request"

// logResponse logs a response whose body was read (n bytes; -1 for a
// stream handed over), once. err is a failure to read it.
func (r *Response) logResponse(n int64, err error) {
	l := r.call.cfg.Logger
	if l == nil || r.flags.Or(flagLogged)&flagLogged != 0 {
		return
	}
	level := slog.LevelDebug
	if err != nil || r.warn {
		level = slog.LevelWarn
	}
	if !l.Enabled(r.call, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Request.Method),
		slog.String("url", redact.RedactURL(r.Request.URL)),
		slog.Int("status", r.StatusCode),
		slog.Duration("duration", r.Elapsed),
		slog.Int64("bytes", n),
		slog.Int("attempt", r.Retries+1),
	}
	switch {
	case err != nil:
		attrs = append(attrs, slog.String("error_kind", kindName(err)))
	case r.gaveUp:
		attrs = append(attrs, slog.String("error_kind", "ErrRetry"))
	}
	attrs = r.call.protAttrs(attrs, err)
	l.LogAttrs(r.call, level, logMsg, attrs...)
}

// logFailure logs an attempt that got no response.
func (c *call) logFailure(req *http.Request, err error) {
	l := c.cfg.Logger
	if l == nil || !l.Enabled(c, slog.LevelWarn) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("url", redact.RedactURL(req.URL)),
		slog.Int("attempt", int(c.tries)+1),
		slog.String("error_kind", kindName(err)),
	}
	l.LogAttrs(c, slog.LevelWarn, logMsg, c.protAttrs(attrs, err)...)
}

// protAttrs adds what the Session's protections did to the call: the time
// it waited for the rate limiter, the endpoint it was placed on, the
// endpoints it left after a failure or skipped with their breaker open,
// and when a breaker that refused it lets a probe through.
func (c *call) protAttrs(attrs []slog.Attr, err error) []slog.Attr {
	if c.ext != nil {
		p := &c.ext.prot
		if p.waited > 0 {
			attrs = append(attrs, slog.Duration("limiter_wait", p.waited))
		}
		if p.balanced {
			attrs = append(attrs, slog.String("endpoint", c.cfg.endpoints.raw[p.ep]))
		}
		if len(p.moves) > 0 {
			attrs = append(attrs, slog.Any("moved_from", p.moves))
		}
		if len(p.skipped) > 0 {
			attrs = append(attrs, slog.Any("skipped_open", p.skipped))
		}
	}
	var open *CircuitOpenError
	if err != nil && errors.As(err, &open) {
		attrs = append(attrs, slog.String("breaker_host", open.Host), slog.Time("retry_at", open.RetryAt))
	}
	return attrs
}

// kindNames are the sentinels' names, as a log shows them.
var kindNames = []struct {
	kind error
	name string
}{
	// Most specific first: a kind matches its parents too.
	{ErrCircuitOpen, "ErrCircuitOpen"}, {ErrRateLimited, "ErrRateLimited"},
	{ErrDeniedAddress, "ErrDeniedAddress"}, {ErrInvalidAddress, "ErrInvalidAddress"},
	{ErrSessionOption, "ErrSessionOption"}, {ErrNotEventStream, "ErrNotEventStream"},
	{ErrPageLoop, "ErrPageLoop"}, {ErrTooManyPages, "ErrTooManyPages"},
	{ErrConnectTimeout, "ErrConnectTimeout"}, {ErrReadTimeout, "ErrReadTimeout"},
	{ErrSSL, "ErrSSL"}, {ErrProxy, "ErrProxy"}, {ErrRetry, "ErrRetry"},
	{ErrMissingSchema, "ErrMissingSchema"}, {ErrInvalidSchema, "ErrInvalidSchema"},
	{ErrInvalidURL, "ErrInvalidURL"}, {ErrInvalidHeader, "ErrInvalidHeader"},
	{ErrInvalidMethod, "ErrInvalidMethod"}, {ErrTooManyRedirects, "ErrTooManyRedirects"},
	{ErrJSONDecode, "ErrJSONDecode"}, {ErrInvalidJSON, "ErrInvalidJSON"},
	{ErrContentDecoding, "ErrContentDecoding"}, {ErrChunkedEncoding, "ErrChunkedEncoding"},
	{ErrBodyTooLarge, "ErrBodyTooLarge"}, {ErrStreamConsumed, "ErrStreamConsumed"},
	{ErrUnrewindableBody, "ErrUnrewindableBody"}, {ErrInvalidBody, "ErrInvalidBody"},
	{ErrSessionClosed, "ErrSessionClosed"}, {ErrTimeout, "ErrTimeout"}, {ErrConnection, "ErrConnection"},
	{context.Canceled, "context.Canceled"}, {context.DeadlineExceeded, "context.DeadlineExceeded"},
}

// kindName names the sentinel err matches, or "" for none.
func kindName(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != nil {
		err = e.Kind
	}
	for _, k := range kindNames {
		if errors.Is(err, k.kind) {
			return k.name
		}
	}
	return ""
}
