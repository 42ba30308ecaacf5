package server

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// ChildEnv marks a process started by Start as the server. A program that
// calls Start must check it first thing and call Main when it is set.
const ChildEnv = "REQUESTS_BENCH_SERVER"

// Proc is a server running in a child process.
type Proc struct {
	URL string // http://127.0.0.1:PORT

	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	mu  sync.Mutex
}

// Start runs this program again as the server process and waits until it
// listens.
func Start() (*Proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), ChildEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := p.out.ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		p.Close()
		return nil, fmt.Errorf("server did not start: %q %v", line, err)
	}
	p.URL = url
	return p, nil
}

// Conns asks the server how many connections it has accepted.
func (p *Proc) Conns() (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.in, "conns\n"); err != nil {
		return 0, err
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		return 0, err
	}
	var n int64
	if _, err := fmt.Sscanf(line, "conns %d", &n); err != nil {
		return 0, fmt.Errorf("server answered %q: %w", line, err)
	}
	return n, nil
}

// Close stops the server and waits for it to exit.
func (p *Proc) Close() error {
	p.in.Close()
	return p.cmd.Wait()
}
