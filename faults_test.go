package requests

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/go-requests/requests/internal/faultkit"
	"github.com/go-requests/requests/internal/testcert"
)

// The fault and attack suite: misbehaving servers and hostile input, each
// on loopback. Every scenario asserts a typed error (or the right success)
// and that its calls end within a generous bound; the runner then checks
// that the scenario left no goroutine and no unreleased call (timer and
// context) behind, and each category that it left no file descriptor.

// A scenario is one fault the library must survive.
type scenario struct {
	name   string
	expect string // the outcome, in a few words
	run    func(t *testing.T)
}

// hangLimit is how long a scenario may run before it is deemed hung; the
// calls themselves are held to the tighter bound of elapsed.
const hangLimit = 60 * time.Second

func TestFaults(t *testing.T) {
	categories := []struct {
		name      string
		scenarios []scenario
	}{
		{"timeouts", timeoutScenarios()},
		{"connection", connectionScenarios()},
		{"protocol", protocolScenarios()},
		{"hostile", hostileScenarios()},
		{"credentials", credentialScenarios()},
		{"input", inputScenarios()},
		{"tls", tlsScenarios()},
		{"http2", h2Scenarios()},
	}
	total := 0
	for _, c := range categories {
		total += len(c.scenarios)
		t.Run(c.name, func(t *testing.T) { runScenarios(t, c.scenarios) })
	}
	t.Logf("%d scenarios", total)
}

func runScenarios(t *testing.T, scenarios []scenario) {
	fds := openDescriptors(t)
	for _, sc := range scenarios {
		leaks := goleak.IgnoreCurrent()
		calls := openCalls.Load()
		t.Run(sc.name, func(t *testing.T) {
			watchdog := time.AfterFunc(hangLimit, func() {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				panic(fmt.Sprintf("scenario %q hung for %v:\n%s", sc.name, hangLimit, buf))
			})
			defer watchdog.Stop()
			sc.run(t)
		})
		// The scenario's servers and Sessions are closed by now.
		if err := goleak.Find(leaks); err != nil {
			t.Errorf("%s: leaked goroutines: %v", sc.name, err)
		}
		assert.Equal(t, calls, openCalls.Load(), "%s: a call was never released", sc.name)
	}
	if fds >= 0 {
		assert.LessOrEqual(t, openDescriptors(t), fds, "file descriptors leaked")
	}
}

// openCalls counts the calls started and not yet released.
var openCalls atomic.Int64

func init() { onCall = func(d int) { openCalls.Add(int64(d)) } }

// openDescriptors counts the process's open sockets and files, or -1
// where that cannot be known. Pipes and anonymous inodes are left out: the
// runtime keeps its own (the netpoller's, and a pool of pipes for splice).
func openDescriptors(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || strings.HasPrefix(target, "pipe:") || strings.HasPrefix(target, "anon_inode:") {
			continue
		}
		n++
	}
	return n
}

// fail runs a call that must fail with want within the bound, and returns
// its error for further checks.
func fail(t *testing.T, want error, call func() (*Response, error)) error {
	t.Helper()
	var r *Response
	var err error
	elapsed(t, func() { r, err = call() })
	require.Error(t, err)
	assert.Nil(t, r)
	assert.ErrorIs(t, err, want)
	var e *Error
	assert.ErrorAs(t, err, &e, "every failure is an *Error")
	return err
}

// succeed runs a call that must succeed within the bound.
func succeed(t *testing.T, call func() (*Response, error)) *Response {
	t.Helper()
	var r *Response
	var err error
	elapsed(t, func() { r, err = call() })
	require.NoError(t, err)
	require.NotNil(t, r)
	return r
}

// raw serves every connection with exactly this response (CRLF line ends).
func raw(t *testing.T, response string) *faultkit.Server {
	return faultkit.Listen(t, faultkit.Respond(faultkit.CRLF(response)))
}

// zeros is an endless, unseekable body source.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// cancelAfter returns a context cancelled d from now: a call blocked in a
// phase that never ends on its own is certain to be in it by then.
func cancelAfter(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tm := time.AfterFunc(d, cancel)
	t.Cleanup(func() { tm.Stop(); cancel() })
	return ctx
}

// quiet holds a connection open without reading a byte, until the test ends.
func quiet(c *faultkit.Conn) { <-c.Done() }

