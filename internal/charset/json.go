package charset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrJSONEncoding is returned by ToUTF8JSON when the bytes are not valid in
// the Unicode form JSONEncoding detects, or no form is detected. requests
// then falls back to decoding the body as text, and so should the caller.
var ErrJSONEncoding = errors.New("charset: JSON body is not valid UTF-8, UTF-16 or UTF-32")

// JSONEncoding guesses the Unicode form of a JSON text from its first four
// bytes exactly as requests' guess_json_utf does, returning Python codec
// names:
//   - by byte order mark: "utf-32" (either order), "utf-8-sig", "utf-16";
//   - otherwise by where the NUL bytes are, since JSON starts with two
//     ASCII characters: none gives "utf-8", two give "utf-16-be" or
//     "utf-16-le", three give "utf-32-be" or "utf-32-le";
//   - any other pattern gives "" (requests' None).
func JSONEncoding(b []byte) string {
	sample := b[:min(len(b), 4)]
	switch {
	case bytes.Equal(sample, bomUTF32LE), bytes.Equal(sample, bomUTF32BE):
		return "utf-32"
	case bytes.HasPrefix(sample, bomUTF8):
		return "utf-8-sig"
	case bytes.HasPrefix(sample, bomUTF16LE), bytes.HasPrefix(sample, bomUTF16BE):
		return "utf-16"
	}
	var nulls int
	var at [4]bool
	for i, c := range sample {
		if c == 0 {
			nulls++
			at[i] = true
		}
	}
	switch nulls {
	case 0:
		return "utf-8"
	case 2:
		if at[0] && at[2] {
			return "utf-16-be"
		}
		if at[1] && at[3] {
			return "utf-16-le"
		}
	case 3:
		if at[0] && at[1] && at[2] {
			return "utf-32-be"
		}
		if at[1] && at[2] && at[3] {
			return "utf-32-le"
		}
	}
	return ""
}

// ToUTF8JSON returns the JSON text b as UTF-8 without a byte order mark,
// converting from the form JSONEncoding detects. Valid UTF-8 is returned
// as is, or re-sliced past its BOM: no copy, no allocation. The conversion
// is strict, as Python's decode is: invalid or truncated sequences, and an
// undetectable form, give ErrJSONEncoding and a nil slice.
func ToUTF8JSON(b []byte) ([]byte, error) {
	var wide func(b []byte) ([]byte, bool)
	switch JSONEncoding(b) {
	case "utf-8":
		if utf8.Valid(b) {
			return b, nil
		}
		return nil, ErrJSONEncoding
	case "utf-8-sig":
		if b = b[len(bomUTF8):]; utf8.Valid(b) {
			return b, nil
		}
		return nil, ErrJSONEncoding
	case "utf-16":
		big := b[0] == 0xfe
		wide = func(b []byte) ([]byte, bool) { return fromUTF16(b[2:], big) }
	case "utf-16-le":
		wide = func(b []byte) ([]byte, bool) { return fromUTF16(b, false) }
	case "utf-16-be":
		wide = func(b []byte) ([]byte, bool) { return fromUTF16(b, true) }
	case "utf-32":
		big := b[0] == 0
		wide = func(b []byte) ([]byte, bool) { return fromUTF32(b[4:], big) }
	case "utf-32-le":
		wide = func(b []byte) ([]byte, bool) { return fromUTF32(b, false) }
	case "utf-32-be":
		wide = func(b []byte) ([]byte, bool) { return fromUTF32(b, true) }
	default:
		return nil, ErrJSONEncoding
	}
	out, ok := wide(b)
	if !ok {
		return nil, ErrJSONEncoding
	}
	return out, nil
}

func fromUTF16(b []byte, big bool) ([]byte, bool) {
	if len(b)%2 != 0 {
		return nil, false
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if big {
		order = binary.BigEndian
	}
	out := make([]byte, 0, len(b)/2*3/2+1)
	for i := 0; i < len(b); i += 2 {
		r := rune(order.Uint16(b[i:]))
		switch {
		case utf16.IsSurrogate(r):
			if r >= 0xdc00 || i+4 > len(b) {
				return nil, false
			}
			r = utf16.DecodeRune(r, rune(order.Uint16(b[i+2:])))
			if r == utf8.RuneError {
				return nil, false
			}
			i += 2
		}
		out = utf8.AppendRune(out, r)
	}
	return out, true
}

func fromUTF32(b []byte, big bool) ([]byte, bool) {
	if len(b)%4 != 0 {
		return nil, false
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if big {
		order = binary.BigEndian
	}
	out := make([]byte, 0, len(b)/4+1)
	for i := 0; i < len(b); i += 4 {
		v := order.Uint32(b[i:])
		if v > utf8.MaxRune || v >= 0xd800 && v <= 0xdfff {
			return nil, false
		}
		out = utf8.AppendRune(out, rune(v))
	}
	return out, true
}
