package requests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

// gotPart is one part as a Go multipart parser read it.
type gotPart struct {
	Name        string      `json:"name"`
	Filename    string      `json:"filename"` // raw, not passed through filepath.Base
	HasFilename bool        `json:"has_filename"`
	ContentType string      `json:"content_type"`
	Header      http.Header `json:"header"`
	Body        string      `json:"body"`
}

// gotForm is what the form server saw of one request.
type gotForm struct {
	Method        string    `json:"method"`
	ContentLength int64     `json:"content_length"`
	Chunked       bool      `json:"chunked"`
	ContentType   string    `json:"content_type"`
	Parts         []gotPart `json:"parts"`
}

// formServer parses multipart requests with mime/multipart and reports
// every part. /307, /308 and /302 redirect to /form; requests counts the
// requests that carried a body.
type formServer struct {
	*httptest.Server
	requests atomic.Int32
}

func newFormServer(t *testing.T) *formServer {
	fs := &formServer{}
	mux := http.NewServeMux()
	for _, code := range []int{302, 307, 308} {
		mux.HandleFunc("/"+strconv.Itoa(code), func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			fs.requests.Add(1)
			http.Redirect(w, r, "/form", code)
		})
	}
	mux.HandleFunc("/form", func(w http.ResponseWriter, r *http.Request) {
		fs.requests.Add(1)
		got := gotForm{
			Method:        r.Method,
			ContentLength: r.ContentLength,
			Chunked:       len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked",
			ContentType:   r.Header.Get("Content-Type"),
		}
		if mr, err := r.MultipartReader(); err == nil {
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				b, err := io.ReadAll(p)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
				fn, has := params["filename"]
				got.Parts = append(got.Parts, gotPart{
					Name: p.FormName(), Filename: fn, HasFilename: has,
					ContentType: p.Header.Get("Content-Type"), Header: http.Header(p.Header), Body: string(b),
				})
			}
		} else {
			io.Copy(io.Discard, r.Body)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(got)
	})
	fs.Server = httptest.NewServer(mux)
	t.Cleanup(fs.Close)
	return fs
}

func postForm(t *testing.T, s *Session, u string, opts ...Option) gotForm {
	t.Helper()
	r, err := s.Post(u, opts...)
	require.NoError(t, err)
	require.Equal(t, 200, r.StatusCode, r.Text())
	var got gotForm
	require.NoError(t, r.JSON(&got))
	return got
}

// onlyReader hides every method but Read: a stream of unknown size.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// seekOnly is a ReadSeeker that is not a ReaderAt.
type seekOnly struct{ io.ReadSeeker }

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	p, err := filepath.EvalSymlinks(p)
	require.NoError(t, err)
	return p
}

func TestFilesFromEverySource(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)
	path := writeFile(t, "notes.json", `{"from":"path"}`)
	opened, err := os.Open(writeFile(t, "open.png", "PNG from *os.File"))
	require.NoError(t, err)
	t.Cleanup(func() { opened.Close() })
	partlyRead := bytes.NewReader([]byte("skip:rest"))
	partlyRead.Seek(5, io.SeekStart)

	tests := []struct {
		name     string
		file     File
		body     string
		filename string
		ctype    string
		sized    bool
	}{
		{"path", FileFromPath(path), `{"from":"path"}`, "notes.json", "application/json", true},
		{"*os.File", File{Reader: opened}, "PNG from *os.File", "open.png", "image/png", true},
		{"*bytes.Reader", File{Name: "b.bin", Reader: bytes.NewReader([]byte("bytes"))}, "bytes", "b.bin", "application/octet-stream", true},
		{"*bytes.Reader from its offset", File{Name: "r.txt", Reader: partlyRead, ContentType: "text/plain"}, "rest", "r.txt", "text/plain", true},
		{"*strings.Reader", File{Name: "s.html", Reader: strings.NewReader("<p>hi</p>")}, "<p>hi</p>", "s.html", "text/html; charset=utf-8", true},
		{"*bytes.Buffer", File{Name: "buf.css", Reader: bytes.NewBufferString("a{}")}, "a{}", "buf.css", "text/css; charset=utf-8", true},
		{"io.SectionReader", File{Name: "sec", Reader: io.NewSectionReader(strings.NewReader("0123456789"), 2, 3)}, "234", "sec", "application/octet-stream", true},
		{"seeker only", File{Name: "seek", Reader: seekOnly{strings.NewReader("seekable")}}, "seekable", "seek", "application/octet-stream", true},
		{"plain reader, no name: the field name", File{Reader: onlyReader{strings.NewReader("stream")}}, "stream", "doc", "application/octet-stream", false},
		{"empty reader", File{Name: "empty.xml", Reader: strings.NewReader("")}, "", "empty.xml", "text/xml; charset=utf-8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := postForm(t, s, srv.URL+"/form", Files{"doc": tt.file})
			require.Len(t, got.Parts, 1)
			p := got.Parts[0]
			assert.Equal(t, "doc", p.Name)
			assert.Equal(t, tt.body, p.Body)
			assert.Equal(t, tt.filename, p.Filename)
			assert.Equal(t, tt.ctype, p.ContentType)
			if tt.sized {
				assert.False(t, got.Chunked)
				assert.Positive(t, got.ContentLength, "every size is known: a Content-Length is sent")
			} else {
				assert.True(t, got.Chunked, "a stream of unknown size is sent chunked")
				assert.Equal(t, int64(-1), got.ContentLength)
			}
			assert.True(t, strings.HasPrefix(got.ContentType, "multipart/form-data; boundary="), got.ContentType)
		})
	}
}

