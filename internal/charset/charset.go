// Package charset turns response bytes into text the way Python's requests
// does: the charset comes from Content-Type (with requests' defaults), is
// guessed from the content when missing or unknown, and decoding never
// fails, replacing what it cannot decode with U+FFFD.
//
// It knows nothing about HTTP messages; callers pass header values and
// bytes.
package charset

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// FromContentType returns the charset of a Content-Type header value,
// lowercased with surrounding quotes and spaces removed, following
// requests' get_encoding_from_headers:
//   - an explicit charset parameter wins, even if empty (the last one if
//     repeated, as requests keeps the last);
//   - otherwise "ISO-8859-1" for any text/* type (RFC 2616's old default,
//     which requests keeps);
//   - otherwise "utf-8" for application/json and any +json type, which are
//     UTF-8 by definition (requests checks application/json only);
//   - otherwise "", meaning the caller should guess from the content.
//
// Unlike requests, which tests for the substring "text", only the text
// top-level type counts, so application/context+xml is not text.
func FromContentType(ct string) string {
	mediaType, rest, _ := strings.Cut(ct, ";")
	if cs, ok := charsetParam(rest); ok {
		return cs
	}
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	switch {
	case strings.HasPrefix(mediaType, "text/"):
		return "ISO-8859-1"
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return "utf-8"
	}
	return ""
}

// charsetParam finds the last charset parameter in a ";"-separated
// parameter list, tolerating quoted strings that contain ";".
func charsetParam(params string) (string, bool) {
	var (
		value string
		found bool
	)
	for params != "" {
		var param string
		param, params = cutParam(params)
		key, val, hasEq := strings.Cut(param, "=")
		if !hasEq || !strings.EqualFold(strings.Trim(key, " \t\"'"), "charset") {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = unquote(val[1 : len(val)-1])
		}
		value, found = strings.ToLower(strings.Trim(val, " \t\"'")), true
	}
	return value, found
}

// cutParam splits off the first parameter up to an unquoted ";".
func cutParam(s string) (param, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// unquote removes quoted-pair backslashes.
func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// kind selects a hand-written decoder for the encodings where this package
// deliberately differs from the WHATWG tables, or that are hot.
type kind int

const (
	kindText   kind = iota // an x/text encoding
	kindUTF8               // UTF-8, BOM stripped
	kindASCII              // strict ASCII: bytes >= 0x80 become U+FFFD
	kindLatin1             // true ISO-8859-1: byte b is U+00b
)

// codec is a resolved label.
type codec struct {
	name string
	kind kind
	enc  encoding.Encoding // for kindText
	bom  []byte            // a leading BOM to drop before decoding
}

var (
	bomUTF8    = []byte{0xef, 0xbb, 0xbf}
	bomUTF16LE = []byte{0xff, 0xfe}
	bomUTF16BE = []byte{0xfe, 0xff}
	bomUTF32LE = []byte{0xff, 0xfe, 0, 0}
	bomUTF32BE = []byte{0, 0, 0xfe, 0xff}
)

// special holds labels resolved as Python does rather than as WHATWG does,
// plus the Unicode forms WHATWG lacks. Keys are normalised labels.
var special = map[string]codec{}

func init() {
	add := func(c codec, labels ...string) {
		for _, l := range labels {
			special[l] = c
		}
	}
	utf8c := codec{name: "utf-8", kind: kindUTF8}
	add(utf8c, "utf-8", "utf8", "u8", "utf", "utf-8-sig", "utf8-sig", "cp65001", "unicode-1-1-utf-8")
	add(codec{name: "ascii", kind: kindASCII},
		"ascii", "us-ascii", "us", "646", "ansi-x3.4-1968", "ansi-x3.4-1986",
		"iso646-us", "iso-646.irv:1991", "iso-ir-6", "cp367", "ibm367", "csascii")
	add(codec{name: "iso-8859-1", kind: kindLatin1},
		"iso-8859-1", "iso8859-1", "iso-8859-1:1987", "iso-ir-100", "latin-1",
		"latin1", "l1", "cp819", "ibm819", "csisolatin1", "8859")
	add(codec{name: "utf-16", enc: unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)}, "utf-16", "utf16")
	add(codec{name: "utf-16le", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), bom: bomUTF16LE},
		"utf-16le", "utf-16-le", "utf16le", "unicodelittleunmarked")
	add(codec{name: "utf-16be", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), bom: bomUTF16BE},
		"utf-16be", "utf-16-be", "utf16be", "unicodebigunmarked")
	add(codec{name: "utf-32", enc: utf32.UTF32(utf32.LittleEndian, utf32.UseBOM)}, "utf-32", "utf32")
	add(codec{name: "utf-32le", enc: utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), bom: bomUTF32LE},
		"utf-32le", "utf-32-le", "utf32le")
	add(codec{name: "utf-32be", enc: utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), bom: bomUTF32BE},
		"utf-32be", "utf-32-be", "utf32be")
}

