package snomed_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// TestClosureOfMembers: the closures read from the ordinals of a
// reference set's members equal those of its listed members, for refsets
// of concepts (active or not), of descriptions, and for none.
func TestClosureOfMembers(t *testing.T) {
	s, _ := build(t, snomedtest.Config{Concepts: 3000, Seed: 5})
	refsets := append(s.Refsets(), snomed.RootConcept, 1)
	concepts := 0
	for _, r := range refsets {
		m := s.RefsetMembers(r)
		if len(m) > 0 {
			if _, ok := s.Concept(m[0]); ok {
				concepts++
			}
		}
		// The self of << and >> is the members that are active concepts.
		var concepts, active []snomed.ID
		for _, x := range m {
			if c, ok := s.Concept(x); ok {
				concepts = append(concepts, x)
				if c.Active {
					active = append(active, x)
				}
			}
		}
		assert.Equal(t, concepts, s.ConceptMembers(r), "^ %d", r)
		assert.Equal(t, s.DescendantsOfAny(m), s.DescendantsOfMembers(r), "< ^ %d", r)
		assert.Equal(t, s.DescendantsOrSelfOfAny(active), s.DescendantsOrSelfOfMembers(r), "<< ^ %d", r)
		assert.Equal(t, s.AncestorsOfAny(m), s.AncestorsOfMembers(r), "> ^ %d", r)
		assert.Equal(t, s.AncestorsOrSelfOfAny(active), s.AncestorsOrSelfOfMembers(r), ">> ^ %d", r)
	}
	assert.Greater(t, concepts, 2)
}