func timeoutScenarios() []scenario {
	short := Timeout(200 * time.Millisecond)
	return []scenario{
		{"stall before headers", "ErrReadTimeout", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.Stall())
			err := fail(t, ErrReadTimeout, func() (*Response, error) { return testSession(t).Get(srv.URL, short) })
			assert.NotErrorIs(t, err, ErrConnection)
		}},
		{"stall mid-body with Content-Length", "ErrReadTimeout", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
			fail(t, ErrReadTimeout, func() (*Response, error) { return testSession(t).Get(srv.URL, short) })
		}},
		{"stall mid-body, chunked", "ErrReadTimeout", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n")))
			fail(t, ErrReadTimeout, func() (*Response, error) { return testSession(t).Get(srv.URL, short) })
		}},
		{"stall mid-body while streaming", "Content nil, JSON reports ErrReadTimeout", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL, short, Stream(true)) })
			defer r.Close()
			elapsed(t, func() { assert.Nil(t, r.Content()) })
			assert.ErrorIs(t, r.JSON(new(any)), ErrReadTimeout)
		}},
		{"steady drip slower in total than the timeout", "success", func(t *testing.T) {
			body := strings.Repeat("x", 12)
			srv := faultkit.Listen(t, faultkit.Drip(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 12\n\n"),
				faultkit.Split([]byte(body), 1), 50*time.Millisecond))
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL, Timeout(400*time.Millisecond)) })
			assert.Equal(t, body, r.Text())
		}},
		{"stalled TLS handshake", "ErrConnectTimeout", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.StallTLSHandshake())
			err := fail(t, ErrConnectTimeout, func() (*Response, error) {
				return testSession(t).Get("https://"+srv.Addr+"/", ConnectTimeout(200*time.Millisecond), ReadTimeout(time.Minute))
			})
			assert.ErrorIs(t, err, ErrConnection)
		}},
		{"stalled dial", "ErrConnectTimeout", func(t *testing.T) {
			addr := fullBacklog(t)
			fail(t, ErrConnectTimeout, func() (*Response, error) { return testSession(t).Get("http://"+addr+"/", short) })
		}},
		{"server stops reading the upload", "ErrReadTimeout", func(t *testing.T) {
			srv := faultkit.Listen(t, quiet)
			fail(t, ErrReadTimeout, func() (*Response, error) {
				return testSession(t).Post(srv.URL, Data(io.Reader(zeros{})), short)
			})
		}},
		{"steady upload slower in total than the timeout", "success", func(t *testing.T) {
			var got atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				got.Store(n)
			}))
			t.Cleanup(srv.Close)
			succeed(t, func() (*Response, error) {
				return testSession(t).Post(srv.URL, Data(io.Reader(&dripReader{chunks: faultkit.Split(make([]byte, 10), 1), pause: 40 * time.Millisecond})),
					Timeout(250*time.Millisecond))
			})
			assert.EqualValues(t, 10, got.Load())
		}},
		{"stalled redirect hop body", "ErrReadTimeout, as in requests, with or without a Retry policy", func(t *testing.T) {
			final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "final") }))
			t.Cleanup(final.Close)
			hop := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 302 Found\nLocation: "+final.URL+"\nContent-Length: 100\n\npartial")))
			fail(t, ErrReadTimeout, func() (*Response, error) { return testSession(t).Get(hop.URL, short) })
			fail(t, ErrReadTimeout, func() (*Response, error) { return testSession(t).Get(hop.URL, short, Retry(RetryPolicy{})) })
		}},
		{"cancel while dialing", "context.Canceled", func(t *testing.T) {
			addr := fullBacklog(t)
			err := fail(t, context.Canceled, func() (*Response, error) {
				return testSession(t).Get("http://"+addr+"/", Context(cancelAfter(t, 100*time.Millisecond)))
			})
			assert.NotErrorIs(t, err, ErrTimeout)
		}},
		{"cancel during the TLS handshake", "context.Canceled", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.StallTLSHandshake())
			fail(t, context.Canceled, func() (*Response, error) {
				return testSession(t).Get("https://"+srv.Addr+"/", Context(cancelAfter(t, 100*time.Millisecond)))
			})
		}},
		{"cancel while waiting for headers", "context.Canceled", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.Stall())
			fail(t, context.Canceled, func() (*Response, error) {
				return testSession(t).Get(srv.URL, Context(cancelAfter(t, 100*time.Millisecond)))
			})
		}},
		{"cancel mid-body", "context.Canceled", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
			fail(t, context.Canceled, func() (*Response, error) {
				return testSession(t).Get(srv.URL, Context(cancelAfter(t, 100*time.Millisecond)))
			})
		}},
		{"cancel mid-stream", "context.Canceled from the body", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
			ctx, cancel := context.WithCancel(context.Background())
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL, Context(ctx), Stream(true)) })
			defer r.Close()
			cancel()
			elapsed(t, func() { assert.Nil(t, r.Content()) })
			assert.ErrorIs(t, r.JSON(new(any)), context.Canceled)
		}},
		{"cancel mid-upload", "context.Canceled", func(t *testing.T) {
			srv := faultkit.Listen(t, quiet)
			fail(t, context.Canceled, func() (*Response, error) {
				return testSession(t).Post(srv.URL, Data(io.Reader(zeros{})), Context(cancelAfter(t, 100*time.Millisecond)))
			})
		}},
		{"cancel between redirect hops", "context.Canceled", func(t *testing.T) {
			stall := faultkit.Listen(t, faultkit.Stall())
			hop := httptest.NewServer(http.RedirectHandler(stall.URL, http.StatusFound))
			t.Cleanup(hop.Close)
			fail(t, context.Canceled, func() (*Response, error) {
				return testSession(t).Get(hop.URL, Context(cancelAfter(t, 100*time.Millisecond)))
			})
		}},
		{"cancel during retry backoff", "context.Canceled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				if _, err := c.ReadRequest(); err != nil {
					return
				}
				io.WriteString(c, faultkit.CRLF("HTTP/1.1 503 Busy\nRetry-After: 30\nContent-Length: 0\n\n"))
				cancel() // the client is about to wait 30s
				c.Hold()
			})
			fail(t, context.Canceled, func() (*Response, error) {
				return testSession(t).Get(srv.URL, Retry(RetryPolicy{}), Context(ctx))
			})
			assert.Equal(t, 1, srv.Accepted())
		}},
		{"caller's deadline while waiting for headers", "ErrTimeout and context.DeadlineExceeded", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.Stall())
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			err := fail(t, ErrTimeout, func() (*Response, error) { return testSession(t).Get(srv.URL, Context(ctx)) })
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, ErrReadTimeout)
		}},
	}
}

// closeAfterFirst answers the first request of a connection and keeps it
// alive, then reads the next request on it and closes without answering:
// a server that dropped an idle keep-alive connection just as it was reused.
// Later connections are answered normally.
func closeAfterFirst() faultkit.Handler {
	var conns atomic.Int64
	ok := faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
	return func(c *faultkit.Conn) {
		first := conns.Add(1) == 1
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		io.WriteString(c, ok)
		if _, err := c.ReadRequest(); err != nil || first {
			return
		}
		io.WriteString(c, ok)
		c.Hold()
	}
}

// resolve maps every host name ending in ".test" to 127.0.0.1, keeping the
// port, so that cross-host rules can be tested on loopback. Any other name
// that is not a loopback address fails to dial: no test leaves loopback,
// not even for a DNS query.
func resolve() Option {
	var d net.Dialer
	return DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		switch ip := net.ParseIP(host); {
		case strings.HasSuffix(host, ".test"):
			addr = net.JoinHostPort("127.0.0.1", port)
		case ip == nil || !ip.IsLoopback():
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "not a test name", Name: host, IsNotFound: true}}
		}
		return d.DialContext(ctx, network, addr)
	})
}

// at returns srv's URL with its address replaced by host and srv's port.
func at(srvURL, host string) string {
	i := strings.LastIndex(srvURL, ":")
	scheme, _, _ := strings.Cut(srvURL, "://")
	return scheme + "://" + host + srvURL[i:]
}

