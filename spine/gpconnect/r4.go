package gpconnect

import (
	"strconv"
	"time"

	"github.com/nhskit/nhskit/fhir"
)

// GP Connect speaks FHIR STU3; nhskit's fhir package models R4. These
// conversions carry what GP Connect's profiles hold between the two. The
// elements that differ between STU3 and R4 for these resources
// (https://hl7.org/fhir/R4/appointment.html and the STU3-R4 maps) are
// Appointment.reason (STU3) -> reasonCode (R4), and Appointment.status,
// whose STU3 codes are all R4 codes; everything else kept here is shared.

func str(s string) fhir.String { return fhir.String{Value: s} }
func uri(s string) fhir.URI    { return fhir.URI{Value: s} }
func code(s string) fhir.Code  { return fhir.Code{Value: s} }

func instant(t time.Time) fhir.Instant {
	if t.IsZero() {
		return fhir.Instant{}
	}
	return fhir.InstantOf(t)
}

func identifiersR4(ids []Identifier) []fhir.Identifier {
	var out []fhir.Identifier
	for _, id := range ids {
		out = append(out, fhir.Identifier{System: uri(id.System), Value: str(id.Value)})
	}
	return out
}

func identifiersSTU3(ids []fhir.Identifier) []Identifier {
	var out []Identifier
	for _, id := range ids {
		out = append(out, Identifier{System: id.System.Value, Value: id.Value.Value})
	}
	return out
}

func namesR4(ns []HumanName) []fhir.HumanName {
	var out []fhir.HumanName
	for _, n := range ns {
		h := fhir.HumanName{Use: code(n.Use), Family: str(n.Family)}
		for _, g := range n.Given {
			h.Given = append(h.Given, str(g))
		}
		for _, p := range n.Prefix {
			h.Prefix = append(h.Prefix, str(p))
		}
		out = append(out, h)
	}
	return out
}

func namesSTU3(ns []fhir.HumanName) []HumanName {
	var out []HumanName
	for _, n := range ns {
		h := HumanName{Use: n.Use.Value, Family: n.Family.Value}
		for _, g := range n.Given {
			h.Given = append(h.Given, g.Value)
		}
		for _, p := range n.Prefix {
			h.Prefix = append(h.Prefix, p.Value)
		}
		out = append(out, h)
	}
	return out
}

func addressR4(a Address) fhir.Address {
	out := fhir.Address{Use: code(a.Use), City: str(a.City), District: str(a.District), PostalCode: str(a.PostalCode), Country: str(a.Country)}
	for _, l := range a.Line {
		out.Line = append(out.Line, str(l))
	}
	return out
}

func addressSTU3(a fhir.Address) Address {
	out := Address{Use: a.Use.Value, City: a.City.Value, District: a.District.Value, PostalCode: a.PostalCode.Value, Country: a.Country.Value}
	for _, l := range a.Line {
		out.Line = append(out.Line, l.Value)
	}
	return out
}

func telecomR4(cs []ContactPoint) []fhir.ContactPoint {
	var out []fhir.ContactPoint
	for _, c := range cs {
		out = append(out, fhir.ContactPoint{System: code(c.System), Value: str(c.Value), Use: code(c.Use)})
	}
	return out
}

func telecomSTU3(cs []fhir.ContactPoint) []ContactPoint {
	var out []ContactPoint
	for _, c := range cs {
		out = append(out, ContactPoint{System: c.System.Value, Value: c.Value.Value, Use: c.Use.Value})
	}
	return out
}

func conceptsR4(cs []CodeableConcept) []fhir.CodeableConcept {
	var out []fhir.CodeableConcept
	for _, c := range cs {
		out = append(out, *conceptR4(c))
	}
	return out
}

func conceptR4(c CodeableConcept) *fhir.CodeableConcept {
	out := &fhir.CodeableConcept{Text: str(c.Text)}
	for _, cd := range c.Coding {
		out.Coding = append(out.Coding, fhir.Coding{System: uri(cd.System), Code: code(cd.Code), Display: str(cd.Display)})
	}
	return out
}

func referenceR4(r Reference) fhir.Reference {
	return fhir.Reference{Reference: str(r.Reference), Display: str(r.Display)}
}

func metaR4(m *Meta) *fhir.Meta {
	if m == nil {
		return nil
	}
	out := &fhir.Meta{VersionID: fhir.ID{Value: m.VersionID}}
	for _, p := range m.Profile {
		out.Profile = append(out.Profile, fhir.Canonical{Value: p})
	}
	return out
}

// ToR4 converts a GP Connect patient to an R4 Patient.
func (p *Patient) ToR4() *fhir.Patient {
	out := &fhir.Patient{ID: fhir.ID{Value: p.ID}, Meta: metaR4(p.Meta), Identifier: identifiersR4(p.Identifier), Name: namesR4(p.Name),
		Gender: code(p.Gender), BirthDate: fhir.Date{Value: p.BirthDate}, Telecom: telecomR4(p.Telecom)}
	for _, a := range p.Address {
		out.Address = append(out.Address, addressR4(a))
	}
	return out
}

