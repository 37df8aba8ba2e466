package fhir

// Go closures for the shapes of constraint most invariants take, so that
// ValidateProfiles does not run the interpreter (and allocate) for them on
// every element. A closure gives exactly what EvaluateBool gives for the
// same expression on a Node; shapes it cannot prove equal are left to the
// interpreter (fastBool returns nil).
//
// Shapes compiled:
//   - ele-1, "hasValue() or (children().count() > id.count())": a value, or
//     a child other than id (children() counts every child; id.count()
//     counts the children named id).
//   - a path of lower-case element names ending in exists() or empty()
//     without arguments ("contained.meta.versionId.empty()",
//     "text.`div`.exists()"): always one Boolean.
//   - hasValue() and htmlChecks() on the focus.
//   - and, or, xor, implies, = and != between two such Booleans, and not()
//     after one: both sides are always known, so three-valued logic
//     reduces to Go's.
//   - R4's dom-3 on a resource (dom3), written out by hand: the
//     interpreter walks the whole resource four times per contained one.
//     TestDom3MatchesInterpreter holds it to the interpreter's answer.

// fastPred is a compiled constraint: the value EvaluateBool would give,
// always known.
type fastPred func(n *Node) bool

const ele1Expr = "hasValue() or (children().count() > id.count())"

// fastBool compiles p into a closure, or gives nil.
func fastBool(p *FHIRPath) fastPred {
	if p == nil {
		return nil
	}
	if p.src == ele1Expr {
		return ele1
	}
	return fastNode(p.root)
}

// nodeText is sysVal(n).(string): the text of a string-valued node, ""
// for any other, without boxing the text when the value is still lazy.
func nodeText(n *Node) string {
	if n.lazy {
		switch n.Type {
		case "boolean", "integer", "positiveInt", "unsignedInt", "integer64", "decimal", "date", "dateTime", "instant", "time":
		default:
			// primitiveValue gives the text itself for these types
			return n.raw
		}
	}
	s, _ := sysVal(n).(string)
	return s
}

func ele1(n *Node) bool {
	if n.hasVal() {
		return true
	}
	for _, k := range n.kids {
		if k.Name != "id" {
			return true
		}
	}
	return false
}

func fastNode(n fpNode) fastPred {
	switch x := n.(type) {
	case *funcNode:
		if x.name == "hasValue" && len(x.args) == 0 {
			return func(n *Node) bool { return n.hasVal() }
		}
		if x.name == "htmlChecks" && len(x.args) == 0 {
			// txt-1, txt-2: as the function does on its one input
			return func(n *Node) bool {
				return xhtmlProblem(nodeText(n)) == ""
			}
		}
	case *pathNode:
		// (bool).not()
		if f, ok := x.right.(*funcNode); ok && f.name == "not" && len(f.args) == 0 {
			if l := fastNode(x.left); l != nil {
				return func(n *Node) bool { return !l(n) }
			}
		}
		return fastPath(x)
	case *binNode:
		l, r := fastNode(x.left), fastNode(x.right)
		if l == nil || r == nil {
			return nil
		}
		switch x.op {
		case "and":
			return func(n *Node) bool { return l(n) && r(n) }
		case "or":
			return func(n *Node) bool { return l(n) || r(n) }
		case "xor", "!=":
			return func(n *Node) bool { return l(n) != r(n) }
		case "=":
			return func(n *Node) bool { return l(n) == r(n) }
		case "implies":
			return func(n *Node) bool { return !l(n) || r(n) }
		}
	}
	return nil
}

// fastPath compiles name.name...exists() / empty().
func fastPath(x *pathNode) fastPred {
	f, ok := x.right.(*funcNode)
	if !ok || len(f.args) != 0 || f.name != "exists" && f.name != "empty" {
		return nil
	}
	names, ok := memberChain(x.left)
	if !ok || len(names) > 64 {
		return nil
	}
	typed := uint64(0)
	for i, name := range names {
		if !lowerOnly(name) {
			typed |= 1 << i
		}
	}
	if f.name == "exists" {
		return func(n *Node) bool { return pathAny(n, names, typed) }
	}
	return func(n *Node) bool { return !pathAny(n, names, typed) }
}