// normalize lowercases a label, trims it and spells "_" and " " as "-", so
// that Python codec names ("latin_1", "shift_jis") and WHATWG labels meet.
func normalize(label string) string {
	label = strings.ToLower(strings.Trim(label, " \t\r\n\f\"'"))
	return dashes.Replace(label)
}

var dashes = strings.NewReplacer("_", "-", " ", "-")

// lookup resolves a label: Python-compatible special cases first, then the
// WHATWG labels browsers use, then IANA names.
func lookup(label string) (codec, bool) {
	n := normalize(label)
	if n == "" {
		return codec{}, false
	}
	if c, ok := special[n]; ok {
		return c, true
	}
	// WHATWG spells some labels with "_" (shift_jis), so try the raw
	// lowercase form too.
	for _, l := range []string{n, strings.ToLower(strings.TrimSpace(label))} {
		if enc, err := htmlindex.Get(l); err == nil && enc != encoding.Replacement {
			name, _ := htmlindex.Name(enc)
			return textCodec(name, enc), true
		}
	}
	for _, l := range []string{strings.TrimSpace(label), n} {
		if enc, err := ianaindex.IANA.Encoding(l); err == nil && enc != nil && enc != encoding.Replacement {
			name, err := ianaindex.IANA.Name(enc)
			if err != nil {
				name = n
			}
			return textCodec(strings.ToLower(name), enc), true
		}
	}
	return codec{}, false
}

func textCodec(name string, enc encoding.Encoding) codec {
	switch name {
	case "utf-8":
		return codec{name: name, kind: kindUTF8}
	case "iso-8859-1":
		return codec{name: name, kind: kindLatin1}
	}
	if enc == charmap.ISO8859_1 {
		return codec{name: "iso-8859-1", kind: kindLatin1}
	}
	return codec{name: name, kind: kindText, enc: enc}
}

// Lookup reports whether label names an encoding Decode knows, and its
// canonical lowercase name (e.g. "latin_1" gives "iso-8859-1", "sjis"
// gives "shift_jis"). Unknown labels give ("", false).
func Lookup(label string) (name string, ok bool) {
	c, ok := lookup(label)
	return c.name, ok
}

// Decode converts b to a string using the encoding named by label, as
// requests' Response.text does. It never fails: bytes the encoding cannot
// decode become U+FFFD, and the result is always valid UTF-8.
//
// If label is empty or unknown, the encoding guessed by Sniff is used,
// and failing that UTF-8. A leading byte order mark of the chosen encoding
// is removed.
//
// Labels resolve as in Python rather than as in browsers where the two
// differ: "iso-8859-1"/"latin-1" is true Latin-1 (bytes 0x80-0x9F become
// C1 controls, not windows-1252 punctuation), and "ascii"/"us-ascii" is
// strict 7-bit ASCII. Other labels follow the WHATWG Encoding Standard,
// then IANA names; UTF-32 is supported too.
func Decode(b []byte, label string) string {
	c, ok := lookup(label)
	if !ok {
		if c, ok = lookup(Sniff(b)); !ok {
			c = codec{name: "utf-8", kind: kindUTF8}
		}
	}
	return c.decode(b)
}

func (c codec) decode(b []byte) string {
	switch c.kind {
	case kindUTF8:
		b = trimPrefix(b, bomUTF8)
		if utf8.Valid(b) {
			return string(b)
		}
		return decodeText(unicode.UTF8, b)
	case kindASCII:
		return decodeASCII(b)
	case kindLatin1:
		return decodeLatin1(b)
	}
	return decodeText(c.enc, trimPrefix(b, c.bom))
}

func trimPrefix(b, prefix []byte) []byte {
	if len(prefix) > 0 && len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix) {
		return b[len(prefix):]
	}
	return b
}

// decodeText runs an x/text decoder, which replaces invalid input with
// U+FFFD, and guarantees valid UTF-8 whatever it returns.
func decodeText(enc encoding.Encoding, b []byte) string {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	if !utf8.Valid(out) {
		return strings.ToValidUTF8(string(out), "\uFFFD")
	}
	return string(out)
}

func decodeASCII(b []byte) string {
	high := countHigh(b)
	if high == 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b)+2*high)
	for _, c := range b {
		if c < utf8.RuneSelf {
			out = append(out, c)
		} else {
			out = append(out, "\uFFFD"...)
		}
	}
	return string(out)
}

func decodeLatin1(b []byte) string {
	high := countHigh(b)
	if high == 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b)+high)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

func countHigh(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= utf8.RuneSelf {
			n++
		}
	}
	return n
}