func connectionScenarios() []scenario {
	return []scenario{
		{"connection refused", "ErrConnection with the *net.OpError", func(t *testing.T) {
			addr := closedPort(t)
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get("http://" + addr + "/") })
			var op *net.OpError
			assert.ErrorAs(t, err, &op)
			assert.NotErrorIs(t, err, ErrTimeout)
		}},
		{"name that does not resolve", "ErrConnection with the *net.DNSError", func(t *testing.T) {
			dns := DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
				return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "nowhere.test", IsNotFound: true}}
			})
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t, dns).Get("http://nowhere.test/") })
			var dnsErr *net.DNSError
			assert.ErrorAs(t, err, &dnsErr)
		}},
		{"reset before the response", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.Reset())
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"reset mid-headers", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.ResetAfter("HTTP/1.1 200 OK\r\nContent-Le"))
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"reset mid-body", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.ResetAfter(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"closed without a byte", "ErrConnection", func(t *testing.T) {
			srv := raw(t, "")
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"closed before the request is read", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"idle keep-alive connection closed by the server, GET", "success: replayed on a new connection", func(t *testing.T) {
			srv := faultkit.Listen(t, closeAfterFirst())
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			r := succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Equal(t, "ok", r.Text())
			assert.Equal(t, 2, srv.Accepted())
		}},
		{"idle keep-alive connection closed by the server, POST", "ErrConnection: not replayed", func(t *testing.T) {
			srv := faultkit.Listen(t, closeAfterFirst())
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			fail(t, ErrConnection, func() (*Response, error) { return s.Post(srv.URL, Data("once")) })
			assert.Equal(t, 1, srv.Accepted(), "the POST was not sent again")
		}},
		{"truncated body with Content-Length", "ErrChunkedEncoding with io.ErrUnexpectedEOF", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\n"), []byte("short")))
			err := fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		}},
		{"truncated chunked body without the last chunk", "ErrChunkedEncoding", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"), []byte("5\r\nhello\r\n")))
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"truncated chunked body mid-chunk", "ErrChunkedEncoding", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.CloseMidBody(faultkit.CRLF("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"), []byte("a\r\nhel")))
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"body without a length ends at close", "success with the bytes sent", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\n\nall of it")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "all of it", r.Text())
		}},
	}
}

// gzipped returns data gzip-compressed, n times over.
func gzipped(t *testing.T, data []byte, n int) []byte {
	for range n {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, err := w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		data = b.Bytes()
	}
	return data
}

