package netrc

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"machine host.com login u password p\n",
		"machine a\n\tlogin x # c\n\tpassword \"p\\\" q\"\n\taccount a\ndefault user d password dp\n",
		"# top comment\nmacdef init\ncd /\nput x\n\nmachine b login y\n",
		"macdef init\r\ncd /\r\n",
		"machine \"unterminated",
		"machine a login x\\",
		"login x",
		"machine",
		"\"\"",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(bytes.NewReader(data))
		if err != nil {
			require.Nil(t, file)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "untyped error %T: %v", err, err)
			lines := 1 + bytes.Count(normalizeNewlines(data), []byte("\n"))
			assert.GreaterOrEqual(t, pe.Line, 1)
			assert.LessOrEqual(t, pe.Line, lines)
			return
		}
		require.NotNil(t, file)
		for _, e := range file.entries {
			assert.NotEmpty(t, e.Machine)
			_, _, ok := file.Lookup(e.Machine)
			assert.True(t, ok)
		}
	})
}

// quote writes s as a quoted netrc token.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("example.com", "user", "pass word", "acct")
	f.Add("#host", "machine", `"\`, "")
	f.Add("h", "", "", "\n\t ")
	f.Fuzz(func(t *testing.T, machine, login, password, account string) {
		if machine == "" || strings.ContainsRune(machine+login+password+account, '\r') {
			t.Skip("empty names are rejected and CR reads as LF")
		}
		text := "# generated\nmachine " + quote(machine) + "\n\tlogin " + quote(login) +
			" password " + quote(password) + "\n\taccount " + quote(account) + "\n"
		file, err := Parse(strings.NewReader(text))
		require.NoError(t, err)
		e, ok := file.Machine(machine)
		require.True(t, ok)
		assert.Equal(t, Entry{Machine: machine, Login: login, Account: account, Password: password}, e)
	})
}
