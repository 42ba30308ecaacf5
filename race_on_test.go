//go:build race

package requests

// raceEnabled: the race detector drops sync.Pool items at random and
// allocates for its own bookkeeping, so allocation counts move by a few.
const raceEnabled = true
