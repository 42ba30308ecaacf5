package requests

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pagedServer serves /items?page=N with the Link header next(N) returns
// ("" for none) and records each request's page and headers.
type pagedServer struct {
	*httptest.Server
	mu    sync.Mutex
	seen  []http.Header
	page  []int
	query []string
}

func newPagedServer(t *testing.T, next func(base string, page int) string) *pagedServer {
	t.Helper()
	p := &pagedServer{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n = max(n, 1)
		p.mu.Lock()
		p.seen = append(p.seen, r.Header.Clone())
		p.page = append(p.page, n)
		p.query = append(p.query, r.URL.RawQuery)
		p.mu.Unlock()
		if n == 404 {
			http.Error(w, "no such page", http.StatusNotFound)
			return
		}
		if l := next(p.URL, n); l != "" {
			w.Header().Set("Link", l)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"id":%d},{"id":%d}]`, 2*n-1, 2*n)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *pagedServer) pages() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.page...)
}

func (p *pagedServer) headers() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]http.Header(nil), p.seen...)
}

// githubLinks is GitHub's style: absolute next and last links, with the
// last page linking back to the first and previous only.
func githubLinks(last int) func(string, int) string {
	return func(base string, n int) string {
		first := fmt.Sprintf(`<%s/items?page=1>; rel="first"`, base)
		if n >= last {
			return first + fmt.Sprintf(`, <%s/items?page=%d>; rel="prev"`, base, n-1)
		}
		return fmt.Sprintf(`<%s/items?page=%d>; rel="next", <%s/items?page=%d>; rel="last", `, base, n+1, base, last) + first
	}
}

type pageItem struct {
	ID int `json:"id"`
}

func TestPages(t *testing.T) {
	tests := []struct {
		name string
		next func(string, int) string
		opts []Option
		want []int // pages yielded
		reqs []int // pages requested
		err  error
	}{
		{name: "GitHub style", next: githubLinks(3), want: []int{1, 2, 3}, reqs: []int{1, 2, 3}},
		{name: "one page", next: githubLinks(1), want: []int{1}, reqs: []int{1}},
		{name: "relative links", want: []int{1, 2, 3, 4}, reqs: []int{1, 2, 3, 4}, next: func(_ string, n int) string {
			switch n {
			case 1:
				return `</items?page=2>; rel="next"`
			case 2:
				return `<items?page=3>; rel=next`
			case 3:
				return `<?page=4>; rel="next"`
			}
			return ""
		}},
		{name: "loop", want: []int{1, 2}, reqs: []int{1, 2}, err: ErrPageLoop, next: func(base string, n int) string {
			if n == 1 {
				return `</items?page=2>; rel="next"`
			}
			return fmt.Sprintf(`<%s/items#frag>; rel="next"`, base) // the first page again
		}},
		{name: "cap", opts: []Option{MaxPages(3)}, want: []int{1, 2, 3}, reqs: []int{1, 2, 3}, err: ErrTooManyPages, next: func(base string, n int) string {
			return fmt.Sprintf(`</items?page=%d>; rel="next"`, n+1)
		}},
		{name: "404 page", want: []int{1}, reqs: []int{1, 404}, next: func(base string, n int) string {
			return `</items?page=404>; rel="next"`
		}},
		{name: "bad next link", want: []int{1}, reqs: []int{1}, err: ErrInvalidURL, next: func(base string, n int) string {
			return `<http://[::1>; rel="next"`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newPagedServer(t, tt.next)
			s := testSession(t)
			for _, stream := range []bool{false, true} {
				srv.mu.Lock()
				srv.page = nil
				srv.mu.Unlock()
				var got []int
				var errs []error
				for resp, err := range s.Pages(srv.URL+"/items", append(tt.opts, Stream(stream))...) {
					if err != nil {
						require.Nil(t, resp)
						errs = append(errs, err)
						continue
					}
					items, err := As[[]pageItem](resp, nil)
					require.NoError(t, err)
					got = append(got, items[1].ID/2)
				}
				assert.Equal(t, tt.want, got)
				assert.Equal(t, tt.reqs, srv.pages())
				switch {
				case tt.err != nil:
					require.Len(t, errs, 1)
					assert.ErrorIs(t, errs[0], tt.err)
				case tt.reqs[len(tt.reqs)-1] == 404:
					require.Len(t, errs, 1)
					var he *HTTPError
					require.ErrorAs(t, errs[0], &he)
					assert.Equal(t, "no such page\n", he.Response.Text())
				default:
					assert.Empty(t, errs)
				}
			}
		})
	}
}

