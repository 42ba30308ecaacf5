package clients

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
)

// netHTTP is hand-written net/http code, as the standard library's
// documentation shows it.
func netHTTP(name string, hc *http.Client) *Client {
	return &Client{
		Name: name,
		Get: func(url string) (int, error) {
			resp, err := hc.Get(url)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			if err := checkStatus(resp.StatusCode); err != nil {
				return 0, err
			}
			b, err := io.ReadAll(resp.Body)
			return len(b), err
		},
		PostJSON: func(url string, in, out *Payload) error {
			b, err := json.Marshal(in)
			if err != nil {
				return err
			}
			resp, err := hc.Post(url, "application/json", bytes.NewReader(b))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if err := checkStatus(resp.StatusCode); err != nil {
				return err
			}
			return json.NewDecoder(resp.Body).Decode(out)
		},
		Stream: func(url string, w io.Writer) (int64, error) {
			resp, err := hc.Get(url)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			if err := checkStatus(resp.StatusCode); err != nil {
				return 0, err
			}
			return io.Copy(w, resp.Body)
		},
		Upload: func(url string, f *os.File) error {
			resp, err := hc.Post(url, "application/octet-stream", f)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			io.Copy(io.Discard, resp.Body)
			return checkStatus(resp.StatusCode)
		},
		Close: hc.CloseIdleConnections,
	}
}