// bomb is a gzip body that inflates to size zero bytes.
func bomb(t *testing.T, size int64) []byte {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	require.NoError(t, err)
	_, err = io.CopyN(w, zeros{}, size)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

// respondBytes serves every connection the header (CRLF line ends) and
// then body, as they are.
func respondBytes(t *testing.T, header string, body []byte) *faultkit.Server {
	return faultkit.Listen(t, faultkit.Respond(faultkit.CRLF(header)+string(body)))
}

func protocolScenarios() []scenario {
	refused := func(response string) func(t *testing.T) {
		return func(t *testing.T) {
			srv := raw(t, response)
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}
	}
	chunked := "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"
	return []scenario{
		{"garbage status line", "ErrConnection", refused("HELLO WORLD\n\n")},
		{"status code out of range", "ErrConnection", refused("HTTP/1.1 2000 OK\nContent-Length: 0\n\n")},
		{"status code not a number", "ErrConnection", refused("HTTP/1.1 abc OK\nContent-Length: 0\n\n")},
		{"malformed protocol version", "ErrConnection", refused("http/1.1 200 OK\nContent-Length: 0\n\n")},
		{"negative status code", "ErrConnection", refused("HTTP/1.1 -200 OK\nContent-Length: 0\n\n")},
		{"status line without a reason", "success, the reason from the code", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 404\nContent-Length: 0\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, 404, r.StatusCode)
			assert.Equal(t, "Not Found", r.Reason)
		}},
		{"conflicting Content-Length", "ErrConnection", refused("HTTP/1.1 200 OK\nContent-Length: 5\nContent-Length: 6\n\nhello!")},
		{"negative Content-Length", "ErrConnection", refused("HTTP/1.1 200 OK\nContent-Length: -5\n\nhello")},
		{"Content-Length not a number", "ErrConnection", refused("HTTP/1.1 200 OK\nContent-Length: 5x\n\nhello")},
		{"unsupported Transfer-Encoding", "ErrConnection", refused("HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked\n\n0\n\n")},
		{"Transfer-Encoding identity", "ErrConnection", refused("HTTP/1.1 200 OK\nTransfer-Encoding: identity\n\nabc")},
		{"Transfer-Encoding chunked twice", "ErrConnection", refused("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n0\n\n")},
		{"Transfer-Encoding with Content-Length", "success: chunked framing wins, nothing smuggled", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "hello", r.Text())
		}},
		{"chunk size not hex", "ErrChunkedEncoding", func(t *testing.T) {
			srv := raw(t, chunked+"zz\nhello\n0\n\n")
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"chunk size overflow", "ErrChunkedEncoding", func(t *testing.T) {
			srv := raw(t, chunked+"fffffffffffffffffff\nhello\n0\n\n")
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"chunk longer than its size", "ErrChunkedEncoding", func(t *testing.T) {
			srv := raw(t, chunked+"3\nhello\n0\n\n")
			fail(t, ErrChunkedEncoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"header flood past 1 MiB", "ErrConnection, without reading it all", func(t *testing.T) {
			flood := strings.Repeat("X-Flood: "+strings.Repeat("a", 100)+"\r\n", 20000) // 2.2 MB
			srv := faultkit.Listen(t, faultkit.Respond("HTTP/1.1 200 OK\r\n"+flood+"Content-Length: 0\r\n\r\n"))
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Contains(t, err.Error(), "exceeded")
		}},
		{"one endless header line", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				if _, err := c.ReadRequest(); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Long: ")
				io.Copy(c, io.LimitReader(strings.NewReader(strings.Repeat("a", 4<<20)), 4<<20))
			})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"1xx flood past 1 MiB", "ErrConnection", func(t *testing.T) {
			// The header limit counts the informational responses too.
			hint := "HTTP/1.1 103 Early Hints\r\nLink: <" + strings.Repeat("a", 1000) + ">\r\n\r\n"
			srv := faultkit.Listen(t, faultkit.Respond(strings.Repeat(hint, 2000)+"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
			err := fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Contains(t, err.Error(), "exceeded")
		}},
		{"fifty 1xx, then the answer", "success", func(t *testing.T) {
			srv := raw(t, strings.Repeat("HTTP/1.1 103 Early Hints\nLink: </a>\n\n", 50)+"HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "ok", r.Text())
		}},
		{"HEAD answered with a Content-Length", "success, empty body, connection reused", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				for {
					if _, err := c.ReadRequest(); err != nil {
						return
					}
					io.WriteString(c, faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 1000\nContent-Encoding: gzip\n\n"))
				}
			})
			s := testSession(t)
			for range 3 {
				r := succeed(t, func() (*Response, error) { return s.Head(srv.URL) })
				assert.Empty(t, r.Content())
			}
			assert.Equal(t, 1, srv.Accepted())
		}},
		{"204 with a body", "success, empty body; the stray bytes never pass for the next answer", desyncAfter("HTTP/1.1 204 No Content\nContent-Length: 5\n\n", 204)},
		{"chunked 204 with a body", "success, empty body; the stray bytes never pass for the next answer", desyncAfter("HTTP/1.1 204 No Content\nTransfer-Encoding: chunked\n\n", 204)},
		{"chunked 304 with a body", "success, empty body; the stray bytes never pass for the next answer", desyncAfter("HTTP/1.1 304 Not Modified\nTransfer-Encoding: chunked\n\n", 304)},
		{"101 Switching Protocols nobody asked for", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 101 Switching Protocols\nUpgrade: x\nConnection: Upgrade\n\nendless")))
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"304 with a Content-Length", "success, empty body", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 304 Not Modified\nContent-Length: 100\nContent-Encoding: br\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, 304, r.StatusCode)
			assert.Empty(t, r.Content())
		}},
		{"NUL in a header value", "ErrConnection", refused("HTTP/1.1 200 OK\nX-A: a\x00b\nContent-Length: 0\n\n")},
		{"header line without a colon", "ErrConnection", refused("HTTP/1.1 200 OK\nX-A a\nContent-Length: 0\n\n")},
		{"control byte in a header name", "ErrConnection", refused("HTTP/1.1 200 OK\nX\x01A: b\nContent-Length: 0\n\n")},
		{"bare CR in a header value", "ErrConnection", refused("HTTP/1.1 200 OK\nX-A: b\rc\nContent-Length: 0\n\n")},
		{"headers never end", "ErrConnection", refused("HTTP/1.1 200 OK\nContent-Length: 0\n")},
		{"unknown Content-Encoding", "ErrContentDecoding", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Encoding: compress\nContent-Length: 2\n\nab")
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"corrupt gzip", "ErrContentDecoding", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: 8\n\nnot gzip")
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"truncated gzip", "ErrContentDecoding", func(t *testing.T) {
			z := gzipped(t, []byte(strings.Repeat("hello ", 100)), 1)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: %d\n\n", len(z)/2), z[:len(z)/2])
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"five stacked codings", "success", func(t *testing.T) {
			z := gzipped(t, []byte("deep"), 5)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip, gzip, gzip, gzip, gzip\nContent-Length: %d\n\n", len(z)), z)
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, "deep", r.Text())
		}},
		{"six stacked codings", "ErrContentDecoding", func(t *testing.T) {
			z := gzipped(t, []byte("deep"), 6)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip, gzip, gzip\nContent-Encoding: gzip, gzip, gzip\nContent-Length: %d\n\n", len(z)), z)
			fail(t, ErrContentDecoding, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
	}
}

// endless answers with header and then an endless body, until the client
// goes away or the test ends.
func endless(header string) faultkit.Handler {
	chunk := bytes.Repeat([]byte("z"), 32<<10)
	return func(c *faultkit.Conn) {
		if _, err := c.ReadRequest(); err != nil {
			return
		}
		if _, err := io.WriteString(c, faultkit.CRLF(header)); err != nil {
			return
		}
		for {
			select {
			case <-c.Done():
				return
			default:
			}
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

// bombs are gzip bodies of zeros, made once: gzip members may follow one
// another, so a member holding 1 MiB of zeros, repeated, inflates without
// limit while costing one small compression.
var bombs = struct {
	once   sync.Once
	single []byte // gzip: 64 MiB of zeros in about 64 KiB
	double []byte // gzip, gzip: the same in a few hundred bytes
	huge   []byte // gzip: 1 GiB of zeros in about 1 MiB
}{}

func gzipBombs(t *testing.T) (single, double, huge []byte) {
	bombs.once.Do(func() {
		member := bomb(t, 1<<20)
		bombs.single = bytes.Repeat(member, 64)
		bombs.double = gzipped(t, bombs.single, 1)
		bombs.huge = bytes.Repeat(member, 1024)
	})
	return bombs.single, bombs.double, bombs.huge
}

// countingBody counts the bytes read from it.
type countingBody struct {
	r io.Reader
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error { return nil }

func hostileScenarios() []scenario {
	return []scenario{
		{"redirect loop", "ErrTooManyRedirects after MaxRedirects hops", func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Redirect(w, r, "/", http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			fail(t, ErrTooManyRedirects, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxRedirects(10)) })
			assert.EqualValues(t, 11, hits.Load())
		}},
		{"redirect to file:", "ErrInvalidSchema, nothing read", func(t *testing.T) {
			srv := httptest.NewServer(http.RedirectHandler("file:///etc/passwd", http.StatusFound))
			t.Cleanup(srv.Close)
			fail(t, ErrInvalidSchema, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"redirect to other schemes", "ErrInvalidSchema", func(t *testing.T) {
			for _, loc := range []string{"ftp://127.0.0.1/", "gopher://127.0.0.1:70/", "data:text/plain,hi", "javascript:alert(1)", "ws://127.0.0.1/"} {
				srv := httptest.NewServer(http.RedirectHandler(loc, http.StatusFound))
				t.Cleanup(srv.Close)
				fail(t, ErrInvalidSchema, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			}
		}},
		{"redirect without a host", "ErrInvalidURL", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 302 Found\nLocation: http:///nohost\nContent-Length: 0\n\n")
			fail(t, ErrInvalidURL, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"305 Use Proxy", "not followed: the 305 is returned", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 305 Use Proxy\nLocation: http://127.0.0.1:1/\nContent-Length: 0\n\n")
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			assert.Equal(t, 305, r.StatusCode)
			assert.Empty(t, r.History)
		}},
		{"gzip bomb", "ErrBodyTooLarge under MaxBodySize", func(t *testing.T) {
			single, _, _ := gzipBombs(t)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: %d\n\n", len(single)), single)
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(1<<20)) })
		}},
		{"nested gzip bomb", "ErrBodyTooLarge under MaxBodySize", func(t *testing.T) {
			_, double, _ := gzipBombs(t)
			srv := respondBytes(t, fmt.Sprintf("HTTP/1.1 200 OK\nContent-Encoding: gzip, gzip\nContent-Length: %d\n\n", len(double)), double)
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(1<<20)) })
		}},
		{"gzip bomb in a redirect hop", "success: the hop is drained raw (64 KiB at most), never inflated", func(t *testing.T) {
			final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "landed") }))
			t.Cleanup(final.Close)
			_, double, huge := gzipBombs(t)
			for _, b := range [][]byte{double, huge} {
				hop := respondBytes(t, fmt.Sprintf("HTTP/1.1 302 Found\nLocation: %s\nContent-Encoding: gzip\nContent-Length: %d\n\n", final.URL, len(b)), b)
				r := succeed(t, func() (*Response, error) { return testSession(t).Get(hop.URL, MaxBodySize(1<<20)) })
				assert.Equal(t, "landed", r.Text())
			}
			// What the drain reads, exactly: raw bytes, at most drainLimit.
			body := &countingBody{r: bytes.NewReader(huge)}
			hop := &Response{StatusCode: 302, Request: &http.Request{Method: "GET"}, call: newCall(&config{}),
				raw: &http.Response{Header: http.Header{"Content-Encoding": {"gzip"}}, Body: body}}
			hop.discard()
			hop.call.release()
			assert.EqualValues(t, drainLimit, body.n)
		}},
		{"endless body in a redirect hop", "success: 64 KiB drained, the connection dropped", func(t *testing.T) {
			final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "landed") }))
			t.Cleanup(final.Close)
			hop := faultkit.Listen(t, endless("HTTP/1.1 302 Found\nLocation: "+final.URL+"\nTransfer-Encoding: chunked\n\n"))
			// The endless bytes are not valid chunks; a hop without framing:
			hop2 := faultkit.Listen(t, endless("HTTP/1.1 302 Found\nLocation: "+final.URL+"\n\n"))
			for _, h := range []*faultkit.Server{hop, hop2} {
				r := succeed(t, func() (*Response, error) { return testSession(t).Get(h.URL) })
				assert.Equal(t, "landed", r.Text())
			}
		}},
		{"endless body", "ErrBodyTooLarge under MaxBodySize", func(t *testing.T) {
			srv := faultkit.Listen(t, endless("HTTP/1.1 200 OK\n\n"))
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(4<<20)) })
		}},
		{"endless body, streamed and closed early", "Close returns at once", func(t *testing.T) {
			srv := faultkit.Listen(t, endless("HTTP/1.1 200 OK\n\n"))
			r := succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL, Stream(true)) })
			elapsed(t, func() { assert.NoError(t, r.Close()) })
		}},
		{"announced body over MaxBodySize", "ErrBodyTooLarge before reading it", func(t *testing.T) {
			srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 10000000000\n\n")))
			fail(t, ErrBodyTooLarge, func() (*Response, error) { return testSession(t).Get(srv.URL, MaxBodySize(1<<20)) })
		}},
		{"absurd Retry-After", "ErrRetry at once, no wait", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 503 Busy\nRetry-After: 999999999999\nContent-Length: 0\n\n")
			err := fail(t, ErrRetry, func() (*Response, error) { return testSession(t).Get(srv.URL, Retry(RetryPolicy{})) })
			var re *RetryError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, 1, re.Attempts)
			assert.Equal(t, 1, srv.Accepted())
		}},
		{"Retry-After far in the future as a date", "ErrRetry at once, no wait", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 429 Slow Down\nRetry-After: Fri, 31 Dec 9999 23:59:59 GMT\nContent-Length: 0\n\n")
			fail(t, ErrRetry, func() (*Response, error) { return testSession(t).Get(srv.URL, Retry(RetryPolicy{})) })
		}},
		{"super-cookie for a public suffix", "rejected by the jar", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nSet-Cookie: super=1; Domain=test\nSet-Cookie: site=1; Domain=site.test\nContent-Length: 0\n\n")
			s := testSession(t, resolve())
			succeed(t, func() (*Response, error) { return s.Get(at(srv.URL, "a.site.test")) })
			other, _ := url.Parse(at(srv.URL, "b.other.test"))
			assert.Empty(t, s.Jar().Cookies(other))
			sibling, _ := url.Parse(at(srv.URL, "c.site.test"))
			assert.Equal(t, []string{"site"}, cookieNames(s.Jar().Cookies(sibling)), "a cookie for the site itself is kept")
		}},
		{"cross-domain Set-Cookie", "ignored", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nSet-Cookie: evil=1; Domain=b.test\nContent-Length: 0\n\n")
			s := testSession(t, resolve())
			succeed(t, func() (*Response, error) { return s.Get(at(srv.URL, "a.test")) })
			for _, host := range []string{"a.test", "b.test"} {
				u, _ := url.Parse(at(srv.URL, host))
				assert.Empty(t, s.Jar().Cookies(u), host)
			}
		}},
		{"Set-Cookie flood", "at most MaxSetCookies stored", func(t *testing.T) {
			var b strings.Builder
			b.WriteString("HTTP/1.1 200 OK\r\n")
			for i := range 1000 {
				fmt.Fprintf(&b, "Set-Cookie: c%d=%d\r\n", i, i)
			}
			b.WriteString("Content-Length: 0\r\n\r\n")
			srv := faultkit.Listen(t, faultkit.Respond(b.String()))
			s := testSession(t)
			r := succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Len(t, r.Cookies(), 1000, "the response still shows them all")
			u, _ := url.Parse(srv.URL)
			names := cookieNames(s.Jar().Cookies(u))
			assert.Len(t, names, MaxSetCookies)
			assert.Contains(t, names, "c0")
			assert.NotContains(t, names, "c50")
		}},
		{"307 answered before the upload was read", "success: the seekable body is replayed whole", func(t *testing.T) {
			var got atomic.Int64
			final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				got.Store(n)
			}))
			t.Cleanup(final.Close)
			early := faultkit.Listen(t, func(c *faultkit.Conn) {
				req, err := http.ReadRequest(c.Reader()) // headers only: the body stays unread
				if err != nil {
					return
				}
				_ = req
				io.WriteString(c, faultkit.CRLF("HTTP/1.1 307 Temporary Redirect\nLocation: "+final.URL+"\nContent-Length: 0\nConnection: close\n\n"))
			})
			body := bytes.Repeat([]byte("u"), 8<<20)
			succeed(t, func() (*Response, error) { return testSession(t).Post(early.URL, Data(bytes.NewReader(body))) })
			assert.EqualValues(t, len(body), got.Load())
		}},
	}
}

