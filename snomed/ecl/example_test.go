package ecl_test

import (
	"context"
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

func ExampleContains() {
	store := exampleStore()
	ctx := context.Background()
	in, err := ecl.Contains(ctx, store, "<< 64572001 |Disease|", 22298006)
	fmt.Println(in, err)
	n, err := ecl.Count(ctx, store, "<< 64572001")
	fmt.Println(n, err)
	set, err := ecl.EvaluateSet(ctx, store, "<< 64572001 MINUS 64572001")
	fmt.Println(set.Page(0, 2), set.Len(), err)
	// Output:
	// true <nil>
	// 4 <nil>
	// [22298006 56265001] 3 <nil>
}

// exampleStore is the hand-made Source of this package's tests; a
// *snomed.Store opened with snomed.Open is used the same way.
func exampleStore() ecl.Source { return newMem() }
