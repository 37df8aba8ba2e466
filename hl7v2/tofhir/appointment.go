package tofhir

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// appointmentStatus maps SCH-25 and the AIx filler status (HL7 table 0278)
// to Appointment.status. Pending to Noshow follow the HL7 v2-to-FHIR
// ConceptMap table-hl70278-to-appointmentstatus; DC (discontinued) is read
// as cancelled, Deleted as entered-in-error and Overbook as booked.
var appointmentStatus = map[string]string{
	"Pending":   "pending",
	"Waitlist":  "waitlist",
	"Booked":    "booked",
	"Started":   "checked-in",
	"Complete":  "fulfilled",
	"Cancelled": "cancelled",
	"DC":        "cancelled",
	"Dc":        "cancelled",
	"Deleted":   "entered-in-error",
	"Overbook":  "booked",
	"Noshow":    "noshow",
}

// appointmentReasons are HL7 table 0276 (SCH-7), which UK Core's
// UKCore-AppointmentReasonCode value set takes for Appointment.appointmentType.
var appointmentReasons = map[string]string{
	"ROUTINE":   "Routine appointment - default if not valued",
	"WALKIN":    "A previously unscheduled walk-in visit",
	"CHECKUP":   "A routine check-up, such as an annual physical",
	"FOLLOWUP":  "A follow up visit from a previous appointment",
	"EMERGENCY": "Emergency appointment",
}

const (
	csV20276           = "http://terminology.hl7.org/CodeSystem/v2-0276"
	csV20203           = "http://terminology.hl7.org/CodeSystem/v2-0203"
	extBookingOrg      = fhir.UKCoreBase + "Extension-UKCore-BookingOrganization"
	profileAppointment = fhir.UKCoreBase + "UKCore-Appointment"
	profileSlot        = fhir.UKCoreBase + "UKCore-Slot"
	profileSchedule    = fhir.UKCoreBase + "UKCore-Schedule"
)

var siuSegments = map[string]bool{"MSH": true, "SCH": true, "TQ1": true, "NTE": true, "PID": true, "PD1": true, "PV1": true,
	"RGS": true, "AIS": true, "AIG": true, "AIL": true, "AIP": true}

// slotSegments are what an S23 or S24 conversion reads: a patient in one
// is reported, since a Slot has none.
var slotSegments = map[string]bool{"MSH": true, "SCH": true, "TQ1": true, "NTE": true,
	"RGS": true, "AIS": true, "AIG": true, "AIL": true, "AIP": true}

// siu converts an SIU message: S23 and S24 into a Slot and its Schedule,
// every other trigger into an Appointment.
func (c *conv) siu() (*Result, error) {
	s, err := c.msg.SIU()
	if err != nil {
		return nil, &Error{Path: "SIU", Err: err}
	}
	tm, terr := s.Timing()
	if terr != nil && !errors.Is(terr, hl7v2.ErrNoTiming) {
		return nil, &Error{Path: timingPath(terr), Err: terr}
	}
	if s.Trigger == "S23" || s.Trigger == "S24" {
		if terr != nil {
			return nil, &Error{Path: "TQ1-7", Err: fmt.Errorf("%w: a slot needs a start and an end", ErrMissing)}
		}
		if err := c.slot(s, tm); err != nil {
			return nil, err
		}
		c.unmappedSegments(slotSegments)
		return c.res, nil
	}
	if err := c.appointment(s, tm, terr == nil); err != nil {
		return nil, err
	}
	c.unmappedSegments(siuSegments)
	return c.res, nil
}

// timingPath names the field a timing error is about ("TQ1-7").
func timingPath(err error) string {
	var pe *hl7v2.ParseError
	if errors.As(err, &pe) && pe.Field > 0 {
		return fmt.Sprintf("segment %d field %d", pe.Segment, pe.Field)
	}
	return "TQ1"
}

// apptStatus is the Appointment.status a trigger and SCH-25 give: the
// cancellation, deletion and no-show triggers say it themselves; the
// others take SCH-25 (default booked).
func (c *conv) apptStatus(s *hl7v2.SIU) string {
	switch s.Trigger {
	case "S15", "S16":
		return "cancelled"
	case "S17":
		return "entered-in-error"
	case "S26":
		return "noshow"
	}
	fs := nv(s.SCH.FillerStatus().Code)
	if fs == "" {
		return "booked"
	}
	if st, ok := c.m.AppointmentStatus[fs]; ok {
		return st
	}
	c.unmapped("SCH-25", fs, "filler status not in table 0278; booked assumed")
	return "booked"
}

