package netrc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The expectations below were checked against Python 3.11's netrc module
// unless the case is marked as a documented difference.
func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		entries []Entry
		def     *Entry
	}{
		{name: "empty", input: ""},
		{name: "whitespace only", input: " \n\t\r\n"},
		{
			name:    "one line",
			input:   "machine host.com login u password p\n",
			entries: []Entry{{Machine: "host.com", Login: "u", Password: "p"}},
		},
		{
			name:    "several lines, account",
			input:   "machine host.com\n  login u\n  password p\n  account a\n",
			entries: []Entry{{Machine: "host.com", Login: "u", Account: "a", Password: "p"}},
		},
		{
			name:    "default entry",
			input:   "machine a login x password y\ndefault login d password dp\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
			def:     &Entry{Login: "d", Password: "dp"},
		},
		{
			name:    "default before machine",
			input:   "default login d\nmachine a login x\n",
			entries: []Entry{{Machine: "a", Login: "x"}},
			def:     &Entry{Login: "d"},
		},
		{
			name:    "user is login",
			input:   "machine a user x password y",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "no newline, tabs",
			input:   "\tmachine\ta\tlogin\tx\tpassword\ty",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "CR and CRLF line ends",
			input:   "machine a\rlogin x\r\npassword y\r",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "comment line at top",
			input:   "# comment here\nmachine a login x password y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "trailing comment inside entry",
			input:   "machine a login x # trailing comment\n password y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "comment line inside entry",
			input:   "machine a login x\n# comment line\n password y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "comment token ending the line does not eat the next",
			input:   "machine a login x #comment\npassword y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "difference: comment after trailing whitespace",
			input:   "machine a login x \n# comment line\n password y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "difference: #word comment at top",
			input:   "#comment here\nmachine a login x password y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "quoted comment token",
			input:   "machine a \"#x\" y\n login z\n",
			entries: []Entry{{Machine: "a", Login: "z"}},
		},
		{
			name:    "value starting with #",
			input:   "machine a login x password #y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "#y"}},
		},
		{
			name:    "quoted values with escapes",
			input:   `machine a login "u s" password "p\"q\\r"` + "\n",
			entries: []Entry{{Machine: "a", Login: "u s", Password: `p"q\r`}},
		},
		{
			name:    "escapes outside quotes",
			input:   `machine a login u\ s password p\\` + "\n",
			entries: []Entry{{Machine: "a", Login: "u s", Password: `p\`}},
		},
		{
			name:    "quoted value with newline and empty value",
			input:   "machine a login \"x\ny\" password \"\" account acc",
			entries: []Entry{{Machine: "a", Login: "x\ny", Account: "acc"}},
		},
		{
			name:    "escaped newline",
			input:   "machine a login x\\\ny password z\n",
			entries: []Entry{{Machine: "a", Login: "x\ny", Password: "z"}},
		},
		{
			name:    "quote inside unquoted token",
			input:   `machine a login ab"cd password x`,
			entries: []Entry{{Machine: "a", Login: `ab"cd`, Password: "x"}},
		},
		{
			name:    "unterminated quote runs to the end",
			input:   `machine a login "abc password x`,
			entries: []Entry{{Machine: "a", Login: "abc password x"}},
		},
		{
			name:    "backslash at end",
			input:   `machine a login x\`,
			entries: []Entry{{Machine: "a", Login: "x"}},
		},
		{
			name:    "missing value at end",
			input:   "machine a login",
			entries: []Entry{{Machine: "a"}},
		},
		{
			name:    "keyword as value",
			input:   "machine a login password password x\n",
			entries: []Entry{{Machine: "a", Login: "password", Password: "x"}},
		},
		{
			name:    "entry without tokens",
			input:   "machine a\nmachine b login y\n",
			entries: []Entry{{Machine: "a"}, {Machine: "b", Login: "y"}},
		},
		{
			name:    "macdef skipped up to blank line",
			input:   "macdef init\ncd /\nput x\n\nmachine a login x password y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "macdef body on its own line",
			input:   "macdef init cd /\n\nmachine a login x password y\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:    "macdef with CRLF",
			input:   "macdef init\r\ncd /\r\n\r\nmachine a login x password y\r\n",
			entries: []Entry{{Machine: "a", Login: "x", Password: "y"}},
		},
		{
			name:  "macdef line of spaces is not blank",
			input: "macdef init\ncd /\n \nmachine a login x password y\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tt.input))
			require.NoError(t, err)
			assert.Equal(t, tt.entries, f.entries)
			assert.Equal(t, tt.def, f.def)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		line  int
		msg   string
	}{
		{name: "bad toplevel token", input: "login x\n", line: 1, msg: `bad toplevel token "login"`},
		{name: "bad toplevel on later line", input: "machine a login x\n\n  password y\nmacdef m\n\nfoo\n", line: 6, msg: `bad toplevel token "foo"`},
		{name: "macdef inside an entry ends it", input: "machine a login x macdef m\nbody\n\npassword y\n", line: 4, msg: `bad toplevel token "password"`},
		{name: "bad follower token", input: "machine a login x foo y\n", line: 1, msg: `bad follower token "foo"`},
		{name: "bad follower on later line", input: "machine a\n login x\n\n foo y\n", line: 4, msg: `bad follower token "foo"`},
		{name: "missing machine name", input: "machine", line: 1, msg: "missing 'machine' name"},
		{name: "empty machine name", input: "\nmachine \"\" login x", line: 2, msg: "missing 'machine' name"},
		{name: "macdef without blank line", input: "machine a\nmacdef init\ncd /\n", line: 2, msg: "macro definition missing null line terminator"},
		{name: "macdef at end", input: "macdef", line: 1, msg: "macro definition missing null line terminator"},
		{name: "difference: empty token at top level", input: "machine a\n\"\" machine b", line: 2, msg: "empty token"},
		{name: "line counted inside quoted token", input: "machine a login \"x\ny\"\nbogus", line: 3, msg: `bad follower token "bogus"`},
		{name: "line counted inside macro", input: "macdef m\na\nb\n\n\nbogus", line: 6, msg: `bad toplevel token "bogus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tt.input))
			assert.Nil(t, f)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.line, pe.Line)
			assert.Contains(t, pe.Msg, tt.msg)
			assert.Contains(t, err.Error(), "line")
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestParseReadError(t *testing.T) {
	_, err := Parse(failingReader{})
	assert.EqualError(t, err, "boom")
}

func TestLookup(t *testing.T) {
	const withDefault = `
machine example.com login alice password a1
machine api.example.com account acct password a2
machine Example.org login bob password b1
machine example.com login alice2 password a3
machine empty
default login anon password guest
`
	const withoutDefault = "machine example.com login alice password a1\n"
	tests := []struct {
		name     string
		file     string
		host     string
		login    string
		password string
		ok       bool
	}{
		{name: "last entry wins", file: withDefault, host: "example.com", login: "alice2", password: "a3", ok: true},
		{name: "account when login is empty", file: withDefault, host: "api.example.com", login: "acct", password: "a2", ok: true},
		{name: "case-insensitive host", file: withDefault, host: "EXAMPLE.ORG", login: "bob", password: "b1", ok: true},
		{name: "entry with no fields", file: withDefault, host: "empty", ok: true},
		{name: "default fallback", file: withDefault, host: "other.net", login: "anon", password: "guest", ok: true},
		{name: "port is not stripped here", file: withoutDefault, host: "example.com:443"},
		{name: "no match, no default", file: withoutDefault, host: "other.net"},
		{name: "subdomain does not match", file: withoutDefault, host: "www.example.com"},
		{name: "empty host", file: withoutDefault, host: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tt.file))
			require.NoError(t, err)
			login, password, ok := f.Lookup(tt.host)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.login, login)
			assert.Equal(t, tt.password, password)
		})
	}
}

