// Package leak tracks the streamed responses a program holds open, for the
// leak check of package requeststest (NoLeaks).
//
// It costs nothing while no check runs: Track and Done each load one
// atomic counter and return. While a check runs, Track records the
// caller's stack (resolved to a file:line only for a leak reported).
package leak

import (
	"cmp"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

var (
	watchers atomic.Int32 // checks in progress
	live     atomic.Int32 // len(open), for Done's fast path

	mu   sync.Mutex
	open = map[any]*entry{}
	seq  uint64 // numbers the streams opened, in order
)

type entry struct {
	seq uint64
	pcs []uintptr
}

// maxDepth bounds the stack kept for one stream.
const maxDepth = 64

// Track records that the stream known by key was handed to the caller.
// key must be comparable and is later given to Done.
func Track(key any) {
	if watchers.Load() == 0 {
		return
	}
	track(key)
}

func track(key any) {
	pcs := make([]uintptr, maxDepth)
	n := runtime.Callers(3, pcs) // past Callers, track and Track
	mu.Lock()
	if watchers.Load() > 0 {
		seq++
		open[key] = &entry{seq: seq, pcs: pcs[:n]}
		live.Store(int32(len(open)))
	}
	mu.Unlock()
}

// Done records that the stream known by key is closed. Done for a key
// never tracked does nothing.
func Done(key any) {
	if live.Load() == 0 {
		return
	}
	mu.Lock()
	delete(open, key)
	live.Store(int32(len(open)))
	mu.Unlock()
}

// Watch is one check: it sees the streams opened after Start.
type Watch struct {
	start   uint64
	stopped bool
}

// Start begins a check. Every Start needs its Stop.
func Start() *Watch {
	mu.Lock()
	defer mu.Unlock()
	watchers.Add(1)
	return &Watch{start: seq}
}

// Stop ends the check and returns where each stream opened since Start and
// still open was opened, oldest first: the "file:line" of the first
// caller outside this module (a _test.go file of the module counts as a
// caller), followed by its function's name. A second Stop returns nil.
func (w *Watch) Stop() []string {
	mu.Lock()
	defer mu.Unlock()
	if w.stopped {
		return nil
	}
	w.stopped = true
	var leaked []*entry
	for _, e := range open {
		if e.seq > w.start {
			leaked = append(leaked, e)
		}
	}
	if watchers.Add(-1) == 0 {
		// No check will ask about these any more.
		clear(open)
		live.Store(0)
	}
	slices.SortFunc(leaked, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]string, len(leaked))
	for i, e := range leaked {
		out[i] = where(e.pcs)
	}
	return out
}

// module is this module's path, learnt from this package's own.
var module = strings.TrimSuffix(reflect.TypeFor[Watch]().PkgPath(), "/internal/leak")

// where names the first frame of pcs outside this module.
func where(pcs []uintptr) string {
	frames := runtime.CallersFrames(pcs)
	var last runtime.Frame
	for {
		f, more := frames.Next()
		if f.Function != "" {
			last = f
			if !inModule(f) {
				return fmt.Sprintf("%s:%d (%s)", f.File, f.Line, f.Function)
			}
		}
		if !more {
			break
		}
	}
	if last.Function == "" {
		return "an unknown place"
	}
	return fmt.Sprintf("%s:%d (%s)", last.File, last.Line, last.Function)
}

// inModule reports whether f is code of the library itself: the root
// package or an internal one, outside its tests.
func inModule(f runtime.Frame) bool {
	if strings.HasSuffix(f.File, "_test.go") {
		return false
	}
	return strings.HasPrefix(f.Function, module+".") || strings.HasPrefix(f.Function, module+"/internal/")
}
