package decode

import (
	"bufio"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// zstdMaxWindow is the largest zstd window accepted. RFC 9659 caps the
// window of the "zstd" content coding at 8 MiB, as browsers enforce, and
// this bounds the decoder's memory whatever the input claims.
const zstdMaxWindow = 8 << 20

// layerBufSize is the read buffer placed before each codec.
const layerBufSize = 16 << 10

// source remembers the first real error of the reader below a codec, so that
// an I/O failure is reported as itself and not as corrupt data.
type source struct {
	r   io.Reader
	err error
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// layer undoes one coding. The codec is created on the first Read, so
// building the stack never touches the body.
type layer struct {
	coding  string
	src     source
	br      *bufio.Reader
	dec     io.Reader
	closer  func()
	started bool
	err     error // sticky: io.EOF or the final error
}

func newLayer(coding string, r io.Reader) *layer {
	return &layer{coding: coding, src: source{r: r}}
}

func (l *layer) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !l.started {
		l.started = true
		l.br = bufio.NewReaderSize(&l.src, layerBufSize)
		// An empty body stays empty, whatever its label.
		if _, err := l.br.Peek(1); err != nil {
			return 0, l.fail(err)
		}
		if err := l.start(); err != nil {
			return 0, l.fail(err)
		}
	}
	n, err := l.dec.Read(p)
	if err != nil {
		err = l.fail(err)
	}
	return n, err
}

// fail classifies err, makes it sticky and frees the codec.
func (l *layer) fail(err error) error {
	switch {
	case err == io.EOF:
	case l.src.err != nil:
		err = l.src.err
	default:
		err = &Error{Coding: l.coding, Err: err}
	}
	l.err = err
	l.release()
	return err
}

func (l *layer) start() error {
	switch l.coding {
	case "gzip":
		l.dec = &gzipMembers{br: l.br}
	case "deflate":
		if hdr, _ := l.br.Peek(2); isZlibHeader(hdr) {
			zr, err := zlib.NewReader(l.br)
			if err != nil {
				return err
			}
			l.dec, l.closer = zr, func() { _ = zr.Close() }
		} else {
			fr := flate.NewReader(l.br)
			l.dec, l.closer = fr, func() { _ = fr.Close() }
		}
	case "br":
		l.dec = brotli.NewReader(l.br)
	case "zstd":
		// One block at a time: no goroutines, and memory bounded by the
		// window cap.
		zr, err := zstd.NewReader(l.br,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow),
			zstd.WithDecoderMaxMemory(zstdMaxWindow),
		)
		if err != nil {
			return err
		}
		l.dec, l.closer = zr, zr.Close
	}
	return nil
}

// release drops the codec; it is idempotent.
func (l *layer) release() {
	if l.closer != nil {
		l.closer()
		l.closer = nil
	}
	l.dec = nil
	l.br = nil
	if l.err == nil {
		l.err = ErrClosed
	}
}

// isZlibHeader reports whether h starts with a zlib header (RFC 1950):
// compression method 8, a window of at most 32 KiB and a valid check value.
// Raw DEFLATE data practically never passes this test, which is how
// browsers and urllib3 tell the two "deflate" flavours apart.
func isZlibHeader(h []byte) bool {
	if len(h) < 2 {
		return false
	}
	cmf, flg := h[0], h[1]
	return cmf&0x0f == 8 && cmf>>4 <= 7 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

// gzipMembers reads concatenated gzip members and, like urllib3, ignores
// trailing bytes that do not start another member.
type gzipMembers struct {
	br *bufio.Reader
	zr *gzip.Reader
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	if g.zr == nil {
		zr, err := gzip.NewReader(g.br)
		if err != nil {
			return 0, err
		}
		zr.Multistream(false)
		g.zr = zr
	}
	for {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		// End of a member: continue only if another one follows.
		next, perr := g.br.Peek(2)
		if len(next) < 2 || next[0] != 0x1f || next[1] != 0x8b {
			if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull {
				return n, perr
			}
			return n, io.EOF
		}
		if err := g.zr.Reset(g.br); err != nil {
			return n, err
		}
		g.zr.Multistream(false)
		if n > 0 {
			return n, nil
		}
	}
}
