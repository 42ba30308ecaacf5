package testdaemon

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// NginxEchoPath is the path at which an Nginx daemon answers with a JSON
// description of the request (see NginxEcho).
const NginxEchoPath = "/_testdaemon/echo"

// NginxEcho is the JSON document served at NginxEchoPath.
type NginxEcho struct {
	// HTTP2 is nginx's $http2: "h2" for HTTP/2 over TLS, empty otherwise.
	HTTP2 string `json:"http2"`
	// Protocol is $server_protocol, such as "HTTP/2.0" or "HTTP/1.1".
	Protocol string `json:"protocol"`
	// TLSVersion is $ssl_protocol, such as "TLSv1.3".
	TLSVersion string `json:"tls_version"`
	// ALPN is $ssl_alpn_protocol, the protocol agreed in the TLS handshake.
	ALPN string `json:"alpn"`
	// Method is the request method.
	Method string `json:"method"`
	// URI is the request target as sent, with its query.
	URI string `json:"uri"`
	// Host is the Host header or the HTTP/2 :authority.
	Host string `json:"host"`
	// Headers holds the headers named in NginxOptions.EchoHeaders (and
	// User-Agent), keyed by the names as given there; a header the request
	// lacked has an empty value.
	Headers map[string]string `json:"headers"`
}

