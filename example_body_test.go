package requests_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/go-requests/requests"
)

func ExampleFiles() {
	report := strings.NewReader("quarter,revenue\nQ3,42\n")
	resp, err := requests.Post("https://httpbin.org/post",
		requests.Data(map[string]string{"title": "Q3"}),
		requests.Files{"report": {Name: "q3.csv", Reader: report, ContentType: "text/csv"}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct {
		Form  map[string][]string `json:"form"`
		Files map[string][]string `json:"files"`
	}
	if err := resp.JSON(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body.Form["title"])
	fmt.Printf("%q\n", body.Files["report"])
	fmt.Println(resp.Request.ContentLength > 0) // every size is known: no chunking
	// Output:
	// [Q3]
	// ["quarter,revenue\nQ3,42\n"]
	// true
}

func ExampleFileFromPath() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "notes.txt")
	os.WriteFile(path, []byte("opened only when sent"), 0o600)

	// The file is opened as the request is sent and closed after it.
	resp, err := requests.Post("https://httpbin.org/post",
		requests.Files{"notes": requests.FileFromPath(path)})
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct {
		Files map[string][]string `json:"files"`
	}
	resp.JSON(&body)
	fmt.Println(body.Files["notes"])
	// Output:
	// [opened only when sent]
}

func ExampleMultiFiles() {
	resp, err := requests.Post("https://httpbin.org/post",
		requests.MultiFiles{"images": {
			{Name: "1.png", Reader: strings.NewReader("first")},
			{Name: "2.png", Reader: strings.NewReader("second")},
		}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	var body struct {
		Files map[string][]string `json:"files"`
	}
	resp.JSON(&body)
	fmt.Println(body.Files["images"])
	// Output:
	// [first second]
}

func ExampleStream() {
	resp, err := requests.Get("https://httpbin.org/stream/3", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Close() // needed with Stream(true) unless the body is read to its end

	for line, err := range resp.IterLines() {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(strings.Contains(string(line), `"id":`))
	}
	// Output:
	// true
	// true
	// true
}

func ExampleResponse_IterContent() {
	resp, err := requests.Get("https://httpbin.org/range/26", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Close()
	for chunk, err := range resp.IterContent(10) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s\n", chunk)
	}
	// Output:
	// abcdefghij
	// klmnopqrst
	// uvwxyz
}

func ExampleResponse_IterLines() {
	resp, err := requests.Get("https://httpbin.org/base64/b25lDQp0d28KdGhyZWU=", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Close()
	// "one\r\ntwo\nthree": terminators are dropped, the last line has none.
	for line, err := range resp.IterLines() {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "one"
	// "two"
	// "three"
}

func ExampleResponse_Body() {
	resp, err := requests.Get("https://httpbin.org/range/26", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	body := resp.Body()
	defer body.Close() // closes the Response
	n, err := io.Copy(os.Stdout, body)
	fmt.Println()
	fmt.Println(n, err)
	// Output:
	// abcdefghijklmnopqrstuvwxyz
	// 26 <nil>
}

func ExampleResponse_Links() {
	link := `<https://api.example.com/items?page=2>; rel="next", <https://api.example.com/items?page=9>; rel="last"`
	resp, err := requests.Get("https://httpbin.org/response-headers", requests.Params{"Link": link})
	if err != nil {
		fmt.Println(err)
		return
	}
	links := resp.Links()
	fmt.Println(links["next"].URL)
	fmt.Println(links["last"].Params["rel"])
	// Output:
	// https://api.example.com/items?page=2
	// last
}

func ExampleDownload() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data.bin")

	resp, err := requests.Download("https://httpbin.org/bytes/50000", path,
		requests.DownloadProgress(func(done, total int64) {
			// Called from the reading goroutine at most every
			// ProgressInterval, plus once at the start and once at the end.
			if done == total {
				fmt.Printf("%d/%d bytes\n", done, total)
			}
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fi, _ := os.Stat(path)
	fmt.Println(resp.StatusCode, fi.Size())
	// Output:
	// 50000/50000 bytes
	// 200 50000
}

func ExampleResponse_Save() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	resp, err := requests.Get("https://httpbin.org/range/26", requests.Stream(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := resp.Raise(); err != nil {
		resp.Close()
		fmt.Println(err)
		return
	}
	if err := resp.Save(filepath.Join(dir, "letters.txt")); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(filepath.Join(dir, "letters.txt"))
	fmt.Println(string(b))
	// Output:
	// abcdefghijklmnopqrstuvwxyz
}

func ExampleUploadProgress() {
	var last atomic.Int64
	resp, err := requests.Post("https://httpbin.org/post",
		requests.Files{"blob": {Name: "blob.bin", Reader: strings.NewReader(strings.Repeat("x", 100_000))}},
		// Called from the goroutine that sends the body, not this one.
		requests.UploadProgress(func(done, total int64) { last.Store(done) }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(last.Load() == resp.Request.ContentLength)
	// Output:
	// true
}
