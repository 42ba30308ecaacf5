// Package hosts keeps per-host state in a table of bounded size. A client
// that calls many hosts must not grow without limit: when the table is full,
// the entry used least recently gives way, preferring one its owner reports
// idle (state a fresh entry would equal).
package hosts

import (
	"container/list"
	"sync"
)

// scan is how many of the least recently used entries are looked at for an
// idle one before the oldest is evicted whatever its state.
const scan = 8

// Table maps host keys to state of type V, at most Max of them.
type Table[V any] struct {
	max   int
	newV  func() V
	idle  func(V) bool
	mu    sync.Mutex
	order *list.List // of *entry[V], most recently used first
	m     map[string]*list.Element
}

type entry[V any] struct {
	key string
	v   V
}

// New returns a Table holding at most size entries (at least 1), making
// missing ones with newV. idle, if not nil, reports an entry that may be
// evicted first; it is called with the table locked, so it must not use it.
func New[V any](size int, newV func() V, idle func(V) bool) *Table[V] {
	return &Table[V]{max: max(size, 1), newV: newV, idle: idle, order: list.New(), m: make(map[string]*list.Element)}
}

// Get returns key's state, made if missing, and marks it used.
func (t *Table[V]) Get(key string) V {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.m[key]; ok {
		t.order.MoveToFront(el)
		return el.Value.(*entry[V]).v
	}
	if t.order.Len() >= t.max {
		t.evict()
	}
	e := &entry[V]{key: key, v: t.newV()}
	t.m[key] = t.order.PushFront(e)
	return e.v
}

// Peek returns key's state without making it or marking it used.
func (t *Table[V]) Peek(key string) (V, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.m[key]; ok {
		return el.Value.(*entry[V]).v, true
	}
	var zero V
	return zero, false
}

// Len is the number of entries held.
func (t *Table[V]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.order.Len()
}

func (t *Table[V]) evict() {
	victim := t.order.Back()
	if t.idle != nil {
		el := victim
		for i := 0; i < scan && el != nil; i, el = i+1, el.Prev() {
			if t.idle(el.Value.(*entry[V]).v) {
				victim = el
				break
			}
		}
	}
	t.order.Remove(victim)
	delete(t.m, victim.Value.(*entry[V]).key)
}