func TestMachine(t *testing.T) {
	f, err := Parse(strings.NewReader("machine h login l account a password p\ndefault account d"))
	require.NoError(t, err)
	e, ok := f.Machine("h")
	require.True(t, ok)
	assert.Equal(t, Entry{Machine: "h", Login: "l", Account: "a", Password: "p"}, e)
	e, ok = f.Machine("x")
	require.True(t, ok)
	assert.Equal(t, Entry{Account: "d"}, e)
	login, password, ok := f.Lookup("x")
	assert.True(t, ok)
	assert.Equal(t, "d", login)
	assert.Empty(t, password)
}

func TestMachineNamedDefault(t *testing.T) {
	f, err := Parse(strings.NewReader("machine default login md password mp\n"))
	require.NoError(t, err)
	_, _, ok := f.Lookup("example.com")
	assert.False(t, ok)
	login, password, ok := f.Lookup("default")
	assert.True(t, ok)
	assert.Equal(t, "md", login)
	assert.Equal(t, "mp", password)
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	require.NoError(t, os.WriteFile(good, []byte("machine h login l password p\n"), 0o600))
	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte("machine h\nlogin l\nbogus\n"), 0o600))

	f, err := ParseFile(good)
	require.NoError(t, err)
	login, password, ok := f.Lookup("h")
	assert.True(t, ok)
	assert.Equal(t, "l", login)
	assert.Equal(t, "p", password)

	_, err = ParseFile(bad)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, bad, pe.Path)
	assert.Equal(t, 3, pe.Line)
	assert.Contains(t, err.Error(), bad+":3:")

	_, err = ParseFile(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	_, err = ParseFile(dir)
	assert.Error(t, err)
}

