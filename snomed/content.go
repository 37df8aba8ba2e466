package snomed

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed/rf2"
)

// Reference set and history ids (SNOMED CT Release File Specification,
// "Historical association reference sets" and "Attribute value reference
// sets").
const (
	SameAsRefset               ID = 900000000000527005
	ReplacedByRefset           ID = 900000000000526001
	PossiblyEquivalentToRefset ID = 900000000000523009
	PossiblyReplacedByRefset   ID = 1186921001
	AlternativeRefset          ID = 900000000000530003
	WasARefset                 ID = 900000000000528000
	MovedToRefset              ID = 900000000000524003
	ConceptInactivationRefset  ID = 900000000000489007

	// Map reference sets.
	ICD10Refset   ID = 447562003          // SNOMED CT to ICD-10 extended map (International)
	ICD10UKRefset ID = 999002271000000101 // SNOMED CT to ICD-10 UK complex map
	OPCS49Refset  ID = 1126441000000105   // SNOMED CT to OPCS-4.9
	OPCS410Refset ID = 1382401000000109   // SNOMED CT to OPCS-4.10
)

type rel struct {
	Group int32
	Type  int32 // ordinal
	Dest  int32 // ordinal
}

type concrete struct {
	Group int32
	Type  ID
	Value string
}

// MapEntry is one row of a map reference set for a concept.
type MapEntry struct {
	Refset      ID
	Group       int
	Priority    int
	Rule        string
	Advice      string
	Target      string // e.g. "J45.9", "H27.1"
	Correlation ID
	Category    ID
}

// Association is a historical association of an inactive component.
type Association struct{ Refset, Target ID }

func (d *release) ordOf(id ID) (int32, bool) {
	i, ok := slices.BinarySearch(d.IDs, id)
	return int32(i), ok
}

func parseID(r row, col int) (ID, error) {
	if col < 0 || col >= len(r.fields) {
		return 0, &rf2.ParseError{File: r.file, Line: r.line, Err: rf2.ErrHeader}
	}
	v, err := strconv.ParseUint(r.fields[col], 10, 64)
	if err != nil {
		return 0, &rf2.ParseError{File: r.file, Line: r.line, Column: r.cols[col], Err: rf2.ErrSCTID}
	}
	return ID(v), nil
}

func colIndex(cols []string, name string) int {
	for i, c := range cols {
		if c == name {
			return i
		}
	}
	return -1
}

// attributes keeps the active inferred attribute relationships between
// active concepts, per source, sorted by group, type and destination.
func (d *release) attributes(rels []relRow, relFiles []string) error {
	d.Rels = make([][]rel, len(d.IDs))
	for _, r := range rels {
		if !r.active || r.typ == IsAType {
			continue
		}
		so, ok1 := d.ordOf(r.src)
		do, ok2 := d.ordOf(r.dst)
		to, ok3 := d.ordOf(r.typ)
		if !ok1 || !ok2 || !ok3 {
			return fmt.Errorf("%w: %s:%d: relationship %d -[%d]-> %d", ErrUnknown, relFiles[r.file], r.line, r.src, r.typ, r.dst)
		}
		if !d.Concepts[so].Active || !d.Concepts[do].Active {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s:%d: active relationship with an inactive concept skipped", relFiles[r.file], r.line))
			continue
		}
		d.Rels[so] = append(d.Rels[so], rel{Group: r.group, Type: to, Dest: do})
	}
	for i := range d.Rels {
		slices.SortFunc(d.Rels[i], func(a, b rel) int {
			if a.Group != b.Group {
				return int(a.Group - b.Group)
			}
			if a.Type != b.Type {
				return int(a.Type - b.Type)
			}
			return int(a.Dest - b.Dest)
		})
	}
	return nil
}

