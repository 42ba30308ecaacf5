package requests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinks(t *testing.T) {
	// The server sends the Link header values given as ?link=..., one
	// header field each.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, l := range r.URL.Query()["link"] {
			w.Header().Add("Link", l)
		}
	}))
	t.Cleanup(srv.Close)
	s := testSession(t)
	links := func(t *testing.T, headers ...string) map[string]Link {
		t.Helper()
		r, err := s.Get(srv.URL, ParamValues{"link": headers})
		require.NoError(t, err)
		return r.Links()
	}

	tests := []struct {
		name    string
		headers []string
		want    map[string]Link
	}{
		{"none", nil, map[string]Link{}},
		{"one link, quoted rel",
			[]string{`<https://api.example.com/items?page=2>; rel="next"`},
			map[string]Link{"next": {URL: "https://api.example.com/items?page=2", Rel: "next", Params: map[string]string{"rel": "next"}}}},
		{"token rel",
			[]string{`</p/3>; rel=last`},
			map[string]Link{"last": {URL: "/p/3", Rel: "last", Params: map[string]string{"rel": "last"}}}},
		{"several links in one field",
			[]string{`</p/2>; rel="next", </p/9>; rel="last"`},
			map[string]Link{
				"next": {URL: "/p/2", Rel: "next", Params: map[string]string{"rel": "next"}},
				"last": {URL: "/p/9", Rel: "last", Params: map[string]string{"rel": "last"}},
			}},
		{"several fields",
			[]string{`</p/1>; rel="prev"`, `</p/3>; rel="next"`},
			map[string]Link{
				"prev": {URL: "/p/1", Rel: "prev", Params: map[string]string{"rel": "prev"}},
				"next": {URL: "/p/3", Rel: "next", Params: map[string]string{"rel": "next"}},
			}},
		{"RFC 8288 example: title with a comma",
			[]string{`<http://example.com/TheBook/chapter2>; rel="previous"; title="previous chapter, part 1"`},
			map[string]Link{"previous": {URL: "http://example.com/TheBook/chapter2", Rel: "previous",
				Params: map[string]string{"rel": "previous", "title": "previous chapter, part 1"}}}},
		{"RFC 8288 example: extended title* kept as written",
			[]string{`</TheBook/chapter2>; rel="previous"; title*=UTF-8'de'letztes%20Kapitel, </TheBook/chapter4>; rel="next"; title*=UTF-8'de'n%c3%a4chstes%20Kapitel`},
			map[string]Link{
				"previous": {URL: "/TheBook/chapter2", Rel: "previous", Params: map[string]string{"rel": "previous", "title*": "UTF-8'de'letztes%20Kapitel"}},
				"next":     {URL: "/TheBook/chapter4", Rel: "next", Params: map[string]string{"rel": "next", "title*": "UTF-8'de'n%c3%a4chstes%20Kapitel"}},
			}},
		{"RFC 8288 example: two relation types are one key",
			[]string{`<http://example.org/>; rel="start http://example.net/relation/other"`},
			map[string]Link{"start http://example.net/relation/other": {URL: "http://example.org/", Rel: "start http://example.net/relation/other",
				Params: map[string]string{"rel": "start http://example.net/relation/other"}}}},
		{"anchor, type, hreflang, media",
			[]string{`<https://example.org/de>; rel="alternate"; anchor="#s1"; type="text/html"; hreflang=de; media="screen, print"`},
			map[string]Link{"alternate": {URL: "https://example.org/de", Rel: "alternate",
				Params: map[string]string{"rel": "alternate", "anchor": "#s1", "type": "text/html", "hreflang": "de", "media": "screen, print"}}}},
		{"escaped quote and semicolon in a quoted value",
			[]string{`</x>; rel="next"; title="say \"hi\"; then go"`},
			map[string]Link{"next": {URL: "/x", Rel: "next", Params: map[string]string{"rel": "next", "title": `say "hi"; then go`}}}},
		{"comma and semicolon inside the target",
			[]string{`<https://example.com/a,b;c?x=1,2>; rel="self"`},
			map[string]Link{"self": {URL: "https://example.com/a,b;c?x=1,2", Rel: "self", Params: map[string]string{"rel": "self"}}}},
		{"parameter names are case-insensitive, values are kept",
			[]string{`</y>; REL="Next"; Title=Word`},
			map[string]Link{"Next": {URL: "/y", Rel: "Next", Params: map[string]string{"rel": "Next", "title": "Word"}}}},
		{"a parameter without value",
			[]string{`</z>; rel=next; crossorigin`},
			map[string]Link{"next": {URL: "/z", Rel: "next", Params: map[string]string{"rel": "next", "crossorigin": ""}}}},
		{"no rel: keyed by URL",
			[]string{`<https://cdn.example.com/a.css>; type="text/css"`, `</plain>`},
			map[string]Link{
				"https://cdn.example.com/a.css": {URL: "https://cdn.example.com/a.css", Params: map[string]string{"type": "text/css"}},
				"/plain":                        {URL: "/plain"},
			}},
		{"the first rel of a link wins, a later link with the same rel wins",
			[]string{`</a>; rel=next; rel=prev, </b>; rel=next`},
			map[string]Link{"next": {URL: "/b", Rel: "next", Params: map[string]string{"rel": "next"}}}},
		{"white space around everything",
			[]string{"  < /spaced >  ;  rel = \"next\"  ,  "},
			map[string]Link{"next": {URL: "/spaced", Rel: "next", Params: map[string]string{"rel": "next"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := links(t, tt.headers...)
			assert.NotNil(t, got)
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("go-httpbin /response-headers", func(t *testing.T) {
		bin := newHTTPBin(t)
		r, err := s.Get(bin.URL + "/response-headers?" + url.Values{"Link": {`</page/2>; rel="next"`, `</page/1>; rel="first"`}}.Encode())
		require.NoError(t, err)
		l := r.Links()
		assert.Equal(t, "/page/2", l["next"].URL)
		assert.Equal(t, "/page/1", l["first"].URL)
	})
}
