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
