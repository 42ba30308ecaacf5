package requests

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noDial is a DialContext that fails the test if anything is dialled: the
// URLs it guards must be refused before connecting.
func noDial(t *testing.T) (Option, *atomic.Int32) {
	var dials atomic.Int32
	return DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		t.Errorf("dialled %s %s", network, addr)
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError("not dialled in tests")}
	}), &dials
}

// As requests' prepare_url (models.py): an ASCII host may not start with
// "*" or "." (test_invalid_url, test_preparing_bad_url), a Unicode one must
// pass IDNA 2008 with UTS 46 mapping (idna.encode(host, uts46=True)), and
// an empty or over-long label fails as Python's idna codec fails it before
// connecting. All fail with ErrInvalidURL, from Prepare as from Get.
func TestInvalidHostNamesAreRefusedBeforeDialling(t *testing.T) {
	dial, dials := noDial(t)
	s := testSession(t, dial)
	for _, raw := range []string{
		"http://*example.com",
		"http://*.example.com",
		"http://.example.com",
		"http://*",
		"http://.",
		"http://a..example.com/",
		"http://" + strings.Repeat("a", 64) + ".example.com/",
		"http://☃.net/",
		"http://a☃b.example/",
		"http://\U0001F600.example/",
		"https://*example.com:8443/x",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := s.Prepare("GET", raw)
			assert.ErrorIs(t, err, ErrInvalidURL)
			r, err := s.Get(raw)
			assert.Nil(t, r)
			assert.ErrorIs(t, err, ErrInvalidURL)
			var e *Error
			assert.ErrorAs(t, err, &e)
		})
	}
	assert.Zero(t, dials.Load())
}

// requests' test_preparing_url: Unicode hosts are mapped (UTS 46) and
// encoded as IDNA; ASCII hosts, IP literals, localhost and a root dot are
// taken as they are, "xn--" labels included (requests does not decode
// them).
func TestValidHostNamesArePrepared(t *testing.T) {
	s := testSession(t)
	for raw, want := range map[string]string{
		"http://éxample.com":                              "xn--xample-9ua.com",
		"http://ÉXAMPLE.com":                              "xn--xample-9ua.com",
		"http://ジェーピーニック.jp":                              "xn--hckqz9bzb1cyrb.jp",
		"http://straße.de/straße":                         "xn--strae-oqa.de",
		"http://Königsgäßchen.de/":                        "xn--knigsgchen-b4a3dun.de",
		"http://xn--n3h.net/":                             "xn--n3h.net",
		"http://example.com./":                            "example.com.",
		"http://localhost:8080/":                          "localhost:8080",
		"http://127.0.0.1/":                               "127.0.0.1",
		"http://[::1]:8080/":                              "[::1]:8080",
		"http://[fe80::1%25eth0]:8080/":                   "[fe80::1%eth0]:8080",
		"http://a-b.c_d.example/":                         "a-b.c_d.example",
		"http://" + strings.Repeat("a", 63) + ".example/": strings.Repeat("a", 63) + ".example",
	} {
		t.Run(raw, func(t *testing.T) {
			req, err := s.Prepare("GET", raw)
			require.NoError(t, err)
			assert.Equal(t, want, req.URL.Host)
		})
	}
}
