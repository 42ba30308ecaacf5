package http3_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/http3"
)

// echo answers with the protocol, method and body it received.
func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Proto", r.Proto)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Content-Type", r.Header.Get("Content-Type"))
		w.Write(body)
	})
}

func TestGet(t *testing.T) {
	srv := newServer(t, echo())
	tr := newTransport(t, srv)
	s := http3.NewSession(tr, requests.Timeout(10*time.Second))
	defer s.Close()

	for _, url := range []string{srv.URL("/get"), srv.NamedURL("/get")} {
		resp, err := s.Get(url, requests.Params{"q": "gopher"})
		require.NoError(t, err, url)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "HTTP/3.0", resp.Headers.Get("X-Proto"), "the server saw HTTP/3")
		assert.Equal(t, "GET", resp.Headers.Get("X-Method"))
		assert.Equal(t, "q=gopher", resp.Request.URL.RawQuery)
		assert.Empty(t, resp.Content())
	}
}

// Trace(true) reports HTTP/3.0, the address dialled over UDP and the
// phases of the first call; the second reuses the QUIC connection.
func TestTimings(t *testing.T) {
	srv := newServer(t, echo())
	tr := newTransport(t, srv)
	s := http3.NewSession(tr, requests.Trace(true), requests.Timeout(10*time.Second))
	defer s.Close()

	resp, err := s.Get(srv.URL("/get"))
	require.NoError(t, err)
	tm := resp.Timings()
	assert.Equal(t, "HTTP/3.0", tm.Protocol)
	assert.False(t, tm.Reused)
	assert.Positive(t, tm.Total)
	assert.GreaterOrEqual(t, tm.Total, tm.WaitFirstByte)
	assert.Equal(t, srv.Addr, tm.RemoteAddr)
	assert.Positive(t, tm.TLS, "the QUIC handshake")

	resp, err = s.Get(srv.URL("/get"))
	require.NoError(t, err)
	assert.Equal(t, "HTTP/3.0", resp.Timings().Protocol)
	assert.True(t, resp.Timings().Reused, "the QUIC connection is reused")
}

// The http.Response of the Transport reads HTTP/3.0, as Timings' Protocol does.
func TestRoundTripProto(t *testing.T) {
	srv := newServer(t, echo())
	tr := newTransport(t, srv)

	req, err := http.NewRequest(http.MethodGet, srv.URL("/"), nil)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "HTTP/3.0", resp.Proto)
	assert.Equal(t, 3, resp.ProtoMajor)
	assert.Equal(t, 0, resp.ProtoMinor)
}

func TestPostEcho(t *testing.T) {
	srv := newServer(t, echo())
	s := http3.NewSession(newTransport(t, srv))
	defer s.Close()

	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, many QUIC frames
	cases := []struct {
		name   string
		opt    requests.Option
		want   string
		ctype  string
		method string
	}{
		{"bytes", requests.Data([]byte("hello")), "hello", "", "POST"},
		{"form", requests.Data(map[string]string{"a": "1"}), "a=1", "application/x-www-form-urlencoded", "POST"},
		{"json", requests.JSON(map[string]int{"n": 7}), `{"n":7}`, "application/json", "POST"},
		{"reader", requests.Data(strings.NewReader("streamed")), "streamed", "", "POST"},
		{"large", requests.Data(big), string(big), "", "POST"},
		{"put", requests.Data("put body"), "put body", "", "PUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.Do(tc.method, srv.URL("/post"), tc.opt)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tc.method, resp.Headers.Get("X-Method"))
			assert.Equal(t, tc.ctype, resp.Headers.Get("X-Content-Type"))
			assert.True(t, string(resp.Content()) == tc.want, "echoed body differs (%d bytes, want %d)", len(resp.Content()), len(tc.want))
		})
	}
}

// A 307 sends the POST body again: the Transport must give the first
// request's body back (close it) for the core to rewind it.
func TestRedirectResendsBody(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
	})
	mux.Handle("/new", echo())
	srv := newServer(t, mux)
	s := http3.NewSession(newTransport(t, srv), requests.ReadTimeout(10*time.Second))
	defer s.Close()

	resp, err := s.Post(srv.URL("/old"), requests.Data("twice"))
	require.NoError(t, err)
	assert.Equal(t, "twice", resp.Text())
	require.Len(t, resp.History, 1)
	assert.Equal(t, http.StatusTemporaryRedirect, resp.History[0].StatusCode)
}

