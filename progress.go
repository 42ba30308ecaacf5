package requests

import (
	"io"
	"net/http"
	"time"
)

// ProgressInterval is the least time between two calls of a progress
// function while bytes flow. It is read when DownloadProgress or
// UploadProgress makes its option: a later change applies to the options
// made after it, never to a call already running.
var ProgressInterval = 100 * time.Millisecond

// DownloadProgress calls f as the response body is read: done is the bytes
// received so far, total the Content-Length, or -1 when the server sent
// none. Bytes are counted as they arrive, before any Content-Encoding is
// undone, so that done meets total.
//
// f is called with done = 0 when reading starts, then at most once per
// ProgressInterval while bytes arrive, and once more when the body ends
// (done == total when it was known); not at all for a body that cannot
// exist (HEAD, 204, 304). It runs in the goroutine that reads the body:
// inside the call for a buffered Response, the caller's for Stream(true).
// Keep it quick; it should not call back into the Response. It works with
// or without Stream; redirect hops are not counted.
func DownloadProgress(f func(done, total int64)) Option {
	every := ProgressInterval
	return optionFunc(func(c *config) {
		c.DownloadProgress, c.DownloadProgressErr, c.ProgressInterval = f, nil, every
	})
}

// DownloadProgressErr is DownloadProgress for a function that may stop the
// transfer: when f returns an error, the body is read no further, its
// connection is closed, and the call (or the read of a streamed body, Save,
// Download) fails with an *Error whose cause is f's error, for errors.Is;
// Download and Save leave no file behind. f is called as DownloadProgress's
// function is, including once at the end, where an error still fails the
// call. Of DownloadProgress and DownloadProgressErr, the later given wins.
// Cancelling the call's Context (see Context) stops a transfer too.
func DownloadProgressErr(f func(done, total int64) error) Option {
	every := ProgressInterval
	return optionFunc(func(c *config) {
		c.DownloadProgress, c.DownloadProgressErr, c.ProgressInterval = nil, f, every
	})
}

// UploadProgress calls f as the request body is sent: done is the bytes
// handed to the connection so far, total the body's length, or -1 when it
// is sent chunked. The cadence is DownloadProgress's: done = 0 first, at
// most once per ProgressInterval, and once at the end. f runs in the
// goroutine net/http writes the body from, not the caller's. When a 307/308
// redirect or a retry sends the body again, counting starts again from 0.
func UploadProgress(f func(done, total int64)) Option {
	every := ProgressInterval
	return optionFunc(func(c *config) { c.UploadProgress, c.ProgressInterval = f, every })
}

// progressReader counts the bytes read through it and reports them to f,
// or to stop, which may end the reading with an error.
type progressReader struct {
	rc      io.ReadCloser
	f       func(done, total int64)
	stop    func(done, total int64) error
	every   time.Duration
	total   int64
	done    int64
	last    time.Time
	started bool
	ended   bool
	err     error // sticky: what stop returned, as a *stoppedError
}

func newProgressReader(rc io.ReadCloser, f func(done, total int64), every time.Duration, total int64) *progressReader {
	if total < 0 {
		total = -1
	}
	return &progressReader{rc: rc, f: f, every: every, total: total}
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if !p.started {
		p.started, p.last = true, time.Now()
		if err := p.report(0); err != nil {
			return 0, err
		}
	}
	n, err := p.rc.Read(b)
	p.done += int64(n)
	var stopped error
	switch {
	case err == io.EOF:
		if !p.ended {
			p.ended = true
			stopped = p.report(p.done)
		}
	case n > 0 && time.Since(p.last) >= p.every:
		p.last = time.Now()
		stopped = p.report(p.done)
	}
	if stopped != nil {
		return n, stopped
	}
	return n, err
}

// report tells the progress so far; it returns the error that stops the
// reading, if any.
func (p *progressReader) report(done int64) error {
	if p.stop == nil {
		p.f(done, p.total)
		return nil
	}
	if err := p.stop(done, p.total); err != nil {
		p.err = &stoppedError{err}
		return p.err
	}
	return nil
}

// stoppedError is a transfer stopped by a DownloadProgressErr function.
type stoppedError struct{ err error }

func (e *stoppedError) Error() string { return "stopped by the progress function: " + e.err.Error() }
func (e *stoppedError) Unwrap() error { return e.err }

func (p *progressReader) Close() error { return p.rc.Close() }

// withProgress makes the body report its progress to f, each time it is sent.
func (b body) withProgress(f func(done, total int64), every time.Duration) body {
	if b.r == nil || b.r == http.NoBody {
		return b
	}
	b.r = newProgressReader(b.r, f, every, b.length)
	if gb := b.getBody; gb != nil {
		b.getBody = func() (io.ReadCloser, error) {
			rc, err := gb()
			if err != nil {
				return nil, err
			}
			return newProgressReader(rc, f, every, b.length), nil
		}
	}
	return b
}