func cookieNames(cs []*http.Cookie) []string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

// headerLog records the headers of every request a handler got, by path.
type headerLog struct {
	mu   sync.Mutex
	seen map[string]http.Header
}

func (l *headerLog) wrap(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		if l.seen == nil {
			l.seen = map[string]http.Header{}
		}
		l.seen[r.URL.Path] = r.Header.Clone()
		l.mu.Unlock()
		h(w, r)
	})
}

func (l *headerLog) at(path string) http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[path]
}

// credentials are the options that send credentials in a redirect test.
var credentials = []Option{
	BasicAuth("user", "pass"),
	Cookies{"session": "secret"},
	Headers{"Proxy-Authorization": "Basic cHJveHk6c2VjcmV0"},
}

// assertNoCredentials checks that none of the credentials arrived.
func assertNoCredentials(t *testing.T, h http.Header, where string) {
	t.Helper()
	require.NotNil(t, h, "%s was not reached", where)
	for _, k := range []string{"Authorization", "Cookie", "Proxy-Authorization", "Referer"} {
		assert.Empty(t, h.Get(k), "%s got %s", where, k)
	}
}

// redirectTo is a handler that redirects to target with status 302.
func redirectTo(target *string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, *target, http.StatusFound) }
}

func credentialScenarios() []scenario {
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	return []scenario{
		{"same host keeps credentials", "Authorization and Cookie sent on every hop", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&target)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = at(srv.URL, "a.test") + "/end"
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			end := log.at("/end")
			assert.NotEmpty(t, end.Get("Authorization"))
			assert.Equal(t, "session=secret", end.Get("Cookie"))
			assert.Empty(t, end.Get("Referer"))
		}},
		{"other host, and back (a -> b -> a)", "all credentials dropped on b and still dropped back on a; no Referer", func(t *testing.T) {
			var log headerLog
			var toB, toA string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&toB)))
			mux.Handle("/bounce", log.wrap(redirectTo(&toA)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			toB, toA = at(srv.URL, "b.test")+"/bounce", at(srv.URL, "a.test")+"/end"
			r := succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			assert.Len(t, r.History, 2)
			assert.NotEmpty(t, log.at("/start").Get("Authorization"))
			assertNoCredentials(t, log.at("/bounce"), "b")
			assertNoCredentials(t, log.at("/end"), "a, after b")
		}},
		{"subdomain", "credentials dropped (net/http would keep them)", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&target)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = at(srv.URL, "api.a.test") + "/end"
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			assertNoCredentials(t, log.at("/end"), "the subdomain")
		}},
		{"other port on the same host", "credentials dropped", func(t *testing.T) {
			var log headerLog
			other := httptest.NewServer(log.wrap(ok))
			t.Cleanup(other.Close)
			target := at(other.URL, "a.test") + "/end"
			srv := httptest.NewServer(redirectTo(&target))
			t.Cleanup(srv.Close)
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve()).Get(at(srv.URL, "a.test")+"/start", credentials...)
			})
			assertNoCredentials(t, log.at("/end"), "the other port")
		}},
		{"https to http on the same host", "credentials dropped", func(t *testing.T) {
			var log headerLog
			plain := httptest.NewServer(log.wrap(ok))
			t.Cleanup(plain.Close)
			target := at(plain.URL, "a.test") + "/end"
			ca := testcert.NewCA(t)
			secure := testcert.StartTLSServer(t, redirectTo(&target), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{DNSNames: []string{"a.test"}})})
			succeed(t, func() (*Response, error) {
				return testSession(t, resolve(), CABundle(ca.CertFile(t))).Get(at(secure.URL, "a.test")+"/start", credentials...)
			})
			assertNoCredentials(t, log.at("/end"), "the http downgrade")
		}},
		{"Location with user:password@", "the URL's credentials are not sent", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(redirectTo(&target)))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = strings.Replace(at(srv.URL, "b.test"), "://", "://mallory:stolen@", 1) + "/end"
			succeed(t, func() (*Response, error) { return testSession(t, resolve()).Get(at(srv.URL, "a.test") + "/start") })
			assertNoCredentials(t, log.at("/end"), "the target")
		}},
		{"jar cookies on a cross-host redirect", "sent only where the jar's domain rules allow", func(t *testing.T) {
			var log headerLog
			var target string
			mux := http.NewServeMux()
			mux.Handle("/start", log.wrap(func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "host", Value: "a"})
				redirectTo(&target)(w, r)
			}))
			mux.Handle("/end", log.wrap(ok))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			target = at(srv.URL, "b.test") + "/end"
			succeed(t, func() (*Response, error) { return testSession(t, resolve()).Get(at(srv.URL, "a.test") + "/start") })
			assertNoCredentials(t, log.at("/end"), "b")
		}},
		{"Proxy-Authorization for a tunnel, across retries", "on every CONNECT, never through the tunnel", func(t *testing.T) {
			var mu sync.Mutex
			var connects, atOrigin []string
			var hits atomic.Int64
			ca := testcert.NewCA(t)
			origin := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				atOrigin = append(atOrigin, r.Header.Get("Proxy-Authorization"))
				mu.Unlock()
				if hits.Add(1) == 1 {
					w.Header().Set("Connection", "close") // the retry needs a new tunnel
					w.WriteHeader(503)
					return
				}
				io.WriteString(w, "ok")
			}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{})})
			proxy := connectProxy(t, func(h http.Header) {
				mu.Lock()
				connects = append(connects, h.Get("Proxy-Authorization"))
				mu.Unlock()
			})
			r := succeed(t, func() (*Response, error) {
				return testSession(t, CABundle(ca.CertFile(t)), Proxies{"https": proxy.URL}).Get(origin.URL,
					Headers{"Proxy-Authorization": "Basic cHJveHk6c2VjcmV0"}, Retry(RetryPolicy{StatusForcelist: []int{503}}))
			})
			assert.Equal(t, 1, r.Retries)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"Basic cHJveHk6c2VjcmV0", "Basic cHJveHk6c2VjcmV0"}, connects)
			assert.Equal(t, []string{"", ""}, atOrigin)
		}},
		{"passwords from URLs in error messages", "masked on every error path", func(t *testing.T) {
			const pw = "s3cr3t-pw"
			s := testSession(t, resolve())
			gone := closedPort(t)
			redirect := func(loc string) string {
				srv := httptest.NewServer(http.RedirectHandler(loc, http.StatusFound))
				t.Cleanup(srv.Close)
				return srv.URL
			}
			notFound := httptest.NewServer(http.NotFoundHandler())
			t.Cleanup(notFound.Close)
			stall := faultkit.Listen(t, faultkit.Stall())
			mountFails := "http://user:" + pw + "@mounted.test/"
			s.Mount(mountFails, roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("cannot reach %s", mountFails) // a careless RoundTripper
			}))
			cases := map[string]func() error{
				"refused": func() error { _, err := s.Get("http://user:" + pw + "@" + gone + "/"); return err },
				"name":    func() error { _, err := s.Get("http://user:" + pw + "@nowhere.invalid/"); return err },
				"bad escape": func() error {
					_, err := s.Get("http://user:" + pw + "@127.0.0.1/%zz")
					return err
				},
				"bad port":     func() error { _, err := s.Get("http://user:" + pw + "@127.0.0.1:99999999/"); return err },
				"wrong scheme": func() error { _, err := s.Get("ftp://user:" + pw + "@127.0.0.1/"); return err },
				"no scheme":    func() error { _, err := s.Get("//user:" + pw + "@127.0.0.1/"); return err },
				"read timeout": func() error {
					_, err := s.Get(strings.Replace(stall.URL, "://", "://user:"+pw+"@", 1), Timeout(50*time.Millisecond))
					return err
				},
				"mounted": func() error {
					_, err := s.Get(mountFails)
					assert.ErrorContains(t, err, "cannot reach http://user:xxxxx@mounted.test/")
					return err
				},
				"redirect, no host": func() error { _, err := s.Get(redirect("http://user:" + pw + "@/x")); return err },
				"redirect, bad escape": func() error {
					_, err := s.Get(redirect("http://user:" + pw + "@127.0.0.1/%zz"))
					return err
				},
				"redirect, refused": func() error { _, err := s.Get(redirect("http://user:" + pw + "@" + gone + "/")); return err },
				"HTTPError": func() error {
					r, err := s.Get(strings.Replace(notFound.URL, "://", "://user:"+pw+"@", 1))
					require.NoError(t, err)
					return r.Raise()
				},
				"retries exhausted": func() error {
					_, err := s.Get(strings.Replace(notFound.URL, "://", "://user:"+pw+"@", 1), Retry(RetryPolicy{Total: 1, StatusForcelist: []int{404}}))
					return err
				},
				"proxy URL": func() error {
					_, err := s.Get("http://a.test/", Proxies{"http": "http://user:" + pw + "@[::1"})
					return err
				},
				"proxy refused": func() error {
					_, err := s.Get("http://a.test/", Proxies{"http": "http://user:" + pw + "@" + gone})
					return err
				},
			}
			for name, f := range cases {
				var err error
				elapsed(t, func() { err = f() })
				require.Error(t, err, name)
				assert.NotContains(t, err.Error(), pw, name)
				assert.NotContains(t, fmt.Sprintf("%+v", err), pw, name)
			}
		}},
	}
}

