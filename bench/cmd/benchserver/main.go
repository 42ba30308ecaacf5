// Command benchserver serves the benchmark endpoints on 127.0.0.1 until its
// standard input is closed. It prints "listening http://127.0.0.1:PORT"
// first; the line "conns" on its input makes it print how many connections
// it has accepted.
package main

import (
	"flag"

	"github.com/go-requests/requests/bench/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	flag.Parse()
	server.Main(*addr)
}
