package requests

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needCurl returns the curl binary, skipping the test when there is none
// (failing it when REQUESTS_INTEGRATION=1 asks for every integration test).
func needCurl(t *testing.T) string {
	t.Helper()
	const path = "/usr/bin/curl"
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("REQUESTS_INTEGRATION") == "1" {
			t.Fatalf("curl is needed at %s: %v", path, err)
		}
		t.Skipf("curl not installed at %s: the Curl command lines are not run", path)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed: the Curl command lines are not run")
	}
	return path
}

// received is what a server got.
type received struct {
	method, uri string
	header      http.Header
	body        []byte
}

type receiver struct {
	mu  sync.Mutex
	got []received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, received{r.Method, r.RequestURI, r.Header.Clone(), b})
	rc.mu.Unlock()
}

func (rc *receiver) last() received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got[len(rc.got)-1]
}

// allBytes holds every byte value, 0 to 255.
func allBytes(from int) []byte {
	b := make([]byte, 0, 256)
	for i := from; i < 256; i++ {
		b = append(b, byte(i))
	}
	return b
}

// The curl line, run by the real curl, makes the server receive what the
// library sent: method, path, query, headers and body bytes.
func TestCurlRepeatsTheRequest(t *testing.T) {
	needCurl(t)
	var rc receiver
	srv := httptest.NewServer(&rc)
	defer srv.Close()

	tests := []struct {
		name, method string
		opts         []Option
	}{
		{"GET with query and quoted headers", "GET", []Option{
			Params{"q": "a b", "x": "it's"},
			Headers{"X-Quote": `say "hi" it's $HOME \n`, "X-Empty-Ish": "x "},
		}},
		{"POST every byte", "POST", []Option{Data(allBytes(0))}},
		{"PUT every byte but NUL", "PUT", []Option{Data(allBytes(1))}},
		{"DELETE", "DELETE", nil},
		{"PATCH JSON", "PATCH", []Option{JSON(map[string]string{"a": "b'c"})}},
		{"POST form with cookies and auth", "POST", []Option{
			Data(map[string]string{"k": "v&w"}), Cookies{"c": "1"}, BasicAuth("u", "p'w"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t)
			req, err := s.Prepare(tt.method, srv.URL+"/p/a%20th?keep=1", tt.opts...)
			require.NoError(t, err)
			line := CurlUnredacted(req)
			_, err = s.Send(req)
			require.NoError(t, err)
			sent := rc.last()

			out, err := exec.Command("bash", "-c", line+" --silent --show-error").CombinedOutput()
			require.NoError(t, err, "%s\n%s", line, out)
			got := rc.last()
			assert.Equal(t, sent.method, got.method, line)
			assert.Equal(t, sent.uri, got.uri, line)
			assert.Equal(t, sent.body, got.body, line)
			for _, h := range []http.Header{sent.header, got.header} {
				h.Del("Accept-Encoding") // curl's own list, by --compressed
			}
			assert.Equal(t, sent.header, got.header, line)
		})
	}
}

func TestCurlLine(t *testing.T) {
	s := testSession(t, Headers{"X-Api-Key": "k3y"}, SensitiveHeaders("X-Api-Key"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req, err := s.Prepare("POST", "https://u:pw@api.example.com/v1?token=t0k&q=1",
		BearerAuth("b3arer"), Data(map[string]string{"password": "hunter2", "user": "u"}),
		Verify(false), Proxies{"https": "http://pu:ppw@127.0.0.1:3128"}, ConnectTimeout(1500*time.Millisecond),
		Context(ctx), OmitHeaders("User-Agent"))
	require.NoError(t, err)

	line := Curl(req)
	for _, secret := range []string{"k3y", "b3arer", "hunter2", "t0k", ":pw@", "ppw"} {
		assert.NotContains(t, line, secret)
	}
	for _, want := range []string{
		"curl 'https://api.example.com/v1?token=REDACTED&q=1'",
		"-H 'Authorization: Bearer REDACTED'", "-H 'X-Api-Key: REDACTED'",
		"--compressed", "--data-binary 'password=REDACTED&user=u'",
		"-k", "-x http://pu:REDACTED@127.0.0.1:3128", "--connect-timeout 1.5", "--max-time ",
	} {
		assert.Contains(t, line, want)
	}
	assert.NotContains(t, line, "-X POST", "curl infers POST from the body")
	assert.Contains(t, line, "-H User-Agent: ", "none, as the library sends none")

	real := CurlUnredacted(req)
	for _, secret := range []string{"k3y", "b3arer", "hunter2", "t0k", "ppw"} {
		assert.Contains(t, real, secret)
	}
	// The URL's own credentials lost to BearerAuth: requests' rule, and
	// they never stay in the URL.
	assert.NotContains(t, real, ":pw@")
}

func TestCurlStreamsAndResponses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	s := testSession(t)
	req, err := s.Prepare("PUT", srv.URL, Data(io.MultiReader(strings.NewReader("abc"))))
	require.NoError(t, err)
	assert.Contains(t, Curl(req), "-X PUT")
	assert.Contains(t, Curl(req), "--data-binary @body ")
	assert.True(t, strings.HasSuffix(Curl(req), " # the body was a stream: save it as ./body"))
	req.Body.Close()

	r, err := s.Get(srv.URL+"/x", Headers{"Authorization": "secret"})
	require.NoError(t, err)
	assert.Equal(t, "curl "+srv.URL+"/x -H 'Accept: */*' --compressed -H 'Authorization: REDACTED' -H 'User-Agent: go-requests/"+Version+"' --connect-timeout 10",
		Curl(r.Request))
	assert.Equal(t, "", Curl(nil))
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc-1.2/x:y", "abc-1.2/x:y"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME `x`", "'$HOME `x`'"},
		{"line\nbreak", `$'line\x0abreak'`},
		{"q'\\\x01", `$'q\'\\\x01'`},
		{"\xff\xfe", `$'\xff\xfe'`},
		{"héllo", "'héllo'"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, shellQuote(tt.in), tt.in)
	}
}