// pathAny reports whether navigating names from n reaches any element, by
// the rules of navigate: the children with that name, or, when an item
// has none, a choice element by its typed name (valueQuantity). Bit i of
// typed is clear when names[i] cannot be a typed name (lowerOnly), so the
// second search is left out at that step.
func pathAny(n *Node, names []string, typed uint64) bool {
	if len(names) == 0 {
		return true
	}
	name := names[0]
	found := false
	for _, k := range n.kids {
		if k.Name == name {
			found = true
			if pathAny(k, names[1:], typed>>1) {
				return true
			}
		}
	}
	if found || typed&1 == 0 {
		return false
	}
	for _, k := range n.kids {
		if choiceNamed(k, name) && pathAny(k, names[1:], typed>>1) {
			return true
		}
	}
	return false
}

// lowerOnly: every byte of name is a lower-case ASCII letter, so it is no
// element's typed name (choiceNamed wants upperASCII of a type's first
// letter after the element's name, never a lower-case letter).
func lowerOnly(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] < 'a' || name[i] > 'z' {
			return false
		}
	}
	return true
}

// choiceNamed is navigate's lenient match of a choice element by its typed
// name.
func choiceNamed(k *Node, name string) bool {
	if len(name) <= len(k.Name) || k.Type == "" || name[:len(k.Name)] != k.Name {
		return false
	}
	t := name[len(k.Name):]
	return len(t) == len(k.Type) && t[0] == upperASCII(k.Type[0]) && t[1:] == k.Type[1:]
}

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// guardPred answers a constraint when it can from a few elements
// (decided), leaving the rest to the interpreter. Where it decides, it
// gives what EvaluateBool gives with no Trace callback set (trace() has
// nothing to report then): ValidateProfiles sets none.
//
// Beyond fastNode's shapes it decides:
//   - path.hasValue(): one element there, with a value;
//   - path.startsWith('literal') when the path reaches one string;
//   - path.<where|select|first|last|tail|trace('literal')>...empty() or
//     exists() when the leading element names reach nothing (where(),
//     select() and the rest give nothing for nothing);
//   - and, or, implies by the left side alone where FHIRPath's
//     three-valued logic does (false and _, true or _, false implies _),
//     as evalLogic short-cuts; otherwise from both sides if both decide;
//   - not() of a decided Boolean.
type guardPred func(n *Node) (b, decided bool)

// guardBool compiles p into a guard, or gives nil when no part of it can
// be decided without the interpreter.
func guardBool(p *FHIRPath) guardPred {
	if p == nil {
		return nil
	}
	return guardNode(p.root)
}

