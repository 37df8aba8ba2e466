package stu3

import (
	"errors"
	"strings"
	"testing"

	"github.com/nhskit/nhskit/fhir"
)

func TestXMLRoundTripAndErrors(t *testing.T) {
	js := []byte(`{"resourceType":"Appointment","id":"a1","status":"booked","participant":[{"type":[{"coding":[{"system":"http://hl7.org/fhir/v3/ParticipationType","code":"CON"}]}],"actor":{"identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"021600556514"}},"status":"accepted"}],"_status":{"extension":[{"url":"u","valueString":"x"}]},"minutesDuration":15}`)
	x, err := JSONToXML(js)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(x), `<Appointment xmlns="http://hl7.org/fhir"><id value="a1"/><status value="booked"><extension url="u">`) {
		t.Errorf("XML:\n%s", x)
	}
	back, err := XMLToJSON(x)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, js, back) {
		t.Errorf("JSON -> XML -> JSON:\n%s\n%s", js, back)
	}
	r, err := UnmarshalXML(x)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := r.(*Appointment); !ok || a.MinutesDuration.Value != 15 {
		t.Fatalf("decoded %#v", r)
	}

	// STU3's own elements: ReferralRequest is STU3 only, and an R4-only
	// element is unknown to STU3.
	if _, err := UnmarshalXML([]byte(`<ReferralRequest xmlns="http://hl7.org/fhir"><status value="active"/><intent value="plan"/></ReferralRequest>`)); err != nil {
		t.Errorf("STU3 ReferralRequest: %v", err)
	}
	_, err = UnmarshalXML([]byte("<Appointment xmlns=\"http://hl7.org/fhir\">\n  <status value=\"booked\"/>\n  <cancelationReason/>\n</Appointment>"))
	var xe *XMLError
	if !errors.As(err, &xe) || xe.Line != 3 || !errors.Is(err, ErrXML) || !errors.Is(err, fhir.ErrXML) {
		t.Errorf("R4-only element: %v", err)
	}
	// A decode error found once the XML was read names the XML position
	// and wraps the JSON sentinel.
	_, err = UnmarshalXML([]byte("<Appointment xmlns=\"http://hl7.org/fhir\">\n<extension url=\"u\"><valueString value=\"a\"/><valueCode value=\"b\"/></extension><status value=\"booked\"/></Appointment>"))
	if !errors.As(err, &xe) || xe.Line != 2 || !errors.Is(err, ErrChoice) {
		t.Errorf("two values of one choice: %v", err)
	}
	// An injected narrative is refused before anything is written.
	_, err = JSONToXML([]byte(`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"></div></text><id value=\"x\"/><div>"}}`))
	if !errors.Is(err, ErrXHTML) {
		t.Errorf("injected div: %v", err)
	}
}
