package requests

import (
	"bufio"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/testcert"
)

// digestServer is an HTTP Digest (RFC 7616) protected endpoint: it checks
// every answer in full (algorithm, -sess, qop auth and auth-int, the uri,
// nonce counts never reused) and echoes the body it got.
type digestServer struct {
	user, pass string
	algorithm  string // as sent in the challenge: MD5, MD5-sess, SHA-256, SHA-512-256, ...
	qop        string // "auth", "auth-int", "auth-int, auth" or "" for RFC 2069
	staleAfter int    // when > 0, a nonce answered this many times is then declared stale
	alwaysLate bool   // every answer is declared stale, which no client can satisfy

	mu     sync.Mutex
	nonces map[string]map[string]bool // nonce -> nc values used
	auths  []string                   // Authorization of every request, "" when none
	bodies []string                   // body of every request
}

func startDigest(t *testing.T, d *digestServer) *httptest.Server {
	d.nonces = map[string]map[string]bool{}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return srv
}

func (d *digestServer) hash() func() hash.Hash {
	switch strings.TrimSuffix(strings.ToUpper(d.algorithm), "-SESS") {
	case "SHA-256":
		return sha256.New
	case "SHA-512-256":
		return sha512.New512_256
	}
	return md5.New
}

func (d *digestServer) h(parts ...string) string {
	hh := d.hash()()
	hh.Write([]byte(strings.Join(parts, ":")))
	return hex.EncodeToString(hh.Sum(nil))
}

func (d *digestServer) challenge(w http.ResponseWriter, stale bool) {
	b := make([]byte, 12)
	rand.Read(b)
	nonce := hex.EncodeToString(b)
	d.nonces[nonce] = map[string]bool{}
	v := fmt.Sprintf(`Digest realm="test@example.com", nonce="%s", opaque="op4que"`, nonce)
	if d.algorithm != "" {
		v += ", algorithm=" + d.algorithm
	}
	if d.qop != "" {
		v += fmt.Sprintf(`, qop="%s"`, d.qop)
	}
	if stale {
		v += ", stale=true"
	}
	w.Header().Set("WWW-Authenticate", v)
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, "digest required")
}

func (d *digestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.auths = append(d.auths, r.Header.Get("Authorization"))
	d.bodies = append(d.bodies, string(body))
	p, ok := parseDigestAnswer(r.Header.Get("Authorization"))
	if !ok || p["username"] != d.user || p["realm"] != "test@example.com" || p["opaque"] != "op4que" || p["uri"] != r.RequestURI {
		d.challenge(w, false)
		return
	}
	used, known := d.nonces[p["nonce"]]
	if !known || (p["qop"] != "" && used[p["nc"]]) { // RFC 2069 has no counts
		d.challenge(w, false)
		return
	}
	ha1 := d.h(d.user, "test@example.com", d.pass)
	if strings.HasSuffix(strings.ToUpper(d.algorithm), "-SESS") {
		ha1 = d.h(ha1, p["nonce"], p["cnonce"])
	}
	ha2 := d.h(r.Method, p["uri"])
	if p["qop"] == "auth-int" {
		ha2 = d.h(r.Method, p["uri"], d.h(string(body)))
	}
	want := d.h(ha1, p["nonce"], ha2)
	if p["qop"] != "" {
		if !strings.Contains(d.qop, p["qop"]) {
			d.challenge(w, false)
			return
		}
		want = d.h(ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], ha2)
	}
	if p["response"] != want {
		d.challenge(w, false)
		return
	}
	used[p["nc"]+p["cnonce"]+p["response"]] = true
	if d.alwaysLate || (d.staleAfter > 0 && len(used) > d.staleAfter) {
		d.challenge(w, true)
		return
	}
	fmt.Fprintf(w, "welcome %s: %s", d.user, body)
}

func (d *digestServer) seen() (auths, bodies []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.auths...), append([]string(nil), d.bodies...)
}

