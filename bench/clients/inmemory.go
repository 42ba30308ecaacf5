package clients

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// InMemoryPrefix is the URL prefix the in-memory transport answers.
const InMemoryPrefix = "http://in-memory.invalid/"

// InMemory is a RoundTripper that answers every request at once,
// without a network: with it, a benchmark measures what a library adds to
// a call, free of the noise of round trips on a busy machine.
type InMemory struct{ Body []byte }

// RoundTrip answers 200: with the request body when there is one (an echo,
// as the loopback server's /echo), with Body otherwise.
func (m InMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	body := m.Body
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	return &http.Response{
		Status:     "200 OK",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":   {"application/json"},
			"Content-Length": {strconv.Itoa(len(body))},
		},
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(bytes.NewReader(body)),
		Request:       req,
	}, nil
}
