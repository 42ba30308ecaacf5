// Package decode undoes HTTP content codings (RFC 9110 section 8.4) on a
// response body.
//
// The client advertises its own Accept-Encoding, so it must also decode
// every coding it advertises; this package is the single place that knows
// which codings those are. It works on plain io.ReadCloser values and knows
// nothing about requests or responses.
package decode

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// AcceptEncoding is the Accept-Encoding value to send. It lists exactly the
// codings NewReader can undo, so a server never picks one we cannot read.
const AcceptEncoding = "gzip, deflate, br, zstd"

// MaxCodings is the largest number of stacked codings NewReader accepts.
// Real servers apply one; a long chain only serves to burn CPU and memory.
const MaxCodings = 5

var (
	// ErrDecode is matched (via errors.Is) by every error caused by corrupt
	// or truncated encoded content. The concrete value is an *Error, which
	// also wraps the codec's own error.
	ErrDecode = errors.New("decode: corrupt or truncated encoded content")

	// ErrBodyTooLarge is returned by Read once the decoded output would
	// exceed the limit given to NewReader, so that a decompression bomb
	// fails loudly instead of being truncated silently.
	ErrBodyTooLarge = errors.New("decode: decoded body exceeds limit")

	// ErrUnsupported is returned by NewReader for a coding it cannot undo.
	ErrUnsupported = errors.New("decode: unsupported content coding")

	// ErrTooManyCodings is returned by NewReader when more than MaxCodings
	// codings are listed.
	ErrTooManyCodings = errors.New("decode: too many content codings")

	// ErrClosed is returned by Read after Close.
	ErrClosed = errors.New("decode: read on closed body")
)

// Error reports corrupt or truncated data in one coding layer. It matches
// ErrDecode with errors.Is and also unwraps to the codec's error, so callers
// can test for the category without losing the cause.
type Error struct {
	// Coding is the normalised coding name whose data was bad, e.g. "gzip".
	Coding string
	// Err is the error the codec reported.
	Err error
}

// Error describes the failing coding and its cause.
func (e *Error) Error() string {
	return "decode: invalid " + e.Coding + " content: " + e.Err.Error()
}

// Unwrap exposes both ErrDecode and the codec's error to errors.Is/As.
func (e *Error) Unwrap() []error { return []error{ErrDecode, e.Err} }

// ParseCodings parses one or more Content-Encoding header values into the
// list of codings in the order they were applied. Names are matched
// case-insensitively with surrounding whitespace ignored, empty list
// elements and "identity" are dropped and "x-gzip" becomes "gzip". It
// fails with ErrUnsupported for a coding not in AcceptEncoding and with
// ErrTooManyCodings for more than MaxCodings codings. An empty result means
// the body is not encoded.
func ParseCodings(values ...string) ([]string, error) {
	var codings []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name := strings.ToLower(strings.Trim(part, " \t"))
			switch name {
			case "", "identity":
				continue
			case "gzip", "x-gzip":
				name = "gzip"
			case "deflate", "br", "zstd":
			default:
				return nil, fmt.Errorf("%w: %q", ErrUnsupported, name)
			}
			if len(codings) == MaxCodings {
				return nil, fmt.Errorf("%w: more than %d", ErrTooManyCodings, MaxCodings)
			}
			codings = append(codings, name)
		}
	}
	return codings, nil
}

// NewReader returns a reader of body with every coding listed in
// contentEncoding undone, last listed first. See NewReaderValues.
func NewReader(body io.ReadCloser, contentEncoding string, limit int64) (io.ReadCloser, error) {
	return NewReaderValues(body, []string{contentEncoding}, limit)
}

// NewReaderValues is NewReader for a header given as several values, as
// they appear in an http.Header; the values are read as one list.
//
// NewReaderValues only parses the header: it never reads body, so all data
// errors (corrupt, truncated, too large) surface from Read, never from here.
// It fails only as ParseCodings does; body is then left open and still
// owned by the caller.
//
// Decoding follows what browsers and Python's requests accept:
//   - "deflate" is sniffed: zlib-wrapped if the first two bytes form a valid
//     zlib header, raw DEFLATE otherwise.
//   - gzip members may be concatenated; bytes after the last member that do
//     not start a new member are ignored, as urllib3 does.
//   - An entirely empty body decodes to an empty body for every coding,
//     since servers label empty 204/304 or HEAD bodies with a coding.
//   - zstd frames must not use a window above 8 MiB (RFC 9659) and are
//     decoded without background goroutines.
//
// If limit > 0, Read fails with ErrBodyTooLarge as soon as more than limit
// decoded bytes exist; exactly limit bytes is fine. Memory use stays
// bounded by the codecs' windows whatever the compression ratio.
//
// Corrupt or truncated data yields an *Error matching ErrDecode. Errors from
// body itself are passed through unchanged, so a network failure is never
// mistaken for bad data.
//
// Close closes every layer and body exactly once and returns body's Close
// result, also on later calls; it may be called while a Read is blocked in
// another goroutine. If there is nothing to decode and no limit, body is
// returned as is.
func NewReaderValues(body io.ReadCloser, values []string, limit int64) (io.ReadCloser, error) {
	if body == nil {
		return nil, errors.New("decode: nil body")
	}
	codings, err := ParseCodings(values...)
	if err != nil {
		return nil, err
	}
	if len(codings) == 0 && limit <= 0 {
		return body, nil
	}
	r := &reader{body: body, limit: limit, top: body}
	for i := len(codings) - 1; i >= 0; i-- {
		l := newLayer(codings[i], r.top)
		r.layers = append(r.layers, l)
		r.top = l
	}
	return r, nil
}

// reader is the stack of layers plus the limit and close bookkeeping.
type reader struct {
	body   io.ReadCloser
	top    io.Reader
	layers []*layer
	limit  int64
	n      int64
	err    error // sticky limit error

	mu        sync.Mutex // held for a whole Read; guards everything above
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

func (r *reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	n, err := r.readLocked(p)
	r.mu.Unlock()
	// A Close that ran while we held the lock could not release the
	// codecs; do it now. The release is idempotent.
	if r.closed.Load() && r.mu.TryLock() {
		r.releaseLocked()
		r.mu.Unlock()
	}
	return n, err
}

func (r *reader) readLocked(p []byte) (int, error) {
	if r.closed.Load() {
		return 0, ErrClosed
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.limit <= 0 {
		return r.top.Read(p)
	}
	// Ask for one byte past the limit so that a body of exactly limit
	// bytes ends cleanly while a longer one is detected.
	if room := r.limit - r.n; int64(len(p)) > room {
		p = p[:room+1]
	}
	n, err := r.top.Read(p)
	r.n += int64(n)
	if r.n > r.limit {
		n -= int(r.n - r.limit)
		r.n = r.limit
		r.err = fmt.Errorf("%w (%d bytes)", ErrBodyTooLarge, r.limit)
		r.releaseLocked()
		return n, r.err
	}
	return n, err
}

func (r *reader) Close() error {
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		// Closing the body first unblocks a Read waiting on it.
		r.closeErr = r.body.Close()
		if r.mu.TryLock() {
			r.releaseLocked()
			r.mu.Unlock()
		}
	})
	return r.closeErr
}

// releaseLocked frees every codec. It is safe to call more than once.
func (r *reader) releaseLocked() {
	for _, l := range r.layers {
		l.release()
	}
}
