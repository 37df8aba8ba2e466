package ecl

import (
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
	ev := &evaluator{s: src}
	return ev.expr(e)
}

type evaluator struct {
	s     Source
	all   []snomed.ID
	trace func(Expr, int)
	depth int
}

func (ev *evaluator) allActive() []snomed.ID {
	if ev.all == nil {
		ev.all = ev.s.ActiveConcepts()
	}
	return ev.all
}

func (ev *evaluator) expr(e Expr) ([]snomed.ID, error) {
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
	default:
		if _, ok := ev.s.Concept(s.Concept); !ok && !(s.MemberOf && ev.s.IsRefset(s.Concept)) {
			return nil, fmt.Errorf("%w: %d", ErrUnknownConcept, s.Concept)
		}
		base = []snomed.ID{s.Concept}
	}
	if s.MemberOf {
		var members []snomed.ID
		for _, r := range base {
			rm := ev.s.RefsetMembers(r)
			if hasKind(s.Filters, 'M') {
				var err error
				if rm, err = ev.memberFilter(r, rm, s.Filters); err != nil {
					return nil, err
				}
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
		base = members
	}
	return base, nil
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
		out = ev.history(out, s.History)
	}
	return out, nil
}

// membersSource is a Source that walks the closure of a reference set's
// members from its own list of them, as *snomed.Store does (no copy of the
// members, no lookup of their ids): the same answers as the closure of
// RefsetMembers.
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
	if !ok || !s.MemberOf || s.Wildcard || s.Nested != nil || hasKind(s.Filters, 'M') || !ev.s.IsRefset(s.Concept) {
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

// memberFilter keeps the members of refset with a row that passes every
// member filter.
func (ev *evaluator) memberFilter(refset snomed.ID, members []snomed.ID, fs []Filter) ([]snomed.ID, error) {
	src, ok := ev.s.(mapSource)
	if !ok {
		return nil, fmt.Errorf("%w: member filters need a store with reference set fields", ErrUnsupported)
	}
	var out []snomed.ID
	for _, m := range members {
		for _, row := range src.Maps(m, refset) {
			if row.Refset == refset && rowMatches(row, fs) {
				out = append(out, m)
				break
			}
		}
	}
	return out, nil
}

func rowMatches(row snomed.MapEntry, fs []Filter) bool {
	for _, f := range fs {
		if f.Kind != 'M' {
			continue
		}
		ok := false
		for i, w := range f.Words {
			switch f.Name {
			case "mapTarget", "mapRule", "mapAdvice":
				v := map[string]string{"mapTarget": row.Target, "mapRule": row.Rule, "mapAdvice": row.Advice}[f.Name]
				kind := ""
				if i < len(f.Matches) {
					kind = f.Matches[i]
				}
				if kind == "" {
					// A member field compares whole values; wild: patterns
					// and match: word prefixes as for terms.
					ok = ok || v == w
				} else {
					ok = ok || termMatches(v, w, kind)
				}
			case "correlationId":
				ok = ok || slices.Contains(parseIDs([]string{w}), row.Correlation)
			case "mapCategoryId":
				ok = ok || slices.Contains(parseIDs([]string{w}), row.Category)
			case "mapGroup", "mapPriority":
				n, _ := strconv.Atoi(strings.TrimPrefix(w, "#"))
				v := row.Group
				if f.Name == "mapPriority" {
					v = row.Priority
				}
				ok = ok || compareInt(v, f.Op, n)
			}
		}
		if f.Op == "!=" && f.Name != "mapGroup" && f.Name != "mapPriority" {
			ok = !ok
		}
		if !ok {
			return false
		}
	}
	return true
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
// profile's kinds point at a member of set. The components with an
// association of a kind are the members of its reference set, so only
// they are read, not every concept of the release.
func (ev *evaluator) history(set []snomed.ID, profile string) []snomed.ID {
	kinds := historyRefsets[profile]
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
	if m.card.Min < 1 || m.op != "=" || m.numeric || m.str != nil || m.boolean != nil || m.anyValue || len(m.values) > limit/4 {
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
	str               *string
	boolean           *bool
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
	case m.numeric || m.str != nil || m.boolean != nil:
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
	case m.str != nil:
		s, err := strconv.Unquote(v)
		if err != nil {
			return false
		}
		return (s == *m.str) == (m.op == "=")
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
	// Relationship groups: every non-zero group number, and each
	// ungrouped (group 0) relationship counts as a group of its own; here
	// group 0 is tested as one set, which is exact for one attribute.
	groups := map[int]bool{}
	for _, r := range s.Relationships(c) {
		groups[r.Group] = true
	}
	for _, cv := range s.ConcreteValues(c) {
		groups[cv.Group] = true
	}
	n := 0
	for g := range groups {
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
		m := &attrMatcher{reverse: x.Reverse, op: x.Op, card: Cardinality{Min: 1, Max: -1}, str: x.Str, boolean: x.Bool}
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

// filter keeps the concepts that pass every filter: description filters
// must all hold for one active description; concept filters on the
// concept.
func (ev *evaluator) filter(set []snomed.ID, fs []Filter) ([]snomed.ID, error) {
	var desc, conc []Filter
	for _, f := range fs {
		switch f.Kind {
		case 'C':
			conc = append(conc, f)
		case 'D':
			desc = append(desc, f)
		}
	}
	if len(desc) == 0 && len(conc) == 0 {
		return set, nil
	}
	var out []snomed.ID
	for _, c := range set {
		ok, err := ev.conceptFilters(c, conc)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if len(desc) > 0 {
			found := false
			for _, d := range ev.s.Descriptions(c) {
				if !d.Active && !hasFilter(desc, "active") {
					continue
				}
				m, err := descriptionMatches(d, desc)
				if err != nil {
					return nil, err
				}
				if m {
					found = true
					break
				}
			}
			if !found {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func hasFilter(fs []Filter, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

func parseIDs(words []string) []snomed.ID {
	var out []snomed.ID
	for _, w := range words {
		if v, err := strconv.ParseUint(w, 10, 64); err == nil {
			out = append(out, snomed.ID(v))
		}
	}
	return out
}

// firstWord is a filter's only value: "" for a hand-built filter with
// none (not a boolean, no concept's tag), rather than a panic.
func firstWord(f Filter) string {
	if len(f.Words) == 0 {
		return ""
	}
	return f.Words[0]
}

func boolWord(w string) (bool, error) {
	switch strings.ToLower(w) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a boolean", ErrSyntax, w)
}

func compareInt(a int, op string, b int) bool {
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

func (ev *evaluator) conceptFilters(id snomed.ID, fs []Filter) (bool, error) {
	if len(fs) == 0 {
		return true, nil
	}
	c, _ := ev.s.Concept(id)
	for _, f := range fs {
		var ok bool
		switch f.Name {
		case "definitionStatus", "definitionStatusId":
			for _, w := range f.Words {
				switch strings.ToLower(w) {
				case "primitive":
					ok = ok || c.DefinitionStatus == primitive
				case "defined":
					ok = ok || c.DefinitionStatus == fullyDefined
				default:
					ok = ok || slices.Contains(parseIDs([]string{w}), c.DefinitionStatus)
				}
			}
		case "moduleId":
			ok = slices.Contains(parseIDs(f.Words), c.Module)
		case "id":
			ok = slices.Contains(parseIDs(f.Words), c.ID)
		case "active":
			b, err := boolWord(firstWord(f))
			if err != nil {
				return false, err
			}
			ok = c.Active == b
			if f.Op == "!=" {
				ok = !ok
			}
			if !ok {
				return false, nil
			}
			continue
		case "effectiveTime":
			for _, w := range f.Words {
				t, err := strconv.Atoi(w)
				if err != nil {
					return false, fmt.Errorf("%w: effectiveTime %q is not YYYYMMDD", ErrSyntax, w)
				}
				ok = ok || compareInt(c.EffectiveTime, f.Op, t)
			}
			if !ok {
				return false, nil
			}
			continue
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

var dialects = map[string]snomed.ID{"en-gb": gbLanguageRefset, "en-us": usLanguageRefset, "en-x-999001261000000100": ukClinicalRefset}

func descriptionMatches(d snomed.Description, fs []Filter) (bool, error) {
	for _, f := range fs {
		var ok bool
		switch f.Name {
		case "term":
			for i, w := range f.Words {
				kind := ""
				if i < len(f.Matches) {
					kind = f.Matches[i]
				}
				if termMatches(d.Term, w, kind) {
					ok = true
					break
				}
			}
		case "language":
			for _, w := range f.Words {
				ok = ok || strings.EqualFold(d.LanguageCode, w)
			}
		case "type", "typeId":
			for _, w := range f.Words {
				switch strings.ToLower(w) {
				case "syn":
					ok = ok || d.Type == synonymType
				case "fsn":
					ok = ok || d.Type == fsnType
				case "def":
					ok = ok || d.Type == definitionType
				default:
					ok = ok || slices.Contains(parseIDs([]string{w}), d.Type)
				}
			}
		case "dialect", "dialectId":
			for i, w := range f.Words {
				refset, known := dialects[strings.ToLower(w)]
				if !known {
					ids := parseIDs([]string{w})
					if len(ids) == 0 {
						return false, fmt.Errorf("%w: unknown dialect %q", ErrUnsupported, w)
					}
					refset = ids[0]
				}
				want := []snomed.ID{preferred, acceptable}
				if i < len(f.Accept) && len(f.Accept[i]) > 0 {
					want = want[:0]
					for _, a := range f.Accept[i] {
						switch strings.ToLower(a) {
						case "prefer":
							want = append(want, preferred)
						case "accept":
							want = append(want, acceptable)
						default:
							ids := parseIDs([]string{a})
							if len(ids) == 0 {
								return false, fmt.Errorf("%w: unknown acceptability %q", ErrUnsupported, a)
							}
							want = append(want, ids[0])
						}
					}
				}
				if acc, in := d.Acceptability[refset]; in && slices.Contains(want, acc) {
					ok = true
				}
			}
		case "active":
			b, err := boolWord(firstWord(f))
			if err != nil {
				return false, err
			}
			ok = d.Active == b
		case "id":
			ok = slices.Contains(parseIDs(f.Words), d.ID)
		case "preferredIn", "acceptableIn", "languageRefSetId", "languageRefsetId":
			for _, refset := range parseIDs(f.Words) {
				acc, in := d.Acceptability[refset]
				switch f.Name {
				case "preferredIn":
					in = in && acc == preferred
				case "acceptableIn":
					in = in && acc == acceptable
				}
				ok = ok || in
			}
		case "semanticTag":
			// Only a fully specified name has a semantic tag: = and !=
			// both hold for none of the other descriptions.
			tag, has := semanticTag(d)
			if !has {
				return false, nil
			}
			ok = tag == firstWord(f)
		case "moduleId", "effectiveTime":
			return false, fmt.Errorf("%w: description %s filters (the store keeps no description module or time)", ErrUnsupported, f.Name)
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

// semanticTag returns the text in the brackets that end a fully specified
// name: "disorder" for "Asthma (disorder)".
func semanticTag(d snomed.Description) (string, bool) {
	if d.Type != fsnType || !strings.HasSuffix(d.Term, ")") {
		return "", false
	}
	open := strings.LastIndexByte(d.Term, '(')
	if open < 0 {
		return "", false
	}
	return d.Term[open+1 : len(d.Term)-1], true
}

// termMatches: "match" (the default) needs every word of the filter to
// begin a word of the term, case-insensitively; "wild" is a whole-term
// pattern where * matches any run of characters.
func termMatches(term, pattern, kind string) bool {
	t := strings.ToLower(term)
	p := strings.ToLower(pattern)
	if kind == "wild" {
		return wildMatch(t, p)
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == '-' || r == ',' || r == '(' || r == ')' })
	for _, pw := range strings.Fields(p) {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, pw) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func wildMatch(s, p string) bool {
	parts := strings.Split(p, "*")
	if len(parts) == 1 {
		return s == p
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, part)
		}
		k := strings.Index(s, part)
		if k < 0 {
			return false
		}
		s = s[k+len(part):]
	}
	return true
}

// Explain evaluates an expression and describes what each part matched,
// innermost first, for debugging value sets.
func Explain(store *snomed.Store, expr string) (string, error) {
	e, err := Parse(expr)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	ev := &evaluator{s: store, trace: func(x Expr, n int) {
		fmt.Fprintf(&b, "%8d  %s\n", n, x.String())
	}}
	if _, err := ev.expr(e); err != nil {
		return "", err
	}
	return b.String(), nil
}
