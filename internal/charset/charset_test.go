package charset

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// enc encodes s, failing the test on characters the encoding lacks.
func enc(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

const (
	japaneseText = "これは日本語のテキストです。文字コードの判定をテストします。ひらがなとカタカナと漢字が混ざっています。"
	koreanText   = "이것은 한국어 텍스트입니다. 문자 인코딩 감지를 테스트합니다. 잘 작동하기를 바랍니다."
	chineseText  = "这是一个中文文本。我们正在测试字符编码检测功能，希望它能够正确地工作。中国人民和世界各国人民。"
	taiwanText   = "這是一個中文文本。我們正在測試字元編碼偵測功能，希望它能夠正確地運作。臺灣的朋友們大家好。"
	russianText  = "Это русский текст. Мы проверяем определение кодировки символов, и надеемся, что всё работает правильно."
	frenchText   = "Le café était très bon, à côté de l'hôtel où nous étions allés déjeuner en été."
)

func TestFromContentType(t *testing.T) {
	tests := []struct {
		ct, want string
	}{
		{"", ""},
		{"text/html; charset=UTF-8", "utf-8"},
		{"text/html;charset=utf-8", "utf-8"},
		{`text/html; charset="Shift_JIS"`, "shift_jis"},
		{`text/html; charset='latin-1'`, "latin-1"},
		{"text/html; charset = iso-8859-15 ", "iso-8859-15"},
		{"text/html; CHARSET=KOI8-R", "koi8-r"},
		{`text/plain; format="a;b"; charset=utf-16`, "utf-16"},
		{`text/plain; charset="ut\f-8"`, "utf-8"},
		{"text/plain; charset=a; charset=b", "b"},
		{"text/plain; charset=", ""},
		{"text/html", "ISO-8859-1"},
		{"Text/HTML; q=1", "ISO-8859-1"},
		{"text/csv;", "ISO-8859-1"},
		{"application/json", "utf-8"},
		{"application/json; indent=2", "utf-8"},
		{"APPLICATION/JSON", "utf-8"},
		{"application/problem+json", "utf-8"},
		{"application/json; charset=utf-16", "utf-16"},
		{"application/xml", ""},
		{"application/octet-stream", ""},
		{"application/context+xml", ""},
		{"image/png", ""},
		{";charset=utf-8", "utf-8"},
		{"garbage", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			assert.Equal(t, tt.want, FromContentType(tt.ct))
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		label, want string
		ok          bool
	}{
		{"utf-8", "utf-8", true},
		{"UTF8", "utf-8", true},
		{"utf_8_sig", "utf-8", true},
		{"latin-1", "iso-8859-1", true},
		{"Latin_1", "iso-8859-1", true},
		{"ISO-8859-1", "iso-8859-1", true},
		{"l1", "iso-8859-1", true},
		{"us-ascii", "ascii", true},
		{"ascii", "ascii", true},
		{"cp1252", "windows-1252", true},
		{"windows-1252", "windows-1252", true},
		{"shift_jis", "shift_jis", true},
		{"Shift-JIS", "shift_jis", true},
		{"sjis", "shift_jis", true},
		{"euc_jp", "euc-jp", true},
		{"gb2312", "gbk", true},
		{"gb18030", "gb18030", true},
		{"big5", "big5", true},
		{"euc-kr", "euc-kr", true},
		{"koi8-r", "koi8-r", true},
		{"iso-8859-15", "iso-8859-15", true},
		{"utf-16", "utf-16", true},
		{"UTF-16LE", "utf-16le", true},
		{"utf_16_be", "utf-16be", true},
		{"utf-32", "utf-32", true},
		{"utf-32-le", "utf-32le", true},
		{"  'utf-8'  ", "utf-8", true},
		{"ibm437", "ibm437", true},
		{"iso-2022-kr", "", false}, // WHATWG's replacement encoding is useless here
		{"no-such-charset", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			name, ok := Lookup(tt.label)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, name)
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		label string
		want  string
	}{
		{"utf-8", []byte("héllo ☃"), "utf-8", "héllo ☃"},
		{"utf-8 bom stripped", []byte("\xef\xbb\xbfhi"), "utf-8", "hi"},
		{"utf-8 only bom", []byte("\xef\xbb\xbf"), "utf-8", ""},
		{"utf-8 invalid replaced", []byte("a\xffb\xc3"), "utf-8", "a\uFFFDb\uFFFD"},
		{"utf-8 surrogate replaced", []byte("\xed\xa0\x80x"), "utf-8", "\uFFFD\uFFFD\uFFFDx"},
		{"latin-1 is not windows-1252", []byte("caf\xe9 \x93q\x94"), "iso-8859-1", "café \u0093q\u0094"},
		{"latin1 alias", []byte("\xe9"), "latin1", "é"},
		{"windows-1252 quotes", []byte("caf\xe9 \x93q\x94"), "windows-1252", "café “q”"},
		{"ascii strict", []byte("a\xe9b"), "ascii", "a\uFFFDb"},
		{"ascii clean", []byte("plain"), "us-ascii", "plain"},
		{"empty", nil, "utf-8", ""},
		{"empty unknown", nil, "", ""},
		{"shift_jis", enc(t, japanese.ShiftJIS, japaneseText), "shift_jis", japaneseText},
		{"euc-jp", enc(t, japanese.EUCJP, japaneseText), "EUC-JP", japaneseText},
		{"euc-kr", enc(t, korean.EUCKR, koreanText), "euc-kr", koreanText},
		{"gb18030", enc(t, simplifiedchinese.GB18030, chineseText), "gb18030", chineseText},
		{"gbk", enc(t, simplifiedchinese.GBK, chineseText), "gb2312", chineseText},
		{"big5", enc(t, traditionalchinese.Big5, taiwanText), "big5", taiwanText},
		{"koi8-r", enc(t, charmap.KOI8R, russianText), "koi8-r", russianText},
		{"windows-1251", enc(t, charmap.Windows1251, russianText), "cp1251", russianText},
		{"utf-16 bom le", enc(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "hé"), "utf-16", "hé"},
		{"utf-16 bom be", enc(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "hé"), "utf-16", "hé"},
		{"utf-16 no bom is le", []byte("h\x00i\x00"), "utf-16", "hi"},
		{"utf-16le bom stripped", []byte("\xff\xfeh\x00"), "utf-16le", "h"},
		{"utf-16be", []byte("\x00h\x00i"), "utf-16be", "hi"},
		{"utf-16 odd length", []byte("h\x00i"), "utf-16le", "h\uFFFD"},
		{"utf-16 lone surrogate", []byte("\x00\xd8h\x00"), "utf-16le", "\uFFFDh"},
		{"utf-32", enc(t, utf32.UTF32(utf32.BigEndian, utf32.UseBOM), "h☃"), "utf-32", "h☃"},
		{"utf-32le bom stripped", []byte("\xff\xfe\x00\x00h\x00\x00\x00"), "utf-32le", "h"},
		{"utf-32be", []byte("\x00\x00\x00h"), "utf-32be", "h"},
		{"utf-32 out of range", []byte("\x00\x00\x11\x00"), "utf-32le", "\uFFFD"},
		{"unknown label sniffs utf-8", []byte("héllo"), "x-unknown", "héllo"},
		{"unknown label sniffs latin", []byte("caf\xe9 au lait"), "bogus", "café au lait"},
		{"empty label sniffs", enc(t, japanese.ShiftJIS, japaneseText), "", japaneseText},
		{"unknown label sniffs bom", []byte("\xff\xfeh\x00i\x00"), "nope", "hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decode(tt.in, tt.label)
			assert.Equal(t, tt.want, got)
			assert.True(t, utf8.ValidString(got))
		})
	}
}

func TestDecodeAllSingleBytesLatin1(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	got := []rune(Decode(all, "latin-1"))
	require.Len(t, got, 256)
	for i, r := range got {
		assert.Equal(t, rune(i), r)
	}
}

func TestSniff(t *testing.T) {
	longASCII := strings.Repeat("abcdefgh", 16<<10) // 128 KiB
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "ascii"},
		{"ascii", []byte("just ascii {}"), "ascii"},
		{"utf-8", []byte("naïve café ☃"), "utf-8"},
		{"utf-8 bom", []byte("\xef\xbb\xbfabc"), "utf-8"},
		{"utf-16le bom", []byte("\xff\xfea\x00"), "utf-16le"},
		{"utf-16be bom", []byte("\xfe\xff\x00a"), "utf-16be"},
		{"utf-32le bom", []byte("\xff\xfe\x00\x00a\x00\x00\x00"), "utf-32le"},
		{"utf-32be bom", []byte("\x00\x00\xfe\xff\x00\x00\x00a"), "utf-32be"},
		{"utf-16le no bom", enc(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "<html>héllo</html>"), "utf-16le"},
		{"utf-16be no bom", enc(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "<html>héllo</html>"), "utf-16be"},
		{"utf-32le no bom", enc(t, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "{\"a\": 1}"), "utf-32le"},
		{"utf-32be no bom", enc(t, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "{\"a\": 1}"), "utf-32be"},
		{"binary with nuls", []byte("\x00\x01\x02\x03\x04\x05\x06\x07"), "ascii"},
		{"utf-8 after long ascii", []byte(longASCII + "é"), "utf-8"},
		{"latin-1 after long ascii", []byte(longASCII + "caf\xe9 "), "iso-8859-1"},
		{"utf-8 split at window", append([]byte("é"), bytes.Repeat([]byte("☃"), sniffWindow/3+1)...), "utf-8"},
		{"meta charset", []byte(`<html><head><meta charset="shift_jis"><title>x</title></head><body>` + "\x82\xa0</body>"), "shift_jis"},
		{"meta http-equiv", []byte(`<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">` + "\xa4\xa2"), "euc-jp"},
		{"meta after body ignored", []byte("<body><meta charset=koi8-r>caf\xe9 "), "iso-8859-1"},
		{"xml declaration", []byte("<?xml version=\"1.0\" encoding='ISO-8859-15'?><a>\xa4</a>"), "iso-8859-15"},
		{"declared latin-1 with c1", []byte("<meta charset=iso-8859-1>\x93hi\x94"), "windows-1252"},
		{"declared latin-1", []byte("<meta charset=latin1>caf\xe9"), "iso-8859-1"},
		{"declared utf-16 ignored", []byte("<meta charset=utf-16>caf\xe9 "), "iso-8859-1"},
		{"declared unknown ignored", []byte("<meta charset=klingon>caf\xe9 "), "iso-8859-1"},
		{"declared utf-8 but valid utf-8 anyway", []byte("<meta charset=shift_jis>é"), "utf-8"},
		{"latin-1", []byte(strings.ToValidUTF8(frenchText, "")), "utf-8"},
		{"latin-1 bytes", enc(t, charmap.ISO8859_1, frenchText), "iso-8859-1"},
		{"windows-1252 bytes", enc(t, charmap.Windows1252, "“Smart quotes” — and "+frenchText), "windows-1252"},
		{"shift_jis", enc(t, japanese.ShiftJIS, japaneseText), "shift_jis"},
		{"euc-jp", enc(t, japanese.EUCJP, japaneseText), "euc-jp"},
		{"euc-kr", enc(t, korean.EUCKR, koreanText), "euc-kr"},
		{"gb18030", enc(t, simplifiedchinese.GB18030, chineseText), "gb18030"},
		{"big5", enc(t, traditionalchinese.Big5, taiwanText), "big5"},
		{"windows-1251", enc(t, charmap.Windows1251, russianText), "windows-1251"},
		{"koi8-r", enc(t, charmap.KOI8R, russianText), "koi8-r"},
		{"html shift_jis no declaration", enc(t, japanese.ShiftJIS, "<html><body><p>"+japaneseText+"</p></body></html>"), "shift_jis"},
		{"resume latin-1", []byte("r\xe9sum\xe9s"), "iso-8859-1"},
		{"single high byte", []byte("\xe9"), "iso-8859-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sniff(tt.in)
			assert.Equal(t, tt.want, got)
			_, ok := Lookup(got)
			assert.True(t, ok, "Decode understands %q", got)
		})
	}
}

