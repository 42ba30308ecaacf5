package requeststest

import (
	"testing"

	"github.com/go-requests/requests/internal/leak"
)

// NoLeaks fails t when a streamed Response (requests.Stream(true)) opened
// during the test is still open at its end: neither closed nor read to its
// end. The failure names the file:line of the call that opened it, in the
// caller's code. Call it at the start of the test; it checks after every
// other Cleanup has run.
//
// The check sees the whole process: a test running in parallel with this
// one (t.Parallel) may have its open streams reported here. Tests that do
// not call NoLeaks pay nothing for it.
func NoLeaks(t testing.TB) {
	t.Helper()
	w := leak.Start()
	t.Cleanup(func() {
		for _, at := range w.Stop() {
			t.Errorf("requeststest: a streamed Response opened at %s is still open: Close it, or read its body to the end", at)
		}
	})
}
