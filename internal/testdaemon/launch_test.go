package testdaemon

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartOnceReportsEarlyExitWithLogs(t *testing.T) {
	sh := Require(t, "sh")
	_, err := startOnce(t, spec{
		name:   "fake",
		binary: sh,
		scheme: "tcp",
		dir:    t.TempDir(),
		configure: func(int) ([]string, error) {
			return []string{"-c", "echo boom-from-daemon >&2; exit 3"}, nil
		},
	}, 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited before accepting connections")
	assert.Contains(t, err.Error(), "boom-from-daemon")
	assert.Contains(t, err.Error(), "exit status 3")
	var clash portClashError
	assert.False(t, errors.As(err, &clash))
}

func TestLaunchRetriesOnPortClash(t *testing.T) {
	sh := Require(t, "sh")
	socks := Require(t, "microsocks")
	var ports []int
	d := launch(t, spec{
		name:   "fake",
		binary: sh,
		scheme: "socks5",
		dir:    t.TempDir(),
		configure: func(port int) ([]string, error) {
			ports = append(ports, port)
			if len(ports) == 1 {
				return []string{"-c", "echo 'bind: Address already in use' >&2; exit 1"}, nil
			}
			return []string{"-c", `exec "$0" -i 127.0.0.1 -p "$1"`, socks, strconv.Itoa(port)}, nil
		},
	})
	require.Len(t, ports, 2)
	assert.Equal(t, ports[1], d.Port)
	c, err := net.DialTimeout("tcp", d.Addr, 5*time.Second)
	require.NoError(t, err)
	c.Close()
}

func TestCheckLoopbackURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "https://localhost:1/base/", "http://[::1]:9"} {
		assert.NoError(t, checkLoopbackURL(ok), ok)
	}
	for _, bad := range []string{"http://10.0.0.1:80", "ftp://127.0.0.1", "http://example.com", "http://127.0.0.1:1/?q=1", "http://u:p@127.0.0.1:1"} {
		assert.Error(t, checkLoopbackURL(bad), bad)
	}
}

func TestCheckCredentials(t *testing.T) {
	assert.NoError(t, checkCredentials("", ""))
	assert.NoError(t, checkCredentials("alice", "s3cret-P4ss"))
	assert.Error(t, checkCredentials("", "x"))
	assert.Error(t, checkCredentials("alice", ""))
	assert.Error(t, checkCredentials("al ice", "x"))
	assert.Error(t, checkCredentials("alice", `x"y`))
	assert.Error(t, checkCredentials("a:b", "x"))
}

func TestNginxString(t *testing.T) {
	assert.Equal(t, `'a\'b\\c${dollar}d'`, nginxString(`a'b\c$d`))
}
