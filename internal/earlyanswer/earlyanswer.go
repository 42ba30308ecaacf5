// Package earlyanswer keeps a server's answer from being lost to the write
// error of the request it answers.
//
// A server may answer before it has read the request body (a 307, a 413, a
// 401) and close the connection; the rest of the upload then fails with a
// reset. net/http's Transport writes the request and reads the response in
// two goroutines and returns whichever of the write error and the response
// it sees first, so the answer is lost about one time in two. A Conn holds
// back a failed write while another goroutine reads the connection, until
// that reader fails too (the answer, if any, has been read before that) or
// the connection is closed: the Transport then always sees the answer
// first when one came.
package earlyanswer

import (
	"net"
	"sync"
	"time"
)

// MaxHold bounds how long a failed write is held back. A reader that
// has the answer hands it over within microseconds; the bound keeps a
// reader that cannot finish without writing (TLS answering an alert with
// one of its own needs the lock the held write keeps) from waiting on the
// writer for long.
var MaxHold = time.Second

// ReaderWait is how long a failed write waits for a reader to show itself
// when none is reading at that moment. A reader between two reads (parsing
// the answer it just read) comes back within it; a connection read by the
// writer's own goroutine (a TLS handshake, a proxy's CONNECT) has none, and
// only its failures pay this wait.
var ReaderWait = time.Second

// Conn is a net.Conn whose failed writes wait for its reader, as the
// package describes.
type Conn struct {
	net.Conn
	mu      sync.Mutex
	reads   int           // Reads in progress
	writes  int           // writes in progress
	duplex  bool          // another goroutine reads while this one writes
	reader  chan struct{} // closed when a Read starts, for a failed write waiting
	endOnce sync.Once
	ended   chan struct{} // closed once a read fails or Close is called
}

// Wrap returns c with its failed writes held back for its reader.
func Wrap(c net.Conn) *Conn {
	return &Conn{Conn: c, ended: make(chan struct{})}
}

func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.reads++
	if c.writes > 0 {
		// A write is in progress, so this Read is another goroutine's.
		c.duplex = true
	}
	if c.reader != nil {
		close(c.reader)
		c.reader = nil
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.reads--
	c.mu.Unlock()
	if err != nil {
		c.end()
	}
	return n, err
}

func (c *Conn) Write(p []byte) (int, error) {
	c.startWrite()
	n, err := c.Conn.Write(p)
	return n, c.endWrite(err)
}

// Close closes the connection, and releases a held write.
func (c *Conn) Close() error {
	c.end()
	return c.Conn.Close()
}

func (c *Conn) startWrite() {
	c.mu.Lock()
	c.writes++
	if c.reads > 0 {
		c.duplex = true // a Read is in progress: another goroutine's
	}
	c.mu.Unlock()
}

// endWrite returns err once it may be seen: a write that failed while
// another goroutine reads the connection waits until that reader fails or
// the connection is closed, so that an answer already on its way is read
// first.
func (c *Conn) endWrite(err error) error {
	c.mu.Lock()
	c.writes--
	if err == nil {
		c.mu.Unlock()
		return nil
	}
	if !c.duplex && c.reads == 0 {
		// No reader seen yet: wait a little for one to show itself.
		reader := make(chan struct{})
		c.reader = reader
		c.mu.Unlock()
		t := time.NewTimer(ReaderWait)
		defer t.Stop()
		select {
		case <-reader:
		case <-c.ended:
			return err
		case <-t.C:
			c.mu.Lock()
			c.reader = nil
			c.mu.Unlock()
			return err
		}
	} else {
		c.mu.Unlock()
	}
	t := time.NewTimer(MaxHold)
	defer t.Stop()
	select {
	case <-c.ended:
	case <-t.C:
	}
	return err
}

func (c *Conn) end() { c.endOnce.Do(func() { close(c.ended) }) }
