// Command rssprobe measures the peak resident memory of a 100 MiB streamed
// download with each client, and of a 100 MiB upload streamed from a file,
// each in a process of its own so that no run inherits another's heap. It
// starts the loopback server itself and prints a Markdown table (and, with
// -o, writes it to a file).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-requests/requests/bench/clients"
	"github.com/go-requests/requests/bench/server"
)

// probeEnv carries "mode client url [file]" to a probe process.
const probeEnv = "REQUESTS_BENCH_PROBE"

func main() {
	if os.Getenv(server.ChildEnv) != "" {
		server.Main("127.0.0.1:0")
		return
	}
	if spec := os.Getenv(probeEnv); spec != "" {
		if err := probe(strings.Fields(spec)); err != nil {
			fmt.Fprintln(os.Stderr, "rssprobe:", err)
			os.Exit(1)
		}
		return
	}
	mib := flag.Int("mib", 100, "size of the download and the upload, in MiB")
	out := flag.String("o", "", "also write the table to this file")
	flag.Parse()
	if err := drive(int64(*mib)<<20, *out); err != nil {
		fmt.Fprintln(os.Stderr, "rssprobe:", err)
		os.Exit(1)
	}
}

type row struct {
	client, what string
	bytes        int64
	elapsed      time.Duration
	rss          int64 // bytes
	note         string
}

// drive runs one probe process per client and scenario.
func drive(size int64, outPath string) error {
	srv, err := server.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	file, err := makeFile(size)
	if err != nil {
		return err
	}
	defer os.Remove(file)

	dl := fmt.Sprintf("%s/bytes?n=%d", srv.URL, size)
	var rows []row
	add := func(mode, client, url, what string) {
		r, err := run(mode, client, url, file)
		r.client, r.what = client, what
		if err != nil {
			r.note = err.Error()
		}
		rows = append(rows, r)
	}
	base := map[string]int64{}
	for _, name := range clients.Names() {
		r, err := run("baseline", name, srv.URL+"/json", file)
		if err != nil {
			return fmt.Errorf("%s baseline: %w", name, err)
		}
		base[name] = r.rss
	}
	for _, name := range clients.Names() {
		add("stream", name, dl, fmt.Sprintf("%d MiB streamed download", size>>20))
	}
	add("itercontent", "requests-session", dl, fmt.Sprintf("%d MiB streamed, IterContent(64 KiB)", size>>20))
	add("iterlines", "requests-session", dl, fmt.Sprintf("%d MiB streamed, IterLines (64-byte lines)", size>>20))
	for _, name := range []string{"nethttp", "requests-session"} {
		add("upload", name, srv.URL+"/upload", fmt.Sprintf("%d MiB upload of an *os.File (raw body)", size>>20))
	}
	add("files", "requests-session", srv.URL+"/upload", fmt.Sprintf("%d MiB multipart upload, Files{FileFromPath}", size>>20))

	var b strings.Builder
	b.WriteString("| client | scenario | peak RSS (MiB) | same client, one small GET (MiB) | time (s) | MB/s |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: |\n")
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	for _, r := range rows {
		if r.note != "" {
			fmt.Fprintf(&b, "| %s | %s | n/a | %.1f | | %s |\n", r.client, r.what, mib(base[r.client]), r.note)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %.2f | %.0f |\n", r.client, r.what, mib(r.rss), mib(base[r.client]),
			r.elapsed.Seconds(), float64(r.bytes)/r.elapsed.Seconds()/1e6)
	}
	fmt.Print(b.String())
	if outPath != "" {
		return os.WriteFile(outPath, []byte(b.String()), 0o644)
	}
	return nil
}

// makeFile writes size bytes to a temporary file for the upload probes.
func makeFile(size int64) (string, error) {
	f, err := os.CreateTemp("", "rssprobe-*.bin")
	if err != nil {
		return "", err
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for n := size; n > 0; n -= int64(len(chunk)) {
		if _, err := f.Write(chunk[:min(n, int64(len(chunk)))]); err != nil {
			f.Close()
			os.Remove(f.Name())
			return "", err
		}
	}
	return f.Name(), f.Close()
}

// run starts a probe process and reads its peak RSS from the kernel's
// accounting of the finished child (ru_maxrss, in KiB on Linux).
func run(mode, client, url, file string) (row, error) {
	exe, err := os.Executable()
	if err != nil {
		return row{}, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), probeEnv+"="+strings.Join([]string{mode, client, url, file}, " "))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return row{}, fmt.Errorf("%s", msg)
	}
	var r row
	var ns int64
	if _, err := fmt.Sscanf(string(out), "bytes %d ns %d", &r.bytes, &ns); err != nil {
		return row{}, fmt.Errorf("probe printed %q", out)
	}
	r.elapsed = time.Duration(ns)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return row{}, fmt.Errorf("no rusage on this system")
	}
	r.rss = ru.Maxrss << 10
	return r, nil
}

// probe is the child: one operation, then its byte count and time on stdout.
func probe(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("bad probe spec %q", args)
	}
	mode, name, url, file := args[0], args[1], args[2], args[3]
	c, err := clients.New(name)
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	var n int64
	switch mode {
	case "baseline":
		k, err := c.Get(url)
		if err != nil {
			return err
		}
		n = int64(k)
	case "stream":
		if c.Stream == nil {
			return fmt.Errorf("not measured for this client")
		}
		if n, err = c.Stream(url, io.Discard); err != nil {
			return err
		}
	case "itercontent", "iterlines":
		f := c.IterContent
		if mode == "iterlines" {
			f = c.IterLines
		}
		if f == nil {
			return fmt.Errorf("not measured for this client")
		}
		if n, err = f(url, io.Discard); err != nil {
			return err
		}
	case "files":
		if c.UploadFiles == nil {
			return fmt.Errorf("not measured for this client")
		}
		fi, err := os.Stat(file)
		if err != nil {
			return err
		}
		if err := c.UploadFiles(url, file); err != nil {
			return err
		}
		n = fi.Size()
	case "upload":
		up := c.Upload
		if up == nil {
			return fmt.Errorf("not measured for this client")
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if err := up(url, f); err != nil {
			return err
		}
		n = fi.Size()
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "bytes %d ns %s\n", n, strconv.FormatInt(int64(time.Since(start)), 10))
	return w.Flush()
}
