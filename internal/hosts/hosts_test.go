package hosts

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type state struct{ busy bool }

func TestTableStaysBounded(t *testing.T) {
	tb := New(4, func() *state { return &state{} }, nil)
	for i := range 100 {
		tb.Get(strconv.Itoa(i))
	}
	assert.Equal(t, 4, tb.Len())
	_, ok := tb.Peek("0")
	assert.False(t, ok, "the oldest entries were evicted")
	_, ok = tb.Peek("99")
	assert.True(t, ok)
}

func TestTableEvictsIdleFirst(t *testing.T) {
	tb := New(3, func() *state { return &state{} }, func(s *state) bool { return !s.busy })
	tb.Get("a").busy = true // least recently used, but busy
	tb.Get("b")
	tb.Get("c").busy = true
	tb.Get("d") // evicts b, the idle one, not a
	_, ok := tb.Peek("a")
	assert.True(t, ok)
	_, ok = tb.Peek("b")
	assert.False(t, ok)

	tb.Get("d").busy = true
	tb.Get("e") // all busy: the least recently used (a) goes
	_, ok = tb.Peek("a")
	assert.False(t, ok)
	assert.Equal(t, 3, tb.Len())
}

func TestTableGetReturnsTheSameState(t *testing.T) {
	tb := New(0, func() *state { return &state{} }, nil)
	s := tb.Get("x")
	require.Same(t, s, tb.Get("x"))
	assert.Equal(t, 1, tb.Len(), "a max below 1 holds one entry")
}

func TestTableConcurrentUse(t *testing.T) {
	tb := New(16, func() *state { return &state{} }, func(*state) bool { return true })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				tb.Get(strconv.Itoa(g*1000 + i%40))
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, tb.Len(), 16)
}
