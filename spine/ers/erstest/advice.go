package erstest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

type advice struct {
	UBRN       string
	Version    int
	Patient    string
	Priority   string
	Specialty  string
	Service    string
	Authorised bool
	Referrer   string
	Request    string
	Created    time.Time
	Category   string
	Messages   []message
}

type message struct {
	SentBy string
	Sent   time.Time
	Text   string
}

func (s *Server) adviceJSON(a *advice) map[string]any {
	auth := "NOT_AUTHORISED_TO_CONVERT"
	if a.Authorised {
		auth = "AUTHORISED_TO_CONVERT"
	}
	return map[string]any{
		"resourceType": "CommunicationRequest",
		"id":           a.UBRN,
		"meta":         map[string]any{"versionId": strconv.Itoa(a.Version), "profile": []string{ext + "eRS-CommunicationRequest-1"}},
		"extension": []any{
			map[string]any{"url": ext + "Extension-eRS-ReferralPriority-1", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1", Code: a.Priority}}}},
			map[string]any{"url": ext + "Extension-eRS-ProviderConversionAuthorisation-1", "valueCoding": coding{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ProviderConversionAuthorisation-1", Code: auth}},
			map[string]any{"url": ext + "Extension-eRS-Specialty-1", "valueCoding": coding{System: s.URL + "/STU3/CodeSystem/SPECIALTY", Code: a.Specialty}},
		},
		"status":     "active",
		"subject":    ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/nhs-number", Value: a.Patient}},
		"recipient":  []ref{{Identifier: &ident{System: "http://fhir.nhs.net/Id/ers-service", Value: a.Service}}},
		"authoredOn": a.Created.UTC().Format(time.RFC3339Nano),
	}
}

func (s *Server) createAdvice(w http.ResponseWriter, r *http.Request, _ string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	pt := p.get("patient")
	if pt == nil || pt.ValueIdentifier == nil || !nhsid.NHSNumber(pt.ValueIdentifier.Value).Valid() {
		unprocessable(w, "INVALID_VALUE", "'patient' is missing or not a valid NHS number")
		return
	}
	if q := p.get("request"); q == nil || q.ValueString == nil || strings.TrimSpace(*q.ValueString) == "" {
		unprocessable(w, "MISSING_VALUE", "'request' is required")
		return
	}
	if r.Header.Get("NHSD-eRS-Business-Function") == rca && p.get("referringClinician") == nil {
		unprocessable(w, "MISSING_VALUE", "'referringClinician' is required of a REFERRING_CLINICIAN_ADMIN")
		return
	}
	a := &advice{Patient: pt.ValueIdentifier.Value, Request: *p.get("request").ValueString, Referrer: r.Header.Get("NHSD-End-User-Organisation-ODS"), Version: 1, Created: time.Now(), Category: "PROVIDER_RESPONSE_REQUIRED"}
	a.Messages = []message{{SentBy: "REQUESTER", Sent: a.Created, Text: a.Request}}
	if x := p.get("providerConversionAuthorisation"); x != nil && x.ValueCoding != nil {
		a.Authorised = x.ValueCoding.Code == "AUTHORISED_TO_CONVERT"
	}
	var list struct {
		Contained []json.RawMessage `json:"contained"`
		Entry     []struct {
			Item ref `json:"item"`
		} `json:"entry"`
	}
	sl := p.get("shortlist")
	if sl == nil || json.Unmarshal(sl.Resource, &list) != nil || len(list.Entry) != 1 || list.Entry[0].Item.Identifier == nil {
		unprocessable(w, "INVALID_VALUE", "'shortlist' must hold one advice service")
		return
	}
	a.Service = list.Entry[0].Item.Identifier.Value
	for _, c := range list.Contained {
		var crit parameters
		if json.Unmarshal(c, &crit) == nil {
			if x := crit.get("priority"); x != nil && x.ValueCoding != nil {
				a.Priority = x.ValueCoding.Code
			}
			if x := crit.get("specialty"); x != nil && x.ValueCoding != nil {
				a.Specialty = x.ValueCoding.Code
			}
		}
	}
	s.mu.Lock()
	if s.services[a.Service] == nil {
		s.mu.Unlock()
		unprocessable(w, "REFERENCE_NOT_FOUND", "'Shortlist/Service Id' ("+a.Service+") does not exist")
		return
	}
	a.UBRN = strconv.Itoa(s.nextUBRN)
	s.nextUBRN++
	s.advice[a.UBRN] = a
	doc := s.adviceJSON(a)
	s.mu.Unlock()
	// A044 answers 200, not 201 (a044-create-advice-and-guidance-request.yaml).
	w.Header().Set("ETag", `W/"1"`)
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "Parameters",
		"meta":         map[string]any{"profile": []string{ext + "eRS-CreateAdviceAndGuidance-Response-Parameters-1"}},
		"parameter":    []any{map[string]any{"name": "createdCommunicationRequest", "resource": doc}},
	})
}

func (s *Server) getAdvice(w http.ResponseWriter, r *http.Request, id string) {
	version := 0
	if i := strings.Index(id, "/_history/"); i >= 0 {
		v, err := strconv.Atoi(id[i+len("/_history/"):])
		if err != nil {
			writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "version is not a number")
			return
		}
		id, version = id[:i], v
	}
	s.mu.Lock()
	a, ok := s.advice[id]
	var doc map[string]any
	if ok && (version == 0 || version == a.Version) {
		doc = s.adviceJSON(a)
	}
	s.mu.Unlock()
	if doc == nil {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such advice request or version")
		return
	}
	w.Header().Set("ETag", `W/"`+strconv.Itoa(a.Version)+`"`)
	writeJSON(w, http.StatusOK, doc)
}

