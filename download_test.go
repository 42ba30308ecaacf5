package requests

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

// dirEntries lists the names in dir, to show nothing is left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)
	want := randomBytes(t, s, bin.URL, 300_000)

	t.Run("streamed to the file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "data.bin")
		r, err := s.Download(bin.URL+"/bytes/300000?seed=1", path)
		require.NoError(t, err)
		assert.Equal(t, 200, r.StatusCode)
		assert.Equal(t, "application/octet-stream", r.Headers.Get("Content-Type"))
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, []string{"data.bin"}, dirEntries(t, dir), "no temporary file is left")
		assert.True(t, r.call.released.Load())
		assert.ErrorIs(t, r.Save(path), ErrStreamConsumed, "the body went to the file")
	})
	t.Run("package-level, after redirects, decoded", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "get.json")
		r, err := Download(bin.URL+"/redirect-to?url=/gzip", path)
		require.NoError(t, err)
		assert.Len(t, r.History, 1)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(got), `"gzipped": true`)
	})
	t.Run("replaces an existing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "f")
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
		_, err := s.Download(bin.URL+"/bytes/300000?seed=1", path)
		require.NoError(t, err)
		got, _ := os.ReadFile(path)
		assert.Equal(t, want, got)
	})
	t.Run("mode as os.Create gives", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "mode")
		_, err := s.Download(bin.URL+"/bytes/10", path)
		require.NoError(t, err)
		created, err := os.Create(filepath.Join(dir, "reference"))
		require.NoError(t, err)
		created.Close()
		a, _ := os.Stat(path)
		b, _ := os.Stat(created.Name())
		assert.Equal(t, b.Mode(), a.Mode())
	})
}

func TestDownloadFailuresLeaveNothing(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)
	truncated := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100000\n\n"), bytes.Repeat([]byte("x"), 5000)))
	stalled := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
	corrupt := encodedServer(t, text())

	tests := []struct {
		name string
		url  string
		opts []Option
		kind error
	}{
		{"404", bin.URL + "/status/404", nil, nil},
		{"500", bin.URL + "/status/500", nil, nil},
		{"connection closed mid-body", truncated.URL, nil, ErrChunkedEncoding},
		{"read timeout mid-body", stalled.URL, []Option{ReadTimeout(200 * time.Millisecond)}, ErrReadTimeout},
		{"corrupt encoding", corrupt.URL + "/?ce=gzip&corrupt=1", nil, ErrContentDecoding},
		{"connection refused", "http://127.0.0.1:1/", nil, ErrConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "target")
			require.NoError(t, os.WriteFile(path, []byte("previous"), 0o600))
			r, err := s.Download(tt.url, path, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, r)
			if tt.kind != nil {
				assert.ErrorIs(t, err, tt.kind)
			} else {
				var he *HTTPError
				assert.ErrorAs(t, err, &he)
			}
			got, _ := os.ReadFile(path)
			assert.Equal(t, "previous", string(got), "the target is untouched")
			assert.Equal(t, []string{"target"}, dirEntries(t, dir), "no partial file is left")
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		_, err := s.Download(bin.URL+"/bytes/10", filepath.Join(t.TempDir(), "no", "such", "dir", "f"))
		assert.ErrorIs(t, err, fs.ErrNotExist)
		var e *Error
		assert.ErrorAs(t, err, &e)
	})
	t.Run("target is a directory", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
		_, err := s.Download(bin.URL+"/bytes/10", filepath.Join(dir, "sub"))
		assert.Error(t, err)
		assert.Equal(t, []string{"sub"}, dirEntries(t, dir))
	})
}

func TestSave(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)
	dir := t.TempDir()

	t.Run("a buffered response, any number of times", func(t *testing.T) {
		r, err := s.Get(bin.URL + "/bytes/1000?seed=1")
		require.NoError(t, err)
		for _, name := range []string{"a", "b"} {
			require.NoError(t, r.Save(filepath.Join(dir, name)))
			got, _ := os.ReadFile(filepath.Join(dir, name))
			assert.Equal(t, r.Content(), got)
		}
	})
	t.Run("any status is saved", func(t *testing.T) {
		r, err := s.Get(bin.URL+"/status/418", Stream(true))
		require.NoError(t, err)
		require.NoError(t, r.Save(filepath.Join(dir, "teapot")))
		got, _ := os.ReadFile(filepath.Join(dir, "teapot"))
		assert.Contains(t, string(got), "teapot")
	})
	t.Run("an empty body", func(t *testing.T) {
		r, err := s.Get(bin.URL+"/status/204", Stream(true))
		require.NoError(t, err)
		require.NoError(t, r.Save(filepath.Join(dir, "empty")))
		fi, err := os.Stat(filepath.Join(dir, "empty"))
		require.NoError(t, err)
		assert.Zero(t, fi.Size())
	})
}

