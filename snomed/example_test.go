package snomed_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func Example() {
	dir, _ := os.MkdirTemp("", "snomed-example-")
	defer os.RemoveAll(dir)
	// A synthetic release (real ones are licensed) imported into a store.
	rel, err := snomedtest.Generate(dir, snomedtest.Tiny)
	if err != nil {
		fmt.Println(err)
		return
	}
	path := filepath.Join(dir, "snomed.db")
	if err := snomed.Import(context.Background(), dir, path); err != nil {
		fmt.Println(err)
		return
	}
	s, err := snomed.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	var c snomed.ID
	for _, id := range rel.Concepts[1:] {
		if rel.Active[id] {
			c = snomed.ID(id)
			break
		}
	}
	term, _ := s.PreferredTerm(snomed.RootConcept, "en-GB")
	fmt.Println(term)
	fmt.Println(s.IsA(c, snomed.RootConcept), s.IsA(snomed.RootConcept, c))
	// Output:
	// SNOMED CT Concept
	// true false
}
