package requests_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-requests/requests"
)

// A Session that retries failed connections and 502, 503 and 504 answers,
// backing off between attempts, as requests users do by mounting
// HTTPAdapter(max_retries=Retry(...)).
func ExampleRetry() {
	s := requests.NewSession(requests.Retry(requests.RetryPolicy{
		Total:           3,
		BackoffFactor:   10 * time.Millisecond,
		StatusForcelist: []int{502, 503, 504},
	}))
	defer s.Close()
	s.Mount("https://httpbin.org/", offline) // serve httpbin.org in-process, so this runs offline

	_, err := s.Get("https://httpbin.org/status/503")
	var re *requests.RetryError
	if errors.As(err, &re) {
		fmt.Println("gave up after", re.Attempts, "attempts, the last answer:", re.Response.StatusCode)
	}
	fmt.Println(errors.Is(err, requests.ErrRetry))

	r, err := s.Get("https://httpbin.org/get")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.StatusCode, "after", r.Retries, "retries")
	// Output:
	// gave up after 4 attempts, the last answer: 503
	// true
	// 200 after 0 retries
}

// CheckRetry widens what is retried while keeping the policy's own rules:
// here, a 429 without a Retry-After too.
func ExampleRetryPolicy_checkRetry() {
	p := requests.RetryPolicy{Total: 2}
	p.CheckRetry = func(a requests.RetryAttempt) bool {
		if a.Response != nil && a.Response.StatusCode == 429 {
			return true
		}
		return p.Retryable(a)
	}
	s := requests.NewSession(requests.Retry(p))
	defer s.Close()
	s.Mount("https://httpbin.org/", offline) // serve httpbin.org in-process, so this runs offline

	_, err := s.Get("https://httpbin.org/status/429")
	fmt.Println(err)
	// Output:
	// GET https://httpbin.org/status/429: retries exhausted: 3 attempts, the last: 429 Client Error: Too Many Requests for url: https://httpbin.org/status/429
}
