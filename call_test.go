package requests

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// A call without options reads its Session's settings where they are,
// instead of carrying a copy; a call with options carries its own.
func TestCallSharesSessionSettingsUnlessGivenOptions(t *testing.T) {
	s := NewSession(Headers{"X-Session": "s"})
	defer s.Close()
	shared := s.cfg.Load()

	plain := s.newCall(nil)
	defer plain.release()
	assert.Same(t, shared, plain.cfg)

	own := s.newCall([]Option{Headers{"X-Call": "c"}})
	defer own.release()
	assert.NotSame(t, shared, own.cfg)
	assert.Len(t, own.cfg.headers, 1, "the call's options apply to its own settings")
	assert.Empty(t, shared.headers, "the Session's settings are untouched")
}

// A call is allocated in one piece with its first Request and Response; it
// stays within the 896-byte size class (less the 8-byte header the runtime
// puts before an object of pointers this large), so that a plain GET
// allocates little more than net/http's own call does.
func TestCallFitsItsSizeClass(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(call{}), uintptr(896-8))
}
