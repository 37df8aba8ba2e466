package appointments

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/fhir"
)

// The FHIR face of the API: Slot search and Appointment create, read,
// amend and cancel, shaped as GP Connect Appointment Management and the
// Booking and Referral Standard shape them (see the package doc).

const fhirJSON = "application/fhir+json"

func str(s string) fhir.String { return fhir.String{Value: s} }
func code(s string) fhir.Code  { return fhir.Code{Value: s} }

// scheduleID names the Schedule a slot belongs to: one per source and
// service, as a practice or clinic diary is.
func scheduleID(s booking.Slot) string {
	src := s.Source
	if src == "" {
		src = "local"
	}
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, src+"-"+s.Service)
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}

func fhirSlot(s booking.Slot) *fhir.Slot {
	return &fhir.Slot{
		ID:          fhir.ID{Value: s.ID},
		Schedule:    &fhir.Reference{Reference: str("Schedule/" + scheduleID(s))},
		Status:      code("free"),
		Start:       fhir.InstantOf(s.Start.UTC()),
		End:         fhir.InstantOf(s.End.UTC()),
		ServiceType: []fhir.CodeableConcept{{Text: str(s.Service)}},
		Comment:     str(s.Modality.String()),
	}
}

func fhirSchedule(s booking.Slot) *fhir.Schedule {
	actor := fhir.Reference{Display: str(s.Location)}
	if s.Site != "" {
		actor.Identifier = &fhir.Identifier{System: fhir.URI{Value: "https://fhir.nhs.uk/Id/ods-site-code"}, Value: str(s.Site)}
	}
	if s.Location == "" {
		actor.Display = str(s.Source)
	}
	return &fhir.Schedule{
		ID:          fhir.ID{Value: scheduleID(s)},
		Active:      fhir.Boolean{Value: true, Set: true},
		ServiceType: []fhir.CodeableConcept{{Text: str(s.Service)}},
		Actor:       []fhir.Reference{actor},
		Comment:     str(s.Source),
	}
}

func writeFHIR(w http.ResponseWriter, status int, r fhir.Resource) {
	data, err := fhir.Marshal(r)
	if err != nil {
		http.Error(w, "fhir encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeOutcome sends a problem as an OperationOutcome, with the problem
// type in issue.details and field errors as FHIRPath expressions.
func writeOutcome(w http.ResponseWriter, p *Problem) {
	issueCode := map[int]string{400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict",
		412: "conflict", 422: "invalid", 429: "throttled", 503: "transient"}[p.Status]
	if issueCode == "" {
		issueCode = "processing"
	}
	oo := &fhir.OperationOutcome{}
	issue := func(diag string, expr string) {
		is := fhir.OperationOutcomeIssue{Severity: code("error"), Code: code(issueCode), Diagnostics: str(diag),
			Details: &fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.URI{Value: ProblemBase}, Code: code(strings.TrimPrefix(p.Type, ProblemBase))}}, Text: str(p.Title)}}
		if expr != "" {
			is.Expression = []fhir.String{str(expr)}
		}
		oo.Issue = append(oo.Issue, is)
	}
	if len(p.Errors) == 0 {
		d := p.Title
		if p.Detail != "" {
			d += ": " + p.Detail
		}
		issue(d, "")
	}
	for _, e := range p.Errors {
		issue(e.Detail, e.Field)
	}
	writeFHIR(w, p.Status, oo)
}

