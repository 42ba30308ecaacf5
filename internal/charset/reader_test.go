package charset

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

func TestNewJSONReader(t *testing.T) {
	const doc = `{"name":"café 日本"}`
	tests := []struct {
		name            string
		in              []byte
		label, fallback string
		want            string
	}{
		{name: "UTF-8", in: []byte(doc), want: doc},
		{name: "UTF-8 BOM", in: append([]byte("\xef\xbb\xbf"), doc...), want: doc},
		{name: "UTF-16LE BOM", in: enc(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), doc), want: doc},
		{name: "UTF-16BE BOM", in: enc(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), doc), want: doc},
		{name: "UTF-16LE", in: enc(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), doc), want: doc},
		{name: "UTF-16BE", in: enc(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), doc), want: doc},
		{name: "UTF-32LE", in: enc(t, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), doc), want: doc},
		{name: "UTF-32BE BOM", in: enc(t, utf32.UTF32(utf32.BigEndian, utf32.UseBOM), doc), want: doc},
		{name: "declared Shift_JIS", in: enc(t, japanese.ShiftJIS, `{"a":"日本"}`), label: "shift_jis", want: `{"a":"日本"}`},
		{name: "declared Latin-1", in: []byte("{\"a\":\"caf\xe9\x85\"}"), label: "latin-1", want: "{\"a\":\"caf\u00e9\u0085\"}"},
		{name: "declared ASCII", in: []byte("{\"a\":\"caf\xe9\"}"), label: "ascii", want: "{\"a\":\"caf\ufffd\"}"},
		{name: "unknown label", in: []byte(doc), label: "no-such-charset", want: doc},
		{name: "invalid UTF-8 falls back", in: []byte("{\"a\":\"caf\xe9\"}"), fallback: "windows-1252", want: "{\"a\":\"caf\u00e9\"}"},
		{name: "cut sequence at the end", in: []byte("{\"a\":1}\xe6\x97"), fallback: "utf-8", want: "{\"a\":1}\ufffd"},
		{name: "short", in: []byte("1"), want: "1"},
		{name: "empty", in: nil, want: ""},
		{name: "windows-1252 latin1 default", in: charmapBytes(t, "{\"q\":\"“x”\"}"), fallback: "iso-8859-1", want: "{\"q\":\"\u0093x\u0094\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{
				func(r io.Reader) io.Reader { return r },
				iotest.OneByteReader,
				iotest.HalfReader,
			} {
				r, err := NewJSONReader(wrap(strings.NewReader(string(tt.in))), tt.label, tt.fallback)
				require.NoError(t, err)
				got, err := io.ReadAll(r)
				require.NoError(t, err)
				assert.Equal(t, tt.want, string(got))
			}
		})
	}
}

func charmapBytes(t *testing.T, s string) []byte { return enc(t, charmap.Windows1252, s) }

func TestNewJSONReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := NewJSONReader(iotest.ErrReader(boom), "", "")
	require.ErrorIs(t, err, boom)

	// An error after the text is passed on, also after a fallback.
	for _, in := range []string{`{"a":1}`, "{\"a\":\"\xe9\"}"} {
		r, err := NewJSONReader(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), "", "latin-1")
		require.NoError(t, err)
		_, err = io.ReadAll(r)
		require.ErrorIs(t, err, boom)
	}
}

func TestNewJSONReaderDoesNotHoldBackAShortValue(t *testing.T) {
	// "1\n" is all there is for now: the reader must hand it out without
	// waiting for more.
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("1\n"))
	r, err := NewJSONReader(pr, "", "")
	require.NoError(t, err)
	buf := make([]byte, 8)
	n, err := r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "1\n", string(buf[:n]))
}
