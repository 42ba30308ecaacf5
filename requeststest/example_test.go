package requeststest_test

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/requeststest"
)

// exampleT stands in, in these examples, for the *testing.T a test
// function gets: it prints failures, and runs cleanups at end().
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper() {}
func (t *exampleT) Errorf(format string, args ...any) {
	// Paths differ from machine to machine; the file name is enough.
	fmt.Println("FAIL:", regexp.MustCompile(`\S*/([\w.]+\.go:\d+) \(\S+\)`).ReplaceAllString(fmt.Sprintf(format, args...), "$1"))
}
func (t *exampleT) Fatalf(format string, args ...any) { t.Errorf(format, args...) }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

func ExampleNewMock() {
	t := &exampleT{}
	defer t.end()

	type User struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	m := requeststest.NewMock(t)
	m.On("GET https://api.example.com/users/{id}").Reply(200, User{ID: 7, Name: "gopher"})
	m.On("POST https://api.example.com/users").Times(1).Reply(201, `{"id": 8}`)

	s := m.Session()
	resp, err := s.Get("https://api.example.com/users/7")
	if err != nil {
		fmt.Println(err)
		return
	}
	var user User
	fmt.Println(resp.JSON(&user), user)
	resp, err = s.Post("https://api.example.com/users", requests.JSON(User{Name: "ferris"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.Text())
	// Output:
	// <nil> {7 gopher}
	// 201 {"id": 8}
}

// Function responders get the route's wildcards as PathValues.
func ExampleRoute_Handle() {
	t := &exampleT{}
	defer t.end()

	m := requeststest.NewMock(t)
	m.On("GET /repos/{owner}/{name}").Handle(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s owns %s", r.PathValue("owner"), r.PathValue("name"))
	})
	resp, err := m.Session().Get("https://api.example.com/repos/golang/go")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text())
	// Output:
	// golang owns go
}

// A sequence answers 503 first and 200 from then on: a retry test.
func ExampleReply_Then() {
	t := &exampleT{}
	defer t.end()

	m := requeststest.NewMock(t)
	m.On("GET https://api.example.com/flaky").
		Reply(503, "busy").Header("Retry-After", "0").Then().
		Reply(200, "ok")
	s := m.Session(requests.Retry(requests.RetryPolicy{Total: 3}))
	resp, err := s.Get("https://api.example.com/flaky")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.Text(), "after", resp.Retries, "retry")
	// Output:
	// 200 ok after 1 retry
}

// Failures are the errors a broken connection gives, classified as
// requests classifies those.
func ExampleRoute_Fail() {
	t := &exampleT{}
	defer t.end()

	m := requeststest.NewMock(t)
	m.On("GET /reset").Fail(requeststest.ErrReset)
	m.On("GET /timeout").Fail(requeststest.ErrTimeout)
	m.On("GET /slow").Reply(200, "late").Delay(time.Minute)
	m.On("GET /cut").Reply(200, "a body cut short").FailAfter(5, requeststest.ErrTimeout)
	s := m.Session(requests.Timeout(20 * time.Millisecond))

	_, err := s.Get("https://api.example.com/reset")
	fmt.Println(errors.Is(err, requests.ErrConnection))
	for _, path := range []string{"/timeout", "/slow", "/cut"} {
		_, err = s.Get("https://api.example.com" + path)
		fmt.Println(path, errors.Is(err, requests.ErrReadTimeout))
	}
	// Output:
	// true
	// /timeout true
	// /slow true
	// /cut true
}

