package requests

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

func TestResponseFields(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL+"/response-headers", Params{"X-Test": "1"})
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, "OK", r.Reason)
	assert.Equal(t, "1", r.Headers.Get("x-test"), "header look-ups are case-insensitive")
	assert.Equal(t, srv.URL+"/response-headers?X-Test=1", r.URL)
	assert.Positive(t, r.Elapsed)
	require.NotNil(t, r.Request)
	assert.Equal(t, "GET", r.Request.Method)
	assert.Empty(t, r.History)
	assert.Equal(t, "<Response [200]>", r.String())
	assert.NoError(t, r.Close())
	assert.NoError(t, r.Close(), "Close is idempotent")
}

func TestResponseReasonFromServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(418)
	}))
	defer srv.Close()
	r, err := testSession(t).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "I'm a teapot", r.Reason)
	assert.EqualError(t, r.Raise(), "418 Client Error: I'm a teapot for url: "+srv.URL)
}

// As requests' raise_for_status (models.py: a reason that is not UTF-8 is
// decoded as ISO-8859-1; its test_response_reason_unicode_fallback), a
// Latin-1 reason phrase reads as text, in Reason and in HTTPError's message.
func TestResponseReasonInLatin1(t *testing.T) {
	tests := []struct {
		name, status, want string
	}{
		{"Latin-1", "500 Komponenttia ei l\xf6ydy", "Komponenttia ei löydy"},
		{"UTF-8 kept", "404 Ei l\xc3\xb6ydy", "Ei löydy"},
		{"ASCII", "404 Nope", "Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 "+tt.status+"\nContent-Length: 0\n\n")
			r, err := testSession(t).Get(srv.URL)
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.Reason)
			assert.True(t, utf8.ValidString(r.Reason))
			require.Error(t, r.Raise())
			assert.Contains(t, r.Raise().Error(), " Error: "+tt.want+" for url: ")
		})
	}
}

func TestContentIsDecoded(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	for _, path := range []string{"/gzip", "/deflate"} {
		r, err := s.Get(srv.URL + path)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, r.JSON(&body), path)
		assert.NotEmpty(t, body)
	}
}

// textServer answers with the given Content-Type and raw body bytes.
func textServer(t *testing.T, contentType string, body []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		} else {
			w.Header()["Content-Type"] = nil
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestText(t *testing.T) {
	s := testSession(t)
	tests := []struct {
		name, contentType string
		body              []byte
		encoding, text    string
	}{
		{"utf-8 declared", "text/plain; charset=utf-8", []byte("grüß"), "utf-8", "grüß"},
		{"latin-1 declared", "text/plain; charset=ISO-8859-1", []byte("gr\xfc\xdf"), "iso-8859-1", "grüß"},
		{"text without charset is latin-1", "text/html", []byte("caf\xe9"), "ISO-8859-1", "café"},
		{"json without charset is utf-8", "application/json", []byte(`"ü"`), "utf-8", `"ü"`},
		{"no content type: guessed", "", []byte("plain ascii"), "", "plain ascii"},
		{"undecodable bytes are replaced", "text/plain; charset=utf-8", []byte("a\xffb"), "utf-8", "a\ufffdb"},
		{"shift_jis", "text/plain; charset=shift_jis", []byte("\x93\xfa\x96\x7b"), "shift_jis", "日本"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Get(textServer(t, tt.contentType, tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.encoding, r.Encoding)
			assert.Equal(t, tt.text, r.Text())
			assert.True(t, utf8.ValidString(r.Text()))
		})
	}
}

func TestEncodingCanBeSetBeforeText(t *testing.T) {
	r, err := testSession(t).Get(textServer(t, "text/plain", []byte("gr\xc3\xbc\xc3\x9f")))
	require.NoError(t, err)
	assert.Equal(t, "grÃ¼Ã\u009f", r.Text(), "Latin-1 by default, as requests")
	r.Encoding = "utf-8"
	assert.Equal(t, "grüß", r.Text())
}

func TestJSONErrors(t *testing.T) {
	s := testSession(t)
	var v any
	r, err := s.Get(textServer(t, "application/json", []byte("{not json")))
	require.NoError(t, err)
	assert.ErrorIs(t, r.JSON(&v), ErrJSONDecode)

	r, err = s.Get(textServer(t, "application/json", nil))
	require.NoError(t, err)
	assert.ErrorIs(t, r.JSON(&v), ErrJSONDecode, "an empty body is not JSON")

	r, err = s.Get(textServer(t, "application/json", []byte("\xff\xfe{\x00}\x00")))
	require.NoError(t, err)
	require.NoError(t, r.JSON(&v), "UTF-16 with a BOM, as requests detects it")
	assert.Equal(t, map[string]any{}, v)
}

func TestResponseCookies(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL+"/cookies/set?a=1&b=2", AllowRedirects(false))
	require.NoError(t, err)
	names := map[string]string{}
	for _, c := range r.Cookies() {
		names[c.Name] = c.Value
	}
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, names)
}

