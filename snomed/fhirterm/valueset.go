package fhirterm

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
)

// refsetConcept is 900000000000455006 |Reference set|, whose descendants
// are the reference sets (?fhir_vs=refset).
const refsetConcept = "900000000000455006"

// valueSet is a value set reduced to one expression constraint.
type valueSet struct {
	url   string // the implicit url, or the posted resource's url
	text  string // ECL
	expr  ecl.Expr
	param string // the parameter it came from
}

// resolveValueSet reads url (an implicit SNOMED CT value set) or a posted
// ValueSet resource (valueSet) and turns it into ECL.
func (h *Handler) resolveValueSet(ps params) (valueSet, error) {
	if p, ok := ps.get("valueSet"); ok {
		vs, ok := p.res.(*fhir.ValueSet)
		if !ok {
			return valueSet{}, errf(http.StatusBadRequest, "invalid", "valueSet", "valueSet must be a ValueSet resource")
		}
		text, err := h.composeECL(vs)
		if err != nil {
			return valueSet{}, err
		}
		return h.parsed(valueSet{url: vs.URL.Value, text: text, param: "valueSet"})
	}
	u := ps.str("url")
	if u == "" {
		return valueSet{}, errf(http.StatusBadRequest, "required", "url", "give the value set's url (e.g. %s?fhir_vs=ecl/<< 404684003) or a valueSet", System)
	}
	text, err := h.implicitECL(u, "url")
	if err != nil {
		return valueSet{}, err
	}
	return h.parsed(valueSet{url: u, text: text, param: "url"})
}

func (h *Handler) parsed(vs valueSet) (valueSet, error) {
	e, err := ecl.Parse(vs.text)
	if err != nil {
		return vs, eclError(err, vs.param)
	}
	vs.expr = e
	return vs, nil
}

// implicitECL reads an implicit value set url (R4 "Using SNOMED CT with
// FHIR", Implicit Value Sets): [edition/version]?fhir_vs, ?fhir_vs=isa/X,
// ?fhir_vs=refset, ?fhir_vs=refset/X and ?fhir_vs=ecl/<percent-encoded ECL>.
func (h *Handler) implicitECL(u, param string) (string, error) {
	base, query, ok := strings.Cut(u, "?")
	notFound := errf(http.StatusNotFound, "not-found", param, "value set %s is not known here: give an implicit SNOMED CT value set (%s?fhir_vs=…)", quote(u), System)
	if !ok || !strings.HasPrefix(base, System) {
		return "", notFound
	}
	if base != System {
		if err := h.checkVersion(base); err != nil {
			return "", err
		}
	}
	switch {
	case query == "fhir_vs":
		return "*", nil
	case query == "fhir_vs=refset":
		return "< " + refsetConcept, nil
	case strings.HasPrefix(query, "fhir_vs=isa/"):
		id := strings.TrimPrefix(query, "fhir_vs=isa/")
		if _, ok := parseID(id); !ok {
			return "", errf(http.StatusBadRequest, "invalid", param, "isa/ needs a concept id, not %s", quote(id))
		}
		return "<< " + id, nil
	case strings.HasPrefix(query, "fhir_vs=refset/"):
		id := strings.TrimPrefix(query, "fhir_vs=refset/")
		if _, ok := parseID(id); !ok {
			return "", errf(http.StatusBadRequest, "invalid", param, "refset/ needs a reference set id, not %s", quote(id))
		}
		return "^ " + id, nil
	case strings.HasPrefix(query, "fhir_vs=ecl/"):
		e, err := url.PathUnescape(strings.TrimPrefix(query, "fhir_vs=ecl/"))
		if err != nil {
			return "", errf(http.StatusBadRequest, "invalid", param, "the ECL in the url is not percent-encoded properly")
		}
		return e, nil
	}
	return "", notFound
}