func (d *release) importContent(ctx context.Context, dir string, cfg *importConfig) error {
	n := len(d.IDs)
	if err := ctx.Err(); err != nil {
		return err
	}

	cvFiles, err := find(dir, "sct2_RelationshipConcreteValues_")
	if err != nil {
		return err
	}
	inferred := strconv.FormatUint(uint64(inferredChar), 10)
	cvs, err := readLatest(ctx, cvFiles, cfg, "id", concreteColumns, func(r *rf2.Reader) error {
		// id moduleId sourceId typeId characteristicTypeId modifierId
		for _, i := range []int{0, 3, 4, 7, 8, 9} {
			part := rf2.PartConcept
			if i == 0 {
				part = rf2.PartRelationship
			}
			if _, err := r.SCTID(i, part); err != nil {
				return err
			}
		}
		if _, err := r.Active(2); err != nil {
			return err
		}
		_, err := r.Int(6) // relationshipGroup
		return err
	})
	if err != nil {
		return err
	}
	d.Concrete = make([][]concrete, n)
	for _, r := range cvs {
		f := r.fields
		if len(f) < 10 || f[2] != "1" || f[8] != inferred {
			continue
		}
		src, err := parseID(r, 4)
		if err != nil {
			return err
		}
		typ, err := parseID(r, 7)
		if err != nil {
			return err
		}
		so, ok := d.ordOf(src)
		if !ok {
			return fmt.Errorf("%w: %s:%d: concrete value of %d", ErrUnknown, r.file, r.line, src)
		}
		group, err := strconv.Atoi(f[6])
		if err != nil {
			return &rf2.ParseError{File: r.file, Line: r.line, Column: "relationshipGroup", Err: rf2.ErrInteger}
		}
		d.Concrete[so] = append(d.Concrete[so], concrete{Group: int32(group), Type: typ, Value: f[5]})
	}

	all, err := find(dir, "der2_")
	if err != nil {
		return err
	}
	var refFiles []string // language refsets were read with the descriptions
	for _, f := range all {
		if !strings.HasPrefix(filepath.Base(f), "der2_cRefset_Language") {
			refFiles = append(refFiles, f)
		}
	}
	members, metas, err := readRefsets(ctx, refFiles, cfg)
	if err != nil {
		return err
	}
	d.Assoc = map[ID][]Association{}
	d.Inactivation = map[ID]ID{}
	d.Maps = map[ID][]MapEntry{}
	d.AssocMeta = map[ID][]rowMeta{}
	d.MapMeta = map[ID][]rowMeta{}
	d.Rows = map[ID][]rowRec{}
	mods := map[ID]uint16{}
	for _, mr := range members {
		meta, err := d.metaOf(mr, metas, mods)
		if err != nil {
			return err
		}
		refset, comp := mr.refset, mr.comp
		// A row of a concept that is not in Assoc or Maps keeps its
		// module and time in Rows.
		if !mr.active {
			d.keepRow(refset, comp, meta)
			continue
		}
		d.Members[refset] = append(d.Members[refset], comp)
		if mr.rest == "" {
			d.keepRow(refset, comp, meta)
			continue
		}
		kept := false
		fm := metas[mr.file]
		r := row{fields: strings.Split(mr.rest, "\t"), file: fm.name, line: int(mr.line), cols: fm.cols}
		get := func(name string) (string, bool) {
			i := colIndex(r.cols, name)
			if i < 0 || i >= len(r.fields) {
				return "", false
			}
			return r.fields[i], true
		}
		if t, ok := get("targetComponentId"); ok {
			target, err := strconv.ParseUint(t, 10, 64)
			if err != nil {
				return &rf2.ParseError{File: r.file, Line: r.line, Column: "targetComponentId", Err: rf2.ErrSCTID}
			}
			d.Assoc[comp] = append(d.Assoc[comp], Association{Refset: refset, Target: ID(target)})
			d.AssocMeta[comp] = append(d.AssocMeta[comp], meta)
			kept = true
		}
		if v, ok := get("valueId"); ok && refset == ConceptInactivationRefset {
			value, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return &rf2.ParseError{File: r.file, Line: r.line, Column: "valueId", Err: rf2.ErrSCTID}
			}
			d.Inactivation[comp] = ID(value)
		}
		if target, ok := get("mapTarget"); ok {
			m := MapEntry{Refset: refset, Target: target}
			// A malformed number is an error, never a silent 0.
			num := func(col string) (uint64, error) {
				v, ok := get(col)
				if !ok || v == "" {
					return 0, nil
				}
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					e := rf2.ErrInteger
					if strings.HasSuffix(col, "Id") {
						e = rf2.ErrSCTID
					}
					return 0, &rf2.ParseError{File: r.file, Line: r.line, Column: col, Err: e}
				}
				return n, nil
			}
			var vals [4]uint64
			for i, col := range [...]string{"mapGroup", "mapPriority", "correlationId", "mapCategoryId"} {
				if vals[i], err = num(col); err != nil {
					return err
				}
			}
			m.Group, m.Priority = int(vals[0]), int(vals[1])
			m.Correlation, m.Category = ID(vals[2]), ID(vals[3])
			m.Rule, _ = get("mapRule")
			m.Advice, _ = get("mapAdvice")
			d.Maps[comp] = append(d.Maps[comp], m)
			d.MapMeta[comp] = append(d.MapMeta[comp], meta)
			kept = true
		}
		if !kept {
			d.keepRow(refset, comp, meta)
		}
	}
	d.Modules = make([]ID, len(mods))
	for m, i := range mods {
		d.Modules[i] = m
	}
	for k, v := range d.Rows {
		slices.SortFunc(v, compareRows)
		d.Rows[k] = v
	}
	for k, v := range d.Members {
		slices.Sort(v)
		d.Members[k] = slices.Compact(v)
	}
	for k, v := range d.Assoc {
		sortInStep(v, d.AssocMeta[k], func(a, b Association) int {
			if a.Refset != b.Refset {
				return compareID(a.Refset, b.Refset)
			}
			return compareID(a.Target, b.Target)
		})
	}
	for k, v := range d.Maps {
		sortInStep(v, d.MapMeta[k], func(a, b MapEntry) int {
			if a.Refset != b.Refset {
				return compareID(a.Refset, b.Refset)
			}
			if a.Group != b.Group {
				return cmp.Compare(a.Group, b.Group)
			}
			return cmp.Compare(a.Priority, b.Priority)
		})
	}
	return nil
}

