package snomed

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func genStore(t *testing.T, n int) *Store {
	t.Helper()
	dir := t.TempDir()
	_, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: n, Seed: 5})
	require.NoError(t, err)
	path := filepath.Join(dir, "s.db")
	require.NoError(t, Import(context.Background(), dir, path))
	s, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTopList: the root's descendants listed from the ancestor offsets
// are those the bitset walk finds, with and without the root; a source
// that is not above every concept with ancestors takes no shortcut.
func TestTopList(t *testing.T) {
	s := genStore(t, 3000)
	root, ok := s.ord(RootConcept)
	require.True(t, ok)
	for _, self := range []bool{false, true} {
		got, ok := s.topList([]int32{root}, self)
		require.True(t, ok)
		c := s.walk([]int32{root}, true, self)
		assert.Equal(t, s.list(c.in, c.count, nil), got, "self %v", self)
		assert.Equal(t, s.closureOrds([]int32{root}, nil, true, self), got)
	}
	child := s.child[s.childOff[root]]
	_, ok = s.topList([]int32{child}, true)
	assert.False(t, ok)
	_, ok = s.topList([]int32{root, child}, true)
	assert.False(t, ok)
}

// TestMembersClosureKept: a reference set's closure listed from the kept
// bitset is the one walked, in every direction, when asked concurrently
// (run with -race), and only maxCachedClosures closures are kept.
func TestMembersClosureKept(t *testing.T) {
	s := genStore(t, 3000)
	type dir struct{ down, self bool }
	dirs := []dir{{true, true}, {true, false}, {false, true}, {false, false}}
	want := map[closureKey][]ID{}
	for _, r := range s.Refsets() {
		for _, d := range dirs {
			ords, _ := s.memberOrds(r)
			if d.self {
				ords = s.activeMemberOrds(r, ords)
			}
			want[closureKey{r, d.down, d.self}] = s.closureOrds(ords, nil, d.down, d.self)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2 {
				for k, w := range want {
					assert.Equal(t, w, s.membersClosure(k.refset, k.down, k.self), "%+v", k)
				}
			}
		})
	}
	wg.Wait()
	kept := 0
	s.memClosure.Range(func(k, v any) bool {
		kept++
		c := v.(*cachedClosure)
		assert.Equal(t, want[k.(closureKey)], s.list(c.in, c.count, nil))
		return true
	})
	assert.Positive(t, kept, "no closure large enough to keep")
	assert.LessOrEqual(t, kept, maxCachedClosures)
}

// TestEachOrd: galloping along the ids finds what a binary search for
// each finds, for lists dense and sparse, before, among and past the
// concepts.
func TestEachOrd(t *testing.T) {
	d := &release{IDs: []ID{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		var ids []ID
		for range rng.IntN(30) {
			ids = append(ids, ID(rng.IntN(200)))
		}
		slices.Sort(ids)
		var want, got []int32
		for _, id := range ids {
			if o, ok := d.ordOf(id); ok {
				want = append(want, o)
			}
		}
		d.eachOrd(ids, func(o int32) { got = append(got, o) })
		require.Equal(t, want, got, "%v", ids)
	}
}
