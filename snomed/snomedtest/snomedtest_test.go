package snomedtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The release has the real one's shape: ~1.9 parents and ~3.5 attribute
// relationships per active concept over ~120 attribute types, ~73% active.
func TestShape(t *testing.T) {
	rel, err := Generate(t.TempDir(), Config{Concepts: 20000, Seed: 7})
	require.NoError(t, err)
	var active, parents, attrs int
	types := map[uint64]int{}
	for _, c := range rel.Concepts {
		if !rel.Active[c] || c == Root {
			continue
		}
		active++
		parents += len(rel.Parents[c])
		attrs += len(rel.Attributes[c])
		for _, a := range rel.Attributes[c] {
			types[a.Type]++
		}
	}
	assert.Len(t, rel.AttributeTypes, 120)
	assert.InDelta(t, 0.73, float64(active)/float64(len(rel.Concepts)), 0.02)
	// Attribute types and the refset hang from the root with one parent.
	assert.InDelta(t, 1.9, float64(parents)/float64(active), 0.1)
	assert.InDelta(t, 3.5, float64(attrs)/float64(active), 0.2)
	assert.GreaterOrEqual(t, len(types), 100, "attribute types in use")
	// Use is skewed: the commonest of the other types is used far more
	// than the rarest.
	other := rel.AttributeTypes[5:]
	assert.Greater(t, types[other[0]], 5*max(1, types[other[len(other)-1]]))
}
