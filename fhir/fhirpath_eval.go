package fhir

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// evalCtx is what one evaluation shares: the %variables and hooks.
type evalCtx struct {
	src      string
	resource any
	root     any
	context  any
	vars     map[string][]any
	term     Terminology
	ctx      context.Context // the caller's, for the Terminology
	trace    func(name string, vals []any)
	now      time.Time
	profiles ProfileChecker
	// lenientAs: FHIRPathEnv.LenientAs
	lenientAs bool
	// hoisted holds the values of the first paths marked hoist that were
	// worked out, kept for the rest of the evaluation (made on the first:
	// most evaluations have none)
	hoisted *hoistCache
	// lambdas counts the items function arguments were evaluated for
	lambdas int
}

type hoistCache struct {
	paths [4]struct {
		n *pathNode
		v []any
		// set holds v's items by hash, made when in or contains first
		// looks in v (memberSet)
		set *itemSet
	}
	len int
}

// memberSetFrom is the size from which in and contains look an item up in
// a kept collection by hash rather than compare it with every item.
const memberSetFrom = 16

// memberSet gives the items of coll by hash when coll is the value of a
// hoisted path (the same items, not only equal ones), so that
// x.where($this in %resource.path) compares each item with the few of
// the same hash; nil for any other collection.
func (c *evalCtx) memberSet(coll []any) *itemSet {
	h := c.hoisted
	if h == nil {
		return nil
	}
	for i := 0; i < h.len; i++ {
		p := &h.paths[i]
		if len(p.v) == len(coll) && &p.v[0] == &coll[0] {
			if p.set == nil {
				p.set = newItemSet(p.v)
			}
			return p.set
		}
	}
	return nil
}

// env is the scope of one (sub)expression: $this, $index and $total.
type env struct {
	c        *evalCtx
	this     []any
	index    int64
	hasIndex bool
	total    []any
	hasTotal bool
}

