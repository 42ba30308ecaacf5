package digest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    *Challenge
	}{
		{
			name: "RFC 7616 3.9.1: strongest of two headers",
			headers: []string{
				`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
				`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
			},
			want: &Challenge{
				Realm:     "http-auth@example.org",
				Nonce:     "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
				Opaque:    "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
				Algorithm: SHA256,
				QOP:       []string{"auth", "auth-int"},
			},
		},
		{
			name:    "MD5 header listed first still loses to SHA-256",
			headers: []string{`Digest realm="r", nonce="a"`, `Digest realm="r", nonce="b", algorithm=SHA-256`},
			want:    &Challenge{Realm: "r", Nonce: "b", Algorithm: SHA256},
		},
		{
			name:    "Digest after Basic in one value",
			headers: []string{`Basic realm="x", Digest realm="y", nonce="n"`},
			want:    &Challenge{Realm: "y", Nonce: "n"},
		},
		{
			name:    "several Digest challenges in one value",
			headers: []string{`Digest realm="r", nonce="1", Digest realm="r", nonce="2", algorithm=SHA-512-256, Digest realm="r", nonce="3", algorithm=SHA-256`},
			want:    &Challenge{Realm: "r", Nonce: "2", Algorithm: SHA512_256},
		},
		{
			name:    "tie keeps the first offered",
			headers: []string{`Digest realm="r", nonce="1", algorithm=SHA-256-sess, qop=auth, Digest realm="r", nonce="2", algorithm=SHA-256`},
			want:    &Challenge{Realm: "r", Nonce: "1", Algorithm: SHA256Sess, QOP: []string{"auth"}},
		},
		{
			name:    "unsupported challenge skipped",
			headers: []string{`Digest realm="r", nonce="1", algorithm=SHA-1, Digest realm="r", nonce="2"`},
			want:    &Challenge{Realm: "r", Nonce: "2"},
		},
		{
			name:    "malformed value skipped for a good one",
			headers: []string{`Digest realm="unterminated`, `Digest realm="r", nonce="2"`},
			want:    &Challenge{Realm: "r", Nonce: "2"},
		},
		{
			name:    "quoted-pair escapes",
			headers: []string{`Digest realm="a \"quoted\" \\ realm\x", nonce="n"`},
			want:    &Challenge{Realm: `a "quoted" \ realmx`, Nonce: "n"},
		},
		{
			name:    "token values and case-insensitive names",
			headers: []string{`DIGEST REALM=r, NoNcE=abc/def==, ALGORITHM=md5-SESS, QOP=AUTH, Stale=TRUE`},
			want:    &Challenge{Realm: "r", Nonce: "abc/def==", Algorithm: MD5Sess, QOP: []string{"auth"}, Stale: true},
		},
		{
			name:    "quoted algorithm",
			headers: []string{`Digest realm="r", nonce="n", algorithm="SHA-256"`},
			want:    &Challenge{Realm: "r", Nonce: "n", Algorithm: SHA256},
		},
		{
			name:    "qop lists",
			headers: []string{`Digest realm="r", nonce="n", qop=" AUTH-INT ,auth,, "`},
			want:    &Challenge{Realm: "r", Nonce: "n", QOP: []string{"auth-int", "auth"}},
		},
		{
			name:    "qop auth-int alone",
			headers: []string{`Digest realm="r", nonce="n", qop="auth-int"`},
			want:    &Challenge{Realm: "r", Nonce: "n", QOP: []string{"auth-int"}},
		},
		{
			name:    "unknown qop values kept beside auth",
			headers: []string{`Digest realm="r", nonce="n", qop="auth-conf,auth"`},
			want:    &Challenge{Realm: "r", Nonce: "n", QOP: []string{"auth-conf", "auth"}},
		},
		{
			name:    "empty qop is no qop",
			headers: []string{`Digest realm="r", nonce="n", qop=""`},
			want:    &Challenge{Realm: "r", Nonce: "n"},
		},
		{
			name:    "stale quoted, userhash, charset, domain, unknown params",
			headers: []string{`Digest realm="r", nonce="n", stale="true", userhash=true, charset=UTF-8, domain="/a  /b http://h/c", foo=bar, baz="q,ux"`},
			want:    &Challenge{Realm: "r", Nonce: "n", Stale: true, UserHash: true, Charset: "UTF-8", Domain: []string{"/a", "/b", "http://h/c"}},
		},
		{
			name:    "stale false",
			headers: []string{`Digest realm="r", nonce="n", stale=false`},
			want:    &Challenge{Realm: "r", Nonce: "n"},
		},
		{
			name:    "missing commas and odd whitespace",
			headers: []string{" ,, Digest\trealm = \"r\"  nonce=\"n\" ,,opaque=o ,"},
			want:    &Challenge{Realm: "r", Nonce: "n", Opaque: "o"},
		},
		{
			name:    "token68 and bare schemes before Digest",
			headers: []string{`Negotiate YIIB+/dg==, NTLM, Bearer, Digest realm="r", nonce="n"`},
			want:    &Challenge{Realm: "r", Nonce: "n"},
		},
		{
			name:    "RFC 7235 example plus Digest",
			headers: []string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Digest realm="d", nonce="n"`},
			want:    &Challenge{Realm: "d", Nonce: "n"},
		},
		{
			name:    "non-ASCII realm",
			headers: []string{`Digest realm="réalm ☃", nonce="n"`},
			want:    &Challenge{Realm: "réalm ☃", Nonce: "n"},
		},
		{
			name:    "empty realm and nonce are present",
			headers: []string{`Digest realm="", nonce=""`},
			want:    &Challenge{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChallenges(tt.headers)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseChallengeErrors(t *testing.T) {
	var syntax *SyntaxError
	var param *ChallengeError
	tests := []struct {
		name        string
		header      string
		noChallenge bool
		syntax      bool
		param       string // ChallengeError.Param
		unsupported bool
	}{
		{name: "empty", header: "", noChallenge: true},
		{name: "only separators", header: " , ,", noChallenge: true},
		{name: "Basic only", header: `Basic realm="x"`, noChallenge: true},
		{name: "Digest-like scheme", header: `Digestive realm="x", nonce="n"`, noChallenge: true},
		{name: "missing nonce", header: `Digest realm="x"`, param: "nonce"},
		{name: "missing realm", header: `Digest nonce="x"`, param: "realm"},
		{name: "bare Digest", header: `Digest`, param: "realm"},
		{name: "repeated param", header: `Digest realm="a", REALM="b", nonce="n"`, param: "realm"},
		{name: "unknown algorithm", header: `Digest realm="a", nonce="n", algorithm=SHA-1`, param: "algorithm", unsupported: true},
		{name: "qop without auth", header: `Digest realm="a", nonce="n", qop="auth-conf"`, param: "qop", unsupported: true},
		{name: "sess without qop", header: `Digest realm="a", nonce="n", algorithm=MD5-sess`, param: "algorithm", unsupported: true},
		{name: "token68 Digest", header: `Digest abc==`, param: "(token68)"},
		{name: "empty first value", header: `Digest realm=`, param: "(token68)"},
		{name: "unterminated quote", header: `Digest nonce="n", realm="a`, syntax: true},
		{name: "escape at end", header: `Digest realm="a\`, syntax: true},
		{name: "control character", header: "Digest realm=\"a\x01\", nonce=\"n\"", syntax: true},
		{name: "escaped control character", header: "Digest realm=\"a\\\x00\", nonce=\"n\"", syntax: true},
		{name: "missing later value", header: `Digest realm="a", nonce=`, syntax: true},
		{name: "junk scheme", header: `@@@`, syntax: true},
		{name: "junk after scheme", header: `Digest@ realm="a"`, syntax: true},
		{name: "junk in params", header: `Digest realm="a", nonce="n", @`, syntax: true},
		{name: "junk in token68", header: `Negotiate abc/def=x`, syntax: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChallenge(tt.header)
			require.Error(t, err)
			assert.Nil(t, got)
			switch {
			case tt.noChallenge:
				assert.ErrorIs(t, err, ErrNoChallenge)
			case tt.syntax:
				require.ErrorAs(t, err, &syntax)
				assert.GreaterOrEqual(t, syntax.Offset, 0)
				assert.LessOrEqual(t, syntax.Offset, len(tt.header))
			default:
				require.ErrorAs(t, err, &param)
				assert.Equal(t, tt.param, param.Param)
				assert.Equal(t, tt.unsupported, errors.Is(err, ErrUnsupported))
			}
			assert.NotEmpty(t, err.Error())
		})
	}
}

func TestParseChallengesFirstError(t *testing.T) {
	_, err := ParseChallenges([]string{`Basic realm="x"`, `Digest realm="a"`, `Digest "`})
	var param *ChallengeError
	require.ErrorAs(t, err, &param)
	assert.Equal(t, "nonce", param.Param)

	_, err = ParseChallenges(nil)
	assert.ErrorIs(t, err, ErrNoChallenge)
}

func TestAlgorithmString(t *testing.T) {
	tests := []struct {
		alg  Algorithm
		want string
		sess bool
	}{
		{MD5, "MD5", false},
		{MD5Sess, "MD5-sess", true},
		{SHA256, "SHA-256", false},
		{SHA256Sess, "SHA-256-sess", true},
		{SHA512_256, "SHA-512-256", false},
		{SHA512_256Sess, "SHA-512-256-sess", true},
		{SHA512, "SHA-512", false},
		{SHA512Sess, "SHA-512-sess", true},
		{Algorithm(42), "Algorithm(42)", false},
		{Algorithm(-1), "Algorithm(-1)", false},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.alg.String())
			assert.Equal(t, tt.sess, tt.alg.Sess())
			if tt.alg.strength() > 0 {
				got, ok := parseAlgorithm(tt.want)
				require.True(t, ok)
				assert.Equal(t, tt.alg, got)
			}
		})
	}
}
