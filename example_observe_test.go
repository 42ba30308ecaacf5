package requests_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/go-requests/requests"
)

// httpbinSession returns a Session whose own Transport reaches
// http://httpbin.org at the in-process httpbin: its dialer sends every
// connection there, as curl's --resolve would.
func httpbinSession(opts ...requests.Option) *requests.Session {
	var d net.Dialer
	dial := requests.DialContext(func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, exampleServer.Listener.Addr().String())
	})
	return requests.NewSession(append([]requests.Option{dial}, opts...)...)
}

// span is what a tracer such as OpenTelemetry's records for one request.
type span struct {
	name   string
	status int
}

// tracer is shaped like otelhttp.NewTransport: a RoundTripper that records
// a span around each request it passes on.
type tracer struct {
	mu    sync.Mutex
	spans []span
}

func (tr *tracer) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		s := span{name: "HTTP " + req.Method + " " + req.URL.Path}
		if err == nil {
			s.status = resp.StatusCode
		}
		tr.mu.Lock()
		tr.spans = append(tr.spans, s)
		tr.mu.Unlock()
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func ExampleMiddleware() {
	// With OpenTelemetry: requests.Middleware(func(next http.RoundTripper)
	// http.RoundTripper { return otelhttp.NewTransport(next) }).
	var tr tracer
	s := httpbinSession(requests.Middleware(tr.wrap))
	defer s.Close()

	if _, err := s.Get("http://httpbin.org/redirect/2"); err != nil {
		fmt.Println(err)
		return
	}
	// Every hop went through the middleware, on the Session's own Transport.
	for _, sp := range tr.spans {
		fmt.Println(sp.name, sp.status)
	}
	// Output:
	// HTTP GET /redirect/2 302
	// HTTP GET /relative-redirect/1 302
	// HTTP GET /get 200
}

func ExampleTrace() {
	s := httpbinSession(requests.Trace(true))
	defer s.Close()

	for range 2 {
		resp, err := s.Get("http://httpbin.org/get")
		if err != nil {
			fmt.Println(err)
			return
		}
		t := resp.Timings()
		host, _, _ := net.SplitHostPort(t.RemoteAddr)
		fmt.Println(t.Protocol, "via", host, "reused:", t.Reused, "measured:", t.Total >= t.WaitFirstByte && t.Total > 0)
	}
	// Output:
	// HTTP/1.1 via 127.0.0.1 reused: false measured: true
	// HTTP/1.1 via 127.0.0.1 reused: true measured: true
}

func ExampleLogger() {
	// Records at Debug, without the time and duration so that the output
	// is the same on every run.
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	})
	s := httpbinSession(requests.Logger(slog.New(h)))
	defer s.Close()

	_, err := s.Get("http://httpbin.org/redirect-to?url=/status/204&api_key=k3y", requests.BasicAuth("user", "pass"))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// level=DEBUG msg="http request" method=GET url="http://httpbin.org/redirect-to?url=/status/204&api_key=REDACTED" status=302 bytes=0 attempt=1
	// level=DEBUG msg="http request" method=GET url=http://httpbin.org/status/204 status=204 bytes=0 attempt=1
}

func ExampleDump() {
	var wire strings.Builder
	s := httpbinSession(requests.Dump(&wire), requests.OmitHeaders("User-Agent", "Accept-Encoding"))
	defer s.Close()

	_, err := s.Post("http://httpbin.org/status/201?token=t0k", requests.BearerAuth("t0k"),
		requests.Data("hello"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The Date header changes on every run.
	fmt.Print(regexp.MustCompile(`(?m)^< Date: .*\n`).ReplaceAllString(wire.String(), ""))
	// Output:
	// * POST http://httpbin.org/status/201?token=REDACTED
	// > POST /status/201?token=REDACTED HTTP/1.1
	// > Host: httpbin.org
	// > Accept: */*
	// > Authorization: Bearer REDACTED
	// > Content-Length: 5
	// >
	// hello
	// < HTTP/1.1 201 Created
	// < Access-Control-Allow-Credentials: true
	// < Access-Control-Allow-Origin: *
	// < Content-Length: 0
	// < Content-Type: text/plain; charset=utf-8
	// <
}

func ExampleCurl() {
	s := requests.NewSession(requests.Headers{"X-Api-Key": "k3y"}, requests.SensitiveHeaders("X-Api-Key"))
	defer s.Close()

	req, err := s.Prepare("POST", "https://httpbin.org/anything?token=t0k",
		requests.JSON(map[string]string{"name": "it's me"}), requests.Verify(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(requests.Curl(req))
	// Output:
	// curl 'https://httpbin.org/anything?token=REDACTED' -H 'Accept: */*' --compressed -H 'Content-Type: application/json' -H 'User-Agent: go-requests/0.1.0' -H 'X-Api-Key: REDACTED' --data-binary '{"name":"it'\''s me"}' -k --connect-timeout 10
}

func ExampleSensitiveHeaders() {
	s := httpbinSession(requests.Headers{"X-Api-Key": "k3y"}, requests.SensitiveHeaders("X-Api-Key"))
	defer s.Close()

	show := func(u string) {
		resp, err := s.Get(u)
		if err != nil {
			fmt.Println(err)
			return
		}
		var body struct{ Headers map[string][]string }
		if err := resp.JSON(&body); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.URL, body.Headers["X-Api-Key"])
	}
	// The same origin gets the key; a redirect to another host does not.
	show("http://httpbin.org/redirect-to?url=/headers")
	show("http://httpbin.org/redirect-to?url=http://elsewhere.example/headers")
	// Output:
	// http://httpbin.org/headers [k3y]
	// http://elsewhere.example/headers []
}