func (e *env) errf(pos int, format string, a ...any) error {
	return &FHIRPathError{Expr: e.c.src, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

func eval(n fpNode, e *env, focus []any) ([]any, error) {
	switch x := n.(type) {
	case *litNode:
		return x.vals, nil
	case *memberNode:
		return navigate(e, x, focus)
	case *funcNode:
		r, err := x.fn.call(e, x, focus)
		if err == nil && len(r) > maxCollection {
			return nil, e.errf(x.pos, "%s(): more than %d items", x.name, maxCollection)
		}
		return r, err
	case *pathNode:
		if x.hoist {
			return e.hoisted(x, focus)
		}
		return evalPath(x, e, focus)
	case *indexNode:
		l, err := eval(x.left, e, focus)
		if err != nil {
			return nil, err
		}
		iv, err := eval(x.index, e, e.this)
		if err != nil {
			return nil, err
		}
		if len(iv) == 0 {
			return nil, nil
		}
		i, ok := sysVal(iv[0]).(int64)
		if len(iv) != 1 || !ok {
			return nil, e.errf(x.pos, "index must be one integer")
		}
		if i < 0 || i >= int64(len(l)) {
			return nil, nil
		}
		return []any{l[i]}, nil
	case *specialNode:
		switch x.name {
		case "$this":
			return e.this, nil
		case "$index":
			if !e.hasIndex {
				return nil, nil
			}
			return []any{e.index}, nil
		case "$total":
			return e.total, nil
		}
	case *varNode:
		return lookupVar(e, x)
	case *unaryNode:
		v, err := eval(x.arg, e, focus)
		if err != nil || len(v) == 0 {
			return nil, err
		}
		if len(v) > 1 {
			return nil, e.errf(x.pos, "unary %s on more than one item", x.op)
		}
		if x.op == "+" {
			switch sysVal(v[0]).(type) {
			case int64, FPDecimal, FPQuantity:
				return []any{sysVal(v[0])}, nil
			}
			return nil, e.errf(x.pos, "unary + on %s", typeName(v[0]))
		}
		switch y := sysVal(v[0]).(type) {
		case int64:
			return []any{-y}, nil
		case FPDecimal:
			return []any{FPDecimal{R: new(big.Rat).Neg(y.R), Scale: y.Scale}}, nil
		case FPQuantity:
			return []any{FPQuantity{Value: FPDecimal{R: new(big.Rat).Neg(y.Value.R), Scale: y.Value.Scale}, Unit: y.Unit}}, nil
		}
		return nil, e.errf(x.pos, "unary - on %s", typeName(v[0]))
	case *typeOpNode:
		l, err := eval(x.left, e, focus)
		if err != nil || len(l) == 0 {
			return nil, err
		}
		if err := checkTypeSpec(e, x.typ, x.pos); err != nil {
			return nil, err
		}
		if len(l) > 1 {
			if x.op == "as" && e.c.lenientAs {
				return filterAs(l, x.typ), nil
			}
			return nil, e.errf(x.pos, "%s on more than one item", x.op)
		}
		if x.op == "is" {
			return []any{isType(l[0], x.typ)}, nil
		}
		if asType(l[0], x.typ) {
			return l, nil
		}
		return nil, nil
	case *binNode:
		return evalBinary(e, x, focus)
	}
	return nil, fmt.Errorf("%w: unknown node %T", ErrFHIRPath, n)
}

// navigate selects the children called x.name of each item; a type name
// selects the items of that type (Patient.name on a Patient).
func evalPath(x *pathNode, e *env, focus []any) ([]any, error) {
	l, err := eval(x.left, e, focus)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		if _, ok := x.right.(*funcNode); !ok {
			return nil, nil
		}
	}
	return eval(x.right, e, l)
}

// hoisted gives the value of the hoist path x, working it out only the
// first time in the evaluation (for the first few such paths). The value
// is given capped, so that appending to it copies, as the values of
// literals are.
func (e *env) hoisted(x *pathNode, focus []any) ([]any, error) {
	h := e.c.hoisted
	if h != nil {
		for i := 0; i < h.len; i++ {
			if h.paths[i].n == x {
				return h.paths[i].v, nil
			}
		}
	}
	v, err := evalPath(x, e, focus)
	if err != nil {
		return nil, err
	}
	v = v[:len(v):len(v)]
	if h == nil {
		h = &hoistCache{}
		e.c.hoisted = h
	}
	if h.len < len(h.paths) {
		h.paths[h.len].n, h.paths[h.len].v = x, v
		h.len++
	}
	return v, nil
}

// markHoist sets hoist on the paths in function arguments (inArg) that
// start at a variable (%resource.type), which the function may otherwise
// work out again for every item of its input.
func markHoist(n fpNode, inArg bool) {
	switch x := n.(type) {
	case *pathNode:
		if inArg && constantPath(x) {
			x.hoist = true
			return
		}
		markHoist(x.left, inArg)
		markHoist(x.right, inArg)
	case *funcNode:
		for _, a := range x.args {
			markHoist(a, true)
		}
	case *binNode:
		markHoist(x.left, inArg)
		markHoist(x.right, inArg)
	case *indexNode:
		markHoist(x.left, inArg)
		markHoist(x.index, inArg)
	case *unaryNode:
		markHoist(x.arg, inArg)
	}
}

// constantPath: n is a variable followed by element names and calls of
// functions whose value depends on their input alone and that take no
// argument.
func constantPath(n fpNode) bool {
	switch x := n.(type) {
	case *varNode:
		return true
	case *pathNode:
		if !constantPath(x.left) {
			return false
		}
		switch r := x.right.(type) {
		case *memberNode:
			return true
		case *funcNode:
			return len(r.args) == 0 && inputOnly[r.name]
		}
	}
	return false
}

// inputOnly are the functions without arguments whose value is decided by
// their input alone.
var inputOnly = map[string]bool{
	"first": true, "last": true, "tail": true, "single": true, "count": true,
	"exists": true, "empty": true, "hasValue": true, "not": true,
	"children": true, "descendants": true, "distinct": true, "isDistinct": true,
}

func navigate(e *env, x *memberNode, focus []any) ([]any, error) {
	var out []any
	upper := x.name != "" && x.name[0] >= 'A' && x.name[0] <= 'Z'
	for _, it := range focus {
		switch n := it.(type) {
		case *Node:
			if upper && (n.Type == x.name || isResourceType(n.Type) && inherits(n.Type, x.name)) {
				out = append(out, n)
				continue
			}
			found := false
			for _, k := range n.kids {
				if k.Name == x.name {
					out = append(out, k)
					found = true
				}
			}
			if !found && !upper {
				// lenient: a choice element by its typed name (valueQuantity),
				// but not an element that only starts the same
				// (TestScript's response, a code, is not responseCode)
				for _, k := range n.kids {
					if len(x.name) > len(k.Name) && strings.HasPrefix(x.name, k.Name) && k.Type != "" && x.name[len(k.Name):] == strings.ToUpper(k.Type[:1])+k.Type[1:] && choiceElem(nodeTypeInfo(n.Type), k.Name) {
						out = append(out, k)
					}
				}
			}
		case FPType:
			switch x.name {
			case "name":
				out = append(out, n.Name)
			case "namespace":
				out = append(out, n.Namespace)
			}
		}
	}
	return out, nil
}

// choiceElem reports whether name is a choice element (value[x]) of type
// ti; of a type the tables do not know, any element may be one.
func choiceElem(ti *typeInfo, name string) bool {
	if ti == nil || ti == primitiveElement {
		return ti == nil
	}
	e := ti.byName[name]
	return e == nil || e.Choice
}

var wellKnownVars = map[string]string{
	"sct":   "http://snomed.info/sct",
	"loinc": "http://loinc.org",
	"ucum":  "http://unitsofmeasure.org",
}

func lookupVar(e *env, x *varNode) ([]any, error) {
	switch x.name {
	case "resource":
		return one(e.c.resource), nil
	case "rootResource":
		return one(e.c.root), nil
	case "context":
		return one(e.c.context), nil
	}
	if v, ok := e.c.vars[x.name]; ok {
		return v, nil
	}
	if s, ok := wellKnownVars[x.name]; ok {
		return []any{s}, nil
	}
	if strings.HasPrefix(x.name, "vs-") {
		return []any{"http://hl7.org/fhir/ValueSet/" + x.name[3:]}, nil
	}
	if strings.HasPrefix(x.name, "ext-") {
		return []any{"http://hl7.org/fhir/StructureDefinition/" + x.name[4:]}, nil
	}
	return nil, e.errf(x.pos, "unknown variable %%%s", x.name)
}

func one(v any) []any {
	if v == nil {
		return nil
	}
	return []any{v}
}

// sysVal returns the system value of a FHIR primitive node; other items
// are returned as they are.
func sysVal(v any) any {
	if n, ok := v.(*Node); ok && n.hasVal() {
		return n.value()
	}
	return v
}

// noValue reports whether v is a primitive element without a value (only
// an id or extensions). Where an operator or function needs the value, it
// is empty, as fhirpath.js has it (3.18.0: "gender + 'x'" is empty for a
// gender with only an extension; "gender & 'x'" is 'x'; convertsToString()
// is false; iif() takes it as no criterion); it is still an element to
// exists(), hasValue(), is, as, = and the navigation, and a single element
// where a Boolean is expected, so true (FHIRPath N1 §4.5, singleton
// evaluation: fhirpath.js's and, or, implies, xor and not() give empty
// there instead, and its where() true).
func noValue(v any) bool {
	n, ok := v.(*Node)
	return ok && !n.hasVal() && isPrimitiveType(n.Type)
}

// quantityTypes are the FHIR types that are a Quantity.
var quantityTypes = map[string]bool{"Quantity": true, "Age": true, "Distance": true, "Duration": true, "Count": true, "SimpleQuantity": true, "MoneyQuantity": true}

// quantityOf reads a FHIR Quantity element, or a system Quantity, as a
// system Quantity (the UCUM code when the system is UCUM, else the unit).
func quantityOf(v any) (FPQuantity, bool) {
	switch x := v.(type) {
	case FPQuantity:
		return x, true
	case *Node:
		if !quantityTypes[x.Type] {
			return FPQuantity{}, false
		}
		vn := x.first("value")
		if vn == nil || !vn.hasVal() {
			return FPQuantity{}, false
		}
		var d FPDecimal
		switch y := vn.value().(type) {
		case FPDecimal:
			d = y
		case int64:
			d = decFromInt(y)
		default:
			return FPDecimal{}.quantity(), false
		}
		unit := x.str("code")
		if x.str("system") != "http://unitsofmeasure.org" && unit == "" || unit == "" {
			unit = x.str("unit")
		}
		if unit == "" {
			unit = "1"
		}
		return FPQuantity{Value: d, Unit: unit}, true
	}
	return FPQuantity{}, false
}

func (d FPDecimal) quantity() FPQuantity { return FPQuantity{Value: d} }

// singleBool evaluates a collection as one Boolean: empty is unknown, a
// single non-Boolean item is true (https://hl7.org/fhirpath/N1/#singleton-evaluation-of-collections).
func singleBool(e *env, v []any, pos int, what string) (b, known bool, err error) {
	switch len(v) {
	case 0:
		return false, false, nil
	case 1:
		if x, ok := sysVal(v[0]).(bool); ok {
			return x, true, nil
		}
		return true, true, nil
	}
	return false, false, e.errf(pos, "%s: expected one boolean, got %d items", what, len(v))
}

func evalBinary(e *env, x *binNode, focus []any) ([]any, error) {
	switch x.op {
	case "and", "or", "xor", "implies":
		return evalLogic(e, x, focus)
	}
	l, err := eval(x.left, e, focus)
	if err != nil {
		return nil, err
	}
	r, err := eval(x.right, e, focus)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "|":
		return union(l, r), nil
	case "=", "!=":
		if len(l) == 0 || len(r) == 0 {
			return nil, nil
		}
		eq, known := eqColl(l, r)
		if !known {
			return nil, nil
		}
		return boolColl(eq == (x.op == "=")), nil
	case "~", "!~":
		eq, err := eqvColl(e, x.pos, x.op, l, r)
		if err != nil {
			return nil, err
		}
		return boolColl(eq == (x.op == "~")), nil
	case "in", "contains":
		coll, item := r, l
		if x.op == "contains" {
			coll, item = l, r
		}
		if len(item) == 0 {
			return nil, nil
		}
		if len(item) > 1 {
			return nil, e.errf(x.pos, "%s: more than one item to look for", x.op)
		}
		if len(coll) >= memberSetFrom {
			if set := e.c.memberSet(coll); set != nil {
				return boolColl(set.has(item[0])), nil
			}
		}
		for _, c := range coll {
			if eq, _ := eqItem(item[0], c); eq {
				return boolColl(true), nil
			}
		}
		return boolColl(false), nil
	case "<", ">", "<=", ">=":
		if len(l) == 0 || len(r) == 0 {
			return nil, nil
		}
		if len(l) > 1 || len(r) > 1 {
			return nil, e.errf(x.pos, "%s: operands must be single items", x.op)
		}
		if noValue(l[0]) || noValue(r[0]) {
			return nil, nil
		}
		c, known, err := cmpItem(l[0], r[0])
		if err != nil {
			return nil, e.errf(x.pos, "%s: %v", x.op, err)
		}
		if !known {
			return nil, nil
		}
		var b bool
		switch x.op {
		case "<":
			b = c < 0
		case ">":
			b = c > 0
		case "<=":
			b = c <= 0
		case ">=":
			b = c >= 0
		}
		return []any{b}, nil
	case "&":
		if len(l) > 1 || len(r) > 1 {
			return nil, e.errf(x.pos, "&: operands must be single items")
		}
		var s string
		for _, v := range [][]any{l, r} {
			if len(v) == 1 && !noValue(v[0]) {
				t, ok := sysVal(v[0]).(string)
				if !ok {
					return nil, e.errf(x.pos, "&: %s is not a string", typeName(v[0]))
				}
				s += t
			}
		}
		return []any{s}, nil
	}
	if len(l) == 0 || len(r) == 0 {
		return nil, nil
	}
	if len(l) > 1 || len(r) > 1 {
		return nil, e.errf(x.pos, "%s: operands must be single items", x.op)
	}
	if noValue(l[0]) || noValue(r[0]) {
		return nil, nil
	}
	v, err := arith(x.op, l[0], r[0])
	if err != nil {
		return nil, e.errf(x.pos, "%v", err)
	}
	return one(v), nil
}

