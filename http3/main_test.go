package http3_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	closeExample()
	if code == 0 {
		// The Transports and servers of the tests are closed at their
		// Cleanup: no QUIC goroutine, timer or socket may remain.
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
