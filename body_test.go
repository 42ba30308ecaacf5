package requests

import (
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

// headSeen serves every request with an empty 200 and hands the header block
// of each request, as read off the socket, to the test.
func headSeen(t *testing.T) (*faultkit.Server, <-chan textproto.MIMEHeader) {
	heads := make(chan textproto.MIMEHeader, 16)
	srv := faultkit.Listen(t, func(c *faultkit.Conn) {
		tp := textproto.NewReader(c.Reader())
		for {
			if _, err := tp.ReadLine(); err != nil { // the request line
				return
			}
			h, err := tp.ReadMIMEHeader()
			if err != nil {
				return
			}
			heads <- h
			if h.Get("Transfer-Encoding") == "chunked" {
				// An empty chunked body: its last chunk and the empty trailer.
				for range 2 {
					if _, err := tp.ReadLine(); err != nil {
						return
					}
				}
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); err != nil {
				return
			}
		}
	})
	return srv, heads
}

// As requests does (models.py prepare_content_length: a body of length 0
// still gets Content-Length: 0), an empty body of a known size is sent with
// Content-Length: 0, never chunked.
func TestEmptyBodySendsContentLengthZero(t *testing.T) {
	srv, heads := headSeen(t)
	s := testSession(t)
	tests := []struct {
		name string
		body Option
	}{
		{"empty string", Data("")},
		{"empty bytes", Data([]byte{})},
		{"nil bytes", Data([]byte(nil))},
		{"empty form", Data(map[string]string{})},
		{"empty url.Values", Data(url.Values{})},
		{"empty bytes.Reader", Data(bytes.NewReader(nil))},
		{"empty strings.Reader", Data(strings.NewReader(""))},
		{"empty bytes.Buffer", Data(new(bytes.Buffer))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Post(srv.URL, tt.body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, r.StatusCode)
			h := <-heads
			assert.Empty(t, h.Values("Transfer-Encoding"))
			assert.Equal(t, []string{"0"}, h.Values("Content-Length"))
		})
	}
}

type (
	namedForm  map[string]string
	multiForm  map[string][]string
	fieldName  string
	fieldValue string
	namedKeys  map[fieldName]fieldValue
	namedLists map[fieldName][]fieldValue
)

// requests takes any mapping as form fields (models.py _encode_params
// iterates its items); Data takes any map with string keys and string or
// []string values, named types included, alone or with Files.
func TestDataTakesNamedMapTypes(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	tests := []struct {
		name string
		data any
		want map[string][]string
	}{
		{"named map[string]string", namedForm{"a": "1"}, map[string][]string{"a": {"1"}}},
		{"named map[string][]string", multiForm{"a": {"1", "2"}}, map[string][]string{"a": {"1", "2"}}},
		{"named keys and values", namedKeys{"a": "1"}, map[string][]string{"a": {"1"}}},
		{"named keys and lists", namedLists{"a": {"1", "2"}}, map[string][]string{"a": {"1", "2"}}},
		{"url.Values", url.Values{"a": {"1"}}, map[string][]string{"a": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, withFile := range []bool{false, true} {
				opts := []Option{Data(tt.data)}
				if withFile {
					opts = append(opts, Files{"f": {Name: "f.txt", Reader: strings.NewReader("x")}})
				}
				r, err := s.Post(srv.URL+"/post", opts...)
				require.NoError(t, err)
				var got struct {
					Form map[string][]string `json:"form"`
				}
				require.NoError(t, r.JSON(&got))
				assert.Equal(t, tt.want, got.Form, "with a file: %v", withFile)
			}
		})
	}
}

// Other maps are refused with ErrInvalidBody, naming what Data takes.
func TestDataRefusesOtherMaps(t *testing.T) {
	srv, _ := headSeen(t)
	for _, v := range []any{map[string]int{"a": 1}, map[int]string{1: "a"}, map[string][]int{"a": {1}}} {
		_, err := testSession(t).Post(srv.URL, Data(v))
		require.ErrorIs(t, err, ErrInvalidBody)
		assert.Contains(t, err.Error(), "map with string keys and string or []string values")
	}
}
