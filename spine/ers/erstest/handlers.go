package erstest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/nhsid"
)

// The fake's own minimal FHIR shapes (it shares no code with the client).

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type concept struct {
	Coding []coding `json:"coding,omitempty"`
}

type ident struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

type ref struct {
	Reference  string `json:"reference,omitempty"`
	Identifier *ident `json:"identifier,omitempty"`
	Display    string `json:"display,omitempty"`
}

type param struct {
	Name                 string          `json:"name"`
	ValueCoding          *coding         `json:"valueCoding,omitempty"`
	ValueCodeableConcept *concept        `json:"valueCodeableConcept,omitempty"`
	ValueIdentifier      *ident          `json:"valueIdentifier,omitempty"`
	ValueReference       *ref            `json:"valueReference,omitempty"`
	ValueBoolean         *bool           `json:"valueBoolean,omitempty"`
	ValueString          *string         `json:"valueString,omitempty"`
	Resource             json.RawMessage `json:"resource,omitempty"`
}

type parameters struct {
	ResourceType string  `json:"resourceType"`
	Parameter    []param `json:"parameter"`
}

func (p *parameters) get(name string) *param {
	for i := range p.Parameter {
		if p.Parameter[i].Name == name {
			return &p.Parameter[i]
		}
	}
	return nil
}

type referral struct {
	UBRN         string
	Version      int
	State        string // NOT_BOOKED, BOOKED, DEFERRED_TO_PROVIDER, CANCELLED
	Patient      string
	Priority     string
	Specialty    string
	ClinicType   string
	Services     []string
	CommOrg      string
	Referrer     string
	DeferredTo   string
	DeferReason  string
	Appointment  string
	Letters      []string
	PathwayStart time.Time
	history      map[int][]byte
}

type appointment struct {
	ID      string
	Version int
	Status  string
	UBRN    string
	Service string
	Slot    string
	Start   time.Time
	End     time.Time
	Patient string
	Reason  string
	Comment string
}

const ext = "https://fhir.nhs.uk/STU3/StructureDefinition/"

