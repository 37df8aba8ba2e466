package snomed

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClosureTables: the inner bitset marks exactly the concepts with
// children, and each refset's member ordinals are its concept members'.
func TestClosureTables(t *testing.T) {
	b := tinyStore(t)
	s := &Store{}
	require.NoError(t, decode(b, s))
	for o := range s.d.IDs {
		inner := s.d.Inner[o>>6]&(1<<(o&63)) != 0
		assert.Equal(t, s.childOff[o+1] > s.childOff[o], inner, "ordinal %d", o)
	}
	// The edges are the children lists, each parent's after its own
	// parents'.
	var got, want []edge
	lastIn := make([]int, len(s.d.IDs))
	for i := range lastIn {
		lastIn[i] = -1
	}
	for i, e := range s.d.Edges {
		lastIn[e.C] = i
	}
	for i, e := range s.d.Edges {
		got = append(got, e)
		assert.Greater(t, i, lastIn[e.P], "edge %v before one into its parent", e)
	}
	for o := range s.d.IDs {
		for _, c := range s.child[s.childOff[o]:s.childOff[o+1]] {
			want = append(want, edge{int32(o), c})
		}
	}
	cmpEdge := func(a, b edge) int { return cmp.Or(cmp.Compare(a.P, b.P), cmp.Compare(a.C, b.C)) }
	slices.SortFunc(got, cmpEdge)
	assert.Equal(t, want, got)
	for _, r := range s.d.MemKeys {
		var want []int32
		for _, id := range s.members(r) {
			if o, ok := s.ord(id); ok {
				want = append(want, o)
			}
		}
		got, all := s.memberOrds(r)
		assert.True(t, slices.Equal(want, got), "refset %d: %v, want %v", r, got, want)
		assert.Equal(t, len(want) == len(s.members(r)), all, "refset %d", r)
	}
}

// TestClosureTablesDamaged: a concept past the last marked with children
// is refused at Open; leaves marked with children only cost a look at an
// empty list.
func TestClosureTablesDamaged(t *testing.T) {
	b := tinyStore(t)
	s := &Store{}
	require.NoError(t, decode(b, s))
	n := len(s.d.IDs)
	h := b[len(magic)+secInner*16:]
	off := binary.LittleEndian.Uint64(h)
	last := off + uint64(n/64*8)
	if n%64 != 0 {
		c := bytes.Clone(b)
		binary.LittleEndian.PutUint64(c[last:], ^uint64(0))
		assert.Error(t, decode(c, &Store{}))
	}
	c := bytes.Clone(b)
	for i := range uint64(n / 64 * 8) {
		c[off+i] = 0xff
	}
	s = &Store{}
	require.NoError(t, decode(c, s))
	exercise(s)
}
