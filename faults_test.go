package requests

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

// The fault and attack suite: misbehaving servers and hostile input, each
// on loopback. Every scenario asserts a typed error (or the right success)
// and that its calls end within a generous bound; the runner then checks
// that the scenario left no goroutine and no unreleased call (timer and
// context) behind, and each category that it left no file descriptor.
//
// Each category's scenarios live in faults_<category>_test.go; the helpers
// they share are in faults_helpers_test.go.

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
