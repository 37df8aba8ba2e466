package ecl_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/rf2"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// dagRelease writes a release of n concepts under the root whose ids are
// shuffled against the hierarchy (a child's id is as often below its
// parent's as above), with some inactive concepts, and returns each
// concept's parents. With orphan, the middle concept has no parent: a
// second top.
func dagRelease(t *testing.T, n, spread int, seed uint64, orphan bool) (dir string, ids []snomed.ID, parents map[snomed.ID][]snomed.ID, inactive []snomed.ID) {
	t.Helper()
	dir = t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 1))
	items := rng.Perm(n)
	ids = make([]snomed.ID, n)
	ids[0] = snomedtest.Root
	for i := 1; i < n; i++ {
		ids[i] = snomed.ID(rf2.MakeSCTID(uint64(10_000+items[i]), rf2.PartConcept))
	}
	parents = map[snomed.ID][]snomed.ID{}
	for i := 1; i < n; i++ {
		// Parents among the earlier concepts: mostly among the spread
		// latest, so the hierarchy is deep, and sometimes two or three.
		k := 1 + rng.IntN(3)/2 + rng.IntN(8)/7
		for range k {
			lo := max(0, i-1-rng.IntN(spread))
			if rng.IntN(10) == 0 {
				lo = rng.IntN(i)
			}
			p := ids[lo]
			if !slices.Contains(parents[ids[i]], p) {
				parents[ids[i]] = append(parents[ids[i]], p)
			}
		}
	}
	if orphan {
		// A second top, beside the root, heading its own hierarchy with
		// at least one concept under it alone.
		delete(parents, ids[n/2])
		parents[ids[n/2+1]] = []snomed.ID{ids[n/2]}
	}
	for range n / 20 {
		inactive = append(inactive, snomed.ID(rf2.MakeSCTID(uint64(10_000+n+len(inactive)), rf2.PartConcept)))
	}
	term := filepath.Join(dir, "Snapshot", "Terminology")
	require.NoError(t, os.MkdirAll(term, 0o755))
	write := func(name, header string, rows func(w *bufio.Writer)) {
		f, err := os.Create(filepath.Join(term, name))
		require.NoError(t, err)
		w := bufio.NewWriter(f)
		w.WriteString(header + "\r\n")
		rows(w)
		require.NoError(t, w.Flush())
		require.NoError(t, f.Close())
	}
	write("sct2_Concept_Snapshot_INT_20260401.txt", "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId", func(w *bufio.Writer) {
		for _, c := range ids {
			fmt.Fprintf(w, "%d\t20260401\t1\t%d\t900000000000074008\r\n", c, snomedtest.CoreModule)
		}
		for _, c := range inactive {
			fmt.Fprintf(w, "%d\t20260401\t0\t%d\t900000000000074008\r\n", c, snomedtest.CoreModule)
		}
	})
	write("sct2_Relationship_Snapshot_INT_20260401.txt", "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId", func(w *bufio.Writer) {
		seq := uint64(0)
		for _, c := range ids[1:] {
			for _, p := range parents[c] {
				seq++
				fmt.Fprintf(w, "%d\t20260401\t1\t%d\t%d\t%d\t0\t%d\t%d\t%d\r\n", rf2.MakeSCTID(100_000+seq, rf2.PartRelationship), snomedtest.CoreModule, c, p, snomedtest.IsA, snomedtest.Inferred, snomedtest.ExistentialModifer)
			}
		}
	})
	return dir, ids, parents, inactive
}

// naiveClosure walks the parents written (up) or the children derived
// from them (down) from each member of set, independently of the store.
func naiveClosure(parents map[snomed.ID][]snomed.ID, children map[snomed.ID][]snomed.ID, set []snomed.ID, down, self bool) []snomed.ID {
	found := map[snomed.ID]bool{}
	for _, x := range set {
		if self {
			found[x] = true
		}
		next := parents
		if down {
			next = children
		}
		seen := map[snomed.ID]bool{}
		stack := []snomed.ID{x}
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, n := range next[c] {
				if !seen[n] {
					seen[n] = true
					found[n] = true
					stack = append(stack, n)
				}
			}
		}
	}
	var out []snomed.ID
	for x := range found {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}

