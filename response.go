package requests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-requests/requests/internal/charset"
	"github.com/go-requests/requests/internal/decode"
)

// acceptEncoding advertises only the codings the library decodes.
const acceptEncoding = decode.AcceptEncoding

// drainLimit bounds the bytes read from a redirect hop's body so that its
// connection can be reused; a longer body closes the connection instead.
const drainLimit = 64 << 10

// Response is a server's answer to a call (requests.Response). By default its
// body has been read in full and its connection returned to the pool, so
// Close is optional. With Stream(true) the body is still open: read it with
// Body, IterContent or IterLines, and Close the Response.
type Response struct {
	StatusCode int           // 200
	Reason     string        // "OK", the text after the status code
	Headers    http.Header   // response headers; Get is case-insensitive
	URL        string        // the final URL, after redirects
	History    []*Response   // the redirects (and answered 401 challenges) that led here, oldest first; their bodies are drained, and each one's History holds those before it
	Elapsed    time.Duration // from sending the request to parsing the response headers
	Request    *http.Request // the request that produced this response
	// Encoding is the charset Text decodes with: from the Content-Type, or
	// empty to let Text guess it from the body (ApparentEncoding). Set it
	// before Text to override, as in requests.
	Encoding string
	// Retries counts the times the request was sent again under the Retry
	// policy before this response came back: 0 when the first attempt did.
	Retries int

	raw    *http.Response
	call   *call
	timing *attemptTrace // under Trace(true)
	tb     timedBody     // the body's read timeout, allocated with the Response

	mu       sync.Mutex // guards the fields below; held while Content reads the body
	content  []byte
	loaded   bool // content holds the whole decoded body
	consumed bool // the stream was handed out or read
	warn     bool // logged at Warn: retried, or the retries ran out
	gaveUp   bool // the retries ran out on this response's status
	// flags holds flagClosed and flagLogged, atomically (not under mu); it
	// sits here, in what would be padding, to keep a Response, and so a
	// call, within its allocation size class.
	flags   atomic.Uint32
	bodyErr error // why the body could not be read

	smu    sync.Mutex    // guards stream alone, so Close never waits for a read
	stream io.ReadCloser // the decoded stream handed out, closed by Close
}

// The bits of Response.flags.
const (
	flagClosed uint32 = 1 << iota // Close was called
	flagLogged                    // the Logger has its record
)

// isClosed reports whether Close was called.
func (r *Response) isClosed() bool { return r.flags.Load()&flagClosed != 0 }

func newResponse(hr *http.Response, req *http.Request, elapsed time.Duration, cl *call) *Response {
	reason := hr.Status
	if i := strings.IndexByte(reason, ' '); i >= 0 {
		reason = reason[i+1:]
	} else {
		reason = http.StatusText(hr.StatusCode)
	}
	if !utf8.ValidString(reason) {
		// As requests: a reason that is not UTF-8 is ISO-8859-1.
		reason = charset.Decode([]byte(reason), "iso-8859-1")
	}
	r := cl.response()
	*r = Response{
		StatusCode: hr.StatusCode,
		Reason:     reason,
		Headers:    hr.Header,
		URL:        cl.urlString(req.URL),
		Elapsed:    elapsed,
		Request:    req,
		Encoding:   charset.FromContentType(hr.Header.Get("Content-Type")),
		raw:        hr,
		call:       cl,
		timing:     cl.attempt(),
	}
	return r
}

// hasBody reports whether the response can carry a body at all.
func (r *Response) hasBody() bool {
	return r.Request.Method != http.MethodHead && r.StatusCode != http.StatusNoContent &&
		r.StatusCode != http.StatusNotModified && r.StatusCode >= 200
}

// open returns the decoded body as a stream: progress counted on the raw
// bytes, the read timeout enforced on every read, the Content-Encoding
// undone, the size guard applied. raw is the reader under the decoder, for
// finish to drain. The body is opened once per Response (load, or the stream
// handed out once).
func (r *Response) open(limit int64) (dec io.ReadCloser, raw io.Reader, err error) {
	var rc io.ReadCloser = r.raw.Body
	if c := r.call.cfg; (c.DownloadProgress != nil || c.DownloadProgressErr != nil) && r.hasBody() {
		p := newProgressReader(rc, c.DownloadProgress, c.ProgressInterval, r.raw.ContentLength)
		p.stop = c.DownloadProgressErr
		rc = p
	}
	if r.call.cfg.ReadTimeout > 0 {
		r.tb = timedBody{rc: rc, c: r.call}
		rc = &r.tb
	}
	if enc := r.raw.Header["Content-Encoding"]; len(enc) > 0 && r.hasBody() {
		d, err := decode.NewReaderValues(rc, enc, limit)
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		return d, rc, nil
	}
	return rc, rc, nil
}

