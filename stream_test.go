package requests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

// randomBytes returns go-httpbin's /bytes/n?seed=1 as a plain GET sees it.
func randomBytes(t *testing.T, s *Session, base string, n int) []byte {
	t.Helper()
	r, err := s.Get(base + "/bytes/" + strconv.Itoa(n) + "?seed=1")
	require.NoError(t, err)
	require.Len(t, r.Content(), n)
	return r.Content()
}

func TestIterContent(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)
	const n = 10000
	want := randomBytes(t, s, bin.URL, n)

	for _, chunk := range []int{1, 7, 1024, n, 3 * n, 0, -1} {
		t.Run("chunk "+strconv.Itoa(max(chunk, 0)), func(t *testing.T) {
			r, err := s.Get(bin.URL+"/bytes/"+strconv.Itoa(n)+"?seed=1", Stream(true))
			require.NoError(t, err)
			defer r.Close()
			var got []byte
			var sizes []int
			for b, err := range r.IterContent(chunk) {
				require.NoError(t, err)
				require.NotEmpty(t, b)
				got = append(got, b...)
				sizes = append(sizes, len(b))
			}
			assert.Equal(t, want, got)
			if chunk > 0 {
				for _, size := range sizes[:len(sizes)-1] {
					assert.Equal(t, chunk, size, "every chunk but the last is full")
				}
				assert.LessOrEqual(t, sizes[len(sizes)-1], chunk)
			}
		})
	}

	t.Run("a buffered response iterates over its content, again and again", func(t *testing.T) {
		r, err := s.Get(bin.URL + "/bytes/" + strconv.Itoa(n) + "?seed=1")
		require.NoError(t, err)
		for range 2 {
			var got []byte
			for b, err := range r.IterContent(4096) {
				require.NoError(t, err)
				got = append(got, b...)
			}
			assert.Equal(t, want, got)
		}
	})
	t.Run("copies of the chunks can be kept", func(t *testing.T) {
		r, err := s.Get(bin.URL+"/bytes/"+strconv.Itoa(n)+"?seed=1", Stream(true))
		require.NoError(t, err)
		var kept [][]byte
		for b, err := range r.IterContent(100) {
			require.NoError(t, err)
			kept = append(kept, bytes.Clone(b)) // b is reused by the next iteration
		}
		assert.Equal(t, want, bytes.Join(kept, nil))
	})
}

// pieces is a reader that returns its pieces one Read at a time, so a test
// decides where the reads split the data.
type pieces [][]byte

func (p *pieces) Read(b []byte) (int, error) {
	for len(*p) > 0 && len((*p)[0]) == 0 {
		*p = (*p)[1:]
	}
	if len(*p) == 0 {
		return 0, io.EOF
	}
	n := copy(b, (*p)[0])
	(*p)[0] = (*p)[0][n:]
	return n, nil
}

// everySplit calls f with data cut into reads of every size from 1 up.
func everySplit(data string, f func(r io.Reader, desc string)) {
	for size := 1; size <= len(data)+1; size++ {
		p := pieces{}
		for _, c := range faultkit.Split([]byte(data), size) {
			p = append(p, bytes.Clone(c))
		}
		f(&p, "reads of "+strconv.Itoa(size))
	}
}

func scan(r io.Reader, split bufio.SplitFunc) []string {
	sc := bufio.NewScanner(r)
	sc.Split(split)
	out := []string{}
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func TestSplitLinesLikePythonSplitlines(t *testing.T) {
	// The results are those of Python's bytes.splitlines.
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\nb", []string{"a", "b"}},
		{"a\r\nb\r\n", []string{"a", "b"}},
		{"a\rb\r", []string{"a", "b"}},
		{"a\n\nb", []string{"a", "", "b"}},
		{"\n", []string{""}},
		{"\r\n", []string{""}},
		{"\n\n", []string{"", ""}},
		{"a\r\r\nb", []string{"a", "", "b"}},
		{"a\r\n\r\nb", []string{"a", "", "b"}},
		{"a\n\rb", []string{"a", "", "b"}},
		{"tab\tand space \n", []string{"tab\tand space "}},
		{"data: {\"x\":1}\r\n\r\ndata: 2\r\n", []string{"data: {\"x\":1}", "", "data: 2"}},
	}
	for _, tt := range tests {
		everySplit(tt.in, func(r io.Reader, desc string) {
			assert.Equal(t, tt.want, scan(r, splitLines), "%q in %s", tt.in, desc)
		})
	}
}

