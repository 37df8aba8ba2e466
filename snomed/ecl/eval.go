package ecl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed"
)

// ErrUnknownConcept is returned when an expression names a concept the
// store does not hold.
var ErrUnknownConcept = errors.New("ecl: unknown concept")

func unknownConcept(id snomed.ID) error { return fmt.Errorf("%w: %d", ErrUnknownConcept, id) }

// Well-known ids used by filters.
const (
	fsnType          snomed.ID = 900000000000003001
	synonymType      snomed.ID = 900000000000013009
	definitionType   snomed.ID = 900000000000550004
	primitive        snomed.ID = 900000000000074008
	fullyDefined     snomed.ID = 900000000000073002
	preferred        snomed.ID = 900000000000548007
	acceptable       snomed.ID = 900000000000549004
	gbLanguageRefset snomed.ID = 900000000000508004
	usLanguageRefset snomed.ID = 900000000000509007
	ukClinicalRefset snomed.ID = 999001261000000100
	sameAs           snomed.ID = 900000000000527005
	replacedBy       snomed.ID = 900000000000526001
	wasA             snomed.ID = 900000000000528000
	partiallyEquivTo snomed.ID = 1186924009
	possiblyEquivTo  snomed.ID = 900000000000523009
	possiblyReplaced snomed.ID = 1186921001
	alternative      snomed.ID = 900000000000530003
	movedTo          snomed.ID = 900000000000524003
	movedFrom        snomed.ID = 900000000000525002
	refersTo         snomed.ID = 900000000000531004
	similarTo        snomed.ID = 900000000000529008
)

// Evaluate evaluates an expression constraint over a store and returns the
// matching concept ids, ascending.
func Evaluate(store *snomed.Store, expr string) ([]snomed.ID, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	return EvaluateExpr(store, e)
}

// EvaluateExpr evaluates a parsed expression, for callers that evaluate
// the same expression often.
func EvaluateExpr(store *snomed.Store, e Expr) ([]snomed.ID, error) {
	return EvaluateSource(store, e)
}

// Source is what evaluation reads from a terminology: *snomed.Store
// implements it; tests and other stores may too. Lists are ascending
// unless said otherwise, and hold active concepts and active inferred
// relationships only.
type Source interface {
	// Concept reports a concept's core attributes, active or not.
	Concept(id snomed.ID) (snomed.Concept, bool)
	// Concepts lists every concept; ActiveConcepts the active ones.
	Concepts() []snomed.ID
	ActiveConcepts() []snomed.ID
	// IsA is true when a == b or a descends from b.
	IsA(a, b snomed.ID) bool
	// Parents, Children, Ancestors and Descendants follow inferred IS-A
	// (Ancestors and Descendants exclude the concept itself).
	Parents(id snomed.ID) []snomed.ID
	Children(id snomed.ID) []snomed.ID
	Ancestors(id snomed.ID) []snomed.ID
	Descendants(id snomed.ID) []snomed.ID
	// Relationships are a concept's attribute relationships (IS-A aside);
	// RelationshipsTo those whose destination it is (order not relied on).
	Relationships(id snomed.ID) []snomed.Relationship
	RelationshipsTo(dest snomed.ID) []snomed.Relationship
	ConcreteValues(id snomed.ID) []snomed.ConcreteValue
	Descriptions(id snomed.ID) []snomed.Description
	Associations(id snomed.ID) []snomed.Association
	// RefsetMembers lists a reference set's active members (of historical
	// association reference sets too: history supplements find the
	// associated components there); Refsets the reference sets with any;
	// IsRefset whether refset has any.
	RefsetMembers(refset snomed.ID) []snomed.ID
	Refsets() []snomed.ID
	IsRefset(refset snomed.ID) bool
}

var (
	_ Source        = (*snomed.Store)(nil)
	_ membersSource = (*snomed.Store)(nil)
)

// EvaluateSource evaluates a parsed expression over any Source.
func EvaluateSource(src Source, e Expr) ([]snomed.ID, error) {
	ev := &evaluator{s: src, ctx: context.Background()}
	return ev.expr(e)
}

