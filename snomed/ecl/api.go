package ecl

import (
	"context"
	"iter"
	"slices"

	"github.com/nhskit/nhskit/snomed"
)

// Set is the answer of an expression constraint: concept ids, ascending,
// without repeats. The zero Set is empty.
type Set struct{ ids []snomed.ID }

// Len is the number of concepts in the set.
func (s Set) Len() int { return len(s.ids) }

// Has reports whether id is in the set (a binary search).
func (s Set) Has(id snomed.ID) bool { return contains(s.ids, id) }

// IDs returns the concepts, ascending, as a slice the caller owns.
func (s Set) IDs() []snomed.ID { return slices.Clone(s.ids) }

// All yields the concepts, ascending.
func (s Set) All() iter.Seq[snomed.ID] { return slices.Values(s.ids) }

// Page returns count concepts from offset (fewer at the end; none past
// it), ascending: a page of a value set expansion. A negative count
// means all the rest.
func (s Set) Page(offset, count int) []snomed.ID {
	if offset < 0 {
		offset = 0
	}
	if offset >= len(s.ids) {
		return nil
	}
	end := len(s.ids)
	if count >= 0 && offset+count < end {
		end = offset + count
	}
	return slices.Clone(s.ids[offset:end])
}

// EvaluateSet parses and evaluates an expression over src, stopping with
// ctx's error when ctx is done.
func EvaluateSet(ctx context.Context, src Source, expr string) (Set, error) {
	e, err := Parse(expr)
	if err != nil {
		return Set{}, err
	}
	return EvaluateSetExpr(ctx, src, e)
}

// EvaluateSetExpr evaluates a parsed expression over src, stopping with
// ctx's error when ctx is done.
func EvaluateSetExpr(ctx context.Context, src Source, e Expr) (Set, error) {
	ev := &evaluator{s: src, ctx: ctx}
	ids, err := ev.expr(e)
	if err != nil {
		return Set{}, err
	}
	return Set{ids: ids}, nil
}

// Count returns the number of concepts an expression matches. For < C
// and << C it asks a Source that counts descendants (as the store does)
// instead of listing them.
func Count(ctx context.Context, src Source, expr string) (int, error) {
	e, err := Parse(expr)
	if err != nil {
		return 0, err
	}
	return CountExpr(ctx, src, e)
}

// CountExpr is Count of a parsed expression.
func CountExpr(ctx context.Context, src Source, e Expr) (int, error) {
	if s, ok := e.(*Sub); ok && plainConcept(s) && (s.Op == DescendantOf || s.Op == DescendantOrSelfOf) {
		if cs, ok := src.(countSource); ok {
			c, known := src.Concept(s.Concept)
			if !known {
				return 0, unknownConcept(s.Concept)
			}
			if !c.Active {
				return 0, nil
			}
			n := cs.DescendantCount(s.Concept)
			if s.Op == DescendantOrSelfOf {
				n++
			}
			return n, nil
		}
	}
	set, err := EvaluateSetExpr(ctx, src, e)
	return set.Len(), err
}

// Contains reports whether concept id satisfies an expression, without
// listing the whole set where the expression allows (hierarchy operators
// on a concept test IsA, member-of tests membership, refinements and
// filters test the one concept): what ValueSet/$validate-code needs.
// Expressions it cannot test one concept against (dotted attributes,
// top and bottom, history supplements, ancestors of a set) are evaluated
// and searched.
func Contains(ctx context.Context, src Source, expr string, id snomed.ID) (bool, error) {
	e, err := Parse(expr)
	if err != nil {
		return false, err
	}
	return ContainsExpr(ctx, src, e, id)
}

// ContainsExpr is Contains for a parsed expression.
func ContainsExpr(ctx context.Context, src Source, e Expr, id snomed.ID) (bool, error) {
	ev := &evaluator{s: src, ctx: ctx}
	return ev.contains(e, id)
}

// memberSource is a Source that tests membership without listing the
// members, as *snomed.Store does.
type memberSource interface {
	IsMember(refset, id snomed.ID) bool
}

// plainConcept reports whether s is an operator on one concept, with no
// member-of, filters or history.
func plainConcept(s *Sub) bool {
	return !s.Wildcard && s.Nested == nil && s.Alt == nil && !s.MemberOf && len(s.Filters) == 0 && s.History == ""
}

func (ev *evaluator) containsBySet(e Expr, id snomed.ID) (bool, error) {
	set, err := ev.expr(e)
	if err != nil {
		return false, err
	}
	return contains(set, id), nil
}

func (ev *evaluator) contains(e Expr, id snomed.ID) (bool, error) {
	if err := ev.ctx.Err(); err != nil {
		return false, err
	}
	switch x := e.(type) {
	case *Compound:
		for i, it := range x.Items {
			in, err := ev.contains(it, id)
			if err != nil {
				return false, err
			}
			switch {
			case x.Op == "OR" && in:
				return true, nil
			case x.Op == "AND" && !in:
				return false, nil
			case x.Op == "MINUS" && i == 0 && !in:
				return false, nil
			case x.Op == "MINUS" && i > 0 && in:
				return false, nil
			}
		}
		return x.Op != "OR", nil
	case *Refined:
		in, err := ev.contains(x.Focus, id)
		if err != nil || !in {
			return false, err
		}
		m, err := ev.compile(x.Ref)
		if err != nil {
			return false, err
		}
		return m.match(ev.s, id, -1), nil
	case *Sub:
		in, err := ev.subContains(x, id)
		if err != nil || !in {
			return false, err
		}
		if hasKind(x.Filters, 'D') || hasKind(x.Filters, 'C') {
			kept, err := ev.filter([]snomed.ID{id}, x.Filters)
			return len(kept) == 1, err
		}
		return true, nil
	}
	return ev.containsBySet(e, id)
}

