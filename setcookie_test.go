package requests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Set-Cookie values that Go's strict parser drops or unquotes are kept
// verbatim, quotes included, as requests keeps them (RFC 6265 section 5.2).
func TestSetCookieValuesAreKeptVerbatim(t *testing.T) {
	tests := []struct {
		name, line string
		want       *http.Cookie // nil: dropped
	}{
		{"escaped quotes (Werkzeug)", `foo="\"bar:baz\""`, &http.Cookie{Name: "foo", Value: `"\"bar:baz\""`}},
		{"quote-wrapped", `foo="bar:baz"`, &http.Cookie{Name: "foo", Value: `"bar:baz"`}},
		{"backslash", `foo=a\b`, &http.Cookie{Name: "foo", Value: `a\b`}},
		{"inner space and comma", `foo=a b,c`, &http.Cookie{Name: "foo", Value: "a b,c"}},
		{"whitespace around", "foo = bar \t; Path=/p", &http.Cookie{Name: "foo", Value: "bar", Path: "/p"}},
		{"attributes kept", `foo="x"; Path=/p; Secure; HttpOnly; Max-Age=10; SameSite=Lax`,
			&http.Cookie{Name: "foo", Value: `"x"`, Path: "/p", Secure: true, HttpOnly: true, MaxAge: 10, SameSite: http.SameSiteLaxMode}},
		{"empty value", "foo=", &http.Cookie{Name: "foo", Value: ""}},
		{"control byte", "foo=a\tb", nil}, // the only one a header may hold
		{"no equals sign", "foo", nil},
		{"name not a token", `f"o=bar`, nil},
		{"empty name", "=bar", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nSet-Cookie: "+tt.line+"\nSet-Cookie: ok=1\nContent-Length: 0\nConnection: close\n\n")
			s := testSession(t)
			r, err := s.Get(srv.URL)
			require.NoError(t, err)
			var got *http.Cookie
			for _, c := range r.Cookies() {
				if c.Name != "ok" {
					got = c
				}
			}
			path := "/"
			if tt.want != nil && tt.want.Path != "" {
				path = tt.want.Path
			}
			inJar := cookieMap(s.Jar().Cookies(mustParse(t, srv.URL+path)))
			assert.Equal(t, "1", inJar["ok"])
			if tt.want == nil {
				assert.Nil(t, got)
				assert.Len(t, inJar, 1)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.line, got.Raw)
			got.Raw = ""
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.Value, inJar["foo"])
		})
	}
}

// A verbatim value goes back to the server byte for byte, as requests
// sends it.
func TestQuotedCookieValueIsSentBackVerbatim(t *testing.T) {
	const value = `"\"bar:baz\""`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			w.Header().Add("Set-Cookie", "foo="+value+"; Path=/")
			w.Header().Add("Set-Cookie", `plain="quoted"`)
		}
		io.WriteString(w, r.Header.Get("Cookie"))
	}))
	t.Cleanup(srv.Close)
	s := testSession(t)
	_, err := s.Get(srv.URL + "/set")
	require.NoError(t, err)
	r, err := s.Get(srv.URL + "/")
	require.NoError(t, err)
	assert.Equal(t, `foo=`+value+`; plain="quoted"`, r.Text())
}
