package tofhir

import (
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/hl7v2"
)

// PV1-2 patient class (HL7 table 0004) to v3 ActCode encounter classes.
var encounterClass = map[string][2]string{ // code, display
	"I": {"IMP", "inpatient encounter"},
	"O": {"AMB", "ambulatory"},
	"E": {"EMER", "emergency"},
	"P": {"PRENC", "pre-admission"},
	"R": {"AMB", "ambulatory"},
	"B": {"IMP", "inpatient encounter"},
}

// encounterStatus is the Encounter.status an ADT trigger implies (HL7
// v2.5.1 chapter 3 trigger events; FHIR Encounter.status).
func encounterStatus(trigger string, discharged bool) string {
	switch trigger {
	case "S12", "S13", "S14", "S18", "S19", "S20", "S21", "S22":
		return "planned" // the visit of a booked appointment (SIU)
	case "S15", "S16", "S26":
		return "cancelled" // cancelled, discontinued, or the patient did not come
	case "S17":
		return "entered-in-error" // the appointment is deleted
	case "A05":
		return "planned" // pre-admit
	case "A03":
		return "finished" // discharge / end visit
	case "A11":
		return "entered-in-error" // the admission or visit is cancelled as wrong
	case "A04":
		return "arrived" // register an outpatient or emergency visit
	case "A08":
		if discharged {
			return "finished"
		}
	}
	// A01 admit, A02 transfer, A06 outpatient to inpatient and A07 back
	// (PV1-2 gives the new class), A09 patient departing and A10 arriving
	// (tracking), A12 transfer cancelled, A13 discharge cancelled, A08 of a
	// current visit.
	return "in-progress"
}

// createsEncounter says whether a trigger may start a visit, so that an
// Encounter that cannot be matched is created rather than lost.
func createsEncounter(trigger string) bool {
	return trigger == "A01" || trigger == "A04" || trigger == "A05" || trigger == "S12"
}

const (
	csSourceOfAdmission    = "https://fhir.hl7.org.uk/CodeSystem/UKCore-SourceOfAdmissionEngland"
	csDischargeMethod      = "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland"
	csDischargeDestination = "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland"
	csParticipationType    = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	csActCode              = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	csAdmissionMethod      = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland"
	extDischargeMethod     = fhir.UKCoreBase + "Extension-UKCore-DischargeMethod"
	extAdmissionMethod     = fhir.UKCoreBase + "Extension-UKCore-AdmissionMethod"
)

func (c *conv) encounter(pv1 hl7v2.PV1, trigger, patientRef string) {
	c.encounterFor(pv1, trigger, patientRef, nil)
}