// ei maps an appointment id (EI) with the identifier type FILL or PLAC
// (table 0203); system is "" when the namespace has none in the mapping.
func (c *conv) ei(e hl7v2.EI, typ, display, path string) (fhir.Identifier, string, bool) {
	e = nulls(e)
	if e.ID == "" {
		return fhir.Identifier{}, "", false
	}
	id := fhir.Identifier{Value: str(e.ID), Type: concept(csV20203, typ, display)}
	sys, ok := c.m.AppointmentSystems[e.Namespace]
	if ok {
		id.System = uri(sys)
	} else {
		c.unmapped(path+".2", e.Namespace, "no appointment identifier system for this namespace")
	}
	return id, sys, true
}

func instant(t time.Time) fhir.Instant { return fhir.Instant{Value: t.Format(time.RFC3339)} }

func (c *conv) appointment(s *hl7v2.SIU, tm hl7v2.Timing, timed bool) error {
	a := &fhir.Appointment{Meta: &fhir.Meta{Profile: []fhir.Canonical{{Value: profileAppointment}}}}
	c.res.Appointment = a
	a.Status = code(c.apptStatus(s))
	var match string
	if id, sys, ok := c.ei(s.SCH.FillerAppointmentID(), "FILL", "Filler Identifier", "SCH-2"); ok {
		a.Identifier = append(a.Identifier, id)
		if sys != "" {
			match = "identifier=" + sys + "|" + id.Value.Value
		}
	}
	if id, _, ok := c.ei(s.SCH.PlacerAppointmentID(), "PLAC", "Placer Identifier", "SCH-1"); ok {
		a.Identifier = append(a.Identifier, id)
	}
	if timed {
		a.Start, a.End = instant(tm.Start), instant(tm.End)
		if tm.End.IsZero() {
			a.End = fhir.Instant{}
		} else if m := int64(tm.End.Sub(tm.Start) / time.Minute); m > 0 {
			a.MinutesDuration = fhir.PositiveInt{Value: m, Set: true}
		}
		if tm.Precision < hl7v2.PrecisionMinute {
			c.unmapped(tm.Source, "", "appointment time has no time of day; midnight assumed")
		}
	} else {
		switch a.Status.Value {
		case "proposed", "cancelled", "waitlist", "entered-in-error", "pending":
			// FHIR app-3: only proposed or cancelled appointments may lack
			// times; a deleted or pending one is sent without them too.
		default:
			return &Error{Path: "TQ1-7", Err: fmt.Errorf("%w: a %s appointment needs a start", ErrMissing, a.Status.Value)}
		}
	}
	if a.End.Value != "" && a.Start.Value == "" {
		a.End = fhir.Instant{}
	}
	// The cancellation reason (SCH-6) means something only when the
	// appointment was cancelled or missed (FHIR app-4).
	if st := a.Status.Value; st == "cancelled" || st == "noshow" {
		a.CancelationReason = c.cwe(s.SCH.EventReason(), "SCH-6")
	}
	if r := nulls(s.SCH.AppointmentReason()); r.Code != "" || r.Text != "" {
		if d, ok := appointmentReasons[strings.ToUpper(r.Code)]; ok {
			a.AppointmentType = concept(csV20276, strings.ToUpper(r.Code), d)
		} else {
			a.ReasonCode = append(a.ReasonCode, *c.cwe(r, "SCH-7"))
		}
	}
	var notes []string
	for _, n := range s.Notes {
		if v := nv(n.Comment()); v != "" {
			notes = append(notes, v)
		}
	}
	a.Comment = str(strings.Join(notes, "\n"))
	if fac := nv(c.msg.MSH().SendingFacility()); fac != "" {
		// MSH-4 is the sending organisation's ODS code in NHS feeds.
		a.Extension = append(a.Extension, fhir.Extension{URL: uri(extBookingOrg), Value: &fhir.Reference{
			Type: uri("Organization"), Identifier: &fhir.Identifier{System: uri(fhir.ODSOrganizationCodeSystem), Value: str(fac)}}})
	}
	// The Appointment's place in the Bundle, for the Encounter of its
	// visit to point at: by fullUrl when the Appointment is sent, else by
	// the filler's id.
	apptURL := fhir.NewUUID()
	apptRef := &fhir.Reference{Reference: str(apptURL)}
	if match == "" && s.Trigger != "S12" {
		apptRef = &fhir.Reference{Type: uri("Appointment")}
		if len(a.Identifier) > 0 {
			apptRef.Identifier = &a.Identifier[0]
		}
	}
	for _, p := range s.Patients {
		var pd1 *hl7v2.PD1
		if p.PD1.Present() {
			pd1 = &p.PD1
		}
		ref, err := c.patient(p.PID, pd1)
		if err != nil {
			return err
		}
		switch {
		case p.PV1.Present() && c.res.Encounter == nil:
			// FHIR R4 links a visit to its appointment from the Encounter
			// (Encounter.appointment).
			c.encounterFor(p.PV1, s.Trigger, ref, apptRef)
		case p.PV1.Present():
			c.unmapped("PV1["+itoa(occurrence(c.msg, p.PV1.Segment))+"]", "", "the visit of a second patient on one appointment is not mapped")
		}
		a.Participant = append(a.Participant, fhir.AppointmentParticipant{
			Actor: &fhir.Reference{Reference: str(ref), Type: uri("Patient")}, Required: code("required"), Status: code("accepted")})
	}
	c.resources(s, func(g hl7v2.SIUResources, gi int) {
		for _, r := range g.Services {
			if r.ActionCode() == "D" {
				continue
			}
			if cc := c.cwe(r.Service(), fmt.Sprintf("AIS[%d]-3", gi)); cc != nil {
				a.ServiceType = append(a.ServiceType, *cc)
			}
		}
		for _, r := range g.Personnel {
			if ref := c.practitioner(r.Person(), "AIP-3"); ref != nil && r.ActionCode() != "D" {
				a.Participant = append(a.Participant, fhir.AppointmentParticipant{
					Type:  []fhir.CodeableConcept{*concept(csParticipationType, "ATND", "attender")},
					Actor: ref, Required: code("required"), Status: code(participantStatus(r.FillerStatus().Code))})
			}
		}
		for _, r := range g.Locations {
			if d := plDisplay(r.Location()); d != "" && r.ActionCode() != "D" {
				a.Participant = append(a.Participant, fhir.AppointmentParticipant{
					Actor: &fhir.Reference{Type: uri("Location"), Display: str(d)}, Required: code("required"), Status: code(participantStatus(r.FillerStatus().Code))})
			}
		}
		for _, r := range g.General {
			if cc := nulls(r.ResourceID()); (cc.Code != "" || cc.Text != "") && r.ActionCode() != "D" {
				d := cc.Text
				if d == "" {
					d = cc.Code
				}
				a.Participant = append(a.Participant, fhir.AppointmentParticipant{
					Actor: &fhir.Reference{Type: uri("Device"), Display: str(d)}, Required: code("required"), Status: code(participantStatus(r.FillerStatus().Code))})
			}
		}
	})
	c.resourceNotes(s)
	if len(a.Participant) == 0 {
		return &Error{Path: "PID", Err: fmt.Errorf("%w: an appointment needs a patient or a resource (AIP, AIL, AIG)", ErrMissing)}
	}
	var req *fhir.BundleEntryRequest
	switch {
	case match != "":
		req = &fhir.BundleEntryRequest{Method: code("PUT"), URL: uri("Appointment?" + match)}
	case s.Trigger == "S12":
		req = &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Appointment")}
		c.unmapped("SCH-2", "", "no filler appointment id with a known system: the Appointment is created, and later messages about it cannot update it")
	default:
		c.unmapped("SCH-2", "", "no filler appointment id with a known system: the Appointment this "+s.Trigger+" changes cannot be found, so it is not sent")
		return nil
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(apptURL), Resource: a, Request: req})
	return nil
}

