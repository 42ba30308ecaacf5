//go:build !race

package requests

// raceEnabled: without the race detector allocation counts are exact.
const raceEnabled = false
