package charset

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

const (
	// sniffWindow bounds the bytes the heuristics examine.
	sniffWindow = 64 << 10
	// declWindow bounds where a <meta> or <?xml?> declaration is looked
	// for; browsers look only at the first 1024 bytes.
	declWindow = 8 << 10
	// wideWindow bounds the NUL-pattern test for BOM-less UTF-16/32.
	wideWindow = 512
)

// Sniff guesses the encoding of b, in the spirit of requests'
// apparent_encoding, and returns a name Decode understands. In order:
//
//  1. a byte order mark: "utf-8", "utf-16le", "utf-16be", "utf-32le" or
//     "utf-32be";
//  2. the NUL-byte pattern of BOM-less UTF-16/32 text that is mostly
//     ASCII or Latin (the first 512 bytes);
//  3. "ascii" if every byte is below 0x80;
//  4. "utf-8" if the 64 KiB from the first non-ASCII byte are valid UTF-8;
//  5. a charset declared by <meta charset>, <meta http-equiv> or
//     <?xml encoding?> in the first 8 KiB;
//  6. a heuristic over the same 64 KiB: Japanese (Shift_JIS, EUC-JP),
//     Korean (EUC-KR), Chinese (GB18030, Big5) when the bytes decode
//     cleanly and the characters look like that script; Cyrillic
//     (windows-1251, KOI8-R) when most letters are high bytes; otherwise
//     "windows-1252" if bytes 0x80-0x9F occur, else "iso-8859-1".
//
// Step 3 scans all of b, a cheap pass; everything else looks at bounded
// windows, so Sniff is fast on large bodies. The heuristic uses no
// frequency tables: it cannot tell apart single-byte encodings of one
// shape (Greek or Hebrew text is reported as Cyrillic; Latin-2 as
// windows-1252) and can confuse GB18030 with Big5 on short samples. An
// empty input is "ascii". Sniff never fails.
func Sniff(b []byte) string {
	if name := bomEncoding(b); name != "" {
		return name
	}
	if name := wideEncoding(b); name != "" {
		return name
	}
	i := firstNonASCII(b)
	if i < 0 {
		return "ascii"
	}
	end := min(len(b), i+sniffWindow)
	cut := end < len(b)
	w := b[i:end]
	if validUTF8Window(w, cut) {
		return "utf-8"
	}
	if name := declared(b[:min(len(b), declWindow)], w); name != "" {
		return name
	}
	return guessLegacy(w, cut)
}

func bomEncoding(b []byte) string {
	switch {
	case bytes.HasPrefix(b, bomUTF32LE):
		return "utf-32le"
	case bytes.HasPrefix(b, bomUTF32BE):
		return "utf-32be"
	case bytes.HasPrefix(b, bomUTF8):
		return "utf-8"
	case bytes.HasPrefix(b, bomUTF16LE):
		return "utf-16le"
	case bytes.HasPrefix(b, bomUTF16BE):
		return "utf-16be"
	}
	return ""
}

// wideEncoding recognises BOM-less UTF-16/32 by where the zero bytes fall:
// text in the Latin range has a zero high byte in every code unit.
func wideEncoding(b []byte) string {
	s := b[:min(len(b), wideWindow)]
	s = s[:len(s)&^3]
	if len(s) < 4 || bytes.IndexByte(s, 0) < 0 {
		return ""
	}
	var z [4]int
	for i, c := range s {
		if c == 0 {
			z[i&3]++
		}
	}
	q := len(s) / 4 // code units per position class
	switch {
	case z[3] == q && z[2]*10 >= q*9 && z[0]*4 <= q:
		return "utf-32le"
	case z[0] == q && z[1]*10 >= q*9 && z[3]*4 <= q:
		return "utf-32be"
	}
	even, odd := z[0]+z[2], z[1]+z[3]
	half := 2 * q
	switch {
	case odd*10 >= half*4 && even*20 <= half:
		return "utf-16le"
	case even*10 >= half*4 && odd*20 <= half:
		return "utf-16be"
	}
	return ""
}

