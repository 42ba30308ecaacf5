package requests

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
)

// Event is one event of a text/event-stream (server-sent events), as a
// browser's EventSource hands it to a listener.
type Event struct {
	// ID is the stream's last event ID when the event was dispatched
	// (MessageEvent.lastEventId): set by the latest id field, kept by
	// events without one, reset by an empty one.
	ID string
	// Type is the event field, or "message" when the event has none, as
	// the spec dispatches it.
	Type string
	// Data is the data fields' values joined with "\n".
	Data string
	// Retry is the reconnection time the stream last set with a retry
	// field, zero if it set none.
	Retry time.Duration
}

// The bounds of an event stream, which the spec leaves unbounded: a longer
// line, or an event whose data grows larger, fails with ErrBodyTooLarge
// rather than exhaust memory.
const (
	maxEventLine = 1 << 20
	maxEventData = 16 << 20
)

// Events iterates over the events of a text/event-stream body (server-sent
// events), parsed as the WHATWG HTML standard's "event stream
// interpretation" says: lines end at CRLF, LF or CR; a leading BOM is
// dropped; comments and unknown fields are ignored; an event is dispatched
// at a blank line, not when its data is empty, and not at the end of the
// stream (an unfinished event is dropped). The body is decoded as UTF-8,
// bytes that are not becoming U+FFFD.
//
// Use it with Stream(true) to see events as they arrive. The content type
// is not checked (Subscribe checks it). A read error, or a line longer than
// 1 MiB, is yielded and ends the loop. The Response is closed when the loop
// ends, broken or not. For a stream that reconnects, see Session.Subscribe.
func (r *Response) Events() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		defer r.Close()
		p := newEventParser(r, "", 0)
		for {
			ev, err := p.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// eventParser is the spec's event stream interpretation over a body.
type eventParser struct {
	resp    *Response
	r       io.Reader
	buf     []byte
	pos     int // next unread byte of buf
	started bool
	skipLF  bool // the last line ended with CR: a LF next ends no line
	eof     bool
	err     error

	data     []byte // data buffer
	typ      []byte // event type buffer
	idBuf    []byte // last event ID buffer
	idSet    bool   // idBuf holds a value not yet dispatched
	lastID   string // last event ID string
	lastType string // the type of the last typed event, reused
	retry    time.Duration
	retrySet bool // a retry field set retry (0 is a valid value)
}

func newEventParser(r *Response, lastID string, retry time.Duration) *eventParser {
	return &eventParser{resp: r, r: r.Body(), buf: make([]byte, 0, 4<<10), lastID: lastID, retry: max(retry, 0)}
}

// next returns the next event, or io.EOF when the stream ends.
func (p *eventParser) next() (Event, error) {
	for {
		line, err := p.line()
		if err != nil {
			return Event{}, err
		}
		if len(line) == 0 {
			if ev, ok := p.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err := p.field(line); err != nil {
			return Event{}, err
		}
	}
}

// field processes one non-blank line.
func (p *eventParser) field(line []byte) error {
	if line[0] == ':' {
		return nil // a comment
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		p.typ = append(p.typ[:0], value...)
	case "data":
		if len(p.data)+len(value)+1 > maxEventData {
			return p.tooLarge(fmt.Errorf("an event's data larger than %d bytes", maxEventData))
		}
		p.data = append(p.data, value...)
		p.data = append(p.data, '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.idBuf = append(p.idBuf[:0], value...)
			p.idSet = true
		}
	case "retry":
		if ms, ok := retryMillis(value); ok {
			p.retry, p.retrySet = time.Duration(ms)*time.Millisecond, true
		}
	}
	return nil
}

// retryMillis parses a value of ASCII digits only, saturating rather than
// overflowing.
func retryMillis(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	const most = int64(1<<63-1) / int64(time.Millisecond)
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = min(n*10+int64(c-'0'), most)
	}
	return n, true
}

// dispatch ends the event at a blank line. It reports false when there
// is nothing to dispatch (no data), the last event ID updated anyway.
func (p *eventParser) dispatch() (Event, bool) {
	if p.idSet {
		if string(p.idBuf) != p.lastID {
			p.lastID = eventText(p.idBuf)
		}
		p.idSet = false
	}
	if len(p.data) == 0 {
		p.typ = p.typ[:0]
		return Event{}, false
	}
	ev := Event{ID: p.lastID, Type: "message", Data: eventText(p.data[:len(p.data)-1]), Retry: p.retry}
	if len(p.typ) > 0 {
		if string(p.typ) != p.lastType {
			// Streams repeat a few types: one string for a run of them.
			p.lastType = eventText(p.typ)
		}
		ev.Type = p.lastType
	}
	p.data, p.typ = p.data[:0], p.typ[:0]
	return ev, true
}

// eventText is the spec's UTF-8 decode: invalid bytes become U+FFFD.
func eventText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	s, err := unicode.UTF8.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(s)
}

// line returns the next line without its end, valid until the next call;
// io.EOF at the end of the stream, where an unterminated last line is
// dropped with the event it belongs to.
func (p *eventParser) line() ([]byte, error) {
	for {
		if p.skipLF && p.pos < len(p.buf) {
			if p.buf[p.pos] == '\n' {
				p.pos++
			}
			p.skipLF = false
		}
		if p.started && !p.skipLF {
			rest := p.buf[p.pos:]
			end := bytes.IndexByte(rest, '\n')
			search := rest
			if end >= 0 {
				search = rest[:end]
			}
			if cr := bytes.IndexByte(search, '\r'); cr >= 0 {
				end = cr
				p.skipLF = true
			}
			if end > maxEventLine || end < 0 && len(rest) > maxEventLine {
				return nil, p.tooLarge(fmt.Errorf("a line longer than %d bytes", maxEventLine))
			}
			if end >= 0 {
				p.pos += end + 1
				return rest[:end], nil
			}
		}
		if p.eof {
			return nil, p.readErr()
		}
		p.fill()
		if !p.started && (len(p.buf)-p.pos >= 3 || p.eof) {
			p.pos += len(p.buf[p.pos:]) - len(bytes.TrimPrefix(p.buf[p.pos:], []byte("\xef\xbb\xbf")))
			p.started = true
		}
	}
}

// fill reads more, sliding the unread bytes to the front of the buffer.
func (p *eventParser) fill() {
	if p.pos > 0 {
		n := copy(p.buf, p.buf[p.pos:])
		p.buf, p.pos = p.buf[:n], 0
	}
	if len(p.buf) == cap(p.buf) {
		p.buf = append(p.buf, 0)[:len(p.buf)]
	}
	n, err := p.r.Read(p.buf[len(p.buf):cap(p.buf)])
	p.buf = p.buf[:len(p.buf)+n]
	if err != nil {
		p.eof, p.err = true, err
	}
}

func (p *eventParser) readErr() error {
	if p.err == io.EOF {
		return io.EOF
	}
	return p.err
}

func (p *eventParser) tooLarge(err error) error {
	p.eof, p.err = true, wrapErr(p.resp.Request.Method, p.resp.Request.URL, ErrBodyTooLarge, err)
	return p.err
}

// eventStreamType reports whether a Content-Type is text/event-stream.
func eventStreamType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}