// Relationship is an active inferred attribute relationship.
type Relationship struct {
	Source, Type, Destination ID
	Group                     int
}

// Relationships returns a concept's active inferred attribute
// relationships (IS-A aside), sorted by group, type and destination.
func (s *Store) Relationships(id ID) []Relationship {
	o, ok := s.ord(id)
	if !ok {
		return nil
	}
	rs := s.rels(o)
	out := make([]Relationship, len(rs))
	for i, r := range rs {
		out[i] = Relationship{Source: id, Type: s.d.IDs[r.Type], Destination: s.d.IDs[r.Dest], Group: int(r.Group)}
	}
	return out
}

// RelationshipsTo returns the active inferred attribute relationships whose
// destination is dest.
func (s *Store) RelationshipsTo(dest ID) []Relationship {
	o, ok := s.ord(dest)
	if !ok {
		return nil
	}
	var out []Relationship
	for _, src := range s.relsTo[s.relsOff[o]:s.relsOff[o+1]] {
		for _, r := range s.rels(src) {
			if r.Dest == o {
				out = append(out, Relationship{Source: s.d.IDs[src], Type: s.d.IDs[r.Type], Destination: dest, Group: int(r.Group)})
			}
		}
	}
	slices.SortFunc(out, func(a, b Relationship) int { return compareID(a.Source, b.Source) })
	return out
}

// ConcreteValue is an active inferred relationship to a value: "#250" for a
// number, "\"text\"" for a string, as RF2 writes them.
type ConcreteValue struct {
	Source, Type ID
	Group        int
	Value        string
}

// ConcreteValues returns a concept's concrete values.
func (s *Store) ConcreteValues(id ID) []ConcreteValue {
	o, ok := s.ord(id)
	if !ok {
		return nil
	}
	cs := s.d.Conc[s.d.ConcOff[o]:s.d.ConcOff[o+1]]
	out := make([]ConcreteValue, len(cs))
	for i, c := range cs {
		v, _ := s.d.str(c.Value)
		out[i] = ConcreteValue{Source: id, Type: c.Type, Group: int(c.Group), Value: strings.Clone(v)}
	}
	return out
}

