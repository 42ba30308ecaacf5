package requests

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
)

// kind is a sentinel error that also matches its parents with errors.Is, the
// way requests' exception classes inherit: a ConnectTimeout is both a
// ConnectionError and a Timeout.
type kind struct {
	msg     string
	parents []error
}

func (k *kind) Error() string { return k.msg }

func (k *kind) Is(target error) bool {
	for _, p := range k.parents {
		if p == target || errors.Is(p, target) {
			return true
		}
	}
	return false
}

func newKind(msg string, parents ...error) error { return &kind{msg: msg, parents: parents} }

// The sentinels below classify every failure, as requests' exceptions do.
// Match them with errors.Is; the error still unwraps to its cause.
var (
	// ErrConnection: the connection could not be made or broke (requests.ConnectionError).
	ErrConnection = newKind("connection error")
	// ErrTimeout: any timeout, connect or read (requests.Timeout).
	ErrTimeout = newKind("timeout")
	// ErrConnectTimeout: connecting (dial, TLS handshake, proxy tunnel) took too
	// long. It matches ErrConnection and ErrTimeout too.
	ErrConnectTimeout = newKind("connect timeout", ErrConnection, ErrTimeout)
	// ErrReadTimeout: the server sent nothing for the read timeout, before or
	// during the body. It matches ErrTimeout.
	ErrReadTimeout = newKind("read timeout", ErrTimeout)
	// ErrSSL: TLS failed, most often certificate verification. It matches ErrConnection.
	ErrSSL = newKind("tls error", ErrConnection)
	// ErrProxy: the proxy refused or failed. It matches ErrConnection.
	ErrProxy = newKind("proxy error", ErrConnection)
	// ErrTooManyRedirects: the redirect chain was longer than MaxRedirects.
	ErrTooManyRedirects = newKind("too many redirects")
	// ErrInvalidURL: the URL cannot be parsed or has no host.
	ErrInvalidURL = newKind("invalid url")
	// ErrMissingSchema: the URL has no scheme ("example.com/path"). It matches ErrInvalidURL.
	ErrMissingSchema = newKind("missing scheme", ErrInvalidURL)
	// ErrInvalidSchema: the URL's scheme is neither http, https nor a mounted prefix.
	// It matches ErrInvalidURL.
	ErrInvalidSchema = newKind("invalid scheme", ErrInvalidURL)
	// ErrInvalidHeader: a header name or value (or a value that becomes a
	// header: a cookie, a credential) holds bytes HTTP does not allow, such as
	// CR or LF, or starts with whitespace. Nothing was sent. A response
	// whose Content-Length is malformed (two different values, a negative
	// one) matches it too, with ErrConnection, as requests' InvalidHeader.
	ErrInvalidHeader = newKind("invalid header")
	// ErrInvalidMethod: the method is not an HTTP token. Nothing was sent.
	ErrInvalidMethod = newKind("invalid method")
	// ErrJSONDecode: Response.JSON could not decode the body.
	ErrJSONDecode = newKind("json decode error")
	// ErrInvalidJSON: the value given to the JSON option cannot be encoded.
	ErrInvalidJSON = newKind("invalid json body")
	// ErrContentDecoding: the body could not be decoded from its Content-Encoding.
	ErrContentDecoding = newKind("content decoding error")
	// ErrChunkedEncoding: the body ended before its announced end (a truncated
	// chunked or Content-Length body), requests' ChunkedEncodingError.
	ErrChunkedEncoding = newKind("incomplete body")
	// ErrBodyTooLarge: a buffered body was larger than MaxBodySize.
	ErrBodyTooLarge = newKind("body too large")
	// ErrRetry: the retry policy gave up (requests' RetryError).
	ErrRetry = newKind("retries exhausted")
	// ErrStreamConsumed: a streamed body was read twice.
	ErrStreamConsumed = newKind("stream already consumed")
	// ErrUnrewindableBody: the request body had to be sent again (redirect,
	// retry, auth challenge) but could not be rewound.
	ErrUnrewindableBody = newKind("unrewindable body")
	// ErrInvalidBody: a body option was given a value of a type it does not take.
	ErrInvalidBody = newKind("invalid body")
	// ErrSessionClosed: the Session was closed before the call.
	ErrSessionClosed = newKind("session closed")

	// errResponseFraming: the response's Content-Length cannot frame its
	// body. The connection is unusable (ErrConnection) and the header
	// invalid (ErrInvalidHeader).
	errResponseFraming = newKind("invalid response header", ErrConnection, ErrInvalidHeader)
	// ErrSessionOption: an option that shapes the Session's connections
	// (PoolSize, PoolBlock, DialContext) was given to one call with a value
	// other than the Session's. Give it to NewSession or Update instead.
	// Nothing was sent.
	ErrSessionOption = newKind("session-only option given to a call")
)

