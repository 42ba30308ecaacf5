package requests_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"

	"github.com/go-requests/requests"
)

// exampleProxy is a forward proxy on loopback for ExampleProxies: it sends
// what it gets for httpbin.org to the in-process httpbin, adding a Via
// header, as a real proxy would.
var exampleProxy = httptest.NewServer(&httputil.ReverseProxy{
	Rewrite: func(pr *httputil.ProxyRequest) {
		target, _ := url.Parse(exampleServer.URL)
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host
		pr.Out.Header.Set("Via", "1.1 example-proxy")
	},
	Transport: &http.Transport{DisableKeepAlives: true},
})

func ExampleProxies() {
	s := requests.NewSession(requests.Proxies{"http": exampleProxy.URL})
	defer s.Close()

	resp, err := s.Get("http://httpbin.org/headers")
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct{ Headers map[string][]string }
	if err := resp.JSON(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body.Headers["Via"])
	// Output:
	// [1.1 example-proxy]
}

func ExampleDigestAuth() {
	resp, err := requests.Get("https://httpbin.org/digest-auth/auth/user/passwd/SHA-256",
		requests.DigestAuth("user", "passwd"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The server's challenge was answered once; the 401 is kept in History.
	fmt.Println(resp.History[0].StatusCode, resp.StatusCode)
	// Output:
	// 401 200
}

// logged is middleware for Mount: it prints each request, then sends it on.
type logged struct {
	name string
	next http.RoundTripper
}

func (l logged) RoundTrip(req *http.Request) (*http.Response, error) {
	fmt.Println(l.name+":", req.Method, req.URL)
	return l.next.RoundTrip(req)
}

func ExampleSession_Mount() {
	s := requests.NewSession()
	defer s.Close()
	// offline sends httpbin.org to an in-process server, so this runs offline.
	s.Mount("https://httpbin.org/", logged{"site", offline})
	s.Mount("https://httpbin.org/anything/", logged{"anything", offline})

	for _, u := range []string{"https://httpbin.org/get", "https://httpbin.org/anything/x"} {
		if _, err := s.Get(u); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// site: GET https://httpbin.org/get
	// anything: GET https://httpbin.org/anything/x
}

func ExampleHook() {
	s := requests.NewSession(
		requests.Hook(func(r *requests.Response) error {
			fmt.Println("got", r.StatusCode, "from", r.URL)
			return nil
		}),
		// A hook that fails the call: every 4xx and 5xx becomes an error.
		requests.Hook(func(r *requests.Response) error { return r.Raise() }),
	)
	defer s.Close()
	s.Mount("https://httpbin.org/", offline)

	_, err := s.Get("https://httpbin.org/status/404")
	fmt.Println(err)
	// Output:
	// got 404 from https://httpbin.org/status/404
	// GET https://httpbin.org/status/404: 404 Client Error: Not Found for url: https://httpbin.org/status/404
}

func ExampleSession_Update() {
	s := requests.NewSession(requests.Headers{"X-Team": "gophers"})
	defer s.Close()
	s.Mount("https://httpbin.org/", offline)

	// Like s.headers.update(...) and s.auth = ...: later calls see the change.
	s.Update(requests.Headers{"X-Token": "t0ken"}, requests.OmitHeaders("User-Agent"))
	resp, err := s.Get("https://httpbin.org/headers")
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct{ Headers map[string][]string }
	if err := resp.JSON(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body.Headers["X-Team"], body.Headers["X-Token"], body.Headers["User-Agent"])
	fmt.Println(s.Settings().Headers.Get("X-Token"))
	// Output:
	// [gophers] [t0ken] []
	// t0ken
}

func ExampleSession_Cookies() {
	// Cookies given to the Session are sent with every call.
	s := requests.NewSession(requests.Cookies{"theme": "dark"})
	defer s.Close()
	s.Mount("https://httpbin.org/", offline)

	// The server's cookies land in the Session's jar.
	if _, err := s.Get("https://httpbin.org/cookies/set?session=abc"); err != nil {
		fmt.Println(err)
		return
	}
	cookies, err := s.Cookies("https://httpbin.org/")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cookies {
		fmt.Println(c.Name, c.Value)
	}

	s.ClearCookies()
	cookies, _ = s.Cookies("https://httpbin.org/")
	fmt.Println(len(cookies))
	// Output:
	// session abc
	// theme dark
	// 0
}

func ExampleSession_Jar() {
	s := requests.NewSession()
	defer s.Close()
	s.Mount("https://httpbin.org/", offline)

	// Set a cookie for one site directly in the jar, as with s.cookies.set(..., domain=...).
	site, _ := url.Parse("https://httpbin.org/")
	s.Jar().SetCookies(site, []*http.Cookie{{Name: "flavour", Value: "oat"}})

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

func ExampleSession_Prepare() {
	s := requests.NewSession(requests.Headers{"X-Team": "gophers"})
	defer s.Close()
	s.Mount("https://httpbin.org/", offline)

	// Build the request as Do would, change it, then send it.
	req, err := s.Prepare("POST", "https://httpbin.org/post", requests.JSON(map[string]int{"n": 1}))
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("X-Signature", "sig-of-the-body")

	resp, err := s.Send(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct {
		JSON    map[string]int
		Headers map[string][]string
	}
	if err := resp.JSON(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body.JSON["n"], body.Headers["X-Team"], body.Headers["X-Signature"])
	// Output:
	// 1 [gophers] [sig-of-the-body]
}

func ExampleSession_Settings() {
	s := requests.NewSession(requests.Params{"lang": "go"}, requests.MaxRedirects(5))
	defer s.Close()
	st := s.Settings()
	fmt.Println(st.Params, st.MaxRedirects, st.Verify, st.TrustEnv)
	// Output:
	// map[lang:[go]] 5 true true
}
