package requests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/testcert"
)

func TestPinSHA256(t *testing.T) {
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: cert})
	other := spkiPin(testcert.NewCA(t).Cert)
	tests := []struct {
		name    string
		opts    []Option
		wantErr error
	}{
		{"leaf pinned", []Option{PinSHA256(spkiPin(cert.Leaf))}, nil},
		{"CA pinned", []Option{PinSHA256(other, spkiPin(ca.Cert))}, nil},
		{"no pin matches", []Option{PinSHA256(other)}, ErrSSL},
		{"pins do not replace verification", []Option{PinSHA256(spkiPin(cert.Leaf)), CABundle(testcert.NewCA(t).CertFile(t))}, ErrSSL},
		{"Verify(false): pins checked on the sent chain", []Option{Verify(false), PinSHA256(spkiPin(cert.Leaf))}, nil},
		{"Verify(false): no pin matches", []Option{Verify(false), PinSHA256(other)}, ErrSSL},
		{"bad pin", []Option{PinSHA256("not base64")}, ErrSSL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t, CABundle(ca.CertFile(t)))
			r, err := s.Get(srv.URL, tt.opts...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "ok", r.Text())
		})
	}
}

// The error names the pins the chain has, so that a mistyped or rotated
// pin can be fixed; and a pinned call never reuses an unpinned connection.
func TestPinnedCallsArePooledApart(t *testing.T) {
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: cert})
	s := testSession(t, CABundle(ca.CertFile(t)))
	_, err := s.Get(srv.URL)
	require.NoError(t, err)
	_, err = s.Get(srv.URL, PinSHA256(spkiPin(testcert.NewCA(t).Cert)))
	require.ErrorIs(t, err, ErrSSL, "the unpinned connection must not serve the pinned call")
	assert.Contains(t, err.Error(), spkiPin(cert.Leaf))
	assert.Contains(t, err.Error(), spkiPin(ca.Cert))
	r, err := s.Get(srv.URL, PinSHA256(spkiPin(ca.Cert)))
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())
	s.Update(PinSHA256("a", "b"))
	assert.Equal(t, []string{"a", "b"}, s.Settings().Pins)
}
