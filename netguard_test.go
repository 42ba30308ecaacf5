package requests

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The classification alone, on address values: no packet is sent.
func TestPrivateAddressClassification(t *testing.T) {
	tests := []struct {
		addr   string
		denied bool
	}{
		{"127.0.0.1", true}, {"127.1.2.3", true}, {"10.0.0.1", true}, {"172.16.0.1", true},
		{"172.31.255.255", true}, {"192.168.1.1", true}, {"100.64.0.1", true}, {"100.127.255.254", true},
		{"169.254.169.254", true}, {"169.254.0.1", true}, {"224.0.0.1", true}, {"239.255.255.250", true},
		{"0.0.0.0", true}, {"0.1.2.3", true}, {"255.255.255.255", true}, {"240.0.0.1", true},
		{"::1", true}, {"::", true}, {"fc00::1", true}, {"fd12:3456::1", true}, {"fe80::1", true},
		{"febf::1", true}, {"fec0::1", true}, {"ff02::1", true}, {"ff05::2", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:10.1.2.3", true}, {"::ffff:169.254.169.254", true},
		{"64:ff9b::7f00:1", true}, {"64:ff9b::a9fe:a9fe", true}, {"64:ff9b:1::1", true},
		{"2002:7f00:1::1", true}, {"2002:c0a8:101::1", true},
		{"8.8.8.8", false}, {"1.1.1.1", false}, {"172.32.0.1", false}, {"100.128.0.1", false},
		{"192.0.2.1", false}, {"2001:4860:4860::8888", false}, {"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false}, {"2002:808:808::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			assert.Equal(t, tt.denied, isPrivateAddr(netip.MustParseAddr(tt.addr)))
		})
	}
}

// listenOn starts a server on addr ("127.0.0.2:0") counting its
// connections; every response closes its connection, so that each call
// dials again.
func listenOn(t *testing.T, addr string, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	conns := countConns(srv)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, conns
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

func TestDenyPrivateNetworksRefusesLoopback(t *testing.T) {
	srv, conns := listenOn(t, "127.0.0.1:0", okHandler)
	_, err := testSession(t, DenyPrivateNetworks(true)).Get(srv.URL)
	require.ErrorIs(t, err, ErrDeniedAddress)
	assert.NotErrorIs(t, err, ErrConnection)
	assert.Equal(t, int64(0), conns.Load(), "refused before connecting")

	r, err := testSession(t, DenyPrivateNetworks(true), AllowAddresses("127.0.0.1")).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())
}

// Every redirect hop is checked, and a retry does not get past the guard.
func TestDenyPrivateNetworksChecksEveryHop(t *testing.T) {
	denied, deniedConns := listenOn(t, "127.0.0.1:0", okHandler)
	allowed, _ := listenOn(t, "127.0.0.2:0", http.RedirectHandler(denied.URL, http.StatusFound))
	s := testSession(t, DenyPrivateNetworks(true), AllowAddresses("127.0.0.2/32"), Retry(RetryPolicy{Total: 3}))
	_, err := s.Get(allowed.URL)
	require.ErrorIs(t, err, ErrDeniedAddress)
	assert.NotErrorIs(t, err, ErrRetry, "a refusal is not retried")
	denied.Close()
	assert.Equal(t, int64(0), deniedConns.Load())
}

// A name that resolves to an allowed address, then to a denied one (DNS
// rebinding), is refused the second time: the dialled address is checked.
func TestDenyPrivateNetworksDefeatsRebinding(t *testing.T) {
	first, _ := listenOn(t, "127.0.0.2:0", okHandler)
	second, secondConns := listenOn(t, "127.0.0.1:0", okHandler)
	var lookups atomic.Int64
	var d net.Dialer
	rebinding := DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
		if lookups.Add(1) == 1 {
			return d.DialContext(ctx, network, first.Listener.Addr().String())
		}
		return d.DialContext(ctx, network, second.Listener.Addr().String())
	})
	s := testSession(t, rebinding, DenyPrivateNetworks(true), AllowAddresses("127.0.0.2/32"))
	r, err := s.Get("http://rebind.test/")
	require.NoError(t, err)
	assert.Equal(t, "ok", r.Text())
	_, err = s.Get("http://rebind.test/")
	require.ErrorIs(t, err, ErrDeniedAddress)
	assert.Equal(t, int64(2), lookups.Load())
	// The connection was made by the caller's dial function, then closed
	// unused: no request reached the server.
	assert.LessOrEqual(t, secondConns.Load(), int64(1))
}

// Through a proxy the proxy's address is what is dialled, and checked.
func TestDenyPrivateNetworksChecksTheProxy(t *testing.T) {
	proxy, conns := listenOn(t, "127.0.0.1:0", okHandler)
	s := testSession(t, DenyPrivateNetworks(true), AllowAddresses("127.0.0.2"), Proxies{"http": proxy.URL})
	_, err := s.Get("http://127.0.0.2:1/")
	require.ErrorIs(t, err, ErrDeniedAddress)
	proxy.Close()
	assert.Equal(t, int64(0), conns.Load())
}

func TestDenyPrivateNetworksOptionErrors(t *testing.T) {
	srv, _ := listenOn(t, "127.0.0.1:0", okHandler)
	_, err := testSession(t, AllowAddresses("not-an-ip")).Get(srv.URL)
	require.ErrorIs(t, err, ErrInvalidAddress)
	_, err = testSession(t).Get(srv.URL, DenyPrivateNetworks(true))
	require.ErrorIs(t, err, ErrSessionOption)
	st := testSession(t, DenyPrivateNetworks(true), AllowAddresses("127.0.0.2")).Settings()
	assert.True(t, st.DenyPrivateNetworks)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, st.AllowAddresses)
}
