package requests_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/go-requests/requests"
)

func ExampleDenyPrivateNetworks() {
	// A service that fetches URLs its users give refuses internal ones:
	// loopback (as here), private networks, cloud metadata addresses.
	s := requests.NewSession(requests.DenyPrivateNetworks(true))
	defer s.Close()
	_, err := s.Get(exampleServer.URL + "/get")
	fmt.Println(errors.Is(err, requests.ErrDeniedAddress))

	// Named exceptions pass.
	s.Update(requests.AllowAddresses("127.0.0.1/32"))
	resp, err := s.Get(exampleServer.URL + "/get")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode)
	// Output:
	// true
	// 200
}

func ExampleDNSCache() {
	// Each host name is resolved at most once a minute, however many
	// connections the Session makes to it.
	s := requests.NewSession(requests.DNSCache(time.Minute))
	defer s.Close()
	resp, err := s.Get(exampleServer.URL + "/get")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, s.Settings().DNSCache)
	// Output:
	// 200 1m0s
}

func ExamplePinSHA256() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pinned")
	}))
	defer srv.Close()
	// The pin of a key: base64 of the SHA-256 of its SubjectPublicKeyInfo
	// (openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64).
	sum := sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo)
	pin := base64.StdEncoding.EncodeToString(sum[:])

	// The test server's certificate is self-signed: Verify(false) makes the
	// pin the whole check. With verification on, the pin is checked too.
	s := requests.NewSession(requests.Verify(false))
	defer s.Close()
	resp, err := s.Get(srv.URL, requests.PinSHA256(pin))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text())

	other := base64.StdEncoding.EncodeToString(make([]byte, sha256.Size))
	_, err = s.Get(srv.URL, requests.PinSHA256(other))
	fmt.Println(errors.Is(err, requests.ErrSSL))
	// Output:
	// pinned
	// true
}

func ExampleHTTP2Cleartext() {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Config.Protocols = &p
	srv.Start()
	defer srv.Close()

	s := requests.NewSession(requests.HTTP2Cleartext(true))
	defer s.Close()
	resp, err := s.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text())
	// Output:
	// HTTP/2.0
}

func ExampleRetryBudget() {
	var mu sync.Mutex
	hits := 0
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()

	// Each call may retry 3 times, but the Session as a whole retries at
	// most once per two calls: an outage does not quadruple the load.
	s := requests.NewSession(requests.Retry(requests.RetryPolicy{
		Total:           3,
		StatusForcelist: []int{503},
		Budget:          &requests.RetryBudget{Ratio: 0.5},
	}))
	defer s.Close()
	for range 10 {
		if _, err := s.Get(down.URL); !errors.Is(err, requests.ErrRetry) {
			fmt.Println(err)
		}
	}
	fmt.Println(hits, "requests for 10 calls")
	// Output:
	// 15 requests for 10 calls
}

func ExampleRetryPolicy_idempotencyKey() {
	var keys []string
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		if len(keys) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer flaky.Close()

	// POST is retried only because it carries an Idempotency-Key, the same
	// for both attempts, so the server can apply it once.
	s := requests.NewSession(requests.Retry(requests.RetryPolicy{
		StatusForcelist: []int{503},
		IdempotencyKey:  true,
	}))
	defer s.Close()
	resp, err := s.Post(flaky.URL, requests.JSON(map[string]string{"order": "gopher plush"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, len(keys), keys[0] == keys[1], len(keys[0]))
	// Output:
	// 201 2 true 32
}
