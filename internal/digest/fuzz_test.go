package digest

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func FuzzParseChallenge(f *testing.F) {
	for _, seed := range []string{
		`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
		`Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		`Basic realm="x", Digest realm="y", nonce="n", Digest realm="y", nonce="m", algorithm=SHA-512-256-sess, qop=auth`,
		`Negotiate YIIB+/dg==, NTLM, Digest REALM=r NONCE=n stale=TRUE userhash=true`,
		`Digest realm="a \"b\" \\ c", nonce="\n"`,
		`Digest realm="unterminated`,
		`Digest realm="r", nonce="n", algorithm=MD5-sess`,
		`Digest realm="r", nonce="n", qop="auth-int", domain="/a /b", charset=UTF-8`,
		`,,, =, "x", Digest`,
		`Digest abc==`,
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		ch, err := ParseChallenge(header)
		if err != nil {
			require.Nil(t, ch)
			var syntax *SyntaxError
			var param *ChallengeError
			if !errors.Is(err, ErrNoChallenge) && !errors.As(err, &syntax) && !errors.As(err, &param) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		require.NotNil(t, ch)
		assert.Positive(t, ch.Algorithm.strength())

		// Whatever was accepted must be answerable, and the answer must
		// carry the challenge's values back intact.
		c := New("user\t\"name\"", "pass")
		c.Update(ch)
		h, err := c.Authorization("GET", "/p?q", []byte{})
		require.NoError(t, err)
		p := authParams(t, h)
		assert.Equal(t, ch.Realm, p["realm"])
		assert.Equal(t, ch.Nonce, p["nonce"])
		assert.Equal(t, "user\t\"name\"", p["username"])
		if ch.Opaque != "" {
			assert.Equal(t, ch.Opaque, p["opaque"])
		}
		assert.Equal(t, ch.Algorithm.String(), p["algorithm"])
		if len(ch.QOP) > 0 {
			assert.Contains(t, []string{"auth", "auth-int"}, p["qop"])
			assert.Equal(t, "00000001", p["nc"])
		}
	})
}

func FuzzAuthorization(f *testing.F) {
	f.Add("Mufasa", "Circle of Life", "/dir/index.html", "GET", []byte(nil))
	f.Add("Jäsøn Doe", "Secret, or not?", "/doe.json", "POST", []byte("{}"))
	f.Add(`a"b\c`, "", "*", "OPTIONS", []byte{})
	f.Add("\xff\xfe", "\x00", "/\x7f", "", []byte("x"))
	f.Fuzz(func(t *testing.T, user, pass, uri, method string, body []byte) {
		ch := &Challenge{Realm: "r", Nonce: "n", QOP: []string{"auth-int"}, Algorithm: SHA256Sess}
		c := New(user, pass)
		c.Update(ch)
		h, err := c.Authorization(method, uri, body)
		switch {
		case hasCTL(user) || hasCTL(uri):
			require.ErrorIs(t, err, ErrControlChar)
			return
		case body == nil:
			require.ErrorIs(t, err, ErrBodyRequired)
			return
		}
		require.NoError(t, err)
		require.True(t, utf8.ValidString(h) || !utf8.ValidString(user) || !utf8.ValidString(uri))
		p := authParams(t, h)
		assert.Equal(t, user, p["username"])
		assert.Equal(t, uri, p["uri"])
		assert.Equal(t, "auth-int", p["qop"])
	})
}