// firstNonASCII returns the index of the first byte >= 0x80, or -1.
func firstNonASCII(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// validUTF8Window reports whether w is valid UTF-8, forgiving a rune split
// by the end of the window when cut is set.
func validUTF8Window(w []byte, cut bool) bool {
	if cut {
		for k := 1; k < utf8.UTFMax && k <= len(w); k++ {
			if tail := w[len(w)-k:]; utf8.RuneStart(tail[0]) {
				if !utf8.FullRune(tail) {
					w = w[:len(w)-k]
				}
				break
			}
		}
	}
	return utf8.Valid(w)
}

// declared returns the charset a document declares for itself, if Decode
// knows it and it can describe ASCII-compatible bytes. w is the sniff
// window, used to upgrade a declared Latin-1 to windows-1252 as browsers do
// when the C1 range is used.
func declared(head, w []byte) string {
	label := xmlEncoding(head)
	if label == "" {
		label = metaCharset(head)
	}
	if label == "" {
		return ""
	}
	c, ok := lookup(label)
	if !ok {
		return ""
	}
	switch {
	case strings.HasPrefix(c.name, "utf-16"), strings.HasPrefix(c.name, "utf-32"), c.kind == kindASCII:
		// Impossible for these bytes; let the heuristic decide.
		return ""
	case c.kind == kindLatin1 && hasC1(w):
		return "windows-1252"
	}
	return c.name
}

// xmlEncoding extracts encoding="..." from a leading XML declaration.
func xmlEncoding(head []byte) string {
	s := bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(s, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(s, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := string(s[:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	val, _, ok := strings.Cut(rest[1:], rest[:1])
	if !ok {
		return ""
	}
	return val
}

// metaCharset finds the charset of the first <meta charset> or
// <meta http-equiv="content-type" content="...; charset=..."> before <body>.
func metaCharset(head []byte) string {
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return ""
			case "meta":
			default:
				continue
			}
			var charset, content string
			var httpEquiv bool
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				switch string(key) {
				case "charset":
					charset = string(val)
				case "content":
					content = string(val)
				case "http-equiv":
					httpEquiv = strings.EqualFold(strings.TrimSpace(string(val)), "content-type")
				}
			}
			if cs := strings.TrimSpace(charset); cs != "" {
				return cs
			}
			if httpEquiv {
				_, params, _ := strings.Cut(content, ";")
				if cs, ok := charsetParam(params); ok && cs != "" {
					return cs
				}
			}
		}
	}
}

func hasC1(w []byte) bool {
	for _, c := range w {
		if c >= 0x80 && c <= 0x9f {
			return true
		}
	}
	return false
}

// candidate is a multi-byte encoding the heuristic may pick.
type candidate struct {
	name     string
	enc      encoding.Encoding
	fits     func(rune) bool // characters expected in text of that script
	marks    func(rune) bool // characters that identify the script
	minMarks float64         // share of non-ASCII characters that must mark it
}

func isKana(r rune) bool   { return r >= 0x3040 && r <= 0x30ff }
func isHan(r rune) bool    { return r >= 0x4e00 && r <= 0x9fff || r >= 0x3400 && r <= 0x4dbf }
func isHangul(r rune) bool { return r >= 0xac00 && r <= 0xd7a3 }

// isCJKCommon covers punctuation and symbols shared by CJK text: CJK
// punctuation, full-width ASCII (not half-width katakana, the telltale of
// EUC bytes read as Shift_JIS), general punctuation, arrows, shapes.
func isCJKCommon(r rune) bool {
	return r >= 0x3000 && r <= 0x303f || r >= 0xff01 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6 ||
		r >= 0x2010 && r <= 0x206f || r >= 0x2190 && r <= 0x21ff || r >= 0x2460 && r <= 0x27bf ||
		r >= 0x0391 && r <= 0x03c9 || r >= 0x0410 && r <= 0x044f || r == 0x00b7 || r == 0x00d7 || r == 0x00f7
}

var (
	japaneseCandidates = []candidate{
		{"shift_jis", japanese.ShiftJIS, func(r rune) bool { return isKana(r) || isHan(r) || isCJKCommon(r) }, isKana, 0.1},
		{"euc-jp", japanese.EUCJP, func(r rune) bool { return isKana(r) || isHan(r) || isCJKCommon(r) }, isKana, 0.1},
	}
	koreanCandidate = candidate{"euc-kr", korean.EUCKR,
		func(r rune) bool { return isHangul(r) || isHan(r) || isCJKCommon(r) || r >= 0x3130 && r <= 0x318f },
		isHangul, 0.7}
	gbCandidate   = candidate{"gb18030", simplifiedchinese.GB18030, func(r rune) bool { return isHan(r) || isCJKCommon(r) }, isHan, 0.5}
	big5Candidate = candidate{"big5", traditionalchinese.Big5, func(r rune) bool { return isHan(r) || isCJKCommon(r) }, isHan, 0.5}
)

// score decodes w and reports whether it is a clean, plausible text in the
// candidate's script, with the share of characters marking that script.
func (c candidate) score(w []byte, cut bool) (bool, float64) {
	out, err := c.enc.NewDecoder().Bytes(w)
	if err != nil {
		return false, 0
	}
	var nonASCII, bad, fit, marked int
	for _, r := range string(out) {
		if r < utf8.RuneSelf {
			continue
		}
		nonASCII++
		switch {
		case r == utf8.RuneError:
			bad++
		case c.marks(r):
			marked++
			fit++
		case c.fits(r):
			fit++
		}
	}
	allowed := 0
	if cut {
		allowed = 1 // a character split by the window's end
	}
	if nonASCII < 2 || bad > allowed {
		return false, 0
	}
	n := float64(nonASCII - bad)
	share := float64(marked) / n
	return float64(fit)/n >= 0.9 && share >= c.minMarks, share
}

// guessLegacy picks a legacy encoding for w, which starts at the first
// non-ASCII byte and is not valid UTF-8.
func guessLegacy(w []byte, cut bool) string {
	best, bestShare := "", 0.0
	for _, c := range japaneseCandidates {
		if ok, share := c.score(w, cut); ok && share > bestShare {
			best, bestShare = c.name, share
		}
	}
	if best != "" {
		return best
	}
	if ok, _ := koreanCandidate.score(w, cut); ok {
		return koreanCandidate.name
	}
	// Simplified Chinese keeps both bytes of a character at 0xA1 or above;
	// Big5 puts about a third of its second bytes in the ASCII range;
	// Latin text misread as either has almost only ASCII second bytes.
	low := lowTrailShare(w)
	if ok, _ := gbCandidate.score(w, cut); ok && low <= 0.1 {
		return gbCandidate.name
	}
	if ok, _ := big5Candidate.score(w, cut); ok && low <= 0.7 {
		return big5Candidate.name
	}
	return guessSingleByte(w)
}

// lowTrailShare pairs each high byte with the byte after it, as double-byte
// encodings do, and returns the share of pairs whose second byte is below
// 0xA1.
func lowTrailShare(w []byte) float64 {
	var pairs, low int
	for i := 0; i+1 < len(w); i++ {
		if w[i] < 0x81 {
			continue
		}
		pairs++
		if w[i+1] < 0xa1 {
			low++
		}
		i++
	}
	if pairs == 0 {
		return 1
	}
	return float64(low) / float64(pairs)
}

// guessSingleByte tells Cyrillic-shaped text (most letters are high bytes,
// in runs) from Western text (occasional accented letters). A handful of
// high bytes is too little evidence for Cyrillic.
func guessSingleByte(w []byte) string {
	var high, inRun, letters, c1, top, mid int
	for i, c := range w {
		switch {
		case c >= 0x80:
			high++
			if i > 0 && w[i-1] >= 0x80 || i+1 < len(w) && w[i+1] >= 0x80 {
				inRun++
			}
			switch {
			case c <= 0x9f:
				c1++
			case c >= 0xe0:
				top++
			case c >= 0xc0:
				mid++
			}
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			letters++
		}
	}
	if high >= 8 && high*10 >= (high+letters)*4 && inRun*2 >= high && top+mid >= high/2 {
		// Lowercase dominates running text: 0xE0-0xFF in windows-1251,
		// 0xC0-0xDF in KOI8-R.
		if top >= mid {
			return "windows-1251"
		}
		return "koi8-r"
	}
	if c1 > 0 {
		return "windows-1252"
	}
	return "iso-8859-1"
}
