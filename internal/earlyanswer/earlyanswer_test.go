package earlyanswer

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// answerAndReset accepts one connection, writes answer without reading
// anything, and closes it with unread data, which resets it.
func answerAndReset(t *testing.T, answer string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 1)
		c.Read(buf) // the upload has begun
		io.WriteString(c, answer)
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}()
	return l.Addr().String()
}

func TestFailedWriteWaitsForTheReader(t *testing.T) {
	raw, err := net.Dial("tcp", answerAndReset(t, "answer"))
	require.NoError(t, err)
	c := Wrap(raw)
	defer c.Close()
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c) // ends with the reset
		read <- b
	}()
	_, err = io.Copy(c, io.LimitReader(zeros{}, 64<<20))
	require.Error(t, err, "the connection was reset")
	select {
	case <-c.ended:
	default:
		t.Fatal("the write error came before the reader had read to its end")
	}
	assert.Equal(t, "answer", string(<-read))
}

func TestFailedWriteWithoutReaderIsNotHeldLong(t *testing.T) {
	old := ReaderWait
	ReaderWait = 50 * time.Millisecond
	t.Cleanup(func() { ReaderWait = old })
	raw, err := net.Dial("tcp", answerAndReset(t, "answer"))
	require.NoError(t, err)
	c := Wrap(raw)
	defer c.Close()
	start := time.Now()
	var werr error
	for werr == nil {
		_, werr = c.Write(bytes.Repeat([]byte("x"), 64<<10))
	}
	assert.Less(t, time.Since(start), 20*time.Second, "generous bound")
	var ne *net.OpError
	assert.True(t, errors.As(werr, &ne), "the connection's own error")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