// parseDigestAnswer splits the parameters of a Digest Authorization value.
func parseDigestAnswer(v string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(v, "Digest ")
	if !ok {
		return nil, false
	}
	p := map[string]string{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, false
		}
		var val strings.Builder
		if strings.HasPrefix(after, `"`) {
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' {
					i++
				}
				val.WriteByte(after[i])
			}
			rest = after[min(i+1, len(after)):]
		} else {
			end := strings.IndexByte(after, ',')
			if end < 0 {
				end = len(after)
			}
			val.WriteString(after[:end])
			rest = after[end:]
		}
		p[strings.TrimSpace(name)] = val.String()
	}
	return p, true
}

func TestDigestAuthAgainstHTTPBin(t *testing.T) {
	srv := newHTTPBin(t)
	for _, path := range []string{
		"/digest-auth/auth/user/passwd",
		"/digest-auth/auth/user/passwd/MD5",
		"/digest-auth/auth/user/passwd/SHA-256",
	} {
		t.Run(path, func(t *testing.T) {
			s := testSession(t)
			r, err := s.Get(srv.URL+path, DigestAuth("user", "passwd"))
			require.NoError(t, err)
			assert.Equal(t, 200, r.StatusCode, r.Text())
			require.Len(t, r.History, 1, "the challenge is in History, as in requests")
			assert.Equal(t, 401, r.History[0].StatusCode)
			assert.True(t, strings.HasPrefix(r.Request.Header.Get("Authorization"), "Digest "))

			r, err = s.Post(srv.URL+path, DigestAuth("user", "passwd"), Data("replayed body"))
			require.NoError(t, err)
			assert.Equal(t, 200, r.StatusCode, r.Text())
		})
	}
}

func TestDigestWrongPasswordReturnsThe401(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL+"/digest-auth/auth/user/passwd/SHA-256", DigestAuth("user", "wrong"))
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
	assert.Len(t, r.History, 1, "answered once, not again")

	d := &digestServer{user: "u", pass: "p", algorithm: "MD5", qop: "auth"}
	ds := startDigest(t, d)
	s := testSession(t, DigestAuth("u", "nope"))
	r, err = s.Get(ds.URL + "/x")
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
	assert.Equal(t, "digest required", r.Text(), "the 401's own body")
	// A later call answers the held nonce directly, is refused, and is
	// answered once more for the fresh nonce the refusal carries.
	r, err = s.Get(ds.URL + "/x")
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
	auths, _ := d.seen()
	assert.Len(t, auths, 4)
}

func TestDigestAlgorithmsAndQOP(t *testing.T) {
	for _, alg := range []string{"", "MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"} {
		for _, qop := range []string{"auth", "auth-int", "", "auth-int, auth"} {
			t.Run(alg+"/"+qop, func(t *testing.T) {
				d := &digestServer{user: "Mufasa", pass: "Circle of Life", algorithm: alg, qop: qop}
				srv := startDigest(t, d)
				s := testSession(t, DigestAuth("Mufasa", "Circle of Life"))
				r, err := s.Post(srv.URL+"/dir/index.html?q=1", Data("the body"))
				require.NoError(t, err)
				if strings.HasSuffix(alg, "-sess") && qop == "" {
					// RFC 7616 requires a qop with session algorithms: a
					// challenge that cannot be answered stands.
					assert.Equal(t, 401, r.StatusCode)
					auths, _ := d.seen()
					assert.Len(t, auths, 1)
					return
				}
				require.Equal(t, 200, r.StatusCode, r.Text())
				assert.Equal(t, "welcome Mufasa: the body", r.Text())

				// The next call answers directly, with the next nonce count.
				r, err = s.Get(srv.URL + "/other")
				require.NoError(t, err)
				require.Equal(t, 200, r.StatusCode, r.Text())
				assert.Empty(t, r.History)
				auths, bodies := d.seen()
				require.Len(t, auths, 3)
				assert.Empty(t, auths[0])
				assert.Equal(t, []string{"the body", "the body", ""}, bodies, "the body is sent again with the answer")
				first, _ := parseDigestAnswer(auths[1])
				second, _ := parseDigestAnswer(auths[2])
				if qop == "" {
					assert.Empty(t, first["nc"])
				} else {
					assert.Equal(t, "00000001", first["nc"])
					assert.Equal(t, "00000002", second["nc"])
					wantQOP := "auth"
					if qop == "auth-int" {
						wantQOP = "auth-int"
					}
					assert.Equal(t, wantQOP, first["qop"])
				}
				assert.Equal(t, "/dir/index.html?q=1", first["uri"])
			})
		}
	}
}