func evalLogic(e *env, x *binNode, focus []any) ([]any, error) {
	l, err := eval(x.left, e, focus)
	if err != nil {
		return nil, err
	}
	a, ak, err := singleBool(e, l, x.pos, x.op)
	if err != nil {
		return nil, err
	}
	// short cuts that need not look at the right
	switch {
	case x.op == "and" && ak && !a:
		return boolColl(false), nil
	case x.op == "or" && ak && a:
		return boolColl(true), nil
	case x.op == "implies" && ak && !a:
		return boolColl(true), nil
	}
	r, err := eval(x.right, e, focus)
	if err != nil {
		return nil, err
	}
	b, bk, err := singleBool(e, r, x.pos, x.op)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "and":
		if bk && !b {
			return boolColl(false), nil
		}
		if ak && bk {
			return boolColl(true), nil
		}
	case "or":
		if bk && b {
			return boolColl(true), nil
		}
		if ak && bk {
			return boolColl(false), nil
		}
	case "xor":
		if ak && bk {
			return boolColl(a != b), nil
		}
	case "implies":
		if bk && b {
			return boolColl(true), nil
		}
		if ak && bk {
			return boolColl(false), nil
		}
	}
	return nil, nil
}

func containsItem(coll []any, x any) bool {
	for _, c := range coll {
		if eq, _ := eqItem(c, x); eq {
			return true
		}
	}
	return false
}

