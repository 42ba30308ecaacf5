package testdaemon

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMD5Crypt(t *testing.T) {
	// Reference values from an independent crypt(3) implementation.
	assert.Equal(t, "$1$saltsalt$ZliGyAN3DciDHEkDboonh/", md5Crypt("hunter2", "saltsalt"))
	assert.Equal(t, "$1$ab$B9ieC42hKgGRrIfWxDJ57.", md5Crypt("p@ss word", "ab"))
	assert.Equal(t, "$1$saltsalt$ZliGyAN3DciDHEkDboonh/", md5Crypt("hunter2", "saltsaltEXTRA"))
}

func TestHtpasswdLine(t *testing.T) {
	line := htpasswdLine("alice", "secret")
	assert.True(t, strings.HasPrefix(line, "alice:$1$"), line)
	assert.True(t, strings.HasSuffix(line, "\n"))
	salt := strings.Split(line, "$")[2]
	assert.Len(t, salt, 8)
	assert.Equal(t, "alice:"+md5Crypt("secret", salt)+"\n", line)
}
