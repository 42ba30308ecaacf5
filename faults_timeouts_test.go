package requests

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/go-requests/requests/internal/faultkit"
)

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