func eqColl(l, r []any) (bool, bool) {
	if len(l) != len(r) {
		return false, true
	}
	for i := range l {
		eq, known := eqItem(l[i], r[i])
		if !known {
			return false, false
		}
		if !eq {
			return false, true
		}
	}
	return true, true
}

// eqItem is FHIRPath equality of two items: equal, and whether it is known.
func eqItem(a, b any) (bool, bool) {
	a, b = sysVal(a), sysVal(b)
	if qa, ok := quantityOf(a); ok {
		if qb, ok := quantityOf(b); ok {
			if calendarUnits[qa.Unit] != "" && calendarUnits[qb.Unit] == "" && (calendarUnits[qa.Unit] == "year" || calendarUnits[qa.Unit] == "month") ||
				calendarUnits[qb.Unit] != "" && calendarUnits[qa.Unit] == "" && (calendarUnits[qb.Unit] == "year" || calendarUnits[qb.Unit] == "month") {
				return false, false
			}
			c, ok := cmpQuantity(qa, qb)
			if !ok {
				return false, false
			}
			return c == 0, true
		}
	}
	switch x := a.(type) {
	case bool:
		y, ok := b.(bool)
		return ok && x == y, true
	case string:
		y, ok := b.(string)
		return ok && x == y, true
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y, true
		case FPDecimal:
			return decFromInt(x).R.Cmp(y.R) == 0, true
		}
		return false, true
	case FPDecimal:
		switch y := b.(type) {
		case int64:
			return x.R.Cmp(decFromInt(y).R) == 0, true
		case FPDecimal:
			return x.R.Cmp(y.R) == 0, true
		}
		return false, true
	case FPTemporal:
		y, ok := b.(FPTemporal)
		if !ok || (x.Kind == 't') != (y.Kind == 't') {
			return false, true
		}
		c, known := cmpTemporal(x, y)
		if !known {
			return false, false
		}
		return c == 0, true
	case FPType:
		y, ok := b.(FPType)
		return ok && x == y, true
	case *Node:
		y, ok := b.(*Node)
		if !ok {
			return false, true
		}
		if x == y {
			return true, true
		}
		if len(x.kids) != len(y.kids) || x.hasVal() || y.hasVal() {
			return false, true
		}
		for i := range x.kids {
			if x.kids[i].Name != y.kids[i].Name {
				return false, true
			}
			if eq, known := eqItem(x.kids[i], y.kids[i]); !eq || !known {
				return false, true
			}
		}
		return true, true
	}
	return false, true
}

