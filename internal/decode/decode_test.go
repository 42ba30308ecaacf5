package decode

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestAcceptEncodingIsSupported(t *testing.T) {
	codings, err := ParseCodings(AcceptEncoding)
	require.NoError(t, err)
	assert.Equal(t, []string{"gzip", "deflate", "br", "zstd"}, codings)
}

func TestParseCodings(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []string
		err    error
	}{
		{"empty", nil, nil, nil},
		{"blank", []string{"  "}, nil, nil},
		{"identity", []string{"identity"}, nil, nil},
		{"identity mixed", []string{"Identity, gzip, identity"}, []string{"gzip"}, nil},
		{"single", []string{"gzip"}, []string{"gzip"}, nil},
		{"x-gzip", []string{"x-gzip"}, []string{"gzip"}, nil},
		{"case and space", []string{" \tGZip ,  BR\t"}, []string{"gzip", "br"}, nil},
		{"empty elements", []string{",, deflate ,,"}, []string{"deflate"}, nil},
		{"several values", []string{"gzip", "br, zstd"}, []string{"gzip", "br", "zstd"}, nil},
		{"five", []string{"gzip, gzip, br, br, zstd"}, []string{"gzip", "gzip", "br", "br", "zstd"}, nil},
		{"six", []string{"gzip, gzip, br, br, zstd, deflate"}, nil, ErrTooManyCodings},
		{"six across values", []string{"gzip, gzip, br", "br, zstd, deflate"}, nil, ErrTooManyCodings},
		{"unknown", []string{"gzip, compress"}, nil, ErrUnsupported},
		{"params are not codings", []string{"gzip;q=1"}, nil, ErrUnsupported},
		{"inner space", []string{"g zip"}, nil, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCodings(tt.values...)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	data := sample()
	tests := []struct {
		name    string
		header  string
		codings []string // applied in this order when encoding
	}{
		{"gzip", "gzip", []string{"gzip"}},
		{"x-gzip", "x-gzip", []string{"gzip"}},
		{"deflate zlib", "deflate", []string{"deflate"}},
		{"deflate raw", "deflate", []string{"rawdeflate"}},
		{"br", "br", []string{"br"}},
		{"zstd", "zstd", []string{"zstd"}},
		{"identity", "identity", nil},
		{"none", "", nil},
		{"gzip then br", "gzip, br", []string{"gzip", "br"}},
		{"deflate gzip zstd", "deflate, gzip, zstd", []string{"deflate", "gzip", "zstd"}},
		{"upper case spaced", "  GZIP ,\tDeflate ", []string{"gzip", "deflate"}},
		{"identity in chain", "br, identity, zstd", []string{"br", "zstd"}},
		{"five layers", "gzip, deflate, br, zstd, gzip", []string{"gzip", "deflate", "br", "zstd", "gzip"}},
	}
	for _, tt := range tests {
		for _, limit := range []int64{0, int64(len(data)), 1 << 30} {
			t.Run(tt.name, func(t *testing.T) {
				b := newBody(encodeAll(t, data, tt.codings...))
				r, err := NewReader(b, tt.header, limit)
				require.NoError(t, err)
				got, err := io.ReadAll(r)
				require.NoError(t, err)
				assert.Equal(t, data, got)
				require.NoError(t, r.Close())
				assert.Equal(t, int32(1), b.closes.Load())
			})
		}
	}
}

func TestNewReaderValues(t *testing.T) {
	data := sample()
	b := newBody(encodeAll(t, data, "gzip", "br", "zstd"))
	r, err := NewReaderValues(b, []string{"gzip", "br, zstd"}, 0)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	require.NoError(t, r.Close())
}

func TestNothingToDoReturnsBody(t *testing.T) {
	b := newBody([]byte("plain"))
	r, err := NewReader(b, "identity", 0)
	require.NoError(t, err)
	assert.Same(t, b, r)
}

func TestNewReaderRefusesWithoutReading(t *testing.T) {
	tests := []struct {
		header string
		err    error
	}{
		{"compress", ErrUnsupported},
		{"gzip, x-foo", ErrUnsupported},
		{"gzip, gzip, gzip, gzip, gzip, gzip", ErrTooManyCodings},
		{"br,br,br,br,br,br,br", ErrTooManyCodings},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			b := newBody(encode(t, "gzip", []byte("x")))
			r, err := NewReader(b, tt.header, 0)
			require.ErrorIs(t, err, tt.err)
			assert.Nil(t, r)
			assert.Equal(t, int32(0), b.closes.Load(), "body stays with the caller")
		})
	}
	_, err := NewReader(nil, "gzip", 0)
	require.Error(t, err)
}