// Error is the error every call returns: the request's method and URL (with
// any password masked), the sentinel that classifies the failure, and the cause.
// errors.Is matches both the sentinel and anything in the cause's chain.
type Error struct {
	Method string
	URL    string
	Kind   error // one of the Err* sentinels, or nil when only the cause tells
	Err    error // the cause: a *url.Error, net.Error, context.Canceled, ...
}

func (e *Error) Error() string {
	if e.Method == "" && e.URL == "" {
		return e.detail()
	}
	return e.Method + " " + e.URL + ": " + e.detail()
}

// detail is the message without the method and URL.
func (e *Error) detail() string {
	var b strings.Builder
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
		if e.Err != nil {
			b.WriteString(": ")
		}
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause, so errors.Is and errors.As see both.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Timeout reports whether the failure is a timeout, as net.Error does.
func (e *Error) Timeout() bool { return errors.Is(e, ErrTimeout) }

// HTTPError is what Response.Raise returns for a 4xx or 5xx status
// (requests.HTTPError). Its Response is the one that failed.
type HTTPError struct {
	Response *Response
}

func (e *HTTPError) Error() string {
	r := e.Response
	if r == nil {
		return "HTTP error without a response"
	}
	class := "Server"
	if r.StatusCode < 500 {
		class = "Client"
	}
	return fmt.Sprintf("%d %s Error: %s for url: %s", r.StatusCode, class, r.Reason, redactRaw(r.URL))
}

// StatusCode is the status of the failed response.
// It is 0 when there is no Response.
func (e *HTTPError) StatusCode() int {
	if e.Response == nil {
		return 0
	}
	return e.Response.StatusCode
}

// wrapErr builds the *Error for a failed call, with the password in the URL
// masked, in the URL and in the cause's message alike.
func wrapErr(method string, u *url.URL, k, err error) error {
	s := ""
	if u != nil {
		s = u.Redacted()
		if pw, ok := u.User.Password(); ok && err != nil {
			err = hidePassword(err, pw)
		}
	}
	return &Error{Method: method, URL: s, Kind: k, Err: err}
}

// wrapRawErr is wrapErr for a URL that did not parse: the text is masked by hand.
func wrapRawErr(method, raw string, k, err error) error {
	return &Error{Method: method, URL: redactRaw(raw), Kind: k, Err: scrubURLError(err)}
}

// hidePassword masks pw wherever err's message shows it as a URL's
// password (":pw@", spelt raw or percent-escaped in any way), which a
// mounted RoundTripper or a library below might do. errors.Is and
// errors.As still see err itself.
func hidePassword(err error, pw string) error {
	if pw == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, "@") {
		return err
	}
	var b strings.Builder
	last := 0 // msg[:last] is settled
	for at := strings.IndexByte(msg, '@'); at >= 0; {
		// A spelling of pw is at most 3 bytes per byte of it.
		for j := at - 1; j >= last && j >= at-3*len(pw)-1; j-- {
			if msg[j] != ':' {
				continue
			}
			if got, err := url.PathUnescape(msg[j+1 : at]); err == nil && got == pw {
				b.WriteString(msg[last : j+1])
				b.WriteString("xxxxx")
				last = at
				break
			}
		}
		next := strings.IndexByte(msg[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
	if last == 0 {
		return err
	}
	b.WriteString(msg[last:])
	return &maskedError{err: err, msg: b.String()}
}

// maskedError is a cause whose message had a password masked.
type maskedError struct {
	err error
	msg string
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// redactRaw masks a password in a URL string that may not parse.
func redactRaw(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	// The authority runs from "//" (after the scheme, or at the start of a
	// scheme-relative URL) to the first "/", "?" or "#"; its userinfo ends
	// at its last "@".
	i := schemeLen(raw)
	switch {
	case i > 0 && strings.HasPrefix(raw[i:], "://"):
		i++
	case strings.HasPrefix(raw, "//"):
		i = 0
	default:
		return raw
	}
	head, rest := raw[:i+2], raw[i+2:]
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(authority[:at], ":")
	if !hasPass {
		return raw
	}
	return head + user + ":xxxxx" + rest[at:]
}

// schemeLen is the length of the scheme raw starts with (RFC 3986: a letter,
// then letters, digits, "+", "-" or "."), 0 when it starts with none. A
// "://" later in the URL, in a password for instance, is not a scheme's.
func schemeLen(raw string) int {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return i
		}
	}
	return len(raw)
}

// scrubURLError replaces a *url.Error's URL with its masked form, since
// url.Parse quotes the whole input, password included, in its message.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactRaw(ue.URL), Err: ue.Err}
	}
	return err
}

