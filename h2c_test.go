package requests

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// h2cServer speaks HTTP/1.1 and h2c with prior knowledge, and answers with
// the protocol version it got.
func h2cServer(t *testing.T) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d", r.ProtoMajor)
	}))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Config.Protocols = &p
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTP2Cleartext(t *testing.T) {
	srv := h2cServer(t)
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"on", []Option{HTTP2Cleartext(true)}, "2"},
		{"off by default", nil, "1"},
		{"off", []Option{HTTP2Cleartext(false)}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t, tt.opts...)
			for range 3 {
				r, err := s.Get(srv.URL)
				require.NoError(t, err)
				assert.Equal(t, tt.want, r.Text(), "the protocol the server got")
			}
		})
	}
}

// https URLs negotiate as before, whatever HTTP2Cleartext says.
func TestHTTP2CleartextLeavesHTTPSAlone(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d", r.ProtoMajor)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	r, err := testSession(t, HTTP2Cleartext(true), Verify(false)).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "2", r.Text())
	_, err = testSession(t).Get(srv.URL, HTTP2Cleartext(true))
	require.ErrorIs(t, err, ErrSessionOption)
}