func TestRawAndZlibDeflateSniffing(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty payload", nil},
		{"one byte", []byte("a")},
		{"text", sample()},
		{"binary", bytes.Repeat([]byte{0x78, 0x9c, 0x00, 0xff}, 1000)},
	}
	for _, tt := range tests {
		for _, form := range []string{"deflate", "rawdeflate"} {
			t.Run(tt.name+" "+form, func(t *testing.T) {
				r, err := NewReader(newBody(encode(t, form, tt.data)), "deflate", 0)
				require.NoError(t, err)
				got, err := io.ReadAll(r)
				require.NoError(t, err)
				assert.Equal(t, string(tt.data), string(got))
			})
		}
	}
}

func TestIsZlibHeader(t *testing.T) {
	tests := []struct {
		h    []byte
		want bool
	}{
		{[]byte{0x78, 0x9c}, true},
		{[]byte{0x78, 0x01}, true},
		{[]byte{0x78, 0xda}, true},
		{[]byte{0x48, 0x89}, true}, // 4 KiB window
		{[]byte{0x78, 0x9d}, false},
		{[]byte{0x88, 0x98}, false}, // window too large
		{[]byte{0x79, 0x9c}, false},
		{[]byte{0x78}, false},
		{nil, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, isZlibHeader(tt.h), "% x", tt.h)
	}
}

func TestEmptyBodyWithCoding(t *testing.T) {
	for _, c := range []string{"gzip", "deflate", "br", "zstd", "gzip, br, zstd"} {
		t.Run(c, func(t *testing.T) {
			r, err := NewReader(newBody(nil), c, 10)
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Empty(t, got)
		})
	}
}

func TestGzipMembers(t *testing.T) {
	one := encode(t, "gzip", []byte("hello, "))
	two := encode(t, "gzip", []byte("world"))
	tests := []struct {
		name string
		in   []byte
		want string
		err  bool
	}{
		{"concatenated", concat(one, two), "hello, world", false},
		{"trailing zeros", concat(one, make([]byte, 100)), "hello, ", false},
		{"trailing garbage", concat(one, []byte("garbage")), "hello, ", false},
		{"single trailing byte", concat(one, []byte{0x1f}), "hello, ", false},
		{"corrupt second member", concat(one, []byte{0x1f, 0x8b, 0, 0}), "hello, ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(newBody(tt.in), "gzip", 0)
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			assert.Equal(t, tt.want, string(got))
			if tt.err {
				require.ErrorIs(t, err, ErrDecode)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestCorruptAndTruncated(t *testing.T) {
	data := sample()
	for _, coding := range []string{"gzip", "deflate", "rawdeflate", "br", "zstd"} {
		enc := encode(t, coding, data)
		header := coding
		if coding == "rawdeflate" {
			header = "deflate"
		}
		flipped := bytes.Clone(enc)
		flipped[len(flipped)/2] ^= 0xff
		badTail := bytes.Clone(enc)
		badTail[len(badTail)-2] ^= 0xff // checksum or final block
		cases := []struct {
			name string
			in   []byte
		}{
			{"truncated half", enc[:len(enc)/2]},
			{"truncated by one", enc[:len(enc)-1]},
			{"truncated to one byte", enc[:1]},
			{"flipped middle", flipped},
			{"bad tail", badTail},
			{"garbage", []byte("this is not compressed at all, not even close")},
		}
		for _, tc := range cases {
			t.Run(coding+" "+tc.name, func(t *testing.T) {
				r, err := NewReader(newBody(tc.in), header, 0)
				require.NoError(t, err, "errors surface from Read")
				_, err = io.ReadAll(r)
				require.Error(t, err)
				require.ErrorIs(t, err, ErrDecode)
				var de *Error
				require.ErrorAs(t, err, &de)
				assert.Equal(t, strings.TrimPrefix(header, "raw"), de.Coding)
				require.NotNil(t, de.Err)
				assert.NotErrorIs(t, err, ErrBodyTooLarge)
				// Sticky.
				_, err2 := r.Read(make([]byte, 10))
				assert.Equal(t, err, err2)
				require.NoError(t, r.Close())
			})
		}
	}
}

func TestErrorWrapsCause(t *testing.T) {
	enc := encode(t, "gzip", sample())
	r, err := NewReader(newBody(enc[:len(enc)-4]), "gzip", 0)
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, ErrDecode)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)

	enc = encode(t, "gzip", sample())
	enc[len(enc)-5] ^= 1 // CRC
	r, err = NewReader(newBody(enc), "gzip", 0)
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, ErrDecode)
	require.ErrorIs(t, err, kgzip.ErrChecksum)
	assert.Contains(t, err.Error(), "gzip")
}

func TestSourceErrorPassesThrough(t *testing.T) {
	data := sample()
	for _, header := range []string{"gzip", "deflate", "br", "zstd", "gzip, br"} {
		t.Run(header, func(t *testing.T) {
			enc := encodeAll(t, data, strings.Split(strings.ReplaceAll(header, " ", ""), ",")...)
			b := &failAfter{data: enc[:len(enc)/2], err: errReset}
			r, err := NewReader(b, header, 0)
			require.NoError(t, err)
			_, err = io.ReadAll(r)
			require.ErrorIs(t, err, errReset)
			assert.NotErrorIs(t, err, ErrDecode)
		})
	}
	// Also before the first byte.
	r, err := NewReader(&failAfter{err: errReset}, "zstd", 0)
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, errReset)
}

