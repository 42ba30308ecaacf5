package linkheader

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse: any input parses without panic, and every link whose URL can
// be written between < and > formats to text that parses back to it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		`<http://example.com/TheBook/chapter2>; rel="previous"; title="previous chapter"`,
		`</TheBook/chapter2>; rel="previous"; title*=UTF-8'de'letztes%20Kapitel, </TheBook/chapter4>; rel="next"`,
		`<https://example.org/>; rel="start http://example.net/relation/other"`,
		`<a>; title="x\"y, z"; flag, <b>`,
		`http://bare/; rel=next`,
		`<unterminated; rel=x, <b>`,
		`<a>; title="open`,
		`;;,,<>`,
	} {
		f.Add(s, "")
		f.Add(s, "<x>; rel=y")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, l := range Parse(a, b) {
			require.Equal(t, l.Rel, l.Params["rel"])
			for k := range l.Params {
				require.Equal(t, strings.ToLower(k), k)
				require.NotEmpty(t, k)
			}
			if strings.ContainsAny(l.URL, "<>") || l.URL != strings.Trim(l.URL, " \t") {
				continue
			}
			require.Equal(t, []Link{l}, Parse(l.String()), "%q", l.String())
		}
	})
}

// FuzzRoundTrip: a link built from arbitrary parts survives String and
// Parse unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("http://a/?x=1,2;y", "next", "title", `a "quoted", value; \ here`)
	f.Add("", "", "flag", "")
	f.Add("/", "start http://example.net/rel", "TYPE", "text/html")
	f.Fuzz(func(t *testing.T, url, rel, key, value string) {
		url = strings.Trim(strings.NewReplacer("<", "", ">", "").Replace(url), " \t")
		rel = strings.Trim(rel, " \t")
		var name strings.Builder
		for i := 0; i < len(key); i++ {
			if isTchar(key[i]) {
				name.WriteByte(key[i])
			}
		}
		l := Link{URL: url, Rel: rel}
		if rel != "" {
			l.Params = P{"rel": rel}
		}
		if k := strings.ToLower(name.String()); k != "" && k != "rel" {
			if l.Params == nil {
				l.Params = P{}
			}
			l.Params[k] = value
		}
		require.Equal(t, []Link{l}, Parse(l.String()), "%q", l.String())
	})
}
