package http3_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/http3"
)

// The examples call https://h3.example.com and still run offline: an
// HTTP/3 server on 127.0.0.1 answers for that name, and offline trusts its
// certificate, resolves the name to loopback and ignores the machine's
// proxy environment.
var (
	exampleServer *server
	offline       []http3.TransportOption
)

func init() {
	s, err := startServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s", r.Proto)
	}), nil)
	if err != nil {
		panic(err)
	}
	exampleServer = s
	offline = []http3.TransportOption{http3.RootCAs(s.cert.pool), http3.Resolve(toLoopback), http3.TrustEnv(false)}
}

func closeExample() { exampleServer.Close() }

func ExampleNewSession() {
	t := http3.NewTransport(offline...)
	defer t.Close()
	s := http3.NewSession(t, requests.Timeout(5*time.Second))
	defer s.Close()

	resp, err := s.Get(exampleServer.NamedURL("/"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.Text())
	// Output: 200 hello over HTTP/3.0
}
