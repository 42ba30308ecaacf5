package requests

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/go-requests/requests/internal/codectest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodeAs applies codings in the order listed, as a server sending that
// Content-Encoding would ("rawdeflate": deflate without its zlib wrapper).
func encodeAs(t testing.TB, data []byte, codings ...string) []byte {
	return codectest.Encode(t, data, codings...)
}

// encodedServer serves body with the Content-Encoding and framing the
// query asks for: ?ce=gzip,br (the header, as sent), ?as=rawdeflate (how to
// encode when it differs), ?chunked=1 (no Content-Length, flushed halves).
func encodedServer(t *testing.T, body []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ce := q.Get("ce")
		as := q.Get("as")
		if as == "" {
			as = ce
		}
		var codings []string
		for c := range strings.SplitSeq(as, ",") {
			if c = strings.TrimSpace(c); c != "" {
				codings = append(codings, c)
			}
		}
		data := encodeAs(t, body, codings...)
		if q.Has("corrupt") {
			data = append(data[:len(data)/2:len(data)/2], bytes.Repeat([]byte{0xAB}, 64)...)
		}
		if q.Has("truncate") {
			data = data[:len(data)-8]
		}
		if ce != "" {
			w.Header().Set("Content-Encoding", ce)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if q.Has("chunked") {
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			w.Write(data[len(data)/2:])
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// text is compressible and long enough to span many reads.
func text() []byte {
	var b bytes.Buffer
	for i := range 5000 {
		b.WriteString("line " + strconv.Itoa(i) + " of a compressible body\n")
	}
	return b.Bytes()
}

func TestContentDecoding(t *testing.T) {
	body := text()
	srv := encodedServer(t, body)
	s := testSession(t)
	tests := []struct{ ce, as string }{
		{"gzip", ""},
		{"x-gzip", ""},
		{"deflate", ""},
		{"deflate", "rawdeflate"},
		{"br", ""},
		{"zstd", ""},
		{"identity", ""},
		{"GZIP", "gzip"},
		{"gzip, br", ""},
		{"deflate, zstd, gzip", ""},
		{"gzip,gzip,gzip,gzip,gzip", ""},
		{"br , identity, zstd", "br,zstd"},
	}
	for _, tt := range tests {
		for _, framing := range []string{"", "&chunked=1"} {
			u := srv.URL + "/?" + url.Values{"ce": {tt.ce}, "as": {tt.as}}.Encode() + framing
			t.Run(tt.ce+" as "+tt.as+framing, func(t *testing.T) {
				r, err := s.Get(u)
				require.NoError(t, err)
				assert.Equal(t, body, r.Content())

				r, err = s.Get(u, Stream(true))
				require.NoError(t, err)
				b, err := io.ReadAll(r.Body())
				require.NoError(t, err)
				assert.Equal(t, body, b)
			})
		}
	}

	t.Run("go-httpbin /gzip and /deflate", func(t *testing.T) {
		bin := newHTTPBin(t)
		for p, key := range map[string]string{"gzip": "gzipped", "deflate": "deflated"} {
			r, err := s.Get(bin.URL + "/" + p)
			require.NoError(t, err)
			assert.Equal(t, p, r.Headers.Get("Content-Encoding"))
			var got map[string]any
			require.NoError(t, r.JSON(&got))
			assert.Equal(t, true, got[key], "%s", r.Text())
		}
	})
}

func TestBadContentEncoding(t *testing.T) {
	srv := encodedServer(t, text())
	s := testSession(t)
	tests := []struct{ name, query string }{
		{"corrupt gzip", "ce=gzip&corrupt=1"},
		{"truncated gzip", "ce=gzip&truncate=1"},
		{"corrupt deflate", "ce=deflate&corrupt=1"},
		{"corrupt br", "ce=br&corrupt=1"},
		{"corrupt zstd", "ce=zstd&corrupt=1"},
		{"gzip label on plain bytes", "ce=gzip&as=identity"},
		{"zstd label on gzip", "ce=zstd&as=gzip"},
		{"stacked in the wrong order", "ce=gzip,br&as=br,gzip"},
		{"unknown coding", "ce=compress&as=identity"},
		{"too many codings", "ce=gzip,gzip,gzip,gzip,gzip,gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Get(srv.URL + "/?" + tt.query)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrContentDecoding)
			assert.NotErrorIs(t, err, ErrConnection)

			r, err := s.Get(srv.URL+"/?"+tt.query+"&chunked=1", Stream(true))
			require.NoError(t, err, "a stream fails when read, not before")
			var last error
			for _, err := range r.IterContent(512) {
				last = err
			}
			assert.ErrorIs(t, last, ErrContentDecoding)
			assert.True(t, r.call.released.Load())
		})
	}
}

func TestNoDecodingWithoutABody(t *testing.T) {
	// A HEAD answer, a 204 and a 304 carry no body whatever their headers
	// say; the coding they announce must not be applied to nothing.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "1234")
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(srv.Close)
	s := testSession(t)
	for _, c := range []struct{ method, path string }{{"HEAD", "/"}, {"GET", "/204"}, {"GET", "/304"}, {"HEAD", "/204"}} {
		for _, stream := range []bool{false, true} {
			r, err := s.Do(c.method, srv.URL+c.path, Stream(stream))
			require.NoError(t, err, "%s %s", c.method, c.path)
			assert.Empty(t, r.Content())
			assert.Equal(t, "gzip", r.Headers.Get("Content-Encoding"))
			r.Close()
		}
	}
}

func TestMaxBodySize(t *testing.T) {
	body := text()
	srv := encodedServer(t, body)
	s := testSession(t)
	n := int64(len(body))

	tests := []struct {
		name  string
		query string
		limit int64
		ok    bool
	}{
		{"under", "", n + 1, true},
		{"exactly", "", n, true},
		{"over, with Content-Length", "", n - 1, false},
		{"over, chunked", "chunked=1", n - 1, false},
		{"exactly, chunked", "chunked=1", n, true},
		{"decoded size counts, not the encoded one", "ce=gzip", n - 1, false},
		{"encoded size below, decoded exactly", "ce=gzip", n, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Get(srv.URL+"/?"+tt.query, MaxBodySize(tt.limit))
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, body, r.Content())
				return
			}
			assert.ErrorIs(t, err, ErrBodyTooLarge)
			var e *Error
			assert.ErrorAs(t, err, &e)
		})
	}

	t.Run("a stream is the caller's to bound, Content on it is not", func(t *testing.T) {
		r, err := s.Get(srv.URL, MaxBodySize(10), Stream(true))
		require.NoError(t, err)
		b, err := io.ReadAll(r.Body())
		require.NoError(t, err)
		assert.Len(t, b, len(body))

		r, err = s.Get(srv.URL, MaxBodySize(10), Stream(true))
		require.NoError(t, err)
		assert.Nil(t, r.Content())
		assert.ErrorIs(t, r.JSON(new(any)), ErrBodyTooLarge)
	})
	t.Run("a session default", func(t *testing.T) {
		_, err := testSession(t, MaxBodySize(100)).Get(srv.URL)
		assert.ErrorIs(t, err, ErrBodyTooLarge)
	})
}

