package bench

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/bench/server"
)

// hosts is the number of distinct host names of the many-hosts scenario.
const hosts = 1000

// countedConn counts its Close, so that the connections a Session keeps
// open can be told from the outside.
type countedConn struct {
	net.Conn
	closed *atomic.Int64
	once   atomic.Bool
}

func (c *countedConn) Close() error {
	if c.once.CompareAndSwap(false, true) {
		c.closed.Add(1)
	}
	return c.Conn.Close()
}

// BenchmarkManyHosts: one op is a GET to each of 1000 distinct host names
// (h0.bench.test ... h999.bench.test, all dialled to the loopback server)
// on one Session. It reports the dials per round, the connections left open
// once the round is over (idle in the pool), and the memory (heap and
// goroutine stacks) each of them holds. With the default PoolSize the idle
// connections are bounded by MaxIdleConns (ten pools' worth); with
// PoolSize(100) the bound (1000) lets every host keep one, which is what
// the memory per idle connection is measured on.
func BenchmarkManyHosts(b *testing.B) {
	u, err := url.Parse(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	addr, port := u.Host, u.Port()
	for _, pool := range []int{requests.DefaultPoolSize, 100} {
		b.Run(fmt.Sprintf("pool=%d", pool), func(b *testing.B) {
			var dials, closed atomic.Int64
			dial := requests.DialContext(func(ctx context.Context, network, _ string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				dials.Add(1)
				return &countedConn{Conn: c, closed: &closed}, nil
			})
			before := memInUse()
			s := requests.NewSession(requests.PoolSize(pool), dial)
			defer s.Close()
			urls := make([]string, hosts)
			for i := range urls {
				urls[i] = fmt.Sprintf("http://h%d.bench.test:%s/json", i, port)
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, u := range urls {
					r, err := s.Get(u)
					if err != nil {
						b.Fatal(err)
					}
					if len(r.Content()) != len(server.SmallJSON) {
						b.Fatalf("read %d bytes", len(r.Content()))
					}
				}
			}
			b.StopTimer()
			open := settle(func() int64 { return dials.Load() - closed.Load() })
			b.ReportMetric(float64(dials.Load())/float64(b.N), "dials/op")
			b.ReportMetric(float64(open), "idle-conns")
			if open > 0 {
				b.ReportMetric(float64(memInUse()-before)/float64(open), "B/idle-conn")
			}
		})
	}
}

// settle returns f once it has stopped changing: the Transport closes the
// connections beyond its bounds from their own goroutines.
func settle(f func() int64) int64 {
	last := f()
	for range 100 {
		time.Sleep(10 * time.Millisecond)
		n := f()
		if n == last {
			return n
		}
		last = n
	}
	return last
}

// memInUse is the heap and goroutine stack memory in use after a collection.
func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
