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
	fmt.Println(string(n), n.Valid())
	fmt.Println(n.Masked())

	_, err = fhir.ParseNHSNumber("999-000-0017")
	fmt.Println(errors.Is(err, fhir.ErrNHSNumberCheckDigit))
	// Output:
	// 9990000018 true
	// *** *** 0018
	// true
}

func ExampleTestNHSNumber() {
	// Deterministic synthetic numbers for fakes: skip the stems that have
	// no check digit.
	for seq := uint64(0); seq < 4; seq++ {
		if n, ok := fhir.TestNHSNumber(seq); ok {
			fmt.Println(n)
		}
	}
	// Output:
	// 999 000 0018
	// 999 000 0026
	// 999 000 0034
}
