// Package netrc reads .netrc files the way Python's netrc module (3.11 and
// later) does, and finds them the way Python requests' get_netrc_auth does,
// so that credentials picked up from the environment match requests.
//
// The format is a sequence of whitespace-separated tokens:
//
//	machine NAME  [login|user L] [password P] [account A]
//	default       [login|user L] [password P] [account A]
//	macdef NAME   followed by lines up to the first empty line (skipped)
//
// Tokens may be double-quoted, and a backslash escapes the next character
// inside or outside quotes. Where a keyword is expected, a token starting
// with '#' begins a comment that runs to the end of the line; values such as
// passwords may start with '#'.
//
// Differences from Python, all on input Python rejects or misreads: a
// comment is recognised after trailing whitespace and as '#word more' at top
// level (Python reports a bad token there); an empty quoted token where a
// keyword is expected is an error (Python silently stops reading); error
// lines are those where the offending token starts. Two choices differ on
// valid input: machine names match hosts case-insensitively (Python compares
// exactly; requests passes the lower-cased URL host, so lower-case names
// behave alike), and "machine default" is an ordinary host rather than the
// default entry. Python's file permission check does not apply, as requests
// always names the file explicitly.
package netrc

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ParseError reports a malformed .netrc file. Line is 1-based; Path is set by
// ParseFile. Callers that mirror requests ignore the file on this error.
type ParseError struct {
	Path string
	Line int
	Msg  string
}

// Error gives the path, if known, the line and the fault.
func (e *ParseError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("netrc: %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("netrc: line %d: %s", e.Line, e.Msg)
}

// Entry is one machine or default entry. Fields missing from the file are
// empty, as in Python's netrc.authenticators.
type Entry struct {
	// Machine is the host name; empty for the default entry.
	Machine string
	// Login is the login (or user) value.
	Login string
	// Account is the account value, which requests uses when Login is empty.
	Account string
	// Password is the password value.
	Password string
}

// File is a parsed .netrc file. It is immutable and safe for concurrent use.
type File struct {
	entries []Entry // machine entries in file order
	def     *Entry  // last default entry, if any
}

// Parse reads a .netrc file from r. Line endings may be LF, CRLF or CR, as
// Python reads the file in text mode.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parse(data)
}

// ParseFile reads and parses the .netrc file at path. Parse errors carry the
// path.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := parse(data)
	if pe, ok := err.(*ParseError); ok {
		pe.Path = path
	}
	return f, err
}

// Lookup returns the credentials for host, falling back to the default
// entry, as requests' get_netrc_auth does: the login, or the account when
// the login is empty, and the password. host is the bare host name without
// port or brackets (requests strips the port from the URL before looking
// up); it matches machine names case-insensitively, and the last matching
// entry wins, as in Python. ok reports whether an entry matched, even one
// with empty fields.
func (f *File) Lookup(host string) (login, password string, ok bool) {
	e, ok := f.Machine(host)
	if !ok {
		return "", "", false
	}
	login = e.Login
	if login == "" {
		login = e.Account
	}
	return login, e.Password, true
}

// Machine returns the entry for host, or the default entry, without
// requests' account fallback; host is matched as in Lookup.
func (f *File) Machine(host string) (Entry, bool) {
	for i := len(f.entries) - 1; i >= 0; i-- {
		if strings.EqualFold(f.entries[i].Machine, host) {
			return f.entries[i], true
		}
	}
	if f.def != nil {
		return *f.def, true
	}
	return Entry{}, false
}

// Find returns the .netrc path requests would use, or "" when there is none:
// $NETRC if set (with a leading ~ expanded, and no fallback if it does not
// exist), else ~/.netrc, else ~/_netrc. The home directory is $HOME, or
// os.UserHomeDir when $HOME is empty. env looks up environment variables
// (os.Getenv in production); an empty value counts as unset. A path that
// exists but cannot be read is still returned, so the caller sees the error.
func Find(env func(string) string) string {
	home := env("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if p := env("NETRC"); p != "" {
		p = expandTilde(p, home)
		if p != "" && exists(p) {
			return p
		}
		return ""
	}
	if home == "" {
		return ""
	}
	for _, name := range []string{".netrc", "_netrc"} {
		if p := filepath.Join(home, name); exists(p) {
			return p
		}
	}
	return ""
}

// expandTilde expands "~" and "~/..." with home; "~user" forms are left
// alone. It returns "" when expansion is needed but home is unknown.
func expandTilde(p, home string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		return p
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, p[1:])
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// normalizeNewlines turns CRLF and lone CR into LF, as Python's text mode does.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