func TestDecompressionBomb(t *testing.T) {
	// 256 MiB of zeros packs into a few hundred KiB of gzip (a member for
	// 1 MiB, repeated: gzip members concatenate). With a 1 MiB cap the
	// client must stop after about 1 MiB of output, not inflate it all.
	member := encodeAs(t, make([]byte, 1<<20), "gzip")
	var packed bytes.Buffer
	for range 256 {
		packed.Write(member)
	}
	require.Less(t, packed.Len(), 2<<20)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(packed.Bytes())
	}))
	t.Cleanup(srv.Close)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := testSession(t).Get(srv.URL, MaxBodySize(1<<20))
	runtime.ReadMemStats(&after)
	assert.ErrorIs(t, err, ErrBodyTooLarge)
	assert.ErrorIs(t, err, ErrBodyTooLarge)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(64<<20), "the bomb was not inflated: %d MiB allocated", allocated>>20)
}

func TestEncodingAndText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if ct := q.Get("ct"); ct != "" {
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing by the server
		}
		io.WriteString(w, q.Get("body"))
	}))
	t.Cleanup(srv.Close)
	s := testSession(t)
	get := func(t *testing.T, ct, body string) *Response {
		t.Helper()
		r, err := s.Get(srv.URL, Params{"ct": ct, "body": body})
		require.NoError(t, err)
		return r
	}

	tests := []struct {
		name, ct, body string
		encoding, text string
	}{
		{"charset from Content-Type", "text/html; charset=UTF-8", "café", "utf-8", "café"},
		{"quoted charset", `text/plain; charset="windows-1252"`, "\x93quoted\x94", "windows-1252", "\u201cquoted\u201d"},
		{"text/* defaults to ISO-8859-1, as requests", "text/plain", "caf\xe9", "ISO-8859-1", "café"},
		{"the default makes UTF-8 mojibake, as in requests", "text/plain", "café", "ISO-8859-1", "cafÃ©"},
		{"application/json is UTF-8", "application/json", `"é"`, "utf-8", `"é"`},
		{"no charset: guessed from the body", "application/octet-stream", "naïve café", "", "naïve café"},
		{"no Content-Type at all", "", "plain ascii", "", "plain ascii"},
		{"Shift_JIS declared", "text/plain; charset=shift_jis", "\x93\xfa\x96\x7b", "shift_jis", "日本"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, tt.ct, tt.body)
			assert.Equal(t, tt.encoding, r.Encoding)
			assert.Equal(t, tt.text, r.Text())
		})
	}

	t.Run("Encoding set before Text wins", func(t *testing.T) {
		r := get(t, "text/plain", "café")
		r.Encoding = "utf-8"
		assert.Equal(t, "café", r.Text())
		r.Encoding = "windows-1252"
		assert.Equal(t, "cafÃ©", r.Text())
	})
	t.Run("ApparentEncoding", func(t *testing.T) {
		for _, c := range []struct{ body, want string }{
			{"plain", "ascii"},
			{"naïve café", "utf-8"},
			{"\xef\xbb\xbfbom", "utf-8"},
			{"\xff\xfeh\x00i\x00", "utf-16le"},
		} {
			r := get(t, "application/octet-stream", c.body)
			assert.Equal(t, c.want, r.ApparentEncoding(), "%q", c.body)
			assert.Empty(t, r.Encoding)
		}
	})
	t.Run("go-httpbin /encoding/utf8", func(t *testing.T) {
		bin := newHTTPBin(t)
		r, err := s.Get(bin.URL + "/encoding/utf8")
		require.NoError(t, err)
		assert.Equal(t, "utf-8", r.Encoding)
		assert.Contains(t, r.Text(), "∮ E⋅da = Q")
	})
}

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var b []byte
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

