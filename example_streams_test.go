package requests_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"

	"github.com/go-requests/requests"
)

func ExampleAs() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"login": "gopher", "id": 7}`)
	}))
	defer srv.Close()

	type User struct {
		Login string `json:"login"`
		ID    int    `json:"id"`
	}
	user, err := requests.As[User](requests.Get(srv.URL + "/users/gopher"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", user)
	// Output:
	// {Login:gopher ID:7}
}

func ExampleIterJSON() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, "{\"level\":\"info\",\"msg\":\"started\"}\n\n{\"level\":\"warn\",\"msg\":\"slow\"}\n")
	}))
	defer srv.Close()

	type Line struct {
		Level, Msg string
	}
	resp, err := requests.Get(srv.URL+"/logs", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for line, err := range requests.IterJSON[Line](resp) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(line.Level, line.Msg)
	}
	// Output:
	// info started
	// warn slow
}

func ExampleResponse_Events() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": a comment\n\nevent: greeting\ndata: hello\ndata: world\n\nid: 2\ndata: bye\n\n")
	}))
	defer srv.Close()

	resp, err := requests.Get(srv.URL+"/events", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	for ev, err := range resp.Events() {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Printf("%s %q id=%q\n", ev.Type, ev.Data, ev.ID)
	}
	// Output:
	// greeting "hello\nworld" id=""
	// message "bye" id="2"
}

func ExampleSession_Subscribe() {
	// The first connection breaks after two events; the server sees where
	// the client was on the next one, then says it is done with a 204.
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "retry: 10\nid: 1\ndata: one\n\nid: 2\ndata: two\n\n")
		case 2:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: resumed after "+r.Header.Get("Last-Event-ID")+"\n\n")
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()

	s := requests.NewSession()
	defer s.Close()
	for ev, err := range s.Subscribe(srv.URL + "/stream") {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(ev.ID, ev.Data)
	}
	// Output:
	// 1 one
	// 2 two
	// 2 resumed after 2
}

func ExampleSession_Pages() {
	// A GitHub-style API: three items per page, a Link header to the next.
	items := []string{"a", "b", "c", "d", "e", "f", "g"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		start, end := (page-1)*3, min(page*3, len(items))
		if end < len(items) {
			w.Header().Set("Link", fmt.Sprintf(`</repos/go/issues?page=%d>; rel="next"`, page+1))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(items[start:end])
	}))
	defer srv.Close()

	s := requests.NewSession()
	defer s.Close()
	for page, err := range s.Pages(srv.URL+"/repos/go/issues", requests.BearerAuth("token")) {
		issues, err := requests.As[[]string](page, err)
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(issues)
	}
	// Output:
	// [a b c]
	// [d e f]
	// [g]
}
