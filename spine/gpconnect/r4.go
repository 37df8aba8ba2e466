package gpconnect

import (
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/fhir/stu3"
)

// GP Connect speaks FHIR STU3 (package fhir/stu3); nhskit's fhir package
// models R4. These conversions carry what GP Connect's profiles hold between
// the two. The elements that differ between STU3 and R4 for these resources
// (https://hl7.org/fhir/R4/appointment.html and the STU3-R4 maps) are
// Appointment.reason (STU3) -> reasonCode (R4), and Appointment.status,
// whose STU3 codes are all R4 codes; everything else kept here is shared.

func str(s stu3.String) fhir.String { return fhir.String{Value: s.Value} }
func uri(s stu3.URI) fhir.URI       { return fhir.URI{Value: s.Value} }
func code(s stu3.Code) fhir.Code    { return fhir.Code{Value: s.Value} }

func strs(ss []stu3.String) []fhir.String {
	var out []fhir.String
	for _, s := range ss {
		out = append(out, str(s))
	}
	return out
}

func strsSTU3(ss []fhir.String) []stu3.String {
	var out []stu3.String
	for _, s := range ss {
		out = append(out, stu3.String{Value: s.Value})
	}
	return out
}

func identifiersR4(ids []stu3.Identifier) []fhir.Identifier {
	var out []fhir.Identifier
	for _, id := range ids {
		out = append(out, fhir.Identifier{System: uri(id.System), Value: str(id.Value)})
	}
	return out
}

func identifiersSTU3(ids []fhir.Identifier) []stu3.Identifier {
	var out []stu3.Identifier
	for _, id := range ids {
		out = append(out, stu3.Identifier{System: stu3.URI{Value: id.System.Value}, Value: stu3.String{Value: id.Value.Value}})
	}
	return out
}

func namesR4(ns []stu3.HumanName) []fhir.HumanName {
	var out []fhir.HumanName
	for _, n := range ns {
		out = append(out, fhir.HumanName{Use: code(n.Use), Family: str(n.Family), Given: strs(n.Given), Prefix: strs(n.Prefix)})
	}
	return out
}

func namesSTU3(ns []fhir.HumanName) []stu3.HumanName {
	var out []stu3.HumanName
	for _, n := range ns {
		out = append(out, stu3.HumanName{Use: stu3.Code{Value: n.Use.Value}, Family: stu3.String{Value: n.Family.Value},
			Given: strsSTU3(n.Given), Prefix: strsSTU3(n.Prefix)})
	}
	return out
}

func addressR4(a stu3.Address) fhir.Address {
	return fhir.Address{Use: code(a.Use), Line: strs(a.Line), City: str(a.City), District: str(a.District),
		PostalCode: str(a.PostalCode), Country: str(a.Country)}
}

func addressSTU3(a fhir.Address) stu3.Address {
	return stu3.Address{Use: stu3.Code{Value: a.Use.Value}, Line: strsSTU3(a.Line), City: stu3.String{Value: a.City.Value},
		District: stu3.String{Value: a.District.Value}, PostalCode: stu3.String{Value: a.PostalCode.Value}, Country: stu3.String{Value: a.Country.Value}}
}

func telecomR4(cs []stu3.ContactPoint) []fhir.ContactPoint {
	var out []fhir.ContactPoint
	for _, c := range cs {
		out = append(out, fhir.ContactPoint{System: code(c.System), Value: str(c.Value), Use: code(c.Use)})
	}
	return out
}

func telecomSTU3(cs []fhir.ContactPoint) []stu3.ContactPoint {
	var out []stu3.ContactPoint
	for _, c := range cs {
		out = append(out, stu3.ContactPoint{System: stu3.Code{Value: c.System.Value}, Value: stu3.String{Value: c.Value.Value}, Use: stu3.Code{Value: c.Use.Value}})
	}
	return out
}

func conceptsR4(cs []stu3.CodeableConcept) []fhir.CodeableConcept {
	var out []fhir.CodeableConcept
	for i := range cs {
		out = append(out, *conceptR4(&cs[i]))
	}
	return out
}

func conceptR4(c *stu3.CodeableConcept) *fhir.CodeableConcept {
	out := &fhir.CodeableConcept{Text: str(c.Text)}
	for _, cd := range c.Coding {
		out.Coding = append(out.Coding, fhir.Coding{System: uri(cd.System), Code: code(cd.Code), Display: str(cd.Display)})
	}
	return out
}

func referenceR4(r *stu3.Reference) *fhir.Reference {
	if r == nil {
		return nil
	}
	return &fhir.Reference{Reference: str(r.Reference), Display: str(r.Display)}
}

func metaR4(m *stu3.Meta) *fhir.Meta {
	if m == nil {
		return nil
	}
	out := &fhir.Meta{VersionID: fhir.ID{Value: m.VersionID.Value}}
	for _, p := range m.Profile {
		out.Profile = append(out.Profile, fhir.Canonical{Value: p.Value})
	}
	return out
}

