package linkheader

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type P = map[string]string

func TestParseRFC8288Examples(t *testing.T) {
	// RFC 8288 section 3.5.
	tests := []struct {
		name   string
		values []string
		want   []Link
	}{
		{
			"quoted rel and title",
			[]string{`<http://example.com/TheBook/chapter2>; rel="previous"; title="previous chapter"`},
			[]Link{{URL: "http://example.com/TheBook/chapter2", Rel: "previous",
				Params: P{"rel": "previous", "title": "previous chapter"}}},
		},
		{
			"relative target, extension relation type",
			[]string{`</>; rel="http://example.net/foo"`},
			[]Link{{URL: "/", Rel: "http://example.net/foo", Params: P{"rel": "http://example.net/foo"}}},
		},
		{
			"anchor",
			[]string{`</terms>; rel="copyright"; anchor="#foo"`},
			[]Link{{URL: "/terms", Rel: "copyright", Params: P{"rel": "copyright", "anchor": "#foo"}}},
		},
		{
			"two links with title*",
			[]string{`</TheBook/chapter2>; rel="previous"; title*=UTF-8'de'letztes%20Kapitel, </TheBook/chapter4>; rel="next"; title*=UTF-8'de'n%c3%a4chstes%20Kapitel`},
			[]Link{
				{URL: "/TheBook/chapter2", Rel: "previous", Params: P{"rel": "previous", "title*": "UTF-8'de'letztes%20Kapitel"}},
				{URL: "/TheBook/chapter4", Rel: "next", Params: P{"rel": "next", "title*": "UTF-8'de'n%c3%a4chstes%20Kapitel"}},
			},
		},
		{
			"several relation types",
			[]string{`<http://example.org/>; rel="start http://example.net/relation/other"`},
			[]Link{{URL: "http://example.org/", Rel: "start http://example.net/relation/other",
				Params: P{"rel": "start http://example.net/relation/other"}}},
		},
		{
			"two links",
			[]string{`<https://example.org/>; rel="start", <https://example.org/index>; rel="index"`},
			[]Link{
				{URL: "https://example.org/", Rel: "start", Params: P{"rel": "start"}},
				{URL: "https://example.org/index", Rel: "index", Params: P{"rel": "index"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Parse(tt.values...))
		})
	}
}

func TestParseGrammar(t *testing.T) {
	// One case per form the RFC 8288 section 3 grammar allows, then the
	// leniencies real headers need.
	tests := []struct {
		name   string
		values []string
		want   []Link
	}{
		{"no values", nil, nil},
		{"empty value", []string{""}, nil},
		{"only separators", []string{" , ,\t, "}, nil},
		{"bare link, no params", []string{"<http://a/>"}, []Link{{URL: "http://a/"}}},
		{"empty URI-Reference", []string{"<>; rel=self"}, []Link{{URL: "", Rel: "self", Params: P{"rel": "self"}}}},
		{"token value", []string{"<a>; rel=next"}, []Link{{URL: "a", Rel: "next", Params: P{"rel": "next"}}}},
		{"quoted value", []string{`<a>; rel="next"`}, []Link{{URL: "a", Rel: "next", Params: P{"rel": "next"}}}},
		{"param without value", []string{"<a>; crossorigin; rel=preload"},
			[]Link{{URL: "a", Rel: "preload", Params: P{"crossorigin": "", "rel": "preload"}}}},
		{"param without value at end", []string{"<a>;nopush"}, []Link{{URL: "a", Params: P{"nopush": ""}}}},
		{"empty quoted value", []string{`<a>; title=""`}, []Link{{URL: "a", Params: P{"title": ""}}}},
		{"BWS around =", []string{"<a> ; rel = next ;title\t=\t\"x\""},
			[]Link{{URL: "a", Rel: "next", Params: P{"rel": "next", "title": "x"}}}},
		{"no OWS at all", []string{`<a>;rel=next,<b>;rel=prev`},
			[]Link{{URL: "a", Rel: "next", Params: P{"rel": "next"}}, {URL: "b", Rel: "prev", Params: P{"rel": "prev"}}}},
		{"case-insensitive names", []string{`<a>; REL=Next; Title="T"`},
			[]Link{{URL: "a", Rel: "Next", Params: P{"rel": "Next", "title": "T"}}}},
		{"escapes in quoted string", []string{`<a>; title="say \"hi\" \\ \o"`},
			[]Link{{URL: "a", Params: P{"title": `say "hi" \ o`}}}},
		{"comma and semicolon in quoted string", []string{`<a>; title="a, b; c", <b>`},
			[]Link{{URL: "a", Params: P{"title": "a, b; c"}}, {URL: "b"}}},
		{"comma and semicolon in target", []string{`<http://x/?a=1,2;b>; rel=next, <c>`},
			[]Link{{URL: "http://x/?a=1,2;b", Rel: "next", Params: P{"rel": "next"}}, {URL: "c"}}},
		{"empty list elements", []string{",, <a>,,<b> ,"}, []Link{{URL: "a"}, {URL: "b"}}},
		{"several header values", []string{"<a>; rel=next", "<b>; rel=prev, <c>"},
			[]Link{{URL: "a", Rel: "next", Params: P{"rel": "next"}}, {URL: "b", Rel: "prev", Params: P{"rel": "prev"}}, {URL: "c"}}},
		{"first rel wins", []string{`<a>; rel=one; rel=two`}, []Link{{URL: "a", Rel: "one", Params: P{"rel": "one"}}}},
		{"rel list whitespace trimmed", []string{"<a>; rel=\"  next \tprev \""},
			[]Link{{URL: "a", Rel: "next \tprev", Params: P{"rel": "next \tprev"}}}},
		{"hreflang media type", []string{`<a>; hreflang=de; media="screen"; type="text/html"`},
			[]Link{{URL: "a", Params: P{"hreflang": "de", "media": "screen", "type": "text/html"}}}},
		{"unquoted slash value", []string{`<a>; type=text/html; rel=alternate`},
			[]Link{{URL: "a", Rel: "alternate", Params: P{"rel": "alternate", "type": "text/html"}}}},
		{"spaces inside brackets", []string{"< http://a/ >; rel=x"}, []Link{{URL: "http://a/", Rel: "x", Params: P{"rel": "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Parse(tt.values...))
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Link
	}{
		{"bare URL as requests accepts", "http://a/; rel=next", []Link{{URL: "http://a/", Rel: "next", Params: P{"rel": "next"}}}},
		{"quoted bare URL", `'http://a/'; rel=next`, []Link{{URL: "http://a/", Rel: "next", Params: P{"rel": "next"}}}},
		{"unterminated target", "<http://a/; rel=next, <b>", []Link{{URL: "http://a/; rel=next"}, {URL: "b"}}},
		{"unterminated target at end", "<http://a/", []Link{{URL: "http://a/"}}},
		{"unterminated target with commas", "<http://a/?x=1,2", []Link{{URL: "http://a/?x=1,2"}}},
		{"unterminated target, no comma", "<http://a/ <b>", []Link{{URL: "http://a/"}, {URL: "b"}}},
		{"unterminated quote", `<a>; title="open, <b>`, []Link{{URL: "a", Params: P{"title": "open, <b>"}}}},
		{"dangling escape", `<a>; title="x\`, []Link{{URL: "a", Params: P{"title": "x"}}}},
		{"junk after target", "<a> junk; rel=next", []Link{{URL: "a", Rel: "next", Params: P{"rel": "next"}}}},
		{"junk param", "<a>; =x; rel=next", []Link{{URL: "a", Rel: "next", Params: P{"rel": "next"}}}},
		{"junk with quotes", `<a>; @"x;y"; rel=next`, []Link{{URL: "a", Rel: "next", Params: P{"rel": "next"}}}},
		{"only params", "; rel=next", nil},
		{"empty params", "<a>;;;", []Link{{URL: "a"}}},
		{"trailing equals", "<a>; rel=", []Link{{URL: "a", Params: P{"rel": ""}}}},
		{"value then junk", "<a>; rel=next page; x=1", []Link{{URL: "a", Rel: "next", Params: P{"rel": "next", "x": "1"}}}},
		{"lone bracket", ">", []Link{{URL: ">"}}},
		{"lone open", "<", []Link{{URL: ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Parse(tt.in))
		})
	}
}

func TestByRel(t *testing.T) {
	links := Parse(
		`<https://api/?page=2>; rel="next", <https://api/?page=9>; rel="last"`,
		`<https://api/?page=3>; rel="next"`, // later duplicate wins, as in requests
		`<https://api/style.css>`,           // no rel: keyed by URL
		`<https://api/x>; rel="start index"`,
	)
	m := ByRel(links)
	require.Len(t, m, 4)
	assert.Equal(t, "https://api/?page=3", m["next"].URL)
	assert.Equal(t, "https://api/?page=9", m["last"].URL)
	assert.Equal(t, "https://api/style.css", m["https://api/style.css"].URL)
	assert.Equal(t, "https://api/x", m["start index"].URL, "multi-type rel is one key, as requests")
	assert.NotContains(t, m, "start")
	assert.Empty(t, ByRel(nil))
}

func TestRelsAndHasRel(t *testing.T) {
	l := Parse(`<a>; rel="Start  http://example.net/Rel` + "\t" + `next"`)[0]
	assert.Equal(t, []string{"Start", "http://example.net/Rel", "next"}, l.Rels())
	tests := []struct {
		rel  string
		want bool
	}{
		{"start", true},
		{"START", true},
		{"next", true},
		{"http://example.net/Rel", true},
		{"http://example.net/rel", false}, // extension types compare exactly
		{"prev", false},
		{"", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, l.HasRel(tt.rel), tt.rel)
	}
	assert.Empty(t, Link{URL: "x"}.Rels())
}

func TestString(t *testing.T) {
	tests := []struct {
		link Link
		want string
	}{
		{Link{URL: "a"}, "<a>"},
		{Link{URL: "a", Rel: "next", Params: P{"rel": "next"}}, `<a>; rel="next"`},
		{Link{URL: "a", Rel: "next"}, `<a>; rel="next"`},
		{Link{URL: "a", Params: P{"rel": ""}}, `<a>; rel=""`},
		{Link{URL: "a", Rel: "x", Params: P{"z": "1", "b": `q"\`, "flag": ""}}, `<a>; rel="x"; b="q\"\\"; flag; z="1"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.link.String())
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, l := range []Link{
		{URL: "http://x/?a=1,2;b", Rel: "next prev", Params: P{"rel": "next prev", "title": `a "b", c; d \ e`}},
		{URL: "", Params: P{"anchor": "#x", "nopush": ""}},
		{URL: "/"},
	} {
		assert.Equal(t, []Link{l}, Parse(l.String()))
	}
}
