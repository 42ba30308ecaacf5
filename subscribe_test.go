package requests

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sseTestServer hands the n-th request (from 0) to handle and records
// the headers of every request.
type sseTestServer struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func newSSEServer(t *testing.T, handle func(n int, w http.ResponseWriter, r *http.Request)) *sseTestServer {
	t.Helper()
	s := &sseTestServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.headers)
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		handle(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sseTestServer) requests() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.headers...)
}

// sendEvents writes an event-stream answer and flushes it.
func sendEvents(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/event-stream")
	io.WriteString(w, text)
	w.(http.Flusher).Flush()
}

// dropConn cuts the connection under a streaming answer.
func dropConn(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestSubscribeReconnectsWithLastEventID(t *testing.T) {
	done := make(chan struct{})
	srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0:
			sendEvents(w, "retry: 1\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: lost")
			dropConn(w)
		default:
			sendEvents(w, "data: c\n\n")
			<-r.Context().Done() // until the loop breaks
			close(done)
		}
	})
	s := testSession(t)
	var got []Event
	for ev, err := range s.Subscribe(srv.URL, Headers{"X-Test": "1"}) {
		require.NoError(t, err)
		got = append(got, ev)
		if len(got) == 3 {
			break
		}
	}
	<-done // breaking the loop closed the stream
	ms := time.Millisecond
	assert.Equal(t, []Event{
		{ID: "1", Type: "message", Data: "a", Retry: ms},
		{ID: "2", Type: "message", Data: "b", Retry: ms},
		{ID: "2", Type: "message", Data: "c", Retry: ms},
	}, got)
	reqs := srv.requests()
	require.Len(t, reqs, 2)
	for _, h := range reqs {
		assert.Equal(t, "text/event-stream", h.Get("Accept"))
		assert.Equal(t, "no-cache", h.Get("Cache-Control"))
		assert.Equal(t, "1", h.Get("X-Test"), "the options apply to every request")
	}
	assert.Empty(t, reqs[0].Values("Last-Event-ID"))
	assert.Equal(t, "2", reqs[1].Get("Last-Event-ID"), "the last complete event's ID")
}

func TestSubscribeEnds(t *testing.T) {
	first := "retry: 1\nid: x\ndata: a\n\n"
	tests := []struct {
		name   string
		answer func(n int, w http.ResponseWriter)
		reqs   int
		errIs  error
		status int // of an *HTTPError
	}{
		{name: "204 stops", reqs: 2, answer: func(n int, w http.ResponseWriter) {
			if n == 0 {
				sendEvents(w, first)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}},
		{name: "404 fails", reqs: 2, status: 404, answer: func(n int, w http.ResponseWriter) {
			if n == 0 {
				sendEvents(w, first)
				return
			}
			http.Error(w, "gone", http.StatusNotFound)
		}},
		{name: "500 fails", reqs: 1, status: 500, answer: func(n int, w http.ResponseWriter) {
			http.Error(w, "oops", http.StatusInternalServerError)
		}},
		{name: "not an event stream", reqs: 1, errIs: ErrNotEventStream, answer: func(n int, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "data: a\n\n")
		}},
		{name: "200 only", reqs: 1, errIs: ErrNotEventStream, answer: func(n int, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusAccepted)
		}},
		{name: "retryable statuses retried", reqs: 6, answer: func(n int, w http.ResponseWriter) {
			switch n {
			case 0:
				sendEvents(w, "retry: 1\n\n")
			case 1, 2, 3, 4:
				w.WriteHeader([]int{429, 502, 503, 504}[n-1])
			default:
				sendEvents(w, "data: a\n\n")
			}
		}},
		{name: "too many failures", reqs: 1 + maxEventFailures, status: 503, answer: func(n int, w http.ResponseWriter) {
			if n == 0 {
				sendEvents(w, first)
				return
			}
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n > tt.reqs {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				tt.answer(n, w)
			})
			s := testSession(t)
			var errs []error
			var data []string
			for ev, err := range s.Subscribe(srv.URL) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				data = append(data, ev.Data)
				if tt.name == "retryable statuses retried" && len(data) == 1 {
					break
				}
			}
			assert.Len(t, srv.requests(), tt.reqs)
			switch {
			case tt.errIs != nil:
				require.Len(t, errs, 1)
				assert.ErrorIs(t, errs[0], tt.errIs)
			case tt.status != 0:
				require.Len(t, errs, 1)
				var he *HTTPError
				require.ErrorAs(t, errs[0], &he)
				assert.Equal(t, tt.status, he.StatusCode())
				assert.NotEmpty(t, he.Response.Content(), "the error's body was read")
			default:
				assert.Empty(t, errs)
			}
		})
	}
}

func TestSubscribeConnectionRefusedGivesUp(t *testing.T) {
	srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		sendEvents(w, "retry: 1\ndata: a\n\n")
	})
	s := testSession(t)
	var errs []error
	for ev, err := range s.Subscribe(srv.URL) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		assert.Equal(t, "a", ev.Data)
		srv.Close() // nothing listens from now on
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrConnection)
	assert.Len(t, srv.requests(), 1)
}

