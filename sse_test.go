package requests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func msg(data string) Event { return Event{Type: "message", Data: data} }

// sseCases are the WHATWG HTML standard's own examples (section 9.2.6,
// "Interpreting an event stream") followed by edge cases of its rules.
var sseCases = []struct {
	name string
	in   string
	want []Event
}{
	{"spec: three data lines", "data: YHOO\ndata: +2\ndata: 10\n\n", []Event{msg("YHOO\n+2\n10")}},
	{"spec: comment, ids, reset",
		": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
		[]Event{{ID: "1", Type: "message", Data: "first event"}, msg("second event"), msg(" third event")}},
	{"spec: empty data and discarded last block", "data\n\ndata\ndata\n\ndata:", []Event{msg(""), msg("\n")}},
	{"spec: one space removed", "data:test\n\ndata: test\n\n", []Event{msg("test"), msg("test")}},
	{"spec: event types",
		"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
		[]Event{{Type: "add", Data: "73857293"}, {Type: "remove", Data: "2153"}, {Type: "add", Data: "113411"}}},

	{"BOM stripped", "\xef\xbb\xbfdata: a\n\n", []Event{msg("a")}},
	{"second BOM is part of the field name", "\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n", []Event{msg("b")}},
	{"BOM only once, not after the start", "data: a\n\n\xef\xbb\xbfdata: b\n\n", []Event{msg("a")}},
	{"CR line ends", "data: a\rdata: b\r\r", []Event{msg("a\nb")}},
	{"CRLF line ends", "data: a\r\ndata: b\r\n\r\n", []Event{msg("a\nb")}},
	{"mixed line ends", "data: a\r\ndata: b\n\r\ndata: c\r\rdata: d\n\n", []Event{msg("a\nb"), msg("c"), msg("d")}},
	{"CR CR LF is a line and a blank line", "data: a\r\r\ndata: b\n\n", []Event{msg("a"), msg("b")}},
	{"LF CR is two line ends", "data: a\n\rdata: b\n\n", []Event{msg("a"), msg("b")}},
	{"blank lines first", "\n\n\r\n\rdata: a\n\n", []Event{msg("a")}},
	{"field without colon", "event\ndata\n\n", []Event{msg("")}},
	{"only one space removed", "data:  two\n\ndata:\tx\n\n", []Event{msg(" two"), msg("\tx")}},
	{"colon in the value", "data: a:b: c\n\n", []Event{msg("a:b: c")}},
	{"comments", ":comment\n: \n:\ndata: x\n:data: y\n\n", []Event{msg("x")}},
	{"unknown and mis-cased fields", "foo: bar\nData: no\ndata : no\ndata: x\n\n", []Event{msg("x")}},
	{"id kept across events", "id: 7\ndata: a\n\ndata: b\n\n", []Event{{ID: "7", Type: "message", Data: "a"}, {ID: "7", Type: "message", Data: "b"}}},
	{"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []Event{{ID: "1", Type: "message", Data: "a"}, {ID: "1", Type: "message", Data: "b"}}},
	{"empty id resets", "id: 1\ndata: a\n\nid:\ndata: b\n\n", []Event{{ID: "1", Type: "message", Data: "a"}, msg("b")}},
	{"id set by an event without data", "id: 5\n\ndata: a\n\n", []Event{{ID: "5", Type: "message", Data: "a"}}},
	{"last id wins", "id: 1\nid: 2\ndata: a\n\n", []Event{{ID: "2", Type: "message", Data: "a"}}},
	{"id of an unfinished event not kept", "id: 1\ndata: a\n\nid: 2\ndata: b\n", []Event{{ID: "1", Type: "message", Data: "a"}}},
	{"retry", "retry: 1500\ndata: a\n\n", []Event{{Type: "message", Data: "a", Retry: 1500 * time.Millisecond}}},
	{"retry without data still counts", "retry: 100\n\ndata: a\n\n", []Event{{Type: "message", Data: "a", Retry: 100 * time.Millisecond}}},
	{"retry zero", "retry: 7\nretry:0\ndata: a\n\n", []Event{msg("a")}},
	{"retry not digits ignored", "retry: 20\n\nretry: 1.5\nretry: -1\nretry:\nretry: 10 \nretry: x\ndata: a\n\n", []Event{{Type: "message", Data: "a", Retry: 20 * time.Millisecond}}},
	{"retry huge saturates", "retry: 99999999999999999999999\ndata: a\n\n", []Event{{Type: "message", Data: "a", Retry: time.Duration(1<<63-1) / time.Millisecond * time.Millisecond}}},
	{"type resets after dispatch", "event: x\ndata: a\n\ndata: b\n\n", []Event{{Type: "x", Data: "a"}, msg("b")}},
	{"type of an event without data dropped", "event: x\n\ndata: b\n\n", []Event{msg("b")}},
	{"empty event type is message", "event:\ndata: a\n\n", []Event{msg("a")}},
	{"last event without blank line dropped", "data: a\n\ndata: b\n", []Event{msg("a")}},
	{"last line without end dropped", "data: a\n\ndata: b", []Event{msg("a")}},
	{"nothing", "", nil},
	{"invalid UTF-8 replaced", "data: caf\xe9\xe2\x82!\n\n", []Event{msg("caf\ufffd\ufffd!")}},
	{"NUL in data kept", "data: a\x00b\n\n", []Event{msg("a\x00b")}},
}

// parseEvents runs the parser over r to its end.
func parseEvents(t *testing.T, r io.Reader) ([]Event, error) {
	t.Helper()
	resp := &Response{Request: httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)}
	p := &eventParser{resp: resp, r: r, buf: make([]byte, 0, 16)}
	var got []Event
	for {
		ev, err := p.next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, ev)
	}
}

