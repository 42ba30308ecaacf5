package clients

import "github.com/go-requests/requests"

// uploadFilesRequests posts the file at path as a multipart/form-data part,
// opened when the request is sent.
func uploadFilesRequests(s *requests.Session) func(url, path string) error {
	return func(url, path string) error {
		resp, err := s.Post(url, requests.Files{"file": requests.FileFromPath(path)})
		if err != nil {
			return err
		}
		return checkStatus(resp.StatusCode)
	}
}
