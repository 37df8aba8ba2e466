package gpconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

// Access Document (access_documents_development_search_patient_documents,
// access_documents_development_retrieve_patient_documents): a Client whose
// BaseURL is the practice's Access Document endpoint (found in SDS under
// InteractionSearchDocuments) finds the patient, searches their documents'
// metadata and retrieves a document's content.

// DocumentReference is an STU3 DocumentReference as
// CareConnect-GPC-DocumentReference-1 profiles it (the elements a consumer
// needs to list and retrieve documents).
type DocumentReference struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	Status       string            `json:"status,omitempty"`
	Type         *CodeableConcept  `json:"type,omitempty"`
	Subject      *Reference        `json:"subject,omitempty"`
	Created      string            `json:"created,omitempty"`
	Indexed      string            `json:"indexed,omitempty"`
	Author       []Reference       `json:"author,omitempty"`
	Custodian    *Reference        `json:"custodian,omitempty"`
	Description  string            `json:"description,omitempty"`
	Content      []DocumentContent `json:"content,omitempty"`
}

// DocumentContent is one DocumentReference.content.
type DocumentContent struct {
	Attachment Attachment `json:"attachment"`
}

// Attachment describes a document's content: its type, size, title and
// the URL of the Binary to retrieve.
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	URL         string `json:"url,omitempty"`
	Size        int64  `json:"size,omitempty"`
	Title       string `json:"title,omitempty"`
}

// BinaryID returns the logical id of the Binary a document's first
// attachment points at ([base]/Binary/[id]), or "".
func (d *DocumentReference) BinaryID() string {
	for _, c := range d.Content {
		if i := strings.LastIndex(c.Attachment.URL, "/Binary/"); i >= 0 {
			return strings.TrimSuffix(c.Attachment.URL[i+len("/Binary/"):], "/")
		}
	}
	return ""
}

// Binary is a retrieved document: its content type and bytes (decoded
// from the resource's base64 content).
type Binary struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id,omitempty"`
	Meta         *Meta  `json:"meta,omitempty"`
	ContentType  string `json:"contentType"`
	Content      []byte `json:"content"`
}

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
	Documents     []DocumentReference
	Patient       *Patient
	Organizations map[string]*Organization
	Practitioners map[string]*Practitioner
}

// FindDocumentsPatient is FindPatient on the Access Document endpoint
// (its own interaction id).
func (c *Client) FindDocumentsPatient(ctx context.Context, nhs nhsid.NHSNumber) (*Patient, error) {
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
	b, err := decode[Bundle](resp, InteractionSearchDocuments, "bundle")
	if err != nil {
		return nil, err
	}
	res := &DocumentSearchResult{Organizations: map[string]*Organization{}, Practitioners: map[string]*Practitioner{}}
	for i, e := range b.Entry {
		var err error
		switch e.ResourceType() {
		case "DocumentReference":
			var d DocumentReference
			if err = json.Unmarshal(e.Resource, &d); err == nil {
				res.Documents = append(res.Documents, d)
			}
		case "Patient":
			var p Patient
			if err = json.Unmarshal(e.Resource, &p); err == nil {
				res.Patient = &p
			}
		case "Organization":
			err = unmarshalInto(e.Resource, res.Organizations)
		case "Practitioner":
			err = unmarshalInto(e.Resource, res.Practitioners)
		}
		if err != nil {
			return nil, fmt.Errorf("gpconnect: search documents: bundle entry %d: %w", i, err)
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
// (DocumentReference.BinaryID); an unknown id matches ErrNoRecordFound.
func (c *Client) RetrieveDocument(ctx context.Context, binaryID string) (*Binary, error) {
	return read[Binary](ctx, c, "Binary", binaryID, InteractionRetrieveDocument, ScopePatientRead)
}