func TestSplitOnDelimiter(t *testing.T) {
	tests := []struct {
		in, sep string
		want    []string
	}{
		{"a||b", "||", []string{"a", "b"}},
		{"a||b||", "||", []string{"a", "b"}},
		{"a||||b", "||", []string{"a", "", "b"}},
		{"||", "||", []string{""}},
		{"a|b||c", "||", []string{"a|b", "c"}},
		{"a\nb", "||", []string{"a\nb"}},
		{"rec1\x1erec2\x1e", "\x1e", []string{"rec1", "rec2"}},
		{"a\r\nb\nc", "\r\n", []string{"a", "b\nc"}},
	}
	for _, tt := range tests {
		everySplit(tt.in, func(r io.Reader, desc string) {
			assert.Equal(t, tt.want, scan(r, splitOn([]byte(tt.sep))), "%q on %q in %s", tt.in, tt.sep, desc)
		})
	}
}

func TestIterLines(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)

	t.Run("go-httpbin /stream", func(t *testing.T) {
		r, err := s.Get(bin.URL+"/stream/5", Stream(true))
		require.NoError(t, err)
		defer r.Close()
		n := 0
		for line, err := range r.IterLines() {
			require.NoError(t, err)
			var obj struct{ ID int }
			require.NoError(t, json.Unmarshal(line, &obj), "%q", line)
			assert.Equal(t, n, obj.ID)
			n++
		}
		assert.Equal(t, 5, n)
	})

	// A server that sends each piece in its own chunk, with a pause, so
	// terminators straddle the reads.
	drip := func(t *testing.T, body string, size int) string {
		srv := faultkit.Listen(t, faultkit.Drip(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: "+strconv.Itoa(len(body))+"\n\n"),
			faultkit.Split([]byte(body), size), 5*time.Millisecond))
		return srv.URL
	}
	t.Run("terminators split across reads, last line without one", func(t *testing.T) {
		u := drip(t, "one\r\ntwo\rthree\n\nlast", 4)
		r, err := s.Get(u, Stream(true))
		require.NoError(t, err)
		var lines []string
		for line, err := range r.IterLines() {
			require.NoError(t, err)
			lines = append(lines, string(line))
		}
		assert.Equal(t, []string{"one", "two", "three", "", "last"}, lines)
	})
	t.Run("delimiter split across reads", func(t *testing.T) {
		u := drip(t, "a<SEP>b<SEP><SEP>c<SEP>", 3)
		r, err := s.Get(u, Stream(true))
		require.NoError(t, err)
		var recs []string
		for rec, err := range r.IterDelimited("<SEP>") {
			require.NoError(t, err)
			recs = append(recs, string(rec))
		}
		assert.Equal(t, []string{"a", "b", "", "c"}, recs)
	})
	t.Run("lines arrive as they are sent", func(t *testing.T) {
		// The server sends the second line only once the first has been
		// received: a line that waited for the whole body would deadlock.
		got := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "first\n")
			w.(http.Flusher).Flush()
			select {
			case <-got:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, "second\n")
		}))
		t.Cleanup(srv.Close)
		r, err := s.Get(srv.URL, Stream(true), ReadTimeout(bound))
		require.NoError(t, err)
		var lines []string
		for line, err := range r.IterLines() {
			require.NoError(t, err)
			lines = append(lines, string(line))
			if len(lines) == 1 {
				close(got)
			}
		}
		assert.Equal(t, []string{"first", "second"}, lines)
	})
	t.Run("a line longer than MaxBodySize", func(t *testing.T) {
		r, err := s.Get(bin.URL+"/range/5000", Stream(true), MaxBodySize(100))
		require.NoError(t, err)
		defer r.Close()
		var last error
		for _, err := range r.IterLines() {
			last = err
		}
		assert.ErrorIs(t, last, ErrBodyTooLarge)
	})
	t.Run("buffered", func(t *testing.T) {
		r, err := s.Get(bin.URL + "/stream/3")
		require.NoError(t, err)
		n := 0
		for _, err := range r.IterLines() {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 3, n)
	})
}

