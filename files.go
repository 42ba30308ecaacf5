package requests

import (
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
)

// File is one part of a multipart/form-data upload (requests' files= values
// and their 2-, 3- and 4-tuples):
//
//	requests.Files{"report": {Name: "q3.csv", Reader: f, ContentType: "text/csv"}}
//	requests.Files{"avatar": requests.FileFromPath("me.png")}
//
// The content comes from Reader or from Path. It is streamed as the request
// is sent, never held in memory whole.
type File struct {
	// Name is the filename sent for the part. When empty it is the base name
	// of Path, or of the Reader's Name() (an *os.File), or else the field
	// name, as requests guesses it.
	Name string
	// Reader supplies the content. It is read when the request is sent and
	// never closed: it stays the caller's. A *bytes.Reader, *strings.Reader,
	// regular *os.File or other io.ReaderAt with an io.Seeker has a known
	// size and can be sent again for a 307/308 redirect or a retry; any other
	// reader makes the upload chunked and sendable once.
	Reader io.Reader
	// ContentType is the part's Content-Type. When empty it is a
	// Content-Type in Header, else one guessed from the filename's
	// extension, else application/octet-stream.
	ContentType string
	// Header adds headers to the part (the custom headers of requests'
	// 4-tuple). A Content-Disposition here replaces the one built from the
	// field name and filename.
	Header http.Header
	// Path names a file to send instead of Reader. It is opened only when
	// the request is sent (again for each redirect or retry that resends
	// the body) and closed as soon as its part is sent or the call ends.
	Path string
	// NoFilename sends the part without a filename, as a form field that
	// has its own Content-Type (requests' (None, data, type) tuple), e.g. a
	// JSON part beside a file.
	NoFilename bool
}

// FileFromPath returns the File that uploads the file at path, named after
// its base name, with a Content-Type guessed from its extension. The file is
// opened when the request is sent and closed after it; its size gives the
// request a Content-Length. Change the fields of the result to override.
func FileFromPath(path string) File { return File{Path: path} }

// Files uploads files as multipart/form-data (requests' files=dict), one per
// field name. Form fields given with Data (a map or url.Values) are sent
// first, as requests does; Data of another type cannot be combined with
// Files. Files win over JSON. Of two Files options the later wins for a
// field name they share.
type Files map[string]File

func (f Files) apply(c *config) {
	layer := make(map[string][]File, len(f))
	for k, v := range f {
		layer[k] = []File{v}
	}
	c.body.files = addLayer(c.body.files, layer)
}

// MultiFiles uploads several files under one field name (requests' files
// given as a list of (field, file) pairs with a repeated field), sent in the
// order given. It combines with Files and Data as Files does.
type MultiFiles map[string][]File

func (f MultiFiles) apply(c *config) {
	layer := make(map[string][]File, len(f))
	for k, v := range f {
		layer[k] = slices.Clone(v)
	}
	c.body.files = addLayer(c.body.files, layer)
}

// formFile is one File with the field it is sent under.
type formFile struct {
	field string
	File
}

// filename is the part's filename, guessed as requests' guess_filename does
// when not given; "" for a part sent without one.
func (f *formFile) filename() string {
	switch {
	case f.NoFilename:
		return ""
	case f.Name != "":
		return f.Name
	case f.Path != "":
		return filepath.Base(f.Path)
	}
	if n, ok := f.Reader.(interface{ Name() string }); ok {
		// requests skips names like "<stdin>" that are not file names.
		if name := n.Name(); name != "" && !(strings.HasPrefix(name, "<") && strings.HasSuffix(name, ">")) {
			return filepath.Base(name)
		}
	}
	return f.field
}

// contentType is the part's Content-Type: given, from Header, or guessed
// from the filename. A part without a filename is a form field and gets
// none unless given.
func (f *formFile) contentType(filename string) string {
	if f.ContentType != "" {
		return f.ContentType
	}
	if ct := f.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	if filename == "" {
		return ""
	}
	if ct := mime.TypeByExtension(filepath.Ext(filename)); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// partHeader renders the headers of one part, ending with the blank line.
// Every value is checked: a CR or LF in a name, filename or header would
// end the header early and let the value forge headers or whole parts.
func partHeader(field, filename, contentType string, extra http.Header) (string, error) {
	if err := checkHeader(extra); err != nil {
		return "", fmt.Errorf("multipart field %q: %w", field, err)
	}
	if err := checkHeader(http.Header{"Content-Type": {contentType}}); err != nil {
		return "", fmt.Errorf("multipart field %q: %w", field, err)
	}
	var b strings.Builder
	if cd := extra.Get("Content-Disposition"); cd != "" {
		b.WriteString("Content-Disposition: " + cd + "\r\n")
	} else {
		if err := checkParam("field name", field); err != nil {
			return "", err
		}
		b.WriteString(`Content-Disposition: form-data; name=` + quoteParam(field))
		if filename != "" {
			if err := checkParam("filename", filename); err != nil {
				return "", err
			}
			b.WriteString(`; filename=` + quoteParam(filename))
		}
		b.WriteString("\r\n")
	}
	if contentType != "" {
		b.WriteString("Content-Type: " + contentType + "\r\n")
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		ck := http.CanonicalHeaderKey(k)
		if ck == "Content-Disposition" || ck == "Content-Type" {
			continue
		}
		for _, v := range extra[k] {
			b.WriteString(ck + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String(), nil
}

// quoteParam quotes a Content-Disposition parameter value as a
// quoted-string, escaping backslashes and double quotes.
func quoteParam(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// checkParam refuses control characters (CR and LF above all) in a field
// name or filename: they would end the header and let the value inject
// headers or parts. Other bytes, UTF-8 included, are sent as they are.
func checkParam(what, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: multipart %s %q has a control character", ErrInvalidHeader, what, s)
		}
	}
	return nil
}
