package requests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/go-requests/requests/internal/charset"
)

// JSONDecodeError tells where a body stopped being the JSON expected
// (requests' JSONDecodeError: msg, pos, lineno, colno). It is the cause of
// the *Error, matching ErrJSONDecode, that As and IterJSON return; reach it
// with errors.As.
type JSONDecodeError struct {
	// Offset counts the bytes of the (UTF-8) text before the error.
	Offset int64
	// Line and Column place the error, both from 1; Column counts bytes.
	Line, Column int
	// Snippet is the text around the error, at most 32 bytes each side,
	// for the message.
	Snippet string
	// Err is encoding/json's error: a *json.SyntaxError, a
	// *json.UnmarshalTypeError, or what an UnmarshalJSON method returned.
	Err error
}

func (e *JSONDecodeError) Error() string {
	return fmt.Sprintf("%v: line %d column %d (offset %d) near %q", e.Err, e.Line, e.Column, e.Offset, e.Snippet)
}

func (e *JSONDecodeError) Unwrap() error { return e.Err }

// snippetSize bounds each side of JSONDecodeError.Snippet.
const snippetSize = 32

// As decodes the JSON body of a call into a T, so that
//
//	user, err := requests.As[User](requests.Get(url))
//
// is one line. An error from the call is returned as it is; a 4xx or 5xx
// status gives Raise's *HTTPError, whose Response still holds the body to
// read. A body that is not one JSON value of T's shape fails with
// ErrJSONDecode, its cause a *JSONDecodeError with the offset and the text
// around it. The charset rules are those of Response.JSON.
//
// With Stream(true) the value is decoded straight from the body as it
// arrives, without holding the body twice, and the Response is closed
// when As returns. MaxBodySize, when set, bounds the value.
func As[T any](resp *Response, err error) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	if err := resp.Raise(); err != nil {
		resp.Content() // read and release a streamed body: the error keeps it
		return v, err
	}
	defer resp.Close()
	fr, err := newJSONFrames(resp)
	if err != nil {
		return v, err
	}
	value, err := fr.next()
	switch {
	case err == io.EOF:
		return v, fr.decodeError(errors.New("empty body"), fr.off)
	case err != nil:
		return v, err
	}
	var zero T
	if err := json.Unmarshal(value, &v); err != nil {
		return zero, fr.unmarshalError(err)
	}
	if err := fr.end(); err != nil {
		return zero, err
	}
	return v, nil
}

// IterJSON iterates over a body of JSON values: NDJSON, JSON Lines, or
// values simply written one after another ({"a":1}{"a":2}, pretty-printed
// ones included). Each value is decoded into a T as soon as its last byte
// arrives, so a stream of any length is read in memory bounded by its
// largest value (and by MaxBodySize, when set). Whitespace and blank lines
// between values are skipped.
//
// A value that does not decode is yielded as an error matching
// ErrJSONDecode, whose *JSONDecodeError gives its Line. The loop may go on:
// a syntax error skips to the next line (the next NDJSON record), a value
// of the wrong shape skips that value. Errors reading the body, and a
// value larger than MaxBodySize (ErrBodyTooLarge), end the loop. The Response is closed when the loop ends, broken or not.
func IterJSON[T any](resp *Response) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		defer resp.Close()
		var zero T
		fr, err := newJSONFrames(resp)
		if err != nil {
			yield(zero, err)
			return
		}
		v := new(T)
		for {
			value, err := fr.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(zero, err)
				return
			}
			*v = zero
			if err := json.Unmarshal(value, v); err != nil {
				if !yield(zero, fr.unmarshalError(err)) {
					return
				}
				continue
			}
			if !yield(*v, nil) {
				return
			}
		}
	}
}

// jsonCharset is the charset to convert a JSON body from, or "" to let
// the first bytes tell, as Response.JSON decides: a declared charset that
// is not a Unicode form (nor the bare default of text/*) wins.
func jsonCharset(r *Response) string {
	if r.unicodeOrUndeclared() {
		return ""
	}
	return r.Encoding
}

