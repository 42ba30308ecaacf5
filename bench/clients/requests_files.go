//go:build filesapi

package clients

import (
	"os"

	"github.com/go-requests/requests"
)

// uploadFilesRequests posts the file as a multipart/form-data part.
func uploadFilesRequests(s *requests.Session) func(string, *os.File) error {
	return func(url string, f *os.File) error {
		resp, err := s.Post(url, requests.Files{"file": requests.File{Name: "upload.bin", Reader: f}})
		if err != nil {
			return err
		}
		return checkStatus(resp.StatusCode)
	}
}
