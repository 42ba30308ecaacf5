package requests

import (
	"os"
	"sync/atomic"
	"time"
)

// envRecheck is how long a reading of the environment (the proxy
// variables, REQUEST_METHOD, NETRC, HOME, the CA bundle) is trusted before it is read
// again, as net's resolver does with resolv.conf: a call then reads no
// variable, and takes no lock the process's other goroutines share.
// NewSession reads it again too, so a Session made after a change sees it
// at once; calls on an older Session see it within envRecheck.
var envRecheck = time.Second

// envCache is the environment as last read.
var envCache atomic.Pointer[envSnapshot]

type envSnapshot struct {
	read        time.Time // monotonic
	proxy       proxyEnv
	netrc, home string
	caBundle    string // REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE
}

// environment returns the environment as read at most envRecheck ago.
func environment() *envSnapshot {
	now := time.Now()
	if e := envCache.Load(); e != nil && now.Sub(e.read) < envRecheck {
		return e
	}
	e := &envSnapshot{
		read: now,
		proxy: proxyEnv{
			http:  getenvAny("HTTP_PROXY", "http_proxy"),
			https: getenvAny("HTTPS_PROXY", "https_proxy"),
			all:   getenvAny("ALL_PROXY", "all_proxy"),
			no:    getenvAny("NO_PROXY", "no_proxy"),
			cgi:   os.Getenv("REQUEST_METHOD") != "",
		},
		netrc:    os.Getenv("NETRC"),
		home:     os.Getenv("HOME"),
		caBundle: getenvAny("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
	}
	envCache.Store(e)
	return e
}

// rereadEnvironment makes the next call read the environment again.
func rereadEnvironment() { envCache.Store(nil) }

func getenvAny(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