// jsonFrames cuts a stream of JSON text into values without decoding
// them: it tracks strings and brackets only, and leaves the syntax to
// json.Unmarshal, which then reads each value in place from the buffer.
// A value that cannot be right (a raw line break in a string, a bracket
// that does not match) is cut short there, so that a bad NDJSON line
// cannot swallow the lines after it.
type jsonFrames struct {
	resp  *Response
	r     io.Reader
	buf   []byte
	pos   int   // next byte to look at in buf
	base  int64 // stream offset of buf[0]
	off   int64 // stream offset of the last value's start
	line  int   // line number at pos
	vline int   // line number at the last value's start
	value []byte
	limit int64 // 0: none
	err   error // sticky read error
	stack []byte
}

// readSize is the first buffer's size and the least read at a time.
const readSize = 32 << 10

func newJSONFrames(resp *Response) (*jsonFrames, error) {
	body := resp.Body()
	r, err := charset.NewJSONReader(body, jsonCharset(resp), resp.Encoding)
	if err != nil {
		return nil, err
	}
	return &jsonFrames{resp: resp, r: r, buf: make([]byte, 0, readSize), line: 1, limit: bodyLimit(resp)}, nil
}

// bodyLimit is the call's MaxBodySize, 0 when unset.
func bodyLimit(r *Response) int64 {
	if r.call == nil || r.call.cfg == nil {
		return 0
	}
	return r.call.cfg.MaxBodySize
}

// fill reads more of the stream, keeping buf[keep:] and sliding it to the
// front. It returns false at the end of the stream or on an error (in f.err).
func (f *jsonFrames) fill(keep int) bool {
	if f.err != nil {
		return false
	}
	if keep > 0 {
		n := copy(f.buf, f.buf[keep:])
		f.buf = f.buf[:n]
		f.base += int64(keep)
		f.pos -= keep
	}
	if f.limit > 0 && int64(len(f.buf)) > f.limit {
		f.err = wrapErr(f.resp.Request.Method, f.resp.Request.URL, ErrBodyTooLarge,
			fmt.Errorf("a JSON value larger than %d bytes", f.limit))
		return false
	}
	if cap(f.buf)-len(f.buf) < readSize/2 {
		f.buf = append(f.buf, make([]byte, cap(f.buf))...)[:len(f.buf)]
	}
	n, err := f.r.Read(f.buf[len(f.buf):cap(f.buf)])
	f.buf = f.buf[:len(f.buf)+n]
	if err != nil {
		if err == io.EOF {
			if n == 0 {
				f.err = io.EOF
				return false
			}
		} else {
			f.err = err
			return n > 0
		}
	}
	return true
}

// next returns the next value's bytes, valid until the following call, or
// io.EOF at the end of the stream.
func (f *jsonFrames) next() ([]byte, error) {
	// Skip whitespace, counting lines.
	for {
		for f.pos < len(f.buf) {
			switch f.buf[f.pos] {
			case '\n':
				f.line++
			case ' ', '\t', '\r':
			default:
				goto start
			}
			f.pos++
		}
		if !f.fill(f.pos) {
			return nil, f.readErr()
		}
	}
start:
	start := f.pos
	f.off, f.vline = f.base+int64(start), f.line
	f.stack = f.stack[:0]
	i := start
	inString, escaped, scalar := false, false, false
	lines := 0
	for {
		for ; i < len(f.buf); i++ {
			c := f.buf[i]
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
					if len(f.stack) == 0 {
						return f.cut(start, i+1, lines), nil
					}
				case c == '\n':
					return f.cut(start, i, lines), nil // cannot be right: stop here
				}
				continue
			}
			switch c {
			case '"', '{', '[':
				if scalar {
					return f.cut(start, i, lines), nil // "1{" : two values
				}
				if c == '"' {
					inString = true
				} else {
					if len(f.stack) >= maxJSONDepth {
						return f.cut(start, i+1, lines), nil
					}
					f.stack = append(f.stack, c+2) // '{'+2 == '}', '['+2 == ']'
				}
			case '}', ']':
				if scalar {
					return f.cut(start, i, lines), nil
				}
				if len(f.stack) == 0 || f.stack[len(f.stack)-1] != c {
					return f.cut(start, i+1, lines), nil // unmatched
				}
				f.stack = f.stack[:len(f.stack)-1]
				if len(f.stack) == 0 {
					return f.cut(start, i+1, lines), nil
				}
			case ' ', '\t', '\r', '\n':
				if len(f.stack) == 0 {
					return f.cut(start, i, lines), nil // end of a scalar
				}
				if c == '\n' {
					lines++
				}
			default:
				if len(f.stack) == 0 {
					scalar = true
				}
			}
		}
		// The value goes on past the buffer.
		n := i - start
		if !f.fill(start) {
			if f.err == io.EOF && len(f.buf) > f.pos {
				// A last value without a newline after it (or cut short,
				// which json.Unmarshal reports).
				return f.cut(f.pos, len(f.buf), lines), nil
			}
			return nil, f.readErr()
		}
		start = f.pos
		i = start + n
	}
}

