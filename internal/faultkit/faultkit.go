// Package faultkit runs misbehaving servers on 127.0.0.1 for fault tests:
// servers that stall, drip, cut a body short, reset the connection, or never
// finish a TLS handshake.
//
// A Server hands each accepted connection to a Handler in its own goroutine.
// When the test ends the server closes its listener and every open
// connection, closes the channel returned by Done, and waits for all handler
// goroutines to return, so tests that check for leaked goroutines stay clean.
// Handlers that want to hold a connection open must therefore return once
// Done is closed or the connection fails; the ready-made handlers do.
package faultkit

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// handlerWait bounds how long cleanup waits for handlers to return after
// every connection has been closed.
const handlerWait = 10 * time.Second

// Handler serves one accepted connection. The server closes the connection
// when the handler returns.
type Handler func(c *Conn)

// Conn is an accepted connection as seen by a Handler. Reads and writes on
// the embedded net.Conn go through TLS on a server started by TLSListen.
type Conn struct {
	net.Conn
	raw net.Conn
	srv *Server
	br  *bufio.Reader
}

// Raw returns the underlying TCP connection, beneath TLS if any.
func (c *Conn) Raw() net.Conn { return c.raw }

// Done returns a channel that is closed when the test ends (or the server is
// closed). It is the same channel as the server's Done.
func (c *Conn) Done() <-chan struct{} { return c.srv.done }

// Server returns the server that accepted the connection.
func (c *Conn) Server() *Server { return c.srv }

// Reader returns the buffered reader that ReadRequest uses for this
// connection, so that handlers mixing ReadRequest with their own reads see
// every byte exactly once.
func (c *Conn) Reader() *bufio.Reader { return c.br }

// Server is a raw TCP (or TLS) listener on 127.0.0.1 with a Handler.
type Server struct {
	// Addr is the listening address, "127.0.0.1:PORT".
	Addr string
	// URL is "http://127.0.0.1:PORT", or "https://..." for TLSListen.
	URL string

	ln       net.Listener
	handler  Handler
	tlsCfg   *tls.Config
	t        testing.TB
	done     chan struct{}
	accepted atomic.Int64

	mu     sync.Mutex
	closed bool
	conns  map[*Conn]struct{}
	wg     sync.WaitGroup
}

// Listen starts a server on a free port of 127.0.0.1 that runs handler for
// every accepted connection. The server is closed when the test ends.
func Listen(t testing.TB, handler Handler) *Server {
	t.Helper()
	return start(t, nil, handler)
}

// TLSListen is like Listen, but each connection is wrapped in a TLS server
// connection using cfg. The handshake runs lazily on the first read or
// write, or explicitly through the tls.Conn in Conn.Conn; Conn.Raw gives the
// plain TCP connection.
func TLSListen(t testing.TB, cfg *tls.Config, handler Handler) *Server {
	t.Helper()
	if cfg == nil {
		t.Fatalf("faultkit: TLSListen needs a tls.Config")
	}
	return start(t, cfg, handler)
}

func start(t testing.TB, cfg *tls.Config, handler Handler) *Server {
	t.Helper()
	if handler == nil {
		t.Fatalf("faultkit: nil handler")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faultkit: listen: %v", err)
	}
	s := &Server{
		Addr:    ln.Addr().String(),
		ln:      ln,
		handler: handler,
		tlsCfg:  cfg,
		t:       t,
		done:    make(chan struct{}),
		conns:   make(map[*Conn]struct{}),
	}
	s.URL = "http://" + s.Addr
	if cfg != nil {
		s.URL = "https://" + s.Addr
	}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.Close)
	return s
}

// Done returns a channel that is closed when the test ends or Close is
// called. Handlers block on it to hold a connection open without leaking.
func (s *Server) Done() <-chan struct{} { return s.done }

// Accepted reports how many connections the server has accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Close stops the server: it closes the listener and every open connection,
// closes Done, and waits for the handlers to return. Later calls do
// nothing. It runs automatically when the test ends.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	_ = s.ln.Close()
	for c := range s.conns {
		_ = c.raw.Close()
	}
	s.mu.Unlock()

	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	timer := time.NewTimer(handlerWait)
	defer timer.Stop()
	select {
	case <-finished:
	case <-timer.C:
		s.t.Errorf("faultkit: handlers on %s still running %v after close; a handler ignores Done", s.Addr, handlerWait)
	}
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		raw, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
		s.accepted.Add(1)
		c := &Conn{Conn: raw, raw: raw, srv: s}
		if s.tlsCfg != nil {
			c.Conn = tls.Server(raw, s.tlsCfg)
		}
		c.br = bufio.NewReader(c.Conn)

		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = raw.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()

		go s.serve(c)
	}
}

func (s *Server) serve(c *Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Conn.Close()
		_ = c.raw.Close()
	}()
	s.handler(c)
}

// CRLF turns bare "\n" line endings into "\r\n", so that raw responses can
// be written as ordinary Go string literals. Handlers send bytes exactly as
// given; use CRLF where a well-formed message is wanted.
func CRLF(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}