// fhirSlots answers GET /fhir/Slot?start=ge…&end=le…&status=free
// [&_include=Slot:schedule][&service-type=…][&_count=…].
func (h *Handler) fhirSlots(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	q := r.URL.Query()
	var errs []FieldError
	bad := func(f, d string) { errs = append(errs, FieldError{Field: f, Detail: d}) }
	params := map[string][]string{}
	if st := q.Get("status"); st != "free" {
		bad("status", "required, and only free slots can be searched")
	}
	start, end := q["start"], q["end"]
	switch {
	case len(start) != 1 || !strings.HasPrefix(start[0], "ge"):
		bad("start", "required once, with the ge prefix")
	default:
		params["from"] = []string{strings.TrimPrefix(start[0], "ge")}
	}
	switch {
	case len(end) != 1 || !strings.HasPrefix(end[0], "le"):
		bad("end", "required once, with the le prefix")
	default:
		params["to"] = []string{strings.TrimPrefix(end[0], "le")}
	}
	params["service"] = q["service-type"]
	include := false
	for _, inc := range q["_include"] {
		if inc != "Slot:schedule" {
			bad("_include", "only Slot:schedule is supported")
		}
		include = true
	}
	count := 50
	if v := q.Get("_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > h.cfg.MaxPage {
			bad("_count", "want 1 to "+strconv.Itoa(h.cfg.MaxPage))
		}
		count = n
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	s, prob := h.parseSearch(params, h.cfg.MaxPage)
	if prob != nil {
		return prob
	}
	if prob := h.allow(r.Context(), p, ActionSearch, s.req.Service); prob != nil {
		return prob
	}
	s.limit = 0 // Bundle.total counts every match
	cands, _, _, err := h.run(r.Context(), s)
	if err != nil {
		return problemOf(err)
	}
	// A FHIR search lists slots in time order, as GP Connect does.
	slotsOut := make([]booking.Slot, 0, len(cands))
	for _, c := range cands {
		if sl, ok := h.cfg.Engine.Slot(c.SlotID); ok {
			slotsOut = append(slotsOut, sl)
		}
	}
	sortSlots(slotsOut)
	bundle := &fhir.Bundle{Type: code("searchset"), Total: fhir.UnsignedInt{Value: int64(len(slotsOut)), Set: true},
		Timestamp: fhir.InstantOf(h.cfg.Now().UTC().Truncate(time.Second))}
	bundle.Link = []fhir.BundleLink{{Relation: str("self"), URL: fhir.URI{Value: r.URL.String()}}}
	seen := map[string]bool{}
	var includes []fhir.BundleEntry
	for _, sl := range slotsOut[:min(count, len(slotsOut))] {
		bundle.Entry = append(bundle.Entry, fhir.BundleEntry{FullURL: fhir.URI{Value: "Slot/" + sl.ID}, Resource: fhirSlot(sl),
			Search: &fhir.BundleEntrySearch{Mode: code("match")}})
		if sid := scheduleID(sl); include && !seen[sid] {
			seen[sid] = true
			includes = append(includes, fhir.BundleEntry{FullURL: fhir.URI{Value: "Schedule/" + sid}, Resource: fhirSchedule(sl),
				Search: &fhir.BundleEntrySearch{Mode: code("include")}})
		}
	}
	bundle.Entry = append(bundle.Entry, includes...)
	writeFHIR(w, http.StatusOK, bundle)
	return nil
}

func sortSlots(s []booking.Slot) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && (s[j].Start.Before(s[j-1].Start) || (s[j].Start.Equal(s[j-1].Start) && s[j].ID < s[j-1].ID)); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (h *Handler) fhirAppointment(b booking.Booking) *fhir.Appointment {
	a := &fhir.Appointment{
		ID:      fhir.ID{Value: b.ID},
		Meta:    &fhir.Meta{VersionID: fhir.ID{Value: strconv.FormatInt(b.Version, 10)}, LastUpdated: fhir.InstantOf(b.Updated.UTC())},
		Status:  code(string(b.Status)),
		Slot:    []fhir.Reference{{Reference: str("Slot/" + b.SlotID)}},
		Created: fhir.DateTimeOf(b.Created.UTC()),
		Participant: []fhir.AppointmentParticipant{{
			Actor: &fhir.Reference{Reference: str("Patient/" + b.RequestID)}, Status: code("accepted")}},
	}
	if sl, ok := h.cfg.Engine.Slot(b.SlotID); ok {
		a.Start, a.End = fhir.InstantOf(sl.Start.UTC()), fhir.InstantOf(sl.End.UTC())
		if sl.Location != "" {
			a.Participant = append(a.Participant, fhir.AppointmentParticipant{
				Actor: &fhir.Reference{Display: str(sl.Location)}, Status: code("accepted")})
		}
	}
	return a
}

func fhirETag(b booking.Booking) string { return `W/"` + strconv.FormatInt(b.Version, 10) + `"` }

// readAppointment decodes the request body as an R4 Appointment and pulls
// out the slot and patient, with FHIRPath locations for what is wrong.
func readAppointment(r *http.Request) (*fhir.Appointment, string, string, *Problem) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, "", "", invalid(FieldError{Field: "Appointment", Detail: "unreadable body"})
	}
	res, err := fhir.Unmarshal(data)
	if err != nil {
		return nil, "", "", invalid(FieldError{Field: "Appointment", Detail: err.Error()})
	}
	a, ok := res.(*fhir.Appointment)
	if !ok {
		return nil, "", "", invalid(FieldError{Field: "resourceType", Detail: "want Appointment, not " + res.ResourceType()})
	}
	var errs []FieldError
	slot := ""
	if len(a.Slot) != 1 || !strings.HasPrefix(a.Slot[0].Reference.Value, "Slot/") {
		errs = append(errs, FieldError{Field: "Appointment.slot", Detail: "want exactly one reference Slot/{id}"})
	} else {
		slot = strings.TrimPrefix(a.Slot[0].Reference.Value, "Slot/")
	}
	patient := ""
	for i, p := range a.Participant {
		if p.Actor != nil && strings.HasPrefix(p.Actor.Reference.Value, "Patient/") {
			patient = strings.TrimPrefix(p.Actor.Reference.Value, "Patient/")
			if !patientRef.MatchString(patient) {
				errs = append(errs, FieldError{Field: "Appointment.participant[" + strconv.Itoa(i) + "].actor.reference", Detail: "not a usable patient id"})
			}
		}
	}
	if patient == "" {
		errs = append(errs, FieldError{Field: "Appointment.participant", Detail: "want a participant whose actor is Patient/{id}"})
	}
	if len(a.Description.Value) > 100 {
		errs = append(errs, FieldError{Field: "Appointment.description", Detail: "at most 100 characters"})
	}
	if len(errs) > 0 {
		return nil, "", "", invalid(errs...)
	}
	return a, slot, patient, nil
}

