package testdaemon

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// squidCount numbers the squids started by this process.
var squidCount atomic.Int64

// squidHelperDirs are searched for squid's authentication helpers.
var squidHelperDirs = []string{"/usr/lib/squid", "/usr/lib64/squid", "/usr/libexec/squid", "/usr/lib/squid3"}

// SquidOptions configures Squid.
type SquidOptions struct {
	// User and Password, when User is set, make the proxy require HTTP Basic
	// authentication, checked by squid's basic_ncsa_auth helper against a
	// generated password file. Neither may contain spaces, quotes or ':'.
	User, Password string
	// ExtraConfig is appended verbatim to the configuration file, after the
	// access rules.
	ExtraConfig string
}

// Squid starts squid as an HTTP proxy on a free port of 127.0.0.1, without a
// cache. It forwards plain HTTP requests and tunnels CONNECT to any port,
// and accepts clients from loopback only. Its resolver is pointed at
// 127.0.0.1 so that nothing leaves the machine; use IP addresses (or
// "localhost", which it takes from /etc/hosts) in target URLs. The returned
// Daemon's URL is "http://127.0.0.1:PORT".
//
// Run as root, squid switches to an unprivileged user ("proxy", else
// "nobody"), so its files then live in a directory that user owns, removed
// when the test ends.
func Squid(t testing.TB, opts SquidOptions) *Daemon {
	t.Helper()
	bin := Require(t, "squid")
	if err := checkCredentials(opts.User, opts.Password); err != nil {
		t.Fatalf("testdaemon: squid: %v", err)
	}
	var helper string
	if opts.User != "" {
		helper = requireIn(t, "basic_ncsa_auth", squidHelperDirs)
	}

	dir, owner := squidDir(t)
	// A service name of its own keeps this squid's shared memory segments
	// apart from any other squid's; they are removed when the test ends,
	// since a killed squid leaves them behind.
	service := fmt.Sprintf("testdaemon%dn%d", os.Getpid(), squidCount.Add(1))
	t.Cleanup(func() { removeShm(service) })
	conf := filepath.Join(dir, "squid.conf")
	cacheLog := filepath.Join(dir, "cache.log")
	accessLog := filepath.Join(dir, "access.log")
	passwd := filepath.Join(dir, "passwd")
	if opts.User != "" {
		if err := os.WriteFile(passwd, []byte(htpasswdLine(opts.User, opts.Password)), 0o644); err != nil {
			t.Fatalf("testdaemon: squid: %v", err)
		}
	}

	d := launch(t, spec{
		name:   "squid",
		binary: bin,
		scheme: "http",
		dir:    dir,
		logs:   []string{cacheLog, accessLog},
		configure: func(port int) ([]string, error) {
			var b strings.Builder
			fmt.Fprintf(&b, "http_port 127.0.0.1:%d\n", port)
			if owner != nil {
				fmt.Fprintf(&b, "cache_effective_user %s\n", owner.Username)
				if g, err := user.LookupGroupId(owner.Gid); err == nil {
					fmt.Fprintf(&b, "cache_effective_group %s\n", g.Name)
				}
			}
			fmt.Fprintf(&b, "pid_filename %s\n", filepath.Join(dir, "squid.pid"))
			fmt.Fprintf(&b, "cache_log %s\n", cacheLog)
			fmt.Fprintf(&b, "access_log stdio:%s\n", accessLog)
			fmt.Fprintf(&b, "coredump_dir %s\n", dir)
			b.WriteString(squidBaseConfig)
			if opts.User != "" {
				fmt.Fprintf(&b, "auth_param basic program %s %s\n", helper, passwd)
				b.WriteString("auth_param basic children 2 startup=1 idle=1\n")
				b.WriteString("auth_param basic realm testdaemon\n")
				b.WriteString("auth_param basic credentialsttl 1 minute\n")
				b.WriteString("acl authenticated proxy_auth REQUIRED\n")
				b.WriteString("http_access allow localhost authenticated\n")
			} else {
				b.WriteString("http_access allow localhost\n")
			}
			b.WriteString("http_access deny all\n")
			b.WriteString(opts.ExtraConfig)
			b.WriteString("\n")
			if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
				return nil, err
			}
			// -N: stay in the foreground, as a single process.
			return []string{"-N", "-n", fmt.Sprintf("%sp%d", service, port), "-f", conf}, nil
		},
	})
	d.User, d.Password = opts.User, opts.Password
	return d
}

// squidBaseConfig turns off everything that is not an HTTP proxy on a
// loopback port: the cache, ICP/HTCP, the ICMP pinger, and DNS to anything
// but 127.0.0.1. With no Safe_ports or SSL_ports rules, CONNECT is allowed
// to every port.
const squidBaseConfig = `cache deny all
cache_store_log none
netdb_filename none
icp_port 0
htcp_port 0
pinger_enable off
shutdown_lifetime 0 seconds
visible_hostname localhost
dns_nameservers 127.0.0.1
udp_incoming_address 127.0.0.1
udp_outgoing_address 127.0.0.1
`

// squidDir returns the directory for squid's files. As an ordinary user it
// is a test temporary directory. As root it is a new directory owned by the
// user squid will switch to, since the test's own temporary directories are
// closed to other users; owner is then that user, and the directory is
// removed when the test ends.
func squidDir(t testing.TB) (dir string, owner *user.User) {
	t.Helper()
	if os.Geteuid() != 0 {
		return t.TempDir(), nil
	}
	for _, name := range []string{"proxy", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			owner = u
			break
		}
	}
	if owner == nil {
		t.Fatalf("testdaemon: squid: running as root, but neither user proxy nor nobody exists to run squid as")
	}
	uid, err1 := strconv.Atoi(owner.Uid)
	gid, err2 := strconv.Atoi(owner.Gid)
	if err1 != nil || err2 != nil {
		t.Fatalf("testdaemon: squid: user %s has ids %s:%s", owner.Username, owner.Uid, owner.Gid)
	}
	dir, err := os.MkdirTemp("", "testdaemon-squid-")
	if err != nil {
		t.Fatalf("testdaemon: squid: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatalf("testdaemon: squid: %v", err)
	}
	return dir, owner
}

// removeShm removes the POSIX shared memory segments of squid services whose
// names start with prefix.
func removeShm(prefix string) {
	paths, _ := filepath.Glob(filepath.Join("/dev/shm", prefix+"p*"))
	for _, p := range paths {
		_ = os.Remove(p)
	}
}
