package requests

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/go-requests/requests/internal/faultkit"
	"github.com/go-requests/requests/internal/testcert"
)

// HTTP/2 faults: dead connections found by health-check pings, GOAWAY and
// refused streams. Go's transport replays by itself, for any method, the
// requests a server says it never processed (streams beyond a GOAWAY's
// last stream, REFUSED_STREAM); a request the server may have processed
// fails with ErrConnection, and only the Retry policy sends it again, for
// its allowed methods only.

// fastPings shortens the HTTP/2 health check for the Sessions a test
// creates after calling it.
func fastPings(t *testing.T) {
	after, timeout := h2PingAfter, h2PingTimeout
	h2PingAfter, h2PingTimeout = 100*time.Millisecond, 300*time.Millisecond
	t.Cleanup(func() { h2PingAfter, h2PingTimeout = after, timeout })
}

// freezer relays TCP connections to a backend. Freeze makes the relayed
// connections open so far swallow every byte in both directions while
// staying open: a peer that died without a word. Later connections relay
// normally.
type freezer struct {
	URL string
	ln  net.Listener

	mu     sync.Mutex
	relays []*relay
	wg     sync.WaitGroup
}

type relay struct {
	client, server net.Conn
	frozen         atomic.Bool
	gone           chan struct{} // closed once the client side has closed
}

func newFreezer(t *testing.T, backendURL string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	backend := backendURL[len("https://"):]
	f := &freezer{URL: "https://" + ln.Addr().String(), ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			r := &relay{client: c, server: s, gone: make(chan struct{})}
			f.mu.Lock()
			f.relays = append(f.relays, r)
			f.mu.Unlock()
			f.wg.Add(2)
			go func() {
				defer f.wg.Done()
				r.pipe(s, c)
				close(r.gone)
				s.Close()
			}()
			go func() {
				defer f.wg.Done()
				r.pipe(c, s)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, r := range f.relays {
			r.client.Close()
			r.server.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (r *relay) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if r.frozen.Load() {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// freeze freezes the connections relayed so far and returns them.
func (f *freezer) freeze() []*relay {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.relays {
		r.frozen.Store(true)
	}
	return append([]*relay(nil), f.relays...)
}

func (f *freezer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.relays)
}

// h2Server is one raw HTTP/2 server connection, for faults a real server
// never commits.
type h2Server struct {
	c   *faultkit.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

// h2Listen starts a TLS server speaking only h2 that hands each
// connection, its preface read and settings sent, to serve along with the
// connection's number (1 for the first).
func h2Listen(t *testing.T, cert *testcert.Cert, serve func(h *h2Server, n int64)) *faultkit.Server {
	var conns atomic.Int64
	cfg := &tls.Config{Certificates: []tls.Certificate{cert.TLS}, NextProtos: []string{"h2"}}
	return faultkit.TLSListen(t, cfg, func(c *faultkit.Conn) {
		n := conns.Add(1)
		tc := c.Conn.(*tls.Conn)
		if err := tc.Handshake(); err != nil || tc.ConnectionState().NegotiatedProtocol != "h2" {
			return
		}
		preface := make([]byte, len(http2.ClientPreface))
		if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
			return
		}
		h := &h2Server{c: c, fr: http2.NewFramer(c, c)}
		h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		h.enc = hpack.NewEncoder(&h.buf)
		if h.fr.WriteSettings() != nil {
			return
		}
		serve(h, n)
	})
}

// request reads frames until a request has arrived whole; it returns its
// stream, method and body. With headersOnly it returns at the HEADERS.
func (h *h2Server) request(headersOnly bool) (id uint32, method string, body []byte, err error) {
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			return 0, "", nil, err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				h.fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				h.fr.WritePing(true, f.Data)
			}
		case *http2.MetaHeadersFrame:
			id, method = f.StreamID, f.PseudoValue("method")
			if headersOnly || f.StreamEnded() {
				return id, method, body, nil
			}
		case *http2.DataFrame:
			if f.StreamID != id {
				continue // the rest of a stream already answered or refused
			}
			body = append(body, f.Data()...)
			if f.StreamEnded() {
				return id, method, body, nil
			}
		}
	}
}

// respond answers stream id with 200 and body.
func (h *h2Server) respond(id uint32, body string) error {
	h.buf.Reset()
	h.enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	h.enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(len(body))})
	if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.buf.Bytes(), EndHeaders: true}); err != nil {
		return err
	}
	return h.fr.WriteData(id, true, []byte(body))
}

// serveAll answers every request with "got METHOD BODY" until the
// connection ends.
func (h *h2Server) serveAll() {
	for {
		id, method, body, err := h.request(false)
		if err != nil || h.respond(id, "got "+method+" "+string(body)) != nil {
			return
		}
	}
}

