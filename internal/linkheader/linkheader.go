// Package linkheader parses HTTP Link header fields (RFC 8288) into the
// shape Python requests exposes as Response.links.
//
// The parser follows the RFC's grammar but is lenient the way real clients
// must be: it never fails, and it keeps every link it can make sense of.
package linkheader

import (
	"sort"
	"strings"
)

// Link is one link-value of a Link header.
type Link struct {
	// URL is the target URI-Reference exactly as written between < and >
	// (trimmed of spaces), not resolved against any base.
	URL string
	// Rel is the rel parameter, unquoted and trimmed: one or more relation
	// types separated by spaces, e.g. "next" or "start index". It is ""
	// when the link has no rel.
	Rel string
	// Params holds every parameter, rel included, by lowercase name.
	// Quoted values are unquoted; a parameter without a value maps to "".
	// When a name repeats, the first occurrence wins, as RFC 8288 requires
	// for rel. Extended values such as title* are kept as written. Params
	// is nil when the link has no parameters.
	Params map[string]string
}

// Parse parses any number of Link header values, each a comma-separated
// list of links, into links in order of appearance. Commas inside <...> or
// quoted strings do not split links, and backslash escapes in quoted
// strings are undone. Malformed parts are skipped: Parse never fails and
// never panics. For requests compatibility a link whose target is not
// enclosed in <...> is accepted, its URL ending at the first ";" or ",".
// A target missing its ">" ends at the last comma before the next "<", or
// with the value.
func Parse(values ...string) []Link {
	var links []Link
	for _, v := range values {
		p := parser{s: v}
		for {
			p.skip(" \t,")
			if p.done() {
				break
			}
			if l, ok := p.link(); ok {
				links = append(links, l)
			}
		}
	}
	return links
}

// ByRel indexes links the way requests' Response.links does: by Rel as a
// whole (so "start index" is one key, not two), or by URL for a link
// without rel. As in requests' dict comprehension, a later link with the
// same key replaces an earlier one. Use Link.Rels to index by each
// relation type instead.
func ByRel(links []Link) map[string]Link {
	m := make(map[string]Link, len(links))
	for _, l := range links {
		key := l.Rel
		if key == "" {
			key = l.URL
		}
		m[key] = l
	}
	return m
}

// Rels splits Rel into its relation types, as written.
func (l Link) Rels() []string {
	return strings.FieldsFunc(l.Rel, isOWS)
}

// HasRel reports whether rel is one of the link's relation types.
// Registered types compare case-insensitively and extension types (URIs,
// recognised by a ":") exactly, as RFC 8288 section 2.1 specifies.
func (l Link) HasRel(rel string) bool {
	ext := strings.Contains(rel, ":")
	for _, r := range l.Rels() {
		if r == rel || !ext && strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// String formats the link as a Link header value that Parse reads back to
// an equal Link: rel first, then the other parameters sorted by name,
// values always quoted.
func (l Link) String() string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(l.URL)
	b.WriteByte('>')
	if _, ok := l.Params["rel"]; ok || l.Rel != "" {
		b.WriteString("; rel=")
		writeQuoted(&b, l.Rel)
	}
	keys := make([]string, 0, len(l.Params))
	for k := range l.Params {
		if k != "rel" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("; ")
		b.WriteString(k)
		if v := l.Params[k]; v != "" {
			b.WriteByte('=')
			writeQuoted(&b, v)
		}
	}
	return b.String()
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

func isOWS(r rune) bool { return r == ' ' || r == '\t' }

// isTchar reports whether c may appear in a token (RFC 9110 section 5.6.2).
func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) peek() byte { return p.s[p.i] }

// skip advances past any bytes in set.
func (p *parser) skip(set string) {
	for !p.done() && strings.IndexByte(set, p.peek()) >= 0 {
		p.i++
	}
}

// skipJunk advances to the next ";" or "," outside a quoted string.
func (p *parser) skipJunk() {
	for !p.done() {
		switch p.peek() {
		case ';', ',':
			return
		case '"':
			p.quoted()
		default:
			p.i++
		}
	}
}

// link parses one link-value; p is at its first byte.
func (p *parser) link() (Link, bool) {
	var l Link
	if p.peek() == '<' {
		p.i++
		rest := p.s[p.i:]
		end := strings.IndexAny(rest, "<>")
		if end < 0 || rest[end] == '<' {
			// Unterminated target ("<" cannot occur in a URI): it ends at
			// the last comma before the next link, or with the value.
			if end < 0 {
				end = len(rest)
			} else if comma := strings.LastIndexByte(rest[:end], ','); comma >= 0 {
				end = comma
			}
			l.URL = strings.Trim(rest[:end], " \t")
			p.i += end
			return l, true
		}
		l.URL = strings.Trim(rest[:end], " \t")
		p.i += end + 1
	} else {
		end := strings.IndexAny(p.s[p.i:], ";,")
		if end < 0 {
			end = len(p.s) - p.i
		}
		l.URL = strings.Trim(p.s[p.i:p.i+end], " \t'\"")
		p.i += end
		if l.URL == "" {
			// Nothing that looks like a link; drop it with its params.
			p.params(&l)
			return l, false
		}
	}
	p.params(&l)
	return l, true
}

// params parses *( OWS ";" OWS link-param ) up to the next top-level comma.
func (p *parser) params(l *Link) {
	for {
		p.skip(" \t")
		if p.done() || p.peek() == ',' {
			return
		}
		if p.peek() != ';' {
			p.skipJunk()
			continue
		}
		p.i++
		p.skip(" \t")
		start := p.i
		for !p.done() && isTchar(p.peek()) {
			p.i++
		}
		name := strings.ToLower(p.s[start:p.i])
		if name == "" {
			p.skipJunk()
			continue
		}
		p.skip(" \t")
		var value string
		if !p.done() && p.peek() == '=' {
			p.i++
			p.skip(" \t")
			if !p.done() && p.peek() == '"' {
				value = p.quoted()
			} else {
				start := p.i
				for !p.done() && strings.IndexByte(" \t;,", p.peek()) < 0 {
					p.i++
				}
				value = p.s[start:p.i]
			}
		}
		if name == "rel" {
			value = strings.Trim(value, " \t")
		}
		if _, dup := l.Params[name]; dup {
			continue
		}
		if l.Params == nil {
			l.Params = make(map[string]string)
		}
		l.Params[name] = value
		if name == "rel" {
			l.Rel = value
		}
	}
}

// quoted parses a quoted-string at p and returns its content with
// backslash escapes undone. An unterminated string runs to the end.
func (p *parser) quoted() string {
	p.i++ // opening quote
	var b strings.Builder
	for !p.done() {
		c := p.peek()
		p.i++
		switch {
		case c == '"':
			return b.String()
		case c == '\\':
			if !p.done() { // a lone trailing backslash is dropped
				b.WriteByte(p.peek())
				p.i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
