package requeststest_test

// The code of README.md's "Testing code that uses requests", kept here so
// that it compiles and runs.

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/requeststest"
)

// Client is the code under test: a small client of a users API.
type Client struct {
	Base    string
	Session *requests.Session
}

type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func (c *Client) User(id int) (User, error) {
	resp, err := c.Session.Get(fmt.Sprintf("%s/users/%d", c.Base, id))
	if err != nil {
		return User{}, err
	}
	if err := resp.Raise(); err != nil {
		return User{}, err
	}
	var u User
	err = resp.JSON(&u)
	return u, err
}

func TestClientUser(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(r *requeststest.Route)
		want    User
		wantErr string
	}{
		{"found", func(r *requeststest.Route) { r.Reply(200, User{ID: 7, Name: "gopher"}) },
			User{ID: 7, Name: "gopher"}, ""},
		{"not found", func(r *requeststest.Route) { r.Reply(404, `{"error": "no such user"}`) },
			User{}, "404 Client Error"},
		{"not JSON", func(r *requeststest.Route) { r.Reply(200, "<html>") },
			User{}, "json decode error"},
		{"connection reset", func(r *requeststest.Route) { r.Fail(requeststest.ErrReset) },
			User{}, "connection error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := requeststest.NewMock(t)
			tt.answer(m.On("GET https://api.example.com/users/{id}").Times(1))
			c := &Client{Base: "https://api.example.com", Session: m.Session()}

			got, err := c.User(7)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, "/users/7", m.Requests()[0].URL.Path)
		})
	}
}

func TestClientRetries(t *testing.T) {
	m := requeststest.NewMock(t)
	m.On("GET https://api.example.com/users/{id}").Times(2).
		Reply(503, "busy").Then().
		Reply(200, User{ID: 7, Name: "gopher"})
	c := &Client{
		Base: "https://api.example.com",
		Session: m.Session(requests.Retry(requests.RetryPolicy{
			Total:           3,
			StatusForcelist: []int{503},
		})),
	}

	got, err := c.User(7)
	require.NoError(t, err)
	assert.Equal(t, "gopher", got.Name)
	assert.Len(t, m.Requests(), 2)
}

func TestClientReplay(t *testing.T) {
	s := requests.NewSession(requests.BearerAuth("the real token"))
	t.Cleanup(func() { s.Close() })
	s.Mount("https://api.example.com/", requeststest.Cassette(t, "testdata/users.json"))
	c := &Client{Base: "https://api.example.com", Session: s}

	got, err := c.User(7)
	require.NoError(t, err)
	assert.Equal(t, User{ID: 7, Name: "gopher"}, got)
	_, err = c.User(8)
	assert.ErrorContains(t, err, "404 Client Error")
}

// TestReadmeMirrored keeps this file and README.md's section in step:
// every Go block of the section must appear here word for word.
func TestReadmeMirrored(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	self, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Testing code that uses requests\n")
	require.True(t, ok, "README.md has the section")
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(section, -1)
	require.Len(t, blocks, 4)
	for _, b := range blocks {
		assert.Contains(t, string(self), strings.TrimSpace(b[1]))
	}
}