func TestStream(t *testing.T) {
	chunks := []string{"first,", "second,", "third"}
	next := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, c := range chunks {
			if i > 0 {
				// The next chunk only once the client has read this one:
				// the body really streams.
				select {
				case <-next:
				case <-r.Context().Done():
					return
				}
			}
			io.WriteString(w, c)
			w.(http.Flusher).Flush()
		}
	}))
	s := http3.NewSession(newTransport(t, srv), requests.Timeout(10*time.Second))
	defer s.Close()

	resp, err := s.Get(srv.URL("/stream"), requests.Stream(true))
	require.NoError(t, err)
	defer resp.Close()
	var got []string
	for b, err := range resp.IterContent(0) {
		require.NoError(t, err)
		got = append(got, string(b))
		if strings.HasSuffix(strings.Join(got, ""), ",") {
			next <- struct{}{}
		}
	}
	assert.Equal(t, strings.Join(chunks, ""), strings.Join(got, ""))
}

// A server that stops sending fails the call with a read timeout, before
// the headers and in the middle of a streamed body.
func TestReadTimeout(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "part")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.Handle("/", echo())
	srv := newServer(t, mux)
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for handlers
	s := http3.NewSession(newTransport(t, srv))
	defer s.Close()
	// The connection first, with the default timeouts: a handshake under
	// the race detector on a busy machine may take longer than the short
	// timeouts below, which are about the server's silence.
	_, err := s.Get(srv.URL("/"))
	require.NoError(t, err)

	for _, opt := range []requests.Option{requests.Timeout(200 * time.Millisecond), requests.ReadTimeout(200 * time.Millisecond)} {
		start := time.Now()
		_, err := s.Get(srv.URL("/headers"), opt)
		require.Error(t, err)
		assert.ErrorIs(t, err, requests.ErrReadTimeout)
		assert.ErrorIs(t, err, requests.ErrTimeout)
		assert.NotErrorIs(t, err, requests.ErrConnectTimeout)
		assert.Less(t, time.Since(start), 5*time.Second)

		resp, err := s.Get(srv.URL("/body"), opt, requests.Stream(true))
		require.NoError(t, err)
		var got []byte
		var last error
		for b, err := range resp.IterContent(0) {
			got = append(got, b...)
			last = err
		}
		resp.Close()
		assert.Equal(t, "part", string(got))
		assert.ErrorIs(t, last, requests.ErrReadTimeout)

		// Not streamed: the core reads the body before returning.
		_, err = s.Get(srv.URL("/body"), opt)
		assert.ErrorIs(t, err, requests.ErrReadTimeout)
	}
}

// The caller's Context ends a call that waits on the server: cancelled,
// or past its deadline.
func TestContext(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	s := http3.NewSession(newTransport(t, srv))
	defer s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := s.Get(srv.URL("/"), requests.Context(ctx))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = s.Get(srv.URL("/"), requests.Context(ctx))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, requests.ErrTimeout)
}

// A peer that never answers the handshake: the call's connect timeout
// ends the wait.
func TestConnectTimeout(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer silent.Close()
	tr := http3.NewTransport()
	t.Cleanup(func() { tr.Close() })
	s := http3.NewSession(tr)
	defer s.Close()

	for _, opt := range []requests.Option{requests.Timeout(200 * time.Millisecond), requests.ConnectTimeout(200 * time.Millisecond)} {
		start := time.Now()
		_, err = s.Get("https://"+silent.LocalAddr().String()+"/", opt)
		require.Error(t, err)
		assert.ErrorIs(t, err, requests.ErrConnectTimeout)
		assert.ErrorIs(t, err, requests.ErrConnection)
		assert.ErrorIs(t, err, requests.ErrTimeout)
		assert.Less(t, time.Since(start), 5*time.Second)
	}
}

// The Transport's own handshake bound, with no call timeout left to fire.
func TestHandshakeTimeout(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer silent.Close()
	tr := http3.NewTransport(http3.HandshakeTimeout(200 * time.Millisecond))
	t.Cleanup(func() { tr.Close() })
	s := http3.NewSession(tr, requests.Timeout(0))
	defer s.Close()

	_, err = s.Get("https://" + silent.LocalAddr().String() + "/")
	require.Error(t, err)
	assert.ErrorIs(t, err, requests.ErrConnectTimeout)
}