func TestFilesContentLengthIsExact(t *testing.T) {
	// The length is computed before sending; the server checks it
	// against the bytes it got, and so does net/http on the way out.
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || int64(len(b)) != r.ContentLength {
			http.Error(w, "length mismatch", http.StatusBadRequest)
			return
		}
		seen.Store(r.ContentLength)
	}))
	t.Cleanup(srv.Close)
	big := strings.Repeat("x", 300<<10)
	r, err := testSession(t).Post(srv.URL,
		Data(url.Values{"a": {"1", "2"}, "b": {"ü"}}),
		Files{"big": {Name: "big.txt", Reader: strings.NewReader(big)}, "p": FileFromPath(writeFile(t, "p.txt", "path"))},
		MultiFiles{"many": {{Reader: bytes.NewReader([]byte("one"))}, {Name: "2", Reader: strings.NewReader("two")}}},
	)
	require.NoError(t, err)
	require.Equal(t, 200, r.StatusCode, r.Text())
	assert.Equal(t, r.Request.ContentLength, seen.Load())
	assert.Greater(t, seen.Load(), int64(len(big)))
}

func TestFilesWithFormFields(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)
	got := postForm(t, s, srv.URL+"/form",
		Files{"file": {Name: "a.txt", Reader: strings.NewReader("A")}},
		Data(url.Values{"z": {"last", "again"}, "a": {"first"}}),
	)
	// Fields first, as requests' encode_files, then the files.
	require.Len(t, got.Parts, 4)
	names := []string{}
	for _, p := range got.Parts {
		names = append(names, p.Name+"="+p.Body)
		if p.Name != "file" {
			assert.False(t, p.HasFilename, "a form field has no filename")
			assert.Empty(t, p.ContentType)
		}
	}
	assert.Equal(t, []string{"a=first", "z=last", "z=again", "file=A"}, names)

	got = postForm(t, s, srv.URL+"/form", Data(map[string]string{"k": "v"}), Files{"f": {Reader: strings.NewReader("F")}})
	require.Len(t, got.Parts, 2)
	assert.Equal(t, "k", got.Parts[0].Name)

	// go-httpbin, which parses with net/http, sees the same form.
	bin := newHTTPBin(t)
	r, err := s.Post(bin.URL+"/anything", Data(map[string]string{"user": "gopher"}),
		Files{"upload": {Name: "hello.txt", Reader: strings.NewReader("hello, world")}})
	require.NoError(t, err)
	var e struct {
		Form  map[string][]string `json:"form"`
		Files map[string][]string `json:"files"`
	}
	require.NoError(t, r.JSON(&e))
	assert.Equal(t, map[string][]string{"user": {"gopher"}}, e.Form)
	assert.Equal(t, map[string][]string{"upload": {"hello, world"}}, e.Files)
}