func inputScenarios() []scenario {
	// refused checks that a call is refused with want before anything
	// reaches the server: not even a connection is made.
	refused := func(want error, method, path string, opts ...Option) func(*testing.T) {
		return func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 0\n\n")
			fail(t, want, func() (*Response, error) { return testSession(t).Do(method, srv.URL+path, opts...) })
			assert.Zero(t, srv.Accepted(), "nothing may reach the server")
		}
	}
	return []scenario{
		{"CRLF in a header value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X-A": "a\r\nX-Injected: 1"})},
		{"LF in a header value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X-A": "a\nX-Injected: 1"})},
		{"NUL in a header value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X-A": "a\x00b"})},
		{"CR in a header name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X\rA": "v"})},
		{"space in a header name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"X A": "v"})},
		{"empty header name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"": "v"})},
		{"CRLF in a Host header", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Headers{"Host": "a\r\nX: y"})},
		{"CRLF in a cookie value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Cookies{"a": "b\r\nX: y"})},
		{"NUL in a cookie name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Cookies{"a\x00": "b"})},
		{"semicolon in a cookie value", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", Cookies{"a": "b; admin=1"})},
		{"CRLF in a basic-auth user name", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", BasicAuth("u\r\nX: y", "p"))},
		{"NUL in a basic-auth password", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", BasicAuth("u", "p\x00"))},
		{"CRLF in a bearer token", "ErrInvalidHeader, nothing sent", refused(ErrInvalidHeader, "GET", "/", BearerAuth("t\r\nX: y"))},
		{"NUL in a method", "ErrInvalidMethod, nothing sent", refused(ErrInvalidMethod, "GE\x00T", "/")},
		{"CRLF in a method", "ErrInvalidMethod, nothing sent", refused(ErrInvalidMethod, "GET /x HTTP/1.1\r\nX:", "/")},
		{"space in a method", "ErrInvalidMethod, nothing sent", refused(ErrInvalidMethod, "GE T", "/")},
		{"CRLF in a URL path", "ErrInvalidURL, nothing sent", refused(ErrInvalidURL, "GET", "/a\r\nX-Injected: 1")},
		{"NUL in a URL path", "ErrInvalidURL, nothing sent", refused(ErrInvalidURL, "GET", "/a\x00b")},
		{"CRLF in the host", "ErrInvalidURL, nothing sent", func(t *testing.T) {
			fail(t, ErrInvalidURL, func() (*Response, error) { return testSession(t).Get("http://127.0.0.1\r\nX-Injected: 1/") })
		}},
		{"space in the host", "ErrInvalidURL, nothing sent", func(t *testing.T) {
			fail(t, ErrInvalidURL, func() (*Response, error) { return testSession(t).Get("http://127.0.0.1 evil/") })
		}},
		{"CRLF in a Session header", "ErrInvalidHeader on every call, nothing sent", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 0\n\n")
			s := testSession(t)
			s.Update(Headers{"User-Agent": "ua\r\nX-Injected: 1"})
			for range 2 {
				fail(t, ErrInvalidHeader, func() (*Response, error) { return s.Get(srv.URL) })
			}
			assert.Zero(t, srv.Accepted())
		}},
		{"CRLF in a prepared request's header", "ErrInvalidHeader from Send, nothing sent", func(t *testing.T) {
			srv := raw(t, "HTTP/1.1 200 OK\nContent-Length: 0\n\n")
			s := testSession(t)
			req, err := s.Prepare("GET", srv.URL)
			require.NoError(t, err)
			req.Header.Set("X-A", "a\r\nX-Injected: 1")
			fail(t, ErrInvalidHeader, func() (*Response, error) { return s.Send(req) })
			assert.Zero(t, srv.Accepted())
		}},
		{"space in a query, from a URL, Send or a redirect", "escaped as %20: the request line stays whole", func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.RequestURI)
				mu.Unlock()
				if r.URL.Path == "/hop" {
					w.Header().Set("Location", "/end?to=a b")
					w.WriteHeader(http.StatusFound)
				}
			}))
			t.Cleanup(srv.Close)
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL + "/?q=a b&x=\"1\"") })
			req, err := http.NewRequest("GET", srv.URL+"/send?q=a b", nil)
			require.NoError(t, err)
			succeed(t, func() (*Response, error) { return s.Send(req) })
			assert.Equal(t, "q=a b", req.URL.RawQuery, "the caller's request is left as it was")
			succeed(t, func() (*Response, error) { return s.Get(srv.URL + "/hop") })
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"/?q=a%20b&x=%221%22", "/send?q=a%20b", "/hop", "/end?to=a%20b"}, got)
		}},
		{"CRLF in params", "escaped, not refused: sent as %0D%0A", func(t *testing.T) {
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.URL.RawQuery }))
			t.Cleanup(srv.Close)
			succeed(t, func() (*Response, error) { return testSession(t).Get(srv.URL, Params{"q\r\n": "a\r\nX-Injected: 1"}) })
			assert.Equal(t, "q%0D%0A=a%0D%0AX-Injected%3A+1", got)
		}},
	}
}