// A request no route matches fails, naming the closest routes.
func ExampleMock_RoundTrip() {
	t := &exampleT{}
	defer t.end()

	m := requeststest.NewMock(t)
	m.On("GET https://api.example.com/users/{id}").AnyTimes().Header("Authorization", "Bearer t")
	m.On("DELETE https://api.example.com/users/{id}").AnyTimes()
	_, err := m.Session().Get("https://api.example.com/users/7")
	fmt.Println(errors.Is(err, requeststest.ErrNoRoute))
	fmt.Println(err)
	// Output:
	// true
	// GET https://api.example.com/users/7: connection error: requeststest: no route matches: GET https://api.example.com/users/7; closest routes:
	// 	GET https://api.example.com/users/{id}: no header Authorization (want "Bearer t")
	// 	DELETE https://api.example.com/users/{id}: method is GET, not DELETE
}

// Requests returns what the code under test sent.
func ExampleMock_Requests() {
	t := &exampleT{}
	defer t.end()

	m := requeststest.NewMock(t)
	m.On("POST /events").Reply(202, nil)
	s := m.Session(requests.Headers{"User-Agent": "shipper/1.0"})
	if _, err := s.Post("https://api.example.com/events", requests.JSON(map[string]string{"kind": "deploy"})); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range m.Requests() {
		body, _ := r.GetBody()
		b := make([]byte, 64)
		n, _ := body.Read(b)
		fmt.Println(r.Method, r.URL, r.Header.Get("User-Agent"), string(b[:n]))
	}
	// Output:
	// POST https://api.example.com/events shipper/1.0 {"kind":"deploy"}
}

// A route not called as often as it expects fails the test when it ends.
func ExampleRoute_Times() {
	t := &exampleT{}
	m := requeststest.NewMock(t)
	m.On("GET /token").Times(2).Reply(200, "t0k")
	m.On("GET /optional").AnyTimes()
	if _, err := m.Session().Get("https://auth.example.com/token"); err != nil {
		fmt.Println(err)
	}
	t.end() // the test ends
	// Output:
	// FAIL: requeststest: route "GET /token" was called 1 times, want 2
}

// A cassette replays recorded exchanges; run the test once with
// REQUESTS_RECORD=1 to record them from the real server.
func ExampleCassette() {
	t := &exampleT{}
	defer t.end()

	s := requests.NewSession()
	defer s.Close()
	s.Mount("https://api.example.com/", requeststest.Cassette(t, "testdata/users.json"))
	resp, err := s.Get("https://api.example.com/users/7", requests.BearerAuth("the real token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.Text())
	_, err = s.Get("https://api.example.com/users/9")
	fmt.Println(errors.Is(err, requeststest.ErrNotRecorded))
	// Output:
	// 200 {"id": 7, "name": "gopher"}
	// true
}

// NoLeaks fails the test when a streamed Response is left open, naming
// the line that opened it.
func ExampleNoLeaks() {
	t := &exampleT{}
	requeststest.NoLeaks(t)
	m := requeststest.NewMock(t)
	m.On("GET /events").Reply(200, "data: 1\n\ndata: 2\n\n")
	s := m.Session()

	closed, err := s.Get("https://api.example.com/events", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	closed.Close()
	forgotten, err := s.Get("https://api.example.com/events", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	t.end() // the test ends
	forgotten.Close()
	// Output:
	// FAIL: requeststest: a streamed Response opened at example_test.go:222 is still open: Close it, or read its body to the end
}

// A fault server misbehaves on purpose, over a real socket.
func ExampleNewFaultServer() {
	t := &exampleT{}
	defer t.end()

	s := requests.NewSession(requests.Timeout(50 * time.Millisecond))
	defer s.Close()
	for _, f := range []requeststest.Fault{requeststest.Stall, requeststest.Reset, requeststest.Truncate, requeststest.TLSAbort} {
		srv := requeststest.NewFaultServer(t, f)
		_, err := s.Get(srv.URL)
		fmt.Println(f, errors.Is(err, requests.ErrReadTimeout), errors.Is(err, requests.ErrConnection),
			errors.Is(err, requests.ErrChunkedEncoding), errors.Is(err, requests.ErrSSL))
	}
	// Output:
	// Stall true false false false
	// Reset false true false false
	// Truncate false false true false
	// TLSAbort false true false true
}