func TestDigestStaleNonceIsAnsweredAgain(t *testing.T) {
	d := &digestServer{user: "u", pass: "p", algorithm: "SHA-256", qop: "auth", staleAfter: 1}
	srv := startDigest(t, d)
	s := testSession(t, DigestAuth("u", "p"))
	r, err := s.Post(srv.URL+"/a", Data("one"))
	require.NoError(t, err)
	require.Equal(t, 200, r.StatusCode)

	// The held nonce is answered a second time, declared stale, and the
	// request answered again for the new nonce, body included.
	r, err = s.Post(srv.URL+"/a", Data("two"))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode, r.Text())
	require.Len(t, r.History, 1)
	assert.Equal(t, 401, r.History[0].StatusCode)
	auths, bodies := d.seen()
	assert.Len(t, auths, 4)
	assert.Equal(t, []string{"one", "one", "two", "two"}, bodies)
	last, _ := parseDigestAnswer(auths[3])
	assert.Equal(t, "00000001", last["nc"], "a new nonce counts from 1")
}

func TestDigestEndlessStaleNoncesEnd(t *testing.T) {
	d := &digestServer{user: "u", pass: "p", qop: "auth", alwaysLate: true}
	srv := startDigest(t, d)
	r, err := testSession(t).Get(srv.URL, DigestAuth("u", "p"))
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
	auths, _ := d.seen()
	assert.Len(t, auths, 3, "the first answer and one more for the stale nonce")
}

func TestDigestBodyThatCannotBeReplayed(t *testing.T) {
	d := &digestServer{user: "u", pass: "p", qop: "auth"}
	srv := startDigest(t, d)
	_, err := testSession(t).Post(srv.URL, DigestAuth("u", "p"), Data(io.MultiReader(strings.NewReader("once"))))
	assert.ErrorIs(t, err, ErrUnrewindableBody)

	// A seekable reader is rewound.
	r, err := testSession(t).Post(srv.URL, DigestAuth("u", "p"), Data(strings.NewReader("again")))
	require.NoError(t, err)
	assert.Equal(t, "welcome u: again", r.Text())
}

func TestDigestConcurrentCallsShareTheNonce(t *testing.T) {
	d := &digestServer{user: "u", pass: "p", algorithm: "MD5-sess", qop: "auth"}
	srv := startDigest(t, d)
	s := testSession(t, DigestAuth("u", "p"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				r, err := s.Get(fmt.Sprintf("%s/g%d/%d", srv.URL, i, j))
				if assert.NoError(t, err) {
					assert.Equal(t, 200, r.StatusCode)
				}
			}
		})
	}
	wg.Wait()
}

func TestDigestIsNotOfferedToAnotherHost(t *testing.T) {
	d := &digestServer{user: "u", pass: "p", qop: "auth"}
	target := startDigest(t, d)
	hop := httptest.NewServer(http.RedirectHandler(otherHost(target.URL)+"/x", http.StatusFound))
	t.Cleanup(hop.Close)
	r, err := testSession(t).Get(hop.URL, DigestAuth("u", "p"))
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
	auths, _ := d.seen()
	assert.Equal(t, []string{""}, auths)
}

