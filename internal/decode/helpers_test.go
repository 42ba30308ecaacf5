package decode

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/go-requests/requests/internal/codectest"
)

// body is an in-memory response body that counts Close calls.
type body struct {
	r      io.Reader
	closes atomic.Int32
}

func newBody(b []byte) *body { return &body{r: bytes.NewReader(b)} }

func (b *body) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *body) Close() error {
	b.closes.Add(1)
	return nil
}

// failAfter returns data then a fixed error, like a connection reset.
type failAfter struct {
	data []byte
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func (f *failAfter) Close() error { return nil }

var errReset = errors.New("connection reset by peer")

// encode applies one coding to data ("rawdeflate": deflate without its
// zlib wrapper, as some servers send it).
func encode(tb testing.TB, coding string, data []byte) []byte {
	return codectest.Encode(tb, data, coding)
}

// encodeAll applies codings in order, as a server listing them would.
func encodeAll(tb testing.TB, data []byte, codings ...string) []byte {
	return codectest.Encode(tb, data, codings...)
}

// sample is compressible text with some variety.
func sample() []byte {
	var buf bytes.Buffer
	for i := range 2000 {
		buf.WriteString("line ")
		buf.WriteByte(byte('a' + i%26))
		buf.WriteString(" of some highly compressible response body text\n")
	}
	return buf.Bytes()
}

// noise is incompressible, deterministic data.
func noise(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