func TestPagesBreakStops(t *testing.T) {
	srv := newPagedServer(t, githubLinks(5))
	s := testSession(t)
	for resp, err := range s.Pages(srv.URL + "/items") {
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		break
	}
	assert.Equal(t, []int{1}, srv.pages())
}

func TestPagesCredentialsStayOnOrigin(t *testing.T) {
	// Pages 1 and 2 on a, 3 on b (another port: another origin), 4 on a.
	var a, b *pagedServer
	a = newPagedServer(t, func(base string, n int) string {
		switch n {
		case 1:
			return `</items?page=2>; rel="next"`
		case 2:
			return fmt.Sprintf(`<%s/items?page=3>; rel="next"`, b.URL)
		}
		return ""
	})
	b = newPagedServer(t, func(string, int) string {
		return fmt.Sprintf(`<%s/items?page=4>; rel="next"`, a.URL)
	})
	for _, tt := range []struct {
		name    string
		session []Option
		call    []Option
		header  string
		value   string
	}{
		{name: "basic auth option", call: []Option{BasicAuth("u", "p")}, header: "Authorization", value: "Basic dTpw"},
		{name: "Authorization header", call: []Option{Headers{"Authorization": "token t"}}, header: "Authorization", value: "token t"},
		{name: "session bearer", session: []Option{BearerAuth("t")}, header: "Authorization", value: "Bearer t"},
		{name: "session header", session: []Option{Headers{"Authorization": "token s"}}, header: "Authorization", value: "token s"},
		{name: "cookies option", call: []Option{Cookies{"sid": "1"}}, header: "Cookie", value: "sid=1"},
		{name: "sensitive header", session: []Option{SensitiveHeaders("X-Api-Key")}, call: []Option{Headers{"X-Api-Key": "k"}}, header: "X-Api-Key", value: "k"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a.mu.Lock()
			a.seen, a.page = nil, nil
			a.mu.Unlock()
			b.mu.Lock()
			b.seen, b.page = nil, nil
			b.mu.Unlock()
			s := testSession(t, append(tt.session, TrustEnv(false))...)
			n := 0
			for resp, err := range s.Pages(a.URL+"/items", append(tt.call, Headers{"X-Other": "kept"})...) {
				require.NoError(t, err)
				resp.Close()
				n++
			}
			assert.Equal(t, 4, n)
			assert.Equal(t, []int{1, 2, 4}, a.pages())
			assert.Equal(t, []int{3}, b.pages())
			for _, h := range a.headers() {
				assert.Equal(t, tt.value, h.Get(tt.header), "same origin: kept")
				assert.Equal(t, "kept", h.Get("X-Other"))
			}
			for _, h := range b.headers() {
				assert.Empty(t, h.Values(tt.header), "other origin: dropped")
				assert.Equal(t, "kept", h.Get("X-Other"), "other options still apply")
			}
		})
	}
}

func TestPagesStreamed(t *testing.T) {
	srv := newPagedServer(t, githubLinks(3))
	s := testSession(t)
	var bodies []string
	for resp, err := range s.Pages(srv.URL+"/items", Stream(true)) {
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body())
		require.NoError(t, err)
		resp.Close()
		bodies = append(bodies, string(b))
	}
	assert.Equal(t, []string{`[{"id":1},{"id":2}]`, `[{"id":3},{"id":4}]`, `[{"id":5},{"id":6}]`}, bodies)
}

func TestPagesFirstCallFails(t *testing.T) {
	s := testSession(t)
	var errs []error
	for resp, err := range s.Pages("://nope") {
		assert.Nil(t, resp)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrInvalidURL)
}

func TestPagesParamsOnTheFirstPageOnly(t *testing.T) {
	srv := newPagedServer(t, func(base string, n int) string {
		if n < 3 {
			return fmt.Sprintf(`</items?per_page=2&page=%d>; rel="next"`, n+1)
		}
		return ""
	})
	s := testSession(t)
	n := 0
	for _, err := range s.Pages(srv.URL+"/items", Params{"per_page": "2"}, Params{"page": "1"}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Equal(t, []string{"page=1&per_page=2", "per_page=2&page=2", "per_page=2&page=3"}, srv.query)
}
