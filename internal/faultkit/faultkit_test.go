package faultkit_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/go-requests/requests/internal/faultkit"
	"github.com/go-requests/requests/internal/testcert"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"

// client returns an HTTP client whose idle connections are closed when the
// test ends.
func client(t *testing.T, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func TestListenAddrAndURL(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.Respond(okResponse))
	host, port, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	assert.NotEqual(t, "0", port)
	assert.Equal(t, "http://"+srv.Addr, srv.URL)
}

func TestRespond(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.Respond(okResponse))
	c := client(t, 5*time.Second)
	for range 3 {
		resp, err := c.Get(srv.URL + "/x")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "hello", string(body))
	}
	assert.Equal(t, 3, srv.Accepted())
}

func TestReadRequestSeesBodyAndKeepAlive(t *testing.T) {
	type seen struct {
		method, path, body string
	}
	got := make(chan seen, 2)
	srv := faultkit.Listen(t, func(c *faultkit.Conn) {
		for range 2 {
			req, err := c.ReadRequest()
			if err != nil {
				return
			}
			b, _ := io.ReadAll(req.Body)
			got <- seen{req.Method, req.URL.Path, string(b)}
			if _, err := io.WriteString(c, okResponse); err != nil {
				return
			}
		}
	})

	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for i, body := range []string{"first", "second"} {
		resp, err := c.Post(srv.URL+"/p", "text/plain", strings.NewReader(body))
		require.NoError(t, err, i)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, seen{"POST", "/p", body}, <-got)
	}
	assert.Equal(t, 1, srv.Accepted(), "both requests on one connection")
}

func TestStallTimesOutAndDoesNotLeak(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.Stall())
	start := time.Now()
	_, err := client(t, 200*time.Millisecond).Get(srv.URL)
	require.Error(t, err)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestStallHeldUntilTestEnds(t *testing.T) {
	var srv *faultkit.Server
	t.Run("inner", func(t *testing.T) {
		srv = faultkit.Listen(t, faultkit.Stall())
		conn, err := net.Dial("tcp", srv.Addr)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err = conn.Read(make([]byte, 1))
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout(), "no answer while the test runs")
		select {
		case <-srv.Done():
			t.Fatal("Done closed early")
		default:
		}
	})
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed after the test ended")
	}
}

func TestCloseEndsHeldConnection(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.Hold())
	conn, err := net.Dial("tcp", srv.Addr)
	require.NoError(t, err)
	defer conn.Close()

	// Make sure the connection was accepted before closing.
	require.Eventually(t, func() bool { return srv.Accepted() == 1 }, 5*time.Second, 5*time.Millisecond)
	srv.Close()
	srv.Close() // idempotent

	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Read(make([]byte, 1))
	assert.True(t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), "got %v", err)

	_, err = net.DialTimeout("tcp", srv.Addr, time.Second)
	assert.Error(t, err, "listener closed")
}

func TestRespondKeepOpen(t *testing.T) {
	// No Content-Length and no close: the body never ends.
	srv := faultkit.Listen(t, faultkit.RespondKeepOpen("HTTP/1.1 200 OK\r\n\r\npartial"))
	resp, err := client(t, 5*time.Second).Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()

	buf := make([]byte, 7)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	assert.Equal(t, "partial", string(buf))

	read := make(chan error, 1)
	go func() {
		_, err := resp.Body.Read(make([]byte, 1))
		read <- err
	}()
	select {
	case err := <-read:
		t.Fatalf("body ended early: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	srv.Close()
	select {
	case err := <-read:
		assert.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("body read not unblocked by close")
	}
}

func TestDrip(t *testing.T) {
	body := []byte("0123456789")
	chunks := faultkit.Split(body, 3)
	require.Equal(t, [][]byte{[]byte("012"), []byte("345"), []byte("678"), []byte("9")}, chunks)

	srv := faultkit.Listen(t, faultkit.Drip("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", chunks, 30*time.Millisecond))
	start := time.Now()
	resp, err := client(t, 5*time.Second).Get(srv.URL)
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, body, got)
	assert.GreaterOrEqual(t, time.Since(start), 4*30*time.Millisecond)
}

func TestDripStopsWhenTestEnds(t *testing.T) {
	chunks := faultkit.Split([]byte(strings.Repeat("x", 100)), 1)
	srv := faultkit.Listen(t, faultkit.Drip("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", chunks, time.Hour))
	resp, err := client(t, 5*time.Second).Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	start := time.Now()
	srv.Close()
	assert.Less(t, time.Since(start), 2*time.Second)
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestCloseMidBody(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.CloseMidBody("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", []byte("only this")))
	resp, err := client(t, 5*time.Second).Get(srv.URL)
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, "only this", string(got))
}