func TestFilesOptionsCombine(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)

	t.Run("files win over json", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/form", JSON(map[string]int{"a": 1}), Files{"f": {Reader: strings.NewReader("F")}})
		require.Len(t, got.Parts, 1)
		assert.Equal(t, "F", got.Parts[0].Body)
	})
	t.Run("raw data cannot combine with files", func(t *testing.T) {
		before := srv.requests.Load()
		for _, d := range []any{"raw", []byte("raw"), strings.NewReader("raw")} {
			_, err := s.Post(srv.URL+"/form", Data(d), Files{"f": {Reader: strings.NewReader("F")}})
			assert.ErrorIs(t, err, ErrInvalidBody, "%T", d)
		}
		assert.Equal(t, before, srv.requests.Load(), "nothing was sent")
	})
	t.Run("empty Files is no upload", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/form", Files{}, Data(map[string]string{"a": "1"}))
		assert.Equal(t, "application/x-www-form-urlencoded", got.ContentType)
	})
	t.Run("later field wins, MultiFiles keep their order", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/form",
			Files{"a": {Reader: strings.NewReader("old")}, "b": {Reader: strings.NewReader("b")}},
			Files{"a": {Reader: strings.NewReader("new")}},
			MultiFiles{"img": {{Name: "1.png", Reader: strings.NewReader("1")}, {Name: "2.png", Reader: strings.NewReader("2")}, {Name: "3.png", Reader: strings.NewReader("3")}}},
		)
		var parts []string
		for _, p := range got.Parts {
			parts = append(parts, p.Name+":"+p.Filename+":"+p.Body)
		}
		assert.Equal(t, []string{"a:a:new", "b:b:b", "img:1.png:1", "img:2.png:2", "img:3.png:3"}, parts)
	})
}

func TestFilePartHeaders(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)

	t.Run("filename with quotes, backslashes and UTF-8 round-trips", func(t *testing.T) {
		for _, name := range []string{`say "hi".txt`, `back\slash.txt`, `naïve résumé.pdf`, `semi;colon=.txt`, "tab\there"} {
			got := postForm(t, s, srv.URL+"/form", Files{"f": {Name: name, Reader: strings.NewReader("x")}})
			require.Len(t, got.Parts, 1, name)
			assert.Equal(t, name, got.Parts[0].Filename)
		}
	})
	t.Run("field name is escaped too", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/form", Files{`we"ird\field`: {Reader: strings.NewReader("x")}})
		assert.Equal(t, `we"ird\field`, got.Parts[0].Name)
	})
	t.Run("content type: given, from Header, guessed, default", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/form", MultiFiles{"f": {
			{Name: "a.png", Reader: strings.NewReader("1"), ContentType: "image/x-custom"},
			{Name: "b.png", Reader: strings.NewReader("2"), Header: http.Header{"content-type": {"image/from-header"}}},
			{Name: "c.png", Reader: strings.NewReader("3")},
			{Name: "d.unknown-ext", Reader: strings.NewReader("4")},
			{Name: "noext", Reader: strings.NewReader("5")},
		}})
		var types []string
		for _, p := range got.Parts {
			types = append(types, p.ContentType)
		}
		assert.Equal(t, []string{"image/x-custom", "image/from-header", "image/png", "application/octet-stream", "application/octet-stream"}, types)
	})
	t.Run("no filename: a field with its own type", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/form", Files{
			"meta": {Reader: strings.NewReader(`{"a":1}`), ContentType: "application/json", NoFilename: true},
			"raw":  {Reader: strings.NewReader("v"), NoFilename: true},
		})
		require.Len(t, got.Parts, 2)
		assert.False(t, got.Parts[0].HasFilename)
		assert.Equal(t, "application/json", got.Parts[0].ContentType)
		assert.False(t, got.Parts[1].HasFilename)
		assert.Empty(t, got.Parts[1].ContentType)
	})
	t.Run("extra headers and a custom disposition", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/form", MultiFiles{"f": {
			{Name: "a", Reader: strings.NewReader("1"), Header: http.Header{"X-Checksum": {"abc"}, "x-multi": {"1", "2"}}},
			{Reader: strings.NewReader("2"), Header: http.Header{"Content-Disposition": {`form-data; name="f"; filename*=UTF-8''%E2%82%AC.txt`}}},
		}})
		require.Len(t, got.Parts, 2)
		assert.Equal(t, "abc", got.Parts[0].Header.Get("X-Checksum"))
		assert.Equal(t, []string{"1", "2"}, got.Parts[0].Header["X-Multi"])
		assert.Equal(t, "€.txt", got.Parts[1].Filename, "mime decodes filename*")
	})
}

