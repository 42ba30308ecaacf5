package requests_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"go.uber.org/goleak"

	"github.com/go-requests/requests"
)

// The examples show the URLs users copy (https://httpbin.org/...) and still
// run offline: that prefix is mounted onto an in-process go-httpbin served
// on 127.0.0.1 over a real socket.
var (
	exampleServer = httptest.NewServer(httpbin.New().Handler())
	offline       = toLocal(exampleServer.URL)
)

func init() {
	requests.DefaultSession.Mount("https://httpbin.org/", offline)
}

// toLocal returns a RoundTripper that sends every request to base instead of
// the host in its URL.
func toLocal(base string) http.RoundTripper {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	return &redirector{target: u, rt: &http.Transport{}}
}

type redirector struct {
	target *url.URL
	rt     *http.Transport
}

func (r *redirector) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = r.target.Scheme, r.target.Host, ""
	return r.rt.RoundTrip(out)
}

func (r *redirector) CloseIdleConnections() { r.rt.CloseIdleConnections() }

func TestMain(m *testing.M) {
	code := m.Run()
	// The package-level Session pools connections on purpose; let them go
	// before looking for leaked goroutines.
	requests.DefaultSession.Close()
	exampleProxy.Close()
	exampleServer.Close()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
