// Package testdaemon starts real network daemons (tinyproxy, squid,
// microsocks, nginx) from tests, on free ports of 127.0.0.1, and stops them
// when the test ends.
//
// Each daemon runs in the foreground in its own process group, with its
// configuration, pid file and logs in a temporary directory. A start waits
// until the daemon accepts connections and fails the test with the daemon's
// logs if it does not within StartTimeout. When a daemon's binary is missing
// the test is skipped, or failed when REQUESTS_INTEGRATION=1 is set (see
// Require).
package testdaemon

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// IntegrationEnv is the environment variable that, when set to "1", turns a
// missing daemon binary from a skipped test into a failed one.
const IntegrationEnv = "REQUESTS_INTEGRATION"

// StartTimeout bounds how long a daemon may take to accept connections.
const StartTimeout = 10 * time.Second

// stopTimeout bounds how long Stop waits for a killed daemon to be reaped.
const stopTimeout = 10 * time.Second

// searchDirs are searched for a binary after PATH.
var searchDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin", "/usr/local/bin"}

// debianPackages names the Debian package that provides each binary.
var debianPackages = map[string]string{
	"tinyproxy":       "tinyproxy",
	"microsocks":      "microsocks",
	"nginx":           "nginx-light",
	"squid":           "squid",
	"basic_ncsa_auth": "squid",
}

// Require returns the path of the named binary, looked up in PATH and then
// in /usr/sbin, /usr/bin and /sbin. When it is missing the test is skipped
// with a message naming the Debian package to install, or failed instead
// when REQUESTS_INTEGRATION=1 is set.
func Require(t testing.TB, binary string) string {
	t.Helper()
	return requireIn(t, binary, nil)
}

func requireIn(t testing.TB, binary string, extraDirs []string) string {
	t.Helper()
	if path, err := find(binary, extraDirs); err == nil {
		return path
	}
	pkg, ok := debianPackages[binary]
	if !ok {
		pkg = "the one that provides " + binary
	}
	msg := fmt.Sprintf("testdaemon: %s not found in PATH or %s; install the Debian package %s (.ci/install-daemons does)",
		binary, strings.Join(append(searchDirs, extraDirs...), ", "), pkg)
	if os.Getenv(IntegrationEnv) == "1" {
		t.Fatalf("%s; failing because %s=1", msg, IntegrationEnv)
	}
	t.Skipf("%s; set %s=1 to fail instead of skipping", msg, IntegrationEnv)
	return ""
}

func find(binary string, extraDirs []string) (string, error) {
	if path, err := exec.LookPath(binary); err == nil {
		return path, nil
	}
	if strings.ContainsRune(binary, filepath.Separator) {
		return "", exec.ErrNotFound
	}
	for _, dir := range append(append([]string(nil), searchDirs...), extraDirs...) {
		path := filepath.Join(dir, binary)
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
			return path, nil
		}
	}
	return "", exec.ErrNotFound
}

// Daemon is a running daemon.
type Daemon struct {
	// Name is the daemon's program name, such as "tinyproxy".
	Name string
	// Addr is the listening address, "127.0.0.1:PORT".
	Addr string
	// Port is the listening port.
	Port int
	// URL is the daemon's address as a URL without credentials:
	// "http://127.0.0.1:PORT" for HTTP proxies, "socks5://..." for SOCKS
	// and "https://..." for nginx.
	URL string
	// User and Password are the credentials the daemon requires, if any.
	User, Password string
	// Dir is the directory holding the daemon's configuration and logs.
	Dir string
	// StartupTime is how long the daemon took to accept connections.
	StartupTime time.Duration

	t        testing.TB
	cmd      *exec.Cmd
	exited   chan struct{}
	logFiles []string
	stopOnce sync.Once
}

// URLWithAuth returns URL with User and Password as its user information
// when they are set, ready for http.ProxyURL.
func (d *Daemon) URLWithAuth() *url.URL {
	u, err := url.Parse(d.URL)
	if err != nil {
		panic("testdaemon: bad daemon URL " + d.URL)
	}
	if d.User != "" {
		u.User = url.UserPassword(d.User, d.Password)
	}
	return u
}

// Logs returns the daemon's output and log files, each cut to its last
// 16 KiB.
func (d *Daemon) Logs() string {
	return readLogs(d.logFiles)
}