func TestFilesBadInputIsRefusedBeforeSending(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)
	dir := t.TempDir()
	x := func() io.Reader { return strings.NewReader("x") }
	tests := []struct {
		name  string
		opts  []Option
		kind  error
		cause error
	}{
		{"CR in filename", []Option{Files{"f": {Name: "a\r\nContent-Type: text/html", Reader: x()}}}, ErrInvalidHeader, nil},
		{"LF in filename", []Option{Files{"f": {Name: "a\nb", Reader: x()}}}, ErrInvalidHeader, nil},
		{"NUL in filename", []Option{Files{"f": {Name: "a\x00b", Reader: x()}}}, ErrInvalidHeader, nil},
		{"LF in field name", []Option{Files{"f\n": {Reader: x()}}}, ErrInvalidHeader, nil},
		{"LF in a form field name", []Option{Files{"f": {Reader: x()}}, Data(map[string]string{"a\nb": "v"})}, ErrInvalidHeader, nil},
		{"LF in a part header", []Option{Files{"f": {Reader: x(), Header: http.Header{"X": {"a\r\n--boundary"}}}}}, ErrInvalidHeader, nil},
		{"bad part header name", []Option{Files{"f": {Reader: x(), Header: http.Header{"Bad Name": {"v"}}}}}, ErrInvalidHeader, nil},
		{"LF in content type", []Option{Files{"f": {Reader: x(), ContentType: "text/plain\r\nX: y"}}}, ErrInvalidHeader, nil},
		{"path and reader", []Option{Files{"f": {Path: "a", Reader: x()}}}, ErrInvalidBody, nil},
		{"neither path nor reader", []Option{Files{"f": {Name: "x"}}}, ErrInvalidBody, nil},
		{"missing file", []Option{Files{"f": FileFromPath(filepath.Join(dir, "missing"))}}, nil, fs.ErrNotExist},
		{"directory", []Option{Files{"f": FileFromPath(dir)}}, ErrInvalidBody, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Post(srv.URL+"/form", tt.opts...)
			require.Error(t, err)
			var e *Error
			require.ErrorAs(t, err, &e)
			if tt.kind != nil {
				assert.ErrorIs(t, err, tt.kind)
			}
			if tt.cause != nil {
				assert.ErrorIs(t, err, tt.cause)
			}
		})
	}
	assert.Zero(t, srv.requests.Load(), "nothing was sent")
}

func TestFilesResentOn307And308(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)
	path := writeFile(t, "r.txt", "from path")
	for _, code := range []string{"307", "308"} {
		t.Run(code, func(t *testing.T) {
			got := postForm(t, s, srv.URL+"/"+code,
				Data(map[string]string{"k": "v"}),
				Files{
					"p": FileFromPath(path),
					"b": {Reader: bytes.NewReader([]byte("bytes"))},
					"s": {Reader: seekOnly{strings.NewReader("seeker")}},
				})
			require.Len(t, got.Parts, 4)
			assert.Equal(t, "POST", got.Method)
			for i, want := range []string{"v", "bytes", "from path", "seeker"} {
				assert.Equal(t, want, got.Parts[i].Body)
			}
		})
	}
	t.Run("a stream cannot be resent", func(t *testing.T) {
		_, err := s.Post(srv.URL+"/307", Files{"f": {Reader: onlyReader{strings.NewReader("once")}}})
		assert.ErrorIs(t, err, ErrUnrewindableBody)
	})
	t.Run("302 drops the body", func(t *testing.T) {
		got := postForm(t, s, srv.URL+"/302", Files{"p": FileFromPath(path)})
		assert.Equal(t, "GET", got.Method)
		assert.Empty(t, got.Parts)
	})
}