func utf32Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var b []byte
	if bom {
		b = order.AppendUint32(b, 0xFEFF)
	}
	for _, r := range s {
		b = order.AppendUint32(b, uint32(r))
	}
	return b
}

func TestJSONInEveryUnicodeForm(t *testing.T) {
	const doc = `{"name": "Zoë", "emoji": "🎉"}`
	tests := []struct {
		name string
		ct   string
		body []byte
	}{
		{"utf-8", "application/json", []byte(doc)},
		{"utf-8 with BOM", "application/json", append([]byte("\xef\xbb\xbf"), doc...)},
		{"utf-16le BOM", "application/json", utf16Bytes(doc, binary.LittleEndian, true)},
		{"utf-16be BOM", "application/json", utf16Bytes(doc, binary.BigEndian, true)},
		{"utf-16le, no BOM", "application/json", utf16Bytes(doc, binary.LittleEndian, false)},
		{"utf-16be, no BOM", "", utf16Bytes(doc, binary.BigEndian, false)},
		{"utf-32le BOM", "application/json", utf32Bytes(doc, binary.LittleEndian, true)},
		{"utf-32be, no BOM", "application/json", utf32Bytes(doc, binary.BigEndian, false)},
		{"utf-16 under a text/* default", "text/plain", utf16Bytes(doc, binary.LittleEndian, true)},
		{"utf-8 under a text/* default", "text/plain", []byte(doc)},
		{"declared Latin-1", "application/json; charset=iso-8859-1", []byte("{\"name\": \"Zo\xeb\", \"emoji\": \"\\ud83c\\udf89\"}")},
		{"undeclared Latin-1 falls back to text", "text/plain", []byte("{\"name\": \"Zo\xeb\", \"emoji\": \"\\ud83c\\udf89\"}")},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		if tests[i].ct != "" {
			w.Header().Set("Content-Type", tests[i].ct)
		} else {
			w.Header()["Content-Type"] = nil
		}
		w.Write(tests[i].body)
	}))
	t.Cleanup(srv.Close)
	s := testSession(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Get(srv.URL, Params{"i": strconv.Itoa(i)})
			require.NoError(t, err)
			var got struct{ Name, Emoji string }
			require.NoError(t, r.JSON(&got))
			assert.Equal(t, "Zoë", got.Name)
			assert.Equal(t, "🎉", got.Emoji)
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, r.URL.Query().Get("body"))
		}))
		t.Cleanup(echo.Close)
		for _, body := range []string{"", "  ", "<html>", `{"a":`, "\xff\xfe{"} {
			r, err := s.Get(echo.URL, Params{"body": body})
			require.NoError(t, err)
			assert.ErrorIs(t, r.JSON(new(any)), ErrJSONDecode, "%q", body)
		}
	})
}
