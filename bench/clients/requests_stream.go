package clients

import (
	"io"

	"github.com/go-requests/requests"
)

// streamRequests reads the body with Stream(true) and Response.Body.
func streamRequests(s *requests.Session) func(string, io.Writer) (int64, error) {
	return streamWith(s, func(resp *requests.Response, w io.Writer) (int64, error) {
		return io.Copy(w, resp.Body())
	})
}

// iterContentRequests reads the body with Stream(true) and IterContent(64 KiB).
func iterContentRequests(s *requests.Session) func(string, io.Writer) (int64, error) {
	return streamWith(s, func(resp *requests.Response, w io.Writer) (int64, error) {
		return writeAll(w, resp.IterContent(64<<10), 0)
	})
}

// iterLinesRequests reads the body with Stream(true) and IterLines, counting
// each line's terminator ("\n" in the generated bodies) back in.
func iterLinesRequests(s *requests.Session) func(string, io.Writer) (int64, error) {
	return streamWith(s, func(resp *requests.Response, w io.Writer) (int64, error) {
		return writeAll(w, resp.IterLines(), 1)
	})
}

// streamWith GETs url with Stream(true), checks the status and hands the
// Response to read.
func streamWith(s *requests.Session, read func(*requests.Response, io.Writer) (int64, error)) func(string, io.Writer) (int64, error) {
	return func(url string, w io.Writer) (int64, error) {
		resp, err := s.Get(url, requests.Stream(true))
		if err != nil {
			return 0, err
		}
		defer resp.Close()
		if err := checkStatus(resp.StatusCode); err != nil {
			return 0, err
		}
		return read(resp, w)
	}
}

// writeAll writes every piece seq yields to w, counting extra bytes more
// per piece.
func writeAll(w io.Writer, seq func(func([]byte, error) bool), extra int64) (int64, error) {
	var n int64
	for b, err := range seq {
		if err != nil {
			return n, err
		}
		k, err := w.Write(b)
		n += int64(k) + extra
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