// progressLog records progress calls, from whatever goroutine makes them.
type progressLog struct {
	mu    sync.Mutex
	calls [][2]int64
}

func (p *progressLog) record(done, total int64) {
	p.mu.Lock()
	p.calls = append(p.calls, [2]int64{done, total})
	p.mu.Unlock()
}

func (p *progressLog) get() [][2]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// check asserts the shape every sequence has: 0 first, then growing, the
// total unchanged, and the last call at the end of the body.
func (p *progressLog) check(t *testing.T, total, final int64) [][2]int64 {
	t.Helper()
	calls := p.get()
	require.GreaterOrEqual(t, len(calls), 2, "%v", calls)
	assert.Equal(t, [2]int64{0, total}, calls[0])
	assert.Equal(t, [2]int64{final, total}, calls[len(calls)-1])
	for i := 1; i < len(calls); i++ {
		assert.GreaterOrEqual(t, calls[i][0], calls[i-1][0])
		assert.Equal(t, total, calls[i][1])
	}
	return calls
}

func setProgressInterval(t *testing.T, d time.Duration) {
	old := ProgressInterval
	ProgressInterval = d
	t.Cleanup(func() { ProgressInterval = old })
}

func TestDownloadProgress(t *testing.T) {
	bin := newHTTPBin(t)
	s := testSession(t)
	packed := encodedServer(t, text())

	t.Run("Content-Length known", func(t *testing.T) {
		var p progressLog
		_, err := s.Download(bin.URL+"/bytes/200000", filepath.Join(t.TempDir(), "f"), DownloadProgress(p.record))
		require.NoError(t, err)
		p.check(t, 200000, 200000)
	})
	t.Run("chunked: total unknown", func(t *testing.T) {
		var p progressLog
		_, err := s.Download(bin.URL+"/stream-bytes/200000?chunk_size=1000", filepath.Join(t.TempDir(), "f"), DownloadProgress(p.record))
		require.NoError(t, err)
		p.check(t, -1, 200000)
	})
	t.Run("a buffered call, redirect hops not counted", func(t *testing.T) {
		var p progressLog
		r, err := s.Get(bin.URL+"/redirect-to?url=/bytes/5000", DownloadProgress(p.record))
		require.NoError(t, err)
		assert.Len(t, r.History, 1)
		p.check(t, 5000, 5000)
	})
	t.Run("encoded: counted on the wire", func(t *testing.T) {
		var p progressLog
		r, err := s.Get(packed.URL+"/?ce=br", DownloadProgress(p.record))
		require.NoError(t, err)
		n, _ := strconv.ParseInt(r.Headers.Get("Content-Length"), 10, 64)
		require.Less(t, n, int64(len(r.Content())))
		p.check(t, n, n)
	})
	t.Run("no body, no calls", func(t *testing.T) {
		var p progressLog
		_, err := s.Head(bin.URL+"/bytes/5000", DownloadProgress(p.record))
		require.NoError(t, err)
		assert.Empty(t, p.get())
	})
	t.Run("cadence: first and last only within one interval", func(t *testing.T) {
		setProgressInterval(t, time.Hour)
		var p progressLog
		_, err := s.Get(bin.URL+"/drip?numbytes=50&duration=0.25", DownloadProgress(p.record))
		require.NoError(t, err)
		assert.Equal(t, [][2]int64{{0, 50}, {50, 50}}, p.get())
	})
	t.Run("cadence: every read when the interval is zero", func(t *testing.T) {
		setProgressInterval(t, 0)
		var p progressLog
		_, err := s.Get(bin.URL+"/drip?numbytes=5&duration=0.5", DownloadProgress(p.record))
		require.NoError(t, err)
		calls := p.check(t, 5, 5)
		assert.GreaterOrEqual(t, len(calls), 3, "drips arrive in separate reads: %v", calls)
	})
	t.Run("an error ends the calls short of the total", func(t *testing.T) {
		srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 1000\n\n"), []byte("short")))
		var p progressLog
		_, err := s.Get(srv.URL, DownloadProgress(p.record))
		require.Error(t, err)
		calls := p.get()
		require.NotEmpty(t, calls)
		assert.Less(t, calls[len(calls)-1][0], int64(1000))
	})
	t.Run("a hook sees the progress done", func(t *testing.T) {
		var p progressLog
		_, err := s.Get(bin.URL+"/bytes/100", DownloadProgress(p.record), Hook(func(*Response) error {
			if c := p.get(); len(c) == 0 || c[len(c)-1][0] != 100 {
				return errors.New("body not read before the hook")
			}
			return nil
		}))
		require.NoError(t, err)
	})
}

