package snomed

import "slices"

// Tables for closures of many concepts at once (closure.go), added in
// format 9 and numbered after format 8's sections (kept apart from the
// rest of the format, to be easy to merge and to drop):
//
//	secInner      a bitset over the ordinals: concepts with children. A
//	              large closure is mostly leaves; the sweep skips them
//	              without reading their (empty) children lists.
//	secEdges      the IS-A edges {parent, child}, parents in a topological
//	              order (each after its own parents): the closure of a
//	              large set is one branch-free pass over them, where a walk
//	              of the children lists mispredicts their lengths.
//	secMemOrdOff  CSR over MemKeys of the members that are concepts, as
//	secMemOrd     ordinals (ascending: ordinals follow ids), so that
//	              << ^ refset starts from ordinals without looking up
//	              hundreds of thousands of ids.

// edge is an IS-A relationship between ordinals.
type edge struct{ P, C int32 }

// closureTables writes the inner bitset and the edges from the parents
// lists (acyclic: Import has checked).
func (w *storeWriter) closureTables(d *release) error {
	n := len(d.IDs)
	inner := make([]uint64, (n+63)/64)
	for _, ps := range d.Parents {
		for _, p := range ps {
			inner[p>>6] |= 1 << (p & 63)
		}
	}
	put(w, secInner, inner)
	inner = nil
	// A topological order by Kahn's algorithm, the queue being the order
	// itself.
	off, child := children(d.Parents)
	left := make([]int32, n) // parents not yet ordered
	order := make([]int32, 0, n)
	for i, ps := range d.Parents {
		left[i] = int32(len(ps))
		if len(ps) == 0 {
			order = append(order, int32(i))
		}
	}
	edges := make([]edge, 0, len(child))
	for k := 0; k < len(order); k++ {
		p := order[k]
		for _, c := range child[off[p]:off[p+1]] {
			edges = append(edges, edge{p, c})
			if left[c]--; left[c] == 0 {
				order = append(order, c)
			}
		}
	}
	if len(edges) != len(child) {
		return ErrCycle
	}
	put(w, secEdges, edges)
	return w.err
}

// memberOrdinals writes the ordinals of each reference set's members that
// are concepts, by the keys content writes (ascending refsets).
func (w *storeWriter) memberOrdinals(d *release) error {
	keys := sortedKeys(d.Members)
	off := make([]int32, len(keys)+1)
	// Counted first, so that the import's peak holds no spare capacity.
	for i, k := range keys {
		m := int32(0)
		d.eachOrd(d.Members[k], func(int32) { m++ })
		off[i+1] = off[i] + m
	}
	ords := make([]int32, 0, off[len(keys)])
	for _, k := range keys {
		d.eachOrd(d.Members[k], func(o int32) { ords = append(ords, o) })
	}
	put(w, secMemOrdOff, off)
	put(w, secMemOrd, ords)
	return w.err
}

// eachOrd calls f with the ordinal of each of the ascending ids that is a
// concept, in order. It gallops along the sorted concept ids from the
// last one reached: a binary search from scratch for each of millions of
// members (the language reference sets' descriptions among them) misses
// the cache at every step.
func (d *release) eachOrd(ids []ID, f func(o int32)) {
	all := d.IDs
	lo := 0
	for _, id := range ids {
		if lo < len(all) && all[lo] < id {
			// all[lo] < id: double the step until all[hi] >= id (or the
			// end), then search between.
			step, hi := 1, lo+1
			for hi < len(all) && all[hi] < id {
				lo = hi
				hi += step
				step *= 2
			}
			hi = min(hi, len(all))
			i, _ := slices.BinarySearch(all[lo+1:hi], id)
			lo += 1 + i
		}
		if lo < len(all) && all[lo] == id {
			f(int32(lo))
		}
	}
}

// decodeClosureTables views the tables above and checks them as decode
// does the others: a damaged file fails Open rather than a query.
func decodeClosureTables(b []byte, d *data) error {
	var err error
	if d.Inner, err = view[uint64](b, secInner); err != nil {
		return err
	}
	if d.Edges, err = view[edge](b, secEdges); err != nil {
		return err
	}
	if d.MemOrdOff, err = view[int32](b, secMemOrdOff); err != nil {
		return err
	}
	if d.MemOrd, err = view[int32](b, secMemOrd); err != nil {
		return err
	}
	n := len(d.IDs)
	ok := len(d.Inner) == (n+63)/64 &&
		(n%64 == 0 || d.Inner[n/64]>>(n%64) == 0) && // no concept past the last
		len(d.Edges) == int(d.ParOff[n]) && checkEdges(d.Edges, n) &&
		checkOff(d.MemOrdOff, len(d.MemKeys), len(d.MemOrd)) && checkOrds(d.MemOrd, n)
	for i := range d.MemKeys {
		// A refset has no more concept members than members.
		ok = ok && d.MemOrdOff[i+1]-d.MemOrdOff[i] <= d.MemOff[i+1]-d.MemOff[i]
	}
	if !ok {
		return errCorrupt
	}
	return nil
}