// composeECL turns a ValueSet's compose into one expression: each include
// the AND of its filters (or the OR of its concepts), includes joined by
// OR, excludes taken away with MINUS.
func (h *Handler) composeECL(vs *fhir.ValueSet) (string, error) {
	if vs.Compose == nil || len(vs.Compose.Include) == 0 {
		return "", errf(http.StatusBadRequest, "invalid", "valueSet", "the value set has no compose.include")
	}
	part := func(cs fhir.ValueSetComposeConceptSet, where string) (string, error) {
		if cs.System.Value != "" && cs.System.Value != System {
			return "", errf(http.StatusNotFound, "not-found", where+".system", "code system %s is not known here (only %s)", quote(cs.System.Value), System)
		}
		if err := h.checkVersion(cs.Version.Value); err != nil {
			return "", err
		}
		var and, minus []string
		for _, v := range cs.ValueSet {
			e, err := h.implicitECL(v.Value, where+".valueSet")
			if err != nil {
				return "", err
			}
			and = append(and, "("+e+")")
		}
		if len(cs.Concept) > 0 {
			var or []string
			for _, c := range cs.Concept {
				if _, ok := parseID(c.Code.Value); !ok {
					return "", errf(http.StatusBadRequest, "invalid", where+".concept", "code %s is not a SNOMED CT concept id", quote(c.Code.Value))
				}
				or = append(or, c.Code.Value)
			}
			and = append(and, "("+strings.Join(or, " OR ")+")")
		}
		for _, f := range cs.Filter {
			val, prop, op := f.Value.Value, f.Property.Value, f.Op.Value
			at := where + ".filter"
			ids := func() ([]string, error) {
				var out []string
				for _, v := range strings.Split(val, ",") {
					v = strings.TrimSpace(v)
					if prop == "concept" && op == "in" {
						// UK Core writes some reference sets as ECL's
						// member-of ("^999000531000000100")
						v = strings.TrimSpace(strings.TrimPrefix(v, "^"))
					}
					if _, ok := parseID(v); !ok {
						return nil, errf(http.StatusBadRequest, "invalid", at, "filter value %s is not a concept id", quote(v))
					}
					out = append(out, v)
				}
				return out, nil
			}
			switch {
			case prop == "constraint" && op == "=", prop == "expression" && op == "=":
				if _, err := ecl.Parse(val); err != nil {
					return "", eclError(err, at)
				}
				and = append(and, "("+val+")")
			case prop == "concept":
				list, err := ids()
				if err != nil {
					return "", err
				}
				pre := map[string]string{"is-a": "<< ", "descendent-of": "< ", "=": "", "in": "^ ", "is-not-a": "<< ", "generalizes": ">> "}[op]
				if _, known := map[string]bool{"is-a": true, "descendent-of": true, "=": true, "in": true, "is-not-a": true, "generalizes": true}[op]; !known {
					return "", errf(http.StatusBadRequest, "not-supported", at, "filter op %s on concept is not supported (is-a, descendent-of, is-not-a, in, generalizes, =)", quote(op))
				}
				var or []string
				for _, id := range list {
					or = append(or, pre+id)
				}
				e := "(" + strings.Join(or, " OR ") + ")"
				if op == "is-not-a" {
					minus = append(minus, e)
				} else {
					and = append(and, e)
				}
			default:
				if _, ok := parseID(prop); ok && (op == "=" || op == "is-a") {
					list, err := ids()
					if err != nil {
						return "", err
					}
					pre := map[string]string{"=": "", "is-a": "<< "}[op]
					var or []string
					for _, id := range list {
						or = append(or, "(* : "+prop+" = "+pre+id+")")
					}
					and = append(and, "("+strings.Join(or, " OR ")+")")
					continue
				}
				return "", errf(http.StatusBadRequest, "not-supported", at, "filter %s %s is not supported (concept is-a, descendent-of, is-not-a, in; constraint =; attribute =)", quote(prop), quote(op))
			}
		}
		if len(and) == 0 {
			and = []string{"*"}
		}
		e := strings.Join(and, " AND ")
		if len(minus) > 0 {
			e = "(" + e + ") MINUS " + strings.Join(minus, " MINUS ")
		}
		return "(" + e + ")", nil
	}
	var inc, exc []string
	for _, cs := range vs.Compose.Include {
		e, err := part(cs, "ValueSet.compose.include")
		if err != nil {
			return "", err
		}
		inc = append(inc, e)
	}
	for _, cs := range vs.Compose.Exclude {
		e, err := part(cs, "ValueSet.compose.exclude")
		if err != nil {
			return "", err
		}
		exc = append(exc, e)
	}
	e := strings.Join(inc, " OR ")
	if len(exc) > 0 {
		e = "(" + e + ") MINUS (" + strings.Join(exc, " OR ") + ")"
	}
	return e, nil
}

// eclError maps an ECL error to a 400 that says where.
func eclError(err error, param string) error {
	var se *ecl.SyntaxError
	switch {
	case errors.As(err, &se):
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Param: param, Msg: "bad ECL: " + strings.ToValidUTF8(se.Error(), "\uFFFD"), Err: err}
	case errors.Is(err, ecl.ErrUnknownConcept):
		return &Error{Status: http.StatusBadRequest, Code: "code-invalid", Param: param, Msg: strings.ToValidUTF8(err.Error(), "\uFFFD"), Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	}
	return &Error{Status: http.StatusBadRequest, Code: "processing", Param: param, Msg: strings.ToValidUTF8(err.Error(), "\uFFFD"), Err: err}
}

