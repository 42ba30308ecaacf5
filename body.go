package requests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
)

// bodySpec is what the body options asked for; build turns it into bytes or
// a stream. As in requests, Files win over JSON and take form fields from
// Data, and Data wins over JSON.
type bodySpec struct {
	data    any
	hasData bool
	json    any
	hasJSON bool
	files   []map[string][]File // Files and MultiFiles, in the order given
}

// body is a request body ready to send: the reader, its length when known
// (-1 otherwise), how to get it again for a redirect or retry (nil when it
// cannot be), and the Content-Type it implies.
type body struct {
	r           io.ReadCloser
	length      int64
	getBody     func() (io.ReadCloser, error)
	contentType string
	inMemory    bool // r and what getBody returns need no closing
}

// encode turns the body options into a body. Byte bodies can always be sent
// again; a reader only when it can seek back to where it started.
func (b bodySpec) encode() (body, error) {
	if files := mergeFiles(b.files); len(files) > 0 {
		fields, err := formFields(b.data)
		if err != nil {
			return body{}, err
		}
		return multipartBody(fields, files)
	}
	switch {
	case b.hasData:
		return dataBody(b.data)
	case b.hasJSON:
		p, err := json.Marshal(b.json)
		if err != nil {
			return body{}, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
		}
		return bytesBody(p, "application/json"), nil
	}
	return body{length: 0}, nil
}

func dataBody(v any) (body, error) {
	if f, ok := asForm(v); ok {
		return formBody(f), nil
	}
	switch d := v.(type) {
	case nil:
		return body{}, nil
	case string:
		return bytesBody([]byte(d), ""), nil
	case []byte:
		return bytesBody(d, ""), nil
	case io.Reader:
		return readerBody(d)
	}
	return body{}, fmt.Errorf("%w: Data takes form fields (%s), a string, []byte or io.Reader, not %T", ErrInvalidBody, formKinds, v)
}

// formKinds names the maps asForm takes, for error messages.
const formKinds = "a map with string keys and string or []string values, such as map[string]string or url.Values"

// asForm reports whether v is form fields, as url.Values: a map whose keys
// are strings and whose values are strings or lists of strings, named
// types included (requests takes any mapping).
func asForm(v any) (url.Values, bool) {
	switch d := v.(type) {
	case map[string]string:
		f := make(url.Values, len(d))
		for k, x := range d {
			f[k] = []string{x}
		}
		return f, true
	case url.Values:
		return d, true
	case map[string][]string:
		return url.Values(d), true
	}
	// A named map type: looked at through reflection, once per body.
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	elem := rv.Type().Elem()
	one := elem.Kind() == reflect.String
	if !one && (elem.Kind() != reflect.Slice || elem.Elem().Kind() != reflect.String) {
		return nil, false
	}
	f := make(url.Values, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		x := it.Value()
		if one {
			f[it.Key().String()] = []string{x.String()}
			continue
		}
		vals := make([]string, x.Len())
		for i := range vals {
			vals[i] = x.Index(i).String()
		}
		f[it.Key().String()] = vals
	}
	return f, true
}

// formFields are the form fields sent before the files of a multipart body.
// As in requests, a raw body cannot be combined with files.
func formFields(v any) (url.Values, error) {
	if v == nil {
		return nil, nil
	}
	if f, ok := asForm(v); ok {
		return f, nil
	}
	return nil, fmt.Errorf("%w: Data combined with Files must be form fields (%s), not %T", ErrInvalidBody, formKinds, v)
}

// trackedBy hands every reader of the body to the call, which closes them
// when it ends: a file a body opened is then closed by the time the call
// returns, even where net/http would close the body later in a goroutine
// of its own.
func (b body) trackedBy(cl *call) body {
	if b.r == nil || b.inMemory {
		return b
	}
	cl.track(b.r)
	if gb := b.getBody; gb != nil {
		b.getBody = func() (io.ReadCloser, error) {
			rc, err := gb()
			if err == nil {
				cl.track(rc)
			}
			return rc, err
		}
	}
	return b
}

func formBody(f url.Values) body {
	return bytesBody([]byte(f.Encode()), "application/x-www-form-urlencoded")
}

func bytesBody(p []byte, contentType string) body {
	if len(p) == 0 {
		return emptyBody(contentType)
	}
	// io.NopCloser over a *bytes.Reader is what net/http recognises as an
	// in-memory body: it then writes the headers and the body at once,
	// instead of flushing the headers in a packet of their own.
	return body{
		r:           io.NopCloser(bytes.NewReader(p)),
		length:      int64(len(p)),
		getBody:     func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(p)), nil },
		contentType: contentType,
		inMemory:    true,
	}
}

// directUpload is the size up to which an in-memory body goes to the
// Transport as it is, without the wrapper that re-arms the read timeout at
// every read: the wrapper would hide from net/http that the body is in
// memory and cost a packet of its own for the headers, while a body this
// small is written at once (it fits the socket's buffer), so the read
// timeout armed when the connection was had bounds its writing well enough.
const directUpload = 64 << 10

// readerBody sends a reader as it is. Its length is known for in-memory
// readers and regular files; it can be sent again if it can seek.
func readerBody(r io.Reader) (body, error) {
	b := body{length: -1}
	switch x := r.(type) {
	case *bytes.Reader:
		b.length = int64(x.Len())
	case *strings.Reader:
		b.length = int64(x.Len())
	case *bytes.Buffer:
		return bytesBody(bytes.Clone(x.Bytes()), ""), nil
	case *os.File:
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			if off, err := x.Seek(0, io.SeekCurrent); err == nil {
				b.length = fi.Size() - off
			}
		}
	}
	// The reader stays the caller's: it is read, never closed.
	b.r = io.NopCloser(r)
	if sk, ok := r.(io.Seeker); ok {
		if start, err := sk.Seek(0, io.SeekCurrent); err == nil {
			b.getBody = func() (io.ReadCloser, error) {
				if _, err := sk.Seek(start, io.SeekStart); err != nil {
					return nil, fmt.Errorf("%w: %w", ErrUnrewindableBody, err)
				}
				return io.NopCloser(r), nil
			}
		}
	}
	if b.length == 0 {
		return emptyBody(""), nil
	}
	return b, nil
}

// emptyBody is a body known to be empty. net/http sends a body other than
// http.NoBody whose ContentLength is 0 as chunked (it cannot tell "empty"
// from "unknown"); requests sends Content-Length: 0.
func emptyBody(contentType string) body {
	return body{
		r:           http.NoBody,
		getBody:     func() (io.ReadCloser, error) { return http.NoBody, nil },
		contentType: contentType,
		inMemory:    true,
	}
}