func TestConnectionReuse(t *testing.T) {
	var conns remotes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conns.add(r.RemoteAddr)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	s := testSession(t)
	for range 200 {
		r, err := s.Get(srv.URL)
		require.NoError(t, err)
		require.Equal(t, 200, r.StatusCode)
	}
	assert.Equal(t, 1, conns.count(), "sequential calls reuse one pooled connection")
}

func TestBufferedBodyGrowsWithTheBytesReceived(t *testing.T) {
	// The Content-Length is the server's word: memory follows the bytes
	// that arrive, and a response that has no body never fails on it.
	const bound = 8 << 20 // generous: the announced sizes are 32 MiB and more
	bodiless := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 204, Header: http.Header{"Content-Length": {"41943040"}},
			ContentLength: 40 << 20, Body: http.NoBody, Request: r}, nil
	})
	tests := []struct {
		name   string
		header string // served raw; empty: the mounted bodiless transport
		method string
		opts   []Option
		want   error
	}{
		{"HEAD announcing 1 GiB, over MaxBodySize", "HTTP/1.1 200 OK\nContent-Length: 1073741824\n\n", http.MethodHead, []Option{MaxBodySize(1 << 20)}, nil},
		{"HEAD announcing 32 MiB", "HTTP/1.1 200 OK\nContent-Length: 33554432\n\n", http.MethodHead, nil, nil},
		{"204 announcing 40 MiB, over MaxBodySize", "", http.MethodGet, []Option{MaxBodySize(1 << 20)}, nil},
		{"67 MB announced, one byte sent, then a stall", "HTTP/1.1 200 OK\nContent-Length: 67000000\n\nx", http.MethodGet, []Option{ReadTimeout(200 * time.Millisecond)}, ErrReadTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t)
			u := "spy://bodiless/"
			if tt.header != "" {
				u = faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF(tt.header))).URL
			} else {
				s.Mount("spy://", bodiless)
			}
			var r *Response
			var err error
			n := allocatedDuring(func() { r, err = s.Do(tt.method, u, tt.opts...) })
			assert.Less(t, n, uint64(bound), "allocated for an announced size")
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.Empty(t, r.Content())
		})
	}
}

// A buffered body with a known length grows towards it fourfold at a time
// and ends at its exact size: a 1 MiB body costs about 1.3 MiB of buffers,
// not the several copies of append's 1.25× growth (3 MiB and more), nor
// the whole length reserved before a byte arrives. The growth itself is
// checked directly, so that no other allocation of the call blurs it.
func TestBufferedBodyGrowsFourfoldToItsLength(t *testing.T) {
	const size = 1 << 20
	body := bytes.Repeat([]byte("x"), size)
	var got []byte
	var err error
	allocated := allocatedDuring(func() {
		got, err = readAll(bytes.NewReader(body), size, 0)
	})
	require.NoError(t, err)
	assert.Equal(t, body, got)
	assert.Equal(t, size+1, cap(got), "the last buffer is the length, and room to see EOF")
	assert.Less(t, allocated, uint64(size*3/2), "64 KiB + 256 KiB + 1 MiB")

	// Without a length it doubles; a lying length is never reserved ahead.
	got, err = readAll(bytes.NewReader(body[:100]), 64<<20, 0)
	require.NoError(t, err)
	assert.Len(t, got, 100)
	assert.LessOrEqual(t, cap(got), presizeMax)
}
