package digest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verifier is a tiny Digest server written straight from RFC 7616, sharing
// no code with the package, so the end-to-end test checks interoperation
// rather than self-consistency.
type verifier struct {
	user, pass, realm string
	algorithm         string   // as sent in the challenge
	qop               string   // qop-options, "" for RFC 2069
	extra             []string // other WWW-Authenticate values to offer first
	maxUses           int      // uses of a nonce before it is stale; 0 = unlimited
	sameNonceOnFail   bool     // re-send the failed nonce instead of a new one

	mu     sync.Mutex
	serial int
	nonces map[string]*serverNonce
	trips  int
}

type serverNonce struct {
	uses int
	seen map[uint64]bool
}

var authParamRE = regexp.MustCompile(`([A-Za-z0-9_-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))`)
var unescapeRE = regexp.MustCompile(`\\(.)`)

func serverHash(alg, s string) string {
	switch strings.ToUpper(strings.TrimSuffix(strings.ToLower(alg), "-sess")) {
	case "", "MD5":
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	case "SHA-256":
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	case "SHA-512-256":
		sum := sha512.Sum512_256([]byte(s))
		return hex.EncodeToString(sum[:])
	case "SHA-512":
		sum := sha512.Sum512([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	return "unknown algorithm " + alg
}

func (v *verifier) newNonce() string {
	v.serial++
	n := fmt.Sprintf("nonce-%d/+=", v.serial)
	v.nonces[n] = &serverNonce{seen: map[uint64]bool{}}
	return n
}

func (v *verifier) challenge(w http.ResponseWriter, nonce string, stale bool) {
	for _, e := range v.extra {
		w.Header().Add("WWW-Authenticate", e)
	}
	h := fmt.Sprintf(`Digest realm="%s", nonce="%s", opaque="op\"aque"`, v.realm, nonce)
	if v.algorithm != "" {
		h += ", algorithm=" + v.algorithm
	}
	if v.qop != "" {
		h += `, qop="` + v.qop + `"`
	}
	if stale {
		h += ", stale=TRUE"
	}
	w.Header().Add("WWW-Authenticate", h)
	w.WriteHeader(http.StatusUnauthorized)
}

func (v *verifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.trips++

	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Digest ") {
		v.challenge(w, v.newNonce(), false)
		return
	}
	p := map[string]string{}
	for _, m := range authParamRE.FindAllStringSubmatch(auth[len("Digest "):], -1) {
		val := m[3]
		if strings.HasPrefix(m[0][len(m[1])+1:], `"`) {
			val = unescapeRE.ReplaceAllString(m[2], "$1")
		}
		p[strings.ToLower(m[1])] = val
	}
	n, ok := v.nonces[p["nonce"]]
	if !ok || p["realm"] != v.realm || p["username"] != v.user || p["uri"] != r.URL.RequestURI() ||
		p["opaque"] != `op"aque` || !strings.EqualFold(p["algorithm"], orMD5(v.algorithm)) {
		v.challenge(w, v.newNonce(), false)
		return
	}
	alg := p["algorithm"]
	ha1 := serverHash(alg, v.user+":"+v.realm+":"+v.pass)
	if strings.HasSuffix(strings.ToLower(alg), "-sess") {
		ha1 = serverHash(alg, ha1+":"+p["nonce"]+":"+p["cnonce"])
	}
	ha2 := serverHash(alg, r.Method+":"+p["uri"])
	if p["qop"] == "auth-int" {
		ha2 = serverHash(alg, r.Method+":"+p["uri"]+":"+serverHash(alg, string(body)))
	}
	var want string
	if v.qop == "" {
		want = serverHash(alg, ha1+":"+p["nonce"]+":"+ha2)
	} else {
		nc, err := strconv.ParseUint(p["nc"], 16, 32)
		if err != nil || len(p["nc"]) != 8 || n.seen[nc] || !strings.Contains(v.qop, p["qop"]) || p["cnonce"] == "" {
			v.challenge(w, v.newNonce(), false)
			return
		}
		n.seen[nc] = true
		want = serverHash(alg, ha1+":"+p["nonce"]+":"+p["nc"]+":"+p["cnonce"]+":"+p["qop"]+":"+ha2)
	}
	if p["response"] != want {
		if v.sameNonceOnFail {
			v.challenge(w, p["nonce"], false)
		} else {
			v.challenge(w, v.newNonce(), false)
		}
		return
	}
	n.uses++
	if v.maxUses > 0 && n.uses > v.maxUses {
		delete(v.nonces, p["nonce"])
		v.challenge(w, v.newNonce(), true)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

func orMD5(s string) string {
	if s == "" {
		return "MD5"
	}
	return s
}

func (v *verifier) roundTrips() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.trips
}

// do sends one request the way the public client is meant to: answer
// preemptively once a challenge is known, answer a 401 once, and once more
// only for a stale nonce. It returns the final response and the outcome of
// each challenge met.
func do(hc *http.Client, dc *Client, method, url string, body []byte) (*http.Response, []Outcome, error) {
	answered := false
	var outcomes []Outcome
	for attempt := 0; attempt < 4; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, url, rd)
		if err != nil {
			return nil, nil, err
		}
		sent := false
		if h, err := dc.Authorization(method, req.URL.RequestURI(), body); err == nil {
			req.Header.Set("Authorization", h)
			sent = true
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if err := resp.Body.Close(); err != nil {
			return nil, nil, err
		}
		if resp.StatusCode != http.StatusUnauthorized {
			return resp, outcomes, nil
		}
		ch, err := ParseChallenges(resp.Header.Values("WWW-Authenticate"))
		if err != nil {
			return resp, outcomes, nil
		}
		outcome := dc.Update(ch)
		outcomes = append(outcomes, outcome)
		if sent && outcome == SameNonce {
			return resp, outcomes, nil // credentials refused
		}
		if answered && outcome != StaleNonce {
			return resp, outcomes, nil
		}
		answered = true
	}
	return nil, outcomes, errors.New("too many attempts")
}

func newServer(t *testing.T, v *verifier) (*httptest.Server, *http.Client) {
	t.Helper()
	v.nonces = map[string]*serverNonce{}
	srv := httptest.NewServer(v)
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	return srv, &http.Client{Transport: tr}
}

func TestEndToEnd(t *testing.T) {
	for _, alg := range []string{"", "MD5", "md5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess", "SHA-512", "SHA-512-sess"} {
		for _, qop := range []string{"auth", "auth,auth-int", ""} {
			if strings.HasSuffix(alg, "sess") && qop == "" {
				continue
			}
			t.Run(alg+"/"+qop, func(t *testing.T) {
				v := &verifier{user: "Mufasa", pass: "Circle of Life", realm: "e2e@127.0.0.1", algorithm: alg, qop: qop}
				srv, hc := newServer(t, v)
				dc := New("Mufasa", "Circle of Life")

				resp, outcomes, err := do(hc, dc, "GET", srv.URL+"/dir/index.html?x=1&y=%20", nil)
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, []Outcome{NewNonce}, outcomes)
				assert.Equal(t, 2, v.roundTrips(), "401 then 200")

				resp, outcomes, err = do(hc, dc, "GET", srv.URL+"/other", nil)
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Empty(t, outcomes)
				assert.Equal(t, 3, v.roundTrips(), "preemptive answer")
			})
		}
	}
}

func TestEndToEndScenarios(t *testing.T) {
	tests := []struct {
		name     string
		v        *verifier
		password string
		requests int
		method   string
		body     []byte
		status   int
		trips    int
		outcomes []Outcome
	}{
		{
			name:     "strongest of several offered",
			v:        &verifier{algorithm: "SHA-256", qop: "auth", extra: []string{`Basic realm="b"`, `Digest realm="e2e", nonce="decoy", algorithm=MD5, qop="auth"`}},
			password: "secret", requests: 1, status: http.StatusOK, trips: 2,
			outcomes: []Outcome{NewNonce},
		},
		{
			name:     "stale nonce answered again",
			v:        &verifier{algorithm: "SHA-256", qop: "auth", maxUses: 2},
			password: "secret", requests: 3, status: http.StatusOK, trips: 2 + 1 + 2,
			outcomes: []Outcome{NewNonce, StaleNonce},
		},
		{
			name:     "wrong password, same nonce re-sent",
			v:        &verifier{qop: "auth", sameNonceOnFail: true},
			password: "wrong", requests: 1, status: http.StatusUnauthorized, trips: 2,
			outcomes: []Outcome{NewNonce, SameNonce},
		},
		{
			name:     "wrong password, fresh nonce each time",
			v:        &verifier{qop: "auth"},
			password: "wrong", requests: 1, status: http.StatusUnauthorized, trips: 2,
			outcomes: []Outcome{NewNonce, NewNonce},
		},
		{
			name:     "auth-int over a POST body",
			v:        &verifier{algorithm: "SHA-512-256", qop: "auth-int"},
			password: "secret", requests: 2, method: "POST", body: []byte(`{"k":"v"}`), status: http.StatusOK, trips: 3,
			outcomes: []Outcome{NewNonce},
		},
		{
			name:     "auth-int over an empty body",
			v:        &verifier{qop: "auth-int"},
			password: "secret", requests: 1, method: "POST", body: []byte{}, status: http.StatusOK, trips: 2,
			outcomes: []Outcome{NewNonce},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.v.user, tt.v.pass, tt.v.realm = "user", "secret", "e2e"
			srv, hc := newServer(t, tt.v)
			dc := New("user", tt.password)
			method := tt.method
			if method == "" {
				method = "GET"
			}
			var resp *http.Response
			var outcomes []Outcome
			for i := 0; i < tt.requests; i++ {
				r, o, err := do(hc, dc, method, srv.URL+"/r", tt.body)
				require.NoError(t, err)
				resp, outcomes = r, append(outcomes, o...)
			}
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.outcomes, outcomes)
			assert.Equal(t, tt.trips, tt.v.roundTrips())
		})
	}
}

func TestEndToEndConcurrent(t *testing.T) {
	v := &verifier{user: "user", pass: "secret", realm: "e2e", algorithm: "SHA-256", qop: "auth"}
	srv, hc := newServer(t, v)
	dc := New("user", "secret")
	resp, _, err := do(hc, dc, "GET", srv.URL+"/warm", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				resp, outcomes, err := do(hc, dc, "GET", fmt.Sprintf("%s/g%d/%d", srv.URL, g, i), nil)
				if assert.NoError(t, err) {
					assert.Equal(t, http.StatusOK, resp.StatusCode)
					assert.Empty(t, outcomes)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 2+80, v.roundTrips(), "every concurrent request answered preemptively")
}