// rels returns the attribute relationships of ordinal o.
func (s *Store) rels(o int32) []rel { return s.d.Rels[s.d.RelOff[o]:s.d.RelOff[o+1]] }

// members returns a refset's active members, a view of the file.
func (s *Store) members(refset ID) []ID {
	lo, hi := keyRange(s.d.MemKeys, s.d.MemOff, refset)
	return s.d.Mem[lo:hi]
}

// assoc returns a component's associations, a view of the file.
func (s *Store) assoc(id ID) []Association {
	lo, hi := keyRange(s.d.AssocKeys, s.d.AssocOff, id)
	return s.d.Assoc[lo:hi]
}

// RefsetMembers returns the active referenced components of a reference
// set, ascending (concepts or descriptions, as the refset holds).
func (s *Store) RefsetMembers(refset ID) []ID { return slices.Clone(s.members(refset)) }

// IsMember reports whether id is an active member of refset.
func (s *Store) IsMember(refset, id ID) bool {
	_, ok := slices.BinarySearch(s.members(refset), id)
	return ok
}

// IsRefset reports whether the store holds active members of refset.
func (s *Store) IsRefset(refset ID) bool { return len(s.members(refset)) > 0 }

// Refsets returns every reference set with active members, ascending.
func (s *Store) Refsets() []ID {
	var out []ID
	for i, k := range s.d.MemKeys {
		if s.d.MemOff[i+1] > s.d.MemOff[i] {
			out = append(out, k)
		}
	}
	return out
}

// Description is a concept's description.
type Description struct {
	ID, Concept      ID
	Term             string
	Type             ID // fully specified name, synonym or definition
	LanguageCode     string
	Active           bool
	CaseSignificance ID
	// Acceptability maps a language reference set to preferred or
	// acceptable.
	Acceptability map[ID]ID
}

// Descriptions returns every description of a concept, active or not.
func (s *Store) Descriptions(id ID) []Description {
	o, ok := s.ord(id)
	if !ok {
		return nil
	}
	ds := s.descs(o)
	out := make([]Description, len(ds))
	for i, d := range ds {
		var acc map[ID]ID
		if as := s.d.acc(&d); len(as) > 0 {
			acc = make(map[ID]ID, len(as))
			for _, a := range as {
				acc[a.Refset] = a.Acc
			}
		}
		term, _ := s.d.str(d.Term)
		lang, _ := s.d.str(d.Lang)
		out[i] = Description{ID: d.ID, Concept: id, Term: strings.Clone(term), Type: d.Type, LanguageCode: strings.Clone(lang), Active: d.Active == 1, CaseSignificance: d.Case, Acceptability: acc}
	}
	return out
}

// Concepts returns every concept id, ascending.
func (s *Store) Concepts() []ID { return slices.Clone(s.d.IDs) }

// ActiveConcepts returns the active concept ids, ascending.
func (s *Store) ActiveConcepts() []ID {
	out := make([]ID, 0, len(s.d.IDs))
	for i, c := range s.d.Concepts {
		if c.Active == 1 {
			out = append(out, s.d.IDs[i])
		}
	}
	return out
}

// Associations returns the historical associations of an inactive
// component: SAME AS, REPLACED BY, POSSIBLY EQUIVALENT TO and the rest.
func (s *Store) Associations(id ID) []Association { return slices.Clone(s.assoc(id)) }

// InactivationReason returns the concept inactivation indicator's value
// (duplicate, outdated, ambiguous, erroneous, moved elsewhere…).
func (s *Store) InactivationReason(id ID) (ID, bool) {
	i, ok := slices.BinarySearch(s.d.InactKeys, id)
	if !ok {
		return 0, false
	}
	return s.d.InactVals[i], true
}

