package requests

import "github.com/go-requests/requests/internal/leak"

// streamOpened tells the leak check of package requeststest (NoLeaks) that
// the call's streamed Response goes to the caller. Unless the call streams
// and a check runs, it costs a field test and an atomic load.
func streamOpened(c *call) {
	if c.cfg.Stream {
		leak.Track(c)
	}
}

// streamClosed tells it that the call no longer holds a body open.
func streamClosed(c *call) { leak.Done(c) }
