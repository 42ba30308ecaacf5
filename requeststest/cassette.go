package requeststest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/go-requests/requests/internal/redact"
)

// RecordEnv is the environment variable that makes Cassette record: set it
// to 1 (or true) to record real traffic, leave it unset to replay.
const RecordEnv = "REQUESTS_RECORD"

// CassetteOption adjusts a Cassette.
type CassetteOption func(*cassette)

// RecordThrough sets the RoundTripper a recording Cassette sends requests
// through, instead of a Transport configured like http.DefaultTransport.
// Replaying ignores it.
func RecordThrough(rt http.RoundTripper) CassetteOption {
	return func(c *cassette) { c.upstream = rt }
}

// Cassette returns an http.RoundTripper that replays the exchanges recorded
// in the file at path, for tests that run offline against answers a real
// server once gave. Mount it on a Session:
//
//	s := requests.NewSession()
//	s.Mount("https://", requeststest.Cassette(t, "testdata/users.json"))
//
// A request is answered by the first recorded exchange with the same
// method, URL and body not yet replayed (or, once all are, by the last of
// them), so a recorded sequence (a 503, then a 200) replays in order. A
// request with no recording fails its call with ErrNotRecorded, naming the
// nearest recorded exchange. A missing or unreadable file fails the test.
//
// With REQUESTS_RECORD=1 in the environment the Cassette records instead:
// every request goes to the real server (see RecordThrough) and, when the
// test ends, the exchanges are written to path as indented JSON, one entry
// per exchange, text bodies as strings and others in base64. Credentials
// are redacted before anything is written: the Authorization,
// Proxy-Authorization, Cookie and Set-Cookie headers' values, a URL's
// password, and the values of query parameters and form fields named like
// credentials (token, access_token, api_key, password, signature, ...).
// The URLs of later requests are redacted the same way before they are
// matched.
//
// The RoundTripper is safe for concurrent use.
func Cassette(t testing.TB, path string, opts ...CassetteOption) http.RoundTripper {
	t.Helper()
	c := &cassette{t: t, path: path}
	for _, o := range opts {
		o(c)
	}
	if rec, _ := strconv.ParseBool(os.Getenv(RecordEnv)); rec {
		c.recording = true
		if c.upstream == nil {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			t.Cleanup(tr.CloseIdleConnections)
			c.upstream = tr
		}
		t.Cleanup(c.save)
		return c
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &c.exchanges)
	}
	if err != nil {
		t.Fatalf("requeststest: cassette %s: %v (record it with %s=1)", path, err, RecordEnv)
		return nil
	}
	c.used = make([]bool, len(c.exchanges))
	return c
}

type cassette struct {
	t         testing.TB
	path      string
	recording bool
	upstream  http.RoundTripper

	mu        sync.Mutex
	exchanges []exchange
	used      []bool
}

// exchange is one request and its response, as the file holds it.
type exchange struct {
	Method            string      `json:"method"`
	URL               string      `json:"url"`
	RequestHeaders    http.Header `json:"request_headers,omitempty"`
	RequestBody       string      `json:"request_body,omitempty"`
	RequestBodyBase64 []byte      `json:"request_body_base64,omitempty"`
	Status            int         `json:"status"`
	ResponseHeaders   http.Header `json:"response_headers,omitempty"`
	Body              string      `json:"body,omitempty"`
	BodyBase64        []byte      `json:"body_base64,omitempty"`
}

func (e *exchange) requestBody() []byte {
	if e.RequestBodyBase64 != nil {
		return e.RequestBodyBase64
	}
	return []byte(e.RequestBody)
}

func (e *exchange) body() []byte {
	if e.BodyBase64 != nil {
		return e.BodyBase64
	}
	return []byte(e.Body)
}

// setBodies stores the bodies as text when they are, base64 otherwise.
func (e *exchange) setBodies(req, resp []byte) {
	if isText(req) {
		e.RequestBody = string(req)
	} else {
		e.RequestBodyBase64 = req
	}
	if isText(resp) {
		e.Body = string(resp)
	} else {
		e.BodyBase64 = resp
	}
}

func isText(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }

func (c *cassette) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	if c.recording {
		return c.record(req, body)
	}
	return c.replay(req, body)
}