// finish closes a body read to its end. What the decoder left unread of
// the raw body (a chunked body's last chunk, bytes after a gzip member) is
// drained first, bounded, because net/http returns an HTTP/1 connection to
// the pool only once its body was read to EOF.
func finish(dec io.ReadCloser, raw io.Reader) {
	if raw != io.Reader(dec) {
		io.CopyN(io.Discard, raw, drainLimit)
	}
	dec.Close()
}

// load reads the whole body into memory and closes it, which returns the
// connection to the pool.
func (r *Response) load() error {
	limit := r.call.cfg.MaxBodySize
	dec, raw, err := r.open(limit)
	switch {
	case err != nil:
	case !r.hasBody():
		// HEAD, 204, 304: the announced size is of a body that never
		// comes, so nothing is read, reserved or checked against the cap.
		r.content = []byte{}
		dec.Close()
	default:
		length := r.raw.ContentLength
		if raw != io.Reader(dec) {
			length = -1 // the encoded length says little about the decoded one
		}
		r.content, err = readAll(dec, length, limit)
		if err == nil {
			finish(dec, raw)
		} else {
			dec.Close()
		}
	}
	r.loaded, r.consumed = true, true
	r.timing.bodyDone()
	if err != nil {
		r.content = nil
		r.bodyErr = r.bodyError(err)
		r.logResponse(0, r.bodyErr)
		return r.bodyErr
	}
	r.logResponse(int64(len(r.content)), nil)
	return nil
}

// bodyError classifies an error met while reading the body.
func (r *Response) bodyError(err error) error {
	var k error
	switch {
	case errors.As(err, new(*Error)):
		return err // already classified
	case errors.As(err, new(*stoppedError)):
		k = nil // the caller's own reason, not a failure of the transfer
	case errors.Is(err, decode.ErrBodyTooLarge):
		k = ErrBodyTooLarge
	case errors.Is(err, decode.ErrDecode), errors.Is(err, decode.ErrUnsupported), errors.Is(err, decode.ErrTooManyCodings):
		k = ErrContentDecoding
	default:
		k = classifyBody(err, r.call.timeoutCause())
	}
	return wrapErr(r.Request.Method, r.Request.URL, k, err)
}

// presizeMax bounds the buffer a Content-Length may reserve before any byte
// arrives: the header is the server's word, and a HEAD, or a server that
// announces 64 MiB and sends one byte, must not cost that memory.
const presizeMax = 64 << 10

// readAll reads rc to its end, growing with the bytes received (sized by
// the Content-Length only up to presizeMax), and fails with
// ErrBodyTooLarge past limit (when limit > 0). A length over limit fails
// at once.
func readAll(rc io.Reader, length, limit int64) ([]byte, error) {
	if limit > 0 && length > limit {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d", ErrBodyTooLarge, length, limit)
	}
	size := int64(512)
	if length >= 0 {
		size = min(length+1, presizeMax) // +1 so that EOF is seen without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = grow(buf, length)
		}
		n, err := rc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if limit > 0 && int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// grow returns full with more room. A known length is trusted only as far
// as the bytes received back it: the buffer grows at most fourfold at a
// time, straight to length+1 (room to see EOF) once that is within reach,
// so that a 1 MiB body costs 64 KiB + 256 KiB + 1 MiB of allocation, not
// the many copies append's 1.25× growth makes. Without a length it
// doubles.
func grow(full []byte, length int64) []byte {
	c := int64(cap(full))
	n := 2 * c
	if length >= 0 {
		n = 4 * c
		if n >= length && length+1 > c {
			n = length + 1
		}
	}
	out := make([]byte, len(full), n)
	copy(out, full)
	return out
}

// discard drains a redirect hop's body, raw and bounded, and closes it.
func (r *Response) discard() {
	var rc io.ReadCloser = r.raw.Body
	if r.call.cfg.ReadTimeout > 0 {
		r.tb = timedBody{rc: rc, c: r.call}
		rc = &r.tb
	}
	n, _ := io.CopyN(io.Discard, rc, drainLimit)
	rc.Close()
	r.timing.bodyDone()
	r.logResponse(n, nil)
	r.loaded, r.consumed = true, true
	r.flags.Or(flagClosed)
}

// OK reports whether the status is below 400 (requests' r.ok).
func (r *Response) OK() bool { return r.StatusCode < 400 }

// Raise returns an *HTTPError for a 4xx or 5xx status and nil otherwise
// (requests' raise_for_status). Its message reads
// "404 Client Error: Not Found for url: https://example.com/x".
func (r *Response) Raise() error {
	if r.StatusCode >= 400 && r.StatusCode < 600 {
		return &HTTPError{Response: r}
	}
	return nil
}

// Content returns the body decoded from its Content-Encoding (requests'
// r.content). For a streamed response it reads the rest of the body first;
// if that fails, or the stream was already consumed, it returns nil and
// JSON reports why.
func (r *Response) Content() []byte {
	b, _ := r.contentErr()
	return b
}

// contentErr is Content with the reason it is nil.
func (r *Response) contentErr() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.loaded {
		switch {
		case r.consumed:
			return nil, wrapErr(r.Request.Method, r.Request.URL, ErrStreamConsumed, nil)
		case r.isClosed():
			return nil, wrapErr(r.Request.Method, r.Request.URL, nil, http.ErrBodyReadAfterClose)
		}
		r.load()
		r.call.release()
	}
	return r.content, r.bodyErr
}