func TestDigestAfterSameHostRedirect(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL+"/redirect-to?url=/digest-auth/auth/u/p", DigestAuth("u", "p"), MaxRedirects(1))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	require.Len(t, r.History, 2)
	assert.Equal(t, []int{302, 401}, []int{r.History[0].StatusCode, r.History[1].StatusCode})
}

func TestDigestThroughPrepareAndSend(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t)
	req, err := s.Prepare("POST", srv.URL+"/digest-auth/auth/u/p/SHA-256", Data("x"), DigestAuth("u", "p"))
	require.NoError(t, err)
	r, err := s.Send(req, DigestAuth("u", "p"))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
}

// tokenAuth is a custom challenge-response scheme: the server's 401 names
// the token to send.
type tokenAuth struct {
	mu     sync.Mutex
	token  string
	always bool // ask to answer every 401, to test the Session's bound
	err    error
	calls  []int
}

func (a *tokenAuth) Authenticate(req *http.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" {
		req.Header.Set("Authorization", "Token "+a.token)
	}
	return nil
}

func (a *tokenAuth) Challenge(req *http.Request, resp *http.Response, answered int) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, answered)
	if a.err != nil {
		return false, a.err
	}
	n, err := resp.Body.Read(make([]byte, 1))
	if n != 0 || err != io.EOF {
		return false, errors.New("the body was readable")
	}
	a.token = strings.TrimPrefix(resp.Header.Get("WWW-Authenticate"), "Token ")
	return a.always || answered == 0, nil
}

func tokenServer(t *testing.T) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "visit", Value: fmt.Sprint(len(got))})
		if r.Header.Get("Authorization") != "Token sesame" || r.URL.Path == "/never" {
			w.Header().Set("WWW-Authenticate", "Token sesame")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "cookie %s", r.Header.Get("Cookie"))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestCustomChallenger(t *testing.T) {
	srv, got := tokenServer(t)
	a := &tokenAuth{}
	s := testSession(t, Auth(a))
	r, err := s.Get(srv.URL + "/in")
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, "cookie visit=1", r.Text(), "the answer carries the cookie the 401 set")
	assert.Equal(t, []string{"", "Token sesame"}, *got)
	assert.Equal(t, []int{0}, a.calls)

	// Bounded whatever the Challenger says.
	a.always = true
	r, err = s.Get(srv.URL + "/never")
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
	assert.Len(t, r.History, 3)
	assert.Equal(t, []int{0, 0, 1, 2}, a.calls)

	// An error from Challenge fails the call.
	a.err = errors.New("scheme broke")
	_, err = s.Get(srv.URL + "/never")
	require.Error(t, err)
	assert.ErrorIs(t, err, a.err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, srv.URL+"/never", e.URL)
}

func TestPlainAuthenticatorIsNotAskedAgain(t *testing.T) {
	srv, got := tokenServer(t)
	r, err := testSession(t).Get(srv.URL, BearerAuth("wrong"))
	require.NoError(t, err)
	assert.Equal(t, 401, r.StatusCode)
	assert.Len(t, *got, 1)
	assert.Empty(t, r.History)
}

// dualServer serves plain HTTP and TLS on one port of 127.0.0.1, telling
// them apart by the first byte, so that a redirect can change the scheme
// and nothing else. It records the credentials each request carried.
type dualServer struct {
	URL, TLSURL string
	mu          sync.Mutex
	got         []string // "scheme path Authorization|Cookie|Proxy-Authorization"
}

