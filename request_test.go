package requests

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var spellingCases = []struct {
	raw   string
	plain bool // spells should recognise it (String gives it back as it is)
}{
	{"http://127.0.0.1:8080/json", true},
	{"https://api.example.com/v1/items?page=2&q=go", true},
	{"http://example.com", true},
	{"http://example.com/", true},
	{"http://example.com/a/../b/./c", true},
	{"http://example.com/?", true},
	{"http://example.com?x=1", true},
	{"http://example.com/a:b/c=d&e+f,g;h~i", true},
	{"http://example.com/a?b?c", true},
	{"HTTP://example.com/", false},
	{"http://user:pass@example.com/", false},
	{"http://example.com/a%20b", false},
	{"http://example.com/a%2Fb", false},
	{"http://example.com/a b", false},
	{"http://example.com/#frag", false},
	{"http://example.com/a!b", false},
	{"http://example.com/a'b(c)*", false},
	{"http://[::1]:80/", false},
	{"http://example.com/é", false},
	{"http://exa%6dple.com/", false},
	{" http://example.com/", false},
	{"mailto:gopher@example.com", false},
	{"http:example.com", false},
	{"http:///path", false},
}

func TestSpells(t *testing.T) {
	for _, tt := range spellingCases {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				return
			}
			got := spells(u, tt.raw)
			assert.Equal(t, tt.plain, got)
			if got {
				assert.Equal(t, u.String(), tt.raw)
			}
		})
	}
}

// A URL changed after parsing (params merged, fields set by hand) is never
// mistaken for the caller's spelling.
func TestSpellsSeesChanges(t *testing.T) {
	raw := "http://example.com/a?x=1"
	for _, change := range []func(u *url.URL){
		func(u *url.URL) { u.RawQuery += "&y=2" },
		func(u *url.URL) { u.Path = "/b" },
		func(u *url.URL) { u.Path = "/a?x" },
		func(u *url.URL) { u.Host = "example.org" },
		func(u *url.URL) { u.Scheme = "https" },
		func(u *url.URL) { u.Fragment = "f" },
		func(u *url.URL) { u.User = url.User("me") },
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		change(u)
		assert.False(t, spells(u, raw), u.String())
	}
}

func FuzzSpells(f *testing.F) {
	for _, tt := range spellingCases {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if spells(u, raw) && u.String() != raw {
			t.Fatalf("spells(%q) but String() is %q", raw, u.String())
		}
	})
}

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A small in-memory body leaves in the same write as the request's headers,
// as net/http does for its own in-memory bodies; a streamed one after them.
func TestSmallBodyIsWrittenWithItsHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(srv.Close)
	var writes atomic.Int64
	s := testSession(t, DialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, writes: &writes}, nil
	}))
	tests := []struct {
		name     string
		body     Option
		oneWrite bool
	}{
		{"JSON", JSON(map[string]int{"a": 1}), true},
		{"form", Data(map[string]string{"a": "1"}), true},
		{"bytes", Data([]byte("payload")), true},
		{"reader", Data(io.MultiReader(strings.NewReader("payload"))), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := writes.Load()
			r, err := s.Post(srv.URL, tt.body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, r.StatusCode)
			if tt.oneWrite {
				assert.Equal(t, int64(1), writes.Load()-before)
			} else {
				assert.Greater(t, writes.Load()-before, int64(1))
			}
		})
	}
}

// hostEcho answers with the Host the request came with; /same redirects to
// /end on the same origin, /other to /end on b.test (mapped to loopback by
// resolve).
func hostEcho(t *testing.T) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/end", http.StatusFound)
		case "/other":
			http.Redirect(w, r, at(srv.URL, "b.test")+"/end", http.StatusFound)
		default:
			io.WriteString(w, r.Host)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A Host header sets the request's Host (requests sends the header as
// given; net/http would drop it from the header map and send the URL's):
// a name for an IP, virtual hosting. It is kept on a redirect to the same
// origin (requests keeps every header but Cookie and the body's there) and
// never carried to another host, whose own name is sent instead.
func TestHostHeaderSetsTheRequestHost(t *testing.T) {
	srv := hostEcho(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	tests := []struct {
		name    string
		session []Option
		opts    []Option
		path    string
		want    string
	}{
		{"call option", nil, []Option{Headers{"Host": "example.test"}}, "/", "example.test"},
		{"lower-case name", nil, []Option{Headers{"host": "example.test:8080"}}, "/", "example.test:8080"},
		{"Session default", []Option{Headers{"Host": "example.test"}}, nil, "/", "example.test"},
		{"call over Session", []Option{Headers{"Host": "example.test"}}, []Option{Headers{"Host": "other.test"}}, "/", "other.test"},
		{"omitted", []Option{Headers{"Host": "example.test"}}, []Option{OmitHeaders("Host")}, "/", "127.0.0.1:" + port},
		{"empty: the URL's", nil, []Option{Headers{"Host": ""}}, "/", "127.0.0.1:" + port},
		{"kept on a same-origin redirect", nil, []Option{Headers{"Host": "example.test"}}, "/same", "example.test"},
		{"not carried to another host", nil, []Option{Headers{"Host": "example.test"}}, "/other", "b.test:" + port},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSession(t, append([]Option{resolve()}, tt.session...)...)
			r, err := s.Get(srv.URL+tt.path, tt.opts...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.Text())
		})
	}

	req, err := testSession(t).Prepare("GET", srv.URL, Headers{"Host": "example.test"})
	require.NoError(t, err)
	assert.Equal(t, "example.test", req.Host)
	assert.Empty(t, req.Header.Values("Host"), "the Host is the request's, not a header")
}

// A Host value HTTP does not allow is refused before anything is sent, as
// any invalid header is.
func TestInvalidHostHeaderIsRefused(t *testing.T) {
	srv, hits := countingServer(t)
	s := testSession(t)
	for _, h := range []string{"ex ample.test", "a/b", "example.test\x7f", "a\"b"} {
		t.Run(h, func(t *testing.T) {
			_, err := s.Get(srv.URL, Headers{"Host": h})
			assert.ErrorIs(t, err, ErrInvalidHeader)
			_, err = s.Prepare("GET", srv.URL, Headers{"Host": h})
			assert.ErrorIs(t, err, ErrInvalidHeader)
		})
	}
	assert.Zero(t, hits.Load())
}