func TestFileThatChangesSizeAfterPrepare(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)

	t.Run("grown: the size measured is sent", func(t *testing.T) {
		path := writeFile(t, "grow.txt", "12345")
		req, err := s.Prepare("POST", srv.URL+"/form", Files{"f": FileFromPath(path)})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, []byte("1234567890"), 0o600))
		r, err := s.Send(req)
		require.NoError(t, err)
		var got gotForm
		require.NoError(t, r.JSON(&got))
		assert.Equal(t, "12345", got.Parts[0].Body)
	})
	t.Run("shrunk: the upload fails", func(t *testing.T) {
		path := writeFile(t, "shrink.txt", "1234567890")
		req, err := s.Prepare("POST", srv.URL+"/form", Files{"f": FileFromPath(path)})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, []byte("123"), 0o600))
		_, err = s.Send(req)
		require.Error(t, err)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Contains(t, err.Error(), "shrank")
	})
}

// openFDs counts this process's descriptors open on path.
func openFDs(t *testing.T, path string) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("counting open files needs /proc/self/fd")
	}
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == path {
			n++
		}
	}
	return n
}

func TestFilesFromPathAreClosedOnEveryPath(t *testing.T) {
	content := strings.Repeat("0123456789abcdef", 256<<10) // 4 MiB: more than the socket buffers
	path := writeFile(t, "upload.bin", content)
	forms := newFormServer(t)

	earlyReply := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(io.Discard, r.Body, 64<<10)
		w.Header().Set("Connection", "close")
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	t.Cleanup(earlyReply.Close)

	resetMidUpload := faultkit.Listen(t, func(c *faultkit.Conn) {
		req, err := http.ReadRequest(c.Reader())
		if err == nil {
			io.CopyN(io.Discard, req.Body, 64<<10)
		}
		c.Reset()
	})
	stall := faultkit.Listen(t, func(c *faultkit.Conn) {
		if _, err := http.ReadRequest(c.Reader()); err == nil {
			<-c.Done()
		}
	})
	started := make(chan struct{}, 1)
	waitForCancel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(io.Discard, r.Body, 64<<10)
		started <- struct{}{}
		// Reading fails once the client gives up and closes the connection.
		io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(waitForCancel.Close)

	file := Files{"f": FileFromPath(path)}
	tests := []struct {
		name string
		run  func(t *testing.T, s *Session)
	}{
		{"success", func(t *testing.T, s *Session) {
			got := postForm(t, s, forms.URL+"/form", file)
			assert.Len(t, got.Parts[0].Body, len(content))
		}},
		{"307, sent twice", func(t *testing.T, s *Session) {
			got := postForm(t, s, forms.URL+"/307", file)
			assert.Len(t, got.Parts[0].Body, len(content))
		}},
		{"302, sent once then dropped", func(t *testing.T, s *Session) {
			postForm(t, s, forms.URL+"/302", file)
		}},
		{"server answers before reading it all", func(t *testing.T, s *Session) {
			r, err := s.Post(earlyReply.URL, file)
			if err == nil {
				assert.Equal(t, 413, r.StatusCode)
			}
		}},
		{"connection reset mid-upload", func(t *testing.T, s *Session) {
			_, err := s.Post(resetMidUpload.URL, file)
			assert.ErrorIs(t, err, ErrConnection)
		}},
		{"read timeout while the server does not read", func(t *testing.T, s *Session) {
			_, err := s.Post(stall.URL, file, ReadTimeout(300*time.Millisecond))
			assert.ErrorIs(t, err, ErrReadTimeout)
		}},
		{"cancelled mid-upload", func(t *testing.T, s *Session) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				<-started
				cancel()
			}()
			_, err := s.Post(waitForCancel.URL, file, Context(ctx))
			assert.ErrorIs(t, err, context.Canceled)
		}},
		{"auth fails after the body is built", func(t *testing.T, s *Session) {
			_, err := s.Post(forms.URL+"/form", file, Auth(AuthFunc(func(*http.Request) error { return errors.New("no credentials") })))
			assert.Error(t, err)
		}},
		{"hook fails", func(t *testing.T, s *Session) {
			_, err := s.Post(forms.URL+"/form", file, Hook(func(*Response) error { return errors.New("rejected") }))
			assert.Error(t, err)
		}},
		{"streamed response, closed", func(t *testing.T, s *Session) {
			r, err := s.Post(forms.URL+"/form", file, Stream(true))
			require.NoError(t, err)
			require.NoError(t, r.Close())
		}},
		{"streamed response, read to its end", func(t *testing.T, s *Session) {
			r, err := s.Post(forms.URL+"/form", file, Stream(true))
			require.NoError(t, err)
			_, err = io.Copy(io.Discard, r.Body())
			require.NoError(t, err)
		}},
		{"prepared, never sent", func(t *testing.T, s *Session) {
			_, err := s.Prepare("POST", forms.URL+"/form", file)
			require.NoError(t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t)
			tt.run(t, s)
			assert.Zero(t, openFDs(t, path), "the file is closed when the call returns")
		})
	}
}

