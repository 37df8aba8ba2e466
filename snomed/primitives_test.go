package snomed_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// ProximalPrimitives against the definition worked out from the release:
// the primitive proper ancestors that are no other's proper ancestor.
func TestProximalPrimitives(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 600, Seed: 11})
	anc := naive(rel)
	require.NotEmpty(t, rel.Defined)
	primitive := func(c uint64) bool { return !rel.Defined[c] }
	differ := 0 // concepts whose proximal primitives are not their parents
	for _, c := range rel.Concepts {
		var want []snomed.ID
		for a := range anc[c] {
			if !primitive(a) {
				continue
			}
			proximal := true
			for b := range anc[c] {
				if b != a && primitive(b) && anc[b][a] {
					proximal = false
				}
			}
			if proximal {
				want = append(want, snomed.ID(a))
			}
		}
		slices.Sort(want)
		got := s.ProximalPrimitives(snomed.ID(c))
		assert.Equal(t, want, nilIfEmpty(got), "concept %d", c)
		var parents []snomed.ID
		for _, p := range rel.Parents[c] {
			parents = append(parents, snomed.ID(p))
		}
		slices.Sort(parents)
		if !slices.Equal(got, parents) {
			differ++
		}
	}
	// Fully defined parents are skipped: the test must see that happen.
	assert.Positive(t, differ)
	assert.Nil(t, s.ProximalPrimitives(snomed.RootConcept))
	assert.Nil(t, s.ProximalPrimitives(22298006)) // not in the release
}
