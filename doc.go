// Package requests is HTTP for humans, in Go: the API of Python's requests
// over a tuned net/http Transport.
//
// # A one-minute tour
//
// A call is a function named after its method, a URL and options:
//
//	resp, err := requests.Get("https://api.example.com/search",
//		requests.Params{"q": "gopher"},
//		requests.Headers{"Accept": "application/json"},
//		requests.Timeout(5*time.Second),
//	)
//	if err != nil {
//		return err // errors.Is(err, requests.ErrTimeout), requests.ErrConnection, ...
//	}
//	if err := resp.Raise(); err != nil {
//		return err // 404 Client Error: Not Found for url: ...
//	}
//	var out struct{ Items []string }
//	err = resp.JSON(&out)
//
// By default the body is read in full and the connection returned to the
// pool before the call returns: a [Response] needs no Close, and
// [Response.Content], [Response.Text] and [Response.JSON] read from memory.
// Redirects are followed (up to [DefaultMaxRedirects]), cookies flow through
// the redirect chain, and a connect and a read timeout bound every call
// ([DefaultConnectTimeout], [DefaultReadTimeout]).
//
// # Sessions and package calls
//
// [Get], [Post], [Do] and the other package functions go through
// [DefaultSession], which pools connections and, like requests.get, keeps no
// cookies from one call to the next. A [Session] made with [NewSession] is
// requests.Session: it holds defaults (headers, params, auth, timeouts,
// proxies, TLS settings, hooks), a cookie jar and connection pools, and is
// safe for concurrent use. [Session.Update] changes its defaults for the
// calls that start after it; [Session.Settings] reports them. Make one per
// set of defaults, reuse it, and Close it when done.
//
// [Session.Prepare] builds the request a call would send without sending it,
// and [Session.Send] sends a request built elsewhere with the Session's
// redirects, cookies, timeouts and hooks. [Session.Mount] routes a URL
// prefix to an http.RoundTripper of your own.
//
// # Options
//
// One [Option] type configures both a Session (defaults for every call) and
// a single call (overrides for that call); the call's option wins. Map-shaped
// options are map types: [Params], [ParamValues], [Headers], [Cookies],
// [Proxies], [Files]. The rest are functions: [JSON] and [Data] for bodies,
// [Timeout], [ConnectTimeout] and [ReadTimeout], [Context], [BasicAuth],
// [DigestAuth], [BearerAuth] and [Auth], [Verify], [CABundle] and [Cert],
// [AllowRedirects] and [MaxRedirects], [Stream], [Retry], [Hook] and more.
// Headers, Params, Cookies and Proxies merge with the Session's key by key;
// other options replace the setting.
//
// Timeouts follow requests: [ReadTimeout] bounds each wait for the server,
// not the whole transfer, so a slow but steady download never times out.
// [Retry] sends a request again as a [RetryPolicy] (urllib3's Retry)
// decides. [RateLimit], [CircuitBreaker] and [Endpoints] protect the
// servers a Session calls: turns per second, a breaker per host, and calls
// spread over several base URLs; [Response.Protection] says what they did.
//
// # Errors
//
// Every failure is an [*Error] that carries the method and URL, and matches
// one of the sentinels with errors.Is: [ErrConnection], [ErrTimeout],
// [ErrConnectTimeout], [ErrReadTimeout], [ErrSSL], [ErrProxy],
// [ErrTooManyRedirects], [ErrInvalidURL], [ErrRetry] and the others. As in
// requests, a connect timeout is both a timeout and a connection error. The
// cause stays reachable with errors.As (a net.Error, an x509 error,
// context.Canceled). A 4xx or 5xx status is not an error until
// [Response.Raise] makes it an [*HTTPError].
//
// # Streaming
//
// With [Stream](true) the body stays unread when the call returns: iterate
// it with [Response.IterContent] or [Response.IterLines], read it with
// [Response.Body], or write it to a file with [Response.Save] ([Download]
// does the call and the save at once). The caller must then Close the
// Response, or read the body to its end. [DownloadProgress] and
// [UploadProgress] report bytes as they flow.
package requests
