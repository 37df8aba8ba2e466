package pdstest

import (
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/nhsid"
)

// The seeded synthetic patients' NHS numbers (all in the 999 test range).
const (
	// AlexSmith is registered at A81001 (the quickstart's practice).
	AlexSmith nhsid.NHSNumber = "9990000018"
	// SamJones is registered at B82002.
	SamJones nhsid.NHSNumber = "9990000026"
	// OctaviaTestington has a verified number, phone and email.
	OctaviaTestington nhsid.NHSNumber = "9990000042"
	// RestrictedNHSNumber is a restricted (sensitive) patient: PDS removes
	// her address, telecom and GP from every answer.
	RestrictedNHSNumber nhsid.NHSNumber = "9990000050"
	// SupersededNHSNumber was replaced by AlexSmith's number: retrieving it
	// returns Alex Smith.
	SupersededNHSNumber nhsid.NHSNumber = "9990000069"
	// InvalidatedNHSNumber was invalidated and not superseded (404
	// INVALIDATED_RESOURCE).
	InvalidatedNHSNumber nhsid.NHSNumber = "9990000077"
)

func seedPatient(nhs nhsid.NHSNumber, family string, given []string, gender, birth, line, city, postcode, gp, phone, email string) *fhir.Patient {
	p := &fhir.Patient{ID: fhir.ID{Value: string(nhs)}}
	p.Meta = &fhir.Meta{Security: []fhir.Coding{{System: fhir.URI{Value: "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}, Code: fhir.Code{Value: "U"}, Display: fhir.String{Value: "unrestricted"}}}}
	p.SetNHSNumber(nhs, fhir.NHSNumberVerified)
	n := fhir.HumanName{ID: "N1", Use: fhir.Code{Value: "usual"}, Family: fhir.String{Value: family}, Period: &fhir.Period{Start: fhir.DateTime{Value: "2000-01-01"}}}
	for _, g := range given {
		n.Given = append(n.Given, fhir.String{Value: g})
	}
	p.Name = []fhir.HumanName{n}
	p.Gender = fhir.Code{Value: gender}
	p.BirthDate = fhir.Date{Value: birth}
	p.Address = []fhir.Address{{
		ID: "A1", Use: fhir.Code{Value: "home"}, Line: []fhir.String{{Value: line}}, City: fhir.String{Value: city},
		PostalCode: fhir.String{Value: postcode}, Period: &fhir.Period{Start: fhir.DateTime{Value: "2015-01-01"}},
	}}
	if phone != "" {
		p.Telecom = append(p.Telecom, fhir.ContactPoint{ID: "T1", System: fhir.Code{Value: "phone"}, Value: fhir.String{Value: phone}, Use: fhir.Code{Value: "home"}})
	}
	if email != "" {
		p.Telecom = append(p.Telecom, fhir.ContactPoint{ID: "T2", System: fhir.Code{Value: "email"}, Value: fhir.String{Value: email}, Use: fhir.Code{Value: "home"}})
	}
	p.GeneralPractitioner = []fhir.Reference{{Type: fhir.URI{Value: "Organization"}, Identifier: &fhir.Identifier{System: fhir.URI{Value: fhir.ODSOrganizationCodeSystem}, Value: fhir.String{Value: gp}}}}
	return p
}

// Seed returns the synthetic patients a new Server holds (each name,
// address and telecom carries an id, N1, A1, T1 and T2, which a patch of
// that item must mirror back, as PDS asks): names, UK
// addresses and GP practices are invented; NHS numbers are in the 999 test
// range. They are the same people gpconnecttest's practices hold. Each call
// returns fresh values.
func Seed() []*fhir.Patient {
	var out []*fhir.Patient
	for _, p := range fake.People() {
		fp := seedPatient(p.NHSNumber, p.Family, p.Given, p.Gender, p.BirthDate, p.Line, p.City, p.Postcode, string(p.GP), p.Phone, p.Email)
		if p.Restricted {
			fp.Meta.Security[0].Code = fhir.Code{Value: "R"}
			fp.Meta.Security[0].Display = fhir.String{Value: "restricted"}
		}
		out = append(out, fp)
	}
	return out
}
