package snomedtest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The release has the real one's shape: ~1.9 parents and ~3.5 attribute
// relationships per active concept over ~120 attribute types, ~73% active.
func TestShape(t *testing.T) {
	dir := t.TempDir()
	rel, err := Generate(dir, Config{Concepts: 20000, Seed: 7})
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

	// Rows per concept as in the UK Monolith (1.15M concepts, 3.5M
	// descriptions, 9.4M relationship rows, ~15M reference set rows).
	rows := func(pattern string) int {
		files, err := filepath.Glob(filepath.Join(dir, pattern))
		require.NoError(t, err)
		require.NotEmpty(t, files, pattern)
		n := 0
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			n += bytes.Count(b, []byte("\n")) - 1 // the header
		}
		return n
	}
	perConcept := func(n int) float64 { return float64(n) / float64(len(rel.Concepts)) }
	assert.InDelta(t, 3.5/1.15, perConcept(rows("Snapshot/Terminology/sct2_Description_*")), 0.3)
	assert.InDelta(t, 9.4/1.15, perConcept(rows("Snapshot/Terminology/sct2_Relationship_Snapshot_*")), 0.6)
	refsets := rows("Snapshot/Refset/*/der2_*") + rows("UK/Snapshot/Refset/*/der2_*")
	t.Logf("per concept: %.2f descriptions, %.2f relationship rows, %.2f reference set rows", perConcept(rows("Snapshot/Terminology/sct2_Description_*")), perConcept(rows("Snapshot/Terminology/sct2_Relationship_Snapshot_*")), perConcept(refsets))
	assert.InDelta(t, 15/1.15, perConcept(refsets), 1.3)
}
