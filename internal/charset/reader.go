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
//     untouched up to its first invalid byte, from which on the text is
//     decoded from fallback, as Decode(b, fallback) decodes a body that is
//     not UTF-8 (a stream cannot go back: valid UTF-8 before that byte
//     stays as it is); UTF-16 and UTF-32 are converted; an undetectable
//     form is read as UTF-8;
//   - any other label names the charset to decode from, as Decode does.
//
// Bytes that do not decode become U+FFFD, as with Decode. Only as many
// bytes are read ahead as deciding the form needs (at most four).
func NewJSONReader(r io.Reader, label, fallback string) (io.Reader, error) {
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
		return &utf8Reader{r: io.MultiReader(&headReader{b: head}, r), fallback: fallback}, nil
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
	return &utf8Reader{r: rest, fallback: fallback}, nil
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
		return NewJSONReader(r, "", "utf-8")
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

// utf8Reader passes valid UTF-8 through and, from the first byte that is
// not, decodes the rest from its fallback charset.
type utf8Reader struct {
	r        io.Reader
	fallback string
	buf      []byte // read, not yet handed out: valid, then maybe pend
	valid    int    // buf[:valid] is checked
	dec      io.Reader
	err      error
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.dec != nil {
		return u.dec.Read(p)
	}
	for u.valid == 0 {
		if len(u.buf) > 0 && u.check() {
			return u.dec.Read(p)
		}
		if u.valid > 0 {
			break
		}
		if u.err != nil {
			if len(u.buf) > 0 {
				// A sequence cut short by the end: not UTF-8.
				u.switchAt(0)
				return u.dec.Read(p)
			}
			return 0, u.err
		}
		if u.buf == nil {
			u.buf = make([]byte, 0, 32<<10)
		}
		n, err := u.r.Read(u.buf[len(u.buf):cap(u.buf)])
		u.buf = u.buf[:len(u.buf)+n]
		u.err = err
	}
	n := copy(p, u.buf[:u.valid])
	u.valid -= n
	u.buf = u.buf[:copy(u.buf, u.buf[n:])]
	return n, nil
}

// check extends buf[:valid] over the valid UTF-8 read, and reports whether
// an invalid byte made the reader switch to its fallback.
func (u *utf8Reader) check() bool {
	b := u.buf[u.valid:]
	if utf8.Valid(b) {
		u.valid = len(u.buf)
		return false
	}
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(b[i:]) && u.err == nil {
				break // may complete with the next read
			}
			if u.valid+i > 0 {
				// Hand out the valid part first; the next Read switches.
				u.valid += i
				return false
			}
			u.switchAt(u.valid + i)
			return true
		}
		i += size
	}
	u.valid += i
	return false
}

// switchAt decodes everything from buf[i:] on with the fallback charset.
func (u *utf8Reader) switchAt(i int) {
	rest := append([]byte(nil), u.buf[i:]...)
	c, ok := lookup(u.fallback)
	if !ok {
		if c, ok = lookup(Sniff(rest)); !ok {
			c = codec{name: "utf-8", kind: kindUTF8}
		}
	}
	var src io.Reader
	switch u.err {
	case nil:
		src = io.MultiReader(&headReader{b: rest}, u.r)
	case io.EOF:
		src = &headReader{b: rest}
	default:
		src = io.MultiReader(&headReader{b: rest}, errReader{u.err})
	}
	if c.kind == kindUTF8 {
		u.dec = unicode.UTF8.NewDecoder().Reader(src)
	} else {
		u.dec, _ = c.reader(src)
	}
	u.buf, u.valid = nil, 0
}

// errReader fails every Read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