// eqvColl is equivalence of collections: the same items in any order.
// Equivalence (a decimal equals another at the lesser precision) is not
// looked up by hash as equality is, so the items are compared pair by
// pair: past maxEquivalenceWork comparisons it gives up with an error,
// and it stops when the context ends.
func eqvColl(e *env, pos int, op string, l, r []any) (bool, error) {
	if len(l) != len(r) {
		return false, nil
	}
	// the items of r not matched yet, in order: each is matched to the
	// first unmatched one equivalent to it
	next := make([]int, len(r)+1) // next[0] is the first, 1 + index
	for j := range next {
		next[j] = j + 1
	}
	work := 0
outer:
	for _, a := range l {
		for prev, j := 0, next[0]; j <= len(r); prev, j = j, next[j] {
			if work++; work%65536 == 0 {
				if work > maxEquivalenceWork {
					return false, e.errf(pos, "%s: collections of %d items take too many comparisons", op, len(l))
				}
				if err := e.c.ctx.Err(); err != nil {
					return false, err
				}
			}
			if eqvItem(a, r[j-1]) {
				next[prev] = next[j]
				continue outer
			}
		}
		return false, nil
	}
	return true, nil
}

// maxEquivalenceWork bounds the comparisons of eqvColl: a thousand items
// each side compared every one with every other, far more than ~ is ever
// given (a comparison of decimals takes a microsecond or two).
const maxEquivalenceWork = 1000000

func normSpace(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func eqvItem(a, b any) bool {
	a, b = sysVal(a), sysVal(b)
	if qa, ok := quantityOf(a); ok {
		if qb, ok := quantityOf(b); ok {
			c, ok := cmpQuantity(qa, qb)
			if ok && c == 0 {
				return true
			}
			// equal at the lesser precision
			ra, da, ok1 := qa.canon()
			rb, db, ok2 := qb.canon()
			if ok1 && ok2 && da == db {
				s := qa.Value.Scale
				if qb.Value.Scale < s {
					s = qb.Value.Scale
				}
				x, y := FPDecimal{R: ra}.round(s), FPDecimal{R: rb}.round(s)
				return x.R.Cmp(y.R) == 0
			}
			return false
		}
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && normSpace(x) == normSpace(y)
	case int64, FPDecimal:
		if xi, ok := x.(int64); ok {
			if yi, ok := b.(int64); ok {
				return xi == yi // both at precision 0
			}
		}
		dx, ok1 := toDec(x)
		dy, ok2 := toDec(b)
		if !ok1 || !ok2 {
			return false
		}
		s := dx.Scale
		if dy.Scale < s {
			s = dy.Scale
		}
		return dx.round(s).R.Cmp(dy.round(s).R) == 0
	case FPTemporal:
		y, ok := b.(FPTemporal)
		if !ok {
			return false
		}
		c, known := cmpTemporal(x, y)
		return known && c == 0
	case *Node:
		y, ok := b.(*Node)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if len(x.kids) != len(y.kids) {
			return false
		}
		for i := range x.kids {
			if x.kids[i].Name != y.kids[i].Name || !eqvItem(x.kids[i], y.kids[i]) {
				return false
			}
		}
		return true
	}
	eq, _ := eqItem(a, b)
	return eq
}

func toDec(v any) (FPDecimal, bool) {
	switch x := sysVal(v).(type) {
	case int64:
		return decFromInt(x), true
	case FPDecimal:
		return x, true
	}
	return FPDecimal{}, false
}

// cmpItem orders two items of comparable types.
func cmpItem(a, b any) (int, bool, error) {
	a, b = sysVal(a), sysVal(b)
	if qa, ok := quantityOf(a); ok {
		qb, ok := quantityOf(b)
		if !ok {
			return 0, false, fmt.Errorf("cannot compare a quantity with %s", typeName(b))
		}
		c, ok := cmpQuantity(qa, qb)
		return c, ok, nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true, nil
		}
	case int64, FPDecimal:
		dx, _ := toDec(x)
		if dy, ok := toDec(b); ok {
			return dx.R.Cmp(dy.R), true, nil
		}
	case FPTemporal:
		if y, ok := b.(FPTemporal); ok && (x.Kind == 't') == (y.Kind == 't') {
			c, known := cmpTemporal(x, y)
			return c, known, nil
		}
	}
	return 0, false, fmt.Errorf("cannot compare %s with %s", typeName(a), typeName(b))
}

