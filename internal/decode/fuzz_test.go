package decode

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzNewReader feeds arbitrary headers and bodies: decoding must never
// panic, never deliver more than the limit, fail only with the documented
// errors and close the body exactly once.
func FuzzNewReader(f *testing.F) {
	data := []byte("hello, hello, hello, fuzzing world")
	for _, codings := range [][]string{
		{"gzip"}, {"deflate"}, {"rawdeflate"}, {"br"}, {"zstd"},
		{"gzip", "br"}, {"deflate", "gzip", "zstd"},
	} {
		enc := encodeAll(f, data, codings...)
		header := ""
		for i, c := range codings {
			if c == "rawdeflate" {
				c = "deflate"
			}
			if i > 0 {
				header += ", "
			}
			header += c
		}
		f.Add(header, enc, int64(0))
		f.Add(header, enc, int64(10))
		f.Add(header, enc[:len(enc)/2], int64(0))
	}
	f.Add("", []byte("plain"), int64(3))
	f.Add("identity", []byte("plain"), int64(-1))
	f.Add("GZIP ,, X-GZIP", []byte{0x1f, 0x8b, 8, 0}, int64(1))
	f.Add("compress", []byte{}, int64(0))
	f.Add("br,br,br,br,br,br", []byte{}, int64(0))
	f.Add("zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0x58, 0, 0, 0}, int64(0))

	f.Fuzz(func(t *testing.T, header string, in []byte, limit int64) {
		limit %= 1 << 20
		b := newBody(in)
		r, err := NewReader(b, header, limit)
		if err != nil {
			require.True(t, errors.Is(err, ErrUnsupported) || errors.Is(err, ErrTooManyCodings), "%v", err)
			assert.Zero(t, b.closes.Load())
			return
		}
		// Without a limit, bound the work a crafted stream can cause.
		var src io.Reader = r
		if limit <= 0 {
			src = io.LimitReader(r, 8<<20)
		}
		n, err := io.Copy(io.Discard, src)
		if limit > 0 {
			require.LessOrEqual(t, n, limit)
		}
		if err != nil {
			require.True(t, errors.Is(err, ErrDecode) || errors.Is(err, ErrBodyTooLarge), "%v", err)
		}
		require.NoError(t, r.Close())
		if r != io.ReadCloser(b) { // a wrapper must make Close idempotent
			require.NoError(t, r.Close())
		}
		assert.Equal(t, int32(1), b.closes.Load())
	})
}

// FuzzRoundTrip checks that whatever is encoded decodes back unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), uint16(0))
	f.Add([]byte{}, uint16(1))
	f.Add([]byte{0x78, 0x9c, 0xff}, uint16(2))
	f.Add(sample()[:300], uint16(0x1234))
	all := []string{"gzip", "deflate", "rawdeflate", "br", "zstd"}
	f.Fuzz(func(t *testing.T, data []byte, pick uint16) {
		// pick chooses up to three codings, five ways each.
		var codings, names []string
		for i := 0; i < 3 && pick > 0; i++ {
			c := all[pick%5]
			pick /= 5
			codings = append(codings, c)
			if c == "rawdeflate" {
				c = "deflate"
			}
			names = append(names, c)
		}
		header := ""
		for i, n := range names {
			if i > 0 {
				header += ","
			}
			header += n
		}
		r, err := NewReader(newBody(encodeAll(t, data, codings...)), header, int64(len(data)))
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, string(data), string(got))
		require.NoError(t, r.Close())
	})
}