func TestTLSFailures(t *testing.T) {
	srv := newServer(t, echo())
	other, err := startServer(echo(), nil)
	require.NoError(t, err)
	other.Close() // only its certificate is wanted
	clientAuth := newServerTLS(t, echo(), func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = other.cert.pool
	})

	cases := []struct {
		name string
		url  string
		opts []http3.TransportOption
	}{
		// No roots given: the system's, which do not know the test's certificate.
		{"untrusted", srv.URL("/"), nil},
		{"other roots", srv.URL("/"), []http3.TransportOption{http3.RootCAs(other.cert.pool)}},
		{"tls config roots", srv.URL("/"), []http3.TransportOption{http3.TLSConfig(&tls.Config{RootCAs: other.cert.pool})}},
		{"wrong name", srv.URL("/"), []http3.TransportOption{http3.TLSConfig(&tls.Config{ServerName: "wrong.example.com", RootCAs: srv.cert.pool})}},
		// The server refuses us: the alert comes from the peer.
		{"client cert required", clientAuth.URL("/"), []http3.TransportOption{http3.RootCAs(clientAuth.cert.pool)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := http3.NewTransport(tc.opts...)
			t.Cleanup(func() { tr.Close() })
			s := http3.NewSession(tr, requests.Timeout(10*time.Second))
			defer s.Close()
			_, err := s.Get(tc.url)
			require.Error(t, err)
			assert.ErrorIs(t, err, requests.ErrSSL)
			assert.ErrorIs(t, err, requests.ErrConnection)
			assert.NotErrorIs(t, err, requests.ErrTimeout)
		})
	}
}

// TLSConfig is cloned: a later change to the caller's config does not
// reach the Transport. InsecureSkipVerify is Verify(false).
func TestTLSConfigCloned(t *testing.T) {
	srv := newServer(t, echo())
	cfg := &tls.Config{InsecureSkipVerify: true}
	tr := http3.NewTransport(http3.TLSConfig(cfg))
	t.Cleanup(func() { tr.Close() })
	cfg.InsecureSkipVerify = false
	s := http3.NewSession(tr)
	defer s.Close()

	resp, err := s.Get(srv.URL("/"))
	require.NoError(t, err)
	assert.Equal(t, "HTTP/3.0", resp.Headers.Get("X-Proto"))
}

// The core's Verify(false) is a setting of its own transport: it does not
// reach a mounted one, which keeps verifying.
func TestCoreVerifyDoesNotReachMount(t *testing.T) {
	srv := newServer(t, echo())
	tr := http3.NewTransport()
	t.Cleanup(func() { tr.Close() })
	s := http3.NewSession(tr, requests.Verify(false))
	defer s.Close()

	_, err := s.Get(srv.URL("/"))
	assert.ErrorIs(t, err, requests.ErrSSL)
}

// QUIC cannot go through a proxy: one named by the environment is refused,
// not bypassed, unless TrustEnv(false).
func TestProxyEnvironment(t *testing.T) {
	srv := newServer(t, echo())
	t.Setenv("HTTPS_PROXY", "http://user:secret@127.0.0.1:9")
	t.Setenv("NO_PROXY", "")

	s := http3.NewSession(newTransport(t, srv, http3.TrustEnv(true)))
	defer s.Close()
	_, err := s.Get(srv.NamedURL("/"))
	require.Error(t, err)
	assert.ErrorIs(t, err, requests.ErrProxy)
	assert.ErrorIs(t, err, requests.ErrConnection)
	assert.NotContains(t, err.Error(), "secret")

	// Loopback is never proxied from the environment.
	_, err = s.Get(srv.URL("/"))
	require.NoError(t, err)

	t.Setenv("NO_PROXY", exampleHost)
	s2 := http3.NewSession(newTransport(t, srv, http3.TrustEnv(true)))
	defer s2.Close()
	_, err = s2.Get(srv.NamedURL("/"))
	require.NoError(t, err, "NO_PROXY names the host")

	t.Setenv("NO_PROXY", "")
	s3 := http3.NewSession(newTransport(t, srv, http3.TrustEnv(false)))
	defer s3.Close()
	resp, err := s3.Get(srv.NamedURL("/"))
	require.NoError(t, err)
	assert.Equal(t, "HTTP/3.0", resp.Headers.Get("X-Proto"))
}