func arith(op string, a, b any) (any, error) {
	a, b = sysVal(a), sysVal(b)
	if t, ok := a.(FPTemporal); ok {
		q, ok := quantityOf(b)
		if !ok || (op != "+" && op != "-") {
			return nil, fmt.Errorf("%s: cannot apply to %s and %s", op, typeName(a), typeName(b))
		}
		if op == "-" {
			q.Value = FPDecimal{R: new(big.Rat).Neg(q.Value.R), Scale: q.Value.Scale}
		}
		return addTemporal(t, q)
	}
	if qa, ok := quantityOf(a); ok {
		return arithQuantity(op, qa, b)
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok && op == "+" {
			return sa + sb, nil
		}
		return nil, fmt.Errorf("%s: cannot apply to %s and %s", op, typeName(a), typeName(b))
	}
	ia, aInt := a.(int64)
	ib, bInt := b.(int64)
	if aInt && bInt {
		switch op {
		case "+":
			return ia + ib, nil
		case "-":
			return ia - ib, nil
		case "*":
			return ia * ib, nil
		case "div":
			if ib == 0 {
				return nil, nil
			}
			return ia / ib, nil
		case "mod":
			if ib == 0 {
				return nil, nil
			}
			return ia % ib, nil
		}
	}
	if qb, ok := quantityOf(b); ok && op == "*" {
		return arithQuantity(op, qb, a)
	}
	da, ok1 := toDec(a)
	db, ok2 := toDec(b)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: cannot apply to %s and %s", op, typeName(a), typeName(b))
	}
	scale := da.Scale
	if db.Scale > scale {
		scale = db.Scale
	}
	r := new(big.Rat)
	switch op {
	case "+":
		return FPDecimal{R: r.Add(da.R, db.R), Scale: scale}, nil
	case "-":
		return FPDecimal{R: r.Sub(da.R, db.R), Scale: scale}, nil
	case "*":
		return FPDecimal{R: r.Mul(da.R, db.R), Scale: da.Scale + db.Scale}, nil
	case "/":
		if db.R.Sign() == 0 {
			return nil, nil
		}
		return trimmed(r.Quo(da.R, db.R)), nil
	case "div":
		if db.R.Sign() == 0 {
			return nil, nil
		}
		q := r.Quo(da.R, db.R)
		return new(big.Int).Quo(q.Num(), q.Denom()).Int64(), nil
	case "mod":
		if db.R.Sign() == 0 {
			return nil, nil
		}
		q := r.Quo(da.R, db.R)
		n := new(big.Int).Quo(q.Num(), q.Denom())
		m := new(big.Rat).Sub(da.R, new(big.Rat).Mul(new(big.Rat).SetInt(n), db.R))
		return FPDecimal{R: m, Scale: scale}, nil
	}
	return nil, fmt.Errorf("%s: cannot apply to numbers", op)
}

