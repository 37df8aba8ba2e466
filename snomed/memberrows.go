package snomed

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/nhskit/nhskit/snomed/rf2"
)

// Reference set rows' module, effective time and status, added in format
// 11 so that ECL member filters on moduleId, effectiveTime and active are
// answered from the store (kept apart from the rest of the format, like
// closuretables.go):
//
//	secModules    the modules of reference set rows, in the order first
//	              met; a row names its module by index.
//	secMapMeta    a rowMeta per map row (in step with secMaps) and per
//	secAssocMeta  association row (in step with secAssoc): these rows
//	              are active.
//	secRowKeys    for every other row whose referenced component is a
//	secRowOff     concept, active or not, of a reference set other than a
//	secRows       language one: {ordinal, rowMeta}, by refset (CSR over
//	              RowKeys), then ordinal, module and time.
//
// A rowMeta is 4 bytes: the effective time packed as
// (year-2000)<<9 | month<<5 | day (16 bits, ordered as the dates are,
// exact for 2000-01-01 to 2127-12-31; a reference set row outside them is
// rf2.ErrTime at import), and the module index with the status in its top
// bit (up to 32767 modules). At UK Monolith size (synthetic) these
// tables add 29 MB: 1.28 million map and association rows at 4 bytes,
// 3.0 million other rows at 8. Language reference sets are left out:
// their 10.0 million rows would add 80 MB at 8 bytes a row, taking the
// store to 1,117 MB, past 1 GiB, and answer nothing, since their members
// are descriptions, which an ECL expression never returns (a member
// filter on a language reference set selects no concept either way).

// rowMeta is a reference set row's effective time, module and status.
type rowMeta struct {
	Time uint16 // packTime
	Mod  uint16 // index into Modules; rowActive set if the row is active
}

const rowActive = 1 << 15

// rowRec is a row of a concept in secRows.
type rowRec struct {
	Ord  int32
	Meta rowMeta
}

// packTime packs a YYYYMMDD effective time into 16 bits, keeping order.
func packTime(et int) (uint16, bool) {
	y, m, d := et/10000, et/100%100, et%100
	if y < 2000 || y > 2127 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	return uint16((y-2000)<<9 | m<<5 | d), true
}

// unpackTime is packTime's inverse.
func unpackTime(t uint16) int { return (2000+int(t>>9))*10000 + int(t>>5&15)*100 + int(t&31) }

// metaOf packs a row's time, module and status, numbering modules in
// the order met.
func (d *release) metaOf(r refRow, files []refFile, mods map[ID]uint16) (rowMeta, error) {
	t, ok := packTime(int(r.et))
	if !ok {
		return rowMeta{}, &rf2.ParseError{File: files[r.file].name, Line: int(r.line), Column: "effectiveTime", Err: rf2.ErrTime}
	}
	mod, ok := mods[r.module]
	if !ok {
		if len(mods) >= rowActive {
			return rowMeta{}, errTooBig
		}
		mod = uint16(len(mods))
		mods[r.module] = mod
	}
	if r.active {
		mod |= rowActive
	}
	return rowMeta{Time: t, Mod: mod}, nil
}

// keepRow adds a row to Rows if its member is a concept.
func (d *release) keepRow(refset, comp ID, meta rowMeta) {
	if o, ok := d.ordOf(comp); ok {
		d.Rows[refset] = append(d.Rows[refset], rowRec{Ord: o, Meta: meta})
	}
}

func compareRows(a, b rowRec) int {
	if c := cmp.Compare(a.Ord, b.Ord); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Meta.Mod, b.Meta.Mod); c != 0 {
		return c
	}
	return cmp.Compare(a.Meta.Time, b.Meta.Time)
}

// sortInStep sorts v by f, stably, and meta with it.
func sortInStep[T any](v []T, meta []rowMeta, f func(a, b T) int) {
	if len(v) < 2 {
		return
	}
	idx := make([]int32, len(v))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return f(v[a], v[b]) })
	v2, m2 := slices.Clone(v), slices.Clone(meta)
	for i, j := range idx {
		v[i], meta[i] = v2[j], m2[j]
	}
}

// memberRows writes the tables above.
func (w *storeWriter) memberRows(d *release) error {
	put(w, secModules, d.Modules)
	_, _, mm := keyed(d.MapMeta)
	put(w, secMapMeta, mm)
	_, _, am := keyed(d.AssocMeta)
	put(w, secAssocMeta, am)
	keys, off, rows := keyed(d.Rows)
	put(w, secRowKeys, keys)
	put(w, secRowOff, off)
	put(w, secRows, rows)
	return w.err
}