func TestUploadProgress(t *testing.T) {
	srv := newFormServer(t)
	s := testSession(t)
	content := strings.Repeat("x", 1<<20)

	type call struct{ done, total int64 }
	// f runs in the goroutine net/http sends the body from.
	var mu sync.Mutex
	record := func() (func() []call, Option) {
		var calls []call
		get := func() []call {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(calls)
		}
		return get, UploadProgress(func(done, total int64) {
			mu.Lock()
			calls = append(calls, call{done, total})
			mu.Unlock()
		})
	}
	check := func(t *testing.T, calls []call, total, sent int64) {
		t.Helper()
		require.GreaterOrEqual(t, len(calls), 2)
		assert.Equal(t, call{0, total}, calls[0], "first call: nothing sent yet")
		assert.Equal(t, call{sent, total}, calls[len(calls)-1], "last call: all sent")
		for i := 1; i < len(calls); i++ {
			assert.GreaterOrEqual(t, calls[i].done, calls[i-1].done, "done never goes back")
			assert.Equal(t, total, calls[i].total)
		}
	}

	t.Run("known size", func(t *testing.T) {
		calls, opt := record()
		r, err := s.Post(srv.URL+"/form", Files{"f": {Name: "f", Reader: strings.NewReader(content)}}, opt)
		require.NoError(t, err)
		check(t, calls(), r.Request.ContentLength, r.Request.ContentLength)
	})
	t.Run("chunked", func(t *testing.T) {
		calls, opt := record()
		r, err := s.Post(srv.URL+"/form", Files{"f": {Name: "f", Reader: onlyReader{strings.NewReader(content)}}}, opt)
		require.NoError(t, err)
		var got gotForm
		require.NoError(t, r.JSON(&got))
		require.Len(t, got.Parts, 1)
		c := calls()
		check(t, c, -1, c[len(c)-1].done)
		assert.Greater(t, c[len(c)-1].done, int64(len(content)))
	})
	t.Run("raw body", func(t *testing.T) {
		calls, opt := record()
		_, err := s.Post(srv.URL+"/form", Data(content), opt)
		require.NoError(t, err)
		check(t, calls(), int64(len(content)), int64(len(content)))
	})
	t.Run("resent after a 307 counts again from zero", func(t *testing.T) {
		calls, opt := record()
		r, err := s.Post(srv.URL+"/307", Files{"f": {Name: "f", Reader: strings.NewReader(content)}}, opt)
		require.NoError(t, err)
		n := r.Request.ContentLength
		zeros, ends := 0, 0
		for _, c := range calls() {
			if c.done == 0 {
				zeros++
			}
			if c.done == n {
				ends++
			}
		}
		assert.Equal(t, 2, zeros)
		assert.Equal(t, 2, ends)
	})
}

func TestUploadAllocatesLittle(t *testing.T) {
	// 32 MiB from a file, with a form field beside it, must not be held
	// in memory.
	const size = 32 << 20
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for i := 0; i < size; i += len(chunk) {
		_, err := f.Write(chunk)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())

	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
	}))
	t.Cleanup(srv.Close)
	var r *Response
	allocated := allocatedDuring(func() {
		r, err = testSession(t).Post(srv.URL, Data(map[string]string{"name": "big"}), Files{"file": FileFromPath(path)})
		require.NoError(t, err)
	})
	assert.Equal(t, r.Request.ContentLength, got.Load())
	assert.Greater(t, got.Load(), int64(size))
	t.Logf("%d KiB allocated", allocated>>10)
	assert.Less(t, allocated, uint64(size/8), "%d KiB allocated for a %d MiB upload", allocated>>10, size>>20)
}
