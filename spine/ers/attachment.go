package ers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/internal/httpx"
)

var binaryIDPattern = regexp.MustCompile(`^(att-[0-9A-Za-z-]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$`)

// ValidAttachmentID reports whether id is an attachment id A042 takes: a
// UUID version 4 or a legacy "att-" id.
func ValidAttachmentID(id string) bool { return binaryIDPattern.MatchString(id) }

// Attachment is a downloaded attachment.
type Attachment struct {
	ContentType string
	// Disposition is the Content-Disposition header (the file name).
	Disposition string
	Data        []byte
}

// MaxAttachmentBytes bounds a download.
const MaxAttachmentBytes = 64 << 20

// Attachment runs A042: e-RS answers 307 with a short-lived URL of the
// file store, which is followed at once (the HTTP client drops the
// Authorization header when the store is another host) and never cached
// or reused: the link is single-use.
func (c *Client) Attachment(ctx context.Context, id string) (*Attachment, error) {
	if err := c.check(A042); err != nil {
		return nil, err
	}
	if !ValidAttachmentID(id) {
		return nil, refused(A042, "id", "is not an attachment id")
	}
	k := &call{ep: A042, method: http.MethodGet, path: "/R4/Binary/" + url.PathEscape(id), accept: "*/*"}
	req, err := c.newRequest(ctx, k)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cache-Control", "no-store")
	resp, err := c.http.DoStream(ctx, req)
	if err != nil {
		return nil, c.wrap(A042, err)
	}
	defer resp.Body.Close()
	data, err := httpx.ReadAllLimited(resp.Body, MaxAttachmentBytes)
	if err != nil {
		return nil, fmt.Errorf("ers: A042: reading the attachment: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ers: A042: the file store answered %d", resp.StatusCode)
	}
	return &Attachment{ContentType: resp.Header.Get("Content-Type"), Disposition: resp.Header.Get("Content-Disposition"), Data: data}, nil
}

// ServiceRequest is an R4 ServiceRequest found by UBRN (A041): the id the
// R4 endpoints use for the referral or advice request.
type ServiceRequest struct {
	ID       string
	Version  string
	UBRN     string
	Status   string
	Category string // referral or advice
	Raw      json.RawMessage
}

// ServiceRequests runs A041: the R4 ServiceRequests of a UBRN.
func (c *Client) ServiceRequests(ctx context.Context, ubrn string) ([]ServiceRequest, error) {
	if err := c.check(A041); err != nil {
		return nil, err
	}
	if !ValidUBRN(ubrn) {
		return nil, refused(A041, "identifier", "UBRN is not 12 digits")
	}
	resp, err := c.do(ctx, &call{ep: A041, method: http.MethodGet, path: "/R4/ServiceRequest", query: url.Values{"identifier": {"https://fhir.nhs.uk/Id/UBRN|" + ubrn}}})
	if err != nil {
		return nil, err
	}
	b, err := decodeR4[*fhir.Bundle](resp.Body, "Bundle", nil)
	if err != nil {
		return nil, fmt.Errorf("ers: A041: %w", err)
	}
	out := []ServiceRequest{}
	for i, e := range b.Entry {
		r, ok := e.Resource.(*fhir.ServiceRequest)
		if !ok {
			return nil, fmt.Errorf("ers: A041: entry[%d] is not a ServiceRequest", i)
		}
		raw, err := fhir.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("ers: A041: entry[%d]: %w", i, err)
		}
		s := ServiceRequest{ID: r.ID.Value, Status: r.Status.Value, Raw: raw}
		if r.Meta != nil {
			s.Version = r.Meta.VersionID.Value
		}
		for _, id := range r.Identifier {
			if id.System.Value == "https://fhir.nhs.uk/Id/UBRN" {
				s.UBRN = id.Value.Value
			}
		}
		if len(r.Category) > 0 {
			s.Category = firstCodeR4(&r.Category[0])
		}
		out = append(out, s)
	}
	return out, nil
}
