package requests_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/go-requests/requests"
)

// A breaker per host: two failures in a row open it, calls then fail at
// once with ErrCircuitOpen until the cooldown ends, and the probe that
// follows closes it again once the server is back.
func ExampleCircuitBreaker() {
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "up")
	}))
	defer srv.Close()

	s := requests.NewSession(requests.CircuitBreaker(requests.BreakerPolicy{
		Failures: 2,
		Cooldown: 20 * time.Millisecond,
		OnChange: func(host string, from, to requests.BreakerState) {
			fmt.Println("breaker:", from, "->", to)
		},
	}))
	defer s.Close()

	for range 2 {
		r, _ := s.Get(srv.URL)
		fmt.Println(r.StatusCode)
	}
	_, err := s.Get(srv.URL)
	var open *requests.CircuitOpenError
	if errors.As(err, &open) {
		fmt.Println("refused:", errors.Is(err, requests.ErrCircuitOpen))
		time.Sleep(time.Until(open.RetryAt)) // the cooldown
	}

	down.Store(false)
	r, err := s.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.StatusCode, r.Text())
	// Output:
	// 500
	// breaker: closed -> open
	// 500
	// refused: true
	// breaker: open -> half-open
	// breaker: half-open -> closed
	// 200 up
}

// One service on several servers: calls name a path, the Session places
// each on an endpoint in turn and moves a failed GET on to the next one.
func ExampleEndpoints() {
	serve := func(name string, status int) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprint(w, name, " ", r.URL.Path)
		}))
	}
	a, b := serve("a", http.StatusOK), serve("b", http.StatusServiceUnavailable)
	defer a.Close()
	defer b.Close()

	s := requests.NewSession(requests.Endpoints([]string{a.URL + "/v1", b.URL + "/v1"}, requests.RoundRobin))
	defer s.Close()
	for range 2 {
		r, err := s.Get("/users")
		if err != nil {
			fmt.Println(err)
			return
		}
		p := r.Protection()
		fmt.Println(r.Text(), "| moved from b:", len(p.Moves) == 1 && p.Moves[0] == b.URL+"/v1")
	}
	// Output:
	// a /v1/users | moved from b: false
	// a /v1/users | moved from b: true
}

// At most one call a second here, and no call waits more than 10 ms for its
// turn: the second call is refused at once.
func ExampleRateLimit() {
	s := requests.NewSession(requests.RateLimit(requests.RateLimitPolicy{
		PerSecond: 1,
		MaxWait:   10 * time.Millisecond,
	}))
	defer s.Close()
	s.Mount("https://httpbin.org/", offline) // serve httpbin.org in-process, so this runs offline

	r, err := s.Get("https://httpbin.org/get")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.StatusCode)
	_, err = s.Get("https://httpbin.org/get")
	fmt.Println(errors.Is(err, requests.ErrRateLimited))
	// Output:
	// 200
	// true
}
