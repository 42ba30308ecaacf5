package requests

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
	"math"
	"net/http"
)

// A streamed Response (Stream(true)) hands its body out once, to Body,
// IterContent, IterLines, IterDelimited, Save or Content. Whatever reads it
// to its end, or to an error, releases the connection and the call's timer
// at that moment; a caller that stops early must Close the Response. A
// buffered Response serves all of them from memory, as often as asked.

// streamChunk is the read size of IterContent(0), which yields data as it
// arrives.
const streamChunk = 32 << 10

// Body returns the body, decoded from its Content-Encoding, as a reader
// (requests' r.raw with decode_content, for io.Copy). With Stream(true) it
// is the live stream, handed out once: a second Body, or IterContent,
// IterLines or Content after it, fails with ErrStreamConsumed. Reading it
// to its end releases the connection; closing it closes the Response. On a
// buffered Response it reads the content from memory.
//
// Errors (a timeout, a broken connection, a corrupt encoding) come from
// Read as *Error values, like those of a call. MaxBodySize does not apply:
// a stream is the caller's to bound.
func (r *Response) Body() io.ReadCloser {
	rc, err := r.takeStream()
	if err != nil {
		return errBody{err}
	}
	return rc
}

// IterContent iterates over the body in chunks of chunk bytes, the last
// one shorter (requests' iter_content), decoded from its Content-Encoding.
// A chunk of 0 or less yields data as it arrives, in whatever sizes the
// reads return (requests' chunk_size=None).
//
// A chunk is valid until the next iteration, as bufio.Scanner's Bytes: the
// buffer is reused, so a stream of any length reads in the memory of one
// chunk. Copy a chunk to keep it (bytes.Clone, append).
//
// With Stream(true) it reads the live stream, once: an error while reading
// is yielded once with a nil chunk and ends the loop, and a stream already
// consumed yields ErrStreamConsumed. Breaking out of the loop leaves the
// rest unread: Close the Response. On a buffered Response it iterates over
// the content.
func (r *Response) IterContent(chunk int) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		rc, err := r.takeStream()
		if err != nil {
			yield(nil, err)
			return
		}
		var buf []byte
		for {
			var b []byte
			if chunk > 0 {
				b, err = readChunk(rc, buf[:0], chunk)
			} else {
				if buf == nil {
					buf = make([]byte, streamChunk)
				}
				var n int
				n, err = rc.Read(buf)
				b = buf[:n]
			}
			buf = b
			if len(b) > 0 && !yield(b, nil) {
				return
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
		}
	}
}

// readChunk reads n bytes into b (reusing its capacity), fewer only at the
// end of the body (then with io.EOF). Memory grows with the data, not with n.
func readChunk(r io.Reader, b []byte, n int) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, min(n, 1<<20))
	}
	for len(b) < n {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):min(cap(b), n)])
		b = b[:len(b)+m]
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// IterLines iterates over the lines of the body (requests' iter_lines),
// without their terminators: a line ends at "\n", "\r\n" or "\r", as
// Python's bytes.splitlines has it, also where a terminator straddles two
// reads; a last line without a terminator is yielded too, and empty lines
// are kept. Content is decoded from its Content-Encoding; the charset is
// not touched. A line is valid until the next iteration, as
// bufio.Scanner's Bytes: copy it to keep it. A line longer than MaxBodySize
// (when set) fails with ErrBodyTooLarge. Streams are read once, as with
// IterContent.
func (r *Response) IterLines() iter.Seq2[[]byte, error] {
	return r.iterSplit(splitLines)
}

// IterDelimited is IterLines with records ending at delim instead of a line
// terminator (requests' iter_lines(delimiter=...)). A delimiter split
// across reads is found; a body ending with the delimiter yields no empty
// last record. An empty delim means IterLines.
func (r *Response) IterDelimited(delim string) iter.Seq2[[]byte, error] {
	if delim == "" {
		return r.IterLines()
	}
	return r.iterSplit(splitOn([]byte(delim)))
}

func (r *Response) iterSplit(split bufio.SplitFunc) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		rc, err := r.takeStream()
		if err != nil {
			yield(nil, err)
			return
		}
		limit := math.MaxInt
		if m := r.call.cfg.MaxBodySize; m > 0 && m < math.MaxInt-2 {
			limit = int(m) + 2 // room for the terminator
		}
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 0, 4<<10), limit)
		sc.Split(split)
		for sc.Scan() {
			if !yield(sc.Bytes(), nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = wrapErr(r.Request.Method, r.Request.URL, ErrBodyTooLarge, err)
				r.Close()
			}
			yield(nil, err)
		}
	}
}

// splitLines splits at "\n", "\r\n" and "\r", dropping the terminator.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		switch {
		case data[i] == '\n':
			return i + 1, data[:i], nil
		case i+1 < len(data) && data[i+1] == '\n':
			return i + 2, data[:i], nil
		case i+1 < len(data) || atEOF:
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // a "\r" at the end: wait to see if "\n" follows
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// splitOn splits at sep, dropping it.
func splitOn(sep []byte) bufio.SplitFunc {
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.Index(data, sep); i >= 0 {
			return i + len(sep), data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	}
}

// takeStream hands the body out: the live stream of a streamed Response,
// once, or a reader of the content of a buffered one.
func (r *Response) takeStream() (io.ReadCloser, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loaded {
		if r.content == nil && r.bodyErr != nil {
			return nil, r.bodyErr
		}
		return io.NopCloser(bytes.NewReader(r.content)), nil
	}
	if r.consumed {
		return nil, wrapErr(r.Request.Method, r.Request.URL, ErrStreamConsumed, nil)
	}
	r.consumed = true
	if r.isClosed() {
		return nil, wrapErr(r.Request.Method, r.Request.URL, nil, http.ErrBodyReadAfterClose)
	}
	dec, raw, err := r.open(0)
	if err != nil {
		err = r.bodyError(err)
		r.Close()
		return nil, err
	}
	r.smu.Lock()
	r.stream = dec
	r.smu.Unlock()
	if r.isClosed() {
		// Close ran meanwhile and did not see the stream.
		dec.Close()
	}
	return &streamBody{r: r, dec: dec, raw: raw}, nil
}

// streamBody is the live body of a streamed Response. It releases the
// connection and the call's timer as soon as it meets the end of the body
// or an error.
type streamBody struct {
	r   *Response
	dec io.ReadCloser
	raw io.Reader
	err error // sticky: io.EOF or the error met
}

func (s *streamBody) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.r.isClosed() {
		s.err = wrapErr(s.r.Request.Method, s.r.Request.URL, nil, http.ErrBodyReadAfterClose)
		return 0, s.err
	}
	n, err := s.dec.Read(p)
	switch {
	case err == io.EOF:
		s.err = io.EOF
		finish(s.dec, s.raw)
		s.r.timing.bodyDone()
		s.r.call.release()
	case err != nil:
		if s.r.isClosed() {
			err = http.ErrBodyReadAfterClose
		}
		s.err = s.r.bodyError(err)
		s.r.Close()
	}
	return n, s.err
}

// Close closes the Response.
func (s *streamBody) Close() error { return s.r.Close() }

// errBody is a body that fails every Read with err.
type errBody struct{ err error }

func (e errBody) Read([]byte) (int, error) { return 0, e.err }
func (e errBody) Close() error             { return nil }
