package requests

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
)

// A multipart/form-data body is composed, not rendered: literal segments
// (boundaries, part headers, form values) alternate with the parts'
// sources, and each reader of the body walks them in turn. Nothing is
// copied into memory and no goroutine is involved, and when every source's
// size is known so is the body's, which then goes out with a Content-Length
// instead of chunked.

// errBodyClosed is what a read of a request body returns once it is closed.
var errBodyClosed = errors.New("request body closed")

// form is a multipart body ready to be read, as often as its sources allow.
type form struct {
	segs     []segment
	length   int64 // -1 when a source's size is unknown
	rewind   bool  // every source can be read again
	boundary string
}

// segment is literal bytes or one part's content.
type segment struct {
	lit []byte
	src *source
}

// source is where a part's content comes from. Exactly one of ra, path,
// seeker and r is set.
type source struct {
	size int64 // -1 when unknown

	// ra is read through a section of its own per reader of the body: no
	// shared offset, so two readers never disturb each other.
	ra  io.ReaderAt
	off int64

	// path is opened by each reader of the body and closed when done.
	path string

	// seeker is shared by the readers of the body: each seeks back to start
	// and the latest one owns it; an earlier one can no longer read.
	seeker io.ReadSeeker
	start  int64
	mu     sync.Mutex
	owner  *formReader

	// r is read once, as it is.
	r io.Reader
}

// multipartBody encodes form fields and files as requests' encode_files
// does: the fields first, then the files.
func multipartBody(fields url.Values, files []formFile) (body, error) {
	var rnd [16]byte
	rand.Read(rnd[:])
	f := &form{boundary: hex.EncodeToString(rnd[:]), rewind: true}
	var lit bytes.Buffer
	flush := func() {
		if lit.Len() > 0 {
			f.segs = append(f.segs, segment{lit: bytes.Clone(lit.Bytes())})
			lit.Reset()
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		h, err := partHeader(k, "", "", nil)
		if err != nil {
			return body{}, err
		}
		for _, v := range fields[k] {
			lit.WriteString("--" + f.boundary + "\r\n" + h + v + "\r\n")
		}
	}
	for i := range files {
		ff := &files[i]
		src, err := newSource(ff)
		if err != nil {
			return body{}, err
		}
		name := ff.filename()
		ff.Header = canonical(ff.Header)
		h, err := partHeader(ff.field, name, ff.contentType(name), ff.Header)
		if err != nil {
			return body{}, err
		}
		lit.WriteString("--" + f.boundary + "\r\n" + h)
		flush()
		f.segs = append(f.segs, segment{src: src})
		lit.WriteString("\r\n")
	}
	lit.WriteString("--" + f.boundary + "--\r\n")
	flush()

	known := true
	for _, s := range f.segs {
		switch {
		case s.src == nil:
			f.length += int64(len(s.lit))
		case s.src.size < 0:
			known = false
		default:
			f.length += s.src.size
		}
		if s.src != nil && s.src.r != nil {
			f.rewind = false
		}
	}
	if !known {
		f.length = -1
	}
	b := body{
		r:           f.open(),
		length:      f.length,
		contentType: "multipart/form-data; boundary=" + f.boundary,
	}
	if f.rewind {
		b.getBody = func() (io.ReadCloser, error) { return f.open(), nil }
	}
	return b, nil
}

// canonical returns h with canonical keys, so that look-ups find what a
// caller wrote in any case.
func canonical(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], v...)
	}
	return out
}

// newSource finds out what can be known about a part's content before
// sending: its size and whether it can be read again.
func newSource(f *formFile) (*source, error) {
	switch {
	case f.Path != "" && f.Reader != nil:
		return nil, fmt.Errorf("%w: File for field %q has both a Path and a Reader", ErrInvalidBody, f.field)
	case f.Path != "":
		fi, err := os.Stat(f.Path)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			return nil, fmt.Errorf("%w: File for field %q: %s is a directory", ErrInvalidBody, f.field, f.Path)
		}
		if !fi.Mode().IsRegular() {
			// A pipe or device reads differently each time it is opened.
			return &source{size: -1, r: &lazyFile{path: f.Path}}, nil
		}
		return &source{size: fi.Size(), path: f.Path}, nil
	case f.Reader == nil:
		return nil, fmt.Errorf("%w: File for field %q has neither a Path nor a Reader", ErrInvalidBody, f.field)
	}
	switch r := f.Reader.(type) {
	case *bytes.Reader:
		return &source{size: int64(r.Len()), ra: r, off: r.Size() - int64(r.Len())}, nil
	case *strings.Reader:
		return &source{size: int64(r.Len()), ra: r, off: r.Size() - int64(r.Len())}, nil
	case *bytes.Buffer:
		b := bytes.Clone(r.Bytes())
		return &source{size: int64(len(b)), ra: bytes.NewReader(b)}, nil
	case *os.File:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return &source{size: -1, r: r}, nil
		}
		off, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return &source{size: -1, r: r}, nil
		}
		return &source{size: max(fi.Size()-off, 0), ra: r, off: off}, nil
	}
	if sk, ok := f.Reader.(io.ReadSeeker); ok {
		if start, size, ok := seekSize(sk); ok {
			if ra, ok := f.Reader.(io.ReaderAt); ok {
				return &source{size: size, ra: ra, off: start}, nil
			}
			return &source{size: size, seeker: sk, start: start}, nil
		}
	}
	return &source{size: -1, r: f.Reader}, nil
}