func TestSniffThenDecode(t *testing.T) {
	for _, tc := range []struct {
		e    encoding.Encoding
		text string
	}{
		{japanese.ShiftJIS, japaneseText},
		{japanese.EUCJP, japaneseText},
		{korean.EUCKR, koreanText},
		{simplifiedchinese.GB18030, chineseText},
		{traditionalchinese.Big5, taiwanText},
		{charmap.Windows1251, russianText},
		{charmap.KOI8R, russianText},
		{charmap.Windows1252, frenchText},
	} {
		assert.Equal(t, tc.text, Decode(enc(t, tc.e, tc.text), ""))
	}
}

func TestSniffBoundedWork(t *testing.T) {
	// A large non-UTF-8 body: only the window is examined by the heuristic.
	big := bytes.Repeat(enc(t, charmap.Windows1252, frenchText+" "), 100000) // ~8 MiB
	assert.Equal(t, "iso-8859-1", Sniff(big))
}

func TestJSONEncoding(t *testing.T) {
	// As requests' test_guess_json_utf: '{}' in each form.
	forms := []struct {
		e    encoding.Encoding
		want string
	}{
		{unicode.UTF8, "utf-8"},
		{unicode.UTF8BOM, "utf-8-sig"},
		{unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "utf-16"},
		{unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "utf-16"},
		{unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16-le"},
		{unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16-be"},
		{utf32.UTF32(utf32.LittleEndian, utf32.UseBOM), "utf-32"},
		{utf32.UTF32(utf32.BigEndian, utf32.UseBOM), "utf-32"},
		{utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32-le"},
		{utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32-be"},
	}
	for _, f := range forms {
		t.Run(f.want, func(t *testing.T) {
			assert.Equal(t, f.want, JSONEncoding(enc(t, f.e, "{}")))
			assert.Equal(t, f.want, JSONEncoding(enc(t, f.e, `{"k": "é"}`)))
		})
	}
	raw := []struct {
		in   []byte
		want string
	}{
		{nil, "utf-8"},
		{[]byte("1"), "utf-8"},
		{[]byte("\x00"), ""},
		{[]byte("\x00{\x00"), "utf-16-be"},    // Python's sample[::2] needs three bytes
		{[]byte("{\x00}"), ""},                // and sample[1::2] four
		{[]byte("\x00\x00\x00"), "utf-32-be"}, // sample[:3] is enough
		{[]byte("\x00a\x00\x00"), ""},
		{[]byte("a\x00\x00b"), ""},
		{[]byte("\x00\x00\x00\x00"), ""},
	}
	for _, r := range raw {
		assert.Equal(t, r.want, JSONEncoding(r.in), "% x", r.in)
	}
}

func TestToUTF8JSON(t *testing.T) {
	const doc = `{"name": "Zoë ☃ 𝄞", "n": [1, 2]}`
	forms := []encoding.Encoding{
		unicode.UTF8,
		unicode.UTF8BOM,
		unicode.UTF16(unicode.LittleEndian, unicode.UseBOM),
		unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
		unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
		unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
		utf32.UTF32(utf32.LittleEndian, utf32.UseBOM),
		utf32.UTF32(utf32.BigEndian, utf32.UseBOM),
		utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM),
		utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
	}
	for _, f := range forms {
		in := enc(t, f, doc)
		got, err := ToUTF8JSON(in)
		require.NoError(t, err, "%v", f)
		assert.Equal(t, doc, string(got), "%v", f)
	}

	bad := []struct {
		name string
		in   []byte
	}{
		{"invalid utf-8", []byte("{\"a\": \"\xff\"}")},
		{"invalid utf-8 after bom", []byte("\xef\xbb\xbf{\xff}")},
		{"odd utf-16", []byte("{\x00}\x00 ")},
		{"lone high surrogate", []byte("{\x00\x00\xd8}\x00")},
		{"lone low surrogate", []byte("{\x00\x00\xdc}\x00")},
		{"truncated surrogate pair", []byte("{\x00\x00\x00\x34\xd8")},
		{"utf-32 too large", []byte("{\x00\x00\x00\x00\x00\x11\x00")},
		{"utf-32 surrogate", []byte("{\x00\x00\x00\x00\xd8\x00\x00")},
		{"utf-32 short", []byte("{\x00\x00\x00}\x00")},
		{"undetected", []byte("\x00a\x00\x00")},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			got, err := ToUTF8JSON(b.in)
			require.ErrorIs(t, err, ErrJSONEncoding)
			assert.Nil(t, got)
		})
	}
}

func TestToUTF8JSONHotPathDoesNotAllocate(t *testing.T) {
	in := []byte(`{"plain": "utf-8", "list": [1, 2, 3], "text": "héllo"}`)
	withBOM := append([]byte("\xef\xbb\xbf"), in...)
	allocs := testing.AllocsPerRun(100, func() {
		out, err := ToUTF8JSON(in)
		if err != nil || &out[0] != &in[0] {
			t.Fatal("not returned as is")
		}
		out, err = ToUTF8JSON(withBOM)
		if err != nil || &out[0] != &withBOM[3] {
			t.Fatal("not re-sliced")
		}
	})
	assert.Zero(t, allocs)
}
