package fhir_test

import (
	"context"
	"fmt"

	"github.com/nhskit/nhskit/fhir"
)

func ExampleCompileFHIRPath() {
	p, err := fhir.CompileFHIRPath("name.where(use = 'official').given.first() & ' ' & name.family.first()")
	if err != nil {
		panic(err)
	}
	n, err := fhir.NodeFromJSON([]byte(`{"resourceType":"Patient","name":[{"use":"official","family":"Testington","given":["Ann"]}]}`))
	if err != nil {
		panic(err)
	}
	got, err := p.EvaluateNode(context.Background(), n, nil)
	fmt.Println(got, err)
	// Output: [Ann Testington] <nil>
}

func ExampleValidateProfiles() {
	r, _ := fhir.Unmarshal([]byte(`{"resourceType":"Immunization",
		"meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization"]},
		"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">not given</div>"},
		"status":"not-done","vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/p"},"occurrenceDateTime":"2026-10-01"}`))
	oo, _ := fhir.ValidateProfiles(context.Background(), r, fhir.ValidateOptions{})
	for _, is := range oo.Issue {
		fmt.Println(is.Severity.Value, is.Details.Text.Value, is.Expression[0].Value)
	}
	// Output: error ukcore-imm-001 Immunization
}