func TestBodyForIOCopy(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)
	want := randomBytes(t, s, bin.URL, 50000)

	r, err := s.Get(bin.URL+"/bytes/50000?seed=1", Stream(true))
	require.NoError(t, err)
	var buf bytes.Buffer
	body := r.Body()
	n, err := io.Copy(&buf, body)
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), n)
	assert.Equal(t, want, buf.Bytes())
	require.NoError(t, body.Close())
	require.NoError(t, r.Close(), "Close after the body's Close is fine")

	t.Run("a buffered response reads its content", func(t *testing.T) {
		r, err := s.Get(bin.URL + "/bytes/50000?seed=1")
		require.NoError(t, err)
		for range 2 {
			b, err := io.ReadAll(r.Body())
			require.NoError(t, err)
			assert.Equal(t, want, b)
		}
	})
	t.Run("decoded", func(t *testing.T) {
		r, err := s.Get(bin.URL+"/gzip", Stream(true))
		require.NoError(t, err)
		b, err := io.ReadAll(r.Body())
		require.NoError(t, err)
		assert.Contains(t, string(b), `"gzipped": true`)
	})
}

func TestStreamIsConsumedOnce(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)
	get := func(t *testing.T) *Response {
		r, err := s.Get(bin.URL+"/bytes/1000", Stream(true))
		require.NoError(t, err)
		t.Cleanup(func() { r.Close() })
		return r
	}
	firstErr := func(seq func(func([]byte, error) bool)) error {
		var e error
		for _, err := range seq {
			if err != nil {
				e = err
			}
		}
		return e
	}

	t.Run("Body twice", func(t *testing.T) {
		r := get(t)
		r.Body()
		_, err := r.Body().Read(make([]byte, 1))
		assert.ErrorIs(t, err, ErrStreamConsumed)
	})
	t.Run("iterators after Body", func(t *testing.T) {
		r := get(t)
		r.Body()
		assert.ErrorIs(t, firstErr(r.IterContent(10)), ErrStreamConsumed)
		assert.ErrorIs(t, firstErr(r.IterLines()), ErrStreamConsumed)
		assert.ErrorIs(t, firstErr(r.IterDelimited(",")), ErrStreamConsumed)
	})
	t.Run("the same iterator ranged twice", func(t *testing.T) {
		r := get(t)
		seq := r.IterContent(100)
		assert.NoError(t, firstErr(seq))
		assert.ErrorIs(t, firstErr(seq), ErrStreamConsumed)
	})
	t.Run("an iterator not ranged over consumes nothing", func(t *testing.T) {
		r := get(t)
		_ = r.IterContent(10)
		assert.Len(t, r.Content(), 1000)
	})
	t.Run("Content and JSON after a partial read", func(t *testing.T) {
		r := get(t)
		for range r.IterContent(10) {
			break
		}
		assert.Nil(t, r.Content())
		assert.ErrorIs(t, r.JSON(new(any)), ErrStreamConsumed)
		assert.ErrorIs(t, r.Save(t.TempDir()+"/x"), ErrStreamConsumed)
	})
	t.Run("Content first, then everything reads it", func(t *testing.T) {
		r := get(t)
		content := r.Content()
		require.Len(t, content, 1000)
		b, err := io.ReadAll(r.Body())
		require.NoError(t, err)
		assert.Equal(t, content, b)
		var it []byte
		for c, err := range r.IterContent(7) {
			require.NoError(t, err)
			it = append(it, c...)
		}
		assert.Equal(t, content, it)
	})
	t.Run("after Close", func(t *testing.T) {
		r := get(t)
		require.NoError(t, r.Close())
		require.NoError(t, r.Close(), "Close is idempotent")
		_, err := r.Body().Read(make([]byte, 1))
		assert.ErrorIs(t, err, http.ErrBodyReadAfterClose)
		assert.Nil(t, r.Content())
	})
}

