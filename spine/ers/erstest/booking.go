package erstest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type participant struct {
	Type   json.RawMessage `json:"type,omitempty"`
	Actor  *ref            `json:"actor,omitempty"`
	Status string          `json:"status,omitempty"`
}

type apptIn struct {
	ResourceType     string        `json:"resourceType"`
	Status           string        `json:"status"`
	Reason           []concept     `json:"reason"`
	Start            string        `json:"start"`
	End              string        `json:"end"`
	Slot             []ref         `json:"slot"`
	Comment          string        `json:"comment"`
	IncomingReferral []ref         `json:"incomingReferral"`
	Participant      []participant `json:"participant"`
}

func (a *apptIn) actor(system string) string {
	for _, p := range a.Participant {
		if p.Actor != nil && p.Actor.Identifier != nil && p.Actor.Identifier.System == system {
			return p.Actor.Identifier.Value
		}
	}
	return ""
}

func (s *Server) appointmentJSON(a *appointment) map[string]any {
	parts := []any{
		map[string]any{"actor": ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/ers-service", Value: a.Service}}, "status": "accepted"},
		map[string]any{"actor": ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/nhs-number", Value: a.Patient}}, "status": "accepted"},
	}
	if st := s.slots[a.Service][a.Slot]; st != nil && st.Clinician != "" {
		// Appointment.participant.type is one object, not an array: the
		// known issue the specification lists for A005, A013, A016, ….
		parts = append(parts, map[string]any{
			"type":   concept{Coding: []coding{{System: "http://hl7.org/fhir/ValueSet/encounter-participant-type", Code: "CON"}}},
			"actor":  ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/sds-user-id", Value: st.Clinician}},
			"status": "accepted",
		})
	}
	ref0 := s.referrals[a.UBRN]
	doc := map[string]any{
		"resourceType":     "Appointment",
		"id":               a.ID,
		"meta":             map[string]any{"versionId": strconv.Itoa(a.Version), "profile": []string{ext + "eRS-Appointment-1", "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1"}},
		"language":         "en",
		"status":           a.Status,
		"description":      "e-Referral Appointment",
		"incomingReferral": []ref{{Reference: "ReferralRequest/" + a.UBRN + "/_history/" + strconv.Itoa(ref0.Version)}},
		"participant":      parts,
	}
	if a.Slot != "" {
		doc["slot"] = []ref{{Reference: "Slot/" + a.Slot}}
	}
	if !a.Start.IsZero() {
		doc["start"] = a.Start.UTC().Format("2006-01-02T15:04:05-07:00")
		doc["end"] = a.End.UTC().Format("2006-01-02T15:04:05-07:00")
	}
	if a.Reason != "" {
		doc["reason"] = []concept{{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewReason-1", Code: a.Reason}}}}
	}
	if a.Comment != "" {
		doc["comment"] = a.Comment
	}
	return doc
}

// ---- A016 ----------------------------------------------------------------

func (s *Server) bookOrDefer(w http.ResponseWriter, r *http.Request, _ string) {
	var in apptIn
	if !readBody(w, r, &in) {
		return
	}
	if in.ResourceType != "Appointment" || len(in.IncomingReferral) != 1 {
		unprocessable(w, "INVALID_VALUE", "an Appointment with one incomingReferral is required")
		return
	}
	rest, ok := strings.CutPrefix(in.IncomingReferral[0].Reference, "ReferralRequest/")
	ubrn, vs, ok2 := strings.Cut(rest, "/_history/")
	version, err := strconv.Atoi(vs)
	if !ok || !ok2 || err != nil {
		unprocessable(w, "INVALID_VALUE", "'incomingReferral' must be ReferralRequest/{ubrn}/_history/{version}")
		return
	}
	service := in.actor("http://fhir.nhs.net/Id/ers-service")
	patient := in.actor("http://fhir.nhs.net/Id/nhs-number")
	s.mu.Lock()
	ref, ok := s.checkUpdate(w, ubrn, version, true)
	if !ok {
		s.mu.Unlock()
		return
	}
	svc := s.services[service]
	switch {
	case svc == nil || !slices.Contains(ref.Services, service):
		s.mu.Unlock()
		unprocessable(w, "REFERENCE_NOT_FOUND", "the service is not on the referral's shortlist")
		return
	case patient != ref.Patient:
		s.mu.Unlock()
		unprocessable(w, "INAPPROPRIATE_VALUE", "the patient is not the referral's patient")
		return
	case ref.State != "NOT_BOOKED":
		s.mu.Unlock()
		unprocessable(w, "INVALID_STATE", "the referral is "+ref.State)
		return
	}
	switch in.Status {
	case "booked":
		s.book(w, &in, ref, svc) // unlocks
	case "proposed":
		s.deferral(w, &in, ref, svc) // unlocks
	default:
		s.mu.Unlock()
		unprocessable(w, "INVALID_VALUE", "'status' must be booked or proposed")
	}
}

func (s *Server) book(w http.ResponseWriter, in *apptIn, ref *referral, svc *Service) {
	if !svc.DirectlyBookable || len(in.Slot) != 1 {
		s.mu.Unlock()
		unprocessable(w, "INAPPROPRIATE_SLOT", "a booking needs one slot of a directly bookable service")
		return
	}
	slotID := strings.TrimPrefix(in.Slot[0].Reference, "Slot/")
	st := s.slots[svc.ID][slotID]
	if st == nil || st.booked {
		s.mu.Unlock()
		unprocessable(w, "SLOT_NOT_AVAILABLE", "slot is no longer available")
		return
	}
	start, err1 := time.Parse(time.RFC3339Nano, in.Start)
	end, err2 := time.Parse(time.RFC3339Nano, in.End)
	if err1 != nil || err2 != nil || !start.Equal(st.Start) || !end.Equal(st.End) {
		s.mu.Unlock()
		unprocessable(w, "INAPPROPRIATE_SLOT", "start and end must be the slot's")
		return
	}
	if st.Clinician != "" && in.actor("http://fhir.nhs.net/Id/sds-user-id") != st.Clinician {
		s.mu.Unlock()
		unprocessable(w, "INAPPROPRIATE_SLOT", "the slot has a named clinician who must be a participant")
		return
	}
	switch s.pas[svc.ID] {
	case PASError:
		s.mu.Unlock()
		writeOO(w, false, http.StatusBadGateway, "exception", "PAS_RESPONDED_WITH_ERROR", "error received from PAS")
		return
	case PASTimeout:
		s.mu.Unlock()
		writeOO(w, false, http.StatusGatewayTimeout, "timeout", "PAS_NOT_RESPONDING", "no response from PAS")
		return
	}
	st.booked = true
	a := &appointment{ID: strconv.Itoa(s.nextAppt), Status: "booked", UBRN: ref.UBRN, Service: svc.ID, Slot: slotID, Start: st.Start, End: st.End, Patient: ref.Patient}
	s.nextAppt++
	s.appointments[a.ID] = a
	ref.State, ref.Appointment = "BOOKED", a.ID
	s.bump(ref)
	doc := s.appointmentJSON(a)
	s.mu.Unlock()
	w.Header().Set("ETag", `W/"0"`)
	writeJSON(w, http.StatusCreated, doc)
}

func (s *Server) deferral(w http.ResponseWriter, in *apptIn, ref *referral, svc *Service) {
	reason := ""
	if len(in.Reason) == 1 && len(in.Reason[0].Coding) == 1 {
		reason = in.Reason[0].Coding[0].Code
	}
	free := 0
	for _, st := range s.slots[svc.ID] {
		if !st.booked {
			free++
		}
	}
	slotID := ""
	if len(in.Slot) == 1 {
		slotID = strings.TrimPrefix(in.Slot[0].Reference, "Slot/")
	}
	fail := func(code, diag string) {
		s.mu.Unlock()
		unprocessable(w, code, diag)
	}
	switch reason {
	case "NO_SLOTS_AT_SERVICE":
		if !svc.DirectlyBookable {
			fail("INAPPROPRIATE_VALUE", "only a directly bookable service takes deferrals")
			return
		}
		if free > 0 {
			fail("SLOTS_CURRENTLY_AVAILABLE", "there are currently future slots available, so you cannot defer to this service to book")
			return
		}
	case "SLOT_NOT_AVAILABLE":
		st := s.slots[svc.ID][slotID]
		if slotID == "" || st == nil {
			fail("REFERENCE_NOT_FOUND", "'slot' is required and must exist")
			return
		}
		if !st.booked {
			fail("THIS_SLOT_IS_AVAILABLE", "slot is currently available")
			return
		}
	case "BOOKING_ATTEMPT_PROBLEM", "TRIAGE":
	default:
		fail("INVALID_CODE", "'reason' is not a deferral reason")
		return
	}
	a := &appointment{ID: strconv.Itoa(s.nextAppt), Status: "proposed", UBRN: ref.UBRN, Service: svc.ID, Slot: slotID, Patient: ref.Patient, Reason: reason, Comment: in.Comment}
	s.nextAppt++
	s.appointments[a.ID] = a
	ref.State, ref.Appointment, ref.DeferredTo, ref.DeferReason = "DEFERRED_TO_PROVIDER", a.ID, svc.ID, reason
	s.bump(ref)
	doc := s.appointmentJSON(a)
	s.mu.Unlock()
	w.Header().Set("ETag", `W/"0"`)
	writeJSON(w, http.StatusCreated, doc)
}

// BookDeferred books a deferred referral into a slot, as the provider does
// from its worklist through its own system (not the API): the referral
// leaves APPOINTMENT_SLOT_ISSUES. It returns false when the referral is not
// deferred or the slot is not free.
func (s *Server) BookDeferred(ubrn, slotID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := s.referrals[ubrn]
	if ref == nil || ref.State != "DEFERRED_TO_PROVIDER" {
		return false
	}
	st := s.slots[ref.DeferredTo][slotID]
	if st == nil || st.booked {
		return false
	}
	st.booked = true
	a := s.appointments[ref.Appointment]
	a.Status, a.Slot, a.Start, a.End, a.Reason = "booked", slotID, st.Start, st.End, ""
	a.Version++
	ref.State = "BOOKED"
	s.bump(ref)
	return true
}

// ---- A038, A034 ----------------------------------------------------------

func (s *Server) getAppointment(w http.ResponseWriter, r *http.Request, id string) {
	if i := strings.Index(id, "/_history/"); i >= 0 {
		id = id[:i] // versions of appointments are not kept: the current one
	}
	s.mu.Lock()
	a, ok := s.appointments[id]
	var doc map[string]any
	if ok {
		doc = s.appointmentJSON(a)
	}
	s.mu.Unlock()
	if !ok {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such appointment")
		return
	}
	w.Header().Set("ETag", `W/"`+strconv.Itoa(a.Version)+`"`)
	writeJSON(w, http.StatusOK, doc)
}

func (s *Server) updateAppointment(w http.ResponseWriter, r *http.Request, id string) {
	var in apptIn
	if !readBody(w, r, &in) {
		return
	}
	v, have := versionOf(r)
	s.mu.Lock()
	a, ok := s.appointments[id]
	switch {
	case !ok:
		s.mu.Unlock()
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such appointment")
		return
	case !have:
		s.mu.Unlock()
		writeOO(w, false, http.StatusBadRequest, "required", "MISSING_HEADER", "If-Match is required")
		return
	case s.locked[a.UBRN]:
		s.mu.Unlock()
		writeOO(w, false, http.StatusLocked, "lock-error", "LOCKED", "the referral is being updated by another user")
		return
	case v != a.Version:
		s.mu.Unlock()
		writeOO(w, false, http.StatusConflict, "conflict", "INVALID_STATE", "version supplied does not match the current version of the appointment")
		return
	case in.Status != "cancelled" || len(in.Reason) == 0:
		s.mu.Unlock()
		unprocessable(w, "INVALID_VALUE", "only a cancellation with a reason is supported")
		return
	case a.Status != "booked":
		s.mu.Unlock()
		unprocessable(w, "UNABLE_TO_CANCEL_APPOINTMENT", "the appointment is not booked")
		return
	}
	a.Status, a.Comment = "cancelled", in.Comment
	a.Version++
	s.freeSlot(a.Service, a.Slot)
	ref := s.referrals[a.UBRN]
	ref.State, ref.Appointment = "NOT_BOOKED", ""
	s.bump(ref)
	doc := s.appointmentJSON(a)
	s.mu.Unlock()
	w.Header().Set("ETag", `W/"`+strconv.Itoa(a.Version)+`"`)
	writeJSON(w, http.StatusOK, doc)
}

// ---- A029 ----------------------------------------------------------------

func (s *Server) availableActions(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	rest, ok := strings.CutPrefix(q.Get("focus"), "ReferralRequest/")
	ubrn, vs, ok2 := strings.Cut(rest, "/_history/")
	version, err := strconv.Atoi(vs)
	if !ok || !ok2 || err != nil || q.Get("intent") != "proposal" || q.Get("status") != "ready" {
		writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "focus, intent=proposal and status=ready are required")
		return
	}
	s.mu.Lock()
	ref, found := s.referrals[ubrn]
	var state string
	current := false
	if found {
		state, current = ref.State, ref.Version == version
	}
	s.mu.Unlock()
	if !found {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such referral")
		return
	}
	var codes []string
	if current {
		switch state {
		case "NOT_BOOKED":
			codes = []string{"CREATE_APPOINTMENT", "CHANGE_SHORTLIST", "CANCEL_REFERRAL"}
		case "BOOKED":
			codes = []string{"CANCEL_DIRECTLY_BOOKED_APPOINTMENT", "CANCEL_REFERRAL"}
		case "DEFERRED_TO_PROVIDER":
			codes = []string{"CANCEL_REFERRAL"}
		}
	}
	entries := []any{}
	for _, c := range codes {
		entries = append(entries, map[string]any{"resource": map[string]any{
			"resourceType": "Task", "id": newID(), "status": "ready", "intent": "proposal",
			"focus": ref0(q.Get("focus")),
			"code":  concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-AvailableActionsForUser-1", Code: c}}},
		}, "search": map[string]string{"mode": "match"}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"resourceType": "Bundle", "type": "searchset", "entry": entries})
}

func ref0(s string) ref { return ref{Reference: s} }

// ---- A020, A042 ----------------------------------------------------------

var uploadTypes = []string{"text/plain", "application/pdf", "text/xml", "text/rtf", "audio/basic", "audio/mpeg", "image/png", "image/gif", "image/jpeg", "image/tiff", "video/mpeg", "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/dicom"}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, _ string) {
	ct := strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0])
	if !slices.Contains(uploadTypes, ct) {
		writeOO(w, false, http.StatusUnsupportedMediaType, "not-supported", "INVALID_VALUE", "unsupported content type")
		return
	}
	if r.Header.Get("NHSD-eRS-File-Name") == "" || r.Header.Get("NHSD-eRS-Referral-Id") == "" {
		unprocessable(w, "MISSING_VALUE", "NHSD-eRS-File-Name and NHSD-eRS-Referral-Id are required")
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 5<<20+1))
	if err != nil {
		writeOO(w, false, http.StatusBadRequest, "structure", "INVALID_VALUE", "reading the file")
		return
	}
	if len(b) > 5<<20 {
		unprocessable(w, "FILE_SIZE_ERROR", "the file is larger than 5 MiB")
		return
	}
	if len(b) == 0 {
		unprocessable(w, "MISSING_VALUE", "the file is empty")
		return
	}
	id := newID()
	s.mu.Lock()
	s.binaries[id] = b
	s.mu.Unlock()
	w.Header().Set("Location", "Binary/"+id)
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) attachment(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	_, ok := s.binaries[id]
	link := ""
	if ok {
		link = newID()
		s.links[link] = id
	}
	s.mu.Unlock()
	if !ok {
		writeOO(w, true, http.StatusNotFound, "not-found", "REC_NOT_FOUND", "no such attachment")
		return
	}
	w.Header().Set("Location", strings.TrimSuffix(s.URL, "/FHIR")+"/ObjectStore/"+link)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// objectStore serves each link once: the A042 URL is short-lived and
// single-use.
func (s *Server) objectStore(w http.ResponseWriter, r *http.Request) {
	link := strings.TrimPrefix(r.URL.Path, "/ObjectStore/")
	s.mu.Lock()
	id, ok := s.links[link]
	delete(s.links, link)
	b := s.binaries[id]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "link expired or unknown", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// ---- A008, A041 ----------------------------------------------------------

func (s *Server) worklist(w http.ResponseWriter, r *http.Request, _ string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	lt := p.get("listType")
	if lt == nil || lt.ValueCodeableConcept == nil || len(lt.ValueCodeableConcept.Coding) == 0 {
		unprocessable(w, "MISSING_VALUE", "'listType' is required")
		return
	}
	list := lt.ValueCodeableConcept.Coding[0].Code
	service := ""
	if sv := p.get("service"); sv != nil && sv.ValueIdentifier != nil {
		service = sv.ValueIdentifier.Value
	}
	org := r.Header.Get("NHSD-End-User-Organisation-ODS")
	entries := []any{}
	s.mu.Lock()
	for _, ubrn := range sortedKeys(s.referrals) {
		ref := s.referrals[ubrn]
		var reason, svcID string
		switch list {
		case "APPOINTMENT_SLOT_ISSUES":
			if ref.State != "DEFERRED_TO_PROVIDER" {
				continue
			}
			svcID, reason = ref.DeferredTo, ref.DeferReason
			if svc := s.services[svcID]; org != "" && svc != nil && string(svc.Provider) != org {
				continue
			}
		case "AWAITING_BOOKING":
			if ref.State != "NOT_BOOKED" || (org != "" && ref.Referrer != org) {
				continue
			}
			if len(ref.Services) > 0 {
				svcID = ref.Services[0]
			}
		case "REFERRALS_FOR_REVIEW", "LETTERS_OUTSTANDING", "REJECTED_TRIAGE_RESPONSES", "ASSESSMENT_RETURNED_CANCELLED_DNA":
			continue
		default:
			s.mu.Unlock()
			unprocessable(w, "INVALID_CODE", "'listType' is not a worklist")
			return
		}
		if service != "" && svcID != service {
			continue
		}
		x := []any{
			map[string]any{"url": "priority", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1", Code: ref.Priority}}}},
			map[string]any{"url": "specialty", "valueCodeableConcept": concept{Coding: []coding{{System: s.URL + "/STU3/CodeSystem/SPECIALTY", Code: ref.Specialty}}}},
			map[string]any{"url": "patient", "valueReference": ref0id("http://fhir.nhs.net/Id/nhs-number", ref.Patient, "")},
		}
		if reason != "" {
			x = append(x, map[string]any{"url": "reason", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReviewReason-1", Code: reason}}}})
		}
		if svc := s.services[svcID]; svc != nil {
			x = append(x, map[string]any{"url": "service", "valueReference": ref0id("http://fhir.nhs.net/Id/ers-service", svc.ID, svc.Name)})
		}
		url := ext + "Extension-eRS-AwaitingBooking-WorkListItem-1"
		if list == "APPOINTMENT_SLOT_ISSUES" {
			url = ext + "Extension-eRS-AppointmentSlotIssues-WorkListItem-1"
		}
		entries = append(entries, map[string]any{
			"extension": []any{map[string]any{"url": url, "extension": x}},
			"item":      ref0("ReferralRequest/" + ubrn),
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "List", "status": "current", "mode": "snapshot",
		"meta":  map[string]any{"profile": []string{ext + "eRS-FetchWorklist-List-1"}},
		"entry": entries,
	})
}

func ref0id(system, value, display string) ref {
	return ref{Identifier: &ident{System: system, Value: value}, Display: display}
}

func (s *Server) serviceRequests(w http.ResponseWriter, r *http.Request, _ string) {
	idq := r.URL.Query().Get("identifier")
	ubrn := idq
	if _, v, ok := strings.Cut(idq, "|"); ok {
		ubrn = v
	}
	if ubrn == "" {
		writeOO(w, true, http.StatusBadRequest, "required", "REC_BAD_REQUEST", "identifier is required")
		return
	}
	entries := []any{}
	s.mu.Lock()
	if ref, ok := s.referrals[ubrn]; ok {
		status := "active"
		if ref.State == "CANCELLED" {
			status = "revoked"
		}
		entries = append(entries, map[string]any{"resource": map[string]any{
			"resourceType": "ServiceRequest", "id": "r." + ubrn, "meta": map[string]string{"versionId": strconv.Itoa(ref.Version)},
			"identifier": []ident{{System: "https://fhir.nhs.uk/Id/UBRN", Value: ubrn}},
			"status":     status, "intent": "order",
			"category": []concept{{Coding: []coding{{System: "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest", Code: "referral"}}}},
		}})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})
}
