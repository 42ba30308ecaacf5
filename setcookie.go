package requests

import (
	"net/http"
	"strings"
)

// parseSetCookies parses a response's Set-Cookie headers leniently, as
// RFC 6265 section 5.2 and requests do: the value is kept verbatim, quotes
// and backslashes included, where net/http drops a value such as
// "\"bar:baz\"" (Werkzeug sends them) or strips the quotes of "bar". The
// name must still be a token, and a value with a control byte is dropped:
// such a cookie could not be sent back safely. The attributes are parsed by
// net/http.
func parseSetCookies(lines []string) []*http.Cookie {
	var out []*http.Cookie
	for _, line := range lines {
		if c := parseSetCookie(line); c != nil {
			out = append(out, c)
		}
	}
	return out
}

func parseSetCookie(line string) *http.Cookie {
	pair, attrs, _ := strings.Cut(line, ";")
	name, value, ok := strings.Cut(pair, "=")
	if !ok {
		return nil
	}
	name, value = strings.Trim(name, " \t"), strings.Trim(value, " \t")
	if checkCookie(name, value) != nil {
		return nil
	}
	c, err := http.ParseSetCookie("v=v;" + attrs)
	if err != nil {
		return nil
	}
	c.Name, c.Value, c.Quoted, c.Raw = name, value, false, line
	return c
}
