package requests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkServer answers every request with the chunks given, each written
// and flushed on its own, under Content-Type ct.
func chunkServer(t testing.TB, ct string, chunks ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		for _, c := range chunks {
			io.WriteString(w, c)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type typedUser struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func utf16LE(s string) string {
	var b bytes.Buffer
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.String()
}

func TestAs(t *testing.T) {
	s := testSession(t)
	tests := []struct {
		name   string
		ct     string
		chunks []string
		want   typedUser
		errIs  error
		inErr  []string // substrings of the error message
	}{
		{name: "object", ct: "application/json", chunks: []string{`{"name":"gopher","age":13}`}, want: typedUser{"gopher", 13}},
		{name: "split across writes", ct: "application/json", chunks: []string{`{"na`, `me":"gop`, `her","age"`, `:13}`, "\n"}, want: typedUser{"gopher", 13}},
		{name: "BOM and whitespace", ct: "application/json", chunks: []string{"\xef\xbb\xbf  \n", `{"name":"é"}`, " \r\n"}, want: typedUser{Name: "é"}},
		{name: "UTF-16 without charset", ct: "application/octet-stream", chunks: []string{utf16LE(`{"name":"日本"}`)}, want: typedUser{Name: "日本"}},
		{name: "declared Latin-1", ct: "application/json; charset=iso-8859-1", chunks: []string{"{\"name\":\"caf\xe9\"}"}, want: typedUser{Name: "café"}},
		{name: "empty body", ct: "application/json", chunks: nil, errIs: ErrJSONDecode, inErr: []string{"empty body"}},
		{name: "syntax error", ct: "application/json", chunks: []string{`{"name": "gopher", "age": 1x}`}, errIs: ErrJSONDecode, inErr: []string{"offset 27", `near "{\"name\": \"gopher\", \"age\": 1x}"`, "line 1 column 28"}},
		{name: "wrong type", ct: "application/json", chunks: []string{`{"name": "gopher", "age": "old"}`}, errIs: ErrJSONDecode, inErr: []string{"cannot unmarshal string", "offset 31"}},
		{name: "two values", ct: "application/json", chunks: []string{`{"name":"a"} {"name":"b"}`}, errIs: ErrJSONDecode, inErr: []string{"extra data", "offset 13"}},
		{name: "truncated", ct: "application/json", chunks: []string{`{"name":"a"`}, errIs: ErrJSONDecode, inErr: []string{"unexpected end"}},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name+" stream="+strconv.FormatBool(stream), func(t *testing.T) {
				srv := chunkServer(t, tt.ct, tt.chunks...)
				got, err := As[typedUser](s.Get(srv.URL, Stream(stream)))
				if tt.errIs != nil {
					require.ErrorIs(t, err, tt.errIs)
					var je *JSONDecodeError
					require.ErrorAs(t, err, &je)
					for _, sub := range tt.inErr {
						assert.Contains(t, err.Error(), sub)
					}
					assert.Zero(t, got)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			})
		}
	}
}

func TestAsPassesErrorsThrough(t *testing.T) {
	s := testSession(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln.Close() // nothing listens there now
	_, err = As[typedUser](s.Get("http://" + ln.Addr().String() + "/"))
	require.ErrorIs(t, err, ErrConnection)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such user"}`)
	}))
	defer srv.Close()
	for _, stream := range []bool{false, true} {
		_, err = As[typedUser](s.Get(srv.URL, Stream(stream)))
		var he *HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, 404, he.StatusCode())
		assert.JSONEq(t, `{"error":"no such user"}`, he.Response.Text(), "the error's Response keeps the body")
	}
}

func TestAsOnConsumedStream(t *testing.T) {
	srv := chunkServer(t, "application/json", `{"name":"a"}`)
	s := testSession(t)
	r, err := s.Get(srv.URL, Stream(true))
	require.NoError(t, err)
	io.Copy(io.Discard, r.Body())
	_, err = As[typedUser](r, nil)
	require.ErrorIs(t, err, ErrStreamConsumed)
}

// collectJSON runs IterJSON to its end, errors as strings in place.
func collectJSON[T any](t *testing.T, r *Response) (vals []T, errs []error) {
	t.Helper()
	for v, err := range IterJSON[T](r) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vals = append(vals, v)
	}
	return vals, errs
}

