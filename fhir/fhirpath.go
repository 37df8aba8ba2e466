package fhir

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A small FHIRPath subset (https://hl7.org/fhirpath/N1/): enough to address
// elements the way validation messages do and to pick values out of a
// resource.
//
//	Patient.name.where(use = 'official').given.first()
//	Patient.identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value
//	Observation.value.ofType(Quantity).value
//	Patient.name[1].family
//	Patient.deceased.exists()
//	Patient.gender = 'female'
//
// Supported: member navigation (choice elements by their name without the
// type), [index], where(criteria), exists(), empty(), first(), last(),
// count(), ofType(Type), and = / != against a string, number or boolean
// literal. Results are strings for string-like primitives, the number's
// text (as a Number) for numbers, bool for booleans and for the functions
// that answer yes or no, and map[string]any / []any trees for complex
// elements.

// ErrFHIRPath is wrapped by errors from Evaluate.
var ErrFHIRPath = errors.New("fhirpath")

// Number is a FHIRPath number result, kept as the text it was written in.
type Number string

// Evaluate evaluates a FHIRPath expression (the subset above) on a
// resource.
func Evaluate(r Resource, expr string) ([]any, error) {
	p := &pathParser{s: expr}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if p.peek() != 0 {
		return nil, p.errf("unexpected %q", p.s[p.pos:])
	}
	js, err := Marshal(r)
	if err != nil {
		return nil, err
	}
	root, err := parseJSONTree(newDecoder(js))
	if err != nil {
		return nil, err
	}
	in := []item{{node: root, typ: r.ResourceType()}}
	// The leading type name selects the resource itself.
	if len(e.steps) > 0 && e.steps[0].name == r.ResourceType() && e.steps[0].fn == "" {
		e.steps = e.steps[1:]
	} else if len(e.steps) > 0 && e.steps[0].fn == "" && isResourceName(e.steps[0].name) && typeTable[e.steps[0].name] != nil && typeTable[e.steps[0].name].Kind == "resource" {
		return nil, nil // another resource type: empty
	}
	out, err := e.eval(in)
	if err != nil {
		return nil, err
	}
	res := make([]any, 0, len(out))
	for _, it := range out {
		res = append(res, it.value())
	}
	return res, nil
}

type item struct {
	node *jnode
	typ  string // FHIR type when known (choice elements, resources)
	lit  any    // a computed value (bool) instead of a node
}

func (it item) value() any {
	if it.node == nil {
		return it.lit
	}
	return toAny(it.node)
}

func toAny(n *jnode) any {
	switch n.kind {
	case '{':
		m := make(map[string]any, len(n.members))
		for _, mem := range n.members {
			m[mem.key] = toAny(mem.val)
		}
		return m
	case '[':
		a := make([]any, len(n.items))
		for i, x := range n.items {
			a[i] = toAny(x)
		}
		return a
	case '"':
		return n.s
	case '0':
		return Number(n.s)
	case 't':
		return n.s == "true"
	}
	return nil
}

type pathExpr struct {
	steps []step
	op    string // "", "=", "!="
	lit   any
}

type step struct {
	name  string // member name, or function name when fn is set
	fn    string
	arg   *pathExpr // where() criteria
	typ   string    // ofType() argument
	index int       // -1 when none
}

type pathParser struct {
	s   string
	pos int
}

func (p *pathParser) errf(format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", ErrFHIRPath, p.pos, fmt.Sprintf(format, args...))
}

func (p *pathParser) peek() byte {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *pathParser) ident() string {
	p.peek()
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && p.pos > start {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *pathParser) parseExpr() (*pathExpr, error) {
	e := &pathExpr{}
	for {
		name := p.ident()
		if name == "" {
			return nil, p.errf("want a name")
		}
		st := step{name: name, index: -1}
		if p.peek() == '(' {
			p.pos++
			st.fn = name
			switch name {
			case "where":
				arg, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				st.arg = arg
			case "ofType":
				st.typ = p.ident()
				if st.typ == "" {
					return nil, p.errf("ofType needs a type name")
				}
			case "exists", "empty", "first", "last", "count":
			default:
				return nil, p.errf("function %s is not supported", name)
			}
			if p.peek() != ')' {
				return nil, p.errf("want )")
			}
			p.pos++
		}
		if p.peek() == '[' {
			p.pos++
			start := p.pos
			for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
				p.pos++
			}
			n, err := strconv.Atoi(p.s[start:p.pos])
			if err != nil || p.peek() != ']' {
				return nil, p.errf("want [index]")
			}
			p.pos++
			st.index = n
		}
		e.steps = append(e.steps, st)
		if p.peek() != '.' {
			break
		}
		p.pos++
	}
	switch c := p.peek(); {
	case c == '=':
		p.pos++
		e.op = "="
	case c == '!' && strings.HasPrefix(p.s[p.pos:], "!="):
		p.pos += 2
		e.op = "!="
	default:
		return e, nil
	}
	switch c := p.peek(); {
	case c == '\'':
		end := strings.IndexByte(p.s[p.pos+1:], '\'')
		if end < 0 {
			return nil, p.errf("unterminated string")
		}
		e.lit = p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
	case strings.HasPrefix(p.s[p.pos:], "true"):
		e.lit, p.pos = true, p.pos+4
	case strings.HasPrefix(p.s[p.pos:], "false"):
		e.lit, p.pos = false, p.pos+5
	default:
		start := p.pos
		for p.pos < len(p.s) && strings.IndexByte("-+.0123456789eE", p.s[p.pos]) >= 0 {
			p.pos++
		}
		if start == p.pos {
			return nil, p.errf("want a literal")
		}
		e.lit = Number(p.s[start:p.pos])
	}
	return e, nil
}

func (e *pathExpr) eval(in []item) ([]item, error) {
	cur := in
	for _, st := range e.steps {
		var next []item
		switch st.fn {
		case "":
			for _, it := range cur {
				next = append(next, member(it, st.name)...)
			}
		case "where":
			for _, it := range cur {
				r, err := st.arg.eval([]item{it})
				if err != nil {
					return nil, err
				}
				if len(r) == 1 && r[0].lit == true || st.arg.op == "" && len(r) > 0 {
					next = append(next, it)
				}
			}
		case "ofType":
			for _, it := range cur {
				if it.typ == st.typ || it.node != nil && it.node.kind == '{' && it.node.get("resourceType") != nil && it.node.get("resourceType").s == st.typ {
					next = append(next, it)
				}
			}
		case "exists":
			next = []item{{lit: len(cur) > 0}}
		case "empty":
			next = []item{{lit: len(cur) == 0}}
		case "count":
			next = []item{{lit: Number(strconv.Itoa(len(cur)))}}
		case "first":
			if len(cur) > 0 {
				next = cur[:1]
			}
		case "last":
			if len(cur) > 0 {
				next = cur[len(cur)-1:]
			}
		}
		if st.index >= 0 {
			if st.index < len(next) {
				next = next[st.index : st.index+1]
			} else {
				next = nil
			}
		}
		cur = next
	}
	if e.op == "" {
		return cur, nil
	}
	if len(cur) == 0 {
		return nil, nil // comparison with an empty collection is empty
	}
	if len(cur) > 1 {
		return nil, fmt.Errorf("%w: = needs a single value on its left, found %d", ErrFHIRPath, len(cur))
	}
	eq := fmt.Sprint(cur[0].value()) == fmt.Sprint(e.lit)
	if e.op == "!=" {
		eq = !eq
	}
	return []item{{lit: eq}}, nil
}

// member selects a child element by name; choice elements are found by
// their name without the type suffix, and remember the type for ofType.
func member(it item, name string) []item {
	n := it.node
	if n == nil || n.kind != '{' {
		return nil
	}
	var out []item
	add := func(v *jnode, typ string) {
		if v.kind == '[' {
			for _, x := range v.items {
				if x.kind != 'n' {
					out = append(out, item{node: x, typ: resourceTypeOf(x, typ)})
				}
			}
			return
		}
		out = append(out, item{node: v, typ: resourceTypeOf(v, typ)})
	}
	if v := n.get(name); v != nil {
		add(v, "")
		return out
	}
	for _, m := range n.members {
		if len(m.key) > len(name) && strings.HasPrefix(m.key, name) && m.key[len(name)] >= 'A' && m.key[len(name)] <= 'Z' {
			suffix := m.key[len(name):]
			typ := suffix
			if lower := strings.ToLower(suffix[:1]) + suffix[1:]; primitiveNames[lower] {
				typ = lower
			}
			if primitiveNames[typ] || typeTable[typ] != nil {
				add(m.val, typ)
			}
		}
	}
	return out
}

var primitiveNames = map[string]bool{"base64Binary": true, "boolean": true, "canonical": true, "code": true, "date": true, "dateTime": true, "decimal": true, "id": true, "instant": true, "integer": true, "markdown": true, "oid": true, "positiveInt": true, "string": true, "time": true, "unsignedInt": true, "uri": true, "url": true, "uuid": true}

func resourceTypeOf(n *jnode, typ string) string {
	if typ != "" {
		return typ
	}
	if n.kind == '{' {
		if rt := n.get("resourceType"); rt != nil {
			return rt.s
		}
	}
	return ""
}