// cheap reports whether ecl.ContainsExpr tests one concept without
// evaluating a whole set: hierarchy operators and member-of on concepts,
// refinements, and their combinations.
func cheap(e ecl.Expr) bool {
	switch x := e.(type) {
	case *ecl.Compound:
		for _, it := range x.Items {
			if !cheap(it) {
				return false
			}
		}
		return true
	case *ecl.Refined:
		return cheap(x.Focus)
	case *ecl.Sub:
		if x.History != "" || x.Op == ecl.Top || x.Op == ecl.Bottom || x.Fields != nil || x.Alt != nil {
			return false
		}
		for _, f := range x.Filters {
			if f.Kind == 'M' {
				return false
			}
		}
		switch x.Op {
		case ecl.AncestorOf, ecl.AncestorOrSelfOf, ecl.ParentOf, ecl.ParentOrSelfOf:
			return !x.Wildcard && x.Nested == nil && !x.MemberOf
		}
		if x.MemberOf && (x.Wildcard || x.Nested != nil) {
			return false
		}
		return x.Nested == nil || cheap(x.Nested)
	}
	return false
}

// member tests one concept against a value set.
func (h *Handler) member(ctx context.Context, vs valueSet, id snomed.ID) (bool, error) {
	if cheap(vs.expr) {
		return ecl.ContainsExpr(ctx, h.store, vs.expr, id)
	}
	set, err := h.sets.get(ctx, h.store, vs)
	if err != nil {
		return false, err
	}
	return set.Has(id), nil
}

func (h *Handler) validateValueSet(ctx context.Context, ps params) (fhir.Resource, error) {
	vs, err := h.resolveValueSet(ps)
	if err != nil {
		return nil, err
	}
	c, err := validateInput(ps, "system")
	if err != nil {
		return nil, err
	}
	name := vs.url
	if name == "" {
		name = "(posted)"
	}
	if c.system != "" && c.system != System {
		return &fhir.Parameters{Parameter: []fhir.ParametersParameter{
			part("result", boolean(false)),
			part("message", str("code system "+quote(c.system)+" is not in the value set "+quote(name))),
		}}, nil
	}
	con, known, err := h.snomedCode(c, false)
	if err != nil {
		return nil, err
	}
	in := false
	if known {
		if in, err = h.member(ctx, vs, con.ID); err != nil {
			return nil, eclError(err, vs.param)
		}
	}
	return h.validated(c, con, known, in, quote(name), locale(ps)), nil
}

// setCache keeps the last few evaluated value sets, so that the pages of
// one expansion evaluate its expression once.
type setCache struct {
	mu    sync.Mutex
	max   int
	order []string
	sets  map[string]ecl.Set
}

func (c *setCache) init(n int) { c.max, c.sets = n, map[string]ecl.Set{} }