// connCounter is a test server that counts the connections it accepts.
type connCounter struct {
	*httptest.Server
	conns atomic.Int32
}

func newConnCounter(t *testing.T, h http.Handler) *connCounter {
	c := &connCounter{}
	c.Server = httptest.NewUnstartedServer(h)
	c.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.conns.Add(1)
		}
	}
	c.Start()
	t.Cleanup(c.Close)
	return c
}

func TestStreamReadToEOFReleasesWithoutClose(t *testing.T) {
	plain := bytes.Repeat([]byte("line of text\n"), 5000)
	codings := []string{"gzip", "deflate", "br", "zstd"}
	encoded := map[string][]byte{}
	for _, c := range codings {
		encoded["/"+c] = encodeAs(t, plain, c)
	}
	// Bytes after the gzip member are ignored, as urllib3 does, but they
	// are part of the body: the decoder stops before them.
	encoded["/gzip-trailing"] = append(encodeAs(t, plain, "gzip"), make([]byte, 40<<10)...)
	srv := newConnCounter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if data, ok := encoded[r.URL.Path]; ok {
			// Chunked and encoded: a decoder may end before the last
			// chunk, which must still be read for the connection to be
			// reused.
			w.Header().Set("Content-Encoding", strings.TrimSuffix(r.URL.Path[1:], "-trailing"))
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			w.Write(data[len(data)/2:])
			return
		}
		w.Write(plain)
	}))
	s := testSession(t)

	readers := map[string]func(t *testing.T, r *Response){
		"Body": func(t *testing.T, r *Response) {
			_, err := io.Copy(io.Discard, r.Body())
			require.NoError(t, err)
		},
		"IterContent": func(t *testing.T, r *Response) {
			for _, err := range r.IterContent(1000) {
				require.NoError(t, err)
			}
		},
		"IterLines": func(t *testing.T, r *Response) {
			for _, err := range r.IterLines() {
				require.NoError(t, err)
			}
		},
		"Content": func(t *testing.T, r *Response) { require.Len(t, r.Content(), len(plain)) },
		"Save":    func(t *testing.T, r *Response) { require.NoError(t, r.Save(t.TempDir()+"/f")) },
	}
	for name, read := range readers {
		for _, path := range []string{"/plain", "/gzip", "/deflate", "/br", "/zstd", "/gzip-trailing"} {
			t.Run(name+path, func(t *testing.T) {
				before := srv.conns.Load()
				for range 5 {
					r, err := s.Get(srv.URL+path, Stream(true))
					require.NoError(t, err)
					read(t, r)
					assert.True(t, r.call.released.Load(), "the call's timer and context are released")
					// No Close.
				}
				assert.LessOrEqual(t, srv.conns.Load()-before, int32(1), "one connection serves every call")
			})
		}
	}

	t.Run("an abandoned stream, closed, is not reused", func(t *testing.T) {
		s := testSession(t)
		before := srv.conns.Load()
		for range 3 {
			r, err := s.Get(srv.URL+"/plain", Stream(true))
			require.NoError(t, err)
			for range r.IterContent(10) {
				break
			}
			require.NoError(t, r.Close())
			assert.True(t, r.call.released.Load())
		}
		assert.Equal(t, int32(3), srv.conns.Load()-before, "a connection with unread data is closed, not pooled")
	})
}

func TestStreamErrorsReleaseEverything(t *testing.T) {
	s := testSession(t)
	t.Run("truncated", func(t *testing.T) {
		srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 1000\n\n"), []byte("short")))
		r, err := s.Get(srv.URL, Stream(true))
		require.NoError(t, err)
		var got []byte
		var last error
		for b, err := range r.IterContent(2) {
			got = append(got, b...)
			last = err
		}
		assert.Equal(t, "short", string(got))
		assert.ErrorIs(t, last, ErrChunkedEncoding)
		assert.True(t, r.call.released.Load())
	})
	t.Run("read timeout", func(t *testing.T) {
		srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
		r, err := s.Get(srv.URL, Stream(true), ReadTimeout(200*time.Millisecond))
		require.NoError(t, err)
		_, err = io.ReadAll(r.Body())
		assert.ErrorIs(t, err, ErrReadTimeout)
		var e *Error
		assert.ErrorAs(t, err, &e)
		assert.True(t, r.call.released.Load())
	})
}

