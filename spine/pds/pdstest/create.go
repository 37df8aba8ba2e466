package pdstest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/nhsid"
)

// createMembers are the members a creation request may carry
// (PatientCreateRequest.yaml: additionalProperties false).
var createMembers = map[string]bool{
	"resourceType": true, "name": true, "gender": true, "birthDate": true,
	"address": true, "telecom": true, "extension": true,
}

// create answers POST /Patient: 201 with a new record and NHS number, or
// 200 SINGLE_MATCH / MULTIPLE_MATCHES when patients with the same
// demographics exist.
func (s *Server) create(w responseWriter, r *http.Request, dropAfter bool) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/fhir+json") {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+ct+"' in header 'Content-Type'")
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		w.error(http.StatusBadRequest, "structure", "INVALID_VALUE", "Invalid value - the body is not a JSON object")
		return
	}
	for k := range doc {
		if !createMembers[k] {
			w.error(http.StatusBadRequest, "structure", "ADDITIONAL_PROPERTIES", "Invalid update with error - Update unsupported for resource - '"+k+"'")
			return
		}
	}
	if rt, ok := doc["resourceType"]; ok && rt != "Patient" {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - resourceType must be 'Patient'")
		return
	}
	for _, k := range []string{"name", "gender", "birthDate", "address", "extension"} {
		if v, ok := doc[k]; !ok || v == nil {
			w.error(http.StatusBadRequest, "required", "MISSING_VALUE", "Missing value - '"+k+"'")
			return
		}
	}
	if len(objs(doc["name"])) != 1 {
		w.error(http.StatusBadRequest, "value", "TOO_MANY_VALUES_SUBMITTED", "Invalid value - exactly one name is allowed")
		return
	}
	if g, _ := doc["gender"].(string); !genders[g] {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - gender")
		return
	}
	if b, _ := doc["birthDate"].(string); !validDate(b) {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - birthDate")
		return
	}
	doc["resourceType"] = "Patient"
	// The body must be a Patient as FHIR defines it (the published example
	// carries an extension this module's UK Core check does not know, so
	// only the structure is checked).
	if data, _ := json.Marshal(doc); fhirUnmarshal(data) != nil {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - the body is not a valid Patient")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch n := s.duplicates(doc); {
	case n == 1:
		w.error(http.StatusOK, "structure", "SINGLE_MATCH", "Unable to create new patient. Single match found for supplied demographic data.")
		return
	case n > 1:
		w.error(http.StatusOK, "structure", "MULTIPLE_MATCHES", "Unable to create new patient. Multiple matches found for supplied demographic data.")
		return
	}
	nhs := s.allocate()
	doc["id"] = string(nhs)
	doc["identifier"] = []any{map[string]any{
		"system": "https://fhir.nhs.uk/Id/nhs-number", "value": string(nhs),
		"extension": []any{map[string]any{
			"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
			"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
				"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "01", "display": "Number present and verified",
			}}},
		}},
	}}
	doc["meta"] = map[string]any{"versionId": "1", "security": []any{map[string]any{
		"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "U", "display": "unrestricted",
	}}}
	// New list items get their ids, as PDS generates them.
	for _, list := range []string{"name", "address", "telecom"} {
		for i, item := range objs(doc[list]) {
			if _, ok := item["id"]; !ok {
				item["id"] = strings.ToUpper(list[:1]) + strconv.Itoa(i+1)
			}
		}
	}
	rec := &record{doc: doc, version: 1}
	s.patients[string(nhs)] = rec
	s.stats.Creates++
	out, _ := json.Marshal(view(rec))
	h := http.Header{"Etag": {`W/"1"`}, "Location": {s.URL + "/Patient/" + string(nhs)}}
	s.remember(r, raw, http.StatusCreated, h, out)
	if dropAfter {
		fake.Drop(w)
		return
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.send(http.StatusCreated, out)
}

// duplicates counts the stored patients with the same current family
// name, first given name, gender, birth date and home postcode as doc.
// The caller holds s.mu.
func (s *Server) duplicates(doc map[string]any) int {
	q := searchQuery{day: s.clock().UTC().Format("2006-01-02")}
	name := objs(doc["name"])[0]
	q.family = firstStr(name["family"])
	q.given = strs(name["given"])
	if len(q.given) > 1 {
		q.given = q.given[:1]
	}
	q.gender, _ = doc["gender"].(string)
	bd, _ := doc["birthDate"].(string)
	q.birth = []dateBound{{"eq", bd}}
	for _, a := range objs(doc["address"]) {
		if pc := firstStr(a["postalCode"]); pc != "" {
			q.postcode = pc
			break
		}
	}
	n := 0
	for id, rec := range s.patients {
		if s.invalid[id] {
			continue
		}
		if _, ok := s.match(rec.doc, q); ok {
			n++
		}
	}
	return n
}

func fhirUnmarshal(data []byte) error {
	_, err := fhir.Unmarshal(data)
	return err
}

// allocate returns an unused NHS number in the 999 test range. The caller
// holds s.mu.
func (s *Server) allocate() nhsid.NHSNumber {
	for {
		s.nextNHS++
		n := nhsid.NHSNumber(strconv.FormatInt(s.nextNHS, 10))
		base := strconv.FormatInt(s.nextNHS, 10)
		for d := 0; d <= 9; d++ {
			n = nhsid.NHSNumber(base + strconv.Itoa(d))
			if n.Valid() {
				break
			}
		}
		if !n.Valid() {
			continue
		}
		if _, used := s.patients[string(n)]; used {
			continue
		}
		if _, used := s.superseded[string(n)]; used {
			continue
		}
		return n
	}
}
