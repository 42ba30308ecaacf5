package requests

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
)

// Download fetches url into the file at path with the default Session and
// returns the Response, its body consumed and released. See Session.Download.
func Download(url, path string, opts ...Option) (*Response, error) {
	return DefaultSession.Download(url, path, opts...)
}

// Download fetches url with a GET into the file at path, streamed (whatever
// its size, memory use stays small) and atomically: the body goes to a
// temporary file beside path that is renamed onto it only once complete, so
// path holds either its old content or the whole new body, never a part.
// Nothing is left behind on error.
//
// A 4xx or 5xx status fails with an *HTTPError (as Raise) and writes
// nothing: an error page is not the file asked for. opts are those of a
// call; DownloadProgress reports the bytes as they arrive, for a progress
// bar. The returned Response has its status, headers and URL; its body has
// gone to the file.
//
// MaxBodySize caps the bytes written, after decoding: a larger body fails
// with ErrBodyTooLarge and leaves no file. To stop a download early, return
// an error from a DownloadProgressErr function, or cancel the Context given
// with the Context option.
func (s *Session) Download(url, path string, opts ...Option) (*Response, error) {
	resp, err := s.Do(http.MethodGet, url, append(slices.Clip(opts), Stream(true))...)
	if err != nil {
		return nil, err
	}
	if err := resp.Raise(); err != nil {
		resp.Close()
		return nil, err
	}
	if err := resp.Save(path); err != nil {
		return nil, err
	}
	return resp, nil
}

// Save writes the body, decoded from its Content-Encoding, to the file at
// path, atomically as Download does: into a temporary file in the same
// directory, synced and renamed onto path once complete, removed on any
// error. Whatever the status, the body is written; check it first.
// MaxBodySize caps the bytes written, as for Download.
//
// With Stream(true) the body is streamed to the file without being held in
// memory, once (the stream is then consumed, and released); a stream
// already consumed fails with ErrStreamConsumed and creates nothing. A
// buffered Response writes its content and can be saved again. The file
// is created with mode 0666 before the umask, as os.Create does; an
// existing file at path is replaced.
func (r *Response) Save(path string) error {
	body, err := r.takeStream()
	if err != nil {
		return err
	}
	defer body.Close()
	src := io.Reader(body)
	limit := r.call.cfg.MaxBodySize
	if limit > 0 {
		src = io.LimitReader(body, limit+1) // one byte more tells a body over the cap
	}
	if err := writeFileAtomic(path, src, limit); err != nil {
		if errors.Is(err, errOverCap) {
			return wrapErr(r.Request.Method, r.Request.URL, ErrBodyTooLarge, fmt.Errorf("more than %d bytes", limit))
		}
		if errors.As(err, new(*Error)) {
			return err
		}
		return wrapErr(r.Request.Method, r.Request.URL, nil, err)
	}
	return nil
}

// errOverCap is writeFileAtomic's failure for a body over its limit.
var errOverCap = errors.New("body over the cap")

// writeFileAtomic copies src into a temporary file beside path, then
// renames it onto path. More than limit bytes (when limit > 0) fail with
// errOverCap.
func writeFileAtomic(path string, src io.Reader, limit int64) (err error) {
	f, err := createTemp(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, src)
	if err != nil {
		return err
	}
	if limit > 0 && n > limit {
		return errOverCap
	}
	// Synced before the rename, so that after a crash path holds either
	// the old file or the whole new one.
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// createTemp creates a new file beside path with a name of its own, hidden
// and marked as partial, with the permissions os.Create gives.
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	for range 10 {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".part")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
}
