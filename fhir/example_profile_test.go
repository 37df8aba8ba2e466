package fhir_test

import (
	"context"
	"fmt"

	"github.com/nhskit/nhskit/fhir"
)

// languages answers for BCP-47 tags, which no value set table can list: a
// stand-in for a terminology server or an adapter over a SNOMED CT store.
type languages map[string]bool

func (l languages) MemberOf(_ context.Context, valueSet, system, code string) (in, known bool, err error) {
	if system != "urn:ietf:bcp:47" {
		return false, false, nil
	}
	return l[code], true, nil
}

// ValidateProfiles checks a UK Core Patient's required bindings: BirthSex
// from the expanded UK Core value set, the language through the
// Terminology hook.
func ExampleValidateProfiles_bindings() {
	data := []byte(`{"resourceType":"Patient",
	 "meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
	 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">synthetic</div>"},
	 "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-BirthSex",
	   "valueCodeableConcept":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender","code":"X"}]}}],
	 "communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"xx-ZZ"}]}}]}`)
	oo, err := fhir.ValidateBytes(context.Background(), data, fhir.ValidateOptions{
		Terminology: languages{"en-GB": true, "cy": true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, is := range oo.Issue {
		fmt.Println(is.Severity.Value, is.Details.Text.Value, is.Location[0].Value, is.Location[1].Value)
	}
	// Output:
	// error binding Patient.communication[0].language Line[6] Col[21]
	// error binding Patient.extension[0].value Line[5] Col[5]
}