func checkClosures(t *testing.T, s *snomed.Store, parents map[snomed.ID][]snomed.ID, sets [][]snomed.ID) {
	t.Helper()
	children := map[snomed.ID][]snomed.ID{}
	for c, ps := range parents {
		for _, p := range ps {
			children[p] = append(children[p], c)
		}
	}
	for i, set := range sets {
		unique := slices.Compact(slices.Sorted(slices.Values(set)))
		for _, tc := range []struct {
			name       string
			fn         func([]snomed.ID) []snomed.ID
			down, self bool
		}{
			{"DescendantsOfAny", s.DescendantsOfAny, true, false},
			{"DescendantsOrSelfOfAny", s.DescendantsOrSelfOfAny, true, true},
			{"AncestorsOfAny", s.AncestorsOfAny, false, false},
			{"AncestorsOrSelfOfAny", s.AncestorsOrSelfOfAny, false, true},
		} {
			got := tc.fn(set)
			want := naiveClosure(parents, children, unique, tc.down, tc.self)
			if !slices.Equal(got, want) {
				t.Fatalf("set %d (%d ids): %s: %d ids, naive %d", i, len(set), tc.name, len(got), len(want))
			}
		}
		// One concept's descendants by the same strategies.
		for _, c := range unique[:min(len(unique), 3)] {
			want := naiveClosure(parents, children, []snomed.ID{c}, true, false)
			if got := s.Descendants(c); !slices.Equal(got, want) {
				t.Fatalf("Descendants(%d): %d ids, naive %d", c, len(got), len(want))
			}
			if got := s.DescendantSet(c).Len(); got != len(want) {
				t.Fatalf("DescendantSet(%d).Len() = %d, naive %d", c, got, len(want))
			}
		}
	}
}

// TestClosureOfAny checks the store's closures of sets (one walk for the
// whole set, by whichever strategy its size picks: a slice for a few
// concepts, depth-first, sweeps, the root's shortcut) against a naive
// walk of the parents written, on sets from one concept to most of the
// store.
func TestClosureOfAny(t *testing.T) {
	const n = 3000
	dir, ids, parents, inactive := dagRelease(t, n, 300, 5, false)
	s := importRelease(t, dir, snomed.AllowIncomplete()) // hierarchy only: no descriptions
	rng := rand.New(rand.NewPCG(9, 9))
	sets := [][]snomed.ID{
		nil,
		{snomedtest.Root},
		{ids[1]},
		{ids[n-1]},                  // a leaf, probably
		{ids[5], ids[5], ids[1000]}, // repeats
		{ids[10], inactive[0], 12345},
		{ids[20], ids[2]}, // one under the other?
	}
	for _, k := range []int{2, 10, 40, 300, 1500, 2900} {
		var set []snomed.ID
		for range k {
			set = append(set, ids[rng.IntN(n)])
		}
		sets = append(sets, set)
		// Ascending, with ids the store lacks or holds inactive, as a
		// reference set's members come.
		set = append(slices.Clone(set), inactive[k%len(inactive)], snomed.ID(rf2.MakeSCTID(uint64(k), rf2.PartConcept)), 1, 1<<62)
		slices.Sort(set)
		sets = append(sets, set)
		// Deep members only: the closure is small however many.
		set = nil
		for range k {
			set = append(set, ids[n-1-rng.IntN(min(n-1, 5+k/10))])
		}
		sets = append(sets, set)
	}
	// Many ascending, with the root: the root's shortcut found by search.
	sets = append(sets, slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(ids[n/2:]), snomedtest.Root)))))
	checkClosures(t, s, parents, sets)
	require.Equal(t, n-1, len(s.DescendantsOfAny([]snomed.ID{snomedtest.Root})))
}

// TestClosureOfAnyMid covers closures too large for a slice and too
// small for sweeps (a few hundred concepts in a store of 20,000), walked
// depth-first into the bitset, and a release with two tops, where the
// root's descendants are not every concept with ancestors.
func TestClosureOfAnyMid(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 20,000 concepts")
	}
	const n = 20_000
	dir, ids, parents, _ := dagRelease(t, n, 5000, 6, true)
	s := importRelease(t, dir, snomed.AllowIncomplete()) // hierarchy only: no descriptions
	var sets [][]snomed.ID
	var pair []snomed.ID
	for _, c := range ids {
		switch d := s.DescendantCount(c); {
		case d > 300 && d <= n/64 && len(sets) < 4:
			sets = append(sets, []snomed.ID{c})
		case d > 150 && d <= 200 && len(pair) < 2:
			pair = append(pair, c)
		}
	}
	require.NotEmpty(t, sets)
	require.Len(t, pair, 2)
	// The root is not above every concept with ancestors here: the
	// second top's hierarchy is not under it.
	sets = append(sets, pair, []snomed.ID{snomedtest.Root}, []snomed.ID{ids[n/2]}, []snomed.ID{snomedtest.Root, ids[n/2]})
	checkClosures(t, s, parents, sets)
}
