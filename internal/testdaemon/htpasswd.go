package testdaemon

import (
	"crypto/md5"
	"crypto/rand"
	"strings"
)

// cryptAlphabet is the character set of crypt(3) hashes.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// htpasswdLine returns an htpasswd line for user with password hashed in the
// MD5-based crypt(3) format ("$1$salt$hash"), which squid's basic_ncsa_auth
// helper accepts.
func htpasswdLine(user, password string) string {
	salt := make([]byte, 8)
	random := make([]byte, len(salt))
	if _, err := rand.Read(random); err != nil {
		panic(err)
	}
	for i, b := range random {
		salt[i] = cryptAlphabet[int(b)%len(cryptAlphabet)]
	}
	return user + ":" + md5Crypt(password, string(salt)) + "\n"
}

// md5Crypt computes the MD5-based crypt(3) hash of password with salt (at
// most 8 characters are used), as "$1$salt$hash".
func md5Crypt(password, salt string) string {
	const magic = "$1$"
	if len(salt) > 8 {
		salt = salt[:8]
	}
	pw := []byte(password)

	alt := md5.New()
	alt.Write(pw)
	alt.Write([]byte(salt))
	alt.Write(pw)
	altSum := alt.Sum(nil)

	h := md5.New()
	h.Write(pw)
	h.Write([]byte(magic))
	h.Write([]byte(salt))
	for n := len(pw); n > 0; n -= 16 {
		h.Write(altSum[:min(n, 16)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(pw[:1])
		}
	}
	sum := h.Sum(nil)

	for i := range 1000 {
		r := md5.New()
		if i&1 != 0 {
			r.Write(pw)
		} else {
			r.Write(sum)
		}
		if i%3 != 0 {
			r.Write([]byte(salt))
		}
		if i%7 != 0 {
			r.Write(pw)
		}
		if i&1 != 0 {
			r.Write(sum)
		} else {
			r.Write(pw)
		}
		sum = r.Sum(nil)
	}

	var out strings.Builder
	out.WriteString(magic)
	out.WriteString(salt)
	out.WriteByte('$')
	encode := func(v uint32, n int) {
		for ; n > 0; n-- {
			out.WriteByte(cryptAlphabet[v&0x3f])
			v >>= 6
		}
	}
	for _, idx := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		encode(uint32(sum[idx[0]])<<16|uint32(sum[idx[1]])<<8|uint32(sum[idx[2]]), 4)
	}
	encode(uint32(sum[11]), 2)
	return out.String()
}
