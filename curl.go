package requests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-requests/requests/internal/redact"
)

// Curl returns a curl command line (for bash or zsh) that repeats req: a
// request from Prepare, or a Response's Request. It gives the method (-X
// only when curl would not infer it), the URL, the headers, the body
// (--data-binary, or a printf piped to it for a body with NUL bytes; a body
// that cannot be read again is left for the reader to supply from a file),
// --compressed for the library's own Accept-Encoding, and from the call's
// settings: -k for Verify(false), -x for its proxy, --connect-timeout, and
// --max-time for a Context deadline. Every byte is quoted safely.
//
// Secrets are masked as Dump masks them, so that the line can be shared;
// CurlUnredacted gives the real values.
func Curl(req *http.Request) string { return curlCommand(req, true) }

// CurlUnredacted is Curl with the credentials as they are: the line then
// holds secrets and must be handled as they are.
func CurlUnredacted(req *http.Request) string { return curlCommand(req, false) }

// preparedKey carries, in a request Prepare built, the settings it was
// built with, for Curl.
type preparedKey struct{}

// configOf is the settings a request was built or sent with, if known.
func configOf(ctx context.Context) *config {
	if cl := callOf(ctx); cl != nil {
		return cl.cfg
	}
	c, _ := ctx.Value(preparedKey{}).(*config)
	return c
}

func curlCommand(req *http.Request, masked bool) string {
	if req == nil || req.URL == nil {
		return ""
	}
	c := configOf(req.Context())
	var extra []string
	if c != nil {
		extra = c.SensitiveHeaders
	}
	var args []string
	add := func(a ...string) { args = append(args, a...) }

	body, hasBody, pipe := curlBody(req, masked)
	switch {
	case req.Method == http.MethodHead:
		add("--head")
	case req.Method == http.MethodGet && !hasBody, req.Method == http.MethodPost && hasBody:
	default:
		add("-X", shellQuote(req.Method))
	}
	u := req.URL.String()
	if masked {
		u = redact.RedactURL(req.URL)
	}
	add(shellQuote(u))
	if req.Host != "" && req.Host != req.URL.Host {
		add("-H", shellQuote("Host: "+req.Host))
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range req.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range req.Header[k] {
			switch {
			case k == "Accept-Encoding" && v == acceptEncoding:
				add("--compressed")
				continue
			case k == "Content-Length":
				continue // curl counts the body itself
			case k == "User-Agent" && v == "":
				add("-H", shellQuote("User-Agent:")) // none, as the library sends
				continue
			}
			if masked {
				v = redact.RedactHeader(k, v, extra...)
			}
			flag := "-H"
			if k == "Proxy-Authorization" {
				flag = "--proxy-header" // for the proxy only, as the library does
			}
			if strings.TrimSpace(v) == "" {
				add(flag, shellQuote(k+";")) // curl's spelling of an empty value
				continue
			}
			add(flag, shellQuote(k+": "+v))
		}
	}
	if hasBody {
		if req.Header.Get("Content-Type") == "" {
			add("-H", shellQuote("Content-Type:")) // curl would add a form's
		}
		add("--data-binary", body)
	}
	if c != nil {
		args = append(args, curlSettings(c, req, masked)...)
	}
	line := "curl " + strings.Join(args, " ")
	if pipe != "" {
		line = pipe + " | " + line
	}
	if hasBody && body == "@body" {
		line += " # the body was a stream: save it as ./body"
	}
	return line
}

// curlBody is the --data-binary argument for req's body, and the printf
// command to pipe it from when it holds a NUL byte, which no argument can.
func curlBody(req *http.Request, masked bool) (arg string, ok bool, pipe string) {
	if req.Body == nil || req.Body == http.NoBody {
		if req.GetBody == nil || req.ContentLength == 0 {
			return "", false, ""
		}
	}
	if req.GetBody == nil {
		return "@body", true, ""
	}
	rc, err := req.GetBody()
	if err != nil {
		return "@body", true, ""
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return "@body", true, ""
	}
	if masked && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		b = []byte(redact.RedactForm(string(b)))
	}
	if !slices.Contains(b, 0) {
		return shellQuote(string(b)), true, ""
	}
	return "@-", true, "printf " + printfFormat(b)
}

// curlSettings are the options the call's settings add.
func curlSettings(c *config, req *http.Request, masked bool) []string {
	var args []string
	if c.tls.insecure {
		args = append(args, "-k")
	}
	if p, err := selectProxy(c, req.URL); err == nil && p != nil {
		s := p.String()
		if masked {
			s = redact.RedactURL(p)
		}
		args = append(args, "-x", shellQuote(s))
	}
	if d := c.ConnectTimeout; d > 0 {
		args = append(args, "--connect-timeout", seconds(d))
	}
	if c.ctx != nil {
		if dl, ok := c.ctx.Deadline(); ok {
			args = append(args, "--max-time", seconds(max(time.Until(dl), time.Millisecond)))
		}
	}
	return args
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// shellQuote quotes s as one shell word: bare when every byte is safe,
// in single quotes when it is printable text, and as $'...' with escapes
// when it holds control bytes or bytes that are not UTF-8.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	plain := utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0
	if plain {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20, r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
			size = 1
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}

// printfFormat is a single-quoted printf format that prints p exactly:
// printable ASCII as it is, every other byte (and ', \, %) in octal.
func printfFormat(p []byte) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range p {
		if c >= 0x20 && c < 0x7f && c != '\'' && c != '\\' && c != '%' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\%03o`, c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