func TestDownloadAllocatesLittle(t *testing.T) {
	// 32 MiB streamed to a file must not be held in memory.
	const size = 32 << 20
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		for i := 0; i < size; i += len(chunk) {
			w.Write(chunk)
		}
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "big")
	allocated := allocatedDuring(func() {
		_, err := testSession(t).Download(srv.URL, path)
		require.NoError(t, err)
	})
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, int64(size), fi.Size())
	t.Logf("%d KiB allocated", allocated>>10)
	assert.Less(t, allocated, uint64(size/8), "%d KiB allocated for a %d MiB download", allocated>>10, size>>20)
}

// allocatedDuring reports the bytes the process allocated while f ran
// (client and test server together): a body held in memory whole would
// show up in full.
func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDownloadAppliesMaxBodySize(t *testing.T) {
	// A small gzip body must not fill a disk: the cap counts the bytes
	// written, after decoding, and nothing is left behind.
	single, _, _ := gzipBombs(t) // 64 KiB that inflate to 64 MiB
	tests := []struct {
		name   string
		header string
		body   []byte
		save   bool // Save a streamed Response rather than Download
	}{
		{"gzip bomb", "HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: " + strconv.Itoa(len(single)) + "\n\n", single, false},
		{"plain body over the cap", "HTTP/1.1 200 OK\nContent-Length: 3145728\n\n", make([]byte, 3<<20), false},
		{"chunked-length body over the cap", "HTTP/1.1 200 OK\nConnection: close\n\n", make([]byte, 3<<20), false},
		{"gzip bomb, Save", "HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: " + strconv.Itoa(len(single)) + "\n\n", single, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := respondBytes(t, tt.header, tt.body)
			dir := t.TempDir()
			path := filepath.Join(dir, "data.bin")
			s := testSession(t, MaxBodySize(1<<20))
			var err error
			if tt.save {
				r, derr := s.Get(srv.URL, Stream(true))
				require.NoError(t, derr)
				err = r.Save(path)
			} else {
				_, err = s.Download(srv.URL, path)
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBodyTooLarge)
			assert.Empty(t, dirEntries(t, dir), "the partial file is removed")
		})
	}
	t.Run("within the cap", func(t *testing.T) {
		srv := respondBytes(t, "HTTP/1.1 200 OK\nContent-Length: 4\n\n", []byte("data"))
		path := filepath.Join(t.TempDir(), "data.bin")
		_, err := testSession(t, MaxBodySize(4)).Download(srv.URL, path)
		require.NoError(t, err)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "data", string(got))
	})
}

func TestDownloadCanBeStoppedFromTheProgressFunction(t *testing.T) {
	errStop := errors.New("stop")
	tests := []struct {
		name string
		opts func(cancel func()) []Option
		want error
	}{
		{"DownloadProgressErr returns an error", func(func()) []Option {
			return []Option{DownloadProgressErr(func(done, total int64) error {
				if done >= 1<<20 {
					return errStop
				}
				return nil
			})}
		}, errStop},
		{"DownloadProgress cancels the Context", func(cancel func()) []Option {
			return []Option{DownloadProgress(func(done, total int64) {
				if done >= 1<<20 {
					cancel()
				}
			})}
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setProgressInterval(t, 0)
			srv := faultkit.Listen(t, endless("HTTP/1.1 200 OK\nConnection: close\n\n"))
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := append(tt.opts(cancel), Context(ctx))
			_, err := testSession(t).Download(srv.URL, filepath.Join(dir, "data.bin"), opts...)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			var e *Error
			assert.ErrorAs(t, err, &e)
			assert.Empty(t, dirEntries(t, dir), "the partial file is removed")
		})
	}
	t.Run("a buffered call fails with the error", func(t *testing.T) {
		srv := respondBytes(t, "HTTP/1.1 200 OK\nContent-Length: 4\n\n", []byte("data"))
		_, err := testSession(t).Get(srv.URL, DownloadProgressErr(func(done, total int64) error { return errStop }))
		assert.ErrorIs(t, err, errStop)
		assert.NotErrorIs(t, err, ErrChunkedEncoding)
	})
}