func arithQuantity(op string, a FPQuantity, bv any) (any, error) {
	if d, ok := toDec(bv); ok {
		switch op {
		case "*":
			return FPQuantity{Value: FPDecimal{R: new(big.Rat).Mul(a.Value.R, d.R), Scale: a.Value.Scale + d.Scale}, Unit: a.Unit}, nil
		case "/":
			if d.R.Sign() == 0 {
				return nil, nil
			}
			return FPQuantity{Value: trimmed(new(big.Rat).Quo(a.Value.R, d.R)), Unit: a.Unit}, nil
		}
		return nil, fmt.Errorf("%s: cannot apply to a quantity and a number", op)
	}
	b, ok := quantityOf(bv)
	if !ok {
		return nil, fmt.Errorf("%s: cannot apply to a quantity and %s", op, typeName(bv))
	}
	switch op {
	case "+", "-":
		if a.Unit != b.Unit {
			ra, da, ok1 := a.canon()
			rb, db, ok2 := b.canon()
			ua, _ := ucumParse(a.Unit)
			if !ok1 || !ok2 || da != db || ua.f.Sign() == 0 {
				return nil, nil
			}
			// the result in a's unit: the canonical sum over a's unit's
			// factor (a's value may be zero)
			f := ua.f
			var s *big.Rat
			if op == "+" {
				s = new(big.Rat).Add(ra, rb)
			} else {
				s = new(big.Rat).Sub(ra, rb)
			}
			return FPQuantity{Value: trimmed(s.Quo(s, f)), Unit: a.Unit}, nil
		}
		r := new(big.Rat)
		if op == "+" {
			r.Add(a.Value.R, b.Value.R)
		} else {
			r.Sub(a.Value.R, b.Value.R)
		}
		s := a.Value.Scale
		if b.Value.Scale > s {
			s = b.Value.Scale
		}
		return FPQuantity{Value: FPDecimal{R: r, Scale: s}, Unit: a.Unit}, nil
	case "*":
		return FPQuantity{Value: FPDecimal{R: new(big.Rat).Mul(a.Value.R, b.Value.R), Scale: a.Value.Scale + b.Value.Scale}, Unit: ucumOf(a.Unit) + "." + ucumOf(b.Unit)}, nil
	case "/":
		if b.Value.R.Sign() == 0 {
			return nil, nil
		}
		return FPQuantity{Value: trimmed(new(big.Rat).Quo(a.Value.R, b.Value.R)), Unit: ucumOf(a.Unit) + "/" + ucumOf(b.Unit)}, nil
	}
	return nil, fmt.Errorf("%s: cannot apply to quantities", op)
}

func ucumOf(u string) string {
	if c, ok := calendarUCUM[calendarUnits[u]]; ok {
		return c
	}
	return u
}

// addTemporal adds a time-valued quantity to a date, dateTime or time,
// keeping its precision.
func addTemporal(t FPTemporal, q FPQuantity) (any, error) {
	unit := calendarUnits[q.Unit]
	if unit == "" {
		for k, v := range calendarUCUM {
			if v == q.Unit {
				unit = k
			}
		}
	}
	if unit == "" {
		return nil, fmt.Errorf("cannot add %s to a date or time", q.String())
	}
	n := new(big.Int).Quo(q.Value.R.Num(), q.Value.R.Denom()).Int64()
	y, mo, d := t.Y, t.Mo, t.D
	if t.Prec < precMonth {
		mo = 1
	}
	if t.Prec < precDayT {
		d = 1
	}
	if t.Kind == 't' {
		y, mo, d = 2000, 1, 1
	}
	g := time.Date(y, time.Month(mo), d, t.H, t.Mi, t.S, t.Ms*1e6, time.UTC)
	switch unit {
	case "year":
		g = addMonths(g, int(n)*12)
	case "month":
		g = addMonths(g, int(n))
	case "week":
		g = g.AddDate(0, 0, int(n)*7)
	case "day":
		g = g.AddDate(0, 0, int(n))
	case "hour":
		g = g.Add(time.Duration(n) * time.Hour)
	case "minute":
		g = g.Add(time.Duration(n) * time.Minute)
	case "second":
		g = g.Add(time.Duration(n) * time.Second)
	case "millisecond":
		g = g.Add(time.Duration(n) * time.Millisecond)
	}
	out := t
	if t.Kind != 't' {
		out.Y, out.Mo, out.D = g.Year(), int(g.Month()), g.Day()
	}
	out.H, out.Mi, out.S, out.Ms = g.Hour(), g.Minute(), g.Second(), g.Nanosecond()/1e6
	return out, nil
}

// addMonths adds months, clamping the day to the month's last.
func addMonths(g time.Time, n int) time.Time {
	y, m, d := g.Date()
	total := int(m) - 1 + n
	ny := y + total/12
	nm := total % 12
	if nm < 0 {
		nm += 12
		ny--
	}
	if dd := daysIn(ny, nm+1); d > dd {
		d = dd
	}
	return time.Date(ny, time.Month(nm+1), d, g.Hour(), g.Minute(), g.Second(), g.Nanosecond(), time.UTC)
}

