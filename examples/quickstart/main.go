// Command quickstart tours the requests library: a GET with params, a JSON
// POST, a redirect, a timeout and Raise.
//
//	go run ./examples/quickstart              # against an in-process httpbin on 127.0.0.1
//	go run ./examples/quickstart -url URL     # against any httpbin, e.g. https://httpbin.org
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/go-requests/requests"
)

func main() {
	base := flag.String("url", "", "base URL of an httpbin service (default: one started in-process on 127.0.0.1)")
	flag.Parse()
	if *base == "" {
		*base = startHTTPBin()
	}
	if err := tour(*base); err != nil {
		log.Fatal(err)
	}
}

// startHTTPBin serves go-httpbin on a free loopback port, so the tour runs offline.
func startHTTPBin() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(l, httpbin.New().Handler())
	return "http://" + l.Addr().String()
}

func tour(base string) error {
	// 1. GET with query parameters, decoded from JSON.
	resp, err := requests.Get(base+"/get",
		requests.Params{"q": "gopher", "page": "2"},
		requests.Timeout(5*time.Second),
	)
	if err != nil {
		return err
	}
	var got struct {
		Args map[string][]string `json:"args"`
	}
	if err := resp.JSON(&got); err != nil {
		return err
	}
	fmt.Printf("GET  /get          -> %d %s, args %v\n", resp.StatusCode, resp.Reason, got.Args)

	// 2. POST a JSON body.
	resp, err = requests.Post(base+"/post", requests.JSON(map[string]any{"name": "gopher", "age": 13}))
	if err != nil {
		return err
	}
	var echoed struct {
		JSON map[string]any `json:"json"`
	}
	if err := resp.JSON(&echoed); err != nil {
		return err
	}
	fmt.Printf("POST /post         -> %d, server saw %v\n", resp.StatusCode, echoed.JSON)

	// 3. Redirects are followed, with history.
	resp, err = requests.Get(base + "/redirect/2")
	if err != nil {
		return err
	}
	fmt.Printf("GET  /redirect/2   -> %d at %s after %d redirects\n", resp.StatusCode, resp.URL, len(resp.History))

	// 4. A timeout is an error you can test for.
	_, err = requests.Get(base+"/delay/3", requests.Timeout(500*time.Millisecond))
	fmt.Printf("GET  /delay/3      -> timeout: %v\n", errors.Is(err, requests.ErrTimeout))

	// 5. HTTP errors are values; Raise turns 4xx and 5xx into an error.
	resp, err = requests.Get(base + "/status/404")
	if err != nil {
		return err
	}
	fmt.Printf("GET  /status/404   -> ok=%v, Raise: %v\n", resp.OK(), resp.Raise())
	var httpErr *requests.HTTPError
	if !errors.As(resp.Raise(), &httpErr) {
		fmt.Fprintln(os.Stderr, "unexpected: Raise did not return an *HTTPError")
	}
	return nil
}