// encounterFor converts PV1; appointment, when set, is the Appointment
// the visit is for (SIU).
func (c *conv) encounterFor(pv1 hl7v2.PV1, trigger, patientRef string, appointment *fhir.Reference) {
	e := &fhir.Encounter{Subject: &fhir.Reference{Reference: str(patientRef)}}
	e.Meta = &fhir.Meta{Profile: []fhir.Canonical{{Value: fhir.UKCoreBase + "UKCore-Encounter"}}}
	c.res.Encounter = e
	if appointment != nil {
		e.Appointment = []fhir.Reference{*appointment}
	}
	pc := nv(pv1.PatientClass())
	if cl, ok := c.m.EncounterClasses[pc]; ok {
		e.Class = &fhir.Coding{System: uri(csActCode), Code: code(cl[0]), Display: str(cl[1])}
	} else {
		e.Class = &fhir.Coding{System: uri("http://terminology.hl7.org/CodeSystem/data-absent-reason"), Code: code("unknown")}
		c.unmapped("PV1-2", pc, "unknown patient class")
	}
	var match string // the conditional update's search
	if vn := nulls(pv1.VisitNumber()); vn.ID != "" {
		id := fhir.Identifier{Value: str(vn.ID)}
		if sys, ok := c.m.VisitNumberSystems[vn.AssigningAuthority]; ok {
			id.System = uri(sys)
			match = "identifier=" + sys + "|" + vn.ID
		} else {
			c.unmapped("PV1-19.4", vn.AssigningAuthority, "no visit number system for this assigning authority")
			if vn.AssigningAuthority != "" {
				id.Assigner = &fhir.Reference{Identifier: &fhir.Identifier{System: uri(fhir.ODSOrganizationCodeSystem), Value: str(vn.AssigningAuthority)}}
			}
		}
		id.Type = concept("http://terminology.hl7.org/CodeSystem/v2-0203", "VN", "Visit number")
		e.Identifier = append(e.Identifier, id)
	}
	start, sp, startErr := pv1.Admitted()
	end, ep, endErr := pv1.Discharged()
	if startErr == nil || endErr == nil {
		e.Period = &fhir.Period{}
		if startErr == nil {
			e.Period.Start = c.dateTime(start, sp)
		}
		if endErr == nil {
			e.Period.End = c.dateTime(end, ep)
		}
	}
	e.Status = code(encounterStatus(trigger, endErr == nil))
	for _, p := range []struct {
		x    hl7v2.XCN
		typ  string
		name string
		path string
	}{
		{pv1.Attending(), "ATND", "attender", "PV1-7"},
		{pv1.Referring(), "REF", "referrer", "PV1-8"},
		{pv1.Consulting(), "CON", "consultant", "PV1-9"},
	} {
		if ref := c.practitioner(p.x, p.path); ref != nil {
			e.Participant = append(e.Participant, fhir.EncounterParticipant{
				Type:       []fhir.CodeableConcept{*concept(csParticipationType, p.typ, p.name)},
				Individual: ref,
			})
		}
	}
	if loc := locationDisplay(pv1.Segment, 3); loc != "" {
		e.Location = append(e.Location, fhir.EncounterLocation{Location: &fhir.Reference{Display: str(loc)}, Status: code("active")})
	}
	if trigger == "A02" || trigger == "A09" || trigger == "A10" {
		// A transfer or a tracked move: PV1-6 is where the patient was.
		if prior := locationDisplay(pv1.Segment, 6); prior != "" {
			e.Location = append(e.Location, fhir.EncounterLocation{Location: &fhir.Reference{Display: str(prior)}, Status: code("completed")})
		}
	}
	if fac := nv(pv1.Facility()); fac != "" {
		e.ServiceProvider = &fhir.Reference{Type: uri("Organization"), Identifier: &fhir.Identifier{System: uri(fhir.ODSOrganizationCodeSystem), Value: str(fac)}}
	}
	hosp := &fhir.EncounterHospitalization{}
	if src := nv(pv1.AdmitSource()); src != "" {
		hosp.AdmitSource = concept(csSourceOfAdmission, src, "")
		if !allDigits(src) || len(src) != 2 {
			c.unmapped("PV1-14", src, "not an NHS source of admission code")
			hosp.AdmitSource = &fhir.CodeableConcept{Text: str(src)}
		}
	}
	// UK Core puts the NHS discharge method (PV1-36, one digit) in an
	// extension on the Encounter and the discharge destination (PV1-37, two
	// digits) in hospitalization.dischargeDisposition; the admission method
	// (PV1-4) is an extension on hospitalization.
	if d := nv(pv1.DischargeDisposition()); d != "" {
		if allDigits(d) && len(d) == 1 {
			e.Extension = append(e.Extension, fhir.Extension{URL: uri(extDischargeMethod), Value: concept(csDischargeMethod, d, "")})
		} else {
			c.unmapped("PV1-36", d, "not an NHS discharge method code")
		}
	}
	if d := nv(pv1.DischargedTo()); d != "" {
		if allDigits(d) && len(d) == 2 {
			hosp.DischargeDisposition = concept(csDischargeDestination, d, "")
		} else {
			hosp.DischargeDisposition = &fhir.CodeableConcept{Text: str(d)}
			c.unmapped("PV1-37", d, "not an NHS discharge destination code")
		}
	}
	if am := nv(pv1.AdmissionType()); am != "" {
		if len(am) == 2 {
			hosp.Extension = append(hosp.Extension, fhir.Extension{URL: uri(extAdmissionMethod), Value: concept(csAdmissionMethod, am, "")})
		} else {
			c.unmapped("PV1-4", am, "not an NHS admission method code")
		}
	}
	if hosp.AdmitSource != nil || hosp.DischargeDisposition != nil || len(hosp.Extension) > 0 {
		e.Hospitalization = hosp
	}
	if svc := nv(pv1.HospitalService()); svc != "" {
		e.ServiceType = &fhir.CodeableConcept{Text: str(svc)}
	}
	// Every trigger is a conditional update by visit number (FHIR R4
	// http.html#cond-update): the A01 creates the Encounter and the A02,
	// A03, A08, A11, A12 and A13 that follow change that same one. The PV1
	// of each message describes the whole visit, so the update replaces it.
	var req *fhir.BundleEntryRequest
	switch {
	case match != "":
		req = &fhir.BundleEntryRequest{Method: code("PUT"), URL: uri("Encounter?" + match)}
	case createsEncounter(trigger):
		req = &fhir.BundleEntryRequest{Method: code("POST"), URL: uri("Encounter")}
		c.unmapped("PV1-19", "", "no visit number with a known system: the Encounter is created, and later messages about this visit cannot update it")
	default:
		c.unmapped("PV1-19", "", "no visit number with a known system: the Encounter this "+trigger+" changes cannot be found, so it is not sent")
		return
	}
	c.res.Bundle.Entry = append(c.res.Bundle.Entry, fhir.BundleEntry{FullURL: uri(fhir.NewUUID()), Resource: e, Request: req})
}

// locationDisplay is a PL (PV1-3 assigned, PV1-6 prior location) as
// "point of care, room, bed".
func locationDisplay(pv1 hl7v2.Segment, field int) string {
	var parts []string
	for c := 1; c <= 3; c++ {
		if s := pv1.Get(field, 1, c, 1); s != "" && !hl7v2.IsNull(s) {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}
