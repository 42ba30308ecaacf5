package http3

import (
	"context"
	"crypto/tls"
	"net"
	"sync"

	"github.com/quic-go/quic-go"
)

// socket is a Transport's UDP socket, shared by all its QUIC connections.
// It is opened by the first dial and closed as soon as no connection is
// alive and no dial is under way, so an idle Transport holds no socket and
// no goroutine.
type socket struct {
	mu      sync.Mutex
	qt      *quic.Transport // nil while closed
	conns   map[*quic.Conn]struct{}
	dialing int
	done    bool // closed for good
}

// dial opens a QUIC connection to addr on the socket, opening it if needed.
func (s *socket) dial(ctx context.Context, addr *net.UDPAddr, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return nil, ErrTransportClosed
	}
	if s.qt == nil {
		// Both address families, as net.Dialer would use.
		udp, err := net.ListenUDP("udp", nil)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.qt = &quic.Transport{Conn: udp}
	}
	qt := s.qt
	s.dialing++
	s.mu.Unlock()

	conn, err := qt.DialEarly(ctx, addr, tlsCfg, cfg)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.dialing--
	if err == nil {
		s.conns[conn] = struct{}{}
		// A connection that ends by itself (idle timeout, closed by the
		// server) gives the socket back too.
		context.AfterFunc(conn.Context(), s.sweep)
	}
	s.closeUnusedLocked()
	return conn, err
}

// sweep forgets the connections that have ended, and closes the socket if
// none is left.
func (s *socket) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.Context().Err() != nil {
			delete(s.conns, c)
		}
	}
	s.closeUnusedLocked()
}

func (s *socket) closeUnusedLocked() {
	if s.qt == nil || s.dialing > 0 || len(s.conns) > 0 {
		return
	}
	// Close waits for the socket's reading goroutine to end.
	s.qt.Close()
	s.qt.Conn.Close()
	s.qt = nil
}

// close closes the socket for good, and with it any connection still on it.
func (s *socket) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	if s.qt != nil {
		s.qt.Close()
		s.qt.Conn.Close()
		s.qt = nil
	}
	clear(s.conns)
}