// PatientToR4 converts a GP Connect patient to an R4 Patient.
func PatientToR4(p *stu3.Patient) *fhir.Patient {
	out := &fhir.Patient{ID: fhir.ID{Value: p.ID.Value}, Meta: metaR4(p.Meta), Identifier: identifiersR4(p.Identifier), Name: namesR4(p.Name),
		Gender: code(p.Gender), BirthDate: fhir.Date{Value: p.BirthDate.Value}, Telecom: telecomR4(p.Telecom)}
	for _, a := range p.Address {
		out.Address = append(out.Address, addressR4(a))
	}
	return out
}

// PatientFromR4 converts an R4 Patient (from PDS, say) to the STU3 Patient
// GP Connect takes.
func PatientFromR4(p *fhir.Patient) *stu3.Patient {
	out := &stu3.Patient{ID: stu3.ID{Value: p.ID.Value}, Identifier: identifiersSTU3(p.Identifier), Name: namesSTU3(p.Name),
		Gender: stu3.Code{Value: p.Gender.Value}, BirthDate: stu3.Date{Value: p.BirthDate.Value}, Telecom: telecomSTU3(p.Telecom)}
	for _, a := range p.Address {
		out.Address = append(out.Address, addressSTU3(a))
	}
	return out
}

// PractitionerToR4 converts a practitioner.
func PractitionerToR4(p *stu3.Practitioner) *fhir.Practitioner {
	return &fhir.Practitioner{ID: fhir.ID{Value: p.ID.Value}, Meta: metaR4(p.Meta), Identifier: identifiersR4(p.Identifier), Name: namesR4(p.Name), Gender: code(p.Gender)}
}

// OrganizationToR4 converts an organisation.
func OrganizationToR4(o *stu3.Organization) *fhir.Organization {
	out := &fhir.Organization{ID: fhir.ID{Value: o.ID.Value}, Meta: metaR4(o.Meta), Identifier: identifiersR4(o.Identifier), Name: str(o.Name), Telecom: telecomR4(o.Telecom)}
	for _, a := range o.Address {
		out.Address = append(out.Address, addressR4(a))
	}
	return out
}

// LocationToR4 converts a location; its position's decimals are kept as
// written.
func LocationToR4(l *stu3.Location) *fhir.Location {
	out := &fhir.Location{ID: fhir.ID{Value: l.ID.Value}, Meta: metaR4(l.Meta), Name: str(l.Name), ManagingOrganization: referenceR4(l.ManagingOrganization)}
	if l.Address != nil {
		a := addressR4(*l.Address)
		out.Address = &a
	}
	if l.Position != nil {
		out.Position = &fhir.LocationPosition{Longitude: fhir.Decimal{Raw: l.Position.Longitude.Raw}, Latitude: fhir.Decimal{Raw: l.Position.Latitude.Raw}}
	}
	return out
}

// ScheduleToR4 converts a schedule.
func ScheduleToR4(s *stu3.Schedule) *fhir.Schedule {
	out := &fhir.Schedule{ID: fhir.ID{Value: s.ID.Value}, Meta: metaR4(s.Meta), ServiceType: conceptsR4(s.ServiceType), Comment: str(s.Comment)}
	if s.ServiceCategory != nil {
		out.ServiceCategory = []fhir.CodeableConcept{*conceptR4(s.ServiceCategory)}
	}
	for i := range s.Actor {
		out.Actor = append(out.Actor, *referenceR4(&s.Actor[i]))
	}
	if s.PlanningHorizon != nil {
		out.PlanningHorizon = &fhir.Period{Start: fhir.DateTime{Value: s.PlanningHorizon.Start.Value}, End: fhir.DateTime{Value: s.PlanningHorizon.End.Value}}
	}
	return out
}

// SlotToR4 converts a slot.
func SlotToR4(s *stu3.Slot) *fhir.Slot {
	return &fhir.Slot{ID: fhir.ID{Value: s.ID.Value}, Meta: metaR4(s.Meta), ServiceType: conceptsR4(s.ServiceType),
		Schedule: referenceR4(s.Schedule), Status: code(s.Status),
		Start: fhir.Instant{Value: s.Start.Value}, End: fhir.Instant{Value: s.End.Value}}
}

// AppointmentToR4 converts an appointment: reason (never sent to GP
// Connect) becomes reasonCode; participants keep their actor references
// and status; the cancellation reason extension becomes
// cancelationReason.text.
func AppointmentToR4(a *stu3.Appointment) *fhir.Appointment {
	out := &fhir.Appointment{ID: fhir.ID{Value: a.ID.Value}, Meta: metaR4(a.Meta), Status: code(a.Status), Description: str(a.Description),
		Start: fhir.Instant{Value: a.Start.Value}, End: fhir.Instant{Value: a.End.Value}, Comment: str(a.Comment), ReasonCode: conceptsR4(a.Reason),
		Created: fhir.DateTime{Value: a.Created.Value}}
	for i := range a.Slot {
		out.Slot = append(out.Slot, *referenceR4(&a.Slot[i]))
	}
	for _, p := range a.Participant {
		status := p.Status.Value
		if status == "" {
			status = "accepted"
		}
		out.Participant = append(out.Participant, fhir.AppointmentParticipant{Actor: referenceR4(p.Actor), Status: fhir.Code{Value: status}})
	}
	if reason := a.CancellationReason(); reason != "" {
		out.CancelationReason = &fhir.CodeableConcept{Text: fhir.String{Value: reason}}
	}
	return out
}