// resources calls fn for each resource group that is not being deleted,
// and reports the deleted ones.
func (c *conv) resources(s *hl7v2.SIU, fn func(g hl7v2.SIUResources, i int)) {
	for i, g := range s.Resources {
		if g.RGS.Present() && g.RGS.ActionCode() == "D" {
			continue
		}
		fn(g, i+1)
	}
}

// resourceNotes reports the NTEs that annotate a service or resource:
// FHIR R4 has no place for them on an Appointment or a Slot (comment is
// the SCH's notes).
func (c *conv) resourceNotes(s *hl7v2.SIU) {
	var notes []hl7v2.NTE
	for _, g := range s.Resources {
		for _, a := range g.Services {
			notes = append(notes, a.Notes...)
		}
		for _, a := range g.General {
			notes = append(notes, a.Notes...)
		}
		for _, a := range g.Locations {
			notes = append(notes, a.Notes...)
		}
		for _, a := range g.Personnel {
			notes = append(notes, a.Notes...)
		}
	}
	for _, n := range notes {
		c.unmapped("NTE["+itoa(occurrence(c.msg, n.Segment))+"]", "", "note on a service or resource (AIS, AIG, AIL, AIP) not mapped")
	}
}

// occurrence is which segment of its name seg is, from 1 (the n of
// "NTE[n]").
func occurrence(m *hl7v2.Message, seg hl7v2.Segment) int {
	n := 0
	for _, s := range m.Segments()[:seg.Index+1] {
		if s.Name() == seg.Name() {
			n++
		}
	}
	return n
}

// participantStatus reads an AIx filler status (table 0278) as a
// participant's answer.
func participantStatus(fs string) string {
	switch fs {
	case "Cancelled", "Deleted", "DC", "Dc", "Noshow":
		return "declined"
	case "Pending", "Waitlist":
		return "tentative"
	}
	return "accepted"
}