func guardNode(n fpNode) guardPred {
	if f := fastNode(n); f != nil {
		return func(n *Node) (bool, bool) { return f(n), true }
	}
	switch x := n.(type) {
	case *pathNode:
		f, ok := x.right.(*funcNode)
		if !ok {
			return nil
		}
		if f.name == "not" && len(f.args) == 0 {
			if l := guardNode(x.left); l != nil {
				return func(n *Node) (bool, bool) {
					b, ok := l(n)
					return !b, ok
				}
			}
			return nil
		}
		if names, ok := memberChain(x.left); ok {
			switch {
			case f.name == "hasValue" && len(f.args) == 0:
				return func(n *Node) (bool, bool) {
					one, count := pathFirst2(n, names)
					return count == 1 && one.hasVal(), true
				}
			case f.name == "startsWith" && len(f.args) == 1:
				lit, ok := f.args[0].(*litNode)
				if !ok || len(lit.vals) != 1 {
					return nil
				}
				prefix, ok := lit.vals[0].(string)
				if !ok {
					return nil
				}
				return func(n *Node) (bool, bool) {
					one, count := pathFirst2(n, names)
					if count != 1 {
						return false, false
					}
					s, ok := sysVal(one).(string)
					if !ok {
						return false, false
					}
					return len(s) >= len(prefix) && s[:len(prefix)] == prefix, true
				}
			}
		}
		if f.name == "empty" || f.name == "exists" {
			if len(f.args) != 0 {
				return nil
			}
			lead, ok := emptyChain(x.left)
			if !ok || len(lead) == 0 {
				return nil
			}
			empty := f.name == "empty"
			return func(n *Node) (bool, bool) {
				if _, count := pathFirst2(n, lead); count == 0 {
					return empty, true
				}
				return false, false
			}
		}
	case *binNode:
		switch x.op {
		case "and", "or", "implies", "xor":
		default:
			return nil
		}
		l := guardNode(x.left)
		if l == nil {
			return nil
		}
		r := guardNode(x.right)
		op := x.op
		return func(n *Node) (bool, bool) {
			a, ok := l(n)
			if !ok {
				return false, false
			}
			switch {
			case op == "and" && !a:
				return false, true
			case op == "or" && a:
				return true, true
			case op == "implies" && !a:
				return true, true
			}
			if r == nil {
				return false, false
			}
			b, ok := r(n)
			if !ok {
				return false, false
			}
			switch op {
			case "and":
				return a && b, true
			case "or":
				return a || b, true
			case "implies":
				return !a || b, true
			}
			return a != b, true
		}
	}
	return nil
}

// memberChain gives the names of a path of lower-case element names.
func memberChain(n fpNode) ([]string, bool) {
	var names []string
	var walk func(n fpNode) bool
	walk = func(n fpNode) bool {
		switch y := n.(type) {
		case *memberNode:
			if y.name == "" || !(y.name[0] >= 'a' && y.name[0] <= 'z') {
				return false
			}
			names = append(names, internName(y.name))
			return true
		case *pathNode:
			return walk(y.left) && walk(y.right)
		}
		return false
	}
	ok := walk(n)
	return names, ok
}

