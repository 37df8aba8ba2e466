package gpconnecttest

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
)

// document is one of a patient's documents: its metadata and content.
type document struct {
	ref     stu3.DocumentReference
	patient string // the patient's logical id
	binary  stu3.Binary
}

func (s *Server) addDocument(patientID, title, contentType string, content []byte, created string) string {
	n := strconv.Itoa(len(s.docs) + 1)
	d := &document{patient: patientID}
	d.binary = stu3.Binary{ID: stu3.ID{Value: "doc-" + n}, Meta: &stu3.Meta{VersionID: stu3.ID{Value: "1"}}, ContentType: code(contentType)}
	d.binary.SetData(content)
	d.ref = stu3.DocumentReference{
		ID:          stu3.ID{Value: "docref-" + n},
		Meta:        &stu3.Meta{VersionID: stu3.ID{Value: "1"}, Profile: []stu3.URI{uri("https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DocumentReference-1")}},
		Status:      code("current"),
		Type:        &stu3.CodeableConcept{Text: str(title)},
		Subject:     stu3.NewReference("Patient", patientID),
		Created:     stu3.DateTime{Value: created},
		Indexed:     stu3.Instant{Value: created + "T09:00:00+00:00"},
		Author:      []stu3.Reference{*stu3.NewReference("Organization", "1")},
		Custodian:   stu3.NewReference("Organization", "1"),
		Description: str(title),
		Content: []stu3.DocumentReferenceContent{{Attachment: &stu3.Attachment{
			ContentType: code(contentType), Size: stu3.UnsignedInt{Value: int64(len(content)), Set: true}, Title: str(title),
			// The URL is completed with the base when served.
			URL: uri("/Binary/" + d.binary.ID.Value),
		}}},
	}
	s.docs = append(s.docs, d)
	return d.binary.ID.Value
}

// AddDocument adds a document to a registered patient's record and
// returns the id of its Binary. created is YYYY-MM-DD.
func (s *Server) AddDocument(nhs nhsid.NHSNumber, title, contentType string, content []byte, created string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byNHS[nhs]
	if !ok {
		return "", false
	}
	return s.addDocument(id, title, contentType, append([]byte(nil), content...), created), true
}

// searchDocuments is the Access Document search: the mandatory _include
// values, a patient who exists and consents, and the created bounds.
func (s *Server) searchDocuments(w http.ResponseWriter, r *http.Request, rest string) {
	pid := strings.TrimSuffix(strings.TrimPrefix(rest, "/Patient/"), "/DocumentReference")
	q := r.URL.Query()
	invalid := func(why string) {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", why)
	}
	for _, inc := range gpconnect.DocumentIncludes {
		if !contains(q["_include"], inc) {
			invalid("_include=" + inc + " is required")
			return
		}
	}
	if q.Get("_revinclude:recurse") != "PractitionerRole:practitioner" {
		invalid("_revinclude:recurse=PractitionerRole:practitioner is required")
		return
	}
	var from, to string
	for _, c := range q["created"] {
		v := c
		if len(v) < 2 {
			invalid("created must be ge or le followed by a date")
			return
		}
		if _, err := time.Parse(time.DateOnly, v[2:]); err != nil {
			invalid("created must be ge or le followed by a date")
			return
		}
		switch v[:2] {
		case "ge":
			from = v[2:]
		case "le":
			to = v[2:]
		default:
			invalid("created must be ge or le followed by a date")
			return
		}
	}
	if a := q.Get("author"); a != "" {
		if sys, _, _ := strings.Cut(a, "|"); sys != gpconnect.SystemODSCode {
			invalid("author must be an ODS code")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.patients[pid]
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", "Patient record not found", "no patient with that id")
		return
	}
	if !p.consent {
		writeError(w, http.StatusForbidden, "forbidden", "NO_PATIENT_CONSENT", "No patient consent to share", "the patient has dissented from sharing their record")
		return
	}
	entries := []stu3.Resource{&p.res, s.org}
	for _, d := range s.docs {
		if d.patient != pid || (from != "" && d.ref.Created.Value < from) || (to != "" && d.ref.Created.Value > to) {
			continue
		}
		if t := q.Get("description"); t != "" && !strings.Contains(strings.ToLower(d.ref.Description.Value), strings.ToLower(t)) {
			continue
		}
		ref := d.ref
		att := *ref.Content[0].Attachment
		att.URL = uri(s.URL + att.URL.Value)
		ref.Content = []stu3.DocumentReferenceContent{{Attachment: &att}}
		entries = append(entries, &ref)
	}
	writeResource(w, http.StatusOK, bundle(entries...))
}

func (s *Server) retrieveDocument(w http.ResponseWriter, r *http.Request, rest string) {
	id := lastSegment(rest)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.docs {
		if d.binary.ID.Value == id && s.patients[d.patient].consent {
			writeResource(w, http.StatusOK, &d.binary)
			return
		}
	}
	writeError(w, http.StatusNotFound, "not-found", "NO_RECORD_FOUND", "No record found", "no document with that id")
}

func (s *Server) documentsMetadata(w http.ResponseWriter, r *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "CapabilityStatement",
		"version":      "1.0.0",
		"name":         "GP Connect - Access Document",
		"status":       "active",
		"date":         "2026-11-01",
		"kind":         "instance",
		"fhirVersion":  "3.0.1",
		"format":       []string{"application/fhir+json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"resource": []any{
				map[string]any{"type": "Patient", "interaction": []any{map[string]string{"code": "search-type"}}},
				map[string]any{"type": "DocumentReference", "interaction": []any{map[string]string{"code": "search-type"}},
					"searchParam": []any{
						map[string]string{"name": "created", "type": "date"},
						map[string]string{"name": "facility", "type": "token"},
						map[string]string{"name": "author", "type": "token"},
						map[string]string{"name": "type", "type": "token"},
						map[string]string{"name": "description", "type": "string"},
					}},
				map[string]any{"type": "Binary", "interaction": []any{map[string]string{"code": "read"}}},
			},
		}},
	})
}
