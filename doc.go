// Package requests is HTTP for humans, in Go: the API of Python's requests
// over a tuned net/http Transport.
package requests
