package requests

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonLog returns a Logger option writing JSON records at Debug into buf.
func jsonLog(buf *bytes.Buffer) Option {
	return Logger(slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// records decodes the JSON records in buf.
func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

const secret = "s3cr3t-Zq9"

// secretWays sends secret in every way a caller can give a credential; each
// call is made with the observing options given.
func secretWays(t *testing.T, observe ...Option) []struct {
	name string
	call func(t *testing.T)
} {
	mux := http.NewServeMux()
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: secret})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/basic", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != secret {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("/digest", digestOnly("u", secret))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tlsSrv := httptest.NewTLSServer(mux)
	t.Cleanup(tlsSrv.Close)
	proxy := connectProxy(t, func(http.Header) {})

	do := func(t *testing.T, s *Session, u string, opts ...Option) {
		t.Helper()
		r, err := s.Get(u, append(opts, observe...)...)
		require.NoError(t, err)
		require.Equal(t, 200, r.StatusCode)
	}
	s := func(t *testing.T, opts ...Option) *Session { return testSession(t, opts...) }
	return []struct {
		name string
		call func(t *testing.T)
	}{
		{"BasicAuth", func(t *testing.T) { do(t, s(t), srv.URL+"/basic", BasicAuth("u", secret)) }},
		{"BearerAuth", func(t *testing.T) { do(t, s(t), srv.URL, BearerAuth(secret)) }},
		{"DigestAuth", func(t *testing.T) {
			do(t, s(t), srv.URL+"/digest", DigestAuth("u", secret))
		}},
		{"Headers Authorization", func(t *testing.T) { do(t, s(t), srv.URL, Headers{"Authorization": "Token " + secret}) }},
		{"SensitiveHeaders", func(t *testing.T) {
			do(t, s(t, SensitiveHeaders("X-Api-Key")), srv.URL, Headers{"X-Api-Key": secret})
		}},
		{"Cookies", func(t *testing.T) { do(t, s(t), srv.URL, Cookies{"sid": secret}) }},
		{"jar cookies", func(t *testing.T) {
			ss := s(t)
			do(t, ss, srv.URL+"/set")
			do(t, ss, srv.URL+"/again")
		}},
		{"URL userinfo", func(t *testing.T) {
			do(t, s(t), strings.Replace(srv.URL, "http://", "http://u:"+secret+"@", 1))
		}},
		{"query token", func(t *testing.T) { do(t, s(t), srv.URL+"/?q=go&access_token="+secret) }},
		{"proxy credentials", func(t *testing.T) {
			do(t, s(t, Verify(false), Proxies{"https": "http://u:" + secret + "@" + strings.TrimPrefix(proxy.URL, "http://")}), tlsSrv.URL)
		}},
		{"Proxy-Authorization header", func(t *testing.T) {
			do(t, s(t, Verify(false), Proxies{"https": proxy.URL}), tlsSrv.URL, Headers{"Proxy-Authorization": "Basic " + secret})
		}},
	}
}

func TestLoggerNeverShowsSecrets(t *testing.T) {
	var buf bytes.Buffer
	for _, w := range secretWays(t, jsonLog(&buf)) {
		t.Run(w.name, func(t *testing.T) {
			buf.Reset()
			w.call(t)
			require.NotEmpty(t, records(t, &buf), "nothing logged")
			assert.NotContains(t, buf.String(), secret)
		})
	}
}

func TestLoggerRecordsEachAttemptAndHop(t *testing.T) {
	srv := redirectThenFlaky(t)

	var buf bytes.Buffer
	_, err := testSession(t, jsonLog(&buf)).Get(srv.URL+"/start", Retry(RetryPolicy{StatusForcelist: []int{503}}))
	require.NoError(t, err)
	recs := records(t, &buf)
	require.Len(t, recs, 3)
	type rec struct {
		level, url   string
		status, try  float64
		bytes        float64
		hasErrorKind bool
	}
	var got []rec
	for _, r := range recs {
		assert.Equal(t, "GET", r["method"])
		assert.Equal(t, "http request", r["msg"])
		assert.Contains(t, r, "duration")
		_, hasKind := r["error_kind"]
		got = append(got, rec{r["level"].(string), strings.TrimPrefix(r["url"].(string), srv.URL),
			r["status"].(float64), r["attempt"].(float64), r["bytes"].(float64), hasKind})
	}
	assert.Equal(t, []rec{
		{"DEBUG", "/start", 302, 1, got[0].bytes, false},
		{"WARN", "/flaky?token=REDACTED", 503, 1, 0, false},
		{"DEBUG", "/flaky?token=REDACTED", 200, 2, 5, false},
	}, got)
}

