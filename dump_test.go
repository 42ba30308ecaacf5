package requests

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDumpNeverShowsSecrets(t *testing.T) {
	var buf bytes.Buffer
	for _, w := range secretWays(t, Dump(&buf)) {
		t.Run(w.name, func(t *testing.T) {
			buf.Reset()
			w.call(t)
			require.Contains(t, buf.String(), "> GET ")
			assert.NotContains(t, buf.String(), secret)
		})
	}
	t.Run("echoed by the server", func(t *testing.T) {
		buf.Reset()
		srv := newHTTPBin(t)
		u := strings.Replace(srv.URL, "http://", "http://u:"+secret+"1@", 1) + "/anything?api_key=" + secret + "2"
		_, err := testSession(t, Dump(&buf), SensitiveHeaders("X-Api-Key")).Get(u, BearerAuth(secret+"3"),
			Headers{"X-Api-Key": secret + "4"}, Cookies{"sid": secret + "5"})
		require.NoError(t, err)
		require.Contains(t, buf.String(), `"X-Api-Key": [`)
		assert.NotContains(t, buf.String(), secret)
	})
	t.Run("form body", func(t *testing.T) {
		buf.Reset()
		srv := httptest.NewServer(http.HandlerFunc(okHandler))
		defer srv.Close()
		_, err := testSession(t, Dump(&buf)).Post(srv.URL, Data(map[string]string{"user": "u", "password": secret}))
		require.NoError(t, err)
		assert.Contains(t, buf.String(), "password=REDACTED&user=u")
		assert.NotContains(t, buf.String(), secret)
	})
}

// echoBack answers with the request body, or with the path.
func echoBack(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body) // all of it first: a server that has answered may read no more
		w.Write(b)
		return
	}
	io.WriteString(w, "path "+r.URL.Path)
}

func TestDumpRecords(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", echoBack)
	mux.Handle("/hop", http.RedirectHandler("/landed", http.StatusFound))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	big := strings.Repeat("x", dumpLimit+100)

	tests := []struct {
		name   string
		method string
		path   string
		opts   []Option
		want   []string // in this order
	}{
		{"redirect hop and final", "GET", "/hop?q=1", nil, []string{
			"* GET " + srv.URL + "/hop?q=1\n> GET /hop?q=1 HTTP/1.1\n> Host: " + host + "\n> Accept: */*\n",
			"< HTTP/1.1 302 Found\n", "< Location: /landed\n",
			"* GET " + srv.URL + "/landed\n> GET /landed HTTP/1.1\n",
			"< HTTP/1.1 200 OK\n", "<\npath /landed\n\n",
		}},
		{"capped bodies", "POST", "/", []Option{Data(big)}, []string{
			"> Content-Length: " + fmt.Sprint(len(big)) + "\n",
			">\n" + big[:dumpLimit] + "\n[100 more bytes not shown]\n<",
			"<\n" + big[:dumpLimit] + "\n[100 more bytes not shown]\n\n",
		}},
		{"unrewindable request body", "POST", "/", []Option{Data(io.MultiReader(strings.NewReader("abc")))}, []string{
			">\n[streamed body not shown]\n< HTTP/1.1 200 OK\n", "<\nabc\n",
		}},
		{"streamed response", "GET", "/s", []Option{Stream(true)}, []string{
			"< HTTP/1.1 200 OK\n", "<\n[streamed body not shown]\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			r, err := testSession(t, Dump(&buf)).Do(tt.method, srv.URL+tt.path, tt.opts...)
			require.NoError(t, err)
			r.Close()
			out := buf.String()
			for _, w := range tt.want {
				i := strings.Index(out, w)
				require.GreaterOrEqual(t, i, 0, "missing %q in\n%s", shorten(w), shorten(buf.String()))
				out = out[i+len(w):]
			}
		})
	}
}

func TestDumpFailureAndRetries(t *testing.T) {
	dead := httptest.NewServer(http.HandlerFunc(okHandler))
	u := dead.URL
	dead.Close()
	var buf bytes.Buffer
	_, err := testSession(t, Dump(&buf)).Get(u, Retry(RetryPolicy{Total: 1}))
	require.Error(t, err)
	assert.Equal(t, 2, strings.Count(buf.String(), "* failed: ErrConnection\n"), buf.String())
}

// Records of concurrent calls sharing a writer never interleave.
func TestDumpConcurrentRecordsStayWhole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoBack))
	defer srv.Close()
	var buf bytes.Buffer
	s := testSession(t, Dump(&buf))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Get(fmt.Sprintf("%s/n%d", srv.URL, i))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	records := strings.Split(strings.TrimSuffix(buf.String(), "\n\n"), "\n\n")
	require.Len(t, records, 20)
	for _, rec := range records {
		var n int
		_, err := fmt.Sscanf(rec[strings.Index(rec, "> GET /n"):], "> GET /n%d ", &n)
		require.NoError(t, err, rec)
		assert.True(t, strings.HasSuffix(rec, fmt.Sprintf("<\npath /n%d", n)), rec)
	}
}

// shorten keeps failure messages readable: runs of x are counted.
func shorten(s string) string {
	return regexp.MustCompile(`x{20,}`).ReplaceAllStringFunc(s, func(m string) string { return fmt.Sprintf("x*%d", len(m)) })
}

func TestDumpEncodedBodyIsNotShown(t *testing.T) {
	srv := newHTTPBin(t)
	var buf bytes.Buffer
	r, err := testSession(t, Dump(&buf)).Get(srv.URL + "/gzip")
	require.NoError(t, err)
	assert.Contains(t, r.Text(), `"gzipped": true`)
	assert.Regexp(t, `(?m)^\[\d+ bytes of gzip-encoded body not shown\]$`, buf.String())
}