// subContains tests a sub-expression's operator and focus (its member
// filters too), leaving description and concept filters to the caller.
func (ev *evaluator) subContains(s *Sub, id snomed.ID) (bool, error) {
	if s.History != "" || s.Op == Top || s.Op == Bottom || s.Fields != nil || s.Alt != nil {
		return ev.containsBySet(&Sub{Op: s.Op, MemberOf: s.MemberOf, Fields: s.Fields, Concept: s.Concept, Alt: s.Alt,
			Wildcard: s.Wildcard, Nested: s.Nested, Filters: memberFilters(s.Filters), History: s.History, HistoryRefsets: s.HistoryRefsets}, id)
	}
	// inFocus tests the focus itself (the operator's Self).
	inFocus := func(x snomed.ID) (bool, error) {
		switch {
		case s.MemberOf && !s.Wildcard && s.Nested == nil && !hasKind(s.Filters, 'M'):
			if !ev.isConcept(x) {
				return false, nil
			}
			if ms, ok := ev.s.(memberSource); ok {
				return ms.IsMember(s.Concept, x), nil
			}
			return contains(ev.sortedMembers(s.Concept), x), nil
		case s.MemberOf:
			return ev.containsBySet(&Sub{MemberOf: true, Concept: s.Concept, Wildcard: s.Wildcard, Nested: s.Nested, Filters: memberFilters(s.Filters)}, x)
		case s.Wildcard:
			return isActive(ev.s, x), nil
		case s.Nested != nil:
			return ev.contains(s.Nested, x)
		}
		return x == s.Concept, nil
	}
	if !s.Wildcard && s.Nested == nil && s.Alt == nil {
		if _, ok := ev.s.Concept(s.Concept); !ok && !(s.MemberOf && ev.s.IsRefset(s.Concept)) {
			return false, unknownConcept(s.Concept)
		}
	}
	if s.Op == Self {
		return inFocus(id)
	}
	if !isActive(ev.s, id) {
		return false, nil // hierarchy operators match active concepts only
	}
	any := func(xs []snomed.ID) (bool, error) {
		for _, x := range xs {
			if err := ev.tick(); err != nil {
				return false, err
			}
			in, err := inFocus(x)
			if err != nil || in {
				return in, err
			}
		}
		return false, nil
	}
	self := s.Op == DescendantOrSelfOf || s.Op == AncestorOrSelfOf || s.Op == ChildOrSelfOf || s.Op == ParentOrSelfOf
	if self {
		if in, err := inFocus(id); err != nil || in {
			return in, err
		}
	}
	if plainConcept(s) || s.Wildcard && !s.MemberOf {
		c := s.Concept
		switch s.Op {
		case DescendantOf, DescendantOrSelfOf:
			if s.Wildcard {
				return len(ev.s.Parents(id)) > 0, nil
			}
			return id != c && ev.s.IsA(id, c), nil
		case AncestorOf, AncestorOrSelfOf:
			if s.Wildcard {
				return len(ev.s.Children(id)) > 0, nil
			}
			return id != c && isActive(ev.s, c) && ev.s.IsA(c, id), nil
		case ChildOf, ChildOrSelfOf:
			if s.Wildcard {
				return len(ev.s.Parents(id)) > 0, nil
			}
			return slices.Contains(ev.s.Parents(id), c), nil
		case ParentOf, ParentOrSelfOf:
			if s.Wildcard {
				return len(ev.s.Children(id)) > 0, nil
			}
			return slices.Contains(ev.s.Children(id), c), nil
		}
	}
	switch s.Op {
	case DescendantOf, DescendantOrSelfOf:
		return any(ev.s.Ancestors(id))
	case ChildOf, ChildOrSelfOf:
		return any(ev.s.Parents(id))
	case ParentOf, ParentOrSelfOf:
		return any(ev.s.Children(id))
	}
	// Ancestors of a set: the descendants of id may be the whole release.
	return ev.containsBySet(&Sub{Op: s.Op, MemberOf: s.MemberOf, Concept: s.Concept, Wildcard: s.Wildcard, Nested: s.Nested, Filters: memberFilters(s.Filters)}, id)
}

func memberFilters(fs []Filter) []Filter {
	var out []Filter
	for _, f := range fs {
		if f.Kind == 'M' {
			out = append(out, f)
		}
	}
	return out
}

// WithConstraint narrows a store search to the concepts an expression
// matches, for autocomplete within a value set:
//
//	opts, err := ecl.WithConstraint(ctx, store, snomed.SearchOptions{Limit: 10}, "<< 404684003")
//	hits := store.Search("asth", opts)
//
// The expression is evaluated once; the search tests each candidate
// against the set.
func WithConstraint(ctx context.Context, src Source, opts snomed.SearchOptions, expr string) (snomed.SearchOptions, error) {
	set, err := EvaluateSet(ctx, src, expr)
	if err != nil {
		return opts, err
	}
	prev := opts.Filter
	opts.Filter = func(id snomed.ID) bool { return set.Has(id) && (prev == nil || prev(id)) }
	return opts, nil
}
