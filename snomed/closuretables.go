package snomed

import "slices"

// Tables for closures of many concepts at once (closure.go), written
// after the others so that the layout before them is that of format 8:
//
//	secInner      a bitset over the ordinals: concepts with children. A
//	              large closure is mostly leaves; the sweep skips them
//	              without reading their (empty) children lists.
//	secMemOrdOff  CSR over MemKeys of the members that are concepts, as
//	secMemOrd     ordinals (ascending: ordinals follow ids), so that
//	              << ^ refset starts from ordinals without looking up
//	              hundreds of thousands of ids.

// closureTables writes the inner bitset from the parents lists.
func (w *storeWriter) closureTables(d *release) error {
	inner := make([]uint64, (len(d.IDs)+63)/64)
	for _, ps := range d.Parents {
		for _, p := range ps {
			inner[p>>6] |= 1 << (p & 63)
		}
	}
	put(w, secInner, inner)
	return w.err
}

// memberOrdinals writes the ordinals of each reference set's members that
// are concepts, by the keys content wrote (ascending refsets).
func (w *storeWriter) memberOrdinals(d *release) error {
	keys := sortedKeys(d.Members)
	off := make([]int32, len(keys)+1)
	var ords []int32
	for i, k := range keys {
		for _, id := range d.Members[k] {
			if o, ok := d.ordOf(id); ok {
				ords = append(ords, o)
			}
		}
		off[i+1] = int32(len(ords))
	}
	put(w, secMemOrdOff, off)
	put(w, secMemOrd, ords)
	return w.err
}

// decodeClosureTables views the tables above and checks them as decode
// does the others: a damaged file fails Open rather than a query.
func decodeClosureTables(b []byte, d *data) error {
	var err error
	if d.Inner, err = view[uint64](b, secInner); err != nil {
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

// DescendantsOrSelfOfMembers returns
// DescendantsOrSelfOfAny(s.RefsetMembers(refset)): ECL's << ^ refset.
func (s *Store) DescendantsOrSelfOfMembers(refset ID) []ID {
	return s.membersClosure(refset, true, true)
}

// AncestorsOfMembers returns AncestorsOfAny(s.RefsetMembers(refset)).
func (s *Store) AncestorsOfMembers(refset ID) []ID { return s.membersClosure(refset, false, false) }

// AncestorsOrSelfOfMembers returns
// AncestorsOrSelfOfAny(s.RefsetMembers(refset)).
func (s *Store) AncestorsOrSelfOfMembers(refset ID) []ID {
	return s.membersClosure(refset, false, true)
}

func (s *Store) membersClosure(refset ID, down, self bool) []ID {
	ords, all := s.memberOrds(refset)
	if !all && self {
		// Members that are not concepts are in the answer as themselves:
		// the general path finds them.
		return s.closure(s.members(refset), down, self)
	}
	return s.closureOrds(ords, nil, down, self)
}