// Text returns the body as a string, decoded from Encoding, or from the
// charset guessed from the body when Encoding is empty (requests' r.text).
// Bytes that do not decode become U+FFFD; the result is always valid UTF-8.
func (r *Response) Text() string {
	b := r.Content()
	enc := r.Encoding
	if enc == "" {
		enc = charset.Sniff(b)
	}
	return charset.Decode(b, enc)
}

// ApparentEncoding guesses the body's charset from its bytes (requests'
// r.apparent_encoding), for bodies whose Content-Type names none.
func (r *Response) ApparentEncoding() string { return charset.Sniff(r.Content()) }

// JSON decodes the body into v (requests' r.json()). A body that is not JSON
// fails with ErrJSONDecode. As in requests, the Unicode form (UTF-8, -16 or
// -32) is found from a byte order mark or the NUL bytes when no charset
// was declared; a body in another declared charset (or an Encoding set by
// the caller), or one that is not valid Unicode, is decoded as Text is.
func (r *Response) JSON(v any) error {
	b, err := r.contentErr()
	if err != nil {
		return err
	}
	u, err := charset.ToUTF8JSON(b)
	if err != nil || !r.unicodeOrUndeclared() {
		u = []byte(charset.Decode(b, r.Encoding))
	}
	if len(bytes.TrimSpace(u)) == 0 {
		err = errors.New("empty body")
	} else {
		err = json.Unmarshal(u, v)
	}
	if err != nil {
		return wrapErr(r.Request.Method, r.Request.URL, ErrJSONDecode, err)
	}
	return nil
}

// unicodeOrUndeclared reports whether Encoding leaves JSON to its own
// detection: unset, a Unicode form, or only the default of the media type
// (ISO-8859-1 for text/*), which says nothing about the bytes.
func (r *Response) unicodeOrUndeclared() bool {
	if r.Encoding == "" {
		return true
	}
	if name, ok := charset.Lookup(r.Encoding); ok && strings.HasPrefix(strings.ToLower(name), "utf-") {
		return true
	}
	mediaType, _, _ := strings.Cut(r.Headers.Get("Content-Type"), ";")
	return strings.EqualFold(r.Encoding, charset.FromContentType(mediaType))
}

// Cookies returns the cookies the response set (its Set-Cookie headers,
// requests' r.cookies). Values are kept verbatim as requests keeps them:
// foo="bar" gives the value "bar" with its quotes, where net/http would
// strip them, and values net/http drops (a backslash or inner quote) are
// kept. A cookie whose name is not a token or whose value holds a control
// byte is left out.
func (r *Response) Cookies() []*http.Cookie { return parseSetCookies(r.raw.Header["Set-Cookie"]) }

// IsRedirect reports whether the response is a redirect that would be
// followed: a 301, 302, 303, 307 or 308 with a Location (requests' r.is_redirect).
func (r *Response) IsRedirect() bool {
	switch r.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return r.Headers.Get("Location") != ""
	}
	return false
}

// IsPermanentRedirect reports whether the response is a 301 or 308 with a
// Location (requests' r.is_permanent_redirect).
func (r *Response) IsPermanentRedirect() bool {
	return (r.StatusCode == http.StatusMovedPermanently || r.StatusCode == http.StatusPermanentRedirect) &&
		r.Headers.Get("Location") != ""
}

// Close releases the response: for a streamed body, the connection
// (returned to the pool if the body was read to its end, closed otherwise)
// and the call's timer. It is idempotent, does nothing on a buffered
// Response, and may be called while another goroutine reads the body, which
// then fails. A streamed body read to its end, or to an error, is released
// without Close.
func (r *Response) Close() error {
	if r.flags.Or(flagClosed)&flagClosed != 0 {
		return nil
	}
	r.raw.Body.Close()
	r.timing.bodyDone()
	r.smu.Lock()
	s := r.stream
	r.smu.Unlock()
	if s != nil {
		s.Close()
	}
	r.call.release()
	return nil
}

// String describes the response as requests' repr does: <Response [200]>.
func (r *Response) String() string { return fmt.Sprintf("<Response [%d]>", r.StatusCode) }
