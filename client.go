package requests

import "net/http"

// DefaultSession serves the package-level functions (requests.get and
// friends). It pools connections, and like requests' one-shot calls it keeps
// no cookies from one call to the next (they still flow within one call's
// redirect chain). Configure it with Update or Mount like any Session.
var DefaultSession = newSession(nil, nil)

// Get sends a GET request (requests.get).
//
//	resp, err := requests.Get(url, requests.Params{"q": "go"}, requests.Timeout(5*time.Second))
func Get(url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(http.MethodGet, url, opts...)
}

// Head sends a HEAD request (requests.head); it does not follow redirects
// unless AllowRedirects(true) is given.
func Head(url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(http.MethodHead, url, opts...)
}

// Post sends a POST request (requests.post), usually with JSON, Data or Files.
func Post(url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(http.MethodPost, url, opts...)
}

// Put sends a PUT request (requests.put).
func Put(url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(http.MethodPut, url, opts...)
}

// Patch sends a PATCH request (requests.patch).
func Patch(url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(http.MethodPatch, url, opts...)
}

// Delete sends a DELETE request (requests.delete).
func Delete(url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(http.MethodDelete, url, opts...)
}

// Options sends an OPTIONS request (requests.options).
func Options(url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(http.MethodOptions, url, opts...)
}

// Do sends a request with any method (requests.request).
func Do(method, url string, opts ...Option) (*Response, error) {
	return DefaultSession.Do(method, url, opts...)
}