func TestFind(t *testing.T) {
	type files struct{ netrc, underscore, custom bool }
	tests := []struct {
		name  string
		files files
		home  bool   // set $HOME to the temp home
		netrc string // $NETRC, with HOME/ and DIR/ replaced
		want  string // expected path, with HOME/ and DIR/ replaced
	}{
		{name: "dot netrc", files: files{netrc: true, underscore: true}, home: true, want: "HOME/.netrc"},
		{name: "underscore netrc", files: files{underscore: true}, home: true, want: "HOME/_netrc"},
		{name: "no file", home: true, want: ""},
		{name: "NETRC wins", files: files{netrc: true, custom: true}, home: true, netrc: "DIR/custom", want: "DIR/custom"},
		{name: "NETRC missing, no fallback", files: files{netrc: true}, home: true, netrc: "DIR/custom", want: ""},
		{name: "NETRC with tilde", files: files{netrc: true}, home: true, netrc: "~/.netrc", want: "HOME/.netrc"},
		{name: "NETRC tilde alone is the home directory", home: true, netrc: "~", want: "HOME"},
		{name: "NETRC ~user left alone", files: files{netrc: true}, home: true, netrc: "~nobody/.netrc", want: ""},
		{name: "NETRC without HOME", files: files{custom: true}, netrc: "DIR/custom", want: "DIR/custom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			require.NoError(t, os.Mkdir(home, 0o700))
			write := func(p string) { require.NoError(t, os.WriteFile(p, []byte("default login x\n"), 0o600)) }
			if tt.files.netrc {
				write(filepath.Join(home, ".netrc"))
			}
			if tt.files.underscore {
				write(filepath.Join(home, "_netrc"))
			}
			if tt.files.custom {
				write(filepath.Join(dir, "custom"))
			}
			subst := func(s string) string {
				if s == "HOME" {
					return home
				}
				s = strings.Replace(s, "HOME/", home+string(filepath.Separator), 1)
				return strings.Replace(s, "DIR/", dir+string(filepath.Separator), 1)
			}
			env := map[string]string{"NETRC": subst(tt.netrc)}
			if tt.home {
				env["HOME"] = home
			}
			assert.Equal(t, subst(tt.want), Find(func(k string) string { return env[k] }))
		})
	}
}

func TestFindFallsBackToUserHomeDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".netrc"), nil, 0o600))
	t.Setenv("HOME", dir)
	t.Setenv("USERPROFILE", dir)
	t.Setenv("home", dir)
	assert.Equal(t, filepath.Join(dir, ".netrc"), Find(func(string) string { return "" }))
}
