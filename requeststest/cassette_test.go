package requeststest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/requeststest"
)

// apiServer is the real server a cassette records: it answers as an API
// would, and fails its first /flaky request.
func apiServer(t *testing.T) *httptest.Server {
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret-token" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id": %q, "name": "gopher"}`, r.PathValue("id"))
	})
	mux.HandleFunc("GET /logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff})
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("password") != "hunter2" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "cookie-s3cret", Path: "/"})
		io.WriteString(w, "welcome")
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		fmt.Fprintf(w, "got %d bytes", len(b))
	})
	mux.HandleFunc("PUT /blob", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "stored %d bytes", len(b))
	})
	mux.HandleFunc("GET /flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type outcome struct {
	Status int
	Body   string
	Type   string
}

// exercise makes the same calls in record and replay mode.
func exercise(t *testing.T, s *requests.Session, base string) []outcome {
	u := strings.Replace(base, "http://", "http://user:url-s3cret@", 1)
	calls := []func() (*requests.Response, error){
		func() (*requests.Response, error) {
			return s.Get(u+"/users/7", requests.Params{"api_key": "key-s3cret", "page": "1"},
				requests.BearerAuth("s3cret-token"))
		},
		func() (*requests.Response, error) { return s.Get(base + "/logo.png") },
		func() (*requests.Response, error) {
			return s.Post(base+"/login", requests.Data(map[string]string{"user": "gopher", "password": "hunter2"}))
		},
		func() (*requests.Response, error) {
			return s.Post(base+"/upload", requests.Files{"file": requests.File{Name: "a.txt", Reader: strings.NewReader("hello")}})
		},
		func() (*requests.Response, error) {
			return s.Put(base+"/blob", requests.Data([]byte{0, 1, 2, 0xfe}))
		},
		func() (*requests.Response, error) {
			return s.Get(base+"/flaky", requests.Retry(requests.RetryPolicy{Total: 2, StatusForcelist: []int{503}}))
		},
	}
	var out []outcome
	for _, call := range calls {
		resp, err := call()
		require.NoError(t, err)
		out = append(out, outcome{resp.StatusCode, resp.Text(), resp.Headers.Get("Content-Type")})
	}
	return out
}

func TestCassetteRecordReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "api.json")
	srv := apiServer(t)

	// Record.
	t.Setenv(requeststest.RecordEnv, "1")
	rec := newRecorder(t)
	s := requests.NewSession()
	s.Mount("http://", requeststest.Cassette(rec, path))
	recorded := exercise(t, s, srv.URL)
	s.Close()
	require.Empty(t, rec.finish())
	assert.Equal(t, outcome{200, `{"id": "7", "name": "gopher"}`, "application/json"}, recorded[0])
	assert.Equal(t, "stored 4 bytes", recorded[4].Body)
	assert.Equal(t, "ok", recorded[5].Body)

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(raw)
	assert.NotContains(t, text, "s3cret")
	assert.NotContains(t, text, "hunter2")
	assert.Contains(t, text, "\n  {\n    \"method\": \"GET\",")
	var file []map[string]any
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file, 7, "six calls, one retried")
	// The URL's user info went out as Basic auth, never in the URL.
	assert.Equal(t, srv.URL+"/users/7?api_key=REDACTED&page=1", file[0]["url"])
	assert.Equal(t, []any{"Bearer REDACTED"}, file[0]["request_headers"].(map[string]any)["Authorization"])
	assert.Equal(t, `{"id": "7", "name": "gopher"}`, file[0]["body"])
	assert.Equal(t, float64(200), file[0]["status"])
	assert.Equal(t, "iVBORwABAv8=", file[1]["body_base64"])
	assert.Nil(t, file[1]["body"])
	assert.Equal(t, "password=REDACTED&user=gopher", file[2]["request_body"])
	assert.Equal(t, []any{"sid=REDACTED; Path=/"}, file[2]["response_headers"].(map[string]any)["Set-Cookie"])
	assert.Equal(t, "AAEC/g==", file[4]["request_body_base64"])
	assert.Equal(t, float64(503), file[5]["status"])
	assert.Equal(t, float64(200), file[6]["status"])

	// Replay, with the server gone.
	srv.Close()
	t.Setenv(requeststest.RecordEnv, "")
	s = requests.NewSession()
	t.Cleanup(func() { s.Close() })
	s.Mount("http://", requeststest.Cassette(t, path))
	assert.Equal(t, recorded, exercise(t, s, srv.URL))

	// The last recorded answer repeats.
	resp, err := s.Get(srv.URL + "/flaky")
	require.NoError(t, err)
	assert.Equal(t, "ok", resp.Text())
}

func TestCassetteNotRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, os.WriteFile(path, []byte(`[
  {"method": "GET", "url": "https://api.example.com/users/1", "status": 200, "body": "one"},
  {"method": "POST", "url": "https://api.example.com/users", "request_body": "{\"a\":1}", "status": 201}
]`), 0o644))
	s := requests.NewSession()
	t.Cleanup(func() { s.Close() })
	s.Mount("https://", requeststest.Cassette(t, path))

	resp, err := s.Get("https://api.example.com/users/1")
	require.NoError(t, err)
	assert.Equal(t, "one", resp.Text())

	tests := []struct {
		name, method, url string
		opts              []requests.Option
		want              string
	}{
		{"other id", "GET", "https://api.example.com/users/2", nil,
			"GET https://api.example.com/users/2 in " + path + "; the nearest is GET https://api.example.com/users/1 (path differs)"},
		{"other body", "POST", "https://api.example.com/users", []requests.Option{requests.Data(`{"a":2}`)},
			"the nearest is POST https://api.example.com/users (body differs)"},
		{"other method", "DELETE", "https://api.example.com/users/1", nil,
			"the nearest is GET https://api.example.com/users/1 (method differs)"},
		{"token redacted in the message", "GET", "https://api.example.com/users/1?token=t0ps3cret", nil,
			"GET https://api.example.com/users/1?token=REDACTED in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Do(tt.method, tt.url, tt.opts...)
			require.ErrorIs(t, err, requeststest.ErrNotRecorded)
			assert.Contains(t, err.Error(), tt.want)
			_, ours, _ := strings.Cut(err.Error(), requeststest.ErrNotRecorded.Error())
			assert.NotContains(t, ours, "t0ps3cret")
		})
	}
}

func TestCassetteBadFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{not json"), 0o644))
	empty := filepath.Join(dir, "empty.json")
	require.NoError(t, os.WriteFile(empty, []byte("[]"), 0o644))

	for _, path := range []string{filepath.Join(dir, "missing.json"), bad} {
		rec := newRecorder(t)
		assert.Nil(t, requeststest.Cassette(rec, path))
		assert.True(t, rec.fatal)
		errs := rec.finish()
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0], "REQUESTS_RECORD=1")
	}

	s := requests.NewSession()
	t.Cleanup(func() { s.Close() })
	s.Mount("https://", requeststest.Cassette(t, empty))
	_, err := s.Get("https://api.example.com/")
	require.ErrorIs(t, err, requeststest.ErrNotRecorded)
	assert.Contains(t, err.Error(), "the cassette is empty")
}

// countingTransport counts the requests it sends on.
type countingTransport struct {
	n  atomic.Int32
	rt *http.Transport
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.rt.RoundTrip(req)
}

func TestCassetteRecordThrough(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	srv := apiServer(t)
	up := &countingTransport{rt: &http.Transport{}}
	t.Cleanup(up.rt.CloseIdleConnections)

	t.Setenv(requeststest.RecordEnv, "true")
	rec := newRecorder(t)
	s := requests.NewSession()
	s.Mount("http://", requeststest.Cassette(rec, path, requeststest.RecordThrough(up)))
	resp, err := s.Get(srv.URL + "/logo.png")
	require.NoError(t, err)
	assert.Len(t, resp.Content(), 8)
	s.Close()
	require.Empty(t, rec.finish())
	assert.Equal(t, int32(1), up.n.Load())

	// Replaying ignores the transport.
	t.Setenv(requeststest.RecordEnv, "0")
	s = requests.NewSession()
	t.Cleanup(func() { s.Close() })
	s.Mount("http://", requeststest.Cassette(t, path, requeststest.RecordThrough(up)))
	resp, err = s.Get(srv.URL + "/logo.png")
	require.NoError(t, err)
	assert.Equal(t, []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}, resp.Content())
	assert.Equal(t, int32(1), up.n.Load())
}

func TestCassetteRecordFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	srv := requeststest.NewFaultServer(t, requeststest.Reset)
	t.Setenv(requeststest.RecordEnv, "1")
	rec := newRecorder(t)
	s := requests.NewSession()
	s.Mount("http://", requeststest.Cassette(rec, path))
	_, err := s.Get(srv.URL)
	assert.ErrorIs(t, err, requests.ErrConnection)
	s.Close()
	require.Empty(t, rec.finish())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, "[]", string(raw), "a failed exchange is not recorded")
}

func TestCassetteConcurrentReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	var entries []string
	for i := range 32 {
		entries = append(entries, fmt.Sprintf(`{"method": "GET", "url": "https://api.example.com/items/%d", "status": 200, "body": "item %d"}`, i, i))
	}
	require.NoError(t, os.WriteFile(path, []byte("["+strings.Join(entries, ",")+"]"), 0o644))
	s := requests.NewSession()
	t.Cleanup(func() { s.Close() })
	s.Mount("https://", requeststest.Cassette(t, path))

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				resp, err := s.Get(fmt.Sprintf("https://api.example.com/items/%d", i))
				if err != nil {
					errs <- err
					return
				}
				if got := resp.Text(); got != fmt.Sprintf("item %d", i) {
					errs <- fmt.Errorf("item %d: got %q", i, got)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