// record sends req upstream and keeps the exchange, redacted.
func (c *cassette) record(req *http.Request, body []byte) (*http.Response, error) {
	out := withBody(req.Clone(req.Context()), body)
	if body == nil {
		out.Body, out.GetBody = nil, nil
	}
	resp, err := c.upstream.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	rbody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rbody))
	e := exchange{
		Method:          req.Method,
		URL:             redact.RedactURL(req.URL),
		RequestHeaders:  redact.RedactHeaders(req.Header),
		Status:          resp.StatusCode,
		ResponseHeaders: redact.RedactHeaders(resp.Header),
	}
	e.setBodies(redactBody(req.Header, body), rbody)
	c.mu.Lock()
	c.exchanges = append(c.exchanges, e)
	c.mu.Unlock()
	return resp, nil
}

// save writes the recorded exchanges to the file.
func (c *cassette) save() {
	c.mu.Lock()
	ex := c.exchanges
	c.mu.Unlock()
	if ex == nil {
		ex = []exchange{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(ex)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(c.path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(c.path, buf.Bytes(), 0o644)
	}
	if err != nil {
		c.t.Errorf("requeststest: cassette %s: %v", c.path, err)
	}
}

// replay answers req from the recorded exchanges.
func (c *cassette) replay(req *http.Request, body []byte) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	u := redact.RedactURL(req.URL)
	want := normalBody(req.Header, redactBody(req.Header, body))
	c.mu.Lock()
	found, last := -1, -1
	for i := range c.exchanges {
		e := &c.exchanges[i]
		if e.Method != req.Method || e.URL != u || !bytes.Equal(normalBody(e.RequestHeaders, e.requestBody()), want) {
			continue
		}
		if !c.used[i] {
			found = i
			break
		}
		last = i
	}
	if found < 0 {
		found = last
	}
	if found < 0 {
		err := c.notRecorded(req, u, want)
		c.mu.Unlock()
		return nil, err
	}
	c.used[found] = true
	e := c.exchanges[found]
	c.mu.Unlock()

	b := e.body()
	h := e.ResponseHeaders.Clone()
	if h == nil {
		h = make(http.Header)
	}
	resp := &http.Response{
		Status:        strings.TrimSpace(strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)),
		StatusCode:    e.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	return resp, nil
}

// notRecorded is the error for a request no exchange matches, naming the
// nearest recorded one and how it differs. mu is held.
func (c *cassette) notRecorded(req *http.Request, u string, body []byte) error {
	msg := fmt.Sprintf("%s %s in %s", req.Method, u, c.path)
	best, bestScore := -1, -1
	var why []string
	ru, err := url.Parse(u)
	if err != nil {
		ru = &url.URL{}
	}
	for i := range c.exchanges {
		e := &c.exchanges[i]
		score, w := 0, []string(nil)
		eu, err := url.Parse(e.URL)
		if err != nil {
			continue
		}
		add := func(same bool, points int, diff string) {
			if same {
				score += points
			} else {
				w = append(w, diff)
			}
		}
		add(e.Method == req.Method, 1, "method")
		add(eu.Scheme == ru.Scheme && eu.Host == ru.Host, 2, "host")
		add(eu.Path == ru.Path, 4, "path")
		add(eu.RawQuery == ru.RawQuery, 2, "query")
		add(bytes.Equal(normalBody(e.RequestHeaders, e.requestBody()), body), 1, "body")
		if score > bestScore {
			best, bestScore, why = i, score, w
		}
	}
	if best < 0 {
		return fmt.Errorf("%w: %s (the cassette is empty; record it with %s=1)", ErrNotRecorded, msg, RecordEnv)
	}
	e := c.exchanges[best]
	return fmt.Errorf("%w: %s; the nearest is %s %s (%s differs)", ErrNotRecorded, msg, e.Method, e.URL, strings.Join(why, ", "))
}

// redactBody masks the credential fields of a form-encoded body.
func redactBody(h http.Header, body []byte) []byte {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" || len(body) == 0 {
		return body
	}
	return []byte(redact.RedactForm(string(body)))
}

// normalBody is the body as compared: a multipart body's random boundary
// is replaced by a fixed one.
func normalBody(h http.Header, body []byte) []byte {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return body
	}
	return bytes.ReplaceAll(body, []byte(params["boundary"]), []byte("BOUNDARY"))
}