func plDisplay(pl hl7v2.PL) string {
	pl = nulls(pl)
	return strings.Join(nonEmpty(pl.PointOfCare, pl.Room, pl.Bed, pl.Facility), ", ")
}

// slot converts S23 (blocked) and S24 (opened) into a Slot and the
// Schedule it belongs to.
func (c *conv) slot(s *hl7v2.SIU, tm hl7v2.Timing) error {
	if tm.End.IsZero() {
		return &Error{Path: "TQ1-8", Err: fmt.Errorf("%w: a slot needs an end or a duration", ErrMissing)}
	}
	sl := &fhir.Slot{Meta: &fhir.Meta{Profile: []fhir.Canonical{{Value: profileSlot}}}}
	sc := &fhir.Schedule{Meta: &fhir.Meta{Profile: []fhir.Canonical{{Value: profileSchedule}}}, Active: fhir.Boolean{Value: true, Set: true}}
	c.res.Slot, c.res.Schedule = sl, sc
	sl.Status = code("free")
	if s.Trigger == "S23" {
		sl.Status = code("busy-unavailable")
	}
	sl.Start, sl.End = instant(tm.Start), instant(tm.End)
	var match string
	if id, sys, ok := c.ei(s.SCH.FillerAppointmentID(), "FILL", "Filler Identifier", "SCH-2"); ok {
		sl.Identifier = append(sl.Identifier, id)
		if sys != "" {
			match = "identifier=" + sys + "|" + id.Value.Value
		}
	}
	if r := nulls(s.SCH.AppointmentReason()); r.Code != "" {
		if d, ok := appointmentReasons[strings.ToUpper(r.Code)]; ok {
			sl.AppointmentType = concept(csV20276, strings.ToUpper(r.Code), d)
		} else {
			c.unmapped("SCH-7", r.Code, "not an HL7 table 0276 appointment reason")
		}
	}
	var notes []string
	for _, n := range s.Notes {
		if v := nv(n.Comment()); v != "" {
			notes = append(notes, v)
		}
	}
	sl.Comment = str(strings.Join(notes, "\n"))
	c.resources(s, func(g hl7v2.SIUResources, gi int) {
		for _, r := range g.Services {
			if cc := c.cwe(r.Service(), fmt.Sprintf("AIS[%d]-3", gi)); cc != nil {
				sl.ServiceType = append(sl.ServiceType, *cc)
				sc.ServiceType = append(sc.ServiceType, *cc)
			}
		}
		for _, r := range g.Personnel {
			if ref := c.practitioner(r.Person(), "AIP-3"); ref != nil {
				sc.Actor = append(sc.Actor, *ref)
			}
		}
		for _, r := range g.Locations {
			if d := plDisplay(r.Location()); d != "" {
				sc.Actor = append(sc.Actor, fhir.Reference{Type: uri("Location"), Display: str(d)})
			}
		}
	})
	c.resourceNotes(s)
	schedID := nulls(s.SCH.ScheduleID())
	if schedID.Code != "" {
		sc.Identifier = append(sc.Identifier, fhir.Identifier{Value: str(schedID.Code)})
		if len(sc.Actor) == 0 {
			sc.Actor = append(sc.Actor, fhir.Reference{Display: str(firstNonEmpty(schedID.Text, schedID.Code))})
		}
	}
	if len(sc.Actor) == 0 {
		return &Error{Path: "AIL", Err: fmt.Errorf("%w: a schedule needs an actor (AIP, AIL or SCH-5)", ErrMissing)}
	}
	schedURL := fhir.NewUUID()
	sl.Schedule = &fhir.Reference{Reference: str(schedURL)}
	// The Schedule is created once: a conditional create by its id when
	// SCH-5 names one with a known system, else a plain create (reported).
	schedReq := &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Schedule")}
	if sys, ok := c.m.ScheduleSystems[schedID.System]; ok && schedID.Code != "" {
		sc.Identifier[0].System = uri(sys)
		schedReq.IfNoneExist = str("identifier=" + sys + "|" + schedID.Code)
	} else {
		c.unmapped("SCH-5", schedID.System, "no schedule identifier system: a new Schedule is created for this slot")
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(schedURL), Resource: sc, Request: schedReq})
	var req *fhir.BundleEntryRequest
	switch {
	case match != "":
		req = &fhir.BundleEntryRequest{Method: code("PUT"), URL: uri("Slot?" + match)}
	default:
		req = &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Slot")}
		c.unmapped("SCH-2", "", "no filler id with a known system: the Slot is created, and a later S23 or S24 cannot update it")
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(fhir.NewUUID()), Resource: sl, Request: req})
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
