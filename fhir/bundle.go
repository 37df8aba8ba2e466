package fhir

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"iter"
	"strings"
)

// NewUUID returns a random (version 4) UUID as a urn:uuid: URI, the form a
// transaction Bundle uses for the fullUrl of a resource it creates.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewTransaction returns an empty transaction Bundle: its entries succeed
// or fail together.
func NewTransaction() *Bundle { return &Bundle{Type: Code{Value: "transaction"}} }

// NewBatch returns an empty batch Bundle: its entries are processed
// independently.
func NewBatch() *Bundle { return &Bundle{Type: Code{Value: "batch"}} }

// AddCreate adds a POST of r with a fresh urn:uuid: fullUrl, which it
// returns for other entries to reference. ifNoneExist, when not empty, makes
// the create conditional (a search query such as
// "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018").
func (b *Bundle) AddCreate(r Resource, ifNoneExist string) string {
	full := NewUUID()
	req := &BundleEntryRequest{Method: Code{Value: "POST"}, URL: URI{Value: r.ResourceType()}}
	if ifNoneExist != "" {
		req.IfNoneExist = String{Value: ifNoneExist}
	}
	b.Entry = append(b.Entry, BundleEntry{FullURL: URI{Value: full}, Resource: r, Request: req})
	return full
}

// AddUpdate adds a PUT of r to Type/id (r must have an id); ifMatch, when
// not empty, is the version the update expects (W/"3").
func (b *Bundle) AddUpdate(r Resource, ifMatch string) error {
	id := r.resourceID()
	if id == "" {
		return errors.New("fhir: an update entry needs a resource with an id")
	}
	req := &BundleEntryRequest{Method: Code{Value: "PUT"}, URL: URI{Value: r.ResourceType() + "/" + id}}
	if ifMatch != "" {
		req.IfMatch = String{Value: ifMatch}
	}
	b.Entry = append(b.Entry, BundleEntry{FullURL: URI{Value: r.ResourceType() + "/" + id}, Resource: r, Request: req})
	return nil
}

// Resolve finds the resource a reference points to, as ResolveFrom does
// for a reference made outside any entry.
func (b *Bundle) Resolve(ref string) Resource { return b.ResolveFrom("", ref) }

// ResolveFrom finds the entry's resource a reference made by the entry
// with fullUrl from points to (https://hl7.org/fhir/R4/bundle.html#references):
// an absolute reference (http…, urn:uuid:, urn:oid:) matches a fullUrl; a
// relative Type/id is first made absolute against the RESTful base of from
// (https://example.org/fhir/Patient/1 gives https://example.org/fhir), and
// otherwise matches an entry whose fullUrl ends with it or whose resource
// has that type and id. A versioned reference (…/_history/2) matches only
// a resource whose meta.versionId is that version. It returns nil when the
// Bundle does not hold the resource.
func (b *Bundle) ResolveFrom(from, ref string) Resource {
	if ref == "" || strings.HasPrefix(ref, "#") {
		return nil
	}
	target, version := ref, ""
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		target, version = ref[:i], ref[i+len("/_history/"):]
	}
	versionOK := func(r Resource) bool {
		if version == "" {
			return true
		}
		m := r.resourceMeta()
		return m != nil && m.VersionID.Value == version
	}
	if !absoluteRef(target) {
		typ, id, ok := strings.Cut(target, "/")
		if !ok || typ == "" || id == "" || strings.Contains(id, "/") {
			return nil
		}
		if base, ok := restBase(from); ok {
			target = base + "/" + target
		} else {
			for i := range b.Entry {
				e := &b.Entry[i]
				if e.Resource == nil || !versionOK(e.Resource) {
					continue
				}
				if strings.HasSuffix(e.FullURL.Value, "/"+typ+"/"+id) || e.FullURL.Value == target ||
					e.Resource.ResourceType() == typ && e.Resource.resourceID() == id {
					return e.Resource
				}
			}
			return nil
		}
	}
	for i := range b.Entry {
		e := &b.Entry[i]
		if e.Resource != nil && e.FullURL.Value == target && versionOK(e.Resource) {
			return e.Resource
		}
	}
	return nil
}

func absoluteRef(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "urn:")
}

// restBase returns the service base of a RESTful fullUrl
// ([base]/[Type]/[id]), or false for a urn: or other fullUrl.
func restBase(fullURL string) (string, bool) {
	if !strings.Contains(fullURL, "://") {
		return "", false
	}
	u := fullURL
	if i := strings.Index(u, "/_history/"); i >= 0 {
		u = u[:i]
	}
	j := strings.LastIndexByte(u, '/')
	if j < 0 {
		return "", false
	}
	k := strings.LastIndexByte(u[:j], '/')
	if k < 0 || j-k < 2 || u[k+1] < 'A' || u[k+1] > 'Z' {
		return "", false
	}
	return u[:k], true
}

// Matches returns the resources of a searchset that matched the search
// (search.mode "match", or no mode), leaving out _include-d ones and
// OperationOutcomes.
func (b *Bundle) Matches() []Resource {
	var out []Resource
	for i := range b.Entry {
		e := &b.Entry[i]
		if e.Resource == nil {
			continue
		}
		mode := ""
		if e.Search != nil {
			mode = e.Search.Mode.Value
		}
		if mode == "match" || mode == "" && e.Resource.ResourceType() != "OperationOutcome" {
			out = append(out, e.Resource)
		}
	}
	return out
}

// Includes returns the resources a searchset holds because of _include or
// _revinclude (search.mode "include").
func (b *Bundle) Includes() []Resource {
	var out []Resource
	for i := range b.Entry {
		e := &b.Entry[i]
		if e.Resource != nil && e.Search != nil && e.Search.Mode.Value == "include" {
			out = append(out, e.Resource)
		}
	}
	return out
}

// LinkURL returns the URL of the Bundle's link with the relation ("next",
// "self", …), or "".
func (b *Bundle) LinkURL(relation string) string {
	for _, l := range b.Link {
		if l.Relation.Value == relation {
			return l.URL.Value
		}
	}
	return ""
}

// FetchFunc fetches the Bundle at a URL: a searchset's next page.
type FetchFunc func(ctx context.Context, url string) (*Bundle, error)

// MaxPages bounds how many pages AllMatches follows, so that a server whose
// next links loop cannot keep a caller forever.
const MaxPages = 10000

// AllMatches yields the matching resources of a searchset and of every
// page after it, fetching next links with fetch. It stops at the first
// error, which it yields.
func AllMatches(ctx context.Context, first *Bundle, fetch FetchFunc) iter.Seq2[Resource, error] {
	return func(yield func(Resource, error) bool) {
		page := first
		seen := map[string]bool{}
		for n := 0; page != nil; n++ {
			for _, r := range page.Matches() {
				if !yield(r, nil) {
					return
				}
			}
			next := page.LinkURL("next")
			if next == "" {
				return
			}
			if seen[next] || n+1 >= MaxPages {
				yield(nil, fmt.Errorf("fhir: searchset next links loop or exceed %d pages", MaxPages))
				return
			}
			seen[next] = true
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			var err error
			page, err = fetch(ctx, next)
			if err != nil {
				yield(nil, err)
				return
			}
		}
	}
}
