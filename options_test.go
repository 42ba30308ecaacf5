package requests

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echo is what go-httpbin's /anything reports about the request it got.
type echo struct {
	Args    map[string][]string `json:"args"`
	Headers map[string][]string `json:"headers"`
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Data    string              `json:"data"`
	Form    map[string][]string `json:"form"`
	JSON    any                 `json:"json"`
}

// body is the request body as sent: go-httpbin reports bodies without a
// text Content-Type as a base64 data URL.
func (e echo) body() string {
	if _, rest, ok := strings.Cut(e.Data, ";base64,"); ok && strings.HasPrefix(e.Data, "data:") {
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "undecodable: " + e.Data
		}
		return string(b)
	}
	return e.Data
}

func (e echo) header(k string) string {
	if v := e.Headers[http.CanonicalHeaderKey(k)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func anything(t *testing.T, s *Session, method, u string, opts ...Option) echo {
	t.Helper()
	r, err := s.Do(method, u, opts...)
	require.NoError(t, err)
	require.Equal(t, 200, r.StatusCode, r.Text())
	var e echo
	require.NoError(t, r.JSON(&e))
	return e
}

func TestParams(t *testing.T) {
	srv := newHTTPBin(t)
	tests := []struct {
		name    string
		session []Option
		url     string
		opts    []Option
		want    map[string][]string
	}{
		{"call params", nil, "/anything", []Option{Params{"q": "go pher", "n": "1"}},
			map[string][]string{"q": {"go pher"}, "n": {"1"}}},
		{"merged with the URL's own query", nil, "/anything?a=1&a=2", []Option{Params{"b": "3"}},
			map[string][]string{"a": {"1", "2"}, "b": {"3"}}},
		{"repeated keys", nil, "/anything", []Option{ParamValues{"k": {"1", "2"}}},
			map[string][]string{"k": {"1", "2"}}},
		{"url.Values converts", nil, "/anything", []Option{ParamValues(url.Values{"v": {"x"}})},
			map[string][]string{"v": {"x"}}},
		{"session defaults", []Option{Params{"key": "s", "page": "1"}}, "/anything", nil,
			map[string][]string{"key": {"s"}, "page": {"1"}}},
		{"call wins over session", []Option{Params{"key": "s", "page": "1"}}, "/anything", []Option{Params{"page": "2"}},
			map[string][]string{"key": {"s"}, "page": {"2"}}},
		{"later option wins", nil, "/anything", []Option{Params{"a": "1"}, Params{"a": "2"}},
			map[string][]string{"a": {"2"}}},
		{"special characters are escaped", nil, "/anything", []Option{Params{"a&b": "c=d", "e": "ü/?#"}},
			map[string][]string{"a&b": {"c=d"}, "e": {"ü/?#"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t, tt.session...)
			e := anything(t, s, "GET", srv.URL+tt.url, tt.opts...)
			assert.Equal(t, tt.want, e.Args)
		})
	}
}

func TestParamsCannotChangeTarget(t *testing.T) {
	s := testSession(t)
	req, err := s.Prepare("GET", "http://127.0.0.1:1/p?x=1#frag", Params{"@evil.com/": "#", "k": "http://other:2/"})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:1", req.URL.Host)
	assert.Equal(t, "/p", req.URL.Path)
	assert.Equal(t, "frag", req.URL.Fragment)
	assert.Equal(t, "x=1&%40evil.com%2F=%23&k=http%3A%2F%2Fother%3A2%2F", req.URL.RawQuery)
}

func TestHeaders(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Headers{"X-Session": "s", "Accept": "application/json"})

	e := anything(t, s, "GET", srv.URL+"/anything")
	assert.Equal(t, "s", e.header("X-Session"))
	assert.Equal(t, "application/json", e.header("Accept"))
	assert.Equal(t, DefaultUserAgent, e.header("User-Agent"))
	assert.Equal(t, "gzip, deflate, br, zstd", e.header("Accept-Encoding"))

	// Names are case-insensitive: the call's "accept" replaces the Session's.
	e = anything(t, s, "GET", srv.URL+"/anything", Headers{"accept": "text/plain", "x-call": "c"})
	assert.Equal(t, "text/plain", e.header("Accept"))
	assert.Equal(t, "c", e.header("X-Call"))
	assert.Equal(t, "s", e.header("X-Session"))

	// A call can drop a Session or library default.
	e = anything(t, s, "GET", srv.URL+"/anything", OmitHeaders("x-session", "User-Agent"))
	assert.Empty(t, e.header("X-Session"))
	assert.Empty(t, e.header("User-Agent"))

	// The Session is unchanged by the calls.
	e = anything(t, s, "GET", srv.URL+"/anything")
	assert.Equal(t, "application/json", e.header("Accept"))
	assert.Equal(t, "s", e.header("X-Session"))
}

// A request's headers are its own: changing them, in place or by appending,
// touches neither another header of the request nor the Session's defaults.
func TestRequestHeadersAreTheCallsOwn(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Headers{"X-Session": "s"})
	tests := []struct {
		name    string
		request func(t *testing.T) *http.Request
	}{
		{"sent", func(t *testing.T) *http.Request {
			r, err := s.Get(srv.URL+"/get", Headers{"X-Call": "c"})
			require.NoError(t, err)
			return r.Request
		}},
		{"prepared", func(t *testing.T) *http.Request {
			req, err := s.Prepare("GET", srv.URL+"/get", Headers{"X-Call": "c"})
			require.NoError(t, err)
			return req
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.request(t).Header
			for k := range h {
				h.Add(k, "appended")
			}
			h["Accept"][0], h["X-Session"][0] = "changed", "changed"
			assert.Equal(t, []string{"c", "appended"}, h["X-Call"])
			assert.Equal(t, []string{"changed", "appended"}, h["X-Session"])
			e := anything(t, s, "GET", srv.URL+"/anything")
			assert.Equal(t, "s", e.header("X-Session"))
			assert.Equal(t, "*/*", e.header("Accept"))
			assert.Empty(t, e.header("X-Call"))
		})
	}
}