// tlsHandler answers "ok" over TLS.
var tlsHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

func tlsScenarios() []scenario {
	certProblem := func(opts testcert.Options, cause any) func(*testing.T) {
		return func(t *testing.T) {
			ca := testcert.NewCA(t)
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: ca.Server(t, opts)})
			err := fail(t, ErrSSL, func() (*Response, error) { return testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL) })
			assert.ErrorIs(t, err, ErrConnection)
			assert.ErrorAs(t, err, cause)
		}
	}
	return []scenario{
		{"untrusted certificate", "ErrSSL with x509.UnknownAuthorityError", func(t *testing.T) {
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: testcert.NewCA(t).Server(t, testcert.Options{})})
			err := fail(t, ErrSSL, func() (*Response, error) { return testSession(t).Get(srv.URL) })
			var unknown x509.UnknownAuthorityError
			assert.ErrorAs(t, err, &unknown)
		}},
		{"self-signed certificate", "ErrSSL", func(t *testing.T) {
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: testcert.SelfSigned(t, testcert.Options{})})
			fail(t, ErrSSL, func() (*Response, error) { return testSession(t).Get(srv.URL) })
		}},
		{"expired certificate", "ErrSSL with x509.CertificateInvalidError", certProblem(testcert.Options{Expired: true}, new(x509.CertificateInvalidError))},
		{"certificate not yet valid", "ErrSSL with x509.CertificateInvalidError", certProblem(testcert.Options{NotYetValid: true}, new(x509.CertificateInvalidError))},
		{"certificate for another host", "ErrSSL with x509.HostnameError", certProblem(testcert.Options{WrongHost: true}, new(x509.HostnameError))},
		{"plain HTTP on an https URL", "ErrSSL with tls.RecordHeaderError", func(t *testing.T) {
			srv := httptest.NewServer(tlsHandler)
			t.Cleanup(srv.Close)
			err := fail(t, ErrSSL, func() (*Response, error) {
				return testSession(t).Get(strings.Replace(srv.URL, "http:", "https:", 1))
			})
			var rec tls.RecordHeaderError
			assert.ErrorAs(t, err, &rec)
		}},
		{"server hangs up during the handshake", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				b := make([]byte, 1)
				c.Raw().Read(b)
			})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get("https://" + srv.Addr + "/") })
		}},
		{"server speaks only TLS 1.0", "ErrSSL", func(t *testing.T) {
			cert := testcert.NewCA(t).Server(t, testcert.Options{})
			srv := faultkit.TLSListen(t, &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MaxVersion: tls.VersionTLS10}, faultkit.Hold())
			fail(t, ErrSSL, func() (*Response, error) { return testSession(t, Verify(false)).Get(srv.URL) })
		}},
		{"client certificate required, none given", "ErrSSL", func(t *testing.T) {
			ca := testcert.NewCA(t)
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), ClientCA: testcert.NewCA(t)})
			fail(t, ErrSSL, func() (*Response, error) { return testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL) })
		}},
		{"reset during the handshake", "ErrConnection", func(t *testing.T) {
			srv := faultkit.Listen(t, func(c *faultkit.Conn) {
				b := make([]byte, 1)
				if _, err := c.Raw().Read(b); err == nil {
					c.Reset()
				}
			})
			fail(t, ErrConnection, func() (*Response, error) { return testSession(t).Get("https://" + srv.Addr + "/") })
		}},
		{"a Verify(false) connection, then a verified call", "ErrSSL: the insecure connection is never reused", func(t *testing.T) {
			srv, conns := tlsServer(t, testcert.NewCA(t), testcert.Options{}, nil)
			s := testSession(t)
			succeed(t, func() (*Response, error) { return s.Get(srv.URL, Verify(false)) })
			fail(t, ErrSSL, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Equal(t, 1, conns.count())
		}},
		{"client certificate A, then B", "each call presents its own certificate", func(t *testing.T) {
			ca, clients := testcert.NewCA(t), testcert.NewCA(t)
			var mu sync.Mutex
			var seen []string
			srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.TLS.PeerCertificates[0].Subject.CommonName)
				mu.Unlock()
			}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), ClientCA: clients})
			a, b := clients.Client(t, "alice"), clients.Client(t, "bob")
			s := testSession(t, CABundle(ca.CertFile(t)))
			for _, c := range []*testcert.Cert{a, b, a, b} {
				succeed(t, func() (*Response, error) { return s.Get(srv.URL, Cert(c.CertFile, c.KeyFile)) })
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"alice", "bob", "alice", "bob"}, seen)
		}},
	}
}

