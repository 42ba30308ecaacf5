package requests

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests/internal/faultkit"
)

// Generous bounds only: the machines are shared, so these tests check that a
// call ends, and with which error, never how fast.
const bound = 10 * time.Second

func elapsed(t *testing.T, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	f()
	d := time.Since(start)
	assert.Less(t, d, bound, "the call must end within its timeout's bound")
	return d
}

func TestReadTimeoutMidBody(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.RespondKeepOpen(faultkit.CRLF("HTTP/1.1 200 OK\nContent-Length: 100\n\npartial")))
	var err error
	elapsed(t, func() { _, err = testSession(t).Get(srv.URL, ReadTimeout(200*time.Millisecond)) })
	assert.ErrorIs(t, err, ErrReadTimeout)
}

func TestConnectTimeoutOnStalledDial(t *testing.T) {
	// A listener whose accept queue is full drops further SYNs, so the dial
	// hangs as it would towards a host that does not answer.
	addr := fullBacklog(t)
	var err error
	elapsed(t, func() { _, err = testSession(t).Get("http://"+addr+"/", Timeout(300*time.Millisecond)) })
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrConnectTimeout)
	var ne net.Error
	assert.ErrorAs(t, err, &ne)
}

// fullBacklog returns the address of a loopback listener with a backlog of
// one that never accepts, with its queue already filled.
func fullBacklog(t *testing.T) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	// Fill the queue: these connects complete; later ones hang.
	for range 3 {
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		if c, err := d.Dial("tcp", addr); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return addr
}

func TestSlowConsumerOfStreamIsNotTimedOut(t *testing.T) {
	srv := newHTTPBin(t)
	r, err := testSession(t).Get(srv.URL+"/bytes/100", Stream(true), ReadTimeout(100*time.Millisecond))
	require.NoError(t, err)
	defer r.Close()
	time.Sleep(300 * time.Millisecond) // the caller is busy; the server is not late
	assert.Len(t, r.Content(), 100)
}

func TestNoTimeoutWhenAskedFor(t *testing.T) {
	srv := newHTTPBin(t)
	s := testSession(t, Timeout(0))
	r, err := s.Get(srv.URL + "/delay/1")
	require.NoError(t, err)
	assert.Equal(t, 200, r.StatusCode)
}

func TestDefaultTimeoutsAreSet(t *testing.T) {
	c := NewSession().cfg.Load()
	assert.Equal(t, DefaultConnectTimeout, c.ConnectTimeout)
	assert.Equal(t, DefaultReadTimeout, c.ReadTimeout)
	assert.Positive(t, c.ConnectTimeout)
	assert.Positive(t, c.ReadTimeout)
}

func TestCancelWhileWaitingForHeaders(t *testing.T) {
	srv := faultkit.Listen(t, faultkit.Stall())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	var err error
	elapsed(t, func() { _, err = testSession(t).Get(srv.URL, Context(ctx)) })
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrTimeout)
}

// The read timeout takes over from the connect timeout when the connection
// is had, whether the call's trace is found through the call itself or
// composed with a trace the caller's context carries.
func TestReadPhaseStartsOnceConnected(t *testing.T) {
	require.NotNil(t, traceKey, "calls should find their trace without a context layer")
	srv := faultkit.Listen(t, faultkit.Stall())
	var callerSawConn atomic.Bool
	callerTrace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { callerSawConn.Store(true) }}
	tests := []struct {
		name string
		ctx  context.Context
	}{
		{"call's own trace", context.Background()},
		{"composed with the caller's trace", httptrace.WithClientTrace(context.Background(), callerTrace)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			elapsed(t, func() {
				_, err = testSession(t).Get(srv.URL, Context(tt.ctx), ConnectTimeout(time.Minute), ReadTimeout(200*time.Millisecond))
			})
			assert.ErrorIs(t, err, ErrReadTimeout)
		})
	}
	assert.True(t, callerSawConn.Load(), "the caller's trace hooks still run")
}

// dripReader yields its chunks one per Read, pausing before each: an upload
// that keeps moving but takes longer than the read timeout in all.
type dripReader struct {
	chunks [][]byte
	pause  time.Duration
}

func (d *dripReader) Read(p []byte) (int, error) {
	if len(d.chunks) == 0 {
		return 0, io.EOF
	}
	time.Sleep(d.pause) // the uploader is slow; nothing waits on this
	n := copy(p, d.chunks[0])
	d.chunks = d.chunks[1:]
	return n, nil
}

// A slow but steady upload is not cut by the read timeout, whether the
// request was built by the call or handed to Send, and the wait for the
// answer is timed from the end of the upload.
func TestSlowSteadyUploadSucceeds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	body := func() io.Reader {
		return &dripReader{chunks: faultkit.Split([]byte(strings.Repeat("x", 12)), 1), pause: 50 * time.Millisecond}
	}
	s := testSession(t, ReadTimeout(300*time.Millisecond))
	tests := []struct {
		name string
		send func() (*Response, error)
	}{
		{"Do", func() (*Response, error) { return s.Post(srv.URL, Data(body())) }},
		{"Send", func() (*Response, error) {
			req, err := http.NewRequest(http.MethodPost, srv.URL, body())
			require.NoError(t, err)
			return s.Send(req)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.send()
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat("x", 12), string(r.Content()))
		})
	}
}