// seekSize measures what is left of a seeker, leaving it where it was.
func seekSize(sk io.Seeker) (start, size int64, ok bool) {
	start, err := sk.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, 0, false
	}
	end, err := sk.Seek(0, io.SeekEnd)
	if _, err2 := sk.Seek(start, io.SeekStart); err != nil || err2 != nil || end < start {
		return 0, 0, false
	}
	return start, end - start, true
}

// open returns a new reader of the whole body.
func (f *form) open() *formReader { return &formReader{f: f} }

// formReader reads a form once. It is safe to Close while a Read runs in
// another goroutine (net/http may do that): the file it opened is closed
// by the time Close returns and no further file is opened.
type formReader struct {
	f *form

	mu     sync.Mutex
	i      int       // the segment being read
	cur    io.Reader // its reader, once opened
	file   *os.File  // the file this reader opened, if any
	closed bool
}

func (r *formReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return 0, errBodyClosed
		}
		if r.cur == nil {
			if r.i == len(r.f.segs) {
				r.mu.Unlock()
				return 0, io.EOF
			}
			if err := r.openLocked(r.f.segs[r.i]); err != nil {
				r.mu.Unlock()
				return 0, err
			}
		}
		var n int
		var err error
		if r.file != nil {
			// A file this reader opened is read under the lock, so that
			// Close waits for the read (a disk read is short) and the file
			// is really closed when Close returns.
			n, err = r.cur.Read(p)
		} else {
			// Anything else may block for long (a caller's pipe): read it
			// unlocked, so that Close is never held up.
			cur := r.cur
			r.mu.Unlock()
			n, err = cur.Read(p)
			r.mu.Lock()
		}
		if err == io.EOF {
			err = nil
			if !r.closed {
				r.nextLocked()
			}
		}
		r.mu.Unlock()
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// openLocked starts reading a segment.
func (r *formReader) openLocked(s segment) error {
	switch src := s.src; {
	case src == nil:
		r.cur = bytes.NewReader(s.lit)
	case src.ra != nil:
		r.cur = io.NewSectionReader(src.ra, src.off, src.size)
	case src.path != "":
		fh, err := os.Open(src.path)
		if err != nil {
			return err
		}
		r.file = fh
		r.cur = &sizedReader{r: fh, left: src.size, path: src.path}
	case src.seeker != nil:
		src.mu.Lock()
		defer src.mu.Unlock()
		if _, err := src.seeker.Seek(src.start, io.SeekStart); err != nil {
			return fmt.Errorf("%w: %w", ErrUnrewindableBody, err)
		}
		src.owner = r
		r.cur = &sharedReader{src: src, r: r, left: src.size}
	default:
		r.cur = src.r
	}
	return nil
}

// nextLocked moves to the next segment, closing the file just read.
func (r *formReader) nextLocked() {
	closeFile(&r.file)
	r.cur = nil
	r.i++
}

// Close closes the file being read, if any. It is idempotent.
func (r *formReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	closeFile(&r.file)
	if lf, ok := r.cur.(*lazyFile); ok {
		lf.Close()
	}
	return nil
}

// sizedReader reads exactly the size a file had when the request was
// built, so the Content-Length sent stays true: a file that grew is cut
// there, one that shrank fails the upload.
type sizedReader struct {
	r    io.Reader
	left int64
	path string
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		err = fmt.Errorf("%s shrank by %d bytes while being sent: %w", s.path, s.left, io.ErrUnexpectedEOF)
	}
	return n, err
}

// sharedReader reads a seeker shared between the readers of a body, for as
// long as this reader is the latest to have rewound it.
type sharedReader struct {
	src  *source
	r    *formReader
	left int64
}

func (s *sharedReader) Read(p []byte) (int, error) {
	s.src.mu.Lock()
	defer s.src.mu.Unlock()
	if s.src.owner != s.r {
		return 0, errBodyClosed
	}
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.src.seeker.Read(p)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// lazyFile opens a non-regular file (a pipe, a device) on the first Read
// and closes it with the body.
type lazyFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
	done bool
}

func (l *lazyFile) Read(p []byte) (int, error) {
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		return 0, errBodyClosed
	}
	if l.f == nil {
		f, err := os.Open(l.path)
		if err != nil {
			l.mu.Unlock()
			return 0, err
		}
		l.f = f
	}
	f := l.f
	l.mu.Unlock()
	n, err := f.Read(p)
	if err == io.EOF {
		l.Close()
	}
	return n, err
}

func (l *lazyFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
	closeFile(&l.f)
	return nil
}

// closeFile closes *f, if open, and forgets it, so that it is closed once.
func closeFile(f **os.File) {
	if *f != nil {
		(*f).Close()
		*f = nil
	}
}
