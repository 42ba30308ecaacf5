// Package clients wraps each HTTP client the benchmarks compare behind the
// same small set of operations, written the way each library's documentation
// shows them.
package clients

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Payload is the ~1 KiB JSON document of the POST scenario.
type Payload struct {
	ID      int       `json:"id"`
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Active  bool      `json:"active"`
	Tags    []string  `json:"tags"`
	Created time.Time `json:"created"`
	Items   []Item    `json:"items"`
	Note    string    `json:"note"`
}

// Item is one line of a Payload.
type Item struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// NewPayload returns the document every client posts.
func NewPayload() *Payload {
	p := &Payload{
		ID:      1234,
		Name:    "Gopher McGopherface",
		Email:   "gopher@example.com",
		Active:  true,
		Tags:    []string{"alpha", "beta", "gamma", "delta"},
		Created: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Note:    "The quick brown fox jumps over the lazy dog; the lazy dog sleeps on.",
	}
	for i := range 19 {
		p.Items = append(p.Items, Item{SKU: fmt.Sprintf("SKU-%05d", i*37), Qty: i + 1, Price: float64(i)*1.25 + 0.99})
	}
	return p
}

// Client is one library, set up once and reused, as a program would.
type Client struct {
	Name string
	// Get fetches url and reads the whole body; it returns the body's length.
	Get func(url string) (int, error)
	// PostJSON posts in as JSON to an echo endpoint and decodes the answer into out.
	PostJSON func(url string, in, out *Payload) error
	// Stream copies the body of url to w without holding it in memory.
	Stream func(url string, w io.Writer) (int64, error)
	// IterContent and IterLines stream the body of url as Stream does, with
	// the library's iterators (64 KiB chunks, lines); nil for other clients.
	IterContent, IterLines func(url string, w io.Writer) (int64, error)
	// Upload posts the file's content, streamed from disk. Nil when the
	// library's streamed upload is not measured.
	Upload func(url string, f *os.File) error
	// UploadFiles posts the file at path as a multipart upload streamed from
	// disk. Nil when the library's multipart upload is not measured.
	UploadFiles func(url, path string) error
	// Close releases idle connections.
	Close func()
}

// pool is the idle connections per host every tuned transport keeps: more
// than the 32 goroutines of the parallel scenario, so none churns.
const pool = 64

// tunedTransport is net/http's default Transport with a pool sized for the
// benchmark's concurrency: what "tuned net/http" means here.
func tunedTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * pool
	t.MaxIdleConnsPerHost = pool
	return t
}

var errStatus = errors.New("unexpected status")

func checkStatus(code int) error {
	if code != http.StatusOK {
		return fmt.Errorf("%w %d", errStatus, code)
	}
	return nil
}

// makers builds each client on rt, or on a tuned transport when rt is nil;
// the tuned net/http floor first. A maker returns nil when its client
// cannot be given another transport.
var makers = []struct {
	name string
	new  func(rt http.RoundTripper) *Client
}{
	{"nethttp", func(rt http.RoundTripper) *Client {
		return netHTTP("nethttp", &http.Client{Transport: orTuned(rt)})
	}},
	{"defaultclient", func(rt http.RoundTripper) *Client {
		if rt != nil {
			return nil
		}
		return netHTTP("defaultclient", http.DefaultClient)
	}},
	{"requests", requestsPackage},
	{"requests-session", requestsSession},
	{"resty-v2", restyV2},
	{"resty-v3", restyV3},
	{"carlmjohnson", carlmjohnson},
	{"retryablehttp", retryable},
}

func orTuned(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return tunedTransport()
	}
	return rt
}

// Names lists the clients in the order the tables show them, the floor first.
func Names() []string {
	out := make([]string, len(makers))
	for i, m := range makers {
		out[i] = m.name
	}
	return out
}

// New sets up the client called name.
func New(name string) (*Client, error) {
	for _, m := range makers {
		if m.name == name {
			return m.new(nil), nil
		}
	}
	return nil, fmt.Errorf("no client %q", name)
}

// NewInMemory sets up every client that can take another transport on rt,
// for requests to InMemoryPrefix: what is left to measure is each library's
// own cost.
func NewInMemory(rt http.RoundTripper) []*Client {
	var out []*Client
	for _, m := range makers {
		if c := m.new(rt); c != nil {
			out = append(out, c)
		}
	}
	return out
}