func TestLimit(t *testing.T) {
	data := sample()
	n := int64(len(data))
	tests := []struct {
		name   string
		header string
		limit  int64
		tooBig bool
	}{
		{"identity under", "", n + 1, false},
		{"identity exact", "", n, false},
		{"identity over", "", n - 1, true},
		{"identity tiny", "", 1, true},
		{"gzip exact", "gzip", n, false},
		{"gzip over", "gzip", n - 1, true},
		{"stacked over", "gzip, br, zstd", n / 2, true},
		{"stacked exact", "gzip, br, zstd", n, false},
		{"no limit", "br", 0, false},
		{"negative means none", "br", -1, false},
		{"huge limit", "zstd", 1<<63 - 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var codings []string
			if tt.header != "" {
				codings = strings.Split(strings.ReplaceAll(tt.header, " ", ""), ",")
			}
			r, err := NewReader(newBody(encodeAll(t, data, codings...)), tt.header, tt.limit)
			require.NoError(t, err)
			got, err := io.ReadAll(r)
			if tt.tooBig {
				require.ErrorIs(t, err, ErrBodyTooLarge)
				assert.NotErrorIs(t, err, ErrDecode)
				assert.Equal(t, data[:tt.limit], got, "output up to the limit is delivered")
				_, err = r.Read(make([]byte, 1))
				require.ErrorIs(t, err, ErrBodyTooLarge)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, data, got)
		})
	}
}

// zeros yields n zero bytes without holding them in memory.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

var (
	bombOnce sync.Once
	bombs    map[string][]byte
)

// bomb returns 100 MiB of zeros compressed with each coding.
func bomb(tb testing.TB) map[string][]byte {
	bombOnce.Do(func() {
		bombs = map[string][]byte{}
		const size = 100 << 20
		var buf bytes.Buffer
		gz, _ := kgzip.NewWriterLevel(&buf, kgzip.BestCompression)
		_, _ = io.Copy(gz, &zeros{n: size})
		_ = gz.Close()
		bombs["gzip"] = bytes.Clone(buf.Bytes())

		buf.Reset()
		bw := brotli.NewWriterLevel(&buf, brotli.BestSpeed)
		_, _ = io.Copy(bw, &zeros{n: size})
		_ = bw.Close()
		bombs["br"] = bytes.Clone(buf.Bytes())

		buf.Reset()
		zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
		_, _ = io.Copy(zw, &zeros{n: size})
		_ = zw.Close()
		bombs["zstd"] = bytes.Clone(buf.Bytes())
	})
	return bombs
}

func TestDecompressionBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses 100 MiB per coding")
	}
	const limit = 1 << 20
	for coding, enc := range bomb(t) {
		t.Run(coding, func(t *testing.T) {
			require.Less(t, len(enc), 1<<20, "the bomb is small")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			r, err := NewReader(newBody(enc), coding, limit)
			require.NoError(t, err)
			n, err := io.Copy(io.Discard, r)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrBodyTooLarge)
			assert.Equal(t, int64(limit), n)
			assert.Less(t, elapsed, 5*time.Second)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(32<<20), "allocations stay bounded")
			require.NoError(t, r.Close())
		})
	}
}

