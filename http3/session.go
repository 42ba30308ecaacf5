package http3

import "github.com/go-requests/requests"

// NewSession returns requests.NewSession(opts...) with t mounted for
// "https://", so that every https call of the Session goes over HTTP/3
// while http:// calls keep the core's transport. A nil t is NewTransport().
//
// Session.Close releases t's idle connections and its socket; t stays
// usable, and may be mounted on other Sessions too. Close t itself when no
// Session uses it any more.
func NewSession(t *Transport, opts ...requests.Option) *requests.Session {
	if t == nil {
		t = NewTransport()
	}
	s := requests.NewSession(opts...)
	s.Mount("https://", t)
	return s
}
