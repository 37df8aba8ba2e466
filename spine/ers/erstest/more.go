package erstest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// codeSystems are the fake's reference data: a few codes of each system
// (the real lists are longer; SPECIALTY also holds the services'
// specialties).
var codeSystems = map[string][][2]string{
	"SPECIALTY":                         {{"CARDIOLOGY", "Cardiology"}, {"DERMATOLOGY", "Dermatology"}, {"ENT", "Ear, Nose & Throat"}},
	"CLINIC-TYPE":                       {{"HEART_FAILURE", "Heart Failure"}, {"LIPID_MANAGEMENT", "Lipid Management"}},
	"APPOINTMENT-CANCELLATION-REASON":   {{"PATIENT_ILL", "Patient ill"}, {"PATIENT_APPOINTMENT_CANCELLATION_OTHER", "Other (patient)"}},
	"REFERRAL-CANCELLATION-REASON":      {{"RAISED_IN_ERROR", "Raised in error"}, {"NO_LONGER_REQUIRED", "No longer required"}},
	"APPOINTMENT-NON-ATTENDANCE-REASON": {{"DID_NOT_ATTEND", "Did not attend"}},
	"PRIORITY":                          {{"ROUTINE", "Routine"}, {"URGENT", "Urgent"}, {"TWO_WEEK_WAIT", "2 Week Wait"}},
}

func (s *Server) codeSystem(w http.ResponseWriter, r *http.Request, name string) {
	codes, ok := codeSystems[name]
	if !ok {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such code system")
		return
	}
	concepts := []any{}
	for _, c := range codes {
		concepts = append(concepts, map[string]any{
			"code": c[0], "display": c[1],
			"extension": []any{map[string]any{"url": ext + "Extension-eRS-EffectivefromDate-1", "valueDate": "2004-06-01"}},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "CodeSystem", "id": name, "url": s.URL + "/STU3/CodeSystem/" + name,
		"status": "active", "content": "complete", "concept": concepts,
	})
}

func (s *Server) patientLetter(w http.ResponseWriter, r *http.Request, ubrn string) {
	s.mu.Lock()
	_, ok := s.referrals[ubrn]
	s.mu.Unlock()
	if !ok {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such referral")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+ubrn+`_Appointment_Confirmation_Summary.pdf"`)
	_, _ = io.WriteString(w, "%PDF-1.4\n% erstest patient letter\n%%EOF\n")
}

func (s *Server) changeShortlist(w http.ResponseWriter, r *http.Request, ubrn string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	v, have := versionOf(r)
	sl := p.get("shortlist")
	var list struct {
		Entry []struct {
			Item ref `json:"item"`
		} `json:"entry"`
	}
	if sl == nil || json.Unmarshal(sl.Resource, &list) != nil || len(list.Entry) == 0 {
		unprocessable(w, "MISSING_VALUE", "'shortlist' is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.checkUpdate(w, ubrn, v, have)
	if !ok {
		return
	}
	if ref.State != "NOT_BOOKED" {
		unprocessable(w, "INVALID_STATE", "the shortlist of a "+ref.State+" referral cannot change")
		return
	}
	if len(list.Entry) > 20 {
		unprocessable(w, "TOO_MANY_ITEMS", "a shortlist holds at most 20 services")
		return
	}
	var services []string
	for _, e := range list.Entry {
		if e.Item.Identifier == nil || s.services[e.Item.Identifier.Value] == nil {
			unprocessable(w, "REFERENCE_NOT_FOUND", "a shortlisted service does not exist")
			return
		}
		id := e.Item.Identifier.Value
		if slices.Contains(services, id) {
			unprocessable(w, "DUPLICATE_SERVICE", "'Shortlist/Service Id' ("+id+") cannot be added to a shortlist more than once.")
			return
		}
		services = append(services, id)
	}
	ref.Services = services
	s.bump(ref)
	s.writeReferral(w, http.StatusOK, ref)
}

func (s *Server) oboUsers(w http.ResponseWriter, r *http.Request, _ string) {
	if r.URL.Query().Get("_query") != "onBehalfOf" {
		writeOO(w, true, http.StatusBadRequest, "value", "REC_BAD_REQUEST", "_query=onBehalfOf is required")
		return
	}
	if r.Header.Get("NHSD-eRS-Business-Function") != spca || r.Header.Get("NHSD-eRS-On-Behalf-Of-User-ID") != "" {
		writeOO(w, true, http.StatusForbidden, "forbidden", "REC_FORBIDDEN", "only a SERVICE_PROVIDER_CLINICIAN_ADMIN, acting for no one yet, may ask")
		return
	}
	s.mu.Lock()
	users := slices.Clone(s.obo)
	s.mu.Unlock()
	entries := []any{}
	for _, u := range users {
		entries = append(entries, map[string]any{
			"fullUrl": "Practitioner/" + u,
			// identifier as one object, as e-RS sends it.
			"resource": map[string]any{"resourceType": "Practitioner", "id": u, "identifier": ident{System: "https://fhir.nhs.uk/Id/sds-user-id", Value: u}},
			"search":   map[string]string{"mode": "match"},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})
}

// acceptReferral answers A013: a booked or deferred referral is accepted
// by the provider (it stays where it is, one version on).
func (s *Server) acceptReferral(w http.ResponseWriter, r *http.Request, ubrn string) {
	v, have := versionOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.checkUpdate(w, ubrn, v, have)
	if !ok {
		return
	}
	if ref.State != "BOOKED" && ref.State != "DEFERRED_TO_PROVIDER" {
		unprocessable(w, "INVALID_STATE", "only a booked or deferred referral can be accepted")
		return
	}
	s.bump(ref)
	s.writeReferral(w, http.StatusOK, ref)
}

// rejectReferral answers A014: the referral returns to the referrer
// (REJECTED), its appointment cancelled and its slot freed.
func (s *Server) rejectReferral(w http.ResponseWriter, r *http.Request, ubrn string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	v, have := versionOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.checkUpdate(w, ubrn, v, have)
	if !ok {
		return
	}
	if x := p.get("rejectionReason"); x == nil || x.ValueCoding == nil || x.ValueCoding.Code == "" {
		unprocessable(w, "MISSING_VALUE", "'rejectionReason' is required")
		return
	}
	if x := p.get("rejectionComments"); x == nil || x.ValueString == nil || *x.ValueString == "" {
		unprocessable(w, "MISSING_VALUE", "'rejectionComments' is required")
		return
	}
	if ref.State != "BOOKED" && ref.State != "DEFERRED_TO_PROVIDER" {
		unprocessable(w, "INVALID_STATE", "only a booked or deferred referral can be rejected")
		return
	}
	if a := s.appointments[ref.Appointment]; a != nil && a.Status == "booked" {
		a.Status = "cancelled"
		a.Version++
		s.freeSlot(a.Service, a.Slot)
	}
	ref.State = "REJECTED"
	s.bump(ref)
	s.writeReferral(w, http.StatusOK, ref)
}
