package requests

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var spellingCases = []struct {
	raw   string
	plain bool // spells should recognise it (String gives it back as it is)
}{
	{"http://127.0.0.1:8080/json", true},
	{"https://api.example.com/v1/items?page=2&q=go", true},
	{"http://example.com", true},
	{"http://example.com/", true},
	{"http://example.com/a/../b/./c", true},
	{"http://example.com/?", true},
	{"http://example.com?x=1", true},
	{"http://example.com/a:b/c=d&e+f,g;h~i", true},
	{"http://example.com/a?b?c", true},
	{"HTTP://example.com/", false},
	{"http://user:pass@example.com/", false},
	{"http://example.com/a%20b", false},
	{"http://example.com/a%2Fb", false},
	{"http://example.com/a b", false},
	{"http://example.com/#frag", false},
	{"http://example.com/a!b", false},
	{"http://example.com/a'b(c)*", false},
	{"http://[::1]:80/", false},
	{"http://example.com/é", false},
	{"http://exa%6dple.com/", false},
	{" http://example.com/", false},
	{"mailto:gopher@example.com", false},
	{"http:example.com", false},
	{"http:///path", false},
}

func TestSpells(t *testing.T) {
	for _, tt := range spellingCases {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				return
			}
			got := spells(u, tt.raw)
			assert.Equal(t, tt.plain, got)
			if got {
				assert.Equal(t, u.String(), tt.raw)
			}
		})
	}
}

// A URL changed after parsing (params merged, fields set by hand) is never
// mistaken for the caller's spelling.
func TestSpellsSeesChanges(t *testing.T) {
	raw := "http://example.com/a?x=1"
	for _, change := range []func(u *url.URL){
		func(u *url.URL) { u.RawQuery += "&y=2" },
		func(u *url.URL) { u.Path = "/b" },
		func(u *url.URL) { u.Path = "/a?x" },
		func(u *url.URL) { u.Host = "example.org" },
		func(u *url.URL) { u.Scheme = "https" },
		func(u *url.URL) { u.Fragment = "f" },
		func(u *url.URL) { u.User = url.User("me") },
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		change(u)
		assert.False(t, spells(u, raw), u.String())
	}
}

func FuzzSpells(f *testing.F) {
	for _, tt := range spellingCases {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if spells(u, raw) && u.String() != raw {
			t.Fatalf("spells(%q) but String() is %q", raw, u.String())
		}
	})
}
