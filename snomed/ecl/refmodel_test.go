package ecl_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// refModel is a reference model of ECL written from the specification's
// text (SNOMED CT Expression Constraint Language 2.2, chapter 6), not
// from the evaluator: each construct is a set comprehension over the
// generator's own record of the release (never the store), in plain
// maps, sharing no code with the evaluator but the parser's syntax tree.
// Disputed readings cite what they follow. Constructs it does not model
// return errNotModelled, and the conformance test counts them.
type refModel struct {
	w *world
	// all holds every concept of the release, active or not.
	all map[uint64]bool
}

var errNotModelled = errors.New("model: construct not modelled")

type idset map[uint64]bool

func newRefModel(w *world) *refModel {
	m := &refModel{w: w, all: map[uint64]bool{}}
	for _, c := range w.rel.Concepts {
		m.all[c] = true
	}
	return m
}

func (m *refModel) active(c uint64) bool { return m.w.rel.Active[c] }

// members of a reference set the release writes with concept members.
func (m *refModel) members(refset uint64) (idset, bool) {
	rel := m.w.rel
	out := idset{}
	switch {
	case refset == rel.SimpleRefset:
		for _, c := range rel.Members {
			out[c] = true
		}
	case rel.UKSubsets[refset] != nil:
		for _, c := range rel.UKSubsets[refset] {
			out[c] = true
		}
	default:
		return nil, false
	}
	return out, true
}

func (m *refModel) eval(e ecl.Expr) (idset, error) {
	switch x := e.(type) {
	case *ecl.Sub:
		return m.sub(x)
	case *ecl.Compound:
		// 6.4, 6.5: AND is intersection, OR union, MINUS difference.
		acc, err := m.eval(x.Items[0])
		if err != nil {
			return nil, err
		}
		for _, it := range x.Items[1:] {
			next, err := m.eval(it)
			if err != nil {
				return nil, err
			}
			out := idset{}
			for c := range m.all {
				a, b := acc[c], next[c]
				if x.Op == "AND" && a && b || x.Op == "OR" && (a || b) || x.Op == "MINUS" && a && !b {
					out[c] = true
				}
			}
			acc = out
		}
		return acc, nil
	case *ecl.Refined:
		focus, err := m.eval(x.Focus)
		if err != nil {
			return nil, err
		}
		out := idset{}
		for c := range focus {
			ok, err := m.refinement(x.Ref, c, -1)
			if err != nil {
				return nil, err
			}
			if ok {
				out[c] = true
			}
		}
		return out, nil
	case *ecl.Dotted:
		// 6.2 dotted attributes: the values of the attributes of the
		// concepts, step by step.
		cur, err := m.eval(x.Base)
		if err != nil {
			return nil, err
		}
		for _, a := range x.Attrs {
			types, err := m.eval(a)
			if err != nil {
				return nil, err
			}
			next := idset{}
			for c := range cur {
				for _, r := range m.w.rel.Attributes[c] {
					if types[r.Type] {
						next[r.Dest] = true
					}
				}
			}
			cur = next
		}
		return cur, nil
	}
	return nil, errNotModelled
}