// decodeMemberRows views the tables above and checks them: the metadata
// is in step with its tables and every row's ordinal is in range; module
// indexes are checked on use.
func decodeMemberRows(b []byte, d *data) error {
	var err error
	if d.Modules, err = view[ID](b, secModules); err != nil {
		return err
	}
	if d.MapMeta, err = view[rowMeta](b, secMapMeta); err != nil {
		return err
	}
	if d.AssocMeta, err = view[rowMeta](b, secAssocMeta); err != nil {
		return err
	}
	if d.RowKeys, err = view[ID](b, secRowKeys); err != nil {
		return err
	}
	if d.RowOff, err = view[int32](b, secRowOff); err != nil {
		return err
	}
	if d.Rows, err = view[rowRec](b, secRows); err != nil {
		return err
	}
	n := len(d.IDs)
	bad := len(d.MapMeta) != len(d.Maps) || len(d.AssocMeta) != len(d.Assoc) ||
		!slices.IsSorted(d.RowKeys) || !checkOff(d.RowOff, len(d.RowKeys), len(d.Rows))
	for _, r := range d.Rows {
		bad = bad || uint32(r.Ord) >= uint32(n)
	}
	if bad {
		return errCorrupt
	}
	return nil
}

// MemberRow is one row of a reference set: the columns every reference
// set has, and those of the pattern that ECL member filters read.
type MemberRow struct {
	Module        ID
	EffectiveTime int // YYYYMMDD
	Active        bool
	// Target is an association row's targetComponentId (0 for other
	// patterns); Map a map row's own columns (nil for other patterns).
	Target ID
	Map    *MapEntry
}

// fill sets a row's module, time and status from m; a module index out of
// range (a damaged file) gives module 0.
func (s *Store) fill(r *MemberRow, m rowMeta) {
	r.EffectiveTime = unpackTime(m.Time)
	r.Active = m.Mod&rowActive != 0
	if i := int(m.Mod &^ rowActive); i < len(s.d.Modules) {
		r.Module = s.d.Modules[i]
	}
}

// conceptRows returns refset's rows of ordinal o kept in secRows.
func (s *Store) conceptRows(refset ID, o int32) []rowRec {
	lo, hi := keyRange(s.d.RowKeys, s.d.RowOff, refset)
	rows := s.d.Rows[lo:hi]
	i := sort.Search(len(rows), func(i int) bool { return rows[i].Ord >= o })
	j := i
	for j < len(rows) && rows[j].Ord == o {
		j++
	}
	return rows[i:j]
}

// MemberRows returns the rows of refset whose referencedComponentId is
// the concept id, active or not, with their module and effective time
// (the rows of a language reference set, whose members are descriptions,
// are not kept). Its rows and RowMembers make the Store an ecl.RowSource.
func (s *Store) MemberRows(refset, id ID) []MemberRow {
	o, ok := s.ord(id)
	if !ok {
		return nil
	}
	var out []MemberRow
	for _, r := range s.conceptRows(refset, o) {
		var m MemberRow
		s.fill(&m, r.Meta)
		out = append(out, m)
	}
	lo, hi := keyRange(s.d.AssocKeys, s.d.AssocOff, id)
	for j := lo; j < hi; j++ {
		if a := s.d.Assoc[j]; a.Refset == refset {
			m := MemberRow{Target: a.Target}
			s.fill(&m, s.d.AssocMeta[j])
			out = append(out, m)
		}
	}
	lo, hi = keyRange(s.d.MapKeys, s.d.MapOff, id)
	for j := lo; j < hi; j++ {
		if e := &s.d.Maps[j]; e.Refset == refset {
			rule, _ := s.d.str(e.Rule)
			advice, _ := s.d.str(e.Advice)
			target, _ := s.d.str(e.Target)
			m := MemberRow{Map: &MapEntry{Refset: e.Refset, Group: int(e.Group), Priority: int(e.Priority),
				Rule: strings.Clone(rule), Advice: strings.Clone(advice), Target: strings.Clone(target), Correlation: e.Correlation, Category: e.Category}}
			s.fill(&m, s.d.MapMeta[j])
			out = append(out, m)
		}
	}
	return out
}

// RowMembers returns the concepts with a row in refset, active or not,
// ascending.
func (s *Store) RowMembers(refset ID) []ID {
	out := s.ConceptMembers(refset)
	lo, hi := keyRange(s.d.RowKeys, s.d.RowOff, refset)
	for _, r := range s.d.Rows[lo:hi] {
		out = append(out, s.d.IDs[r.Ord])
	}
	// Inactive association and map rows are in secRows; active ones are
	// members already.
	slices.Sort(out)
	return slices.Compact(out)
}