// classify picks the sentinel for a transport-level failure. cause is the
// call's own cancellation cause (a timeout it fired), if any.
func classify(err, cause error) error {
	switch {
	case cause == ErrConnectTimeout || cause == ErrReadTimeout:
		return cause
	case errors.Is(err, ErrProxy), errors.Is(err, ErrSSL), errors.Is(err, ErrDeniedAddress), errors.Is(err, ErrContentDecoding),
		errors.Is(err, ErrChunkedEncoding), errors.Is(err, ErrBodyTooLarge), errors.Is(err, ErrUnrewindableBody):
		return nil // already classified where it happened
	case errors.Is(err, context.Canceled):
		return nil
	}
	var (
		certErr    *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
		opErr      *net.OpError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return ErrSSL
	case errors.As(err, &opErr) && (opErr.Op == "remote error" || opErr.Op == "local error"):
		// crypto/tls reports alerts (a peer refusing the handshake: no
		// client certificate, no common version) as these operations.
		return ErrSSL
	case errors.As(err, &opErr) && (opErr.Op == "proxyconnect" || strings.HasPrefix(opErr.Op, "socks ")):
		// A proxy that cannot be reached, or a SOCKS handshake that failed.
		return ErrProxy
	case errors.As(err, &opErr) && opErr.Op == "dial":
		if opErr.Timeout() {
			return ErrConnectTimeout
		}
		return ErrConnection
	case errors.Is(err, context.DeadlineExceeded):
		// The caller's deadline, past the connect phase (a dial that runs
		// out of time is a connect timeout, above).
		return ErrTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		// The Transport's own TLS handshake timeout lands here too; the
		// caller, which knows the phase, makes that a connect timeout.
		return ErrReadTimeout
	case badContentLength(err):
		return errResponseFraming
	}
	return ErrConnection
}

// badContentLength reports whether the Transport refused a response for its
// Content-Length: values that differ, or one that is not a non-negative
// number. net/http reports these as plain fmt.Errorf text with no type to
// match (transfer.go: fixLength, parseContentLength), so its exact wording
// is matched here; the protocol fault scenarios pin it.
func badContentLength(err error) bool {
	s := err.Error()
	return strings.Contains(s, "http: message cannot contain multiple Content-Length headers") ||
		strings.Contains(s, `bad Content-Length "`) ||
		strings.Contains(s, `invalid empty Content-Length "`)
}

// classifyBody is classify for a failure while reading a response body. As
// in requests, a body cut short or with broken chunked framing is
// ErrChunkedEncoding; a network failure such as a reset stays
// ErrConnection. (Cut short while reading the headers, there was no body to
// be incomplete: that is ErrConnection.)
func classifyBody(err, cause error) error {
	k := classify(err, cause)
	if k == ErrConnection {
		// The chunked reader's errors are plain errors; network errors
		// are net.Errors.
		var ne net.Error
		if errors.Is(err, io.ErrUnexpectedEOF) || !errors.As(err, &ne) {
			return ErrChunkedEncoding
		}
	}
	return k
}

// errNilRequest is the cause when Send is given no request.
var errNilRequest = errors.New("nil request")

// withMethod fills in the method of an error made before it was known.
func (e *Error) withMethod(m string) *Error {
	e.Method = m
	return e
}