func (m *refModel) sub(s *ecl.Sub) (idset, error) {
	if s.Alt != nil || s.Fields != nil && !(len(s.Fields) == 1 && s.Fields[0] == "referencedComponentId") || s.HistoryRefsets != nil {
		return nil, errNotModelled
	}
	focus := idset{}
	switch {
	case s.Wildcard && s.MemberOf:
		return nil, errNotModelled
	case s.Wildcard:
		// 6.1: * is any concept; the substrate here is the active ones.
		for c := range m.all {
			if m.active(c) {
				focus[c] = true
			}
		}
	case s.Nested != nil:
		var err error
		if focus, err = m.eval(s.Nested); err != nil {
			return nil, err
		}
	default:
		focus[uint64(s.Concept)] = true
	}
	if s.MemberOf {
		// 6.1 member-of: the referenced components of the members,
		// concepts only.
		next := idset{}
		for r := range focus {
			ms, ok := m.members(r)
			if !ok {
				return nil, errNotModelled
			}
			for c := range ms {
				if m.all[c] {
					next[c] = true
				}
			}
		}
		if slices.ContainsFunc(s.Filters, func(f ecl.Filter) bool { return f.Kind == 'M' }) {
			return nil, errNotModelled
		}
		focus = next
	}
	out := idset{}
	isA := func(a, b uint64) bool { return m.w.isA(a, b) }
	// 6.9: hierarchy operators return active concepts; the "self" of the
	// OrSelf forms likewise.
	switch s.Op {
	case ecl.Self:
		out = focus
	case ecl.DescendantOf, ecl.DescendantOrSelfOf, ecl.AncestorOf, ecl.AncestorOrSelfOf:
		down := s.Op == ecl.DescendantOf || s.Op == ecl.DescendantOrSelfOf
		self := s.Op == ecl.DescendantOrSelfOf || s.Op == ecl.AncestorOrSelfOf
		for c := range m.all {
			if !m.active(c) {
				continue
			}
			for f := range focus {
				if c == f && self || c != f && (down && isA(c, f) || !down && isA(f, c)) {
					out[c] = true
					break
				}
			}
		}
	case ecl.ChildOf, ecl.ChildOrSelfOf, ecl.ParentOf, ecl.ParentOrSelfOf:
		down := s.Op == ecl.ChildOf || s.Op == ecl.ChildOrSelfOf
		self := s.Op == ecl.ChildOrSelfOf || s.Op == ecl.ParentOrSelfOf
		for c := range m.all {
			if !m.active(c) {
				continue
			}
			for f := range focus {
				if c == f && self || down && m.w.parentOf(c, f) || !down && m.w.parentOf(f, c) {
					out[c] = true
					break
				}
			}
		}
	case ecl.Top, ecl.Bottom:
		// 6.11: the members with no proper ancestor (top) or descendant
		// (bottom) in the set.
		for c := range focus {
			alone := true
			for o := range focus {
				if o != c && (s.Op == ecl.Top && isA(c, o) || s.Op == ecl.Bottom && isA(o, c)) {
					alone = false
					break
				}
			}
			if alone {
				out[c] = true
			}
		}
	}
	out, err := m.filters(s.Filters, out)
	if err != nil {
		return nil, err
	}
	if s.History != "" {
		// 6.10 history supplements: add the inactive concepts whose
		// associations of the profile point into the set (MIN: SAME AS;
		// MOD: also REPLACED BY, WAS A, PARTIALLY EQUIVALENT TO; MAX: all).
		kinds := map[string][]uint64{
			"MIN": {snomedtest.SameAs},
			"MOD": {snomedtest.SameAs, snomedtest.ReplacedBy, 900000000000528000, 1186924009},
		}[s.History]
		with := map[uint64]bool{}
		for c, as := range m.w.rel.Associations {
			for _, a := range as {
				if (s.History == "MAX" || slices.Contains(kinds, a.Refset)) && out[a.Target] && !m.active(c) {
					with[c] = true
				}
			}
		}
		for c := range with {
			out[c] = true
		}
	}
	return out, nil
}

// filters applies description and concept filter blocks (6.7, 6.8): each
// description block holds for one active description, blocks
// independently.
func (m *refModel) filters(fs []ecl.Filter, in idset) (idset, error) {
	if len(fs) == 0 {
		return in, nil
	}
	blocks := map[int][]ecl.Filter{}
	for _, f := range fs {
		blocks[f.Block] = append(blocks[f.Block], f)
	}
	out := idset{}
	for c := range in {
		keep := true
		for _, block := range blocks {
			ok, err := m.block(c, block)
			if err != nil {
				return nil, err
			}
			if !ok {
				keep = false
				break
			}
		}
		if keep {
			out[c] = true
		}
	}
	return out, nil
}