func (s *Server) referralJSON(r *referral) []byte {
	sl := []any{}
	for _, id := range r.Services {
		name := ""
		if svc := s.services[id]; svc != nil {
			name = svc.Name
		}
		sl = append(sl, map[string]any{"item": ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/ers-service", Value: id}, Display: name}})
	}
	status := "active"
	if r.State == "CANCELLED" {
		status = "cancelled"
	}
	exts := []any{
		map[string]any{"url": ext + "Extension-eRS-ReferralPriority-1", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1", Code: r.Priority}}}},
		map[string]any{"url": ext + "Extension-eRS-ReferralShortlist-1", "valueReference": ref{Reference: "#shortlist"}},
		map[string]any{"url": ext + "Extension-eRS-ReferralState-1", "extension": []any{map[string]any{"url": "state", "valueCoding": coding{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralState-1", Code: r.State}}}},
	}
	if r.CommOrg != "" {
		exts = append(exts, map[string]any{"url": ext + "Extension-eRS-Commissioning-Rule-Org-1", "valueIdentifier": ident{System: "https://fhir.nhs.uk/Id/ods-organization-code", Value: r.CommOrg}})
	}
	doc := map[string]any{
		"resourceType": "ReferralRequest",
		"id":           r.UBRN,
		"meta":         map[string]any{"versionId": strconv.Itoa(r.Version), "profile": []string{ext + "eRS-ReferralRequest-1"}},
		"extension":    exts,
		"contained": []any{map[string]any{
			"resourceType": "List", "id": "shortlist", "status": "current", "mode": "snapshot",
			"meta":  map[string]any{"profile": []string{ext + "eRS-Shortlist-List-1"}},
			"entry": sl,
		}},
		"status":  status,
		"intent":  "plan",
		"subject": ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/nhs-number", Value: r.Patient}},
	}
	if r.Appointment != "" {
		doc["basedOn"] = []ref{{Reference: "Appointment/" + r.Appointment}}
	}
	b, _ := json.Marshal(doc)
	return b
}

// bump moves a referral to its next version and records it (call with
// s.mu held).
func (s *Server) bump(r *referral) {
	r.Version++
	if r.history == nil {
		r.history = map[int][]byte{}
	}
	r.history[r.Version] = s.referralJSON(r)
}

func (s *Server) writeReferral(w http.ResponseWriter, status int, r *referral) {
	w.Header().Set("ETag", `W/"`+strconv.Itoa(r.Version)+`"`)
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	_, _ = w.Write(r.history[r.Version])
}

// ---- A030 ----------------------------------------------------------------

func (s *Server) businessFunctions(w http.ResponseWriter, r *http.Request, _ string) {
	s.mu.Lock()
	roles := slices.Clone(s.roles)
	s.mu.Unlock()
	entries := []any{}
	for _, ro := range roles {
		codes := []any{}
		for _, bf := range ro.BusinessFunctions {
			codes = append(codes, concept{Coding: []coding{{System: "https://fhir.nhs.uk/CodeSystem/eRS-BusinessFunction-1", Code: bf}}})
		}
		entries = append(entries, map[string]any{
			"fullUrl": s.URL + "/R4/PractitionerRole/PractitionerRole-" + string(ro.Organisation) + "-" + ro.UserID,
			"resource": map[string]any{
				"resourceType": "PractitionerRole",
				"id":           "PractitionerRole-" + string(ro.Organisation) + "-" + ro.UserID,
				"practitioner": map[string]any{"identifier": ident{System: "https://fhir.nhs.uk/Id/sds-user-id", Value: ro.UserID}},
				"organization": map[string]any{"identifier": ident{System: "https://fhir.nhs.uk/Id/ods-organization-code", Value: string(ro.Organisation)}},
				"code":         codes,
			},
			"search": map[string]string{"mode": "match"},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})
}

// ---- A010 ----------------------------------------------------------------

func (s *Server) searchServices(w http.ResponseWriter, r *http.Request, _ string) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	pt := p.get("patient")
	if pt == nil || pt.ValueIdentifier == nil || !nhsid.NHSNumber(pt.ValueIdentifier.Value).Valid() {
		unprocessable(w, "INVALID_VALUE", "'patient' is missing or not a valid NHS number")
		return
	}
	var crit parameters
	if c := p.get("searchCriteria"); c == nil || json.Unmarshal(c.Resource, &crit) != nil {
		unprocessable(w, "MISSING_VALUE", "'searchCriteria' is required")
		return
	}
	specialty, clinicType := "", ""
	if sp := crit.get("specialty"); sp != nil && sp.ValueCoding != nil {
		specialty = sp.ValueCoding.Code
	}
	if ct := crit.get("clinicType"); ct != nil && ct.ValueCoding != nil {
		clinicType = ct.ValueCoding.Code
	}
	s.mu.Lock()
	var found []*Service
	for _, id := range sortedKeys(s.services) {
		svc := s.services[id]
		if (specialty == "" || svc.Specialty == specialty) && (clinicType == "" || svc.ClinicType == "" || svc.ClinicType == clinicType) {
			found = append(found, svc)
		}
	}
	s.mu.Unlock()
	entries := []any{}
	for _, svc := range found {
		bt := "INDIRECTLY_BOOKABLE"
		if svc.DirectlyBookable {
			bt = "DIRECTLY_BOOKABLE"
		}
		entries = append(entries, map[string]any{
			"extension": []any{map[string]any{
				"url": ext + "Extension-eRS-ServiceSearch-ListItem-1",
				"extension": []any{
					map[string]any{"url": "displayProminently", "valueBoolean": false},
					map[string]any{"url": "indicativeAppointmentWaitTime", "valueUnsignedInt": svc.IndicativeWaitDays},
				},
			}},
			"item": map[string]any{
				"extension": []any{map[string]any{
					"url": ext + "Extension-eRS-ServiceSummaryView-1",
					"extension": []any{
						map[string]any{"url": "serviceName", "valueString": svc.Name},
						map[string]any{"url": "specialty", "valueCodeableConcept": concept{Coding: []coding{{System: s.URL + "/STU3/CodeSystem/SPECIALTY", Code: svc.Specialty}}}},
						map[string]any{"url": "bookableType", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-BookableType-1", Code: bt}}}},
						map[string]any{"url": "location", "valueReference": ref{Identifier: &ident{System: "https://directory.spineservices.nhs.uk/STU3/Organization", Value: string(svc.Provider)}, Display: svc.LocationName}},
						map[string]any{"url": "referralLetterRequired", "valueBoolean": false},
						map[string]any{"url": "supportedRequestFlowType", "valueCodeableConcept": concept{Coding: []coding{{System: "https://fhir.nhs.uk/STU3/CodeSystem/eRS-RequestFlowType-1", Code: "APPOINTMENT_REQUEST"}}}},
					},
				}},
				"identifier": ident{System: "http://fhir.nhs.net/Id/ers-service", Value: svc.ID},
			},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "List", "status": "current", "mode": "snapshot",
		"meta":  map[string]any{"profile": []string{ext + "eRS-FetchServices-List-1"}},
		"entry": entries,
	})
}

// ---- A033, A035 ----------------------------------------------------------

// serviceJSON writes an R4 HealthcareService with type as one object, as
// e-RS does (the known issue of A033 and A035).
func serviceJSON(svc *Service) map[string]any {
	bt := "INDIRECTLY_BOOKABLE"
	if svc.DirectlyBookable {
		bt = "DIRECTLY_BOOKABLE"
	}
	return map[string]any{
		"resourceType":   "HealthcareService",
		"id":             svc.ID,
		"meta":           map[string]string{"versionId": "1"},
		"active":         true,
		"name":           svc.Name,
		"providedBy":     map[string]any{"identifier": ident{System: "https://fhir.nhs.uk/Id/ods-organization-code", Value: string(svc.Provider)}},
		"type":           concept{Coding: []coding{{System: "https://fhir.nhs.uk/CodeSystem/eRS-ClinicType", Code: svc.ClinicType}}},
		"specialty":      []concept{{Coding: []coding{{System: "https://fhir.nhs.uk/CodeSystem/eRS-Specialty", Code: svc.Specialty}}}},
		"characteristic": []concept{{Coding: []coding{{System: "https://fhir.nhs.uk/CodeSystem/eRS-BookableType", Code: bt}}}},
	}
}

// getService answers A033 (GET) and A037 (HEAD: the version in the ETag,
// no body). Services stay at version 1.
func (s *Server) getService(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	svc, ok := s.services[id]
	s.mu.Unlock()
	if !ok {
		writeOO(w, true, http.StatusNotFound, "not-found", "REC_NOT_FOUND", "no such service")
		return
	}
	w.Header().Set("ETag", `W/"1"`)
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, serviceJSON(svc))
}

func (s *Server) searchServicesByID(w http.ResponseWriter, r *http.Request, _ string) {
	raw := r.URL.Query().Get("_id")
	ids := strings.Split(raw, ",")
	if raw == "" || len(ids) > 20 {
		writeOO(w, true, http.StatusBadRequest, "value", "REC_BAD_REQUEST", "_id takes 1 to 20 service ids")
		return
	}
	entries := []any{}
	s.mu.Lock()
	for _, id := range ids {
		if svc, ok := s.services[id]; ok {
			entries = append(entries, map[string]any{"fullUrl": s.URL + "/R4/HealthcareService/" + id, "resource": serviceJSON(svc)})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})
}

// ---- A011 ----------------------------------------------------------------

func (s *Server) createReferral(w http.ResponseWriter, r *http.Request, _ string) {
	s.newReferral(w, r, false)
}

// createReferralForTriage answers A021: the referral goes at once to its
// (first) shortlisted service for triage, which must not be directly
// bookable.
func (s *Server) createReferralForTriage(w http.ResponseWriter, r *http.Request, _ string) {
	s.newReferral(w, r, true)
}

func (s *Server) newReferral(w http.ResponseWriter, r *http.Request, triage bool) {
	var p parameters
	if !readBody(w, r, &p) {
		return
	}
	pt := p.get("patient")
	if pt == nil || pt.ValueIdentifier == nil || !nhsid.NHSNumber(pt.ValueIdentifier.Value).Valid() {
		unprocessable(w, "INVALID_VALUE", "'patient' is missing or not a valid NHS number")
		return
	}
	if r.Header.Get("NHSD-eRS-Business-Function") == rca && p.get("referringClinician") == nil {
		unprocessable(w, "MISSING_VALUE", "'referringClinician' is required of a REFERRING_CLINICIAN_ADMIN")
		return
	}
	sl := p.get("shortlist")
	var list struct {
		Contained []json.RawMessage `json:"contained"`
		Entry     []struct {
			Item ref `json:"item"`
		} `json:"entry"`
	}
	if sl == nil || json.Unmarshal(sl.Resource, &list) != nil || len(list.Entry) == 0 {
		unprocessable(w, "MISSING_VALUE", "'shortlist' is required")
		return
	}
	if len(list.Entry) > 20 {
		unprocessable(w, "TOO_MANY_ITEMS", "a shortlist holds at most 20 services")
		return
	}
	ref := &referral{Patient: pt.ValueIdentifier.Value, State: "NOT_BOOKED", Referrer: r.Header.Get("NHSD-End-User-Organisation-ODS"), CommOrg: r.Header.Get("NHSD-End-User-Organisation-ODS")}
	for _, c := range list.Contained {
		var crit parameters
		if json.Unmarshal(c, &crit) == nil && crit.ResourceType == "Parameters" {
			if x := crit.get("priority"); x != nil && x.ValueCoding != nil {
				ref.Priority = x.ValueCoding.Code
			}
			if x := crit.get("specialty"); x != nil && x.ValueCoding != nil {
				ref.Specialty = x.ValueCoding.Code
			}
		}
	}
	if ref.Priority == "" {
		unprocessable(w, "MISSING_VALUE", "'priority' is required in the search criteria")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range list.Entry {
		if e.Item.Identifier == nil {
			unprocessable(w, "INVALID_VALUE", "shortlist item has no service identifier")
			return
		}
		id := e.Item.Identifier.Value
		if _, ok := s.services[id]; !ok {
			unprocessable(w, "REFERENCE_NOT_FOUND", "'Shortlist/Service Id' ("+id+") does not exist")
			return
		}
		if slices.Contains(ref.Services, id) {
			unprocessable(w, "DUPLICATE_SERVICE", "'Shortlist/Service Id' ("+id+") cannot be added to a shortlist more than once.")
			return
		}
		ref.Services = append(ref.Services, id)
	}
	if triage {
		if svc := s.services[ref.Services[0]]; svc.DirectlyBookable {
			unprocessable(w, "INAPPROPRIATE_VALUE", "a directly bookable service does not triage")
			return
		}
		ref.State, ref.DeferredTo, ref.DeferReason = "SENT_FOR_TRIAGE", ref.Services[0], "TRIAGE"
	}
	ref.UBRN = strconv.Itoa(s.nextUBRN)
	s.nextUBRN++
	s.referrals[ref.UBRN] = ref
	s.bump(ref)
	s.writeReferral(w, http.StatusCreated, ref)
}

// ---- A005 ----------------------------------------------------------------

func (s *Server) getReferral(w http.ResponseWriter, r *http.Request, id string) {
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
	defer s.mu.Unlock()
	ref, ok := s.referrals[id]
	if !ok {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such referral")
		return
	}
	if version == 0 {
		s.writeReferral(w, http.StatusOK, ref)
		return
	}
	b, ok := ref.history[version]
	if !ok {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such version")
		return
	}
	w.Header().Set("ETag", `W/"`+strconv.Itoa(version)+`"`)
	w.Header().Set("Content-Type", "application/fhir+json")
	_, _ = w.Write(b)
}

// checkUpdate applies If-Match, the lock and the referral's existence
// (call with s.mu held).
func (s *Server) checkUpdate(w http.ResponseWriter, ubrn string, version int, haveVersion bool) (*referral, bool) {
	ref, ok := s.referrals[ubrn]
	switch {
	case !ok:
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such referral")
		return nil, false
	case !haveVersion:
		writeOO(w, false, http.StatusBadRequest, "required", "MISSING_HEADER", "If-Match is required")
		return nil, false
	case s.locked[ubrn]:
		writeOO(w, false, http.StatusLocked, "lock-error", "LOCKED", "the referral is being updated by another user")
		return nil, false
	case version != ref.Version:
		writeOO(w, false, http.StatusConflict, "conflict", "INVALID_STATE", "version supplied does not match the current version of the referral request")
		return nil, false
	}
	return ref, true
}

// ---- A036 ----------------------------------------------------------------

func (s *Server) cancelReferral(w http.ResponseWriter, r *http.Request, ubrn string) {
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
	if x := p.get("cancellationReason"); x == nil || x.ValueCoding == nil || x.ValueCoding.Code == "" {
		unprocessable(w, "MISSING_VALUE", "'cancellationReason' is required")
		return
	}
	if ref.State == "CANCELLED" {
		unprocessable(w, "INVALID_STATE", "the referral is already cancelled")
		return
	}
	if a := s.appointments[ref.Appointment]; a != nil && a.Status == "booked" {
		a.Status = "cancelled"
		a.Version++
		s.freeSlot(a.Service, a.Slot)
	}
	ref.State = "CANCELLED"
	s.bump(ref)
	// The answer is an eRS-CancelReferral-Response-Parameters-1.
	w.Header().Set("ETag", `W/"`+strconv.Itoa(ref.Version)+`"`)
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "Parameters",
		"meta":         map[string]any{"profile": []string{ext + "eRS-CancelReferral-Response-Parameters-1"}},
		"parameter":    []any{map[string]any{"name": "updatedReferralRequest", "resource": json.RawMessage(ref.history[ref.Version])}},
	})
}

func (s *Server) freeSlot(service, slot string) {
	if st := s.slots[service][slot]; st != nil {
		st.booked = false
	}
}

// ---- A012 ----------------------------------------------------------------

func (s *Server) maintainLetter(w http.ResponseWriter, r *http.Request, ubrn string) {
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
	var letters []string
	for _, x := range p.Parameter {
		if x.Name != "referralLetterFile" {
			continue
		}
		var doc struct {
			Content []struct {
				Attachment struct {
					URL string `json:"url"`
				} `json:"attachment"`
			} `json:"content"`
		}
		if json.Unmarshal(x.Resource, &doc) != nil || len(doc.Content) == 0 {
			unprocessable(w, "INVALID_VALUE", "'referralLetterFile' is not a DocumentReference")
			return
		}
		id := strings.TrimPrefix(doc.Content[0].Attachment.URL, "Binary/")
		if _, ok := s.binaries[id]; !ok {
			unprocessable(w, "REFERENCE_NOT_FOUND", "attachment "+doc.Content[0].Attachment.URL+" was not uploaded")
			return
		}
		letters = append(letters, id)
	}
	if len(letters) == 0 {
		unprocessable(w, "MISSING_VALUE", "'referralLetterFile' is required")
		return
	}
	ref.Letters = letters
	s.bump(ref)
	s.writeReferral(w, http.StatusOK, ref)
}

// ---- A007 ----------------------------------------------------------------

func (s *Server) clinicalInfo(w http.ResponseWriter, r *http.Request, ubrn string) {
	s.mu.Lock()
	_, ok := s.referrals[ubrn]
	s.mu.Unlock()
	if !ok {
		writeOO(w, false, http.StatusNotFound, "not-found", "REFERENCE_NOT_FOUND", "no such referral")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+ubrn+`_Clinical_Information_Summary.pdf"`)
	_, _ = io.WriteString(w, "%PDF-1.4\n% erstest clinical information summary\n%%EOF\n")
}

// ---- A015 ----------------------------------------------------------------

func (s *Server) slotSearch(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	service := q.Get("schedule.actor:HealthcareService")
	clinician := q.Get("schedule.actor:Practitioner")
	size, err1 := strconv.Atoi(q.Get("_count"))
	page, err2 := strconv.Atoi(q.Get("page"))
	switch {
	case service == "":
		writeOO(w, false, http.StatusBadRequest, "required", "MISSING_PARAMETER", "'schedule.actor:HealthcareService' is required")
		return
	case !slices.Contains([]string{"ROUTINE", "URGENT", "TWO_WEEK_WAIT"}, q.Get("appointmentType")):
		writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "'appointmentType' is invalid")
		return
	case q.Get("status") != "free":
		writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "'status' must be free")
		return
	case err1 != nil || size < 1 || size > 100:
		writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "'Page Size' must be 1 to 100")
		return
	case err2 != nil || page < 1:
		writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "'Page Number' is invalid")
		return
	}
	s.mu.Lock()
	svc, ok := s.services[service]
	var free []Slot
	for _, st := range s.slots[service] {
		if !st.booked && (clinician == "" || st.Clinician == clinician) {
			free = append(free, st.Slot)
		}
	}
	s.mu.Unlock()
	if !ok {
		writeOO(w, false, http.StatusBadRequest, "value", "REFERENCE_NOT_FOUND", "no such service")
		return
	}
	if !svc.DirectlyBookable {
		writeOO(w, false, http.StatusBadRequest, "business-rule", "INVALID_VALUE", "service is not directly bookable")
		return
	}
	sort.Slice(free, func(i, j int) bool {
		if !free[i].Start.Equal(free[j].Start) {
			return free[i].Start.Before(free[j].Start)
		}
		return free[i].ID < free[j].ID
	})
	pages := max(1, (len(free)+size-1)/size)
	if page > pages {
		writeOO(w, false, http.StatusBadRequest, "value", "INVALID_VALUE", "'Page Number' ("+strconv.Itoa(page)+") is invalid.")
		return
	}
	lo, hi := (page-1)*size, min(page*size, len(free))
	entries := []any{}
	schedules := map[string]bool{}
	for _, sl := range free[lo:hi] {
		sched := service
		if sl.Clinician != "" {
			sched = service + "-" + sl.Clinician
		}
		schedules[sched] = true
		entries = append(entries, map[string]any{
			"fullUrl": s.URL + "/STU3/Slot/" + sl.ID,
			"resource": map[string]any{
				"resourceType": "Slot", "id": sl.ID,
				"schedule": ref{Reference: "Schedule/" + sched},
				"status":   "free",
				"start":    sl.Start.UTC().Format(time.RFC3339Nano),
				"end":      sl.End.UTC().Format(time.RFC3339Nano),
			},
			"search": map[string]string{"mode": "match"},
		})
	}
	for _, sched := range sortedKeys(schedules) {
		actors := []any{ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/ers-service", Value: service}}}
		if c, ok := strings.CutPrefix(sched, service+"-"); ok {
			actors = append(actors, ref{Identifier: &ident{System: "http://fhir.nhs.net/Id/sds-user-id", Value: c}})
		}
		entries = append(entries, map[string]any{
			"fullUrl":  s.URL + "/STU3/Schedule/" + sched,
			"resource": map[string]any{"resourceType": "Schedule", "id": sched, "actor": actors},
			"search":   map[string]string{"mode": "include"},
		})
	}
	self := *r.URL
	links := []any{map[string]string{"relation": "self", "url": s.URL + "/STU3/Slot?" + self.RawQuery}}
	if page < pages {
		nq := r.URL.Query()
		nq.Set("page", strconv.Itoa(page+1))
		links = append(links, map[string]string{"relation": "next", "url": s.URL + "/STU3/Slot?" + nq.Encode()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(free), "link": links, "entry": entries})
}
