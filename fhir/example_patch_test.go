package fhir_test

import (
	"errors"
	"fmt"

	"github.com/nhskit/nhskit/fhir"
)

// ApplyPatch applies a JSON Patch (as PDS updates send) and checks the
// result against the model.
func ExampleApplyPatch() {
	p := &fhir.Patient{Gender: fhir.Code{Value: fhir.AdministrativeGenderFemale}}
	r, err := fhir.ApplyPatch(p, []byte(`[{"op":"add","path":"/birthDate","value":"2010-10-22"}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := fhir.Marshal(r)
	fmt.Println(string(out))

	_, err = fhir.ApplyPatch(p, []byte(`[{"op":"add","path":"/name","value":"Smith"}]`))
	fmt.Println(errors.Is(err, fhir.ErrPatch), errors.Is(err, fhir.ErrType))
	// Output:
	// {"resourceType":"Patient","gender":"female","birthDate":"2010-10-22"}
	// true true
}
