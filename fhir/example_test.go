package fhir_test

import (
	"fmt"

	"github.com/nhskit/nhskit/fhir"
)

func Example() {
	r, err := fhir.Unmarshal([]byte(`{
		"resourceType": "Patient",
		"identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}],
		"name": [{"family": "Testington", "given": ["Octavia"]}],
		"gender": "female",
		"birthDate": "1978-03",
		"deceasedBoolean": false
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := r.(*fhir.Patient)
	n, _ := p.NHSNumber()
	born, _ := p.BirthDate.Time()
	fmt.Println(n.Masked(), born.Time.Format("Jan 2006"), born.Precision)

	p.Gender.Value = "F" // not in the required value set
	for _, issue := range fhir.Validate(p).Issue {
		fmt.Println(issue.Expression[0].Value, issue.Code.Value)
	}
	out, _ := fhir.Marshal(p)
	fmt.Println(string(out[:27]))
	// Output:
	// *** *** 0018 Mar 1978 month
	// Patient.gender code-invalid
	// {"resourceType":"Patient","
}

func ExampleValidate() {
	obs := &fhir.Observation{
		Status: fhir.Code{Value: "final"},
		Code:   &fhir.CodeableConcept{Text: fhir.String{Value: "Body weight"}},
		Value:  &fhir.Quantity{Value: fhir.Decimal{Raw: "72.50"}, Code: fhir.Code{Value: "kg"}},
	}
	for _, issue := range fhir.Validate(obs).Issue {
		fmt.Printf("%s %s: %s\n", issue.Severity.Value, issue.Expression[0].Value, issue.Diagnostics.Value)
	}
	// Output:
	// error Observation.value.ofType(Quantity): a quantity with a code needs a system (qty-3)
}

func ExampleEvaluate() {
	r, _ := fhir.Unmarshal([]byte(`{"resourceType":"Patient","name":[{"use":"maiden","family":"Example"},{"use":"official","family":"Testington"}]}`))
	got, _ := fhir.Evaluate(r, "Patient.name.where(use = 'official').family")
	fmt.Println(got)
	// Output: [Testington]
}
