package charset

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func addTextSeeds(f *testing.F) {
	for _, s := range []string{
		"", "ascii", "caf\xe9", "\xef\xbb\xbfbom", "\xff\xfeh\x00", "\x00\x00\xfe\xff",
		"h\x00i\x00", "\x82\xa0\x82\xa2", "\xa4\xa2\xa4\xa4", "\xc4\xe3\xba\xc3",
		"<meta charset=\"shift_jis\">\x82\xa0", "<?xml version='1.0' encoding='koi8-r'?>\xd0",
		"\xed\xa0\x80", "\x93q\x94",
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "utf-8")
		f.Add([]byte(s), "latin-1")
		f.Add([]byte(s), "shift_jis")
		f.Add([]byte(s), "utf-32")
	}
	f.Add([]byte("x"), "gb18030")
	f.Add([]byte("\x81\x30\x81"), "gb18030")
	f.Add([]byte("x"), "iso-2022-jp")
	f.Add([]byte("\x1b$B"), "iso-2022-jp")
	f.Add([]byte("x"), "x-user-defined")
	f.Add([]byte("x"), "utf-16be")
	f.Add([]byte("x"), "ascii")
	f.Add([]byte("x"), "ibm437")
}

// FuzzDecode: any bytes with any label decode to valid UTF-8, without panic.
func FuzzDecode(f *testing.F) {
	addTextSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte, label string) {
		s := Decode(b, label)
		require.True(t, utf8.ValidString(s), "%q with %q gave %q", b, label, s)
		if utf8.Valid(b) {
			if _, ok := Lookup(label); !ok && Sniff(b) == "utf-8" {
				// Falling back to UTF-8 on valid input keeps it (minus a BOM).
				assert.Contains(t, string(b), s)
			}
		}
	})
}

// FuzzSniff: any bytes give a name Decode knows, without panic.
func FuzzSniff(f *testing.F) {
	addTextSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte, _ string) {
		name := Sniff(b)
		_, ok := Lookup(name)
		require.True(t, ok, "%q", name)
		require.True(t, utf8.ValidString(Decode(b, name)))
	})
}

// FuzzJSON: detection never panics; a successful conversion is valid UTF-8
// and leaves UTF-8 input untouched.
func FuzzJSON(f *testing.F) {
	addTextSeeds(f)
	f.Add([]byte("{\x00}\x00"), "")
	f.Add([]byte("\x00\x00\x00{"), "")
	f.Fuzz(func(t *testing.T, b []byte, _ string) {
		enc := JSONEncoding(b)
		out, err := ToUTF8JSON(b)
		if err != nil {
			require.ErrorIs(t, err, ErrJSONEncoding)
			require.Nil(t, out)
			return
		}
		require.True(t, utf8.Valid(out))
		if enc == "utf-8" {
			require.Equal(t, b, out)
		}
	})
}

// FuzzFromContentType: never panics; a charset result is lowercase.
func FuzzFromContentType(f *testing.F) {
	for _, s := range []string{"", "text/html; charset=UTF-8", `a/b; charset="x\"y"; q`, "text/plain", "application/json", `;;"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		got := FromContentType(ct)
		if got != "ISO-8859-1" {
			require.Equal(t, strings.ToLower(got), got)
		}
	})
}