// typeName names an item's type for messages.
func typeName(v any) string {
	t := typeOf(v)
	return t.Namespace + "." + t.Name
}

// typeOf is the type() of an item.
func typeOf(v any) FPType {
	switch x := v.(type) {
	case bool:
		return FPType{"System", "Boolean"}
	case string:
		return FPType{"System", "String"}
	case int64:
		return FPType{"System", "Integer"}
	case FPDecimal:
		return FPType{"System", "Decimal"}
	case FPQuantity:
		return FPType{"System", "Quantity"}
	case FPTemporal:
		switch x.Kind {
		case 'D':
			return FPType{"System", "Date"}
		case 'T':
			return FPType{"System", "DateTime"}
		}
		return FPType{"System", "Time"}
	case FPType:
		return FPType{"System", "Object"}
	case *Node:
		if strings.Contains(x.Type, ".") {
			return FPType{"FHIR", "BackboneElement"}
		}
		return FPType{"FHIR", x.Type}
	}
	return FPType{"System", "Any"}
}

var systemTypes = map[string]bool{"Boolean": true, "String": true, "Integer": true, "Decimal": true, "Date": true, "DateTime": true, "Time": true, "Quantity": true, "Any": true}

// fhirParent gives each FHIR type its base type, for is().
func fhirParent(t string) string {
	switch t {
	case "code", "id", "markdown", "uri", "base64Binary":
		if t == "id" || t == "code" || t == "markdown" {
			return "string"
		}
		return "Element"
	case "url", "canonical", "oid", "uuid":
		return "uri"
	case "positiveInt", "unsignedInt":
		return "integer"
	case "Age", "Distance", "Duration", "Count", "SimpleQuantity", "MoneyQuantity":
		return "Quantity"
	case "Resource":
		return ""
	case "DomainResource", "Bundle", "Parameters", "Binary":
		return "Resource"
	case "Element":
		return "Base"
	case "BackboneElement":
		return "Element"
	}
	if isResourceType(t) {
		return "DomainResource"
	}
	if strings.Contains(t, ".") {
		return "BackboneElement"
	}
	return "Element"
}

// inherits reports whether FHIR type t is want or derives from it.
func inherits(t, want string) bool {
	for i := 0; t != "" && i < 10; i++ {
		if t == want {
			return true
		}
		t = fhirParent(t)
	}
	return false
}

// knownType reports whether a type specifier names a type.
func knownType(ts typeSpec) bool {
	switch ts.ns {
	case "System":
		return systemTypes[ts.name]
	case "FHIR":
		return typeTable[ts.name] != nil || fhirPrimitive[ts.name] || fhirAbstract[ts.name]
	case "":
		return systemTypes[ts.name] || typeTable[ts.name] != nil || fhirPrimitive[ts.name] || fhirAbstract[ts.name]
	}
	return false
}

var fhirPrimitive = map[string]bool{
	"boolean": true, "integer": true, "string": true, "decimal": true, "uri": true, "url": true, "canonical": true,
	"base64Binary": true, "instant": true, "date": true, "dateTime": true, "time": true, "code": true, "oid": true,
	"id": true, "markdown": true, "unsignedInt": true, "positiveInt": true, "uuid": true, "xhtml": true,
}

var fhirAbstract = map[string]bool{"Resource": true, "DomainResource": true, "Element": true, "BackboneElement": true, "Base": true,
	"Age": true, "Distance": true, "Duration": true, "Count": true, "SimpleQuantity": true, "MoneyQuantity": true, "Quantity": true}

func checkTypeSpec(e *env, ts typeSpec, pos int) error {
	if !knownType(ts) && ts.ns == "" {
		return e.errf(pos, "unknown type %s", ts)
	}
	return nil
}

// isType is the is operator: the item's type is ts or derives from it.
func isType(v any, ts typeSpec) bool {
	t := typeOf(v)
	if ts.ns != "" && ts.ns != t.Namespace {
		return false
	}
	if t.Namespace == "System" {
		return t.Name == ts.name
	}
	n := v.(*Node)
	return inherits(n.Type, ts.name) || t.Name == ts.name
}

// asType is as/ofType: for FHIR primitives the exact type, otherwise is.
func asType(v any, ts typeSpec) bool {
	t := typeOf(v)
	if t.Namespace == "FHIR" && fhirPrimitive[t.Name] {
		return (ts.ns == "" || ts.ns == "FHIR") && t.Name == ts.name
	}
	return isType(v, ts)
}

// filterAs is ofType, and as on a collection under FHIRPathEnv.LenientAs:
// the items of type ts.
func filterAs(in []any, ts typeSpec) []any {
	var out []any
	for _, it := range in {
		if asType(it, ts) {
			out = append(out, it)
		}
	}
	return out
}
