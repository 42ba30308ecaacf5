package clients

import (
	"net/http"
	"os"

	"github.com/go-requests/requests"
)

// requestsPackage uses the package-level calls, on the library's defaults.
// Given a transport, it mounts it on the package-level Session.
func requestsPackage(rt http.RoundTripper) *Client {
	if rt != nil {
		requests.DefaultSession.Mount(InMemoryPrefix, rt)
	}
	return requestsClient("requests", requests.DefaultSession)
}

// requestsSession uses a Session whose pool is sized like the floor's.
func requestsSession(rt http.RoundTripper) *Client {
	s := requests.NewSession(requests.PoolSize(pool))
	if rt != nil {
		s.Mount(InMemoryPrefix, rt)
	}
	return requestsClient("requests-session", s)
}

func requestsClient(name string, s *requests.Session) *Client {
	c := &Client{
		Name: name,
		Get: func(url string) (int, error) {
			resp, err := s.Get(url)
			if err != nil {
				return 0, err
			}
			if err := checkStatus(resp.StatusCode); err != nil {
				return 0, err
			}
			return len(resp.Content()), nil
		},
		PostJSON: func(url string, in, out *Payload) error {
			resp, err := s.Post(url, requests.JSON(in))
			if err != nil {
				return err
			}
			if err := checkStatus(resp.StatusCode); err != nil {
				return err
			}
			return resp.JSON(out)
		},
		// Data with an *os.File streams the file as the raw body.
		Upload: func(url string, f *os.File) error {
			resp, err := s.Post(url, requests.Data(f))
			if err != nil {
				return err
			}
			return checkStatus(resp.StatusCode)
		},
		Close: func() { s.Close() },
	}
	c.Stream = streamRequests(s)
	c.IterContent = iterContentRequests(s)
	c.IterLines = iterLinesRequests(s)
	c.UploadFiles = uploadFilesRequests(s)
	return c
}