func TestIterJSON(t *testing.T) {
	s := testSession(t)
	tests := []struct {
		name      string
		ct        string
		chunks    []string
		want      []int
		errLines  []int
		errSubstr string
	}{
		{name: "NDJSON", chunks: []string{"{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"}, want: []int{1, 2, 3}},
		{name: "no final newline", chunks: []string{"{\"n\":1}\n{\"n\":2}"}, want: []int{1, 2}},
		{name: "CRLF and blank lines", chunks: []string{"\r\n{\"n\":1}\r\n\r\n\n  \n{\"n\":2}\r\n\r\n"}, want: []int{1, 2}},
		{name: "concatenated", chunks: []string{`{"n":1}{"n":2} {"n":3}`}, want: []int{1, 2, 3}},
		{name: "pretty-printed", chunks: []string{"{\n  \"n\": 1\n}\n{\n  \"n\": 2,\n  \"s\": \"}{\\\"\"\n}\n"}, want: []int{1, 2}},
		{name: "split everywhere", chunks: strings.Split("{\"n\":1}\n{\"n\":22}\r\n{\"n\":3}", ""), want: []int{1, 22, 3}},
		{name: "bad line then more", chunks: []string{"{\"n\":1}\n{\"n\":,}\n{\"n\":3}\n"}, want: []int{1, 3}, errLines: []int{2}, errSubstr: "invalid character ','"},
		{name: "unterminated string", chunks: []string{"{\"n\":1}\n{\"n\":\"abc\n{\"n\":3}\n"}, want: []int{1, 3}, errLines: []int{2}},
		{name: "unbalanced", chunks: []string{"{\"n\":1}\n{\"n\":[1}\n{\"n\":3}\n"}, want: []int{1, 3}, errLines: []int{2}},
		{name: "stray closer", chunks: []string{"{\"n\":1}}\n{\"n\":3}\n"}, want: []int{1, 3}, errLines: []int{1}},
		{name: "wrong type", chunks: []string{"{\"n\":1}\n\n{\"n\":\"x\"}\n{\"n\":3}\n"}, want: []int{1, 3}, errLines: []int{3}, errSubstr: "cannot unmarshal"},
		{name: "bad pretty value", chunks: []string{"{\n \"n\": 1,\n \"m\": x\n}\n{\"n\":5}\n"}, want: []int{5}, errLines: []int{3, 4}},
		{name: "truncated at the end", chunks: []string{"{\"n\":1}\n{\"n\":"}, want: []int{1}, errLines: []int{2}, errSubstr: "unexpected end"},
		{name: "UTF-16", ct: "application/x-ndjson", chunks: []string{utf16LE("{\"n\":1}\n{\"n\":2}\n")}, want: []int{1, 2}},
	}
	type item struct {
		N int `json:"n"`
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.ct
			if ct == "" {
				ct = "application/x-ndjson"
			}
			srv := chunkServer(t, ct, tt.chunks...)
			for _, stream := range []bool{false, true} {
				r, err := s.Get(srv.URL, Stream(stream))
				require.NoError(t, err)
				vals, errs := collectJSON[item](t, r)
				var got []int
				for _, v := range vals {
					got = append(got, v.N)
				}
				assert.Equal(t, tt.want, got)
				require.Len(t, errs, len(tt.errLines), "%v", errs)
				for i, err := range errs {
					require.ErrorIs(t, err, ErrJSONDecode)
					var je *JSONDecodeError
					require.ErrorAs(t, err, &je)
					assert.Equal(t, tt.errLines[i], je.Line, "%v", err)
					assert.Contains(t, err.Error(), tt.errSubstr)
				}
			}
		})
	}
}

func TestIterJSONBreakClosesAndStops(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(w, "{\"n\":%d}\n", i); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			if i == 3 {
				<-block // until the client has gone
			}
		}
	}))
	defer srv.Close()
	defer close(block)
	s := testSession(t)
	r, err := s.Get(srv.URL, Stream(true))
	require.NoError(t, err)
	var got []int
	for v, err := range IterJSON[map[string]int](r) {
		require.NoError(t, err)
		got = append(got, v["n"])
		if len(got) == 2 {
			break
		}
	}
	assert.Equal(t, []int{0, 1}, got)
	_, err = io.ReadAll(r.Body())
	assert.Error(t, err, "the Response is closed")
}

func TestIterJSONStopOnError(t *testing.T) {
	srv := chunkServer(t, "application/x-ndjson", "1\nnope\n3\n")
	s := testSession(t)
	r, err := s.Get(srv.URL, Stream(true))
	require.NoError(t, err)
	var got []int
	var stop error
	for v, err := range IterJSON[int](r) {
		if err != nil {
			stop = err
			break
		}
		got = append(got, v)
	}
	assert.Equal(t, []int{1}, got)
	require.ErrorIs(t, stop, ErrJSONDecode)
}

func TestIterJSONReadErrorEndsTheLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "1\n2\n")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	s := testSession(t)
	r, err := s.Get(srv.URL, Stream(true))
	require.NoError(t, err)
	var got []int
	var errs []error
	for v, err := range IterJSON[int](r) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, v)
	}
	assert.Equal(t, []int{1, 2}, got)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrChunkedEncoding)
}

func TestIterJSONValueCap(t *testing.T) {
	srv := chunkServer(t, "application/x-ndjson", "[1]\n["+strings.Repeat("1,", 100<<10)+"1]\n[2]\n")
	s := testSession(t)
	r, err := s.Get(srv.URL, Stream(true), MaxBodySize(64<<10))
	require.NoError(t, err)
	vals, errs := collectJSON[[]int](t, r)
	assert.Equal(t, [][]int{{1}}, vals)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrBodyTooLarge)
}

// ndjsonServer streams n generated records, made on the fly so that the
// server holds no more than the test does.
func ndjsonServer(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64)
		w.Header().Set("Content-Type", "application/x-ndjson")
		line := []byte(`{"id":00000000,"name":"gopher","tags":["a","b","c"],"score":12.5,"ok":true,"pad":"` + strings.Repeat("x", 120) + `"}` + "\n")
		buf := make([]byte, 0, 64<<10)
		var sent int64
		for i := 0; sent < size; i++ {
			copy(line[6:14], strconv.Itoa(10000000+i%90000000))
			buf = append(buf, line...)
			if len(buf) > cap(buf)-len(line) {
				n, err := w.Write(buf)
				sent += int64(n)
				if err != nil {
					return
				}
				buf = buf[:0]
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type ndRecord struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Score float64  `json:"score"`
	OK    bool     `json:"ok"`
	Pad   string   `json:"pad"`
}

// streamedHeap runs IterJSON over size bytes and returns the records
// decoded and the peak live heap growth seen during the loop.
func streamedHeap(t testing.TB, size int64) (int, uint64) {
	srv := ndjsonServer(t)
	s := testSession(t)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var peak uint64
	r, err := s.Get(srv.URL+"?bytes="+strconv.FormatInt(size, 10), Stream(true))
	require.NoError(t, err)
	n := 0
	for rec, err := range IterJSON[ndRecord](r) {
		require.NoError(t, err)
		if rec.Name != "gopher" {
			t.Fatalf("record %d: %+v", n, rec)
		}
		n++
		if n%20000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc-min(before, ms.HeapAlloc))
		}
	}
	return n, peak
}

func TestIterJSONMemoryIsFlat(t *testing.T) {
	size := int64(32 << 20)
	if v, err := strconv.ParseInt(strings.TrimSpace(os.Getenv("REQUESTS_ITERJSON_BYTES")), 10, 64); err == nil && v > 0 {
		size = v
	}
	rssBefore := procStatus("VmRSS")
	n, peak := streamedHeap(t, size)
	t.Logf("%d MiB, %d records, peak live heap growth %d KiB; RSS before %d KiB, peak RSS %d KiB",
		size>>20, n, peak>>10, rssBefore, procStatus("VmHWM"))
	assert.Greater(t, n, int(size/300))
	assert.Less(t, peak, uint64(8<<20), "memory stays flat whatever the stream's length")
}

func TestJSONCharsetMatchesResponseJSON(t *testing.T) {
	// The streamed rules agree with Response.JSON on declared charsets.
	s := testSession(t)
	for _, ct := range []string{"application/json", "text/plain", "text/plain; charset=windows-1252", "application/json; charset=utf-8", "application/octet-stream", "text/plain; charset=ascii"} {
		srv := chunkServer(t, ct, "{\"name\":\"caf\xe9 \x93q\x94\"}")
		r, err := s.Get(srv.URL)
		require.NoError(t, err)
		var want typedUser
		wantErr := r.JSON(&want)
		got, err := As[typedUser](r, nil)
		if wantErr != nil {
			assert.Error(t, err, ct)
			continue
		}
		require.NoError(t, err, ct)
		assert.Equal(t, want, got, ct)
	}
}

func TestJSONDecodeErrorMessage(t *testing.T) {
	e := &JSONDecodeError{Offset: 5, Line: 2, Column: 3, Snippet: "a\nb", Err: errors.New("bad")}
	assert.Equal(t, `bad: line 2 column 3 (offset 5) near "a\nb"`, e.Error())
	var syn *json.SyntaxError
	assert.False(t, errors.As(e, &syn))
}

// procStatus reads a kB field of /proc/self/status, 0 where there is none.
func procStatus(field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
