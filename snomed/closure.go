package snomed

import (
	"math/bits"
	"slices"
)

// Closures of many concepts at once, for ECL's < (A OR B …), << ^ refset
// and > ^ refset. A union of one walk per concept would repeat the shared
// part of the hierarchy once per concept; these walk it once. The
// descendant counts kept at import choose how: up to a few hundred
// concepts are collected in a slice; more are marked in a bitset over the
// ordinals (which lists the answer in id order), walking depth-first when
// the counts say the closure is under 1/64 of the store, reading the
// ancestor offsets when a source is the top of every concept with
// ancestors (the root), and otherwise sweeping the children lists in
// ordinal order. Ancestors are read from the ancestor lists.

// DescendantsOfAny returns the concepts subsumed by at least one of ids,
// ascending. A concept of ids is in the answer only when it descends from
// another (each closure is proper, as Descendants'); ids the store does not
// hold are ignored.
func (s *Store) DescendantsOfAny(ids []ID) []ID { return s.closure(ids, true, false) }

// DescendantsOrSelfOfAny returns ids and every concept subsumed by one of
// them, ascending and without repeats: ids the store does not hold are in
// the answer as themselves, as in a union of ids and DescendantsOfAny.
func (s *Store) DescendantsOrSelfOfAny(ids []ID) []ID { return s.closure(ids, true, true) }

// AncestorsOfAny returns the concepts that subsume at least one of ids,
// ascending; as for DescendantsOfAny, a concept of ids is in the answer
// only when it subsumes another.
func (s *Store) AncestorsOfAny(ids []ID) []ID { return s.closure(ids, false, false) }

// AncestorsOrSelfOfAny returns ids and every concept that subsumes one of
// them, ascending and without repeats (ids not held included).
func (s *Store) AncestorsOrSelfOfAny(ids []ID) []ID { return s.closure(ids, false, true) }

func (s *Store) closure(ids []ID, down, self bool) []ID {
	n := len(s.d.IDs)
	if n == 0 || len(ids) == 0 {
		if self && len(ids) > 0 {
			return slices.Compact(slices.Sorted(slices.Values(ids)))
		}
		return nil
	}
	sources, unknown := s.ords(ids)
	if !self {
		unknown = nil
	}
	return s.closureOrds(sources, unknown, down, self)
}

// closureOrds is closure from the ordinals of the ids held; unknown are
// added to the answer as they are.
func (s *Store) closureOrds(sources []int32, unknown []ID, down, self bool) []ID {
	if len(sources) == 0 && len(unknown) == 0 {
		return nil
	}
	if out, ok := s.fewClosure(sources, unknown, down, self); ok {
		return out
	}
	if down && len(unknown) == 0 {
		if out, ok := s.topList(sources, self); ok {
			return out
		}
	}
	c := s.walk(sources, down, self)
	return s.list(c.in, c.count, unknown)
}

// walk marks the closure of sources (of n concepts) in a bitset.
func (s *Store) walk(sources []int32, down, self bool) closureWalk {
	n := len(s.d.IDs)
	c := closureWalk{s: s, in: make([]uint64, (n+63)/64)}
	if !down {
		// A source already marked is an ancestor of an earlier one, whose
		// list held all of its ancestors too.
		for _, o := range sources {
			if c.in[o>>6]&(1<<(o&63)) != 0 {
				continue
			}
			for _, a := range s.d.Anc[s.d.AncOff[o]:s.d.AncOff[o+1]] {
				c.mark(a)
			}
		}
	}
	if self {
		for _, o := range sources {
			c.mark(o)
		}
	}
	if down {
		c.down(sources, n, self)
	}
	return c
}

