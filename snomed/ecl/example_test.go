package ecl_test

import (
	"fmt"

	"github.com/nhskit/nhskit/snomed/ecl"
)

func ExampleParse() {
	e, err := ecl.Parse("descendantOrSelfOf 404684003 |Clinical finding| : 363698007 |Finding site| = << 39057004")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e)
	_, err = ecl.Parse("<< 404684003 AND << 64572001 OR << 19829001")
	fmt.Println(err)
	// Output:
	// << 404684003 |Clinical finding| : 363698007 |Finding site| = << 39057004
	// ecl: offset 29: OR after AND needs brackets: ECL gives AND, OR and MINUS no precedence
}
