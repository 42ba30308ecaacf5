package requests_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-requests/requests"
)

func ExampleGet() {
	resp, err := requests.Get("https://httpbin.org/get",
		requests.Params{"q": "gopher", "page": "2"},
		requests.Headers{"Accept": "application/json"},
		requests.Timeout(5*time.Second),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct {
		Args map[string][]string `json:"args"`
	}
	if err := resp.JSON(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.Reason)
	fmt.Println(body.Args["q"], body.Args["page"])
	// Output:
	// 200 OK
	// [gopher] [2]
}

func ExamplePost() {
	resp, err := requests.Post("https://httpbin.org/post",
		requests.JSON(map[string]any{"name": "gopher", "tags": []string{"go", "http"}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct {
		JSON    map[string]any      `json:"json"`
		Headers map[string][]string `json:"headers"`
	}
	if err := resp.JSON(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body.JSON["name"], body.JSON["tags"])
	fmt.Println(body.Headers["Content-Type"])
	// Output:
	// gopher [go http]
	// [application/json]
}

func ExampleData() {
	resp, err := requests.Post("https://httpbin.org/post",
		requests.Data(map[string]string{"user": "gopher", "lang": "go"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct {
		Form map[string][]string `json:"form"`
	}
	if err := resp.JSON(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body.Form["user"], body.Form["lang"])
	// Output:
	// [gopher] [go]
}

func ExampleParams() {
	resp, err := requests.Get("https://httpbin.org/get?fixed=1", requests.Params{"q": "a b&c"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.URL)
	// Output:
	// https://httpbin.org/get?fixed=1&q=a+b%26c
}

func ExampleTimeout() {
	_, err := requests.Get("https://httpbin.org/delay/3", requests.Timeout(100*time.Millisecond))
	fmt.Println(errors.Is(err, requests.ErrTimeout), errors.Is(err, requests.ErrReadTimeout))
	// Output:
	// true true
}

func ExampleResponse_Raise() {
	resp, err := requests.Get("https://httpbin.org/status/404")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.OK())
	fmt.Println(resp.Raise())
	var httpErr *requests.HTTPError
	fmt.Println(errors.As(resp.Raise(), &httpErr), httpErr.StatusCode())
	// Output:
	// false
	// 404 Client Error: Not Found for url: https://httpbin.org/status/404
	// true 404
}

func ExampleGet_redirects() {
	resp, err := requests.Get("https://httpbin.org/redirect/2")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, hop := range resp.History {
		fmt.Println(hop.StatusCode, hop.URL)
	}
	fmt.Println(resp.StatusCode, resp.URL)
	// Output:
	// 302 https://httpbin.org/redirect/2
	// 302 https://httpbin.org/relative-redirect/1
	// 200 https://httpbin.org/get
}

func ExampleAllowRedirects() {
	resp, err := requests.Get("https://httpbin.org/redirect/1", requests.AllowRedirects(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.IsRedirect(), resp.Headers.Get("Location"))
	// Output:
	// 302 true /get
}

func ExampleBasicAuth() {
	resp, err := requests.Get("https://httpbin.org/basic-auth/user/secret", requests.BasicAuth("user", "secret"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode)
	// Output:
	// 200
}

func ExampleNewSession() {
	s := requests.NewSession(
		requests.Headers{"X-Client": "docs"},
		requests.Timeout(10*time.Second),
	)
	defer s.Close()
	s.Mount("https://httpbin.org/", offline) // serve httpbin.org in-process, so this runs offline

	// The Session's cookie jar keeps what the server sets.
	if _, err := s.Get("https://httpbin.org/cookies/set?flavour=oat", requests.AllowRedirects(false)); err != nil {
		fmt.Println(err)
		return
	}
	resp, err := s.Get("https://httpbin.org/cookies")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(resp.Text())
	// Output:
	// {
	//   "cookies": {
	//     "flavour": "oat"
	//   }
	// }
}

func ExampleErrConnection() {
	_, err := requests.Get("http://127.0.0.1:1/", requests.Timeout(time.Second))
	fmt.Println(errors.Is(err, requests.ErrConnection))
	// Output:
	// true
}
