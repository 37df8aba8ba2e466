package snomed

// Two shortcuts for the largest closures ECL lists (the bench's
// << 138875005 and << ^ refset over the largest reference set, at UK
// Monolith size):
//
//   - the descendants of the root, when it is the top of every concept
//     with ancestors, are those concepts: one branch-free pass over the
//     ancestor offsets and the ids lists them, without a bitset;
//   - the closure of a reference set's members, once walked, is kept as
//     its bitset (144 KB at UK size) for the life of the Store, for up to
//     maxCachedClosures reference sets and directions: a value set
//     evaluated again lists it without walking the hierarchy. The store
//     is immutable, so a kept closure never goes stale.

// maxCachedClosures bounds the closures kept (about 9 MB at UK size).
const maxCachedClosures = 64

type closureKey struct {
	refset     ID
	down, self bool
}

type cachedClosure struct {
	in    []uint64
	count int
}

// withAncestors returns how many concepts have ancestors, counted once.
func (s *Store) withAncestors() int {
	s.withAnc.once.Do(func() {
		off := s.d.AncOff
		n := 0
		for i := range len(s.d.IDs) {
			n += b2i(off[i+1] > off[i])
		}
		s.withAnc.n = n
	})
	return s.withAnc.n
}

// topList lists the descendants (or self) of a single source above every
// concept with ancestors, reporting whether sources was that.
func (s *Store) topList(sources []int32, self bool) ([]ID, bool) {
	if len(sources) != 1 {
		return nil, false
	}
	o := sources[0]
	n := len(s.d.IDs)
	off, ids := s.d.AncOff, s.d.IDs
	if int(s.d.DescCount[o]) < n/2 || off[o+1] != off[o] || int(s.d.DescCount[o]) != s.withAncestors() {
		return nil, false
	}
	size := int(s.d.DescCount[o])
	if self {
		size++
	}
	// One slot of slack: every id is written, and the next one overwrites
	// it unless it was kept.
	out := make([]ID, size+1)
	top := -1 // the source, listed with self
	if self {
		top = int(o)
	}
	k := 0
	off = off[:n+1]
	ids = ids[:n]
	for i := range n {
		out[k] = ids[i]
		// No branch: whether a concept has ancestors is unpredictable.
		k += b2i(off[i+1] > off[i]) | b2i(i == top)
	}
	if k != size { // a damaged file: counts that do not agree
		return nil, false
	}
	return out[:size:size], true
}

// membersClosure is the closure of refset's members (the active ones
// with self), from the kept bitset when there is one.
func (s *Store) membersClosure(refset ID, down, self bool) []ID {
	key := closureKey{refset, down, self}
	if v, ok := s.memClosure.Load(key); ok {
		c := v.(*cachedClosure)
		return s.list(c.in, c.count, nil)
	}
	ords, _ := s.memberOrds(refset)
	if self {
		ords = s.activeMemberOrds(refset, ords)
	}
	if len(ords) == 0 {
		return nil
	}
	if out, ok := s.fewClosure(ords, nil, down, self); ok {
		return out
	}
	if down {
		if out, ok := s.topList(ords, self); ok {
			return out
		}
	}
	c := s.walk(ords, down, self)
	if s.memClosureN.Add(1) <= maxCachedClosures {
		s.memClosure.LoadOrStore(key, &cachedClosure{in: c.in, count: c.count})
	}
	return s.list(c.in, c.count, nil)
}
