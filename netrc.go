package requests

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-requests/requests/internal/netrc"
)

// netrcCache holds the .netrc file last parsed, keyed by its path, size and
// modification time: calls look it up with a stat, not a read, until the
// file changes.
var netrcCache atomic.Pointer[netrcEntry]

// netrcParses counts the .netrc files read, which tests check.
var netrcParses atomic.Int64

type netrcEntry struct {
	path string
	size int64
	mod  time.Time
	file *netrc.File // nil when the file did not parse: requests ignores it then
}

// netrcAuth adds Basic credentials from .netrc for the request's host, port
// excluded, as requests' get_netrc_auth does: the file named by $NETRC, else
// ~/.netrc or ~/_netrc; the machine entry for the host, else the default
// entry. A missing, unreadable or malformed file gives no credentials.
func netrcAuth(req *http.Request) error {
	f := netrcFile()
	if f == nil {
		return nil
	}
	host := req.URL.Hostname()
	login, pass, ok := f.Lookup(host)
	if !ok {
		return nil
	}
	if err := (basicAuth{user: login, pass: pass}).Authenticate(req); err != nil {
		return fmt.Errorf(".netrc credentials for %s: %w", host, err)
	}
	return nil
}

// netrcFile returns the parsed .netrc file, read again only when it changed.
func netrcFile() *netrc.File {
	path := netrc.Find(os.Getenv)
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if e := netrcCache.Load(); e != nil && e.path == path && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.file
	}
	netrcParses.Add(1)
	f, err := netrc.ParseFile(path)
	if err != nil {
		f = nil
	}
	netrcCache.Store(&netrcEntry{path: path, size: fi.Size(), mod: fi.ModTime(), file: f})
	return f
}