func startDual(t *testing.T) (*dualServer, string) {
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	d := &dualServer{}
	plain, secure := newChanListener(ln.Addr()), newChanListener(ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		d.mu.Lock()
		d.got = append(d.got, fmt.Sprintf("%s %s %s|%s|%s", scheme, r.URL.Path,
			r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.Header.Get("Proxy-Authorization")))
		d.mu.Unlock()
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
		}
	})
	srv := &http.Server{Handler: mux}
	tlsSrv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}}
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(plain) })
	wg.Go(func() { tlsSrv.ServeTLS(secure, "", "") })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				br := bufio.NewReader(c)
				first, err := br.Peek(1)
				if err != nil {
					c.Close()
					return
				}
				pc := &peekedConn{Conn: c, r: br}
				if first[0] == 0x16 { // a TLS handshake record
					secure.deliver(pc)
				} else {
					plain.deliver(pc)
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		srv.Close()
		tlsSrv.Close()
		wg.Wait()
	})
	d.URL = "http://" + ln.Addr().String()
	d.TLSURL = "https://" + ln.Addr().String()
	return d, ca.CertFile(t)
}

func (d *dualServer) seen() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.got...)
}

// chanListener is a net.Listener fed with connections from a channel.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// deliver hands c to Accept, or closes it once the listener is closed.
func (l *chanListener) deliver(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// peekedConn reads through the buffer that peeked at its first byte.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestCredentialsAreDroppedOnHTTPSToHTTPDowngrade(t *testing.T) {
	d, ca := startDual(t)
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "none")) // no .netrc credentials
	s := testSession(t, CABundle(ca), Cookies{"session": "s"})
	start := d.TLSURL + "/start?to=" + url.QueryEscape(d.URL+"/landed")
	r, err := s.Get(start, BasicAuth("u", "p"), Cookies{"call": "c"}, Headers{"Proxy-Authorization": "Basic eDp5"})
	require.NoError(t, err)
	assert.Equal(t, d.URL+"/landed", r.URL)
	assert.Equal(t, []string{
		"https /start Basic dTpw|session=s; call=c|",
		"http /landed ||",
	}, d.seen())

	// The upgrade to https on the same, non-default port changes the
	// scheme and the port's meaning: credentials are dropped too, as in
	// requests (only http:80 to https:443 keeps them).
	r, err = s.Get(d.URL+"/up?to="+url.QueryEscape(d.TLSURL+"/landed"), BasicAuth("u", "p"))
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, []string{
		"http /up Basic dTpw|session=s|",
		"https /landed ||",
	}, d.seen()[2:])
}

func TestDigestReplaysAMultipartUpload(t *testing.T) {
	d := &digestServer{user: "u", pass: "p", algorithm: "SHA-256", qop: "auth"}
	srv := startDigest(t, d)
	path := filepath.Join(t.TempDir(), "report.csv")
	require.NoError(t, os.WriteFile(path, []byte("a,b\n1,2\n"), 0o600))
	files := Files{
		"report": FileFromPath(path),
		"notes":  {Name: "notes.txt", Reader: strings.NewReader("seekable notes")},
	}
	r, err := testSession(t).Post(srv.URL+"/upload", DigestAuth("u", "p"), files, Data(map[string]string{"k": "v"}))
	require.NoError(t, err)
	require.Equal(t, 200, r.StatusCode, r.Text())
	_, bodies := d.seen()
	require.Len(t, bodies, 2)
	assert.Equal(t, bodies[0], bodies[1], "the answer carries the same upload")
	for _, part := range []string{"a,b\n1,2\n", "seekable notes", `name="k"`} {
		assert.Contains(t, bodies[1], part)
	}
}