func TestLoggerFailures(t *testing.T) {
	dead := httptest.NewServer(http.HandlerFunc(okHandler))
	deadURL := dead.URL
	dead.Close()

	var buf bytes.Buffer
	_, err := testSession(t, jsonLog(&buf)).Get(deadURL+"/x", Retry(RetryPolicy{Total: 1}))
	require.ErrorIs(t, err, ErrRetry)
	recs := records(t, &buf)
	require.Len(t, recs, 2)
	for i, r := range recs {
		assert.Equal(t, "WARN", r["level"])
		assert.Equal(t, "ErrConnection", r["error_kind"])
		assert.Equal(t, float64(i+1), r["attempt"])
		assert.Equal(t, deadURL+"/x", r["url"])
	}

	// A status that exhausts the retries is the call's failure.
	buf.Reset()
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	_, err = testSession(t, jsonLog(&buf)).Get(busy.URL, Retry(RetryPolicy{Total: 1, StatusForcelist: []int{503}}))
	require.ErrorIs(t, err, ErrRetry)
	recs = records(t, &buf)
	require.Len(t, recs, 2)
	assert.NotContains(t, recs[0], "error_kind", "retried")
	assert.Equal(t, "ErrRetry", recs[1]["error_kind"])
	for _, r := range recs {
		assert.Equal(t, "WARN", r["level"])
		assert.Equal(t, float64(503), r["status"])
	}

	// Nothing is logged above the handler's level, nor without a Logger.
	buf.Reset()
	quiet := Logger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	_, err = testSession(t, quiet).Get(srv.URL)
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}

func TestKindName(t *testing.T) {
	assert.Equal(t, "ErrConnectTimeout", kindName(wrapErr("GET", nil, ErrConnectTimeout, nil)))
	assert.Equal(t, "ErrReadTimeout", kindName(ErrReadTimeout))
	assert.Equal(t, "context.Canceled", kindName(wrapErr("GET", nil, nil, context.Canceled)))
	assert.Equal(t, "", kindName(io.EOF))
}

// digestOnly is a handler that accepts only MD5 Digest credentials (RFC
// 7616, qop=auth) for user and pass.
func digestOnly(user, pass string) http.HandlerFunc {
	h := func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }
	return func(w http.ResponseWriter, r *http.Request) {
		p := map[string]string{}
		if rest, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest "); ok {
			for _, kv := range strings.Split(rest, ",") {
				k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
				p[k] = strings.Trim(v, `"`)
			}
		}
		ha1 := h(user + ":r:" + pass)
		want := h(ha1 + ":n0nce:" + p["nc"] + ":" + p["cnonce"] + ":auth:" + h(r.Method+":"+p["uri"]))
		if p["username"] != user || p["uri"] != r.RequestURI || p["response"] != want {
			w.Header().Set("WWW-Authenticate", `Digest realm="r", nonce="n0nce", qop="auth", algorithm=MD5`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}
}

// ctxHandler notes a value each record's context carries.
type ctxHandler struct {
	slog.Handler
	seen *[]any
}

type traceIDKey struct{}

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	*h.seen = append(*h.seen, ctx.Value(traceIDKey{}))
	return nil
}

func TestLoggerUsesTheCallsContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	var seen []any
	h := ctxHandler{slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), &seen}
	ctx := context.WithValue(context.Background(), traceIDKey{}, "trace-1")
	_, err := testSession(t, Logger(slog.New(h))).Get(srv.URL, Context(ctx))
	require.NoError(t, err)
	assert.Equal(t, []any{"trace-1"}, seen)
}