func parse(data []byte) (*File, error) {
	lx := &lexer{s: normalizeNewlines(data), line: 1}
	f := &File{}
	for {
		tok, ok := lx.next()
		if !ok {
			return f, nil
		}
		var e Entry
		switch {
		case strings.HasPrefix(tok.text, "#"):
			lx.skipComment(tok)
			continue
		case tok.text == "machine":
			name, ok := lx.next()
			if !ok || name.text == "" {
				return nil, &ParseError{Line: tok.line, Msg: "missing 'machine' name"}
			}
			e.Machine = name.text
		case tok.text == "default":
		case tok.text == "macdef":
			lx.next() // the macro name
			if err := lx.skipMacro(tok.line); err != nil {
				return nil, err
			}
			continue
		case tok.text == "":
			return nil, &ParseError{Line: tok.line, Msg: "empty token where 'machine', 'default' or 'macdef' was expected"}
		default:
			return nil, &ParseError{Line: tok.line, Msg: fmt.Sprintf("bad toplevel token %q", tok.text)}
		}
		if err := lx.entryBody(&e); err != nil {
			return nil, err
		}
		if tok.text == "default" {
			d := e
			f.def = &d
		} else {
			f.entries = append(f.entries, e)
		}
	}
}

type token struct {
	text string
	line int  // line the token starts on
	nl   bool // the token ended at a newline or the end of input
}

type lexer struct {
	s    []byte
	i    int
	line int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// read returns the next byte and advances, counting lines.
func (lx *lexer) read() byte {
	c := lx.s[lx.i]
	lx.i++
	if c == '\n' {
		lx.line++
	}
	return c
}

// next returns the next token; ok is false at the end of input. As in
// Python, an unquoted token consumes the whitespace byte that ends it, and an
// unterminated quoted token runs to the end of input.
func (lx *lexer) next() (tok token, ok bool) {
	for lx.i < len(lx.s) && isSpace(lx.s[lx.i]) {
		lx.read()
	}
	if lx.i >= len(lx.s) {
		return token{line: lx.line, nl: true}, false
	}
	tok.line = lx.line
	var b []byte
	if lx.s[lx.i] == '"' {
		lx.read()
		for lx.i < len(lx.s) {
			c := lx.read()
			switch {
			case c == '"':
				tok.text = string(b)
				return tok, true
			case c == '\\':
				if lx.i < len(lx.s) {
					b = append(b, lx.read())
				}
			default:
				b = append(b, c)
			}
		}
		tok.text, tok.nl = string(b), true
		return tok, true
	}
	for lx.i < len(lx.s) {
		c := lx.read()
		switch {
		case isSpace(c):
			tok.text, tok.nl = string(b), c == '\n'
			return tok, true
		case c == '\\':
			if lx.i < len(lx.s) {
				b = append(b, lx.read())
			}
		default:
			b = append(b, c)
		}
	}
	tok.text, tok.nl = string(b), true
	return tok, true
}

// peek returns the next token without consuming it.
func (lx *lexer) peek() (token, bool) {
	i, line := lx.i, lx.line
	tok, ok := lx.next()
	lx.i, lx.line = i, line
	return tok, ok
}

// skipComment skips the rest of the line of a comment token, unless the
// token already ended at a newline.
func (lx *lexer) skipComment(tok token) {
	if tok.nl {
		return
	}
	for lx.i < len(lx.s) && lx.read() != '\n' {
	}
}

// skipMacro skips a macdef body: the rest of the current line and the lines
// after it, up to and including the first empty line.
func (lx *lexer) skipMacro(startLine int) error {
	for {
		if lx.i >= len(lx.s) {
			return &ParseError{Line: startLine, Msg: "macro definition missing null line terminator"}
		}
		if lx.s[lx.i] == '\n' {
			lx.read()
			return nil
		}
		for lx.i < len(lx.s) && lx.read() != '\n' {
		}
	}
}

// entryBody reads the login, password and account of one entry, stopping
// before the next top-level keyword or at the end of input.
func (lx *lexer) entryBody(e *Entry) error {
	for {
		tok, ok := lx.peek()
		if !ok {
			return nil
		}
		switch tok.text {
		case "machine", "default", "macdef":
			return nil
		}
		lx.next()
		var field *string
		switch {
		case strings.HasPrefix(tok.text, "#"):
			lx.skipComment(tok)
			continue
		case tok.text == "login" || tok.text == "user":
			field = &e.Login
		case tok.text == "password":
			field = &e.Password
		case tok.text == "account":
			field = &e.Account
		case tok.text == "":
			return &ParseError{Line: tok.line, Msg: "empty token where 'login', 'password' or 'account' was expected"}
		default:
			return &ParseError{Line: tok.line, Msg: fmt.Sprintf("bad follower token %q", tok.text)}
		}
		// A missing value at the end of input reads as empty, as in Python.
		v, _ := lx.next()
		*field = v.text
	}
}