// Stop kills the daemon (and anything it started) and waits for it to exit.
// Later calls do nothing. It runs automatically when the test ends.
func (d *Daemon) Stop() {
	d.stopOnce.Do(func() {
		select {
		case <-d.exited:
			return // already gone; its process group may be reused
		default:
		}
		killGroup(d.cmd)
		select {
		case <-d.exited:
		case <-time.After(stopTimeout):
			d.t.Errorf("testdaemon: %s (pid %d) still running %v after being killed", d.Name, d.cmd.Process.Pid, stopTimeout)
		}
	})
}

// spec describes how to start one daemon.
type spec struct {
	name   string
	binary string
	scheme string
	dir    string
	// configure writes whatever configuration the daemon needs for port
	// and returns its command-line arguments.
	configure func(port int) ([]string, error)
	// logs are the daemon's own log files, shown when it fails.
	logs []string
}

// launch starts the daemon described by sp, retrying once on a fresh port if
// the first port turned out to be taken.
func launch(t testing.TB, sp spec) *Daemon {
	t.Helper()
	for attempt := 1; ; attempt++ {
		d, err := startOnce(t, sp, attempt)
		if err == nil {
			t.Cleanup(func() {
				d.Stop()
				if t.Failed() {
					t.Logf("testdaemon: %s logs:\n%s", d.Name, d.Logs())
				}
			})
			return d
		}
		var clash portClashError
		if attempt == 1 && errors.As(err, &clash) {
			t.Logf("testdaemon: %s: port %d was taken, retrying on another", sp.name, clash.port)
			continue
		}
		t.Fatalf("testdaemon: %s did not start: %v", sp.name, err)
		return nil
	}
}

// portClashError reports a start that failed because the port was taken.
type portClashError struct {
	port int
	err  error
}

// Error returns the underlying start error.
func (e portClashError) Error() string { return e.err.Error() }

func startOnce(t testing.TB, sp spec, attempt int) (*Daemon, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args, err := sp.configure(port)
	if err != nil {
		return nil, err
	}
	outPath := filepath.Join(sp.dir, fmt.Sprintf("output-%d.log", attempt))
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child holds its own copy

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(sp.binary, args...)
	cmd.Dir = sp.dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	d := &Daemon{
		Name:     sp.name,
		Addr:     addr,
		Port:     port,
		URL:      sp.scheme + "://" + addr,
		Dir:      sp.dir,
		t:        t,
		cmd:      cmd,
		exited:   make(chan struct{}),
		logFiles: append([]string{outPath}, sp.logs...),
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", sp.binary, err)
	}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(d.exited)
	}()

	if err := waitReady(addr, d.exited); err != nil {
		d.Stop()
		select {
		case <-d.exited:
			err = fmt.Errorf("%w (%v)", err, waitErr)
		default:
		}
		logs := d.Logs()
		err = fmt.Errorf("%s %s: %w\n%s", sp.binary, strings.Join(args, " "), err, logs)
		if lower := strings.ToLower(logs); strings.Contains(lower, "already in use") ||
			strings.Contains(lower, "could not create listening sockets") {
			return nil, portClashError{port: port, err: err}
		}
		return nil, err
	}
	d.StartupTime = time.Since(start)
	return d, nil
}

// waitReady polls addr until it accepts a connection, the process exits, or
// StartTimeout passes.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(StartTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			_ = c.Close()
			select {
			case <-exited:
				return errors.New("exited right after accepting a connection; another process may own the port")
			default:
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("exited before accepting connections")
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections on %s after %v", addr, StartTimeout)
		}
	}
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

const logTail = 16 << 10

func readLogs(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(&b, "==> %s: %v\n", filepath.Base(p), err)
			}
			continue
		}
		if len(data) > logTail {
			data = append([]byte("...\n"), data[len(data)-logTail:]...)
		}
		fmt.Fprintf(&b, "==> %s <==\n%s\n", filepath.Base(p), data)
	}
	return b.String()
}

// checkWord rejects values that would break a line-oriented configuration
// file or a command line.
func checkWord(what, v string) error {
	if v == "" {
		return nil
	}
	if strings.ContainsAny(v, " \t\r\n\"'\\#:;{}$") {
		return fmt.Errorf("%s %q: spaces, quotes and punctuation used by configuration files are not supported", what, v)
	}
	return nil
}

// quote returns s in double quotes for a configuration file.
func quote(s string) string {
	return `"` + s + `"`
}
