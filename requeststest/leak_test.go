package requeststest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/requeststest"
)

func streamServer(t *testing.T) *requests.Session {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			// More than a read takes: a loop that stops early leaves the rest.
			io.WriteString(w, strings.Repeat("a long line\n", 64<<10))
			return
		}
		io.WriteString(w, "line 1\nline 2\n")
	}))
	t.Cleanup(srv.Close)
	s := requests.NewSession()
	t.Cleanup(func() { s.Close() })
	s.Mount("https://api.example.com/", redirectTo(t, srv.URL))
	return s
}

// redirectTo sends every request to base, a loopback server.
func redirectTo(t *testing.T, base string) http.RoundTripper {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		out := req.Clone(req.Context())
		out.URL.Scheme, out.URL.Host, out.Host = "http", strings.TrimPrefix(base, "http://"), ""
		return tr.RoundTrip(out)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNoLeaks(t *testing.T) {
	const u = "https://api.example.com/lines"
	tests := []struct {
		name  string
		use   func(t *testing.T, s *requests.Session) *requests.Response // returns what to close afterwards
		leaks bool
	}{
		{"closed", func(t *testing.T, s *requests.Session) *requests.Response {
			resp, err := s.Get(u, requests.Stream(true))
			require.NoError(t, err)
			resp.Close()
			return nil
		}, false},
		{"read to the end", func(t *testing.T, s *requests.Session) *requests.Response {
			resp, err := s.Get(u, requests.Stream(true))
			require.NoError(t, err)
			for _, err := range resp.IterLines() {
				require.NoError(t, err)
			}
			return nil
		}, false},
		{"buffered", func(t *testing.T, s *requests.Session) *requests.Response {
			_, err := s.Get(u)
			require.NoError(t, err)
			return nil
		}, false},
		{"read partly", func(t *testing.T, s *requests.Session) *requests.Response {
			resp, err := s.Get("https://api.example.com/big", requests.Stream(true))
			require.NoError(t, err)
			for range resp.IterLines() {
				break
			}
			return resp
		}, true},
		{"never read", func(t *testing.T, s *requests.Session) *requests.Response {
			resp, err := s.Get(u, requests.Stream(true))
			require.NoError(t, err)
			return resp
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := streamServer(t)
			rec := newRecorder(t)
			requeststest.NoLeaks(rec)
			left := tt.use(t, s)
			errs := rec.finish()
			if left != nil {
				left.Close()
			}
			if !tt.leaks {
				assert.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1)
			assert.Contains(t, errs[0], "leak_test.go:")
			assert.Contains(t, errs[0], "TestNoLeaks")
			assert.Contains(t, errs[0], "is still open")
		})
	}
}

func TestNoLeaksNamesTheLine(t *testing.T) {
	s := streamServer(t)
	before, err := s.Get("https://api.example.com/lines", requests.Stream(true))
	require.NoError(t, err)
	defer before.Close() // opened before the check: not reported

	rec := newRecorder(t)
	requeststest.NoLeaks(rec)
	resp, file, line, err := openStream(s)
	require.NoError(t, err)
	errs := rec.finish()
	resp.Close()
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "opened at "+file+":"+strconv.Itoa(line)+" ", "the line in openStream")
	assert.Contains(t, errs[0], "openStream")
}

// openStream opens a stream and says where.
func openStream(s *requests.Session) (*requests.Response, string, int, error) {
	_, file, line, _ := runtime.Caller(0)
	resp, err := s.Get("https://api.example.com/lines", requests.Stream(true))
	return resp, file, line + 1, err
}

func TestNoLeaksCleanupOrder(t *testing.T) {
	s := streamServer(t)
	rec := newRecorder(t)
	requeststest.NoLeaks(rec)
	resp, err := s.Get("https://api.example.com/lines", requests.Stream(true))
	require.NoError(t, err)
	rec.Cleanup(func() { resp.Close() }) // runs before NoLeaks' check
	assert.Empty(t, rec.finish())
}
