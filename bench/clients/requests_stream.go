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

// iterContentRequests reads the body with Stream(true) and IterContent(64 KiB).
func iterContentRequests(s *requests.Session) func(string, io.Writer) (int64, error) {
	return func(url string, w io.Writer) (int64, error) {
		resp, err := s.Get(url, requests.Stream(true))
		if err != nil {
			return 0, err
		}
		defer resp.Close()
		if err := checkStatus(resp.StatusCode); err != nil {
			return 0, err
		}
		var n int64
		for chunk, err := range resp.IterContent(64 << 10) {
			if err != nil {
				return n, err
			}
			k, err := w.Write(chunk)
			n += int64(k)
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
}

// iterLinesRequests reads the body with Stream(true) and IterLines, counting
// each line's terminator ("\n" in the generated bodies) back in.
func iterLinesRequests(s *requests.Session) func(string, io.Writer) (int64, error) {
	return func(url string, w io.Writer) (int64, error) {
		resp, err := s.Get(url, requests.Stream(true))
		if err != nil {
			return 0, err
		}
		defer resp.Close()
		if err := checkStatus(resp.StatusCode); err != nil {
			return 0, err
		}
		var n int64
		for line, err := range resp.IterLines() {
			if err != nil {
				return n, err
			}
			k, err := w.Write(line)
			n += int64(k) + 1
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
}
