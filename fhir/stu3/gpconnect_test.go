package stu3

import (
	"os"
	"testing"
)

// TestStructuredRecord reads a synthetic GP Connect structured record
// (testdata/structured-record.json: every resource type it carries, with
// the CareConnect extensions) and checks the extension helpers and that it
// is written back unchanged.
func TestStructuredRecord(t *testing.T) {
	raw, err := os.ReadFile("testdata/structured-record.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	b := r.(*Bundle)
	byType := map[string]Resource{}
	for _, e := range b.Entry {
		if _, raw := e.Resource.(*RawResource); raw {
			t.Errorf("%s not modelled", e.Resource.ResourceType())
		}
		byType[e.Resource.ResourceType()] = e.Resource
	}
	p := byType["Patient"].(*Patient)
	if got := p.NHSNumberVerificationStatus(); got != "01" {
		t.Errorf("NHS number verification status %q, want 01", got)
	}
	if per := p.RegistrationPeriod(); per == nil || per.Start.Value != "2001-04-01T00:00:00+00:00" {
		t.Errorf("registration period %+v", per)
	}
	if p.BirthDate.Elem == nil || len(p.BirthDate.Elem.Extension) != 1 {
		t.Errorf("_birthDate extension lost: %+v", p.BirthDate)
	}
	mr := byType["MedicationRequest"].(*MedicationRequest)
	info, ok := mr.RepeatInformation()
	if !ok || info != (RepeatInformation{Allowed: 6, Issued: 2, ExpiryDate: "2027-01-01T00:00:00+00:00"}) {
		t.Errorf("repeat information %+v, %v", info, ok)
	}
	if _, ok := (&MedicationRequest{}).RepeatInformation(); ok {
		t.Error("repeat information found on a request without it")
	}
	if (&Patient{}).NHSNumberVerificationStatus() != "" || (&Patient{}).RegistrationPeriod() != nil {
		t.Error("extensions found on an empty Patient")
	}
	c := byType["Condition"].(*Condition)
	if extCode(c.Extension, "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ProblemSignificance-1") != "major" {
		t.Error("problem significance lost")
	}
	out, err := Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, raw, out) {
		t.Errorf("written back differently:\n%s", out)
	}
}

func TestAppointmentExtensions(t *testing.T) {
	in := `{"resourceType":"Appointment","id":"a","status":"cancelled","start":"2026-12-07T09:00:00+00:00","end":"2026-12-07T09:10:00+00:00",
"contained":[{"resourceType":"Organization","id":"bo","name":"Booking org"},{"resourceType":"Organization","id":"other"}],
"extension":[{"url":"` + ExtBookingOrganisation + `","valueReference":{"reference":"#bo"}},
{"url":"` + ExtCancellationReason + `","valueString":"Double booked"},
{"url":"` + ExtDeliveryChannel + `","valueCode":"Telephone"}],
"participant":[{"actor":{"reference":"Patient/1"},"status":"accepted"}]}`
	r, err := Unmarshal([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	a := r.(*Appointment)
	if o := a.BookingOrganization(); o == nil || o.Name.Value != "Booking org" {
		t.Errorf("booking organisation %+v", o)
	}
	if a.CancellationReason() != "Double booked" || a.DeliveryChannel() != "Telephone" {
		t.Errorf("reason %q, channel %q", a.CancellationReason(), a.DeliveryChannel())
	}
	// A reference that is not to a contained resource, or to none there.
	for _, ref := range []string{"Organization/bo", "#missing"} {
		a.Extension[0].Value = &Reference{Reference: String{Value: ref}}
		if a.BookingOrganization() != nil {
			t.Errorf("%s resolved", ref)
		}
	}
	// A value of the wrong type reads as absent.
	a.Extension[1].Value = &Code{Value: "x"}
	if a.CancellationReason() != "" {
		t.Error("a valueCode read as the cancellation reason")
	}
}
