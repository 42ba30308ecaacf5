package requests

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resolver is a lookup hook answering from a script, counting look-ups.
type resolver struct {
	n      atomic.Int64
	answer func(n int64) ([]netip.Addr, error)
}

func (r *resolver) lookup(_ context.Context, _, host string) ([]netip.Addr, error) {
	return r.answer(r.n.Add(1))
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

// listenPort is the port of a listening address.
func listenPort(t *testing.T, addr net.Addr) string {
	_, port, err := net.SplitHostPort(addr.String())
	require.NoError(t, err)
	return port
}

// 1000 calls to one name, from 10 goroutines, over connections the server
// keeps closing: one look-up. Of the name's two addresses the first has no
// server, so each new connection falls through to the second.
func TestDNSCacheLooksUpOnce(t *testing.T) {
	var served atomic.Int64
	srv, conns := listenOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%10 != 0 {
			w.Header().Set("Connection", "keep-alive")
		}
		okHandler(w, r)
	}))
	r := &resolver{answer: func(int64) ([]netip.Addr, error) { return addrs("127.0.0.3", "127.0.0.1"), nil }}
	s := testSession(t, DNSCache(time.Hour))
	s.dns.lookup = r.lookup
	u := "http://api.test:" + listenPort(t, srv.Listener.Addr()) + "/"
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				resp, err := s.Get(u)
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, "ok", resp.Text())
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), r.n.Load())
	assert.Greater(t, conns.Load(), int64(10), "new connections were made, from the cache")
}

// Concurrent look-ups of one name share one question to the resolver.
func TestDNSCacheSharesOneLookUp(t *testing.T) {
	release := make(chan struct{})
	r := &resolver{answer: func(int64) ([]netip.Addr, error) {
		<-release
		return addrs("127.0.0.1"), nil
	}}
	d := &dnsCache{lookup: r.lookup}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			got, err := d.resolve(context.Background(), "api.test", time.Hour)
			assert.NoError(t, err)
			assert.Equal(t, addrs("127.0.0.1"), got)
		})
	}
	// Give a second look-up every chance to start while the first waits;
	// with sharing none does, so this cannot fail on correct code.
	require.Never(t, func() bool { return r.n.Load() > 1 }, 50*time.Millisecond, time.Millisecond)
	close(release)
	wg.Wait()
	assert.Equal(t, int64(1), r.n.Load())
}

// A refresh that fails falls back to the last good answer; with none, the
// failure is the call's.
func TestDNSCacheFallsBackToStale(t *testing.T) {
	fail := errors.New("resolver down")
	r := &resolver{answer: func(n int64) ([]netip.Addr, error) {
		if n == 1 {
			return addrs("127.0.0.1"), nil
		}
		return nil, fail
	}}
	d := &dnsCache{lookup: r.lookup}
	for range 3 {
		got, err := d.resolve(context.Background(), "api.test", time.Nanosecond)
		require.NoError(t, err)
		assert.Equal(t, addrs("127.0.0.1"), got)
	}
	assert.Equal(t, int64(3), r.n.Load(), "each expired answer was refreshed")
	_, err := d.resolve(context.Background(), "other.test", time.Hour)
	require.ErrorIs(t, err, fail)

	srv, _ := listenOn(t, "127.0.0.1:0", okHandler)
	s := testSession(t, DNSCache(time.Hour))
	s.dns.lookup = r.lookup
	_, err = s.Get("http://gone.test:" + listenPort(t, srv.Listener.Addr()))
	require.ErrorIs(t, err, ErrConnection)
	require.ErrorIs(t, err, fail)
}

// With DenyPrivateNetworks, a cached name's addresses are checked as they
// are dialled: a rebinding answer is refused.
func TestDNSCacheWithDenyPrivateNetworks(t *testing.T) {
	srv, _ := listenOn(t, "127.0.0.2:0", okHandler)
	r := &resolver{answer: func(n int64) ([]netip.Addr, error) {
		if n == 1 {
			return addrs("127.0.0.2"), nil
		}
		return addrs("127.0.0.1"), nil
	}}
	s := testSession(t, DNSCache(time.Nanosecond), DenyPrivateNetworks(true), AllowAddresses("127.0.0.2/32"))
	s.dns.lookup = r.lookup
	u := "http://rebind.test:" + listenPort(t, srv.Listener.Addr()) + "/"
	resp, err := s.Get(u)
	require.NoError(t, err)
	assert.Equal(t, "ok", resp.Text())
	_, err = s.Get(u)
	require.ErrorIs(t, err, ErrDeniedAddress)
	assert.Equal(t, int64(2), r.n.Load())
}

func TestDNSCacheOptionErrors(t *testing.T) {
	srv, _ := listenOn(t, "127.0.0.1:0", okHandler)
	_, err := testSession(t, DNSCache(time.Minute), resolve()).Get(srv.URL)
	require.ErrorIs(t, err, ErrSessionOption)
	_, err = testSession(t).Get(srv.URL, DNSCache(time.Minute))
	require.ErrorIs(t, err, ErrSessionOption)
	assert.Equal(t, time.Minute, testSession(t, DNSCache(time.Minute)).Settings().DNSCache)
}

// The cache holds at most dnsCacheMax names, and none for a name whose
// first look-up failed: a Session calling many hosts does not grow it
// without bound.
func TestDNSCacheIsBounded(t *testing.T) {
	r := &resolver{answer: func(int64) ([]netip.Addr, error) { return addrs("127.0.0.1"), nil }}
	d := &dnsCache{lookup: r.lookup}
	for i := range dnsCacheMax + 100 {
		_, err := d.resolve(context.Background(), "h"+strconv.Itoa(i)+".test", time.Hour)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, len(d.names), dnsCacheMax)
	_, err := d.resolve(context.Background(), "h0.test", time.Hour)
	require.NoError(t, err, "an evicted name is looked up again")

	fail := &dnsCache{lookup: func(context.Context, string, string) ([]netip.Addr, error) {
		return nil, errors.New("no such host")
	}}
	_, err = fail.resolve(context.Background(), "gone.test", time.Hour)
	require.Error(t, err)
	assert.Empty(t, fail.names)
}
