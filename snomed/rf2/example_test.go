package rf2_test

import (
	"fmt"
	"strings"

	"github.com/nhskit/nhskit/snomed/rf2"
)

func Example() {
	id, part, err := rf2.ParseSCTID("22298006")
	fmt.Println(id, part == rf2.PartConcept, err)
	_, _, err = rf2.ParseSCTID("22298007") // wrong check digit
	fmt.Println(err != nil)

	r, _ := rf2.NewReader(strings.NewReader("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\r\n22298006\t20020131\t1\t900000000000207008\t900000000000074008\r\n"), "sct2_Concept_Snapshot.txt")
	for r.Next() {
		fmt.Println(r.Row()[r.Col("id")], r.Row()[r.Col("active")])
	}
	fmt.Println(r.Err())
	// Output:
	// 22298006 true <nil>
	// true
	// 22298006 1
	// <nil>
}