// PatientFromR4 converts an R4 Patient (from PDS, say) to the STU3 shape GP
// Connect takes.
func PatientFromR4(p *fhir.Patient) *Patient {
	out := &Patient{ResourceType: "Patient", ID: p.ID.Value, Identifier: identifiersSTU3(p.Identifier), Name: namesSTU3(p.Name),
		Gender: p.Gender.Value, BirthDate: p.BirthDate.Value, Telecom: telecomSTU3(p.Telecom)}
	for _, a := range p.Address {
		out.Address = append(out.Address, addressSTU3(a))
	}
	return out
}

// ToR4 converts a practitioner.
func (p *Practitioner) ToR4() *fhir.Practitioner {
	return &fhir.Practitioner{ID: fhir.ID{Value: p.ID}, Meta: metaR4(p.Meta), Identifier: identifiersR4(p.Identifier), Name: namesR4(p.Name), Gender: code(p.Gender)}
}

// ToR4 converts an organisation.
func (o *Organization) ToR4() *fhir.Organization {
	out := &fhir.Organization{ID: fhir.ID{Value: o.ID}, Meta: metaR4(o.Meta), Identifier: identifiersR4(o.Identifier), Name: str(o.Name), Telecom: telecomR4(o.Telecom)}
	for _, a := range o.Address {
		out.Address = append(out.Address, addressR4(a))
	}
	return out
}

// ToR4 converts a location.
func (l *Location) ToR4() *fhir.Location {
	out := &fhir.Location{ID: fhir.ID{Value: l.ID}, Meta: metaR4(l.Meta), Name: str(l.Name)}
	if l.Address != nil {
		a := addressR4(*l.Address)
		out.Address = &a
	}
	if l.ManagingOrganization != nil {
		r := referenceR4(*l.ManagingOrganization)
		out.ManagingOrganization = &r
	}
	if l.Position != nil {
		lon, _ := fhir.DecimalOf(strconv.FormatFloat(l.Position.Longitude, 'f', -1, 64))
		lat, _ := fhir.DecimalOf(strconv.FormatFloat(l.Position.Latitude, 'f', -1, 64))
		out.Position = &fhir.LocationPosition{Longitude: lon, Latitude: lat}
	}
	return out
}

// ToR4 converts a schedule.
func (s *Schedule) ToR4() *fhir.Schedule {
	out := &fhir.Schedule{ID: fhir.ID{Value: s.ID}, Meta: metaR4(s.Meta), ServiceType: conceptsR4(s.ServiceType), Comment: str(s.Comment)}
	if s.ServiceCategory != nil {
		out.ServiceCategory = []fhir.CodeableConcept{*conceptR4(*s.ServiceCategory)}
	}
	for _, a := range s.Actor {
		out.Actor = append(out.Actor, referenceR4(a))
	}
	if s.PlanningHorizon != nil {
		out.PlanningHorizon = &fhir.Period{Start: fhir.DateTime{Value: s.PlanningHorizon.Start}, End: fhir.DateTime{Value: s.PlanningHorizon.End}}
	}
	return out
}

// ToR4 converts a slot.
func (s *Slot) ToR4() *fhir.Slot {
	return &fhir.Slot{ID: fhir.ID{Value: s.ID}, Meta: metaR4(s.Meta), ServiceType: conceptsR4(s.ServiceType),
		Schedule: &fhir.Reference{Reference: str(s.Schedule.Reference), Display: str(s.Schedule.Display)},
		Status:   code(s.Status), Start: instant(s.Start), End: instant(s.End)}
}

// ToR4 converts an appointment: reason (never sent to GP Connect) becomes
// reasonCode; participants keep their actor references and status.
func (a *Appointment) ToR4() *fhir.Appointment {
	out := &fhir.Appointment{ID: fhir.ID{Value: a.ID}, Meta: metaR4(a.Meta), Status: code(a.Status), Description: str(a.Description),
		Start: instant(a.Start), End: instant(a.End), Comment: str(a.Comment), ReasonCode: conceptsR4(a.Reason)}
	if a.Created != "" {
		out.Created = fhir.DateTime{Value: a.Created}
	}
	for _, s := range a.Slot {
		out.Slot = append(out.Slot, referenceR4(s))
	}
	for _, p := range a.Participant {
		r := referenceR4(p.Actor)
		status := p.Status
		if status == "" {
			status = "accepted"
		}
		out.Participant = append(out.Participant, fhir.AppointmentParticipant{Actor: &r, Status: code(status)})
	}
	if reason := a.CancellationReason(); reason != "" {
		out.CancelationReason = &fhir.CodeableConcept{Text: str(reason)}
	}
	return out
}
