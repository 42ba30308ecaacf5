package testdaemon

import (
	"strconv"
	"testing"
)

// MicrosocksOptions configures Microsocks.
type MicrosocksOptions struct {
	// User and Password, when User is set, make the server require SOCKS5
	// username/password authentication (RFC 1929).
	User, Password string
}

// Microsocks starts microsocks as a SOCKS5 server on a free port of
// 127.0.0.1. The returned Daemon's URL is "socks5://127.0.0.1:PORT"; net/http
// accepts it (with URLWithAuth for credentials) as a Transport proxy.
func Microsocks(t testing.TB, opts MicrosocksOptions) *Daemon {
	t.Helper()
	bin := Require(t, "microsocks")
	if err := checkCredentials(opts.User, opts.Password); err != nil {
		t.Fatalf("testdaemon: microsocks: %v", err)
	}
	d := launch(t, spec{
		name:   "microsocks",
		binary: bin,
		scheme: "socks5",
		dir:    t.TempDir(),
		configure: func(port int) ([]string, error) {
			args := []string{"-i", "127.0.0.1", "-p", strconv.Itoa(port)}
			if opts.User != "" {
				args = append(args, "-u", opts.User, "-P", opts.Password)
			}
			return args, nil
		},
	})
	d.User, d.Password = opts.User, opts.Password
	return d
}
