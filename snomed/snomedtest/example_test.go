package snomedtest_test

import (
	"fmt"
	"os"

	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func Example() {
	dir, _ := os.MkdirTemp("", "snomedtest-example-")
	defer os.RemoveAll(dir)
	rel, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 50, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(rel.Concepts) > 50, rel.Concepts[0] == snomedtest.Root, len(rel.AttributeTypes))
	// Output:
	// true true 120
}
