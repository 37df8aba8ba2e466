package fhir

import "strings"

// Check reports names that cannot select anything when the expression is
// evaluated on a contextType ("Patient", "HumanName", "Observation.Component"):
// an element the type does not define, a choice element spelt with its
// type (valueQuantity rather than value.ofType(Quantity)), or a type name
// that is not the context's. This is the semantic check of
// https://hl7.org/fhirpath/N1/#type-safety-and-strict-evaluation; Evaluate
// itself is lenient and returns empty for such names.
func (p *FHIRPath) Check(contextType string) error {
	c := &checker2{src: p.src}
	c.infer(p.root, []string{contextType}, []string{contextType})
	return c.err
}

type checker2 struct {
	src string
	err error
}

func (c *checker2) fail(pos int, msg string) {
	if c.err == nil {
		c.err = &FHIRPathError{Expr: c.src, Pos: pos, Msg: msg}
	}
}

// infer returns the possible FHIR types of n's result given the types of
// its input and of $this; nil means unknown (nothing is checked below).
func (c *checker2) infer(n fpNode, in, this []string) []string {
	switch x := n.(type) {
	case *memberNode:
		return c.member(x, in)
	case *pathNode:
		l := c.infer(x.left, in, this)
		return c.infer(x.right, l, this)
	case *indexNode:
		c.infer(x.index, this, this)
		return c.infer(x.left, in, this)
	case *specialNode:
		if x.name == "$this" {
			return this
		}
		return nil
	case *typeOpNode:
		c.infer(x.left, in, this)
		if x.op == "as" {
			return []string{x.typ.name}
		}
		return nil
	case *binNode:
		l := c.infer(x.left, in, this)
		r := c.infer(x.right, in, this)
		if x.op == "|" && l != nil && r != nil {
			return append(append([]string{}, l...), r...)
		}
		return nil
	case *unaryNode:
		c.infer(x.arg, in, this)
		return nil
	case *funcNode:
		switch x.name {
		case "where", "exists", "all", "select", "repeat", "sort", "aggregate":
			var out []string
			for _, a := range x.args {
				out = c.infer(a, in, in)
			}
			switch x.name {
			case "where", "sort":
				return in
			case "select":
				return out
			}
			return nil
		case "ofType", "as":
			return []string{x.typ.name}
		case "trace":
			c.infer(x.args[0], this, this)
			if len(x.args) == 2 {
				c.infer(x.args[1], in, in)
			}
			return in
		case "first", "last", "tail", "skip", "take", "single", "distinct", "intersect", "exclude":
			for _, a := range x.args {
				c.infer(a, this, this)
			}
			return in
		case "extension":
			for _, a := range x.args {
				c.infer(a, this, this)
			}
			return []string{"Extension"}
		}
		for _, a := range x.args {
			c.infer(a, this, this)
		}
		return nil
	}
	return nil
}

func (c *checker2) member(x *memberNode, in []string) []string {
	if in == nil {
		return nil
	}
	var out []string
	for _, t := range in {
		if x.name != "" && x.name[0] >= 'A' && x.name[0] <= 'Z' {
			if t == x.name || inherits(t, x.name) || (t == "Resource" || t == "DomainResource") && isResourceType(x.name) {
				out = append(out, x.name)
			}
			continue
		}
		ti := typeTable[t]
		if ti == nil {
			if isPrimitiveType(t) && (x.name == "id" || x.name == "extension") {
				out = append(out, map[string]string{"id": "string", "extension": "Extension"}[x.name])
				continue
			}
			if isPrimitiveType(t) {
				continue
			}
			return nil // a type the tables do not describe
		}
		e := ti.byName[x.name]
		if e == nil {
			continue
		}
		for _, et := range e.Types {
			switch et {
			case "attr:string":
				et = "string"
			case "Element", "BackboneElement":
				et = ti.Name + "." + strings.ToUpper(x.name[:1]) + x.name[1:]
			}
			out = append(out, et)
		}
	}
	if len(out) == 0 {
		if isResourceType(x.name) && len(in) == 1 && !isResourceType(in[0]) && in[0] != "Resource" {
			return nil
		}
		c.fail(x.pos, "no element "+x.name+" on "+strings.Join(in, " or "))
		return nil
	}
	return out
}
