package clients

import (
	"io"

	"github.com/go-requests/requests"
)

// streamRequests reads the body with Stream(true) and Response.Body.
func streamRequests(s *requests.Session) func(string, io.Writer) (int64, error) {
	return func(url string, w io.Writer) (int64, error) {
		resp, err := s.Get(url, requests.Stream(true))
		if err != nil {
			return 0, err
		}
		defer resp.Close()
		if err := checkStatus(resp.StatusCode); err != nil {
			return 0, err
		}
		return io.Copy(w, resp.Body())
	}
}
