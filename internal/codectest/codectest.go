// Package codectest compresses test bodies the way a server would, for the
// tests of content decoding.
package codectest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// Encode applies codings to data in the order listed, as a server sending
// that Content-Encoding would. "deflate" is zlib-wrapped, as RFC 9110 says;
// "rawdeflate" is the raw form some servers send as "deflate"; "identity"
// changes nothing. An unknown coding fails the test.
func Encode(tb testing.TB, data []byte, codings ...string) []byte {
	tb.Helper()
	for _, coding := range codings {
		if coding == "identity" {
			continue
		}
		var buf bytes.Buffer
		var w io.WriteCloser
		var err error
		switch coding {
		case "gzip", "x-gzip":
			w = gzip.NewWriter(&buf)
		case "deflate":
			w = zlib.NewWriter(&buf)
		case "rawdeflate":
			w, err = flate.NewWriter(&buf, flate.DefaultCompression)
		case "br":
			w = brotli.NewWriter(&buf)
		case "zstd":
			w, err = zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
		default:
			tb.Fatalf("codectest: no encoder for %q", coding)
		}
		if err == nil {
			_, err = w.Write(data)
		}
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			tb.Fatalf("codectest: %s: %v", coding, err)
		}
		data = buf.Bytes()
	}
	return data
}
