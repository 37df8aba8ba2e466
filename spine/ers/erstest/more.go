package erstest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
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

// actionLater answers A022: the provider cancels a booked appointment and
// keeps the referral to rebook it: the slot is freed and the referral is
// on the provider's APPOINTMENT_SLOT_ISSUES worklist.
func (s *Server) actionLater(w http.ResponseWriter, r *http.Request, ubrn string) {
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
	if c := p.get("comments"); c == nil || c.ValueString == nil || *c.ValueString == "" {
		unprocessable(w, "MISSING_VALUE", "'comments' is required")
		return
	}
	a := s.appointments[ref.Appointment]
	if ref.State != "BOOKED" || a == nil {
		unprocessable(w, "INVALID_STATE", "only a booked referral's appointment can be cancelled")
		return
	}
	a.Status = "cancelled"
	a.Version++
	s.freeSlot(a.Service, a.Slot)
	if pr := p.get("priority"); pr != nil && pr.ValueCoding != nil {
		ref.Priority = pr.ValueCoding.Code
	}
	ref.State, ref.DeferredTo, ref.DeferReason = "DEFERRED_TO_PROVIDER", a.Service, "CANCELLED_BY_PROVIDER"
	s.bump(ref)
	s.writeReferral(w, http.StatusOK, ref)
}

// triageOutcome answers A028 for a referral with a triage service: ACCEPT_*
// outcomes put it on that service's worklist to book, others return it
// to the referrer.
func (s *Server) triageOutcome(w http.ResponseWriter, r *http.Request, ubrn string) {
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
	out := p.get("reviewOutcome")
	if out == nil || out.ValueCoding == nil || out.ValueCoding.Code == "" {
		unprocessable(w, "MISSING_VALUE", "'reviewOutcome' is required")
		return
	}
	if ref.State != "SENT_FOR_TRIAGE" && !(ref.State == "DEFERRED_TO_PROVIDER" && ref.DeferReason == "TRIAGE") {
		unprocessable(w, "INVALID_STATE", "the referral is not awaiting triage")
		return
	}
	if pr := p.get("reviewPriority"); pr != nil && pr.ValueCoding != nil {
		ref.Priority = pr.ValueCoding.Code
	}
	if strings.HasPrefix(out.ValueCoding.Code, "ACCEPT_") {
		ref.State, ref.DeferReason = "DEFERRED_TO_PROVIDER", "TRIAGE_ACCEPTED"
	} else {
		ref.State = "REJECTED"
	}
	s.bump(ref)
	s.writeReferral(w, http.StatusOK, ref)
}

// convertAdvice answers A027: an advice request the referrer authorised to
// convert becomes a referral to its service.
func (s *Server) convertAdvice(w http.ResponseWriter, r *http.Request, _ string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	var based string
	if from := p.get("createFrom"); from != nil && from.ValueReference != nil {
		based = from.ValueReference.Reference
	}
	rest, ok := strings.CutPrefix(based, "CommunicationRequest/")
	ubrn, vs, ok2 := strings.Cut(rest, "/_history/")
	if !ok || !ok2 {
		unprocessable(w, "INVALID_VALUE", "'createFrom' must be CommunicationRequest/{ubrn}/_history/{version}")
		return
	}
	pr := p.get("newReferralPriority")
	if pr == nil || pr.ValueCoding == nil || pr.ValueCoding.Code == "" {
		unprocessable(w, "MISSING_VALUE", "'newReferralPriority' is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, found := s.advice[ubrn]
	switch {
	case !found:
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such advice request")
		return
	case vs != strconv.Itoa(a.Version):
		writeOO(w, false, http.StatusConflict, "conflict", "INVALID_STATE", "version supplied does not match the current version of the advice request")
		return
	case !a.Authorised:
		unprocessable(w, "INVALID_STATE", "the referrer has not authorised conversion")
		return
	case a.Category == "CONVERTED":
		unprocessable(w, "INVALID_STATE", "already converted")
		return
	}
	ref := &referral{UBRN: strconv.Itoa(s.nextUBRN), State: "NOT_BOOKED", Patient: a.Patient, Priority: pr.ValueCoding.Code, Specialty: a.Specialty, Services: []string{a.Service}, Referrer: a.Referrer, CommOrg: a.Referrer}
	s.nextUBRN++
	s.referrals[ref.UBRN] = ref
	a.Category = "CONVERTED"
	a.Version++
	s.bump(ref)
	s.writeReferral(w, http.StatusCreated, ref)
}