func (s *Server) adviceOverview(w http.ResponseWriter, r *http.Request, ubrn string) {
	s.mu.Lock()
	_, ok := s.advice[ubrn]
	s.mu.Unlock()
	if !ok {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such advice request")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	_, _ = io.WriteString(w, "%PDF-1.4\n% erstest advice and guidance overview\n%%EOF\n")
}

// adviceWorklist answers A023: the open requests to services of the
// caller's organisation.
func (s *Server) adviceWorklist(w http.ResponseWriter, r *http.Request, _ string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	lt := p.get("listType")
	if lt == nil || lt.ValueCodeableConcept == nil || len(lt.ValueCodeableConcept.Coding) == 0 || lt.ValueCodeableConcept.Coding[0].Code != "ADVICE_AND_GUIDANCE_REQUESTS" {
		unprocessable(w, "INVALID_CODE", "'listType' must be ADVICE_AND_GUIDANCE_REQUESTS")
		return
	}
	org := r.Header.Get("NHSD-End-User-Organisation-ODS")
	entries := []any{}
	s.mu.Lock()
	for _, u := range sortedKeys(s.advice) {
		a := s.advice[u]
		svc := s.services[a.Service]
		if svc == nil || (org != "" && string(svc.Provider) != org) || a.Category != "PROVIDER_RESPONSE_REQUIRED" {
			continue
		}
		x := []any{
			map[string]any{"url": "priority", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1", Code: a.Priority}}}},
			map[string]any{"url": "specialty", "valueCodeableConcept": concept{Coding: []coding{{System: s.URL + "/STU3/CodeSystem/SPECIALTY", Code: a.Specialty}}}},
			map[string]any{"url": "patient", "valueReference": ref0id("http://fhir.nhs.net/Id/nhs-number", a.Patient, "")},
			map[string]any{"url": "category", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-AdviceAndGuidanceStatus-1", Code: a.Category}}}},
			map[string]any{"url": "adviceFirstRequested", "valueDateTime": a.Created.UTC().Format(time.RFC3339Nano)},
			map[string]any{"url": "adviceLastUpdated", "valueDateTime": a.Created.UTC().Format(time.RFC3339Nano)},
			map[string]any{"url": "service", "valueReference": ref0id("http://fhir.nhs.net/Id/ers-service", svc.ID, svc.Name)},
		}
		entries = append(entries, map[string]any{
			"extension": []any{map[string]any{"url": ext + "Extension-eRS-AdviceAndGuidanceRequest-WorkListItem-1", "extension": x}},
			"item":      ref0("CommunicationRequest/" + u),
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "List", "status": "current", "mode": "snapshot",
		"meta":  map[string]any{"profile": []string{ext + "eRS-FetchWorklist-List-1"}},
		"entry": entries,
	})
}

// conversation answers A025: the messages of an advice request.
func (s *Server) conversation(w http.ResponseWriter, r *http.Request, _ string) {
	based := r.URL.Query().Get("based-on")
	rest, ok := strings.CutPrefix(based, "CommunicationRequest/")
	ubrn, vs, ok2 := strings.Cut(rest, "/_history/")
	v, err := strconv.Atoi(vs)
	if !ok || !ok2 || err != nil {
		writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "based-on must be CommunicationRequest/{ubrn}/_history/{version}")
		return
	}
	s.mu.Lock()
	a, found := s.advice[ubrn]
	var entries []any
	if found && v <= a.Version {
		for i, m := range a.Messages {
			entries = append(entries, map[string]any{
				"fullUrl": s.URL + "/STU3/Communication/" + ubrn + "-" + strconv.Itoa(i),
				"resource": map[string]any{
					"resourceType": "Communication", "id": ubrn + "-" + strconv.Itoa(i), "status": "completed",
					"basedOn":  []ref{{Reference: based}},
					"category": []concept{{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-CommunicationSentBy-1", Code: m.SentBy}}}},
					"sent":     m.Sent.UTC().Format(time.RFC3339Nano),
					"note":     []map[string]string{{"text": m.Text}},
				},
				"search": map[string]string{"mode": "match"},
			})
		}
	}
	version := 0
	if found {
		version = a.Version
	}
	s.mu.Unlock()
	if !found || v > version {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such advice request or version")
		return
	}
	w.Header().Set("ETag", `W/"`+strconv.Itoa(version)+`"`)
	writeJSON(w, http.StatusOK, map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})
}

// adviceResponse answers A026: the provider's guidance is added to the
// conversation and the request goes back to the referrer.
func (s *Server) adviceResponse(w http.ResponseWriter, r *http.Request, ubrn string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	v, have := versionOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.advice[ubrn]
	switch {
	case !ok:
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such advice request")
		return
	case !have:
		writeOO(w, false, http.StatusBadRequest, "required", "MISSING_HEADER", "If-Match is required")
		return
	case v != a.Version:
		writeOO(w, false, http.StatusConflict, "conflict", "INVALID_STATE", "version supplied does not match the current version of the advice request")
		return
	case a.Category != "PROVIDER_RESPONSE_REQUIRED":
		unprocessable(w, "INVALID_STATE", "the request is not awaiting the provider")
		return
	}
	out := p.get("guidanceOutcome")
	text := p.get("guidance")
	if out == nil || out.ValueCoding == nil || text == nil || text.ValueString == nil || *text.ValueString == "" {
		unprocessable(w, "MISSING_VALUE", "'guidanceOutcome' and 'guidance' are required")
		return
	}
	switch out.ValueCoding.Code {
	case "REQUIRE_FURTHER_INFORMATION":
		a.Category = "REFERRER_RESPONSE_REQUIRED"
	case "RETURN_TO_REFERRER_WITH_ADVICE":
		a.Category = "RETURNED_WITH_ADVICE"
	default:
		unprocessable(w, "INVALID_CODE", "'guidanceOutcome' is not an outcome")
		return
	}
	if pr := p.get("updatedPriority"); pr != nil && pr.ValueCoding != nil {
		a.Priority = pr.ValueCoding.Code
	}
	a.Messages = append(a.Messages, message{SentBy: "RESPONDER", Sent: time.Now(), Text: *text.ValueString})
	a.Version++
	w.Header().Set("ETag", `W/"`+strconv.Itoa(a.Version)+`"`)
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "Parameters",
		"meta":         map[string]any{"profile": []string{ext + "eRS-SendCommunicationToRequester-Response-Parameters-1"}},
		"parameter":    []any{map[string]any{"name": "updatedCommunicationRequest", "resource": s.adviceJSON(a)}},
	})
}