func TestCallerMapsAreCopied(t *testing.T) {
	srv := newHTTPBin(t)
	h := Headers{"X-A": "1"}
	p := Params{"a": "1"}
	s := testSession(t, h, p)
	h["X-A"], p["a"] = "changed", "changed"
	e := anything(t, s, "GET", srv.URL+"/anything")
	assert.Equal(t, "1", e.header("X-A"))
	assert.Equal(t, []string{"1"}, e.Args["a"])
}

func TestBodies(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	file := filepath.Join(t.TempDir(), "body.txt")
	require.NoError(t, os.WriteFile(file, []byte("from a file"), 0o600))

	t.Run("json", func(t *testing.T) {
		e := anything(t, s, "POST", srv.URL+"/anything", JSON(map[string]any{"name": "gopher", "n": 2}))
		assert.Equal(t, map[string]any{"name": "gopher", "n": float64(2)}, e.JSON)
		assert.Equal(t, "application/json", e.header("Content-Type"))
	})
	t.Run("json keeps a caller's Content-Type", func(t *testing.T) {
		e := anything(t, s, "POST", srv.URL+"/anything", JSON([]int{1}), Headers{"Content-Type": "application/vnd.api+json"})
		assert.Equal(t, "application/vnd.api+json", e.header("Content-Type"))
		assert.Equal(t, "[1]", e.body())
	})
	t.Run("form from map", func(t *testing.T) {
		e := anything(t, s, "POST", srv.URL+"/anything", Data(map[string]string{"a": "1", "b": "x y"}))
		assert.Equal(t, map[string][]string{"a": {"1"}, "b": {"x y"}}, e.Form)
		assert.Equal(t, "application/x-www-form-urlencoded", e.header("Content-Type"))
	})
	t.Run("form from url.Values", func(t *testing.T) {
		e := anything(t, s, "PUT", srv.URL+"/anything", Data(url.Values{"k": {"1", "2"}}))
		assert.Equal(t, map[string][]string{"k": {"1", "2"}}, e.Form)
	})
	t.Run("raw string", func(t *testing.T) {
		e := anything(t, s, "POST", srv.URL+"/anything", Data("plain text"))
		assert.Equal(t, "plain text", e.body())
		assert.Equal(t, "10", e.header("Content-Length"))
		assert.Empty(t, e.header("Content-Type"))
	})
	t.Run("raw bytes", func(t *testing.T) {
		e := anything(t, s, "PATCH", srv.URL+"/anything", Data([]byte{'h', 'i'}))
		assert.Equal(t, "hi", e.body())
	})
	t.Run("reader of unknown length is chunked", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("a"), strings.NewReader("b"))
		e := anything(t, s, "POST", srv.URL+"/anything", Data(r))
		assert.Equal(t, "ab", e.body())
		assert.Equal(t, "chunked", e.header("Transfer-Encoding"))
	})
	t.Run("file has a length", func(t *testing.T) {
		f, err := os.Open(file)
		require.NoError(t, err)
		defer f.Close()
		e := anything(t, s, "POST", srv.URL+"/anything", Data(f))
		assert.Equal(t, "from a file", e.body())
		assert.Equal(t, "11", e.header("Content-Length"))
	})
	t.Run("data wins over json", func(t *testing.T) {
		e := anything(t, s, "POST", srv.URL+"/anything", JSON(1), Data("d"))
		assert.Equal(t, "d", e.body())
	})
	t.Run("buffer", func(t *testing.T) {
		e := anything(t, s, "POST", srv.URL+"/anything", Data(bytes.NewBufferString("buf")))
		assert.Equal(t, "buf", e.body())
		assert.Equal(t, "3", e.header("Content-Length"))
	})
}

func TestAuthOptions(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)

	r, err := s.Get(srv.URL+"/basic-auth/user/pa:ss", BasicAuth("user", "pa:ss"))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)

	r, err = s.Get(srv.URL+"/basic-auth/user/pass", BasicAuth("user", "wrong"))
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)

	r, err = s.Get(srv.URL+"/bearer", BearerAuth("t0ken"))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)

	// Session auth applies to every call; Auth(nil) removes it for one.
	sa := testSession(t, BasicAuth("user", "pass"))
	r, err = sa.Get(srv.URL + "/basic-auth/user/pass")
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	r, err = sa.Get(srv.URL+"/basic-auth/user/pass", Auth(nil))
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
}

func TestBasicAuthIsLatin1(t *testing.T) {
	s := testSession(t)
	req, err := s.Prepare("GET", "http://127.0.0.1:1/", BasicAuth("josé", "pässword"))
	require.NoError(t, err)
	// "josé:pässword" in Latin-1, base64.
	assert.Equal(t, "Basic am9z6Tpw5HNzd29yZA==", req.Header.Get("Authorization"))

	req, err = s.Prepare("GET", "http://127.0.0.1:1/", BasicAuth("名前", "p"))
	require.NoError(t, err)
	u, p, ok := req.BasicAuth()
	require.True(t, ok)
	assert.Equal(t, "名前", u)
	assert.Equal(t, "p", p)
}

func TestCallCookies(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	var got struct{ Cookies map[string]string }
	r, err := s.Get(srv.URL+"/cookies", Cookies{"flavour": "oat"})
	require.NoError(t, err)
	require.NoError(t, r.JSON(&got))
	assert.Equal(t, map[string]string{"flavour": "oat"}, got.Cookies)
}
