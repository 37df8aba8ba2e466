package eclfhir_test

import (
	"fmt"

	"github.com/nhskit/nhskit/snomed/ecl/eclfhir"
)

func ExampleImplicitURL() {
	fmt.Println(eclfhir.ImplicitURL("<< 73211009 |Diabetes mellitus|"))
	// Output: http://snomed.info/sct?fhir_vs=ecl/%3C%3C%2073211009%20%7CDiabetes%20mellitus%7C
}
