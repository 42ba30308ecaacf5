package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fixedCnonce(s string) Option {
	return WithCnonce(func() (string, error) { return s, nil })
}

// authParams parses an Authorization value back into its parameters.
func authParams(t testing.TB, header string) map[string]string {
	t.Helper()
	raws, err := splitChallenges(header)
	require.NoError(t, err)
	require.Len(t, raws, 1)
	require.Equal(t, "Digest", raws[0].scheme)
	out := make(map[string]string)
	for _, p := range raws[0].params {
		_, dup := out[p.name]
		require.False(t, dup, "repeated %s", p.name)
		out[p.name] = p.value
	}
	return out
}

func mustChallenge(t testing.TB, header string) *Challenge {
	t.Helper()
	ch, err := ParseChallenge(header)
	require.NoError(t, err)
	return ch
}

func TestRFCExamples(t *testing.T) {
	const rfc7616 = `realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	const rfc2617 = `realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`
	tests := []struct {
		name      string
		challenge string
		password  string
		cnonce    string
		want      string
	}{
		{
			name:      "RFC 7616 3.9.1 SHA-256",
			challenge: `Digest ` + rfc7616 + `, algorithm=SHA-256`,
			password:  "Circle of Life",
			cnonce:    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			want:      `Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", algorithm=SHA-256, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"`,
		},
		{
			name:      "RFC 7616 3.9.1 MD5",
			challenge: `Digest ` + rfc7616 + `, algorithm=MD5`,
			password:  "Circle of Life",
			cnonce:    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			want:      `Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", algorithm=MD5, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"`,
		},
		{
			name:      "RFC 2617 3.5",
			challenge: `Digest ` + rfc2617,
			password:  "Circle Of Life",
			cnonce:    "0a4f113b",
			want:      `Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", algorithm=MD5, response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001, cnonce="0a4f113b"`,
		},
		{
			name:      "RFC 2069 2.4 without qop",
			challenge: `Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
			password:  "CircleOfLife",
			cnonce:    "unused",
			want:      `Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", algorithm=MD5, response="1949323746fe6a43ef61f9606e7febea", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New("Mufasa", tt.password, fixedCnonce(tt.cnonce))
			assert.Equal(t, NewNonce, c.Update(mustChallenge(t, tt.challenge)))
			got, err := c.Authorization("GET", "/dir/index.html", nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// refHash computes H(s) independently of the package's helpers.
func refHash(alg Algorithm, s string) string {
	switch alg {
	case MD5, MD5Sess:
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	case SHA256, SHA256Sess:
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	case SHA512_256, SHA512_256Sess:
		sum := sha512.Sum512_256([]byte(s))
		return hex.EncodeToString(sum[:])
	case SHA512, SHA512Sess:
		sum := sha512.Sum512([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	panic("unknown algorithm")
}

func TestAlgorithms(t *testing.T) {
	const (
		user   = "Jäsøn Doe"
		pass   = "Secret, or not?"
		realm  = "api@example.org"
		nonce  = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"
		cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v"
		uri    = "/doe.json?x=1"
		body   = `{"a":1}`
	)
	for _, alg := range []Algorithm{MD5, MD5Sess, SHA256, SHA256Sess, SHA512_256, SHA512_256Sess, SHA512, SHA512Sess} {
		for _, qop := range []string{"auth", "auth-int"} {
			t.Run(alg.String()+"/"+qop, func(t *testing.T) {
				c := New(user, pass, fixedCnonce(cnonce))
				c.Update(mustChallenge(t, fmt.Sprintf(`Digest realm=%q, nonce=%q, algorithm=%s, qop=%q`, realm, nonce, alg, qop)))
				got, err := c.Authorization("POST", uri, []byte(body))
				require.NoError(t, err)
				p := authParams(t, got)

				ha1 := refHash(alg, user+":"+realm+":"+pass)
				if alg.Sess() {
					ha1 = refHash(alg, ha1+":"+nonce+":"+cnonce)
				}
				ha2 := refHash(alg, "POST:"+uri)
				if qop == "auth-int" {
					ha2 = refHash(alg, "POST:"+uri+":"+refHash(alg, body))
				}
				want := refHash(alg, ha1+":"+nonce+":00000001:"+cnonce+":"+qop+":"+ha2)

				assert.Equal(t, want, p["response"])
				assert.Equal(t, alg.String(), p["algorithm"])
				assert.Equal(t, qop, p["qop"])
				assert.Equal(t, user, p["username"])
				assert.Equal(t, uri, p["uri"])
				assert.Equal(t, cnonce, p["cnonce"])
				assert.NotContains(t, p, "opaque")
				assert.NotContains(t, p, "userhash")
			})
		}
	}
}

func TestQOPChoice(t *testing.T) {
	tests := []struct {
		name    string
		qop     string // "" for no qop parameter
		body    []byte
		want    string // "" for the RFC 2069 form
		wantErr error
	}{
		{name: "auth preferred without body", qop: "auth,auth-int", want: "auth"},
		{name: "auth preferred with body", qop: "auth-int,auth", body: []byte("x"), want: "auth"},
		{name: "auth-int with body", qop: "auth-int", body: []byte("x"), want: "auth-int"},
		{name: "auth-int with empty body", qop: "auth-int", body: []byte{}, want: "auth-int"},
		{name: "auth-int without body", qop: "auth-int", wantErr: ErrBodyRequired},
		{name: "no qop", want: ""},
		{name: "no qop with body", body: []byte("x"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := `Digest realm="r", nonce="n"`
			if tt.qop != "" {
				h += `, qop="` + tt.qop + `"`
			}
			c := New("u", "p")
			c.Update(mustChallenge(t, h))
			got, err := c.Authorization("PUT", "/", tt.body)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			p := authParams(t, got)
			if tt.want == "" {
				for _, k := range []string{"qop", "nc", "cnonce"} {
					assert.NotContains(t, p, k)
				}
				return
			}
			assert.Equal(t, tt.want, p["qop"])
			assert.Equal(t, "00000001", p["nc"])
			assert.Regexp(t, `^[0-9a-f]{32}$`, p["cnonce"])
		})
	}
}

func TestNonceCounting(t *testing.T) {
	c := New("u", "p")
	type step struct {
		update  string // challenge to Update with, if any
		outcome Outcome
		nc      string // nc of the next Authorization
		realm   string
	}
	steps := []step{
		{update: `Digest realm="a", nonce="n1", qop=auth`, outcome: NewNonce, nc: "00000001", realm: "a"},
		{nc: "00000002", realm: "a"},
		{nc: "00000003", realm: "a"},
		{update: `Digest realm="a", nonce="n1", qop=auth`, outcome: SameNonce, nc: "00000004", realm: "a"},
		{update: `Digest realm="a", nonce="n1", qop=auth, stale=true`, outcome: SameNonce, nc: "00000005", realm: "a"},
		{update: `Digest realm="a", nonce="n2", qop=auth, stale=true`, outcome: StaleNonce, nc: "00000001", realm: "a"},
		{nc: "00000002", realm: "a"},
		{update: `Digest realm="a", nonce="n3", qop=auth`, outcome: NewNonce, nc: "00000001", realm: "a"},
		{update: `Digest realm="b", nonce="n3", qop=auth`, outcome: NewNonce, nc: "00000001", realm: "b"},
		{update: `Digest realm="a", nonce="n3", qop=auth`, outcome: SameNonce, nc: "00000002", realm: "a"},
		{update: `Digest realm="b", nonce="n3", qop=auth`, outcome: SameNonce, nc: "00000002", realm: "b"},
	}
	seen := map[string]bool{}
	for i, s := range steps {
		if s.update != "" {
			assert.Equal(t, s.outcome, c.Update(mustChallenge(t, s.update)), "step %d", i)
		}
		h, err := c.Authorization("GET", "/", nil)
		require.NoError(t, err)
		p := authParams(t, h)
		assert.Equal(t, s.nc, p["nc"], "step %d", i)
		assert.Equal(t, s.realm, p["realm"], "step %d", i)
		assert.False(t, seen[p["cnonce"]], "cnonce reused at step %d", i)
		seen[p["cnonce"]] = true
	}
}

func TestNonceCountHex(t *testing.T) {
	tests := []struct {
		n    uint32
		want string
	}{
		{1, "00000001"},
		{10, "0000000a"},
		{255, "000000ff"},
		{0x1234abcd, "1234abcd"},
		{math.MaxUint32, "ffffffff"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatNC(tt.n))
	}
}

func TestNonceExhausted(t *testing.T) {
	c := New("u", "p")
	c.Update(mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`))
	c.current.nc = math.MaxUint32 - 1
	h, err := c.Authorization("GET", "/", nil)
	require.NoError(t, err)
	assert.Equal(t, "ffffffff", authParams(t, h)["nc"])
	_, err = c.Authorization("GET", "/", nil)
	require.ErrorIs(t, err, ErrNonceExhausted)
	c.Update(mustChallenge(t, `Digest realm="r", nonce="n2", qop=auth`))
	h, err = c.Authorization("GET", "/", nil)
	require.NoError(t, err)
	assert.Equal(t, "00000001", authParams(t, h)["nc"])
}

func TestAuthorizationErrors(t *testing.T) {
	cnonceErr := errors.New("no entropy")
	tests := []struct {
		name    string
		client  *Client
		uri     string
		ch      *Challenge
		wantErr error
	}{
		{name: "no challenge yet", client: New("u", "p"), wantErr: ErrNoChallenge},
		{name: "control character in username", client: New("u\r\nX-Evil: 1", "p"), ch: &Challenge{Realm: "r", Nonce: "n"}, wantErr: ErrControlChar},
		{name: "control character in uri", client: New("u", "p"), uri: "/a\nb", ch: &Challenge{Realm: "r", Nonce: "n"}, wantErr: ErrControlChar},
		{name: "cnonce failure", client: New("u", "p", WithCnonce(func() (string, error) { return "", cnonceErr })), ch: &Challenge{Realm: "r", Nonce: "n", QOP: []string{"auth"}}, wantErr: cnonceErr},
		{name: "unknown algorithm value", client: New("u", "p"), ch: &Challenge{Realm: "r", Nonce: "n", Algorithm: Algorithm(99)}, wantErr: ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ch != nil {
				tt.client.Update(tt.ch)
			}
			uri := tt.uri
			if uri == "" {
				uri = "/"
			}
			_, err := tt.client.Authorization("GET", uri, nil)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestQuotingAndUTF8(t *testing.T) {
	c := New("Jäsøn \"the\" \\ Doe", "pässwörd", fixedCnonce("c"))
	c.Update(mustChallenge(t, `Digest realm="r \"x\"", nonce="n\\1", opaque="o", qop=auth`))
	h, err := c.Authorization("GET", `/a?b="c"`, nil)
	require.NoError(t, err)
	assert.Contains(t, h, `username="Jäsøn \"the\" \\ Doe"`)
	p := authParams(t, h)
	assert.Equal(t, `Jäsøn "the" \ Doe`, p["username"])
	assert.Equal(t, `r "x"`, p["realm"])
	assert.Equal(t, `n\1`, p["nonce"])
	assert.Equal(t, `/a?b="c"`, p["uri"])
	assert.Equal(t, "o", p["opaque"])
	ha1 := refHash(MD5, `Jäsøn "the" \ Doe:r "x":pässwörd`)
	ha2 := refHash(MD5, `GET:/a?b="c"`)
	assert.Equal(t, refHash(MD5, ha1+`:n\1:00000001:c:auth:`+ha2), p["response"])
}

func TestUserhash(t *testing.T) {
	const ch = `Digest realm="api@example.org", nonce="n", qop=auth, algorithm=SHA-512-256`
	tests := []struct {
		name     string
		opts     []Option
		header   string
		wantUser string
		hashed   bool
	}{
		{name: "opted in and offered", opts: []Option{WithUserhash()}, header: ch + `, userhash=true`, wantUser: refHash(SHA512_256, "Jäsøn Doe:api@example.org"), hashed: true},
		{name: "offered only", header: ch + `, userhash=true`, wantUser: "Jäsøn Doe"},
		{name: "opted in only", opts: []Option{WithUserhash()}, header: ch, wantUser: "Jäsøn Doe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New("Jäsøn Doe", "Secret, or not?", tt.opts...)
			c.Update(mustChallenge(t, tt.header))
			h, err := c.Authorization("GET", "/doe.json", nil)
			require.NoError(t, err)
			p := authParams(t, h)
			assert.Equal(t, tt.wantUser, p["username"])
			if tt.hashed {
				assert.Equal(t, "true", p["userhash"])
			} else {
				assert.NotContains(t, p, "userhash")
			}
			// The response is computed over the clear username either way.
			ha1 := refHash(SHA512_256, "Jäsøn Doe:api@example.org:Secret, or not?")
			ha2 := refHash(SHA512_256, "GET:/doe.json")
			assert.Equal(t, refHash(SHA512_256, ha1+":n:00000001:"+p["cnonce"]+":auth:"+ha2), p["response"])
		})
	}
}

func TestRealmEviction(t *testing.T) {
	c := New("u", "p")
	for i := 0; i < 3*maxRealms; i++ {
		c.Update(&Challenge{Realm: fmt.Sprint("r", i), Nonce: "n"})
	}
	assert.Len(t, c.realms, maxRealms)
	// The most recent realms survive, so a repeated nonce is still known.
	assert.Equal(t, SameNonce, c.Update(&Challenge{Realm: fmt.Sprint("r", 3*maxRealms-1), Nonce: "n"}))
	assert.Equal(t, NewNonce, c.Update(&Challenge{Realm: "r0", Nonce: "n"}))
}

func TestUpdateCopiesChallenge(t *testing.T) {
	ch := &Challenge{Realm: "r", Nonce: "n", QOP: []string{"auth"}}
	c := New("u", "p")
	c.Update(ch)
	ch.QOP[0] = "auth-int"
	ch.Nonce = "changed"
	h, err := c.Authorization("GET", "/", nil)
	require.NoError(t, err)
	p := authParams(t, h)
	assert.Equal(t, "auth", p["qop"])
	assert.Equal(t, "n", p["nonce"])
}

func TestConcurrentUse(t *testing.T) {
	const goroutines, perG = 32, 50
	c := New("u", "p")
	ch := mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`)
	c.Update(ch)

	var mu sync.Mutex
	ncs := make(map[string]bool)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				if i%10 == 0 {
					// Re-recording the same nonce must not reset the count.
					c.Update(ch)
				}
				h, err := c.Authorization("GET", "/", nil)
				if !assert.NoError(t, err) {
					return
				}
				p := authParams(t, h)
				mu.Lock()
				assert.False(t, ncs[p["nc"]], "nc %s used twice", p["nc"])
				ncs[p["nc"]] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, ncs, goroutines*perG)
	for i := 1; i <= goroutines*perG; i++ {
		assert.True(t, ncs[fmt.Sprintf("%08x", i)], "nc %d missing", i)
	}
}

func TestConcurrentRealms(t *testing.T) {
	c := New("u", "p")
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				c.Update(&Challenge{Realm: fmt.Sprint("r", (g+i)%(maxRealms+4)), Nonce: fmt.Sprint(i % 3), QOP: []string{"auth"}})
				h, err := c.Authorization("GET", "/", nil)
				if assert.NoError(t, err) {
					assert.True(t, strings.HasPrefix(h, "Digest "))
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, len(c.realms), maxRealms)
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{NewNonce: "NewNonce", StaleNonce: "StaleNonce", SameNonce: "SameNonce", Outcome(7): "Outcome(7)"} {
		assert.Equal(t, want, o.String())
	}
}
