package snomed

// Definition statuses (900000000000444006 |Definition status|).
const (
	Primitive    ID = 900000000000074008
	FullyDefined ID = 900000000000073002
)

// ProximalPrimitives returns the proximal primitive supertypes of id,
// ascending: its primitive proper ancestors in the inferred hierarchy that
// subsume no other primitive proper ancestor of id. They are the parents a
// concept takes in its necessary normal form, and what a post-coordinated
// expression or a new concept is usually placed under. It returns nil for an
// unknown concept and for the root.
func (s *Store) ProximalPrimitives(id ID) []ID {
	var prims []ID
	for _, a := range s.Ancestors(id) {
		if c, ok := s.Concept(a); ok && c.DefinitionStatus == Primitive {
			prims = append(prims, a)
		}
	}
	// A concept has a few dozen ancestors at most, so testing each pair is
	// cheaper than anything cleverer.
	var out []ID
	for _, p := range prims {
		proximal := true
		for _, q := range prims {
			if q != p && s.IsA(q, p) {
				proximal = false // p subsumes another primitive ancestor
				break
			}
		}
		if proximal {
			out = append(out, p)
		}
	}
	return out
}