func TestSubscribeContextEndsTheWait(t *testing.T) {
	ended := make(chan struct{})
	srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		sendEvents(w, "retry: 600000\ndata: a\n\n") // ten minutes
		if n == 0 {
			close(ended)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gotA := make(chan struct{})
	go func() {
		<-ended
		<-gotA
		cancel()
	}()
	s := testSession(t)
	start := time.Now()
	var got []string
	for ev, err := range s.Subscribe(srv.URL, Context(ctx)) {
		require.NoError(t, err)
		got = append(got, ev.Data)
		close(gotA)
	}
	assert.Equal(t, []string{"a"}, got)
	assert.Less(t, time.Since(start), time.Minute, "the loop ended at the cancellation, not after the retry")
	assert.Len(t, srv.requests(), 1)
}

func TestSubscribeReadTimeoutOnlyWhenGiven(t *testing.T) {
	const quiet = 50 * time.Millisecond
	t.Run("no read timeout by default", func(t *testing.T) {
		old := DefaultReadTimeout
		DefaultReadTimeout = quiet
		s := testSession(t)
		DefaultReadTimeout = old
		srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			sendEvents(w, "retry: 1\ndata: a\n\n")
			select {
			case <-time.After(6 * quiet): // longer than the default read timeout
			case <-r.Context().Done():
				return
			}
			sendEvents(w, "data: b\n\n")
		})
		var got []string
		for ev, err := range s.Subscribe(srv.URL) {
			require.NoError(t, err)
			got = append(got, ev.Data)
			if len(got) == 2 {
				break
			}
		}
		assert.Equal(t, []string{"a", "b"}, got)
		assert.Len(t, srv.requests(), 1, "the quiet stream was not cut")
	})
	for _, where := range []string{"call", "session"} {
		t.Run("given to the "+where, func(t *testing.T) {
			srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					sendEvents(w, "retry: 1\nid: 1\ndata: a\n\n")
					<-r.Context().Done() // quiet until the client gives up
					return
				}
				sendEvents(w, "data: b\n\n")
			})
			var s *Session
			var opts []Option
			if where == "call" {
				s = testSession(t)
				opts = append(opts, ReadTimeout(quiet))
			} else {
				s = testSession(t, ReadTimeout(quiet))
			}
			var got []string
			for ev, err := range s.Subscribe(srv.URL, opts...) {
				require.NoError(t, err)
				got = append(got, ev.Data)
				if len(got) == 2 {
					break
				}
			}
			assert.Equal(t, []string{"a", "b"}, got)
			reqs := srv.requests()
			require.Len(t, reqs, 2, "the read timeout cut the quiet stream")
			assert.Equal(t, "1", reqs[1].Get("Last-Event-ID"))
		})
	}
}

func TestSubscribeLineTooLong(t *testing.T) {
	srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(make([]byte, maxEventLine+10))
	})
	s := testSession(t)
	var errs []error
	for _, err := range s.Subscribe(srv.URL) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrBodyTooLarge)
}

func TestSubscribeInvalidURL(t *testing.T) {
	s := testSession(t)
	var errs []error
	for _, err := range s.Subscribe("ftp://127.0.0.1/") {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrInvalidURL)
}

func TestReconnectDelay(t *testing.T) {
	for _, tt := range []struct {
		retry, after time.Duration
		failures     int
		lo           time.Duration
	}{
		{-1, 0, 0, defaultEventRetry},
		{0, 0, 0, 0},
		{10 * time.Millisecond, 0, 1, 10 * time.Millisecond},
		{10 * time.Millisecond, 0, 3, 40 * time.Millisecond},
		{10 * time.Millisecond, 2 * time.Second, 1, 2 * time.Second},
		{time.Hour, 0, 1, maxEventRetry},
		{time.Second, 0, 100, maxEventRetry},
	} {
		for range 50 {
			d := reconnectDelay(tt.retry, tt.after, tt.failures)
			assert.GreaterOrEqual(t, d, tt.lo)
			assert.LessOrEqual(t, d, tt.lo+tt.lo/4)
		}
	}
	assert.False(t, errors.Is(nil, ErrNotEventStream))
}

func TestSubscribeStreamsWhateverTheOptions(t *testing.T) {
	srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n > 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		sendEvents(w, "data: a\n\n")
		<-r.Context().Done() // the stream never ends by itself
	})
	s := testSession(t, Stream(false))
	for ev, err := range s.Subscribe(srv.URL, Stream(false)) {
		require.NoError(t, err)
		assert.Equal(t, "a", ev.Data)
		break
	}
}

func TestSubscribeEndlessOtherTypeIsNotRead(t *testing.T) {
	srv := newSSEServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 4096)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	s := testSession(t)
	var errs []error
	for _, err := range s.Subscribe(srv.URL) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrNotEventStream)
}

// Subscribe reads a Retry-After as the retry policy does: seconds or an
// HTTP-date, capped; unreadable or past values leave the reconnection time.
func TestEventRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{now.Add(20 * time.Second).Format(http.TimeFormat), 20 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"999999999999", maxEventRetry},
		{now.Add(24 * time.Hour).Format(http.TimeFormat), maxEventRetry},
		{"soon", 0},
	} {
		assert.Equal(t, tt.want, eventRetryAfter(tt.v, now), tt.v)
	}
}
