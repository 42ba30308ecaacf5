package requests

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// useNetrc points $NETRC at a new file holding content, and $HOME at an
// empty directory so that no real ~/.netrc is read.
func useNetrc(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "netrc")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	t.Setenv("NETRC", path)
	t.Setenv("HOME", t.TempDir())
	return path
}

// authSeen starts a server that records the Authorization of every request.
func authSeen(t *testing.T) (*httptest.Server, *[]string) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestNetrcCredentials(t *testing.T) {
	srv := newHTTPBin(t)
	useNetrc(t, "machine 127.0.0.1 login alice password s3cret\n")
	s := testSession(t)
	r, err := s.Get(srv.URL + "/basic-auth/alice/s3cret")
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode, "the port is not part of the machine name")

	// Prepare applies them too, as requests' prepare_request does.
	req, err := s.Prepare("GET", srv.URL+"/x")
	require.NoError(t, err)
	u, p, ok := req.BasicAuth()
	require.True(t, ok)
	assert.Equal(t, []string{"alice", "s3cret"}, []string{u, p})

	// The package-level functions trust the environment too.
	r, err = Get(srv.URL + "/basic-auth/alice/s3cret")
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
}

func TestNetrcDefaultEntryAndOtherHosts(t *testing.T) {
	srv, seen := authSeen(t)
	useNetrc(t, "machine example.com login a password b\n")
	_, err := testSession(t).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, []string{""}, *seen, "no entry for 127.0.0.1")

	useNetrc(t, "machine example.com login a password b\ndefault login anon password guest\n")
	_, err = testSession(t).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "Basic YW5vbjpndWVzdA==", (*seen)[1])
}

func TestNetrcIsNotReadWhenNotWanted(t *testing.T) {
	srv, seen := authSeen(t)
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"trust env off", []Option{TrustEnv(false)}, ""},
		{"auth given", []Option{BearerAuth("tok")}, "Bearer tok"},
		{"authorization header given", []Option{Headers{"Authorization": "Token x"}}, "Token x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A new file each time: reading it would parse it.
			useNetrc(t, "machine 127.0.0.1 login alice password s3cret\n")
			before := netrcParses.Load()
			*seen = nil
			_, err := testSession(t).Get(srv.URL, tt.opts...)
			require.NoError(t, err)
			assert.Equal(t, []string{tt.want}, *seen)
			assert.Equal(t, before, netrcParses.Load(), "the file was read")

			// The same as Session settings.
			*seen = nil
			_, err = testSession(t, tt.opts...).Get(srv.URL)
			require.NoError(t, err)
			assert.Equal(t, []string{tt.want}, *seen)
			assert.Equal(t, before, netrcParses.Load(), "the file was read")
		})
	}
}

func TestNetrcIsCachedUntilTheFileChanges(t *testing.T) {
	srv, seen := authSeen(t)
	path := useNetrc(t, "machine 127.0.0.1 login one password 1\n")
	s := testSession(t)
	before := netrcParses.Load()
	for range 5 {
		_, err := s.Get(srv.URL)
		require.NoError(t, err)
	}
	assert.Equal(t, before+1, netrcParses.Load())
	assert.Equal(t, "Basic b25lOjE=", (*seen)[4])

	// Looked at again on every call from now on, the file is still parsed
	// only when it changes.
	recheck := netrcRecheck
	netrcRecheck = 0
	t.Cleanup(func() { netrcRecheck = recheck })
	for range 3 {
		_, err := s.Get(srv.URL)
		require.NoError(t, err)
	}
	assert.Equal(t, before+1, netrcParses.Load())

	require.NoError(t, os.WriteFile(path, []byte("machine 127.0.0.1 login two password 2\n"), 0o600))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(path, later, later))
	_, err := s.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, before+2, netrcParses.Load())
	assert.Equal(t, "Basic dHdvOjI=", (*seen)[8])
}

func TestNetrcMalformedOrMissingFileIsIgnored(t *testing.T) {
	srv, seen := authSeen(t)
	useNetrc(t, "machine 127.0.0.1 login alice password s3cret\nbogus token\n")
	_, err := testSession(t).Get(srv.URL)
	require.NoError(t, err)
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "missing"))
	_, err = testSession(t).Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, []string{"", ""}, *seen)
}

func TestNetrcCredentialsStayWithTheirHost(t *testing.T) {
	target, seen := authSeen(t)
	hop := httptest.NewServer(http.RedirectHandler(otherHost(target.URL)+"/landed", http.StatusFound))
	t.Cleanup(hop.Close)

	// Only 127.0.0.1 has credentials: the redirect to localhost goes without.
	useNetrc(t, "machine 127.0.0.1 login alice password s3cret\n")
	r, err := testSession(t).Get(hop.URL)
	require.NoError(t, err)
	assert.Equal(t, "Basic YWxpY2U6czNjcmV0", r.History[0].Request.Header.Get("Authorization"))
	assert.Equal(t, []string{""}, *seen)

	// With an entry of its own, localhost gets that one, never alice's
	// (requests' rebuild_auth).
	useNetrc(t, "machine 127.0.0.1 login alice password s3cret\nmachine localhost login bob password b0b\n")
	_, err = testSession(t).Get(hop.URL)
	require.NoError(t, err)
	assert.Equal(t, "Basic Ym9iOmIwYg==", (*seen)[1])

	// Explicit auth is dropped on the way to another host and not replaced.
	_, err = testSession(t).Get(hop.URL, BasicAuth("x", "y"))
	require.NoError(t, err)
	assert.Equal(t, "", (*seen)[2])
}