// As requests' prepare_auth: with no auth given, the URL's user info
// (get_auth_from_url: percent-decoded, a missing part empty, both empty
// meaning none) is sent as Basic auth; an auth option, the call's or the
// Session's, wins. The user info never shows in Response.URL.
func TestCredentialsInTheURLAreSentAsBasicAuth(t *testing.T) {
	srv, seen := authSeen(t)
	hostport := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name     string
		userinfo string
		session  []Option
		opts     []Option
		want     string
	}{
		{"user and password", "alice:s3cret@", nil, nil, "Basic " + basic("alice", "s3cret")},
		{"percent-decoded", "al%40ice:p%3Ass%20w%C3%B6rd@", nil, nil, "Basic " + basic("al@ice", "p:ss w\xf6rd")},
		{"user only", "alice@", nil, nil, "Basic " + basic("alice", "")},
		{"password only", ":s3cret@", nil, nil, "Basic " + basic("", "s3cret")},
		{"both empty: none", ":@", nil, nil, ""},
		{"the call's auth wins", "alice:s3cret@", nil, []Option{BasicAuth("bob", "pw")}, "Basic " + basic("bob", "pw")},
		{"the Session's auth wins", "alice:s3cret@", []Option{BearerAuth("t")}, nil, "Bearer t"},
		{"Auth(nil) lets the URL's apply", "alice:s3cret@", []Option{BearerAuth("t")}, []Option{Auth(nil)}, "Basic " + basic("alice", "s3cret")},
		{"over an Authorization header", "alice:s3cret@", nil, []Option{Headers{"Authorization": "Bearer h"}}, "Basic " + basic("alice", "s3cret")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*seen = nil
			r, err := testSession(t, tt.session...).Get("http://"+tt.userinfo+hostport+"/x?q=1", tt.opts...)
			require.NoError(t, err)
			assert.Equal(t, []string{tt.want}, *seen)
			assert.Equal(t, srv.URL+"/x?q=1", r.URL)
		})
	}
}

// The user info is taken out of the URL when the request is built: not in
// the prepared request, Response.URL, History or error text. Credentials
// from it go on to a same-origin redirect, as requests' rebuild_auth keeps
// the Authorization header there.
func TestCredentialsInTheURLDoNotShow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/end", http.StatusFound)
			return
		}
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	hostport := strings.TrimPrefix(srv.URL, "http://")
	s := testSession(t)

	req, err := s.Prepare("GET", "http://alice:s3cret@"+hostport+"/start")
	require.NoError(t, err)
	assert.Nil(t, req.URL.User)
	assert.Equal(t, "Basic "+basic("alice", "s3cret"), req.Header.Get("Authorization"))

	r, err := s.Get("http://alice:s3cret@" + hostport + "/start")
	require.NoError(t, err)
	assert.Equal(t, "Basic "+basic("alice", "s3cret"), r.Text(), "kept on a same-origin redirect")
	assert.Equal(t, srv.URL+"/end", r.URL)
	require.Len(t, r.History, 1)
	assert.Equal(t, srv.URL+"/start", r.History[0].URL)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = s.Get("http://alice:s3cret@" + closed + "/")
	require.ErrorIs(t, err, ErrConnection)
	assert.NotContains(t, err.Error(), "alice")
	assert.NotContains(t, err.Error(), "s3cret")
}

// Credentials from the URL are credentials like any other: a redirect to
// another origin drops them (requests' should_strip_auth), and the user
// info of a Location is not used (requests sends a hop's URL as it is,
// without prepare_auth).
func TestCredentialsInTheURLAreStrippedOnCrossOriginRedirect(t *testing.T) {
	other, seen := authSeen(t)
	srv := httptest.NewServer(http.RedirectHandler(at(other.URL, "mallory:pw@b.test")+"/", http.StatusFound))
	t.Cleanup(srv.Close)
	r, err := testSession(t, resolve()).Get("http://alice:s3cret@" + strings.TrimPrefix(at(srv.URL, "a.test"), "http://"))
	require.NoError(t, err)
	assert.Equal(t, []string{""}, *seen)
	assert.Equal(t, at(other.URL, "b.test")+"/", r.URL)
}

// URL credentials are given for this call, so they win over .netrc; in
// requests, .netrc credentials for the host win over the URL's.
func TestCredentialsInTheURLWinOverNetrc(t *testing.T) {
	srv, seen := authSeen(t)
	useNetrc(t, "machine 127.0.0.1 login nate password fromnetrc\n")
	_, err := testSession(t).Get("http://alice:s3cret@" + strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	assert.Equal(t, []string{"Basic " + basic("alice", "s3cret")}, *seen)
}
