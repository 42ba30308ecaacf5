// Package bench compares this library with hand-written net/http and with
// the Go HTTP clients people pick instead, on a loopback server that runs in
// a separate process. Run it with ./run.sh (see README.md).
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-requests/requests/bench/clients"
	"github.com/go-requests/requests/bench/server"
)

// parallel is the number of goroutines of the parallel scenario.
const parallel = 32

// downloadSize is the body of the download scenario.
const downloadSize = 1 << 20

var (
	srv      *server.Proc
	all      []*clients.Client
	inMemory []*clients.Client // the same libraries on an in-memory transport
	data     = clients.NewPayload()
)

func TestMain(m *testing.M) {
	if os.Getenv(server.ChildEnv) != "" {
		server.Main("127.0.0.1:0")
		return
	}
	var err error
	srv, err = server.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, name := range clients.Names() {
		c, err := clients.New(name)
		if err != nil {
			panic(err)
		}
		all = append(all, c)
	}
	inMemory = clients.NewInMemory(clients.InMemory{Body: server.SmallJSON})
	// run.sh numbers its runs; each starts with another client, so that no
	// client always runs first (or last) in a scenario.
	if n, err := strconv.Atoi(os.Getenv("REQUESTS_BENCH_ROUND")); err == nil && n > 0 {
		all = rotate(all, n)
		inMemory = rotate(inMemory, n)
	}
	code := m.Run()
	for _, c := range append(all, inMemory...) {
		c.Close()
	}
	srv.Close()
	os.Exit(code)
}

func rotate(cs []*clients.Client, n int) []*clients.Client {
	k := n % len(cs)
	return append(cs[k:len(cs):len(cs)], cs[:k]...)
}

// run runs body as a sub-benchmark per client, after one warm-up call so
// that a pooled connection is there, as in steady state. It reports how many
// new connections the server accepted per operation.
func run(b *testing.B, warm func(b *testing.B, c *clients.Client), body func(b *testing.B, c *clients.Client)) {
	runOn(b, all, warm, body)
}

func runOn(b *testing.B, cs []*clients.Client, warm func(b *testing.B, c *clients.Client), body func(b *testing.B, c *clients.Client)) {
	for _, c := range cs {
		b.Run("client="+c.Name, func(b *testing.B) {
			b.ReportAllocs()
			warm(b, c)
			before, err := srv.Conns()
			if err != nil {
				b.Fatal(err)
			}
			cpu := cpuTime()
			body(b, c)
			b.StopTimer()
			cpu = cpuTime() - cpu
			after, err := srv.Conns()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(after-before)/float64(b.N), "conns/op")
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system: the
// client's own cost per call, which other load on the machine disturbs far
// less than the wall time of a round trip does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func get(b *testing.B, c *clients.Client, url string, want int) {
	n, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	if n != want {
		b.Fatalf("read %d bytes, want %d", n, want)
	}
}

// BenchmarkGet: sequential GETs of a small JSON body, read in full.
func BenchmarkGet(b *testing.B) {
	url := srv.URL + "/json"
	warm := func(b *testing.B, c *clients.Client) { get(b, c, url, len(server.SmallJSON)) }
	run(b, warm, func(b *testing.B, c *clients.Client) {
		for b.Loop() {
			get(b, c, url, len(server.SmallJSON))
		}
	})
}

// BenchmarkGetParallel: the same GET from 32 goroutines at once.
func BenchmarkGetParallel(b *testing.B) {
	url := srv.URL + "/json"
	procs := runtime.GOMAXPROCS(0)
	// Warm up with the same concurrency, so that the connections 32
	// goroutines need are there before the timer starts.
	warm := func(b *testing.B, c *clients.Client) {
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				for range 4 {
					if n, err := c.Get(url); err != nil || n != len(server.SmallJSON) {
						b.Errorf("read %d bytes: %v", n, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	run(b, warm, func(b *testing.B, c *clients.Client) {
		b.SetParallelism((parallel + procs - 1) / procs)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n, err := c.Get(url)
				if err != nil || n != len(server.SmallJSON) {
					b.Errorf("read %d bytes: %v", n, err)
					return
				}
			}
		})
	})
}

// BenchmarkPostJSON: a ~1 KiB JSON POST whose echo is decoded into a struct.
func BenchmarkPostJSON(b *testing.B) {
	url := srv.URL + "/echo"
	post := func(b *testing.B, c *clients.Client) {
		var out clients.Payload
		if err := c.PostJSON(url, data, &out); err != nil {
			b.Fatal(err)
		}
		if out.ID != data.ID || len(out.Items) != len(data.Items) {
			b.Fatalf("echo decoded to %+v", out)
		}
	}
	run(b, post, func(b *testing.B, c *clients.Client) {
		for b.Loop() {
			post(b, c)
		}
	})
}

// BenchmarkDownload1MiB: a 1 MiB body read in full into memory.
func BenchmarkDownload1MiB(b *testing.B) {
	url := srv.URL + "/bytes?n=" + strconv.Itoa(downloadSize)
	warm := func(b *testing.B, c *clients.Client) { get(b, c, url, downloadSize) }
	run(b, warm, func(b *testing.B, c *clients.Client) {
		b.SetBytes(downloadSize)
		for b.Loop() {
			get(b, c, url, downloadSize)
		}
	})
}

// BenchmarkInMemoryGet: the sequential GET on a transport that answers at
// once in memory, so that only each library's own cost is measured.
func BenchmarkInMemoryGet(b *testing.B) {
	url := clients.InMemoryPrefix + "json"
	warm := func(b *testing.B, c *clients.Client) { get(b, c, url, len(server.SmallJSON)) }
	runOn(b, inMemory, warm, func(b *testing.B, c *clients.Client) {
		for b.Loop() {
			get(b, c, url, len(server.SmallJSON))
		}
	})
}

// BenchmarkInMemoryPostJSON: the JSON POST on the in-memory transport.
func BenchmarkInMemoryPostJSON(b *testing.B) {
	url := clients.InMemoryPrefix + "echo"
	post := func(b *testing.B, c *clients.Client) {
		var out clients.Payload
		if err := c.PostJSON(url, data, &out); err != nil {
			b.Fatal(err)
		}
		if out.ID != data.ID || len(out.Items) != len(data.Items) {
			b.Fatalf("echo decoded to %+v", out)
		}
	}
	runOn(b, inMemory, post, func(b *testing.B, c *clients.Client) {
		for b.Loop() {
			post(b, c)
		}
	})
}

// TestPayloadSize keeps the POST scenario's document near 1 KiB, and
// checks the echo and stream endpoints answer.
func TestPayloadSize(t *testing.T) {
	b, err := json.Marshal(data)
	if err != nil || len(b) < 900 || len(b) > 1200 {
		t.Fatalf("the payload is %d bytes (%v), not about 1 KiB", len(b), err)
	}
	var out clients.Payload
	c := all[0]
	if err := c.PostJSON(srv.URL+"/echo", data, &out); err != nil {
		t.Fatal(err)
	}
	n, err := c.Stream(srv.URL+"/bytes?n=1000", io.Discard)
	if err != nil || n != 1000 {
		t.Fatalf("stream read %d: %v", n, err)
	}
}
