package pds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/spine"
)

// The codes of a creation PDS refused because the patient may already have
// a record (a 200 answer carrying an OperationOutcome): search for them
// instead of creating a duplicate.
const (
	ErrSingleMatch     = spine.ErrorCode("SINGLE_MATCH")
	ErrMultipleMatches = spine.ErrorCode("MULTIPLE_MATCHES")
)

// ErrInvalidMethod is matched (errors.Is) by the 403 the platform answers
// to an update or a creation made without a healthcare worker's token.
const ErrInvalidMethod = spine.ErrorCode("INVALID_METHOD")

// Create asks PDS to create a record for a new patient and allocate them
// an NHS number (POST /Patient), and returns the new record. Use it only
// after a search found no NHS number; it needs healthcare worker access.
// p carries the demographics PDS asks for: one name, gender, birth date,
// address and the registering authority extension; its id, meta and
// identifiers are not sent. When PDS finds the patient may already exist
// it creates nothing and Create returns an *spine.APIError with status 200
// matching ErrSingleMatch or ErrMultipleMatches. Like Update, the request
// is re-sent only with the same X-Request-ID, so at most one record is
// created.
func (c *Client) Create(ctx context.Context, p *fhir.Patient) (*Patient, error) {
	if p == nil {
		return nil, errors.New("pds: nil patient")
	}
	data, err := fhir.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("pds: encoding the patient: %w", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("pds: encoding the patient: %w", err)
	}
	for _, k := range []string{"id", "meta", "identifier"} {
		delete(doc, k)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("pds: encoding the patient: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/Patient", body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	c.write(req)
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusCreated {
		// 200: not created; the body is an OperationOutcome.
		e := spine.ParseAPIError(resp.StatusCode, resp.Header, resp.Body, resp.RequestID)
		e.CorrelationID, e.Attempts = resp.CorrelationID, resp.Attempts
		if e.Code == "" {
			return nil, fmt.Errorf("pds: creation answered %d without a record or an outcome", resp.StatusCode)
		}
		return nil, e
	}
	return c.patient(resp, "")
}
