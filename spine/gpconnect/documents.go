package gpconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
)

// Access Document (access_documents_development_search_patient_documents,
// access_documents_development_retrieve_patient_documents): a Client whose
// BaseURL is the practice's Access Document endpoint (found in SDS under
// InteractionSearchDocuments) finds the patient, searches their documents'
// metadata and retrieves a document's content. Documents are
// stu3.DocumentReference values as CareConnect-GPC-DocumentReference-1
// profiles them; DocumentReference.BinaryID names the Binary to retrieve.

// DocumentQuery narrows a document search; the zero value finds every
// document of the patient.
type DocumentQuery struct {
	// CreatedFrom and CreatedTo bound DocumentReference.created (whole
	// dates; either may be zero).
	CreatedFrom, CreatedTo time.Time
	// Type is a document type token (system|code); Description matches the
	// title; AuthorODS is the authoring organisation's ODS code.
	Type        string
	Description string
	AuthorODS   nhsid.ODSCode
}

// DocumentSearchResult is a document search's documents with the
// organisations and practitioners they refer to, by logical id.
type DocumentSearchResult struct {
	Documents     []stu3.DocumentReference
	Patient       *stu3.Patient
	Organizations map[string]*stu3.Organization
	Practitioners map[string]*stu3.Practitioner
}

// FindDocumentsPatient is FindPatient on the Access Document endpoint
// (its own interaction id).
func (c *Client) FindDocumentsPatient(ctx context.Context, nhs nhsid.NHSNumber) (*stu3.Patient, error) {
	return c.findPatient(ctx, nhs, InteractionDocumentsSearchPatient)
}

// DocumentsMetadata returns the Access Document endpoint's
// CapabilityStatement as JSON.
func (c *Client) DocumentsMetadata(ctx context.Context) (json.RawMessage, error) {
	resp, err := c.do(ctx, http.MethodGet, "/metadata", InteractionDocumentsMetadata, ScopeOrganizationRead, nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// SearchDocuments searches the documents of the patient with logical id
// patientID (from FindDocumentsPatient), sending every _include the
// specification requires. A patient who dissented matches
// ErrNoPatientConsent.
func (c *Client) SearchDocuments(ctx context.Context, patientID string, q DocumentQuery) (*DocumentSearchResult, error) {
	if patientID == "" {
		return nil, fmt.Errorf("gpconnect: search documents: empty patient id")
	}
	if !q.CreatedFrom.IsZero() && !q.CreatedTo.IsZero() && q.CreatedTo.Before(q.CreatedFrom) {
		return nil, fmt.Errorf("gpconnect: search documents: created range ends before it starts")
	}
	v := url.Values{}
	for _, inc := range DocumentIncludes {
		v.Add("_include", inc)
	}
	v.Set("_revinclude:recurse", "PractitionerRole:practitioner")
	if !q.CreatedFrom.IsZero() {
		v.Add("created", "ge"+q.CreatedFrom.Format(time.DateOnly))
	}
	if !q.CreatedTo.IsZero() {
		v.Add("created", "le"+q.CreatedTo.Format(time.DateOnly))
	}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if q.Description != "" {
		v.Set("description", q.Description)
	}
	if q.AuthorODS != "" {
		v.Set("author", SystemODSCode+"|"+string(q.AuthorODS))
	}
	resp, err := c.do(ctx, http.MethodGet, "/Patient/"+url.PathEscape(patientID)+"/DocumentReference?"+v.Encode(), InteractionSearchDocuments, ScopePatientRead, nil, "")
	if err != nil {
		return nil, err
	}
	b, err := decode[*stu3.Bundle](resp, InteractionSearchDocuments, "bundle")
	if err != nil {
		return nil, err
	}
	res := &DocumentSearchResult{Organizations: map[string]*stu3.Organization{}, Practitioners: map[string]*stu3.Practitioner{}}
	for _, e := range b.Entry {
		switch r := e.Resource.(type) {
		case *stu3.DocumentReference:
			res.Documents = append(res.Documents, *r)
		case *stu3.Patient:
			res.Patient = r
		case *stu3.Organization:
			res.Organizations[r.ID.Value] = r
		case *stu3.Practitioner:
			res.Practitioners[r.ID.Value] = r
		}
	}
	return res, nil
}

// DocumentIncludes are the _include values a document search must send.
var DocumentIncludes = []string{
	"DocumentReference:subject:Patient",
	"DocumentReference:custodian:Organization",
	"DocumentReference:author:Organization",
	"DocumentReference:author:Practitioner",
}

// RetrieveDocument returns the Binary with logical id binaryID
// (DocumentReference.BinaryID): its content type, and its content that
// Binary.Data decodes. An unknown id matches ErrNoRecordFound.
func (c *Client) RetrieveDocument(ctx context.Context, binaryID string) (*stu3.Binary, error) {
	return read[*stu3.Binary](ctx, c, "Binary", binaryID, InteractionRetrieveDocument, ScopePatientRead)
}
