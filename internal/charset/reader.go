package charset

import (
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// NewJSONReader returns the JSON text read from r as UTF-8, converted as it
// streams, by the rules ToUTF8JSON and Decode apply to a whole body:
//   - label "" means the form is found from the first bytes, as
//     JSONEncoding finds it: UTF-8 (a BOM dropped) is passed through
//     untouched; UTF-16 and UTF-32 are converted; an undetectable form is
//     read as UTF-8;
//   - any other label names the charset to decode from, as Decode does.
//
// Bytes that do not decode become U+FFFD, as with Decode. Only as many
// bytes are read ahead as deciding the form needs (at most four).
func NewJSONReader(r io.Reader, label string) (io.Reader, error) {
	if label != "" {
		c, ok := lookup(label)
		if !ok {
			return r, nil
		}
		return c.reader(r)
	}
	head, err := readHead(r)
	if err != nil {
		return nil, err
	}
	rest := io.MultiReader(&headReader{b: head}, r)
	switch JSONEncoding(head) {
	case "utf-8-sig":
		head = head[len(bomUTF8):]
		return io.MultiReader(&headReader{b: head}, r), nil
	case "utf-16":
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Reader(rest), nil
	case "utf-16-le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder().Reader(rest), nil
	case "utf-16-be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder().Reader(rest), nil
	case "utf-32":
		return utf32.UTF32(utf32.LittleEndian, utf32.ExpectBOM).NewDecoder().Reader(rest), nil
	case "utf-32-le":
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM).NewDecoder().Reader(rest), nil
	case "utf-32-be":
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM).NewDecoder().Reader(rest), nil
	}
	return rest, nil
}

// readHead reads the first bytes of r until JSONEncoding can decide: four
// bytes, the end of r, or fewer when two ASCII bytes without NUL show
// UTF-8 (so that a short first value is not held back waiting for more).
func readHead(r io.Reader) ([]byte, error) {
	var buf [4]byte
	n := 0
	for n < len(buf) {
		if n >= 2 && buf[0] != 0 && buf[1] != 0 && buf[0] < utf8.RuneSelf {
			break
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf[:n:n], nil
}

// headReader serves bytes already read.
type headReader struct{ b []byte }

func (h *headReader) Read(p []byte) (int, error) {
	if len(h.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, h.b)
	h.b = h.b[n:]
	return n, nil
}

// reader is decode for a stream.
func (c codec) reader(r io.Reader) (io.Reader, error) {
	switch c.kind {
	case kindUTF8:
		return NewJSONReader(r, "")
	case kindASCII:
		return transform.NewReader(r, asciiDecoder{}), nil
	case kindLatin1:
		return charmap.ISO8859_1.NewDecoder().Reader(r), nil
	}
	if len(c.bom) > 0 {
		head := make([]byte, len(c.bom))
		n, err := io.ReadFull(r, head)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return nil, err
		}
		head = trimPrefix(head[:n], c.bom)
		r = io.MultiReader(&headReader{b: head}, r)
	}
	return c.enc.NewDecoder().Reader(r), nil
}

// asciiDecoder is strict 7-bit ASCII: bytes >= 0x80 become U+FFFD.
type asciiDecoder struct{ transform.NopResetter }

func (asciiDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
		} else {
			if nDst+3 > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], "\uFFFD")
		}
		nSrc++
	}
	return nDst, nSrc, nil
}
