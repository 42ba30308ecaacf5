package requeststest_test

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-requests/requests"
	"github.com/go-requests/requests/requeststest"
)

func TestFaultServer(t *testing.T) {
	tests := []struct {
		fault requeststest.Fault
		opts  []requeststest.FaultOption
		want  []error
		not   []error
	}{
		{requeststest.Stall, nil, []error{requests.ErrReadTimeout}, []error{requests.ErrConnectTimeout}},
		{requeststest.Reset, nil, []error{requests.ErrConnection}, []error{requests.ErrTimeout, requests.ErrChunkedEncoding}},
		{requeststest.Drip, []requeststest.FaultOption{requeststest.DripInterval(time.Minute)},
			[]error{requests.ErrReadTimeout}, []error{requests.ErrConnectTimeout}},
		{requeststest.Truncate, nil, []error{requests.ErrChunkedEncoding}, []error{requests.ErrTimeout}},
		{requeststest.Garbage, nil, []error{requests.ErrConnection}, []error{requests.ErrTimeout, requests.ErrSSL}},
		{requeststest.TLSAbort, nil, []error{requests.ErrSSL, requests.ErrConnection}, []error{requests.ErrTimeout}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			srv := requeststest.NewFaultServer(t, tt.fault, tt.opts...)
			s := requests.NewSession(requests.Timeout(200 * time.Millisecond))
			t.Cleanup(func() { s.Close() })
			_, err := s.Get(srv.URL + "/x")
			require.Error(t, err)
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
			for _, n := range tt.not {
				assert.NotErrorIs(t, err, n)
			}
			assert.Equal(t, 1, srv.Accepted())
		})
	}
}

func TestFaultServerURL(t *testing.T) {
	plain := requeststest.NewFaultServer(t, requeststest.Stall)
	assert.Equal(t, "http://"+plain.Addr, plain.URL)
	tls := requeststest.NewFaultServer(t, requeststest.TLSAbort)
	assert.Equal(t, "https://"+tls.Addr, tls.URL)
	assert.Equal(t, "TLSAbort", tls.Fault.String())
	assert.Equal(t, "Fault(99)", requeststest.Fault(99).String())
}

func TestFaultServerUnknown(t *testing.T) {
	rec := newRecorder(t)
	assert.Nil(t, requeststest.NewFaultServer(rec, requeststest.Fault(0)))
	assert.True(t, rec.fatal)
	rec.finish()
}

func TestFaultServerDripDelivers(t *testing.T) {
	srv := requeststest.NewFaultServer(t, requeststest.Drip,
		requeststest.DripInterval(time.Millisecond), requeststest.FaultBody("slowly"))
	s := requests.NewSession(requests.Timeout(10 * time.Second))
	t.Cleanup(func() { s.Close() })
	resp, err := s.Get(srv.URL, requests.Stream(true))
	require.NoError(t, err)
	defer resp.Close()
	var got []byte
	reads := 0
	for chunk, err := range resp.IterContent(0) {
		require.NoError(t, err)
		got = append(got, chunk...)
		reads++
	}
	assert.Equal(t, "slowly", string(got))
	assert.Greater(t, reads, 1, "the body comes in pieces")
}

func TestFaultServerTruncateStream(t *testing.T) {
	srv := requeststest.NewFaultServer(t, requeststest.Truncate, requeststest.FaultBody("half"))
	s := requests.NewSession()
	t.Cleanup(func() { s.Close() })
	resp, err := s.Get(srv.URL, requests.Stream(true))
	require.NoError(t, err)
	defer resp.Close()
	assert.Equal(t, "9", resp.Headers.Get("Content-Length"))
	got, err := io.ReadAll(resp.Body())
	assert.Equal(t, "half", string(got))
	assert.ErrorIs(t, err, requests.ErrChunkedEncoding)
}

func TestFaultServerCloseEarly(t *testing.T) {
	srv := requeststest.NewFaultServer(t, requeststest.Stall)
	srv.Close()
	srv.Close()
	s := requests.NewSession()
	t.Cleanup(func() { s.Close() })
	_, err := s.Get(srv.URL)
	assert.ErrorIs(t, err, requests.ErrConnection)
}
