package testdaemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TinyproxyOptions configures Tinyproxy.
type TinyproxyOptions struct {
	// User and Password, when User is set, make the proxy require HTTP Basic
	// authentication (Proxy-Authorization) for every request, CONNECT
	// included. Neither may contain spaces, quotes or ':'. tinyproxy
	// answers a request without credentials with 407, but one with wrong
	// credentials with 401.
	User, Password string
	// ExtraConfig is appended verbatim to the configuration file.
	ExtraConfig string
}

// Tinyproxy starts tinyproxy as an HTTP proxy on a free port of 127.0.0.1.
// It forwards plain HTTP requests and tunnels CONNECT to any port, accepts
// clients from loopback only, and adds a Via header to forwarded requests.
// The returned Daemon's URL is "http://127.0.0.1:PORT".
func Tinyproxy(t testing.TB, opts TinyproxyOptions) *Daemon {
	t.Helper()
	bin := Require(t, "tinyproxy")
	if err := checkCredentials(opts.User, opts.Password); err != nil {
		t.Fatalf("testdaemon: tinyproxy: %v", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "tinyproxy.conf")
	logFile := filepath.Join(dir, "tinyproxy.log")
	d := launch(t, spec{
		name:   "tinyproxy",
		binary: bin,
		scheme: "http",
		dir:    dir,
		logs:   []string{logFile},
		configure: func(port int) ([]string, error) {
			var b strings.Builder
			// No User/Group lines: tinyproxy keeps running as whoever
			// started it (it warns when that is root, and carries on). No
			// ConnectPort lines: CONNECT is allowed to every port.
			fmt.Fprintf(&b, "Port %d\n", port)
			b.WriteString("Listen 127.0.0.1\n")
			b.WriteString("Timeout 60\n")
			b.WriteString("MaxClients 100\n")
			fmt.Fprintf(&b, "LogFile %s\n", quote(logFile))
			b.WriteString("LogLevel Info\n")
			fmt.Fprintf(&b, "PidFile %s\n", quote(filepath.Join(dir, "tinyproxy.pid")))
			b.WriteString("Allow 127.0.0.1\n")
			b.WriteString("Allow ::1\n")
			if opts.User != "" {
				fmt.Fprintf(&b, "BasicAuth %s %s\n", opts.User, opts.Password)
			}
			b.WriteString(opts.ExtraConfig)
			b.WriteString("\n")
			if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
				return nil, err
			}
			return []string{"-d", "-c", conf}, nil
		},
	})
	d.User, d.Password = opts.User, opts.Password
	return d
}

// checkCredentials rejects credentials that a daemon's configuration or
// command line could not carry.
func checkCredentials(user, password string) error {
	if user == "" {
		if password != "" {
			return fmt.Errorf("password without user")
		}
		return nil
	}
	if password == "" {
		return fmt.Errorf("user %q without password", user)
	}
	if err := checkWord("user", user); err != nil {
		return err
	}
	return checkWord("password", password)
}