// maxJSONDepth is encoding/json's own nesting limit.
const maxJSONDepth = 10000

// cut ends the value at buf[start:end] and moves past it.
func (f *jsonFrames) cut(start, end, lines int) []byte {
	f.pos = end
	f.line += lines
	f.value = f.buf[start:end]
	return f.value
}

// readErr is the error that stopped reading: io.EOF at the end.
func (f *jsonFrames) readErr() error {
	if f.err == io.EOF {
		return io.EOF
	}
	return f.err
}

// unmarshalError describes why the last value did not decode, and moves
// past the bad text: to the next line after a syntax error, so that the
// next record can be read; past the value otherwise.
func (f *jsonFrames) unmarshalError(err error) error {
	var at int64 // where in the value
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		at = max(se.Offset-1, 0)
		if se.Error() == "unexpected end of JSON input" {
			at = int64(len(f.value))
		}
		// Resume after the line the error is on.
		f.pos = int(f.off-f.base) + int(at)
		f.line = f.vline + bytes.Count(f.value[:min(at, int64(len(f.value)))], []byte{'\n'})
		jerr := f.decodeError(err, f.off+at)
		f.skipLine()
		return jerr
	case errors.As(err, &te):
		at = te.Offset
	}
	return f.decodeError(err, f.off+at)
}

// skipLine moves past the next line break, reading as needed.
func (f *jsonFrames) skipLine() {
	for {
		if i := bytes.IndexByte(f.buf[f.pos:], '\n'); i >= 0 {
			f.pos += i + 1
			f.line++
			return
		}
		f.pos = len(f.buf)
		if !f.fill(f.pos) {
			return
		}
	}
}

// decodeError builds the ErrJSONDecode error for stream offset at, with the
// text around it (what is still in the buffer).
func (f *jsonFrames) decodeError(err error, at int64) error {
	i := int(at - f.base)
	i = max(0, min(i, len(f.buf)))
	lo, hi := max(0, i-snippetSize), min(len(f.buf), i+snippetSize)
	lineStart := bytes.LastIndexByte(f.buf[:i], '\n') + 1
	line := f.vline + bytes.Count(f.buf[max(0, int(f.off-f.base)):max(i, int(f.off-f.base))], []byte{'\n'})
	jerr := &JSONDecodeError{
		Offset:  at,
		Line:    line,
		Column:  i - lineStart + 1,
		Snippet: strings.ToValidUTF8(string(f.buf[lo:hi]), "\uFFFD"),
		Err:     err,
	}
	return wrapErr(f.resp.Request.Method, f.resp.Request.URL, ErrJSONDecode, jerr)
}

// end checks that only whitespace follows the value, as json.Unmarshal
// requires of a whole body.
func (f *jsonFrames) end() error {
	for {
		for ; f.pos < len(f.buf); f.pos++ {
			switch f.buf[f.pos] {
			case ' ', '\t', '\r', '\n':
			default:
				at := f.base + int64(f.pos)
				f.off, f.vline = at, f.line
				return f.decodeError(errors.New("extra data after the JSON value"), at)
			}
		}
		if !f.fill(f.pos) {
			if f.err == io.EOF {
				return nil
			}
			return f.err
		}
	}
}
