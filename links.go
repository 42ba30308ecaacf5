package requests

import "github.com/go-requests/requests/internal/linkheader"

// Link is one link of a response's Link header (RFC 8288), as requests
// gives it in r.links.
type Link struct {
	// URL is the target as written between < and >, not resolved against
	// the response's URL (as in requests).
	URL string
	// Rel is the rel parameter, e.g. "next", or "start index" for a link
	// with two relation types. It is "" when the link has none.
	Rel string
	// Params holds every parameter, rel included, by lowercase name, with
	// quoted values unquoted and a parameter without value mapped to "".
	// It is nil when the link has no parameters.
	Params map[string]string
}

// Links returns the links of the Link headers keyed by rel, or by URL for
// a link without one (requests' r.links): resp.Links()["next"].URL follows
// a paginated API. Several headers and comma-separated links are all read;
// of two links with the same key the later wins. It is empty, not nil, when
// there is no Link header.
func (r *Response) Links() map[string]Link {
	byRel := linkheader.ByRel(linkheader.Parse(r.Headers.Values("Link")...))
	links := make(map[string]Link, len(byRel))
	for k, l := range byRel {
		links[k] = Link{URL: l.URL, Rel: l.Rel, Params: l.Params}
	}
	return links
}