func TestEventParserSpec(t *testing.T) {
	for _, tt := range sseCases {
		t.Run(tt.name, func(t *testing.T) {
			// Whole, and one byte per read: every line end split across
			// reads, CR at the end of one and LF at the start of the next.
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in)), iotest.HalfReader(strings.NewReader(tt.in))} {
				got, err := parseEvents(t, r)
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestEventParserLineCap(t *testing.T) {
	long := strings.Repeat("x", maxEventLine-len("data: "))
	got, err := parseEvents(t, strings.NewReader("data: "+long+"\n\n"))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Len(t, got[0].Data, len(long))

	got, err = parseEvents(t, strings.NewReader("data: a\n\ndata: "+long+"xx\n\n"))
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Equal(t, []Event{msg("a")}, got)

	// Without any line end at all, memory is bounded too.
	_, err = parseEvents(t, io.LimitReader(neverEnding('x'), 8<<20))
	require.ErrorIs(t, err, ErrBodyTooLarge)

	// Many lines make an event too large as well.
	line := "data: " + strings.Repeat("y", 1<<19) + "\n"
	_, err = parseEvents(t, strings.NewReader(strings.Repeat(line, maxEventData/(1<<19)+1)+"\n"))
	require.ErrorIs(t, err, ErrBodyTooLarge)
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestResponseEvents(t *testing.T) {
	// The spec's examples over a real connection, each byte flushed on its
	// own, streamed and buffered.
	s := testSession(t)
	for _, tt := range sseCases {
		t.Run(tt.name, func(t *testing.T) {
			srv := chunkServer(t, "text/event-stream", strings.Split(tt.in, "")...)
			for _, stream := range []bool{true, false} {
				r, err := s.Get(srv.URL, Stream(stream))
				require.NoError(t, err)
				var got []Event
				for ev, err := range r.Events() {
					require.NoError(t, err)
					got = append(got, ev)
				}
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestResponseEventsBreakCloses(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\ndata: 2\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stop)
	s := testSession(t)
	r, err := s.Get(srv.URL, Stream(true))
	require.NoError(t, err)
	for ev, err := range r.Events() {
		require.NoError(t, err)
		assert.Equal(t, "1", ev.Data)
		break
	}
	_, err = io.ReadAll(r.Body())
	assert.Error(t, err, "closed")
}

func TestResponseEventsReadError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "data: 1\n\ndata: 2\n")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	s := testSession(t)
	r, err := s.Get(srv.URL, Stream(true))
	require.NoError(t, err)
	var got []string
	var errs []error
	for ev, err := range r.Events() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, ev.Data)
	}
	assert.Equal(t, []string{"1"}, got)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrChunkedEncoding)
}