// list returns the ids of the count ordinals marked in in, and unknown,
// ascending.
func (s *Store) list(in []uint64, count int, unknown []ID) []ID {
	out := make([]ID, count, count+len(unknown))
	k := 0
	ids := s.d.IDs
	for w, word := range in {
		for word != 0 {
			out[k] = ids[w<<6+bits.TrailingZeros64(word)]
			k++
			word &= word - 1
		}
	}
	if len(unknown) > 0 {
		out = append(out, unknown...)
		slices.Sort(out)
		out = slices.Compact(out)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// descendantBits marks the proper descendants of ordinal o in bits, a
// bitset over the ordinals, by the walk closureOrds would choose, and
// returns how many there are.
func (s *Store) descendantBits(o int32, bits []uint64) int {
	c := closureWalk{s: s, in: bits}
	c.down([]int32{o}, len(s.d.IDs), false)
	return c.count
}

// down marks the descendants of sources (n concepts in the store) by the
// walk their size calls for: depth-first for a few, the root's shortcut,
// one pass over the topological edges for a large closure, else a sweep.
func (c *closureWalk) down(sources []int32, n int, self bool) {
	switch {
	case c.small(sources, n):
		c.depthFirst(sources)
	case c.top(sources):
	case c.large(sources, n):
		c.edgeSweep(sources, self)
	default:
		c.sweep(sources, self)
	}
}

// few is the largest closure (by the counts kept at import) collected
// in a slice rather than a bitset over the whole store, whose allocation
// and scan cost tens of microseconds at UK size.
const few = 256

// fewClosure returns the closure of sources when it is small, reporting
// whether it was.
func (s *Store) fewClosure(sources []int32, unknown []ID, down, self bool) ([]ID, bool) {
	total := 0
	for _, o := range sources {
		if down {
			total += int(s.d.DescCount[o])
		} else {
			total += int(s.d.AncOff[o+1] - s.d.AncOff[o])
		}
		if total > few {
			return nil, false
		}
	}
	var ords []int32
	if self {
		ords = append(ords, sources...)
	}
	switch {
	case !down:
		for _, o := range sources {
			ords = append(ords, s.d.Anc[s.d.AncOff[o]:s.d.AncOff[o+1]]...)
		}
	case total > 0:
		// A concept reached by two paths is listed twice; the sort below
		// removes it, and the counts bound the walk.
		seen := make(map[int32]bool, total)
		stack := make([]int32, 0, 16)
		for _, o := range sources {
			stack = append(stack[:0], o)
			for len(stack) > 0 {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, ch := range s.child[s.childOff[x]:s.childOff[x+1]] {
					if !seen[ch] {
						seen[ch] = true
						ords = append(ords, ch)
						stack = append(stack, ch)
					}
				}
			}
		}
	}
	slices.Sort(ords)
	ords = slices.Compact(ords)
	if len(ords)+len(unknown) == 0 {
		return nil, true
	}
	out := make([]ID, len(ords), len(ords)+len(unknown))
	for i, o := range ords {
		out[i] = s.d.IDs[o]
	}
	if len(unknown) > 0 {
		out = append(out, unknown...)
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out, true
}

// ords returns the ordinals of the ids the store holds and the ids it does
// not. Many ascending ids (a reference set's members) are found by
// galloping along the sorted ids from the last one found: a hash lookup
// each misses the cache, and the next id is usually close by.
func (s *Store) ords(ids []ID) (found []int32, unknown []ID) {
	found = make([]int32, 0, len(ids))
	if len(ids) < 64 || !slices.IsSorted(ids) {
		for _, id := range ids {
			if o, ok := s.ord(id); ok {
				found = append(found, o)
			} else {
				unknown = append(unknown, id)
			}
		}
		return found, unknown
	}
	all := s.d.IDs
	lo := 0
	for _, id := range ids {
		// Count the next eight ids below id without branches (whether
		// each is below is unpredictable), then gallop past a longer gap:
		// double the step until past id and search that span.
		if lo+8 <= len(all) {
			w := all[lo : lo+8 : lo+8]
			lo += b2i(w[0] < id) + b2i(w[1] < id) + b2i(w[2] < id) + b2i(w[3] < id) +
				b2i(w[4] < id) + b2i(w[5] < id) + b2i(w[6] < id) + b2i(w[7] < id)
		} else {
			for lo < len(all) && all[lo] < id {
				lo++
			}
		}
		if lo < len(all) && all[lo] < id {
			step, hi := 1, lo
			for hi < len(all) && all[hi] < id {
				lo = hi + 1
				hi += step
				step *= 2
			}
			hi = min(hi, len(all)-1) + 1
			i, _ := slices.BinarySearch(all[lo:hi], id)
			lo += i
		}
		if lo < len(all) && all[lo] == id {
			found = append(found, int32(lo))
		} else {
			unknown = append(unknown, id)
		}
	}
	return found, unknown
}

// closureWalk marks the ordinals of a closure in the bitset in.
type closureWalk struct {
	s     *Store
	in    []uint64
	count int
}

// mark adds o, reporting whether it was new.
func (c *closureWalk) mark(o int32) bool {
	w, b := o>>6, uint64(1)<<(o&63)
	if c.in[w]&b != 0 {
		return false
	}
	c.in[w] |= b
	c.count++
	return true
}

// small reports whether the descendants of sources are few enough (by the
// counts kept at import, which bound them from above) for a depth-first
// walk; a sweep scans the whole bitset once per pass.
func (c *closureWalk) small(sources []int32, n int) bool {
	total := 0
	for _, o := range sources {
		total += int(c.s.d.DescCount[o])
		if total > n/64 {
			return false
		}
	}
	return true
}

// top marks every concept with an ancestor when a source is above them
// all (the root, in a release with one): its descendant count equals their
// number. Reading the ancestor offsets in order costs far less than
// walking most of the store.
func (c *closureWalk) top(sources []int32) bool {
	s := c.s
	n := len(s.d.IDs)
	// Only a concept without ancestors can be the top: one with some is
	// among the concepts with ancestors but not among its descendants.
	var big []int32
	cand := sources
	if len(sources) > 1024 {
		// A long list (a reference set's members, ascending) is searched
		// for the root alone: reading each source's count at random costs
		// about a millisecond at UK size. A miss only forgoes the shortcut.
		cand = nil
		if r, ok := s.ord(RootConcept); ok {
			if _, found := slices.BinarySearch(sources, r); found {
				cand = []int32{r}
			}
		}
	}
	for _, o := range cand {
		if int(s.d.DescCount[o]) >= n/2 && s.d.AncOff[o+1] == s.d.AncOff[o] {
			big = append(big, o)
		}
	}
	if len(big) == 0 {
		return false
	}
	off := s.d.AncOff
	below := make([]uint64, len(c.in))
	count := 0
	for w := range below {
		var word uint64
		for b := range min(64, n-w<<6) {
			i := w<<6 + b
			// The sign bit of off[i]-off[i+1]: set when i has ancestors.
			word |= uint64(uint32(off[i]-off[i+1])>>31) << b
		}
		below[w] = word
		count += bits.OnesCount64(word)
	}
	for _, o := range big {
		if int(s.d.DescCount[o]) == count {
			for w, word := range below {
				c.in[w] |= word
			}
			c.recount()
			return true
		}
	}
	return false
}

// depthFirst walks down from each source. A source reached from an
// earlier one may be expanded twice, which costs only a look at its
// children, already marked.
func (c *closureWalk) depthFirst(sources []int32) {
	s := c.s
	stack := make([]int32, 0, 64)
	for _, o := range sources {
		if s.d.DescCount[o] == 0 {
			continue
		}
		stack = append(stack[:0], o)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, ch := range s.child[s.childOff[x]:s.childOff[x+1]] {
				if c.mark(ch) && s.childOff[ch+1] > s.childOff[ch] {
					stack = append(stack, ch)
				}
			}
		}
	}
}

// sweep expands the concepts marked (and the sources) in ordinal order,
// pass after pass, until none is left unexpanded: the children lists are
// then read nearly in order (they are laid out by ordinal) rather than at
// random, which matters when the closure is a large part of the store.
// A pass picks up children after the concept expanded; one before it
// waits for the next pass. Leaves (most of a large closure) are passed
// over by the inner bitset without reading their offsets. With self, the
// sources are already marked.
func (c *closureWalk) sweep(sources []int32, self bool) {
	childOff, child, in, inner := c.s.childOff, c.s.child, c.in, c.s.d.Inner
	src := in
	if !self {
		src = make([]uint64, len(in))
		for _, o := range sources {
			src[o>>6] |= 1 << (o & 63)
		}
	}
	done := make([]uint64, len(in))
	for again := true; again; {
		again = false
		for w := range in {
			for {
				now := in[w] | src[w]
				todo := now &^ done[w] & inner[w]
				if todo == 0 {
					break
				}
				done[w] |= now
				for todo != 0 {
					x := w<<6 + bits.TrailingZeros64(todo)
					todo &= todo - 1
					for _, ch := range child[childOff[x]:childOff[x+1]] {
						cw, cb := int(ch>>6), uint64(1)<<(ch&63)
						if cw < w && in[cw]&cb == 0 && inner[cw]&cb != 0 {
							again = true
						}
						in[cw] |= cb
					}
				}
			}
		}
	}
	c.recount()
}

// recount sets count from the bitset.
func (c *closureWalk) recount() {
	c.count = 0
	for _, w := range c.in {
		c.count += bits.OnesCount64(w)
	}
}

// b2i is 1 for true; the compiler makes it a flag move, not a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
