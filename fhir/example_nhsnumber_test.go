package fhir_test

import (
	"errors"
	"fmt"

	"github.com/nhskit/nhskit/fhir"
)

func ExampleParseNHSNumber() {
	n, err := fhir.ParseNHSNumber("999 000 0018")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, n.Valid())
	fmt.Println(n.Digits())

	_, err = fhir.ParseNHSNumber("999-000-0017")
	fmt.Println(errors.Is(err, fhir.ErrNHSNumberCheckDigit))
	// Output:
	// *** *** 0018 true
	// 9990000018
	// true
}
