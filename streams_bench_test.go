package requests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The iterators against the loops one would write by hand over the same
// bytes, per item (one op = one record or one event). The body is buffered
// so that the network does not blur the figures.

const benchItems = 10000

func benchBody(b testing.TB, ct string, item func(i int) string) (*Response, []byte) {
	var sb strings.Builder
	for i := range benchItems {
		sb.WriteString(item(i))
	}
	body := sb.String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Write([]byte(body))
	}))
	b.Cleanup(srv.Close)
	s := NewSession()
	b.Cleanup(func() { s.Close() })
	resp, err := s.Get(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	return resp, resp.Content()
}

func ndjsonItem(i int) string {
	return fmt.Sprintf(`{"id":%d,"name":"gopher","tags":["a","b","c"],"score":12.5,"ok":true,"pad":"%s"}`+"\n", i, strings.Repeat("x", 60))
}

func eventItem(i int) string {
	return fmt.Sprintf("id: %d\nevent: tick\ndata: {\"n\":%d,\"pad\":\"%s\"}\n\n", i, i, strings.Repeat("x", 60))
}

func TestIteratorsAllocateNoMoreThanAScannerLoop(t *testing.T) {
	// Per pass over benchItems items, the iterators may cost a few
	// allocations more to set up (buffers, readers), none more per item.
	const setup = 24
	resp, body := benchBody(t, "application/x-ndjson", ndjsonItem)
	iter := testing.AllocsPerRun(3, func() {
		for _, err := range IterJSON[ndRecord](resp) {
			require.NoError(t, err)
		}
	})
	scan := testing.AllocsPerRun(3, func() {
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			var rec ndRecord
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		}
	})
	t.Logf("IterJSON %.0f, bufio.Scanner+json.Unmarshal %.0f allocations for %d records", iter, scan, benchItems)
	assert.LessOrEqual(t, iter, scan+setup)

	resp, body = benchBody(t, "text/event-stream", eventItem)
	iter = testing.AllocsPerRun(3, func() {
		for _, err := range resp.Events() {
			require.NoError(t, err)
		}
	})
	scan = testing.AllocsPerRun(3, func() {
		sc := bufio.NewScanner(bytes.NewReader(body))
		var data []byte
		var id, typ string
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) == 0 {
				ev := Event{ID: id, Type: typ, Data: string(bytes.TrimSuffix(data, []byte("\n")))}
				data = data[:0]
				require.NotEmpty(t, ev.Data)
				continue
			}
			name, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(name) {
			case "data":
				data = append(append(data, value...), '\n')
			case "event":
				typ = string(value)
			case "id":
				id = string(value)
			}
		}
	})
	t.Logf("Events %.0f, bufio.Scanner loop %.0f allocations for %d events", iter, scan, benchItems)
	assert.LessOrEqual(t, iter, scan+setup)
}

func BenchmarkIterJSON(b *testing.B) {
	resp, _ := benchBody(b, "application/x-ndjson", ndjsonItem)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; {
		for rec, err := range IterJSON[ndRecord](resp) {
			if err != nil || rec.Name != "gopher" {
				b.Fatal(err, rec)
			}
			if n++; n == b.N {
				break
			}
		}
	}
}

func BenchmarkScannerJSON(b *testing.B) {
	_, body := benchBody(b, "application/x-ndjson", ndjsonItem)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; {
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			var rec ndRecord
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Name != "gopher" {
				b.Fatal(err, rec)
			}
			if n++; n == b.N {
				break
			}
		}
	}
}

func BenchmarkEvents(b *testing.B) {
	resp, _ := benchBody(b, "text/event-stream", eventItem)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; {
		for ev, err := range resp.Events() {
			if err != nil || ev.Type != "tick" {
				b.Fatal(err, ev)
			}
			if n++; n == b.N {
				break
			}
		}
	}
}

// BenchmarkScannerEvents is the hand-written loop: LF line ends only, no
// BOM, no CR, no retry, no caps; strings made once per event as Events does.
func BenchmarkScannerEvents(b *testing.B) {
	_, body := benchBody(b, "text/event-stream", eventItem)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; {
		sc := bufio.NewScanner(bytes.NewReader(body))
		var data, typ []byte
		var id string
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) == 0 {
				ev := Event{ID: id, Type: "message", Data: string(bytes.TrimSuffix(data, []byte("\n")))}
				if len(typ) > 0 {
					ev.Type = string(typ)
				}
				data, typ = data[:0], typ[:0]
				if ev.Type != "tick" {
					b.Fatal(ev)
				}
				if n++; n == b.N {
					break
				}
				continue
			}
			name, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(name) {
			case "data":
				data = append(append(data, value...), '\n')
			case "event":
				typ = append(typ[:0], value...)
			case "id":
				id = string(value)
			}
		}
	}
}