// Calls share pooled timers one after another. Under -race, calls whose
// timeouts fire all the time run beside calls that must never time out,
// with streamed bodies closed part-read and redirects followed: a timer that
// fired for one call must never cancel another.
func TestTimersAreNotSharedBetweenCalls(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(bound):
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/fast", http.StatusFound)
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 256<<10))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := testSession(t)

	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 60 {
				switch (g + i) % 5 {
				case 0:
					_, err := s.Get(srv.URL+"/stall", ReadTimeout(5*time.Millisecond))
					assert.ErrorIs(t, err, ErrReadTimeout)
				case 1:
					r, err := s.Get(srv.URL+"/redirect", Timeout(bound))
					if assert.NoError(t, err) {
						assert.Equal(t, "ok", string(r.Content()))
						assert.Len(t, r.History, 1)
					}
				case 2:
					r, err := s.Get(srv.URL+"/stream", Stream(true), Timeout(bound))
					if assert.NoError(t, err) {
						r.Close() // unread: the connection is dropped, the timer released
					}
				case 3:
					r, err := s.Get(srv.URL+"/fast", Timeout(bound))
					if assert.NoError(t, err) {
						assert.Equal(t, "ok", string(r.Content()))
					}
				case 4:
					// A timeout about as long as the call: it fires just as
					// the call ends, or just after.
					d := time.Duration(50+i*20) * time.Microsecond
					_, err := s.Get(srv.URL+"/fast", ReadTimeout(d))
					if err != nil {
						assert.ErrorIs(t, err, ErrReadTimeout)
					}
				}
			}
		})
	}
	wg.Wait()
}

// A run of a pooled timer that started before the timer was re-armed, for
// the same call or the next one the timer serves, must do nothing; a run
// that is due cancels the call with its timeout.
func TestStaleTimerRunDoesNothing(t *testing.T) {
	c := newCall(&config{CallSettings: CallSettings{ConnectTimeout: time.Hour, ReadTimeout: 2 * time.Hour}})
	defer c.release()
	c.startAttempt(new(http.Request))
	w := c.w.Load()
	require.NotNil(t, w)

	w.fire() // early: the due time has not come, the timer is set for it
	require.NoError(t, c.Err())
	w.mu.Lock()
	assert.Equal(t, w.due, w.at)
	w.mu.Unlock()

	c.gotConn(httptrace.GotConnInfo{}) // later due time: no timer update
	w.mu.Lock()
	assert.Less(t, w.at, w.due)
	w.mu.Unlock()
	w.fire() // the timer ran at the old time: it moves on to the new one
	require.NoError(t, c.Err())

	c.stop()
	w.fire() // stopped: nothing is due, the timer idles
	require.NoError(t, c.Err())
	w.mu.Lock()
	assert.Zero(t, w.at)
	w.mu.Unlock()

	c.startAttempt(new(http.Request))
	w.mu.Lock()
	w.due = now() - time.Millisecond // as if the hour had passed
	w.mu.Unlock()
	w.fire()
	assert.ErrorIs(t, context.Cause(c), ErrConnectTimeout)
}

// Arming for an earlier time than the timer is set for resets it.
func TestEarlierTimeoutResetsTheTimer(t *testing.T) {
	c := newCall(&config{CallSettings: CallSettings{ConnectTimeout: time.Hour, ReadTimeout: 20 * time.Millisecond}})
	defer c.release()
	c.startAttempt(new(http.Request))  // an hour
	c.gotConn(httptrace.GotConnInfo{}) // then 20 ms
	select {
	case <-c.Done():
		assert.ErrorIs(t, context.Cause(c), ErrReadTimeout)
	case <-time.After(bound):
		t.Fatal("the read timeout did not fire")
	}
}

// A read that arms the timer while its call is being released (a streamed
// body read beside Close) leaves the pooled timer alone.
func TestArmAfterReleaseLeavesThePooledTimerAlone(t *testing.T) {
	a := newCall(&config{CallSettings: CallSettings{ConnectTimeout: time.Hour, ReadTimeout: time.Hour}})
	a.startAttempt(new(http.Request))
	w := a.w.Load()
	require.NotNil(t, w)
	a.release()

	b := newCall(&config{CallSettings: CallSettings{ConnectTimeout: time.Hour, ReadTimeout: time.Hour}})
	defer b.release()
	w.attach(b) // the watch now serves another call
	w.arm(a, time.Nanosecond)
	w.mu.Lock()
	assert.Zero(t, w.due, "the released call moved the other call's timeout")
	w.mu.Unlock()
	a.armRead() // and through the call itself: nothing to arm
	assert.Nil(t, a.w.Load())
	w.attach(nil)
}
