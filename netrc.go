package requests

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-requests/requests/internal/netrc"
)

// netrcRecheck is how long the .netrc file found is trusted before the
// environment and the file system are looked at again, as net's resolver
// does with resolv.conf: a call then costs no system call. A change of
// $NETRC or $HOME is seen when the environment is (see envRecheck).
var netrcRecheck = time.Second

// netrcCache holds the .netrc file last parsed, keyed by the environment it
// was found for and by its path, size and modification time: it is read
// again only when it changed.
var netrcCache atomic.Pointer[netrcEntry]

// netrcParses counts the .netrc files read, which tests check.
var netrcParses atomic.Int64

type netrcEntry struct {
	env, home string    // $NETRC and $HOME when the file was looked for
	checked   time.Time // when it was looked for
	path      string    // "" when there is none
	size      int64
	mod       time.Time
	file      *netrc.File // nil when there is none or it did not parse: requests ignores it then
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

// netrcFile returns the parsed .netrc file, if there is one.
func netrcFile() *netrc.File {
	snap := environment()
	env, home, now := snap.netrc, snap.home, snap.read
	old := netrcCache.Load()
	if old != nil && old.env == env && old.home == home && now.Sub(old.checked) < netrcRecheck {
		return old.file
	}
	e := &netrcEntry{env: env, home: home, checked: now, path: netrc.Find(os.Getenv)}
	if e.path != "" {
		if fi, err := os.Stat(e.path); err == nil {
			e.size, e.mod = fi.Size(), fi.ModTime()
		} else {
			e.path = ""
		}
	}
	switch {
	case e.path == "":
	case old != nil && old.path == e.path && old.size == e.size && old.mod.Equal(e.mod):
		e.file = old.file
	default:
		netrcParses.Add(1)
		if f, err := netrc.ParseFile(e.path); err == nil {
			e.file = f
		}
	}
	netrcCache.Store(e)
	return e.file
}
