package snomed_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

var sideQueries = []string{"a", "ab", "mel", "card x", "tion", "e", "st"}

func searchAll(s *snomed.Store) [][]snomed.Hit {
	var out [][]snomed.Hit
	for _, q := range sideQueries {
		out = append(out, s.Search(q, snomed.SearchOptions{Limit: 25}))
		out = append(out, s.Search(q, snomed.SearchOptions{Limit: 25, Locale: "en-US", IncludeInactive: true}))
	}
	return out
}

// TestSearchIndexFile: the first search writes the index beside the
// store; a later Open uses it and finds what an index built in memory
// finds; a missing, stale or damaged side file is rebuilt, never trusted.
func TestSearchIndexFile(t *testing.T) {
	dir := t.TempDir()
	_, err := snomedtest.Generate(filepath.Join(dir, "rel"), snomedtest.Config{Concepts: 2000, Seed: 5})
	require.NoError(t, err)
	path := filepath.Join(dir, "store.db")
	side := snomed.SearchIndexPath(path)
	require.NoError(t, snomed.Import(context.Background(), filepath.Join(dir, "rel"), path))
	_, err = os.Stat(side)
	require.ErrorIs(t, err, os.ErrNotExist, "Import leaves the index to the first search")

	open := func() *snomed.Store {
		s, err := snomed.Open(path)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	built := searchAll(open())
	require.NotEmpty(t, built[0])
	fi, err := os.Stat(side)
	require.NoError(t, err, "the first search writes the index")
	written := fi.ModTime()
	fromFile := searchAll(open())
	assert.Equal(t, built, fromFile)
	fi, err = os.Stat(side)
	require.NoError(t, err)
	assert.Equal(t, written, fi.ModTime(), "a matching side file is used, not rewritten")

	// Built in memory when the side file is gone, and written again.
	require.NoError(t, os.Remove(side))
	assert.Equal(t, fromFile, searchAll(open()))
	_, err = os.Stat(side)
	require.NoError(t, err, "PrepareSearch writes the side file it lacked")
	assert.Empty(t, tempFiles(t, dir))
	assert.Equal(t, fromFile, searchAll(open()))

	// A side file of another store (its modification time differs) is
	// not used.
	good, err := os.ReadFile(side)
	require.NoError(t, err)
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(path, later, later))
	assert.Equal(t, fromFile, searchAll(open()))
	rebuilt, err := os.ReadFile(side)
	require.NoError(t, err)
	assert.NotEqual(t, good, rebuilt, "rewritten for the store's new identity")

	// Damaged side files: truncated, or random bytes changed after the
	// header. The first is refused; the second may give odd hits but
	// never panics.
	require.NoError(t, os.WriteFile(side, rebuilt[:len(rebuilt)/2], 0o644))
	assert.Equal(t, fromFile, searchAll(open()))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		b := append([]byte(nil), rebuilt...)
		for range 64 {
			i := 200 + rng.IntN(len(b)-216)
			b[i] = byte(rng.Uint32())
		}
		require.NoError(t, os.WriteFile(side, b, 0o644))
		s := open()
		assert.NotPanics(t, func() { searchAll(s) })
	}
}

func TestMapSources(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 1500, Seed: 3})
	want := map[string][]snomed.ID{}
	for _, c := range rel.Concepts {
		seen := map[string]bool{}
		for _, m := range rel.UKICD10[c] {
			if m.Target != "" && !seen[m.Target] {
				seen[m.Target] = true
				want[m.Target] = append(want[m.Target], snomed.ID(c))
			}
		}
	}
	require.NotEmpty(t, want)
	for target, ids := range want {
		got := s.MapSources(snomed.ID(snomedtest.UKICD10Refset), target)
		assert.ElementsMatch(t, ids, got, target)
		assert.IsIncreasing(t, append([]snomed.ID{0}, got...))
	}
	assert.Empty(t, s.MapSources(snomed.ID(snomedtest.UKICD10Refset), "no such code"))
	assert.Empty(t, s.MapSources(snomed.ID(snomedtest.OPCS410Refset), "J45.9"))
}