func (c *setCache) get(ctx context.Context, src *snomed.Store, vs valueSet) (ecl.Set, error) {
	key := vs.expr.String()
	c.mu.Lock()
	s, ok := c.sets[key]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := ecl.EvaluateSetExpr(ctx, src, vs.expr)
	if err != nil {
		return s, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sets[key]; !ok {
		if len(c.order) >= c.max {
			delete(c.sets, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, key)
		c.sets[key] = s
	}
	return s, nil
}

func (h *Handler) expand(ctx context.Context, ps params) (fhir.Resource, error) {
	vs, err := h.resolveValueSet(ps)
	if err != nil {
		return nil, err
	}
	offset, err := ps.integer("offset", 0)
	if err != nil {
		return nil, err
	}
	_, countGiven := ps.get("count")
	count, err := ps.integer("count", h.maxExp)
	if err != nil {
		return nil, err
	}
	count = min(count, h.maxExp)
	activeOnly, activeSet, err := ps.boolean("activeOnly")
	if err != nil {
		return nil, err
	}
	designations, _, err := ps.boolean("includeDesignations")
	if err != nil {
		return nil, err
	}
	loc := locale(ps)
	filter := ps.str("filter")
	exp := &fhir.ValueSetExpansion{Timestamp: fhir.DateTime{Value: time.Now().UTC().Format(time.RFC3339)}}
	exp.Parameter = append(exp.Parameter,
		fhir.ValueSetExpansionParameter{Name: fhir.String{Value: "version"}, Value: uri(System + "|" + h.VersionURI())},
		fhir.ValueSetExpansionParameter{Name: fhir.String{Value: "displayLanguage"}, Value: code(loc)},
		fhir.ValueSetExpansionParameter{Name: fhir.String{Value: "offset"}, Value: &fhir.Integer{Value: int64(offset), Set: true}},
		fhir.ValueSetExpansionParameter{Name: fhir.String{Value: "count"}, Value: &fhir.Integer{Value: int64(count), Set: true}})
	if filter != "" {
		exp.Parameter = append(exp.Parameter, fhir.ValueSetExpansionParameter{Name: fhir.String{Value: "filter"}, Value: str(strings.ToValidUTF8(filter, "\uFFFD"))})
	}
	exp.Offset = fhir.Integer{Value: int64(offset), Set: true}
	type entry struct {
		id       snomed.ID
		display  string
		inactive bool
	}
	var page []entry
	if filter == "" {
		set, err := h.sets.get(ctx, h.store, vs)
		if err != nil {
			return nil, eclError(err, vs.param)
		}
		if !countGiven && set.Len() > h.maxExp {
			return nil, errf(http.StatusUnprocessableEntity, "too-costly", vs.param, "the value set has %d concepts, more than %d: page it with count and offset, or narrow it with filter", set.Len(), h.maxExp)
		}
		exp.Total = fhir.Integer{Value: int64(set.Len()), Set: true}
		for _, id := range set.Page(offset, count) {
			page = append(page, entry{id: id, display: h.display(id, loc)})
		}
	} else {
		// A store holds fewer than 2^31 concepts: a larger offset is past
		// every hit, and bounding it keeps offset+count+1 from overflowing.
		end := min(offset, math.MaxInt32) + count
		opts := snomed.SearchOptions{Limit: end + 1, Locale: loc, IncludeInactive: activeSet && !activeOnly}
		if err := h.narrow(ctx, vs, &opts); err != nil {
			return nil, eclError(err, vs.param)
		}
		hits := h.store.Search(filter, opts)
		if len(hits) <= end {
			exp.Total = fhir.Integer{Value: int64(len(hits)), Set: true}
		} else if h.exact {
			exp.Total = fhir.Integer{Value: int64(h.store.SearchCount(filter, opts)), Set: true}
		}
		if offset < len(hits) {
			hits = hits[offset:min(len(hits), offset+count)]
		} else {
			hits = nil
		}
		for _, hit := range hits {
			e := entry{id: hit.Concept, display: hit.Preferred}
			if e.display == "" {
				e.display = h.display(hit.Concept, loc)
			}
			if opts.IncludeInactive {
				c, _ := h.store.Concept(hit.Concept)
				e.inactive = !c.Active
			}
			page = append(page, e)
		}
	}
	exp.Contains = make([]fhir.ValueSetExpansionContains, len(page))
	for i, e := range page {
		c := &exp.Contains[i]
		c.System.Value, c.Code.Value, c.Display.Value = System, idText(e.id), e.display
		if e.inactive {
			c.Inactive = fhir.Boolean{Value: true, Set: true}
		}
		if designations {
			for _, d := range h.store.Descriptions(e.id) {
				if d.Active {
					c.Designation = append(c.Designation, fhir.ValueSetComposeConceptSetConceptReferenceDesignation{
						Language: fhir.Code{Value: d.LanguageCode}, Use: h.useCoding(d.Type), Value: fhir.String{Value: d.Term}})
				}
			}
		}
	}
	out := &fhir.ValueSet{Status: fhir.Code{Value: "active"}, Expansion: exp}
	if vs.url != "" {
		out.URL.Value = vs.url
	}
	return out, nil
}

// narrow restricts a search to a value set: roots or a reference set for
// the plain forms (<< X, < X, ^ X), a per-candidate test for the other
// cheap ones, the evaluated set otherwise.
func (h *Handler) narrow(ctx context.Context, vs valueSet, opts *snomed.SearchOptions) error {
	if s, ok := vs.expr.(*ecl.Sub); ok && !s.Wildcard && s.Nested == nil && s.Alt == nil && len(s.Filters) == 0 && s.History == "" && s.Fields == nil {
		if _, known := h.store.Concept(s.Concept); !known && !(s.MemberOf && h.store.IsRefset(s.Concept)) {
			return ecl.ErrUnknownConcept
		}
		switch {
		case s.MemberOf && s.Op == ecl.Self:
			opts.Refset = s.Concept
			return nil
		case !s.MemberOf && s.Op == ecl.DescendantOrSelfOf:
			opts.Roots = []snomed.ID{s.Concept}
			return nil
		case !s.MemberOf && s.Op == ecl.DescendantOf:
			c := s.Concept
			opts.Roots = []snomed.ID{c}
			opts.Filter = func(id snomed.ID) bool { return id != c }
			return nil
		}
	}
	if s, ok := vs.expr.(*ecl.Sub); ok && s.Wildcard && s.Op == ecl.Self && !s.MemberOf && len(s.Filters) == 0 && s.History == "" {
		return nil
	}
	if cheap(vs.expr) {
		e := vs.expr
		opts.Filter = func(id snomed.ID) bool {
			in, err := ecl.ContainsExpr(ctx, h.store, e, id)
			return err == nil && in
		}
		return nil
	}
	set, err := h.sets.get(ctx, h.store, vs)
	if err != nil {
		return err
	}
	opts.Filter = set.Has
	return nil
}