type evaluator struct {
	s     Source
	ctx   context.Context
	all   []snomed.ID
	trace func(Expr, int)
	depth int
	steps int
}

// tick checks for cancellation every few thousand steps of a loop.
func (ev *evaluator) tick() error {
	ev.steps++
	if ev.steps&4095 == 0 {
		return ev.ctx.Err()
	}
	return nil
}

func (ev *evaluator) allActive() []snomed.ID {
	if ev.all == nil {
		ev.all = ev.s.ActiveConcepts()
	}
	return ev.all
}

func (ev *evaluator) expr(e Expr) ([]snomed.ID, error) {
	if err := ev.ctx.Err(); err != nil {
		return nil, err
	}
	var out []snomed.ID
	var err error
	switch x := e.(type) {
	case *Sub:
		out, err = ev.sub(x)
	case *Compound:
		out, err = ev.compound(x)
	case *Refined:
		out, err = ev.refined(x)
	case *Dotted:
		out, err = ev.dotted(x)
	default:
		err = fmt.Errorf("ecl: unknown expression %T", e)
	}
	if err == nil && ev.trace != nil {
		ev.trace(e, len(out))
	}
	return out, err
}

func union(a, b []snomed.ID) []snomed.ID {
	out := make([]snomed.ID, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func intersect(a, b []snomed.ID) []snomed.ID {
	var out []snomed.ID
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func minus(a, b []snomed.ID) []snomed.ID {
	var out []snomed.ID
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		out = append(out, x)
	}
	return out
}

func contains(set []snomed.ID, id snomed.ID) bool {
	_, ok := slices.BinarySearch(set, id)
	return ok
}

func sortedUnique(ids []snomed.ID) []snomed.ID {
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (ev *evaluator) compound(c *Compound) ([]snomed.ID, error) {
	if len(c.Items) == 0 {
		return nil, fmt.Errorf("%w: a compound expression without items", ErrSyntax)
	}
	acc, err := ev.expr(c.Items[0])
	if err != nil {
		return nil, err
	}
	for _, it := range c.Items[1:] {
		next, err := ev.expr(it)
		if err != nil {
			return nil, err
		}
		switch c.Op {
		case "AND":
			acc = intersect(acc, next)
		case "OR":
			acc = union(acc, next)
		case "MINUS":
			acc = minus(acc, next)
		}
	}
	return acc, nil
}

// AltSource is a Source that resolves alternate identifiers (a code of
// another scheme, such as LOINC#54486-6) to the concepts they identify.
type AltSource interface {
	ResolveAlt(scheme, code string) ([]snomed.ID, error)
}

// conceptMembersSource is a Source that lists the members of a
// reference set that are concepts, as *snomed.Store does without a look-up
// per member.
type conceptMembersSource interface {
	ConceptMembers(refset snomed.ID) []snomed.ID
}

// isConcept reports whether id is a concept of the source.
func (ev *evaluator) isConcept(id snomed.ID) bool {
	_, ok := ev.s.Concept(id)
	return ok
}

// onlyConcepts keeps the ids that are concepts: a reference set's members
// may be descriptions or other components, but an expression constraint
// returns concepts (specification 6.1, member-of).
func (ev *evaluator) onlyConcepts(ids []snomed.ID) []snomed.ID {
	for i, id := range ids {
		if !ev.isConcept(id) {
			out := slices.Clone(ids[:i])
			for _, x := range ids[i+1:] {
				if ev.isConcept(x) {
					out = append(out, x)
				}
			}
			return out
		}
	}
	return ids
}

// onlyActive keeps the active concepts: the hierarchy operators' "self"
// is an active concept only (specification 6.9).
func (ev *evaluator) onlyActive(ids []snomed.ID) []snomed.ID {
	for i, id := range ids {
		if !isActive(ev.s, id) {
			out := slices.Clone(ids[:i])
			for _, x := range ids[i+1:] {
				if isActive(ev.s, x) {
					out = append(out, x)
				}
			}
			return out
		}
	}
	return ids
}

// focus is the set a sub-expression's operator applies to.
func (ev *evaluator) focus(s *Sub) ([]snomed.ID, error) {
	var base []snomed.ID
	switch {
	case s.Wildcard:
		if s.MemberOf {
			base = ev.s.Refsets()
		} else {
			base = ev.allActive()
		}
	case s.Nested != nil:
		var err error
		if base, err = ev.expr(s.Nested); err != nil {
			return nil, err
		}
	case s.Alt != nil:
		as, ok := ev.s.(AltSource)
		if !ok {
			return nil, fmt.Errorf("%w: alternate identifier %s#%s (the source resolves none)", ErrUnsupported, s.Alt.Scheme, s.Alt.Code)
		}
		ids, err := as.ResolveAlt(s.Alt.Scheme, s.Alt.Code)
		if err != nil {
			return nil, err
		}
		base = sortedUnique(slices.Clone(ids))
	default:
		if _, ok := ev.s.Concept(s.Concept); !ok && !(s.MemberOf && ev.s.IsRefset(s.Concept)) {
			return nil, unknownConcept(s.Concept)
		}
		base = []snomed.ID{s.Concept}
	}
	if !s.MemberOf {
		return base, nil
	}
	field := "referencedComponentId"
	switch {
	case len(s.Fields) == 1:
		field = s.Fields[0]
	case len(s.Fields) > 1:
		return nil, fmt.Errorf("%w: selecting several member fields (%s) gives rows, not concepts", ErrUnsupported, strings.Join(s.Fields, ", "))
	}
	if field != "referencedComponentId" && field != "targetComponentId" {
		return nil, fmt.Errorf("%w: selecting the member field %s (only referencedComponentId and an association's targetComponentId are concepts this package keeps)", ErrUnsupported, field)
	}
	var members []snomed.ID
	checked := true // every list came from ConceptMembers
	for _, r := range base {
		if err := ev.tick(); err != nil {
			return nil, err
		}
		var rm []snomed.ID
		if cm, ok := ev.s.(conceptMembersSource); ok && field == "referencedComponentId" {
			rm = cm.ConceptMembers(r)
		} else {
			rm = ev.s.RefsetMembers(r)
			checked = false
		}
		if hasKind(s.Filters, 'M') {
			var err error
			if rm, err = ev.memberFilter(r, rm, s.Filters); err != nil {
				return nil, err
			}
		}
		if field == "targetComponentId" {
			var targets []snomed.ID
			for _, m := range rm {
				for _, a := range ev.s.Associations(m) {
					if a.Refset == r {
						targets = append(targets, a.Target)
					}
				}
			}
			rm = sortedUnique(targets)
		}
		if len(base) == 1 {
			members = rm // the source's list, used as is when ascending
		} else {
			members = append(members, rm...)
		}
	}
	switch {
	case len(base) == 1 && !slices.IsSorted(members):
		members = sortedUnique(slices.Clone(members))
	case len(base) > 1:
		members = sortedUnique(members)
	}
	if checked {
		return members, nil
	}
	return ev.onlyConcepts(members), nil
}

func (ev *evaluator) sub(s *Sub) ([]snomed.ID, error) {
	if out, ok := ev.membersClosure(s); ok {
		return ev.refine(s, out)
	}
	base, err := ev.focus(s)
	if err != nil {
		return nil, err
	}
	var out []snomed.ID
	wildcard := s.Wildcard && !s.MemberOf
	switch s.Op {
	case DescendantOrSelfOf, AncestorOrSelfOf, ChildOrSelfOf, ParentOrSelfOf:
		// The self of a hierarchy operator is an active concept
		// (specification 6.9); an inactive one has no active IS-A
		// relationships, so it adds no others either.
		base = ev.onlyActive(base)
	}
	switch s.Op {
	case Self:
		out = base
	case DescendantOrSelfOf, AncestorOrSelfOf:
		if wildcard {
			out = base
			break
		}
		if cs, ok := ev.s.(closureSource); ok {
			if s.Op == DescendantOrSelfOf {
				out = cs.DescendantsOrSelfOfAny(base)
			} else {
				out = cs.AncestorsOrSelfOfAny(base)
			}
			break
		}
		out = union(base, ev.closure(base, s.Op == DescendantOrSelfOf))
	case DescendantOf, ChildOf, ChildOrSelfOf:
		if wildcard && s.Op != ChildOrSelfOf {
			for _, c := range base {
				if len(ev.s.Parents(c)) > 0 {
					out = append(out, c)
				}
			}
			break
		}
		if s.Op == DescendantOf {
			out = ev.closure(base, true)
			break
		}
		out = ev.neighbours(base, true)
		if s.Op == ChildOrSelfOf {
			out = union(out, base)
		}
	case AncestorOf, ParentOf, ParentOrSelfOf:
		if wildcard && s.Op != ParentOrSelfOf {
			for _, c := range base {
				if len(ev.s.Children(c)) > 0 {
					out = append(out, c)
				}
			}
			break
		}
		if s.Op == AncestorOf {
			out = ev.closure(base, false)
			break
		}
		out = ev.neighbours(base, false)
		if s.Op == ParentOrSelfOf {
			out = union(out, base)
		}
	case Top:
		// The members none of whose proper ancestors is a member.
	top:
		for _, b := range base {
			for _, a := range ev.s.Ancestors(b) {
				if a != b && contains(base, a) {
					continue top
				}
			}
			out = append(out, b)
		}
	case Bottom:
		// The members that are no member's proper ancestor (a pairwise
		// test would be quadratic in the size of the set).
		var above []snomed.ID
		for _, o := range base {
			for _, a := range ev.s.Ancestors(o) {
				if a != o {
					above = append(above, a)
				}
			}
		}
		out = minus(base, sortedUnique(above))
	}
	return ev.refine(s, out)
}

// refine applies a sub-expression's filters and history supplement.
func (ev *evaluator) refine(s *Sub, out []snomed.ID) ([]snomed.ID, error) {
	var err error
	if len(s.Filters) > 0 {
		if out, err = ev.filter(out, s.Filters); err != nil {
			return nil, err
		}
	}
	if s.History != "" {
		kinds := historyRefsets[s.History]
		if s.HistoryRefsets != nil {
			if kinds, err = ev.expr(s.HistoryRefsets); err != nil {
				return nil, err
			}
		}
		out = ev.history(out, kinds)
	}
	return out, nil
}

// membersSource is a Source that walks the closure of a reference set's
// members from its own list of them, as *snomed.Store does (no copy of the
// members, no lookup of their ids): the same answers as the closure of
// RefsetMembers, the "self" of the OrSelf forms being the members that
// are active concepts.
type membersSource interface {
	DescendantsOfMembers(refset snomed.ID) []snomed.ID
	DescendantsOrSelfOfMembers(refset snomed.ID) []snomed.ID
	AncestorsOfMembers(refset snomed.ID) []snomed.ID
	AncestorsOrSelfOfMembers(refset snomed.ID) []snomed.ID
}

// membersClosure evaluates < ^ R, << ^ R, > ^ R and >> ^ R for one
// reference set without member filters through a membersSource,
// reporting whether it did.
func (ev *evaluator) membersClosure(s *Sub) ([]snomed.ID, bool) {
	ms, ok := ev.s.(membersSource)
	if !ok || !s.MemberOf || s.Fields != nil || s.Wildcard || s.Nested != nil || s.Alt != nil || hasKind(s.Filters, 'M') || !ev.s.IsRefset(s.Concept) {
		return nil, false
	}
	switch s.Op {
	case DescendantOf:
		return ms.DescendantsOfMembers(s.Concept), true
	case DescendantOrSelfOf:
		return ms.DescendantsOrSelfOfMembers(s.Concept), true
	case AncestorOf:
		return ms.AncestorsOfMembers(s.Concept), true
	case AncestorOrSelfOf:
		return ms.AncestorsOrSelfOfMembers(s.Concept), true
	}
	return nil, false
}

func (ev *evaluator) sortedMembers(refset snomed.ID) []snomed.ID {
	m := ev.s.RefsetMembers(refset)
	if !slices.IsSorted(m) {
		m = sortedUnique(slices.Clone(m))
	}
	return m
}

// closureSource is a Source that walks the closure of many concepts at
// once, as *snomed.Store does (one traversal over its children, marking a
// bitset); the proper closure of a set is each member's, united.
type closureSource interface {
	DescendantsOfAny(ids []snomed.ID) []snomed.ID
	DescendantsOrSelfOfAny(ids []snomed.ID) []snomed.ID
	AncestorsOfAny(ids []snomed.ID) []snomed.ID
	AncestorsOrSelfOfAny(ids []snomed.ID) []snomed.ID
}

// closure returns the proper descendants (down) or ancestors of a set,
// ascending: the store's walk of the whole set at once when it has one;
// otherwise the bitset walk for one concept, one traversal of the graph
// for several (a union per member would be quadratic).
func (ev *evaluator) closure(base []snomed.ID, down bool) []snomed.ID {
	if len(base) == 0 {
		return nil
	}
	if cs, ok := ev.s.(closureSource); ok {
		if down {
			return cs.DescendantsOfAny(base)
		}
		return cs.AncestorsOfAny(base)
	}
	switch len(base) {
	case 1:
		if down {
			return ev.s.Descendants(base[0])
		}
		return ev.s.Ancestors(base[0])
	}
	// A bitset walk costs a bitset the size of the store, so it pays only
	// for a few members; many (a reference set) are walked together.
	if sets, ok := ev.s.(setSource); ok && len(base) <= 8 {
		return closureBySets(sets, base, down)
	}
	seen := make(map[snomed.ID]struct{}, len(base))
	var out []snomed.ID
	stack := slices.Clone(base)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		var next []snomed.ID
		if down {
			next = ev.s.Children(x)
		} else {
			next = ev.s.Parents(x)
		}
		for _, n := range next {
			if _, ok := seen[n]; !ok {
				seen[n] = struct{}{}
				out = append(out, n)
				stack = append(stack, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// mapSource is a Source that keeps the rows of map reference sets, as
// *snomed.Store does; member filters need it.
type mapSource interface {
	Maps(id, refset snomed.ID) []snomed.MapEntry
}

func hasKind(fs []Filter, kind byte) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// setSource is a Source that walks the hierarchy into bitsets, as
// *snomed.Store does.
type setSource interface {
	DescendantSet(id snomed.ID) snomed.Set
	AncestorSet(id snomed.ID) snomed.Set
}

// closureBySets unions the bitset walks of the members not already inside
// an earlier member's walk.
func closureBySets(src setSource, base []snomed.ID, down bool) []snomed.ID {
	var sets []snomed.Set
	total := 0
next:
	for _, b := range base {
		for _, x := range sets {
			if x.Has(b) {
				continue next
			}
		}
		var x snomed.Set
		if down {
			x = src.DescendantSet(b)
		} else {
			x = src.AncestorSet(b)
		}
		if x.Len() > 0 {
			sets = append(sets, x)
			total += x.Len()
		}
	}
	if len(sets) == 1 {
		return sets[0].IDs()
	}
	out := make([]snomed.ID, 0, total)
	for _, x := range sets {
		x.Each(func(id snomed.ID) bool {
			out = append(out, id)
			return true
		})
	}
	return sortedUnique(out)
}

// neighbours returns the children (down) or parents of a set, ascending.
func (ev *evaluator) neighbours(base []snomed.ID, down bool) []snomed.ID {
	var out []snomed.ID
	for _, b := range base {
		if down {
			out = append(out, ev.s.Children(b)...)
		} else {
			out = append(out, ev.s.Parents(b)...)
		}
	}
	return sortedUnique(out)
}

var historyRefsets = map[string][]snomed.ID{
	"MIN": {sameAs},
	"MOD": {sameAs, replacedBy, wasA, partiallyEquivTo},
	"MAX": {sameAs, replacedBy, wasA, partiallyEquivTo, possiblyEquivTo, possiblyReplaced, alternative, movedTo, movedFrom, refersTo, similarTo},
}

// history adds the inactive concepts whose historical associations of the
// given kinds (association reference sets) point at a member of set. The components with an
// association of a kind are the members of its reference set, so only
// they are read, not every concept of the release.
func (ev *evaluator) history(set []snomed.ID, kinds []snomed.ID) []snomed.ID {
	var sources []snomed.ID
	for _, kind := range kinds {
		sources = union(sources, ev.s.RefsetMembers(kind))
	}
	var add []snomed.ID
	for _, c := range sources {
		for _, a := range ev.s.Associations(c) {
			if slices.Contains(kinds, a.Refset) && contains(set, a.Target) {
				if cc, ok := ev.s.Concept(c); ok && !cc.Active {
					add = append(add, c)
				}
				break
			}
		}
	}
	return union(set, add)
}

func (ev *evaluator) dotted(d *Dotted) ([]snomed.ID, error) {
	cur, err := ev.expr(d.Base)
	if err != nil {
		return nil, err
	}
	for _, a := range d.Attrs {
		types, err := ev.expr(a)
		if err != nil {
			return nil, err
		}
		var next []snomed.ID
		for _, c := range cur {
			for _, r := range ev.s.Relationships(c) {
				if contains(types, r.Type) {
					next = append(next, r.Destination)
				}
			}
		}
		cur = sortedUnique(next)
	}
	return cur, nil
}

func (ev *evaluator) refined(r *Refined) ([]snomed.ID, error) {
	// With a focus of the form << X, < X or *, and a refinement that
	// narrows to few candidates, the focus is tested per candidate (IsA)
	// rather than listed: << root would list the whole release.
	if sub, ok := r.Focus.(*Sub); ok && len(sub.Filters) == 0 && sub.History == "" && !sub.MemberOf && sub.Nested == nil &&
		(sub.Op == DescendantOrSelfOf || !sub.Wildcard && sub.Op == DescendantOf || sub.Wildcard && sub.Op == Self) {
		c, known := ev.s.Concept(sub.Concept)
		if sub.Wildcard || known && c.Active {
			m, err := ev.compile(r.Ref)
			if err != nil {
				return nil, err
			}
			// Listing the candidates costs a look-up of each value's
			// relationships, some hundred times the cost of listing one
			// concept of the focus: a focus the store counts as large
			// affords more values.
			limit, size := 1<<12, -1
			if cs, ok := ev.s.(countSource); ok {
				top := sub.Concept
				if sub.Wildcard {
					top = snomed.RootConcept
				}
				size = cs.DescendantCount(top)
				limit = max(limit, size/25)
			}
			if cand, ok := m.candidates(ev.s, limit); ok && (len(cand) <= 1<<14 || len(cand) <= size) {
				var out []snomed.ID
				for _, c := range cand {
					in := sub.Wildcard || ev.s.IsA(c, sub.Concept) && (sub.Op == DescendantOrSelfOf || c != sub.Concept)
					if in && m.match(ev.s, c, -1) {
						out = append(out, c)
					}
				}
				return out, nil
			}
		}
	}
	focus, err := ev.expr(r.Focus)
	if err != nil {
		return nil, err
	}
	m, err := ev.compile(r.Ref)
	if err != nil {
		return nil, err
	}
	// A refinement that needs some relationship to a small value set is
	// tested only on the sources of those relationships (the store's
	// index by destination), not on the whole focus.
	if cand, ok := m.candidates(ev.s, len(focus)); ok {
		focus = intersect(focus, cand)
	}
	var out []snomed.ID
	for _, c := range focus {
		if m.match(ev.s, c, -1) {
			out = append(out, c)
		}
	}
	return out, nil
}

// countSource is a Source that counts descendants without listing them,
// as *snomed.Store does.
type countSource interface {
	DescendantCount(id snomed.ID) int
}

// matcher is a compiled refinement: sets evaluated once, then a test per
// concept.
type matcher interface {
	// match tests concept c; group >= 0 restricts to that relationship
	// group (-1: any).
	match(s Source, c snomed.ID, group int) bool
	// candidates returns, ascending, a superset of the concepts that can
	// match, when one is cheaper to list than testing limit concepts.
	candidates(s Source, limit int) ([]snomed.ID, bool)
}

func (m *andOr) candidates(s Source, limit int) ([]snomed.ID, bool) {
	var best []snomed.ID
	found := false
	for _, it := range m.items {
		c, ok := it.candidates(s, limit)
		switch {
		case m.and && ok && (!found || len(c) < len(best)):
			best, found = c, true
		case !m.and && !ok:
			return nil, false
		case !m.and:
			best, found = append(best, c...), true
		}
	}
	if !m.and && found {
		best = sortedUnique(best)
	}
	return best, found
}

// candidates: a concept with at least one relationship of the types to a
// value (or, reversed, from a value) is among the other ends of the
// values' relationships.
func (m *attrMatcher) candidates(s Source, limit int) ([]snomed.ID, bool) {
	if m.card.Min < 1 || m.op != "=" || m.numeric || m.strs != nil || m.boolean != nil || m.anyValue || len(m.values) > limit/4 {
		return nil, false
	}
	var out []snomed.ID
	for _, v := range m.values {
		if m.reverse {
			for _, r := range s.Relationships(v) {
				if m.isType(s, r.Type) {
					out = append(out, r.Destination)
				}
			}
			continue
		}
		for _, r := range s.RelationshipsTo(v) {
			if m.isType(s, r.Type) {
				out = append(out, r.Source)
			}
		}
	}
	return sortedUnique(out), true
}

func (m *groupMatcher) candidates(s Source, limit int) ([]snomed.ID, bool) {
	if m.card.Min < 1 {
		return nil, false
	}
	return m.inner.candidates(s, limit)
}

type andOr struct {
	and   bool
	items []matcher
}

func (m *andOr) match(s Source, c snomed.ID, g int) bool {
	for _, it := range m.items {
		if it.match(s, c, g) != m.and {
			return !m.and
		}
	}
	return m.and
}

type attrMatcher struct {
	card    Cardinality
	reverse bool
	types   []snomed.ID
	op      string
	values  []snomed.ID // concept comparison
	// anyType and anyValue stand for a wildcard * (every active concept),
	// tested per relationship rather than listed.
	anyType, anyValue bool
	number            float64
	numeric           bool
	// strs and matches are typed search terms for a string value.
	strs, matches []string
	boolean       *bool
}

func (m *attrMatcher) isType(s Source, id snomed.ID) bool {
	if m.anyType {
		return isActive(s, id)
	}
	return contains(m.types, id)
}

func (m *attrMatcher) isValue(s Source, id snomed.ID) bool {
	if m.anyValue {
		return isActive(s, id)
	}
	return contains(m.values, id)
}

func isActive(s Source, id snomed.ID) bool {
	c, ok := s.Concept(id)
	return ok && c.Active
}

// plainWildcard reports whether e is a bare *: every active concept.
func plainWildcard(e Expr) bool {
	sub, ok := e.(*Sub)
	return ok && sub.Wildcard && sub.Op == Self && !sub.MemberOf && len(sub.Filters) == 0 && sub.History == ""
}

func (m *attrMatcher) count(s Source, c snomed.ID, g int) int {
	n := 0
	switch {
	case m.numeric || m.strs != nil || m.boolean != nil:
		for _, cv := range s.ConcreteValues(c) {
			if g >= 0 && cv.Group != g || !m.isType(s, cv.Type) {
				continue
			}
			if m.concreteMatch(cv.Value) {
				n++
			}
		}
	case m.reverse:
		for _, r := range s.RelationshipsTo(c) {
			if m.isType(s, r.Type) && m.isValue(s, r.Source) == (m.op == "=") {
				n++
			}
		}
	default:
		for _, r := range s.Relationships(c) {
			if g >= 0 && r.Group != g || !m.isType(s, r.Type) {
				continue
			}
			if m.isValue(s, r.Destination) == (m.op == "=") {
				n++
			}
		}
	}
	return n
}

func (m *attrMatcher) concreteMatch(v string) bool {
	switch {
	case m.numeric:
		num, ok := strings.CutPrefix(v, "#")
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return false
		}
		switch m.op {
		case "=":
			return f == m.number
		case "!=":
			return f != m.number
		case "<":
			return f < m.number
		case "<=":
			return f <= m.number
		case ">":
			return f > m.number
		case ">=":
			return f >= m.number
		}
	case m.strs != nil:
		s, err := strconv.Unquote(v)
		if err != nil {
			return false
		}
		found := false
		for i, w := range m.strs {
			if termMatches(s, w, m.matches[i]) {
				found = true
				break
			}
		}
		return found == (m.op == "=")
	case m.boolean != nil:
		return (v == strconv.FormatBool(*m.boolean)) == (m.op == "=")
	}
	return false
}

func (m *attrMatcher) match(s Source, c snomed.ID, g int) bool {
	n := m.count(s, c, g)
	return n >= m.card.Min && (m.card.Max < 0 || n <= m.card.Max)
}

type groupMatcher struct {
	card  Cardinality
	inner matcher
}

func (m *groupMatcher) match(s Source, c snomed.ID, _ int) bool {
	// An attribute group is a non-zero relationship group: ungrouped
	// (group 0) relationships belong to no group, so { a = x } never
	// matches them and [0..0] { a = x } holds for a concept whose only
	// such relationship is ungrouped. Snowstorm reads groups so
	// (ECLQueryServiceTest.attributeGroupCardinality: a finding site in
	// group 0 does not satisfy { 363698007 = * }).
	var groups []int
	for _, r := range s.Relationships(c) {
		if r.Group != 0 && !slices.Contains(groups, r.Group) {
			groups = append(groups, r.Group)
		}
	}
	for _, cv := range s.ConcreteValues(c) {
		if cv.Group != 0 && !slices.Contains(groups, cv.Group) {
			groups = append(groups, cv.Group)
		}
	}
	n := 0
	for _, g := range groups {
		if m.inner.match(s, c, g) {
			n++
		}
	}
	return n >= m.card.Min && (m.card.Max < 0 || n <= m.card.Max)
}

func (ev *evaluator) compile(r Refinement) (matcher, error) {
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > MaxDepth {
		return nil, fmt.Errorf("%w: refinement nested too deeply", ErrSyntax)
	}
	switch x := r.(type) {
	case *RefCompound:
		m := &andOr{and: x.Op == "AND"}
		for _, it := range x.Items {
			sub, err := ev.compile(it)
			if err != nil {
				return nil, err
			}
			m.items = append(m.items, sub)
		}
		return m, nil
	case *Group:
		inner, err := ev.compile(x.Ref)
		if err != nil {
			return nil, err
		}
		card := Cardinality{Min: 1, Max: -1}
		if x.Card != nil {
			card = *x.Card
		}
		return &groupMatcher{card: card, inner: inner}, nil
	case *Attribute:
		m := &attrMatcher{reverse: x.Reverse, op: x.Op, card: Cardinality{Min: 1, Max: -1}, strs: x.Strings, matches: x.Matches, boolean: x.Bool}
		var err error
		if m.anyType = plainWildcard(x.Name); !m.anyType {
			if m.types, err = ev.expr(x.Name); err != nil {
				return nil, err
			}
		}
		if x.Card != nil {
			m.card = *x.Card
		}
		switch {
		case x.Value != nil && plainWildcard(x.Value):
			m.anyValue = true
		case x.Value != nil:
			if m.values, err = ev.expr(x.Value); err != nil {
				return nil, err
			}
		case x.Number != "":
			m.numeric = true
			m.number, _ = strconv.ParseFloat(x.Number, 64)
		}
		return m, nil
	}
	return nil, fmt.Errorf("ecl: unknown refinement %T", r)
}

// Explain evaluates an expression and describes what each part matched,
// innermost first, for debugging value sets.
func Explain(store *snomed.Store, expr string) (string, error) {
	e, err := Parse(expr)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	ev := &evaluator{s: store, ctx: context.Background(), trace: func(x Expr, n int) {
		fmt.Fprintf(&b, "%8d  %s\n", n, x.String())
	}}
	if _, err := ev.expr(e); err != nil {
		return "", err
	}
	return b.String(), nil
}