func TestLargeZstdStreamsWithinWindow(t *testing.T) {
	// Output far above the window cap is fine: only the window is bounded.
	data := bytes.Repeat(sample(), 200) // ~10 MiB
	r, err := NewReader(newBody(encode(t, "zstd", data)), "zstd", 0)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, len(data), len(got))
	require.NoError(t, r.Close())
}

func TestZstdWindowTooLarge(t *testing.T) {
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(32<<20))
	require.NoError(t, err)
	_, err = io.Copy(zw, &zeros{n: 40 << 20})
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	r, err := NewReader(newBody(buf.Bytes()), "zstd", 0)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, r)
	require.ErrorIs(t, err, ErrDecode)
	require.ErrorIs(t, err, zstd.ErrWindowSizeExceeded)
}

func TestClose(t *testing.T) {
	for _, header := range []string{"gzip", "deflate", "br", "zstd", "gzip, br, zstd", ""} {
		t.Run(header, func(t *testing.T) {
			var codings []string
			if header != "" {
				codings = strings.Split(strings.ReplaceAll(header, " ", ""), ",")
			}
			b := newBody(encodeAll(t, sample(), codings...))
			r, err := NewReader(b, header, 1<<20)
			require.NoError(t, err)
			// Partially read, so codecs are live.
			_, err = r.Read(make([]byte, 100))
			require.NoError(t, err)
			require.NoError(t, r.Close())
			require.NoError(t, r.Close())
			assert.Equal(t, int32(1), b.closes.Load())
			_, err = r.Read(make([]byte, 10))
			require.ErrorIs(t, err, ErrClosed)
		})
	}
}

func TestCloseBeforeRead(t *testing.T) {
	b := newBody(encode(t, "zstd", sample()))
	r, err := NewReader(b, "zstd", 0)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, int32(1), b.closes.Load())
	_, err = r.Read(make([]byte, 1))
	require.ErrorIs(t, err, ErrClosed)
}

type closeErrBody struct {
	body
}

var errClose = errors.New("close failed")

func (c *closeErrBody) Close() error {
	c.closes.Add(1)
	return errClose
}

func TestCloseReturnsBodyError(t *testing.T) {
	b := &closeErrBody{body: *newBody(encode(t, "gzip", []byte("x")))}
	r, err := NewReader(b, "gzip", 0)
	require.NoError(t, err)
	require.ErrorIs(t, r.Close(), errClose)
	require.ErrorIs(t, r.Close(), errClose)
	assert.Equal(t, int32(1), b.closes.Load())
}

// slowBody blocks each Read until released or closed.
type slowBody struct {
	data   []byte
	step   chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (s *slowBody) Read(p []byte) (int, error) {
	select {
	case <-s.step:
	case <-s.closed:
		return 0, errors.New("read on closed connection")
	}
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.data[:min(len(s.data), 64)])
	s.data = s.data[n:]
	return n, nil
}

func (s *slowBody) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func TestCloseDuringRead(t *testing.T) {
	for _, header := range []string{"gzip", "zstd", "br, deflate"} {
		t.Run(header, func(t *testing.T) {
			codings := strings.Split(strings.ReplaceAll(header, " ", ""), ",")
			b := &slowBody{
				data:   encodeAll(t, noise(64<<10), codings...),
				step:   make(chan struct{}),
				closed: make(chan struct{}),
			}
			r, err := NewReader(b, header, 0)
			require.NoError(t, err)
			done := make(chan error)
			go func() {
				_, err := io.Copy(io.Discard, r)
				done <- err
			}()
			for range 5 {
				select {
				case b.step <- struct{}{}:
				case err := <-done:
					t.Fatalf("read ended early: %v", err)
				}
			}
			require.NoError(t, r.Close())
			select {
			case err := <-done:
				require.Error(t, err)
			case <-time.After(5 * time.Second):
				t.Fatal("Close did not unblock Read")
			}
			require.NoError(t, r.Close())
		})
	}
}

func TestZeroLengthRead(t *testing.T) {
	r, err := NewReader(newBody(encode(t, "br", []byte("abc"))), "br", 3)
	require.NoError(t, err)
	n, err := r.Read(nil)
	assert.Zero(t, n)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(got))
}
