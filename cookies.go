package requests

import (
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Jar makes the Session, or one call, store and send cookies with j instead
// of the Session's own jar (requests' cookies=CookieJar). Jar(nil) on a call
// sends no stored cookies and keeps none.
func Jar(j http.CookieJar) Option {
	return optionFunc(func(c *config) { c.jar = j })
}

// addCookies sets the Cookie header: the jar's cookies for the URL, then the
// call's and Session's explicit Cookies, which win over jar cookies of the
// same name. A Cookie header given by the caller is left as it is, as in
// requests.
func addCookies(req *http.Request, c *config, cl *call) error {
	if req.Header.Get("Cookie") != "" {
		return nil
	}
	jar := c.jar
	if cl != nil {
		jar = cl.jar
	}
	var explicit Cookies
	if len(c.cookies) == 1 {
		explicit = c.cookies[0]
	} else if len(c.cookies) > 1 {
		explicit = Cookies{}
		for _, layer := range c.cookies {
			for k, v := range layer {
				explicit[k] = v
			}
		}
	}
	for k, v := range explicit {
		if err := checkCookie(k, v); err != nil {
			return err
		}
	}
	var b strings.Builder
	if jar != nil {
		for _, ck := range jar.Cookies(req.URL) {
			if _, ok := explicit[ck.Name]; ok {
				continue
			}
			writeCookie(&b, ck.Name, ck.Value)
		}
	}
	for k, v := range explicit {
		writeCookie(&b, k, v)
	}
	if b.Len() > 0 {
		req.Header.Set("Cookie", b.String())
	}
	return nil
}

func writeCookie(b *strings.Builder, name, value string) {
	if b.Len() > 0 {
		b.WriteString("; ")
	}
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
}

// checkCookie refuses a cookie that would break the Cookie header.
func checkCookie(name, value string) error {
	if name == "" || strings.IndexFunc(name, func(r rune) bool { return !httpguts.IsTokenRune(r) }) >= 0 {
		return fmt.Errorf("cookie name %q is not a token", name)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 || c == 0x7f || c == ';' {
			return fmt.Errorf("value of cookie %s holds %q", name, c)
		}
	}
	return nil
}