func TestRefusedRequests(t *testing.T) {
	srv := newServer(t, echo())
	tr := newTransport(t, srv)
	s := requests.NewSession()
	defer s.Close()
	s.Mount("http://", tr)
	s.Mount("https://", tr)

	cases := []struct {
		name string
		url  string
		want error
	}{
		{"plain http", "http://" + srv.Addr + "/", requests.ErrInvalidSchema},
		{"unknown host", "https://unknown.invalid/", requests.ErrConnection},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Post(tc.url, requests.Data("body"))
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// After Close the Transport refuses; before it, CloseIdleConnections (via
// Session.Close) leaves the Transport usable.
func TestClose(t *testing.T) {
	srv := newServer(t, echo())
	before := goleak.IgnoreCurrent()
	tr := newTransport(t, srv)
	s := http3.NewSession(tr)

	_, err := s.Get(srv.URL("/"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	// Nothing in flight: the connection and the UDP socket are gone, with
	// their goroutines (the server's for the connection too).
	goleak.VerifyNone(t, before)

	s2 := http3.NewSession(tr)
	defer s2.Close()
	_, err = s2.Get(srv.URL("/"))
	require.NoError(t, err, "usable after CloseIdleConnections")

	require.NoError(t, tr.Close())
	_, err = s2.Get(srv.URL("/"))
	require.Error(t, err)
	assert.ErrorIs(t, err, http3.ErrTransportClosed)
	assert.ErrorIs(t, err, requests.ErrConnection)
}

// Concurrent calls share one connection per host and all succeed.
func TestConcurrent(t *testing.T) {
	srv := newServer(t, echo())
	s := http3.NewSession(newTransport(t, srv), requests.Timeout(10*time.Second))
	defer s.Close()

	const n = 32
	errs := make(chan error, n)
	for i := range n {
		go func() {
			want := fmt.Sprint(i)
			resp, err := s.Post(srv.URL("/"), requests.Data(want))
			if err == nil && resp.Text() != want {
				err = errors.New("got " + resp.Text() + ", want " + want)
			}
			errs <- err
		}()
	}
	for range n {
		assert.NoError(t, <-errs)
	}
}

// Once the connection is had, the connect timeout is over: a server
// slower than it, but within the read timeout, answers.
func TestSlowServerWithinReadTimeout(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server's slowness is what is tested, not a synchronisation.
		if r.Method == http.MethodGet {
			select {
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		io.WriteString(w, "late")
	}))
	s := http3.NewSession(newTransport(t, srv), requests.ReadTimeout(10*time.Second))
	defer s.Close()
	// The connection first, so that the short connect timeout below is
	// not about a handshake slowed by the race detector.
	_, err := s.Head(srv.URL("/"))
	require.NoError(t, err)

	resp, err := s.Get(srv.URL("/"), requests.ConnectTimeout(100*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, "late", resp.Text())
}

// A caller's httptrace.ClientTrace hears of the lookup, the QUIC connect
// and the TLS handshake, as over TCP.
func TestClientTrace(t *testing.T) {
	srv := newServer(t, echo())
	s := http3.NewSession(newTransport(t, srv))
	defer s.Close()

	var (
		mu     sync.Mutex
		events []string
		alpn   string
		addr   string
	)
	record := func(e string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	trace := &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { record("dns start") },
		DNSDone:  func(httptrace.DNSDoneInfo) { record("dns done") },
		ConnectStart: func(network, a string) {
			record("connect start " + network)
			mu.Lock()
			addr = a
			mu.Unlock()
		},
		ConnectDone:       func(string, string, error) { record("connect done") },
		TLSHandshakeStart: func() { record("tls start") },
		TLSHandshakeDone: func(st tls.ConnectionState, err error) {
			record("tls done")
			mu.Lock()
			alpn = st.NegotiatedProtocol
			mu.Unlock()
		},
		GotConn: func(httptrace.GotConnInfo) { record("got conn") },
	}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	_, err := s.Get(srv.NamedURL("/"), requests.Context(ctx))
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"dns start", "dns done", "connect start udp", "tls start", "tls done", "connect done", "got conn"}, events)
	assert.Equal(t, "h3", alpn)
	assert.Equal(t, srv.Addr, addr)
}
