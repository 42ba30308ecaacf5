// Command download saves a URL to a file and draws a progress bar in the
// terminal while it does.
//
//	go run ./examples/download                  # a slow body from an in-process httpbin on 127.0.0.1
//	go run ./examples/download -url URL -o FILE # any URL, e.g. https://httpbin.org/drip?numbytes=500&duration=5
//
// The body is streamed to a temporary file beside FILE and renamed onto it
// once complete, so FILE never holds a partial download.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"

	"github.com/go-requests/requests"
)

func main() {
	rawURL := flag.String("url", "", "URL to download (default: a body dripped slowly by an in-process httpbin on 127.0.0.1)")
	out := flag.String("o", "", "file to write (default: the URL's last path element, in the temporary directory)")
	flag.Parse()
	if *rawURL == "" {
		*rawURL = startHTTPBin() + "/drip?numbytes=600&duration=3"
	}
	if *out == "" {
		*out = filepath.Join(os.TempDir(), defaultName(*rawURL))
	}

	bar := &progressBar{w: os.Stderr, start: time.Now()}
	resp, err := requests.Download(*rawURL, *out, requests.DownloadProgress(bar.update))
	bar.end()
	if err != nil {
		log.Fatal(err)
	}
	fi, err := os.Stat(*out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d %s: saved %s to %s in %s\n", resp.StatusCode, resp.Reason,
		size(fi.Size()), *out, time.Since(bar.start).Round(time.Millisecond))
}

// startHTTPBin serves go-httpbin on a free loopback port, so the example runs offline.
func startHTTPBin() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(l, httpbin.New().Handler())
	return "http://" + l.Addr().String()
}

// defaultName is the last element of the URL's path, or "download".
func defaultName(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		if name := path.Base(u.Path); name != "." && name != "/" {
			return name
		}
	}
	return "download"
}

// progressBar draws itself on one terminal line, redrawn in place with a
// carriage return. DownloadProgress calls update at most every
// requests.ProgressInterval, so every call can simply redraw.
type progressBar struct {
	w     io.Writer
	start time.Time
	drawn bool
}

const barWidth = 30

func (b *progressBar) update(done, total int64) {
	rate := float64(done) / max(time.Since(b.start).Seconds(), 1e-3)
	if total > 0 {
		filled := int(int64(barWidth) * done / total)
		fmt.Fprintf(b.w, "\r[%s%s] %3d%%  %s / %s  %s/s ",
			strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
			100*done/total, size(done), size(total), size(int64(rate)))
	} else {
		// No Content-Length: no bar, only what has arrived.
		fmt.Fprintf(b.w, "\r%s  %s/s ", size(done), size(int64(rate)))
	}
	b.drawn = true
}

// end moves past the bar's line.
func (b *progressBar) end() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

// size formats a byte count for people.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