func (h *Handler) fhirCreate(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	a, slot, patient, prob := readAppointment(r)
	if prob != nil {
		return prob
	}
	if a.Status.Value != "booked" {
		return invalid(FieldError{Field: "Appointment.status", Detail: "a new appointment must be booked"})
	}
	if a.ID.Value != "" {
		return invalid(FieldError{Field: "Appointment.id", Detail: "the server assigns the id"})
	}
	if prob := h.allow(r.Context(), p, ActionBook, slot); prob != nil {
		return prob
	}
	b, replayed, prob := h.doBook(r, p, slot, patient, a.Description.Value, r.Header.Get("Idempotency-Key"))
	if prob != nil {
		return prob
	}
	w.Header().Set("Location", "/fhir/Appointment/"+b.ID+"/_history/"+strconv.FormatInt(b.Version, 10))
	w.Header().Set("ETag", fhirETag(b))
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeFHIR(w, http.StatusCreated, h.fhirAppointment(b))
	return nil
}

func (h *Handler) fhirRead(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	id := r.PathValue("id")
	if prob := h.allow(r.Context(), p, ActionRead, id); prob != nil {
		return prob
	}
	b, err := h.cfg.Ledger.Booking(r.Context(), id)
	if err != nil {
		return problemOf(err)
	}
	w.Header().Set("ETag", fhirETag(b))
	writeFHIR(w, http.StatusOK, h.fhirAppointment(b))
	return nil
}

// fhirUpdate is GP Connect's amend and cancel: a PUT of the whole
// Appointment; status cancelled cancels (with cancelationReason), another
// slot reschedules.
func (h *Handler) fhirUpdate(w http.ResponseWriter, r *http.Request, p Principal) *Problem {
	id := r.PathValue("id")
	a, slot, _, prob := readAppointment(r)
	if prob != nil {
		return prob
	}
	if a.ID.Value != id {
		return invalid(FieldError{Field: "Appointment.id", Detail: "must equal the id in the URL"})
	}
	ver, prob := ifMatch(r, id)
	if prob != nil {
		return prob
	}
	ctx := r.Context()
	var b booking.Booking
	var evs []booking.Event
	var err error
	switch a.Status.Value {
	case "cancelled":
		if prob := h.allow(ctx, p, ActionCancel, id); prob != nil {
			return prob
		}
		reason := ""
		if a.CancelationReason != nil {
			reason = a.CancelationReason.Text.Value
		}
		b, evs, err = h.cfg.Ledger.Cancel(ctx, booking.CancelInput{BookingID: id, IfVersion: ver, Actor: p.ID, Reason: reason})
		if err == nil {
			h.after(r, evs, ActionCancel)
		}
	case "booked":
		if prob := h.allow(ctx, p, ActionReschedule, id); prob != nil {
			return prob
		}
		cur, cerr := h.cfg.Ledger.Booking(ctx, id)
		if cerr != nil {
			return problemOf(cerr)
		}
		if cur.SlotID == slot {
			if ver != 0 && ver != cur.Version {
				return problemOf(booking.ErrVersionMismatch)
			}
			b = cur // nothing the ledger keeps has changed
			break
		}
		b, evs, err = h.cfg.Ledger.Reschedule(ctx, booking.RescheduleInput{BookingID: id, ToSlot: slot, IfVersion: ver, Actor: p.ID, Reason: a.Description.Value})
		if err == nil {
			h.after(r, evs, ActionReschedule)
		}
	default:
		return invalid(FieldError{Field: "Appointment.status", Detail: "want booked or cancelled"})
	}
	if err != nil {
		return problemOf(err)
	}
	w.Header().Set("ETag", fhirETag(b))
	writeFHIR(w, http.StatusOK, h.fhirAppointment(b))
	return nil
}