func TestCloseWhileAnotherGoroutineReads(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\nsome")))
	r, err := testSession(t).Get(srv.URL, Stream(true), Timeout(0))
	require.NoError(t, err)
	body := r.Body()
	buf := make([]byte, 4)
	_, err = io.ReadFull(body, buf)
	require.NoError(t, err)

	done := make(chan error)
	go func() {
		_, err := body.Read(make([]byte, 10)) // blocks: the server sends no more
		done <- err
	}()
	// Close from here, whether or not the Read has started yet: either way
	// the Read must end with an error rather than wait for the server.
	require.NoError(t, r.Close())
	select {
	case err := <-done:
		assert.Error(t, err)
	case <-time.After(bound):
		t.Fatal("Close did not end the Read")
	}
}

func TestBreakingOutOfALoopLeaksNothing(t *testing.T) {
	// goleak in TestMain checks the goroutines; this checks the caller
	// only has to Close.
	bin := newHTTPBin(t)
	s := testSession(t)
	for range 3 {
		r, err := s.Get(bin.URL+"/drip?numbytes=100&duration=0.2", Stream(true))
		require.NoError(t, err)
		for b, err := range r.IterContent(1) {
			require.NoError(t, err)
			require.Len(t, b, 1)
			break
		}
		require.NoError(t, r.Close())
		assert.True(t, r.call.released.Load())
	}
}

// lineSource yields n bytes of 80-byte lines, without holding them.
type lineSource struct{ n int }

func (l *lineSource) Read(p []byte) (int, error) {
	if l.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), l.n)]
	for i := range p {
		p[i] = 'a' + byte(i%26)
		if (l.n-i)%80 == 1 { // the last byte ends a line
			p[i] = '\n'
		}
	}
	l.n -= len(p)
	return len(p), nil
}

func TestStreamsReadInConstantMemory(t *testing.T) {
	const size = 16 << 20
	reads := map[string]func(t *testing.T, r *Response) int{
		"IterContent(64 KiB)": func(t *testing.T, r *Response) (n int) {
			for b, err := range r.IterContent(64 << 10) {
				require.NoError(t, err)
				n += len(b)
			}
			return n
		},
		"IterContent(0)": func(t *testing.T, r *Response) (n int) {
			for b, err := range r.IterContent(0) {
				require.NoError(t, err)
				n += len(b)
			}
			return n
		},
		"IterLines": func(t *testing.T, r *Response) (n int) {
			for line, err := range r.IterLines() {
				require.NoError(t, err)
				n += len(line) + 1
			}
			return n
		},
		"Body": func(t *testing.T, r *Response) int {
			n, err := io.Copy(io.Discard, r.Body())
			require.NoError(t, err)
			return int(n)
		},
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			s := mountedBody(http.Header{}, &lineSource{n: size})
			defer s.Close()
			r, err := s.Get("http://fuzz.test/", Stream(true))
			require.NoError(t, err)
			defer r.Close()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			assert.Equal(t, size, read(t, r))
			runtime.ReadMemStats(&after)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(size/8), "bytes allocated while streaming")
		})
	}
}

func TestIterContentChunkIsValidUntilTheNextIteration(t *testing.T) {
	s := mountedBody(http.Header{}, strings.NewReader("abcdefghij"))
	defer s.Close()
	r, err := s.Get("http://fuzz.test/", Stream(true))
	require.NoError(t, err)
	var kept [][]byte
	for b, err := range r.IterContent(4) {
		require.NoError(t, err)
		kept = append(kept, bytes.Clone(b)) // a copy outlives the iteration
	}
	assert.Equal(t, [][]byte{[]byte("abcd"), []byte("efgh"), []byte("ij")}, kept)
}
