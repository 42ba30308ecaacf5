package clients

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	carl "github.com/carlmjohnson/requests"
	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-retryablehttp"
	restyv3 "resty.dev/v3"
)

// Every peer gets a tuned transport of its own, so that the comparison is of
// the libraries and not of their pool sizes.

func restyV2(rt http.RoundTripper) *Client {
	c := resty.New().SetTransport(orTuned(rt))
	return &Client{
		Name: "resty-v2",
		Get: func(url string) (int, error) {
			resp, err := c.R().Get(url)
			if err != nil {
				return 0, err
			}
			if err := checkStatus(resp.StatusCode()); err != nil {
				return 0, err
			}
			return len(resp.Body()), nil
		},
		PostJSON: func(url string, in, out *Payload) error {
			resp, err := c.R().SetBody(in).SetResult(out).Post(url)
			if err != nil {
				return err
			}
			return checkStatus(resp.StatusCode())
		},
		Stream: func(url string, w io.Writer) (int64, error) {
			resp, err := c.R().SetDoNotParseResponse(true).Get(url)
			if err != nil {
				return 0, err
			}
			body := resp.RawBody()
			defer body.Close()
			if err := checkStatus(resp.StatusCode()); err != nil {
				return 0, err
			}
			return io.Copy(w, body)
		},
		Close: func() { c.GetClient().CloseIdleConnections() },
	}
}

func restyV3(rt http.RoundTripper) *Client {
	c := restyv3.New().SetTransport(orTuned(rt))
	return &Client{
		Name: "resty-v3",
		Get: func(url string) (int, error) {
			resp, err := c.R().Get(url)
			if err != nil {
				return 0, err
			}
			if err := checkStatus(resp.StatusCode()); err != nil {
				return 0, err
			}
			return len(resp.Bytes()), nil
		},
		PostJSON: func(url string, in, out *Payload) error {
			resp, err := c.R().SetBody(in).SetResult(out).Post(url)
			if err != nil {
				return err
			}
			return checkStatus(resp.StatusCode())
		},
		Stream: func(url string, w io.Writer) (int64, error) {
			resp, err := c.R().SetResponseDoNotParse(true).Get(url)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			if err := checkStatus(resp.StatusCode()); err != nil {
				return 0, err
			}
			return io.Copy(w, resp.Body)
		},
		Close: func() { c.Close() },
	}
}

func carlmjohnson(rt http.RoundTripper) *Client {
	hc := &http.Client{Transport: orTuned(rt)}
	ctx := context.Background()
	return &Client{
		Name: "carlmjohnson",
		Get: func(url string) (int, error) {
			var buf bytes.Buffer
			err := carl.URL(url).Client(hc).ToBytesBuffer(&buf).Fetch(ctx)
			return buf.Len(), err
		},
		PostJSON: func(url string, in, out *Payload) error {
			return carl.URL(url).Client(hc).BodyJSON(in).ToJSON(out).Fetch(ctx)
		},
		Stream: func(url string, w io.Writer) (int64, error) {
			cw := &countWriter{w: w}
			err := carl.URL(url).Client(hc).ToWriter(cw).Fetch(ctx)
			return cw.n, err
		},
		Close: hc.CloseIdleConnections,
	}
}

// countWriter counts what passes through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func retryable(rt http.RoundTripper) *Client {
	c := retryablehttp.NewClient()
	c.HTTPClient.Transport = orTuned(rt)
	c.Logger = nil // its default logger writes a line per request
	return &Client{
		Name: "retryablehttp",
		Get: func(url string) (int, error) {
			resp, err := c.Get(url)
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
			resp, err := c.Post(url, "application/json", b)
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
			resp, err := c.Get(url)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			if err := checkStatus(resp.StatusCode); err != nil {
				return 0, err
			}
			return io.Copy(w, resp.Body)
		},
		Close: c.HTTPClient.CloseIdleConnections,
	}
}
