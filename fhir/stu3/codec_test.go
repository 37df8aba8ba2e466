package stu3

import (
	"errors"
	"testing"

	"github.com/nhskit/nhskit/fhir"
)

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
		path string
	}{
		{`{"resourceType":"Patient","gender":1}`, ErrType, "Patient.gender"},
		{`{"resourceType":"Patient","name":[{"given":["a"],"given":["b"]}]}`, ErrDuplicateKey, "Patient.name[0].given"},
		{`{"resourceType":"Observation","valueString":"a","valueBoolean":true}`, ErrChoice, "Observation.valueBoolean"},
		{`{"resourceType":"Patient","birthDate":""}`, ErrEmptyValue, "Patient.birthDate"},
		{`{"resourceType":"Nonsense"}`, ErrUnknownResourceType, ""},
		{`{"id":"x"}`, ErrNoResourceType, ""},
		{`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script/></div>"}}`, ErrXHTML, "Patient.text.div"},
		{`{"resourceType":"Patient","":{}}`, ErrElementName, "Patient."},
		{`{"resourceType":"Patient"`, ErrSyntax, "Patient"},
	} {
		_, err := Unmarshal([]byte(tc.in))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.in, err, tc.want)
			continue
		}
		// The errors are package fhir's: one errors.Is for both versions.
		if !errors.Is(err, fhirSentinel(tc.want)) {
			t.Errorf("%s: %v is not fhir's sentinel", tc.in, err)
		}
		var de *DecodeError
		if errors.As(err, &de) && de.Path != tc.path {
			t.Errorf("%s: path %q, want %q", tc.in, de.Path, tc.path)
		}
	}
}

func fhirSentinel(err error) error {
	for _, s := range []error{fhir.ErrType, fhir.ErrDuplicateKey, fhir.ErrChoice, fhir.ErrEmptyValue, fhir.ErrUnknownResourceType, fhir.ErrNoResourceType, fhir.ErrXHTML, fhir.ErrElementName, fhir.ErrSyntax} {
		if s == err {
			return s
		}
	}
	return errors.New("no such sentinel in fhir")
}

// TestGPConnectShapes reads the STU3 elements GP Connect relies on that R4
// renamed or dropped, so a model from the wrong version would fail here.
func TestGPConnectShapes(t *testing.T) {
	in := `{"resourceType":"Bundle","type":"collection","entry":[
{"resource":{"resourceType":"ProcedureRequest","id":"p","status":"active","intent":"order","subject":{"reference":"Patient/1"}}},
{"resource":{"resourceType":"ReferralRequest","id":"r","status":"active","intent":"order","subject":{"reference":"Patient/1"}}},
{"resource":{"resourceType":"AllergyIntolerance","id":"a","verificationStatus":"confirmed","patient":{"reference":"Patient/1"},"assertedDate":"2018-01-01"}},
{"resource":{"resourceType":"MedicationStatement","id":"m","status":"active","taken":"y","subject":{"reference":"Patient/1"},"medicationReference":{"reference":"Medication/1"}}},
{"resource":{"resourceType":"Slot","id":"s","schedule":{"reference":"Schedule/1"},"status":"free","start":"2026-12-07T09:00:00+00:00","end":"2026-12-07T09:10:00+00:00",
 "extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2","valueCode":"In-person"}]}}]}`
	r, err := Unmarshal([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	b := r.(*Bundle)
	if len(b.Entry) != 5 {
		t.Fatalf("%d entries", len(b.Entry))
	}
	if p, ok := b.Entry[0].Resource.(*ProcedureRequest); !ok || p.Intent.Value != "order" {
		t.Errorf("entry 0: %#v", b.Entry[0].Resource)
	}
	if _, ok := b.Entry[1].Resource.(*ReferralRequest); !ok {
		t.Errorf("entry 1: %T", b.Entry[1].Resource)
	}
	if a, ok := b.Entry[2].Resource.(*AllergyIntolerance); !ok || a.AssertedDate.Value != "2018-01-01" {
		t.Errorf("entry 2: %#v", b.Entry[2].Resource)
	}
	if m, ok := b.Entry[3].Resource.(*MedicationStatement); !ok || m.Taken.Value != "y" {
		t.Errorf("entry 3: %#v", b.Entry[3].Resource)
	} else if ref, ok := m.Medication.(*Reference); !ok || ref.Reference.Value != "Medication/1" {
		t.Errorf("medication[x]: %#v", m.Medication)
	}
	s, ok := b.Entry[4].Resource.(*Slot)
	if !ok || len(s.Extension) != 1 || s.Start.Value != "2026-12-07T09:00:00+00:00" {
		t.Fatalf("entry 4: %#v", b.Entry[4].Resource)
	}
	if c, ok := s.Extension[0].Value.(*Code); !ok || c.Value != "In-person" {
		t.Errorf("extension value: %#v", s.Extension[0].Value)
	}
	out, err := Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, []byte(in), out) {
		t.Errorf("written back as %s", out)
	}
}
