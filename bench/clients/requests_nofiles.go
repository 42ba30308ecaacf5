//go:build !filesapi

package clients

import (
	"os"

	"github.com/go-requests/requests"
)

// uploadFilesRequests is nil until the Files option is available: build
// with -tags filesapi to measure it.
func uploadFilesRequests(*requests.Session) func(string, *os.File) error { return nil }