// emptyChain takes a path of element names followed by functions that
// give nothing for nothing, and gives its leading names.
func emptyChain(n fpNode) ([]string, bool) {
	var steps []fpNode
	var flat func(n fpNode)
	flat = func(n fpNode) {
		if p, ok := n.(*pathNode); ok {
			flat(p.left)
			flat(p.right)
			return
		}
		steps = append(steps, n)
	}
	flat(n)
	var lead []string
	inLead := true
	for _, s := range steps {
		switch y := s.(type) {
		case *memberNode:
			if y.name == "" || !(y.name[0] >= 'a' && y.name[0] <= 'z') {
				return nil, false
			}
			if inLead {
				lead = append(lead, y.name)
			}
		case *funcNode:
			inLead = false
			switch y.name {
			case "where", "select":
				if len(y.args) != 1 {
					return nil, false
				}
			case "first", "last", "tail":
				if len(y.args) != 0 {
					return nil, false
				}
			case "trace":
				// its name is evaluated even on nothing: a literal
				if len(y.args) < 1 || len(y.args) > 2 {
					return nil, false
				}
				lit, ok := y.args[0].(*litNode)
				if !ok || len(lit.vals) != 1 {
					return nil, false
				}
				if _, ok := lit.vals[0].(string); !ok {
					return nil, false
				}
			default:
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return lead, true
}

// pathFirst2 navigates names from n as navigate does and gives the first
// element reached and how many (counting stops at 2).
func pathFirst2(n *Node, names []string) (*Node, int) {
	if len(names) == 0 {
		return n, 1
	}
	var first *Node
	count := 0
	visit := func(k *Node) bool {
		f, c := pathFirst2(k, names[1:])
		if c > 0 && first == nil {
			first = f
		}
		count += c
		return count >= 2
	}
	name := names[0]
	found := false
	for _, k := range n.kids {
		if k.Name == name {
			found = true
			if visit(k) {
				return first, 2
			}
		}
	}
	if !found && !lowerOnly(name) {
		for _, k := range n.kids {
			if choiceNamed(k, name) && visit(k) {
				return first, 2
			}
		}
	}
	return first, count
}

// emptyWhenAbsent gives the leading element names of a constraint that
// evaluates to nothing (unknown: no issue), without error, whenever those
// names reach nothing from the focus, so it need not run then. Shapes:
//   - names followed by functions that give nothing for nothing without
//     evaluating their arguments (the string functions, not(), where(),
//     select(), first(), last(), tail(), trace('literal'));
//   - A in B, with A such a shape and B a path from %resource,
//     %rootResource or %context that cannot fail;
//   - A or B, A and B, both such shapes with the same names (unknown or
//     unknown is unknown).
func emptyWhenAbsent(n fpNode) ([]string, bool) {
	switch x := n.(type) {
	case *pathNode:
		var steps []fpNode
		var flat func(n fpNode)
		flat = func(n fpNode) {
			if p, ok := n.(*pathNode); ok {
				flat(p.left)
				flat(p.right)
				return
			}
			steps = append(steps, n)
		}
		flat(x)
		var lead []string
		for i, s := range steps {
			switch y := s.(type) {
			case *memberNode:
				if y.name == "" || !(y.name[0] >= 'a' && y.name[0] <= 'z') || len(lead) != i {
					return nil, false
				}
				lead = append(lead, y.name)
			case *funcNode:
				if len(lead) == 0 || !emptyForEmpty(y) {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		return lead, len(lead) > 0
	case *binNode:
		switch x.op {
		case "in":
			l, ok := emptyWhenAbsent(x.left)
			if !ok || !cannotFail(x.right) {
				return nil, false
			}
			return l, true
		case "and", "or":
			l, ok := emptyWhenAbsent(x.left)
			if !ok {
				return nil, false
			}
			r, ok := emptyWhenAbsent(x.right)
			if !ok || len(l) != len(r) {
				return nil, false
			}
			for i := range l {
				if l[i] != r[i] {
					return nil, false
				}
			}
			return l, true
		}
	}
	return nil, false
}

// emptyForEmpty: f gives nothing for nothing and evaluates no argument
// then (or only a literal).
func emptyForEmpty(f *funcNode) bool {
	switch f.name {
	case "startsWith", "endsWith", "substring", "upper", "lower", "not", "where", "select", "first", "last", "tail":
		return true
	case "trace":
		if len(f.args) < 1 || len(f.args) > 2 {
			return false
		}
		lit, ok := f.args[0].(*litNode)
		if !ok || len(lit.vals) != 1 {
			return false
		}
		_, ok = lit.vals[0].(string)
		return ok
	}
	return false
}

// cannotFail: a path of element names from %resource, %rootResource or
// %context, with trace('literal') steps.
func cannotFail(n fpNode) bool {
	switch x := n.(type) {
	case *varNode:
		return x.name == "resource" || x.name == "rootResource" || x.name == "context"
	case *memberNode:
		return true
	case *pathNode:
		if f, ok := x.right.(*funcNode); ok {
			return f.name == "trace" && emptyForEmpty(f) && cannotFail(x.left)
		}
		if _, ok := x.right.(*memberNode); ok {
			return cannotFail(x.left)
		}
	}
	return false
}

// dom3Expr is R4's dom-3, on DomainResource (its second and third
// self-reference tests are both canonical, as published).
const dom3Expr = "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()"

// dom3 is dom3Expr on the resource res, as the interpreter gives it with
// FHIRPathEnv.LenientAs and %resource = res, without its four walks of
// the whole resource per contained one. A contained resource passes when
// it has no id value ('#'+id is then empty, and so is the criterion), when
// a node below res named reference (below a descendant, so two levels
// down or more) or typed canonical, uri or url has the value "#"+id, or
// when a node below it named reference (two levels down or more) or typed
// canonical has the value "#". As the HL7 validator does (and the
// expression does not), a link from a narrative to the contained resource
// counts too (narrativeLocalRefs); dom3Expression leaves that out.
func dom3(res *Node) bool { return dom3Check(res, true) }

// dom3Expression is dom3Expr alone, as the interpreter gives it.
func dom3Expression(res *Node) bool { return dom3Check(res, false) }

func dom3Check(res *Node, narrative bool) bool {
	n := 0
	for _, c := range res.kids {
		if c.Name == "contained" {
			n++
		}
	}
	if n > dom3IndexFrom {
		return dom3Indexed(res, narrative)
	}
	return dom3Scan(res, narrative)
}

// dom3Scan is dom3Check walking the resource for each contained one.
func dom3Scan(res *Node, narrative bool) bool {
	for _, c := range res.kids {
		if c.Name != "contained" {
			continue
		}
		id, hasID := containedID(c)
		if hasID && !refersTo(res, id, 0) && !refersToContainer(c, 0) && !(narrative && narrativeRefersTo(res, id)) {
			return false
		}
	}
	return true
}

// dom3IndexFrom is the number of contained resources from which dom3Check
// gathers every local reference once (dom3Indexed) rather than walking
// the resource for each contained one.
const dom3IndexFrom = 8

// containedID is the value of the contained resource c's id, as dom-3's
// id reads it.
func containedID(c *Node) (string, bool) {
	for _, k := range c.kids {
		if k.Name == "id" {
			id, ok := sysVal(k).(string)
			return id, ok
		}
	}
	return "", false
}

// dom3Indexed is dom3Check with the "#id" values refersTo would find, and
// the ids the narratives link to, gathered in one walk each.
func dom3Indexed(res *Node, narrative bool) bool {
	refs := map[string]bool{}
	localRefs(res, 0, refs)
	var linked map[string]bool
	if narrative {
		linked = map[string]bool{}
		narrativeLinks(res, linked)
	}
	for _, c := range res.kids {
		if c.Name != "contained" {
			continue
		}
		id, hasID := containedID(c)
		if hasID && !refs[id] && !refersToContainer(c, 0) && !linked[id] {
			return false
		}
	}
	return true
}

// localRefs adds to refs the id of every "#id" value below n that
// refersTo counts (n at depth below the resource).
func localRefs(n *Node, depth int, refs map[string]bool) {
	for _, k := range n.kids {
		if k.Type == "canonical" || k.Type == "uri" || k.Type == "url" || k.Name == "reference" && depth >= 1 {
			if s, ok := sysVal(k).(string); ok && len(s) > 0 && s[0] == '#' {
				refs[s[1:]] = true
			}
		}
		if len(k.kids) > 0 {
			localRefs(k, depth+1, refs)
		}
	}
}

// narrativeLinks adds to linked the ids the narratives anywhere in n link
// to, as narrativeRefersTo looks for them.
func narrativeLinks(n *Node, linked map[string]bool) {
	for _, k := range n.kids {
		if k.Type == "xhtml" {
			if s, ok := sysVal(k).(string); ok {
				narrativeLocalRefs(s, func(ref string) bool {
					linked[ref] = true
					return true
				})
			}
			continue
		}
		if len(k.kids) > 0 {
			narrativeLinks(k, linked)
		}
	}
}

// refersTo: a node below n (n at depth below the resource) is a "#"+id
// reference as dom-3 counts one.
func refersTo(n *Node, id string, depth int) bool {
	for _, k := range n.kids {
		if k.Type == "canonical" || k.Type == "uri" || k.Type == "url" || k.Name == "reference" && depth >= 1 {
			if s, ok := sysVal(k).(string); ok && len(s) == len(id)+1 && s[0] == '#' && s[1:] == id {
				return true
			}
		}
		if len(k.kids) > 0 && refersTo(k, id, depth+1) {
			return true
		}
	}
	return false
}

// refersToContainer: a node below n (n at depth below the contained
// resource) is a reference or canonical of "#".
func refersToContainer(n *Node, depth int) bool {
	for _, k := range n.kids {
		if k.Type == "canonical" || k.Name == "reference" && depth >= 1 {
			if s, ok := sysVal(k).(string); ok && s == "#" {
				return true
			}
		}
		if len(k.kids) > 0 && refersToContainer(k, depth+1) {
			return true
		}
	}
	return false
}