// Resolve follows SAME AS, REPLACED BY, POSSIBLY EQUIVALENT TO, POSSIBLY
// REPLACED BY and ALTERNATIVE associations from an inactive concept to
// the active concepts that stand for it now, ascending; an active concept
// resolves to itself, and nil means nothing replaces it.
func (s *Store) Resolve(id ID) []ID {
	if c, ok := s.Concept(id); ok && c.Active {
		return []ID{id}
	}
	follow := map[ID]bool{SameAsRefset: true, ReplacedByRefset: true, PossiblyEquivalentToRefset: true, PossiblyReplacedByRefset: true, AlternativeRefset: true}
	seen := map[ID]bool{id: true}
	queue := []ID{id}
	var out []ID
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, a := range s.assoc(cur) {
			if !follow[a.Refset] || seen[a.Target] {
				continue
			}
			seen[a.Target] = true
			if c, ok := s.Concept(a.Target); ok && c.Active {
				out = append(out, a.Target)
			} else {
				queue = append(queue, a.Target)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Maps returns a concept's rows in a map reference set (by group, then
// priority); refset 0 returns the rows of every map.
func (s *Store) Maps(id, refset ID) []MapEntry {
	var out []MapEntry
	lo, hi := keyRange(s.d.MapKeys, s.d.MapOff, id)
	for _, m := range s.d.Maps[lo:hi] {
		if refset == 0 || m.Refset == refset {
			rule, _ := s.d.str(m.Rule)
			advice, _ := s.d.str(m.Advice)
			target, _ := s.d.str(m.Target)
			out = append(out, MapEntry{Refset: m.Refset, Group: int(m.Group), Priority: int(m.Priority),
				Rule: strings.Clone(rule), Advice: strings.Clone(advice), Target: strings.Clone(target), Correlation: m.Correlation, Category: m.Category})
		}
	}
	return out
}

// MapSources returns the concepts with a row in a map reference set whose
// target is target, ascending: the reverse of Maps (ICD-10 code to
// concepts). It scans every map row, a few milliseconds at UK Edition
// size.
func (s *Store) MapSources(refset ID, target string) []ID {
	var out []ID
	for k, key := range s.d.MapKeys {
		for _, m := range s.d.Maps[s.d.MapOff[k]:s.d.MapOff[k+1]] {
			if m.Refset != refset {
				continue
			}
			if t, _ := s.d.str(m.Target); t == target {
				out = append(out, key)
				break
			}
		}
	}
	return out
}

// MapInto maps a concept that has no row in a map to its nearest
// ancestors that do: it returns the concept (or those ancestors, fewest IS-A
// steps first, ascending within a step) with their rows.
func (s *Store) MapInto(id, refset ID) (map[ID][]MapEntry, bool) {
	return s.nearest(id, func(c ID) bool { return len(s.Maps(c, refset)) > 0 }, func(c ID) []MapEntry { return s.Maps(c, refset) })
}

// MapIntoSet returns the nearest of id and its ancestors that belong to
// set (a subset of concepts such as a reporting hierarchy).
func (s *Store) MapIntoSet(id ID, set []ID) []ID {
	in := map[ID]bool{}
	for _, c := range set {
		in[c] = true
	}
	m, _ := s.nearest(id, func(c ID) bool { return in[c] }, func(ID) []MapEntry { return nil })
	out := make([]ID, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func (s *Store) nearest(id ID, has func(ID) bool, rows func(ID) []MapEntry) (map[ID][]MapEntry, bool) {
	if _, ok := s.ord(id); !ok {
		return nil, false
	}
	level := []ID{id}
	seen := map[ID]bool{id: true}
	for len(level) > 0 {
		found := map[ID][]MapEntry{}
		for _, c := range level {
			if has(c) {
				found[c] = rows(c)
			}
		}
		if len(found) > 0 {
			return found, true
		}
		var next []ID
		for _, c := range level {
			for _, p := range s.Parents(c) {
				if !seen[p] {
					seen[p] = true
					next = append(next, p)
				}
			}
		}
		level = next
	}
	return nil, false
}

// Warnings lists rows that were skipped during import because real releases
// are known to carry them (e.g. an active relationship to an inactive
// concept).
func (s *Store) Warnings() []string {
	if len(s.d.Warnings) == 0 {
		return nil
	}
	out := make([]string, len(s.d.Warnings))
	for i, r := range s.d.Warnings {
		w, _ := s.d.str(r)
		out[i] = strings.Clone(w)
	}
	return out
}