// NginxOptions configures Nginx.
type NginxOptions struct {
	// CertFile and KeyFile are the PEM server certificate (with any
	// intermediates) and private key to serve. Both are required.
	CertFile, KeyFile string
	// Upstream, when set, makes every path except NginxEchoPath a reverse
	// proxy to this URL (proxy_pass), which must be http:// or https:// on
	// a loopback address. Requests go upstream over HTTP/1.1 with the
	// client's Host header, unbuffered in both directions, so streamed
	// bodies stay streamed.
	Upstream string
	// Body is served with status 200 for every path except NginxEchoPath
	// when Upstream is empty; "ok\n" when empty.
	Body string
	// ContentType is Body's content type; "text/plain" when empty.
	ContentType string
	// EchoHeaders names request headers to report at NginxEchoPath, such as
	// "Accept-Encoding". nginx does not escape them: values containing '"'
	// or '\' make the document invalid JSON.
	EchoHeaders []string
	// DisableHTTP2 makes nginx offer only HTTP/1.1.
	DisableHTTP2 bool
	// ExtraConfig is placed verbatim inside the server block, after the
	// built-in locations; it may add locations of its own.
	ExtraConfig string
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// Nginx starts nginx serving HTTPS (with HTTP/2 unless disabled) on a free
// port of 127.0.0.1 with the given certificate. It answers NginxEchoPath
// with an NginxEcho JSON document, and every other path either with
// opts.Body or, when opts.Upstream is set, by proxying to the upstream. The
// returned Daemon's URL is "https://127.0.0.1:PORT".
//
// nginx runs as a single process (master_process off) with every temporary
// and log path in the test's temporary directory, so it works the same for
// root and ordinary users.
func Nginx(t testing.TB, opts NginxOptions) *Daemon {
	t.Helper()
	bin := Require(t, "nginx")
	if opts.CertFile == "" || opts.KeyFile == "" {
		t.Fatalf("testdaemon: nginx: CertFile and KeyFile are required")
	}
	if opts.Upstream != "" {
		if err := checkLoopbackURL(opts.Upstream); err != nil {
			t.Fatalf("testdaemon: nginx: upstream: %v", err)
		}
	}
	for _, h := range opts.EchoHeaders {
		if !headerName.MatchString(h) {
			t.Fatalf("testdaemon: nginx: bad header name %q", h)
		}
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	errorLog := filepath.Join(dir, "error.log")
	accessLog := filepath.Join(dir, "access.log")
	return launch(t, spec{
		name:   "nginx",
		binary: bin,
		scheme: "https",
		dir:    dir,
		logs:   []string{errorLog, accessLog},
		configure: func(port int) ([]string, error) {
			if err := os.WriteFile(conf, []byte(nginxConfig(dir, port, errorLog, accessLog, opts)), 0o644); err != nil {
				return nil, err
			}
			return []string{"-p", dir, "-c", conf, "-e", errorLog, "-g", "daemon off;"}, nil
		},
	})
}

func nginxConfig(dir string, port int, errorLog, accessLog string, opts NginxOptions) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	p("master_process off;")
	p("pid %s;", quote(filepath.Join(dir, "nginx.pid")))
	p("error_log %s info;", quote(errorLog))
	p("events { worker_connections 512; }")
	p("http {")
	p("  access_log %s;", quote(accessLog))
	for _, kind := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		p("  %s_temp_path %s;", kind, quote(filepath.Join(dir, kind+"_temp")))
	}
	p("  default_type application/octet-stream;")
	p(`  geo $dollar { default "$"; }`) // lets literal bodies contain '$'
	p("  server {")
	if opts.DisableHTTP2 {
		p("    listen 127.0.0.1:%d ssl;", port)
	} else {
		p("    listen 127.0.0.1:%d ssl http2;", port)
	}
	p("    server_name localhost;")
	p("    ssl_certificate %s;", quote(opts.CertFile))
	p("    ssl_certificate_key %s;", quote(opts.KeyFile))
	p("    ssl_protocols TLSv1.2 TLSv1.3;")
	p("    client_max_body_size 0;")
	p("    location = %s {", NginxEchoPath)
	p("      default_type application/json;")
	p("      return 200 '%s';", echoJSON(opts.EchoHeaders))
	p("    }")
	p("    location / {")
	if opts.Upstream != "" {
		p("      proxy_pass %s;", opts.Upstream)
		p("      proxy_http_version 1.1;")
		p("      proxy_set_header Host $http_host;")
		p(`      proxy_set_header Connection "";`)
		p("      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
		p("      proxy_set_header X-Forwarded-Proto $scheme;")
		p("      proxy_buffering off;")
		p("      proxy_request_buffering off;")
	} else {
		body, ctype := opts.Body, opts.ContentType
		if body == "" {
			body = "ok\n"
		}
		if ctype == "" {
			ctype = "text/plain"
		}
		p("      default_type %s;", quote(ctype))
		p("      return 200 %s;", nginxString(body))
	}
	p("    }")
	if opts.ExtraConfig != "" {
		p("%s", opts.ExtraConfig)
	}
	p("  }")
	p("}")
	return b.String()
}

// echoJSON builds the body of the echo location, to be single-quoted in the
// configuration.
func echoJSON(headers []string) string {
	fields := []string{
		`"http2":"${http2}"`,
		`"protocol":"${server_protocol}"`,
		`"tls_version":"${ssl_protocol}"`,
		`"alpn":"${ssl_alpn_protocol}"`,
		`"method":"${request_method}"`,
		`"uri":"${request_uri}"`,
		`"host":"${http_host}"`,
	}
	hs := []string{`"User-Agent":"${http_user_agent}"`}
	for _, h := range headers {
		if strings.EqualFold(h, "User-Agent") {
			continue
		}
		v := "http_" + strings.ReplaceAll(strings.ToLower(h), "-", "_")
		hs = append(hs, fmt.Sprintf(`"%s":"${%s}"`, h, v))
	}
	fields = append(fields, `"headers":{`+strings.Join(hs, ",")+`}`)
	return "{" + strings.Join(fields, ",") + "}\n"
}

// nginxString quotes s as an nginx string literal with no variables.
func nginxString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	s = strings.ReplaceAll(s, `$`, `${dollar}`)
	return "'" + s + "'"
}

// checkLoopbackURL makes sure u is an http or https URL whose host is a
// loopback address or "localhost".
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q: no query, fragment or user information allowed", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q: host must be a loopback address", raw)
	}
	if strings.ContainsAny(raw, " \t\r\n;'\"{}") {
		return fmt.Errorf("%q: unexpected characters", raw)
	}
	return nil
}
