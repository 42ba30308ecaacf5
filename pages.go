package requests

import (
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
)

var (
	// ErrPageLoop: a page's Link rel="next" leads to a page Pages already
	// fetched; following it would never end.
	ErrPageLoop = newKind("pagination loop")
	// ErrTooManyPages: there were more pages than MaxPages allows.
	ErrTooManyPages = newKind("too many pages")
)

// DefaultMaxPages caps the pages one Pages loop fetches unless MaxPages
// says otherwise.
const DefaultMaxPages = 1000

// maxPages is the MaxPages option. It sets nothing in a call: Pages reads
// it from its own options.
type maxPages int

func (maxPages) apply(*config) {}

// MaxPages caps how many pages Pages fetches (default DefaultMaxPages): a
// next link beyond the cap is yielded as ErrTooManyPages, as MaxRedirects
// fails with ErrTooManyRedirects. Give it to Pages; elsewhere it does
// nothing.
// Below 1, n counts as 1.
func MaxPages(n int) Option { return maxPages(max(n, 1)) }

// Pages iterates over the pages of a paginated API: it gets rawURL, yields
// the Response, and gets the page its Link rel="next" header names (as
// GitHub's API and RFC 8288 do it), resolved against the page's own URL,
// until a page has no next link. opts apply to every page, except Params
// and ParamValues, which apply to the first: a next link carries its query.
//
// Credentials follow the rule of redirects: the Session's and the call's
// authentication, Authorization header and Cookies options go only to
// pages on the first page's origin (scheme, host and port; http to https on
// the default ports keeps them), so that a next link cannot carry them
// elsewhere.
//
// The loop ends, yielding a nil Response and an error, at the first failed
// call, at a 4xx or 5xx page (Raise's *HTTPError, the page in it), at a next
// link to a page already fetched (ErrPageLoop), or at a page beyond
// MaxPages (ErrTooManyPages).
//
// Each Response is buffered, as Get's are, unless Stream(true) is given:
// then the loop body must Close each page.
func (s *Session) Pages(rawURL string, opts ...Option) iter.Seq2[*Response, error] {
	return func(yield func(*Response, error) bool) {
		limit := DefaultMaxPages
		later := make([]Option, 0, len(opts)+1) // the options of the pages after the first
		for _, o := range opts {
			switch o := o.(type) {
			case maxPages:
				limit = int(o)
			case Params, ParamValues:
				// The next link carries the query already: added again, a
				// "page" parameter would lead back to the same page.
			default:
				later = append(later, o)
			}
		}
		origin, err := url.Parse(rawURL)
		if err != nil {
			origin = nil // Get reports it
		}
		foreign := append(later[:len(later):len(later)], optionFunc(dropCredentials))
		seen := map[string]bool{}
		next := rawURL
		for n := 0; ; n++ {
			callOpts := opts
			if n > 0 {
				callOpts = later
				if u, err := url.Parse(next); err == nil && origin != nil && shouldStripAuth(origin, u) {
					callOpts = foreign
				}
			}
			resp, err := s.Get(next, callOpts...)
			if err != nil {
				yield(nil, err)
				return
			}
			seen[pageKey(resp.Request.URL)] = true // after redirects
			if u, err := url.Parse(next); err == nil {
				seen[pageKey(u)] = true
			}
			if err := resp.Raise(); err != nil {
				resp.Content() // read and release: the error keeps it
				yield(nil, err)
				return
			}
			link, more := resp.Links()["next"]
			var target *url.URL
			var linkErr error
			if more {
				base, err := url.Parse(resp.URL)
				if err == nil {
					target, err = base.Parse(link.URL)
				}
				if err != nil {
					linkErr = wrapErr(http.MethodGet, resp.Request.URL, ErrInvalidURL,
						fmt.Errorf("next link %q: %w", redactRaw(link.URL), scrubURLError(err)))
				}
			}
			if !yield(resp, nil) || !more {
				return
			}
			switch {
			case linkErr != nil:
				yield(nil, linkErr)
				return
			case seen[pageKey(target)]:
				yield(nil, wrapErr(http.MethodGet, target, ErrPageLoop, fmt.Errorf("next link of %s leads back", redactRaw(resp.URL))))
				return
			case n+1 >= limit:
				yield(nil, wrapErr(http.MethodGet, target, ErrTooManyPages, fmt.Errorf("more than %d pages", limit)))
				return
			}
			next = target.String()
		}
	}
}

// pageKey identifies a page for loop detection: its URL without fragment.
func pageKey(u *url.URL) string {
	v := *u
	v.Fragment, v.RawFragment = "", ""
	return v.String()
}

// dropCredentials keeps a page on another origin free of credentials, as
// a cross-origin redirect strips them: no authentication (the .netrc entry
// of that host still applies, as on a redirect), none of the credential
// headers a redirect drops (credentialHeaders), no Cookies options.
func dropCredentials(c *config) {
	c.Auth = nil
	c.cookies, c.seed = nil, nil
	c.omit = append(slices.Clip(c.omit), credentialHeaders(c)...)
}