// checkEdges reports whether every edge joins ordinals below n.
func checkEdges(es []edge, n int) bool {
	bad := false
	for _, e := range es {
		bad = bad || uint32(e.P) >= uint32(n) || uint32(e.C) >= uint32(n)
	}
	return !bad
}

// edgeSweep marks the closure of the sources in one pass over the edges:
// a parent's bit is final before its edges are read. Edges out of order
// (a damaged file) give a wrong answer, not a panic: Open checked the
// ordinals.
func (c *closureWalk) edgeSweep(sources []int32, self bool) {
	in := c.in
	if self {
		// The sources are marked already.
		for _, e := range c.s.d.Edges {
			p, ch := uint32(e.P), uint32(e.C)
			in[ch>>6] |= (in[p>>6] >> (p & 63) & 1) << (ch & 63)
		}
	} else {
		reach := make([]uint64, len(in)) // the sources and what is in
		for _, o := range sources {
			reach[o>>6] |= 1 << (o & 63)
		}
		for _, e := range c.s.d.Edges {
			p, ch := uint32(e.P), uint32(e.C)
			b := (reach[p>>6] >> (p & 63) & 1) << (ch & 63)
			reach[ch>>6] |= b
			in[ch>>6] |= b
		}
	}
	c.recount()
}

// large reports whether the closure of sources is surely a large part of
// the store, where one pass over every edge costs less than a walk of the
// closure: the sources, or the descendants of one of them, are a fifth of
// it (at UK size the two cost about the same for a closure of a fifth).
// The sum of the counts would overcount a set nested in itself, such as a
// concept and its descendants.
func (c *closureWalk) large(sources []int32, n int) bool {
	if len(sources) >= n/5 {
		return true
	}
	for _, o := range sources {
		if int(c.s.d.DescCount[o]) >= n/5 {
			return true
		}
	}
	return false
}

// memberOrds returns the ordinals of refset's members that are concepts,
// and whether every member is one.
func (s *Store) memberOrds(refset ID) ([]int32, bool) {
	i, ok := slices.BinarySearch(s.d.MemKeys, refset)
	if !ok {
		return nil, true
	}
	ords := s.d.MemOrd[s.d.MemOrdOff[i]:s.d.MemOrdOff[i+1]]
	return ords, len(ords) == int(s.d.MemOff[i+1]-s.d.MemOff[i])
}

// DescendantsOfMembers returns DescendantsOfAny(s.RefsetMembers(refset))
// without copying the members or looking up their ids: ECL's < ^ refset.
func (s *Store) DescendantsOfMembers(refset ID) []ID { return s.membersClosure(refset, true, false) }

// DescendantsOrSelfOfMembers returns the members of refset that are active
// concepts and their descendants: ECL's << ^ refset, whose "self" is
// active concepts only (ECL specification 6.1 and 6.9); it equals
// DescendantsOrSelfOfAny of those members.
func (s *Store) DescendantsOrSelfOfMembers(refset ID) []ID {
	return s.membersClosure(refset, true, true)
}

// AncestorsOfMembers returns AncestorsOfAny(s.RefsetMembers(refset)).
func (s *Store) AncestorsOfMembers(refset ID) []ID { return s.membersClosure(refset, false, false) }

// AncestorsOrSelfOfMembers returns the members of refset that are active
// concepts and their ancestors (ECL's >> ^ refset).
func (s *Store) AncestorsOrSelfOfMembers(refset ID) []ID {
	return s.membersClosure(refset, false, true)
}

// ConceptMembers returns the members of refset that are concepts, active
// or not, ascending: ECL's ^ refset, which returns no descriptions or
// other components.
func (s *Store) ConceptMembers(refset ID) []ID {
	ords, all := s.memberOrds(refset)
	if len(ords) == 0 {
		return nil
	}
	if all {
		return slices.Clone(s.members(refset))
	}
	out := make([]ID, len(ords))
	for i, o := range ords {
		out[i] = s.d.IDs[o]
	}
	slices.Sort(out)
	return out
}

// activeMemberOrds returns the members' ordinals that are active
// concepts: inactive members have no IS-A relationships, so they add only
// themselves, which an ECL hierarchy operator leaves out. The list is
// found once per reference set and kept.
func (s *Store) activeMemberOrds(refset ID, ords []int32) []int32 {
	if v, ok := s.activeMem.Load(refset); ok {
		return v.([]int32)
	}
	active := ords
	for i, o := range ords {
		if s.d.Concepts[o].Active == 0 {
			active = slices.Clone(ords[:i])
			for _, x := range ords[i+1:] {
				if s.d.Concepts[x].Active == 1 {
					active = append(active, x)
				}
			}
			break
		}
	}
	s.activeMem.Store(refset, active)
	return active
}
