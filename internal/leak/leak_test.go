package leak

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests here share the package's global state: none runs in parallel.

func TestUnwatchedTracksNothing(t *testing.T) {
	k := new(int)
	Track(k)
	assert.Equal(t, int32(0), live.Load())
	Done(k)
	allocs := testing.AllocsPerRun(100, func() {
		Track(k)
		Done(k)
	})
	assert.Zero(t, allocs)
}

func TestWatch(t *testing.T) {
	before := new(int)
	w0 := Start()
	Track(before) // opened before w starts: not w's business

	w := Start()
	closed, leaked := new(int), new(int)
	_, file, line, _ := runtime.Caller(0)
	Track(leaked)
	Track(closed)
	Done(closed)
	Done(new(int)) // never tracked

	got := w.Stop()
	require.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(got[0], file+":"+strconv.Itoa(line+1)+" "), got[0])
	assert.Contains(t, got[0], "internal/leak.TestWatch")
	assert.Nil(t, w.Stop(), "a second Stop reports nothing")

	// The outer watch still sees its own.
	got = w0.Stop()
	assert.Len(t, got, 2)
	assert.Equal(t, int32(0), live.Load(), "the last Stop forgets everything")
	assert.Equal(t, int32(0), watchers.Load())
}

func TestWatchOrder(t *testing.T) {
	w := Start()
	a, b := new(int), new(int)
	trackHere(a)
	Track(b)
	got := w.Stop()
	require.Len(t, got, 2)
	assert.Contains(t, got[0], "trackHere")
	assert.Contains(t, got[1], "TestWatchOrder")
}

func trackHere(k any) { Track(k) }

func TestInModule(t *testing.T) {
	tests := []struct {
		fn, file string
		want     bool
	}{
		{module + ".(*Session).Get", "/src/session.go", true},
		{module + "/internal/decode.NewReader", "/src/internal/decode/decode.go", true},
		{module + ".TestStream", "/src/stream_test.go", false},
		{module + "_test.TestStream", "/src/stream_test.go", false},
		{module + "/requeststest.NoLeaks", "/src/requeststest/leak.go", false},
		{"example.com/app.fetch", "/app/fetch.go", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, inModule(runtime.Frame{Function: tt.fn, File: tt.file}), tt.fn)
	}
	assert.Equal(t, "github.com/go-requests/requests", module)
}

func TestWhereUnknown(t *testing.T) {
	assert.Equal(t, "an unknown place", where(nil))
}