// connectProxy is an HTTP proxy for tunnels only: it reports each CONNECT
// request's headers to seen, then relays bytes to the target.
func connectProxy(t *testing.T, seen func(http.Header)) *faultkit.Server {
	return faultkit.Listen(t, func(c *faultkit.Conn) {
		req, err := http.ReadRequest(c.Reader())
		if err != nil || req.Method != http.MethodConnect {
			return
		}
		seen(req.Header)
		up, err := net.Dial("tcp", req.Host)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		defer up.Close()
		if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			io.Copy(up, c.Reader())
			up.Close()
			close(done)
		}()
		io.Copy(c, up)
		c.Close()
		<-done
	})
}

// desyncAfter is a scenario where a server follows a bodiless response
// (head) with a whole second response on the same connection: read as the
// answer to the next call on that connection, it would desynchronise every
// call after it. The next call must use a new connection.
func desyncAfter(head string, status int) func(t *testing.T) {
	return func(t *testing.T) {
		srv := faultkit.Listen(t, func(c *faultkit.Conn) {
			if _, err := c.ReadRequest(); err != nil {
				return
			}
			io.WriteString(c, faultkit.CRLF(head+"HTTP/1.1 200 OK\nContent-Length: 8\n\nsmuggled"))
			c.Hold()
		})
		s := testSession(t)
		for range 3 {
			r := succeed(t, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Equal(t, status, r.StatusCode)
			assert.Empty(t, r.Content())
		}
		assert.Equal(t, 3, srv.Accepted(), "a connection with stray bytes is never reused")
	}
}