func h2Scenarios() []scenario {
	return []scenario{
		{"idle HTTP/2 connection goes dead", "found by pings and dropped; the next call dials anew", func(t *testing.T) {
			fastPings(t)
			ca := testcert.NewCA(t)
			srv := testcert.StartTLSServer(t, tlsHandler, testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), HTTP2: true})
			f := newFreezer(t, srv.URL)
			s := testSession(t, CABundle(ca.CertFile(t)))
			r := succeed(t, func() (*Response, error) { return s.Get(f.URL) })
			assert.Equal(t, 2, r.raw.ProtoMajor)
			dead := f.freeze()
			require.Len(t, dead, 1)
			select {
			case <-dead[0].gone:
			case <-time.After(bound):
				t.Fatal("the dead connection was never detected")
			}
			r = succeed(t, func() (*Response, error) { return s.Get(f.URL) })
			assert.Equal(t, "ok", r.Text())
			assert.Equal(t, 2, f.count())
		}},
		{"HTTP/2 connection goes dead mid-call", "ErrConnection from the pings, long before the read timeout", func(t *testing.T) {
			fastPings(t)
			ca := testcert.NewCA(t)
			arrived := make(chan struct{}, 1)
			srv := testcert.StartTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				<-r.Context().Done()
			}), testcert.ServerOptions{Cert: ca.Server(t, testcert.Options{}), HTTP2: true})
			f := newFreezer(t, srv.URL)
			s := testSession(t, CABundle(ca.CertFile(t)), ReadTimeout(time.Minute))
			go func() {
				<-arrived
				f.freeze()
			}()
			err := fail(t, ErrConnection, func() (*Response, error) { return s.Get(f.URL) })
			assert.NotErrorIs(t, err, ErrTimeout)
		}},
		{"GOAWAY before the request was processed", "Go replays it on a new connection, POST and body included", func(t *testing.T) {
			ca := testcert.NewCA(t)
			srv := h2Listen(t, ca.Server(t, testcert.Options{}), func(h *h2Server, n int64) {
				if n == 1 {
					if _, _, _, err := h.request(true); err == nil {
						h.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
					}
					return
				}
				h.serveAll()
			})
			r := succeed(t, func() (*Response, error) {
				return testSession(t, CABundle(ca.CertFile(t))).Post(srv.URL, Data("payload"))
			})
			assert.Equal(t, "got POST payload", r.Text())
			assert.Equal(t, 2, srv.Accepted())
		}},
		{"GOAWAY after the request was received", "ErrConnection; the Retry policy replays GET, never POST", func(t *testing.T) {
			ca := testcert.NewCA(t)
			// Every request but the third is taken in, then the connection
			// goes away: the server may have acted on it.
			var requests atomic.Int64
			srv := h2Listen(t, ca.Server(t, testcert.Options{}), func(h *h2Server, n int64) {
				for {
					id, method, body, err := h.request(false)
					if err != nil {
						return
					}
					if requests.Add(1) != 3 {
						h.fr.WriteGoAway(id, http2.ErrCodeNo, nil)
						return
					}
					if h.respond(id, "got "+method+" "+string(body)) != nil {
						return
					}
				}
			})
			s := testSession(t, CABundle(ca.CertFile(t)))
			err := fail(t, ErrConnection, func() (*Response, error) { return s.Get(srv.URL) })
			assert.Contains(t, err.Error(), "GOAWAY")

			r := succeed(t, func() (*Response, error) { return s.Get(srv.URL, Retry(RetryPolicy{})) })
			assert.Equal(t, "got GET ", r.Text())
			assert.Equal(t, 1, r.Retries)

			fail(t, ErrConnection, func() (*Response, error) { return s.Post(srv.URL, Data("once"), Retry(RetryPolicy{})) })
			assert.EqualValues(t, 4, requests.Load(), "the POST was not sent again")
		}},
		{"RST_STREAM REFUSED_STREAM", "Go replays it, POST and body included", func(t *testing.T) {
			ca := testcert.NewCA(t)
			srv := h2Listen(t, ca.Server(t, testcert.Options{}), func(h *h2Server, n int64) {
				if n == 1 {
					id, _, _, err := h.request(true)
					if err != nil {
						return
					}
					h.fr.WriteRSTStream(id, http2.ErrCodeRefusedStream)
				}
				h.serveAll()
			})
			r := succeed(t, func() (*Response, error) {
				return testSession(t, CABundle(ca.CertFile(t))).Post(srv.URL, Data("payload"))
			})
			assert.Equal(t, "got POST payload", r.Text())
		}},
		{"RST_STREAM mid-body", "ErrChunkedEncoding", func(t *testing.T) {
			ca := testcert.NewCA(t)
			srv := h2Listen(t, ca.Server(t, testcert.Options{}), func(h *h2Server, n int64) {
				id, _, _, err := h.request(false)
				if err != nil {
					return
				}
				h.buf.Reset()
				h.enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
				h.enc.WriteField(hpack.HeaderField{Name: "content-length", Value: "100"})
				h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.buf.Bytes(), EndHeaders: true})
				h.fr.WriteData(id, false, []byte("partial"))
				h.fr.WriteRSTStream(id, http2.ErrCodeInternal)
				h.c.Hold()
			})
			err := fail(t, ErrChunkedEncoding, func() (*Response, error) {
				return testSession(t, CABundle(ca.CertFile(t))).Get(srv.URL)
			})
			assert.Contains(t, err.Error(), "INTERNAL_ERROR")
		}},
	}
}
