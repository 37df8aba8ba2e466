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
//   - hasValue() on the focus.
//   - and, or, xor, implies, = and != between two such Booleans, and not()
//     after one: both sides are always known, so three-valued logic
//     reduces to Go's.

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
	var names []string
	var walk func(n fpNode) bool
	walk = func(n fpNode) bool {
		switch y := n.(type) {
		case *memberNode:
			if y.name == "" || !(y.name[0] >= 'a' && y.name[0] <= 'z') {
				return false
			}
			names = append(names, y.name)
			return true
		case *pathNode:
			return walk(y.left) && walk(y.right)
		}
		return false
	}
	if !walk(x.left) {
		return nil
	}
	if f.name == "exists" {
		return func(n *Node) bool { return pathAny(n, names) }
	}
	return func(n *Node) bool { return !pathAny(n, names) }
}

// pathAny reports whether navigating names from n reaches any element, by
// the rules of navigate: the children with that name, or, when an item
// has none, a choice element by its typed name (valueQuantity).
func pathAny(n *Node, names []string) bool {
	if len(names) == 0 {
		return true
	}
	name := names[0]
	found := false
	for _, k := range n.kids {
		if k.Name == name {
			found = true
			if pathAny(k, names[1:]) {
				return true
			}
		}
	}
	if found {
		return false
	}
	for _, k := range n.kids {
		if choiceNamed(k, name) && pathAny(k, names[1:]) {
			return true
		}
	}
	return false
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