func TestReset(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.Reset())
	_, err := client(t, 5*time.Second).Get(srv.URL)
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
}

func TestResetAfter(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.ResetAfter("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"))
	conn, err := net.Dial("tcp", srv.Addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadAll(conn)
	// The bytes may or may not arrive before the reset; the reset always does.
	assert.ErrorIs(t, err, syscall.ECONNRESET)
}

func TestCRLF(t *testing.T) {
	assert.Equal(t, "a\r\nb\r\n\r\n", faultkit.CRLF("a\nb\n\n"))
	assert.Equal(t, "a\r\nb\r\n", faultkit.CRLF("a\r\nb\n"))
}

func TestReadRequestOnPlainConn(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		_, _ = io.WriteString(a, "PUT /u?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
	}()
	req, err := faultkit.ReadRequest(b)
	require.NoError(t, err)
	assert.Equal(t, "PUT", req.Method)
	assert.Equal(t, "/u", req.URL.Path)
	body, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(body))
}

func TestTLSListen(t *testing.T) {
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	cfg := &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}
	srv := faultkit.TLSListen(t, cfg, faultkit.Respond(okResponse))
	assert.True(t, strings.HasPrefix(srv.URL, "https://127.0.0.1:"))

	tr := &http.Transport{TLSClientConfig: ca.ClientConfig(), DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(srv.URL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, "hello", string(body))
	require.NotNil(t, resp.TLS)
}

func TestStallTLSHandshake(t *testing.T) {
	ca := testcert.NewCA(t)
	cert := ca.Server(t, testcert.Options{})
	cfg := &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}
	for name, srv := range map[string]*faultkit.Server{
		"tls":   faultkit.TLSListen(t, cfg, faultkit.StallTLSHandshake()),
		"plain": faultkit.Listen(t, faultkit.StallTLSHandshake()),
	} {
		t.Run(name, func(t *testing.T) {
			tr := &http.Transport{
				TLSClientConfig:     ca.ClientConfig(),
				TLSHandshakeTimeout: 200 * time.Millisecond,
			}
			t.Cleanup(tr.CloseIdleConnections)
			url := strings.Replace(srv.URL, "http://", "https://", 1)
			_, err := (&http.Client{Transport: tr}).Get(url)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "TLS handshake timeout")
		})
	}
}

func TestStallTLSHandshakeWithContext(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.StallTLSHandshake())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: "localhost", MinVersion: tls.VersionTLS12}}
	_, err := d.DialContext(ctx, "tcp", srv.Addr)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCloseWaitsForHandlers(t *testing.T) {
	// A handler that honours Done returns promptly on close; Close waits
	// for it.
	returned := make(chan struct{})
	srv := faultkit.Listen(t, func(c *faultkit.Conn) {
		<-c.Done()
		close(returned)
	})
	conn, err := net.Dial("tcp", srv.Addr)
	require.NoError(t, err)
	defer conn.Close()
	require.Eventually(t, func() bool { return srv.Accepted() == 1 }, 5*time.Second, 5*time.Millisecond)
	srv.Close()
	select {
	case <-returned:
	default:
		t.Fatal("Close returned before the handler did")
	}
}