func (m *refModel) block(c uint64, fs []ecl.Filter) (bool, error) {
	if fs[0].Kind == 'C' {
		for _, f := range fs {
			var ok bool
			switch f.Name {
			case "definitionStatus":
				for _, w := range f.Words {
					ok = ok || (w == "defined") == m.w.rel.Defined[c]
				}
			case "active":
				ok = (f.Words[0] == "1" || f.Words[0] == "true") == m.active(c)
			default:
				return false, errNotModelled
			}
			if f.Op == "!=" {
				ok = !ok
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	}
	if fs[0].Kind != 'D' {
		return false, errNotModelled
	}
	for _, d := range m.w.descs[c] {
		all := true
		for _, f := range fs {
			ok, err := m.descFilter(d, f)
			if err != nil {
				return false, err
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

// descFilter tests one description: term match (each word of the search
// term begins a word of the term, any order, case-insensitive) and wild
// (the whole term against the pattern, * any run), type, dialect with
// acceptability.
func (m *refModel) descFilter(d desc, f ecl.Filter) (bool, error) {
	var ok bool
	switch f.Name {
	case "term":
		for i, w := range f.Words {
			if f.Matches[i] == "wild" {
				ok = ok || modelWild(strings.ToLower(d.term), strings.ToLower(w))
			} else {
				ok = ok || modelMatch(d.term, w)
			}
		}
	case "type":
		for _, w := range f.Words {
			ok = ok || (w == "fsn") == d.fsn && w != "def"
		}
	case "dialect", "dialectId":
		words := f.Words
		if v, isSub := f.Value.(*ecl.Sub); isSub {
			if v.Op != ecl.Self || v.Nested != nil || v.Wildcard {
				return false, errNotModelled
			}
			words = []string{strconv.FormatUint(uint64(v.Concept), 10)}
		}
		for i, w := range words {
			var in, pref bool
			switch w {
			case "en-gb", "900000000000508004":
				in, pref = d.gb, d.gbPref
			case "en-us", "900000000000509007":
				in, pref = d.us, d.usPref
			case "en-nhs-clinical", "999001261000000100":
				in, pref = d.uk, d.ukPref
			default:
				return false, errNotModelled
			}
			acc := []string{"prefer", "accept"}
			if i < len(f.Accept) && len(f.Accept[i]) > 0 {
				acc = f.Accept[i]
			}
			for _, a := range acc {
				switch a {
				case "prefer", "900000000000548007":
					ok = ok || in && pref
				case "accept", "900000000000549004":
					ok = ok || in && !pref
				}
			}
		}
	default:
		return false, errNotModelled
	}
	if f.Op == "!=" {
		ok = !ok
	}
	return ok, nil
}

func modelWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return strings.ContainsRune(" -,()/", r) })
}

func modelMatch(term, search string) bool {
	tw := modelWords(term)
	for _, w := range modelWords(search) {
		if !slices.ContainsFunc(tw, func(x string) bool { return strings.HasPrefix(x, w) }) {
			return false
		}
	}
	return true
}

// modelWild matches by recursion on the pattern: * is any run.
func modelWild(s, p string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if modelWild(s[i:], p[1:]) {
				return true
			}
		}
		return false
	}
	return s != "" && s[0] == p[0] && modelWild(s[1:], p[1:])
}

// refinement tests concept c; group >= 0 restricts attributes to that
// relationship group.
func (m *refModel) refinement(r ecl.Refinement, c uint64, group int) (bool, error) {
	switch x := r.(type) {
	case *ecl.RefCompound:
		for _, it := range x.Items {
			ok, err := m.refinement(it, c, group)
			if err != nil {
				return false, err
			}
			if x.Op == "OR" && ok {
				return true, nil
			}
			if x.Op == "AND" && !ok {
				return false, nil
			}
		}
		return x.Op == "AND", nil
	case *ecl.Group:
		// 6.3 attribute groups, with group 0 as Snowstorm reads it
		// (ECLQueryServiceTest.attributeGroupCardinality): ungrouped
		// relationships are in no group; the cardinality counts the
		// non-zero groups that satisfy the inner refinement.
		groups := map[int]bool{}
		for _, a := range m.w.rel.Attributes[c] {
			if a.Group != 0 {
				groups[a.Group] = true
			}
		}
		for _, a := range m.w.rel.Concrete[c] {
			if a.Group != 0 {
				groups[a.Group] = true
			}
		}
		n := 0
		for g := range groups {
			ok, err := m.refinement(x.Ref, c, g)
			if err != nil {
				return false, err
			}
			if ok {
				n++
			}
		}
		return inCard(n, x.Card), nil
	case *ecl.Attribute:
		return m.attribute(x, c, group)
	}
	return false, errNotModelled
}

func inCard(n int, card *ecl.Cardinality) bool {
	if card == nil {
		return n >= 1 // 6.3: the default cardinality is [1..*]
	}
	return n >= card.Min && (card.Max < 0 || n <= card.Max)
}

// attribute counts the relationships of the type whose value is (=) or
// is not (!=) in the value set, and tests the count against the
// cardinality (6.3, 6.6).
func (m *refModel) attribute(a *ecl.Attribute, c uint64, group int) (bool, error) {
	if a.Strings != nil || a.Bool != nil {
		return false, errNotModelled
	}
	types, anyType, err := m.valueSet(a.Name)
	if err != nil {
		return false, err
	}
	n := 0
	if a.Number != "" {
		want, _ := strconv.ParseFloat(a.Number, 64)
		for _, r := range m.w.rel.Concrete[c] {
			if group >= 0 && r.Group != group || !(anyType && m.active(r.Type) || types[r.Type]) {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimPrefix(r.Value, "#"), 64)
			if err != nil {
				continue
			}
			if cmpFloat(v, a.Op, want) {
				n++
			}
		}
		return inCard(n, a.Card), nil
	}
	values, anyValue, err := m.valueSet(a.Value)
	if err != nil {
		return false, err
	}
	in := func(v uint64) bool { return anyValue && m.active(v) || values[v] }
	if a.Reverse {
		// R: c is the value of relationships from the concepts counted.
		for src, rs := range m.w.rel.Attributes {
			for _, r := range rs {
				if r.Dest == c && (anyType && m.active(r.Type) || types[r.Type]) && in(src) == (a.Op == "=") {
					n++
				}
			}
		}
		return inCard(n, a.Card), nil
	}
	for _, r := range m.w.rel.Attributes[c] {
		if group >= 0 && r.Group != group || !(anyType && m.active(r.Type) || types[r.Type]) {
			continue
		}
		if in(r.Dest) == (a.Op == "=") {
			n++
		}
	}
	return inCard(n, a.Card), nil
}

// valueSet evaluates an attribute name or value; a bare * is any active
// concept, tested per relationship.
func (m *refModel) valueSet(e ecl.Expr) (idset, bool, error) {
	if s, ok := e.(*ecl.Sub); ok && s.Wildcard && s.Op == ecl.Self && !s.MemberOf && len(s.Filters) == 0 {
		return nil, true, nil
	}
	set, err := m.eval(e)
	return set, false, err
}

func cmpFloat(a float64, op string, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

// modelIDs lists a model set ascending.
func modelIDs(s idset) []snomed.ID {
	out := make([]snomed.ID, 0, len(s))
	for c := range s {
		out = append(out, snomed.ID(c))
	}
	slices.Sort(out)
	return out
}
