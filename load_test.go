package requests

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/go-requests/requests/internal/testcert"
)

// Load: many goroutines share one Session, each call with its own headers,
// params and timeout, and each must get its own answer back. The server
// counts the connections it is opened, which PoolSize bounds.
const (
	loadWorkers = 64
	loadCalls   = 200 // per worker
	loadPool    = 16
)

// connCount counts a server's connections: those opened in all, and the
// most open at once.
type connCount struct {
	mu                 sync.Mutex
	open, peak, opened int
}

func (c *connCount) track(_ net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateNew:
		c.open++
		c.opened++
		c.peak = max(c.peak, c.open)
	case http.StateClosed, http.StateHijacked:
		c.open--
	}
}

// dial is a DialContext that counts the connections it opens, and their
// closes, from the client's side.
func (c *connCount) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c.track(nil, http.StateNew)
	return &countedConn{Conn: conn, c: c}, nil
}

type countedConn struct {
	net.Conn
	c    *connCount
	once sync.Once
}

func (cc *countedConn) Close() error {
	cc.once.Do(func() { cc.c.track(nil, http.StateClosed) })
	return cc.Conn.Close()
}

func (c *connCount) counts() (peak, opened int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak, c.opened
}

// echoNonce answers with the nonce of the header and of the query.
var echoNonce = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "%s|%s|%s|%d", r.Header.Get("X-Nonce"), r.URL.Query().Get("n"), r.Header.Get("X-Session"), r.ProtoMajor)
})

func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	var h1Conns, h2Conns connCount
	plain := httptest.NewUnstartedServer(echoNonce)
	plain.Config.ConnState = h1Conns.track
	plain.Start()
	t.Cleanup(plain.Close)

	ca := testcert.NewCA(t)
	secure := httptest.NewUnstartedServer(echoNonce)
	secure.Config.ConnState = h2Conns.track
	secure.EnableHTTP2 = true
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server(t, testcert.Options{}).TLS}}
	secure.StartTLS()
	t.Cleanup(secure.Close)

	for _, tt := range []struct {
		name  string
		url   string
		proto int
		conns *connCount
	}{
		{"HTTP/1.1", plain.URL, 1, &h1Conns},
		{"HTTP/2", secure.URL, 2, &h2Conns},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var dialed connCount
			s := testSession(t, PoolSize(loadPool), PoolBlock(true), CABundle(ca.CertFile(t)), Headers{"X-Session": "shared"},
				DialContext(dialed.dial))
			var wg sync.WaitGroup
			var failures atomic.Int64
			for w := range loadWorkers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range loadCalls {
						nonce := strconv.Itoa(w) + "-" + strconv.Itoa(i)
						r, err := s.Get(tt.url, Headers{"X-Nonce": nonce}, Params{"n": nonce}, Timeout(bound))
						if err != nil {
							failures.Add(1)
							t.Errorf("call %s: %v", nonce, err)
							return
						}
						if got, want := r.Text(), nonce+"|"+nonce+"|shared|"+strconv.Itoa(tt.proto); got != want {
							failures.Add(1)
							t.Errorf("call %s got %q, want %q", nonce, got, want)
							return
						}
					}
				}()
			}
			wg.Wait()
			require.Zero(t, failures.Load())
			// Open at once, not opened in all: net/http closes a connection
			// whose request it could not see written within 50ms (a loaded
			// machine) and opens another in its place. Counted where the
			// connections are opened and closed: the server learns of a close
			// only later, and may briefly see the old one and its successor.
			peak, opened := dialed.counts()
			assert.LessOrEqual(t, peak, loadPool, "more connections open than the pool bound")
			assert.Positive(t, peak)
			seenPeak, _ := tt.conns.counts()
			t.Logf("%d calls; at most %d connections open at once (%d as the server saw it), %d opened in all",
				loadWorkers*loadCalls, peak, seenPeak, opened)
		})
	}
}

// Failing calls leave nothing behind: 10,000 refused connections later,
// no goroutine and no descriptor more than before.
func TestManyFailingCallsLeakNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	addr := "http://" + closedPort(t) + "/"
	leaks := goleak.IgnoreCurrent()
	fds := openDescriptors(t)
	calls := openCalls.Load()

	s := NewSession(Retry(RetryPolicy{Total: -1}))
	const total = 10000
	var wg sync.WaitGroup
	var refused atomic.Int64
	for w := range loadWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += loadWorkers {
				_, err := s.Get(addr, Params{"i": strconv.Itoa(i)})
				if assert.ErrorIs(t, err, ErrConnection) {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	s.Close()
	assert.EqualValues(t, total, refused.Load())
	require.NoError(t, goleak.Find(leaks))
	assert.Equal(t, calls, openCalls.Load(), "a call was never released")
	if fds >= 0 {
		assert.LessOrEqual(t, openDescriptors(t), fds, "descriptors leaked")
	}
}
