package redact

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactHeader(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"Authorization", "Bearer abc.def", "Bearer REDACTED"},
		{"authorization", "Basic dXNlcjpwYXNz", "Basic REDACTED"},
		{"Authorization", "opaque-token", "REDACTED"},
		{"Authorization", "", "REDACTED"},
		{"Proxy-Authorization", "Basic dXNlcjpwYXNz", "Basic REDACTED"},
		{"Cookie", "session=s3cret; theme=dark", "session=REDACTED; theme=REDACTED"},
		{"cookie", "lonely", "REDACTED"},
		{"Set-Cookie", "session=s3cret; Path=/; HttpOnly", "session=REDACTED; Path=/; HttpOnly"},
		{"Set-Cookie", "session=s3cret", "session=REDACTED"},
		{"Accept", "application/json", "application/json"},
		{"X-Api-Key", "not in the list", "not in the list"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.value, func(t *testing.T) {
			got := RedactHeader(tt.name, tt.value)
			assert.Equal(t, tt.want, got)
			if tt.want != tt.value && tt.value != "" {
				// No fragment of the secret survives.
				_, secret, _ := strings.Cut(tt.value, " ")
				if secret != "" && !strings.Contains(tt.value, "=") {
					assert.NotContains(t, got, secret)
				}
			}
		})
	}
}

func TestRedactHeaders(t *testing.T) {
	h := http.Header{
		"Authorization": {"Bearer t0k"},
		"Set-Cookie":    {"a=1", "b=2; Secure"},
		"Accept":        {"*/*"},
	}
	got := RedactHeaders(h)
	assert.Equal(t, http.Header{
		"Authorization": {"Bearer REDACTED"},
		"Set-Cookie":    {"a=REDACTED", "b=REDACTED; Secure"},
		"Accept":        {"*/*"},
	}, got)
	assert.Equal(t, "Bearer t0k", h.Get("Authorization"), "the input is left alone")
}

func TestIsParam(t *testing.T) {
	for _, name := range Params {
		assert.True(t, IsParam(name), name)
		assert.True(t, IsParam(strings.ToUpper(name)), name)
	}
	for _, name := range []string{"API-KEY", "Access-Token", "refresh_token", "id_token", "db_password", "x_secret"} {
		assert.True(t, IsParam(name), name)
	}
	for _, name := range []string{"q", "page", "keys", "tokens", "monkey", "signed", "sort", ""} {
		assert.False(t, IsParam(name), name)
	}
}

func TestRedactExtraHeaders(t *testing.T) {
	assert.True(t, IsHeader("x-api-key", "X-Api-Key"))
	assert.False(t, IsHeader("X-Other", "X-Api-Key"))
	assert.Equal(t, Mask, RedactHeader("X-API-KEY", "k3y", "X-Api-Key"))
	assert.Equal(t, "k3y", RedactHeader("X-Api-Key", "k3y"), "not declared: left alone")
	got := RedactHeaders(http.Header{"X-Api-Key": {"k3y"}, "Accept": {"*/*"}}, "x-api-key")
	assert.Equal(t, http.Header{"X-Api-Key": {Mask}, "Accept": {"*/*"}}, got)
}

func TestIsHeader(t *testing.T) {
	for _, h := range Headers {
		assert.True(t, IsHeader(h))
		assert.True(t, IsHeader(strings.ToLower(h)))
	}
	assert.False(t, IsHeader("Accept"))
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example.com/users?page=2", "https://api.example.com/users?page=2"},
		{"https://user:pa55@api.example.com/", "https://user:REDACTED@api.example.com/"},
		{"https://user@api.example.com/", "https://user@api.example.com/"},
		{"https://api.example.com/?token=abc&q=go", "https://api.example.com/?token=REDACTED&q=go"},
		{"https://api.example.com/?q=go&API_KEY=abc&sig=zz&sig=yy", "https://api.example.com/?q=go&API_KEY=REDACTED&sig=REDACTED&sig=REDACTED"},
		{"https://api.example.com/?access%5Ftoken=abc", "https://api.example.com/?access%5Ftoken=REDACTED"},
		{"https://api.example.com/?q=a%20b&password=p%40ss#frag", "https://api.example.com/?q=a%20b&password=REDACTED#frag"},
		{"https://api.example.com/?token=&token", "https://api.example.com/?token=&token"},
		{"https://api.example.com/?bad%zz=1&secret=x", "https://api.example.com/?bad%zz=1&secret=REDACTED"},
		{"https://api.example.com/a%2Fb?key=1", "https://api.example.com/a%2Fb?key=REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, RedactURL(u))
		})
	}
	assert.Equal(t, "", RedactURL(nil))
}

func TestRedactURLLeavesInputAlone(t *testing.T) {
	u, err := url.Parse("https://u:p@example.com/?token=t")
	require.NoError(t, err)
	_ = RedactURL(u)
	assert.Equal(t, "https://u:p@example.com/?token=t", u.String())
}

func TestRedactForm(t *testing.T) {
	assert.Equal(t, "grant_type=password&username=a&password=REDACTED&client_secret=REDACTED",
		RedactForm("grant_type=password&username=a&password=p&client_secret=s"))
	assert.Equal(t, "", RedactForm(""))
}

func TestRedactHeaderEdges(t *testing.T) {
	assert.Equal(t, "a=REDACTED; ", RedactHeader("Cookie", "a=1; "))
	assert.Equal(t, "REDACTED; Path=/", RedactHeader("Set-Cookie", "junk; Path=/"))

	// A header added to the list is masked whole.
	old := Headers
	t.Cleanup(func() { Headers = old })
	Headers = append(append([]string(nil), old...), "X-Api-Key")
	assert.Equal(t, Mask, RedactHeader("x-api-key", "k"))
}

// FuzzRedactURL checks that whatever the URL, the result parses to the same
// URL with the password and the credential parameters' values masked, and
// nothing else changed.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"https://u:p@example.com/a?token=1&q=2",
		"http://example.com/?api-key=x;y&sig=&sig=z",
		"https://example.com/%2F?pass%77ord=1",
		"//u:p@h/p?secret=s#f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		got, err := url.Parse(RedactURL(u))
		require.NoError(t, err)
		if _, ok := u.User.Password(); ok {
			pw, _ := got.User.Password()
			assert.Equal(t, Mask, pw)
			assert.Equal(t, u.User.Username(), got.User.Username())
		}
		assert.Equal(t, u.Host, got.Host)
		assert.Equal(t, u.EscapedPath(), got.EscapedPath())
		assert.Equal(t, u.Fragment, got.Fragment)
		want, err1 := url.ParseQuery(u.RawQuery)
		have, err2 := url.ParseQuery(got.RawQuery)
		if err1 != nil || err2 != nil {
			return
		}
		for k, vs := range want {
			if !IsParam(k) {
				assert.Equal(t, vs, have[k], k)
				continue
			}
			for i, v := range have[k] {
				if vs[i] != "" {
					assert.Equal(t, Mask, v, k)
				}
			}
		}
	})
}
