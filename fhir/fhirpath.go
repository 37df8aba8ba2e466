package fhir

import (
	"context"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// FHIRPath (https://hl7.org/fhirpath/N1/, as FHIR R4 uses it): compile an
// expression once with CompileFHIRPath, evaluate it on any number of
// resources from any number of goroutines.
//
//	p, err := fhir.CompileFHIRPath("name.where(use = 'official').given.first()")
//	got, err := p.Evaluate(ctx, patient, nil)
//
// Results are collections of Go values: bool, string, int64 (Integer),
// FPDecimal, FPTemporal (Date, DateTime, Time), FPQuantity, FPType, or *Node
// for an element of the resource (Node.Value gives a primitive's value).

// ErrFHIRPath is wrapped by every FHIRPath syntax and evaluation error.
var ErrFHIRPath = errors.New("fhirpath")

// Number is a number in Evaluate's results, as its text.
type Number string

// Terminology answers memberOf() for the FHIRPath engine and the bindings
// ValidateProfiles cannot decide from its own tables (SNOMED CT and other
// code systems it does not hold; OpenCompose gives such a value set's
// definition). known=false when the value set or the code is not one it
// can judge. ctx is the caller's: an implementation that asks a server
// honours its deadline.
type Terminology interface {
	MemberOf(ctx context.Context, valueSet, system, code string) (in, known bool, err error)
}

// ProfileChecker answers conformsTo() for profile URLs beyond the base
// resource types. known=false for a URL it does not know.
type ProfileChecker interface {
	ConformsTo(n *Node, url string) (ok, known bool)
}

// FHIRPath is a compiled expression. It is immutable and safe for
// concurrent use.
type FHIRPath struct {
	src  string
	root fpNode
}

// CompileFHIRPath parses an expression; a syntax error is a *FHIRPathError
// giving the offset.
func CompileFHIRPath(expr string) (*FHIRPath, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{src: expr, toks: toks}
	root, err := p.parseExpr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errf(t.pos, "unexpected %q", t.s)
	}
	markHoist(root, false)
	return &FHIRPath{src: expr, root: root}, nil
}

// MustCompileFHIRPath is CompileFHIRPath for expressions known to be valid;
// it panics on a syntax error.
func MustCompileFHIRPath(expr string) *FHIRPath {
	p, err := CompileFHIRPath(expr)
	if err != nil {
		panic(err)
	}
	return p
}

func (p *FHIRPath) String() string { return p.src }

// FHIRPathEnv is the optional evaluation environment.
type FHIRPathEnv struct {
	// Vars are %name variables (without the %).
	Vars map[string][]any
	// Terminology answers memberOf() for the value sets the package does
	// not hold, and for the code systems of its own value sets that it
	// does not hold in full (SNOMED CT, dm+d, ...). The package holds
	// every UK Core value set, and the base R4 value sets that a binding
	// of UK Core or a required binding of R4 names, expanded from
	// ../shared/ukcore and R4's definitions when generated.
	// Where neither answers, memberOf() is empty.
	Terminology Terminology
	// Profiles answers conformsTo() for profile URLs.
	Profiles ProfileChecker
	// Trace receives trace() output.
	Trace func(name string, vals []any)
	// Now fixes now(), today() and timeOfDay(); zero means the clock.
	Now time.Time
	// Resource is %resource when the context is not the resource itself
	// (default: the root of the context node's tree).
	Resource *Node
	// RootResource is %rootResource, the resource that holds %resource
	// when %resource is a contained one and %resource itself otherwise
	// (FHIR R4 fhirpath.html, 4.0.1): a Bundle entry's resource is its own
	// root. Default: the root of the context node's tree.
	RootResource *Node
	// LenientAs lets as (the operator and the function) take a collection
	// of any size and keep the items of the type, as the HL7 validator's
	// engine does for FHIR before R5. FHIRPath N1 (and the official suite,
	// testFHIRPathAsFunction21) make more than one item an error, but R4's
	// own dom-3 applies as() to descendants(), so a validator that keeps
	// the rule cannot check dom-3. ValidateProfiles sets it.
	LenientAs bool
}

// Evaluate runs the expression on a resource.
func (p *FHIRPath) Evaluate(ctx context.Context, r Resource, env *FHIRPathEnv) ([]any, error) {
	n, err := NodeOf(r)
	if err != nil {
		return nil, err
	}
	return p.EvaluateNode(ctx, n, env)
}

// EvaluateNode runs the expression with n as its context (and $this).
func (p *FHIRPath) EvaluateNode(ctx context.Context, n *Node, fe *FHIRPathEnv) ([]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &evalCtx{src: p.src, ctx: ctx}
	if fe != nil {
		c.vars, c.term, c.trace, c.now, c.profiles = fe.Vars, fe.Terminology, fe.Trace, fe.Now, fe.Profiles
		c.lenientAs = fe.LenientAs
	}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	var focus []any
	if n != nil {
		focus = []any{n}
		res, root := n, n
		for res != nil && !isResourceType(res.Type) && res.parent != nil {
			res = res.parent
		}
		for root.parent != nil {
			root = root.parent
		}
		if fe != nil && fe.Resource != nil {
			res = fe.Resource
		}
		if fe != nil && fe.RootResource != nil {
			root = fe.RootResource
		}
		c.resource, c.root, c.context = res, root, n
	}
	e := &env{c: c, this: focus}
	return eval(p.root, e, focus)
}

// EvaluateBool runs a constraint-style expression: true when the result
// is a single true, false for a single false, and ok=false when empty.
func (p *FHIRPath) EvaluateBool(ctx context.Context, n *Node, env *FHIRPathEnv) (b, ok bool, err error) {
	v, err := p.EvaluateNode(ctx, n, env)
	if err != nil {
		return false, false, err
	}
	switch len(v) {
	case 0:
		return false, false, nil
	case 1:
		if x, isBool := sysVal(v[0]).(bool); isBool {
			return x, true, nil
		}
		return true, true, nil
	}
	return false, false, &FHIRPathError{Expr: p.src, Msg: "expected one boolean, got " + itoa(len(v)) + " items"}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Evaluate evaluates a FHIRPath expression on a resource and returns plain
// Go values: string for string-like primitives and dates, Number for
// numbers, bool, and map[string]any / []any trees for complex elements.
func Evaluate(r Resource, expr string) ([]any, error) {
	p, err := CompileFHIRPath(expr)
	if err != nil {
		return nil, err
	}
	out, err := p.Evaluate(context.Background(), r, nil)
	if err != nil {
		return nil, err
	}
	res := make([]any, 0, len(out))
	for _, v := range out {
		res = append(res, plain(v))
	}
	return res, nil
}

// plain converts a result item to the Go values Evaluate returns.
func plain(v any) any {
	switch x := v.(type) {
	case *Node:
		if x.hasVal() {
			switch y := x.value().(type) {
			case int64, FPDecimal:
				return Number(x.raw)
			case bool:
				return y
			}
			return x.raw
		}
		if isPrimitiveType(x.Type) {
			return nil
		}
		m := map[string]any{}
		for _, k := range x.kids {
			if old, ok := m[k.Name]; ok {
				if a, isArr := old.([]any); isArr {
					m[k.Name] = append(a, plain(k))
				} else {
					m[k.Name] = []any{old, plain(k)}
				}
				continue
			}
			m[k.Name] = plain(k)
		}
		if isResourceType(x.Type) {
			m["resourceType"] = x.Type
		}
		return m
	case int64:
		return Number(itoa64(x))
	case FPDecimal:
		return Number(x.String())
	case FPTemporal:
		return x.String()
	case FPQuantity:
		return x.String()
	}
	return v
}

func itoa64(n int64) string { return big.NewInt(n).String() }

// xhtmlProblem returns why narrative XHTML breaks txt-1 (elements and
// attributes outside the allowed set, script, event handlers), or "".
func xhtmlProblem(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return xhtmlProblemLower(s)
		}
	}
	// ASCII: what xhtmlProblemLower gives, without making the lower-case
	// copy: the forbidden strings found in one pass, reported in list order
	found := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			if i+1 < len(s) && !xhtmlBadStart(s[i+1]) {
				// no forbidden element starts with this letter
				continue
			}
			for b, bad := range xhtmlBad[:len(xhtmlBad)-1] {
				if hasPrefixFold(s[i:], bad) {
					found |= 1 << b
				}
			}
		case c|0x20 == 'j':
			if hasPrefixFold(s[i:], "javascript:") {
				found |= 1 << (len(xhtmlBad) - 1)
			}
		}
	}
	if found != 0 {
		for b, bad := range xhtmlBad {
			if found&(1<<b) != 0 {
				return "contains " + strings.TrimPrefix(bad, "<")
			}
		}
	}
	return eventAttr(s)
}

// xhtmlBad are the strings txt-1 forbids, "javascript:" last.
var xhtmlBad = [...]string{"<script", "<object", "<applet", "<iframe", "<embed", "<form", "<input", "<base", "<link", "<meta", "<style", "javascript:"}

// xhtmlBadFirst has bit c-'a' set for the letter c after "<" of each
// forbidden element of xhtmlBad.
var xhtmlBadFirst = func() uint32 {
	var m uint32
	for _, bad := range xhtmlBad[:len(xhtmlBad)-1] {
		m |= 1 << (bad[1] - 'a')
	}
	return m
}()

// xhtmlBadStart: c, folded as hasPrefixFold folds, is the letter after
// "<" of some forbidden element.
func xhtmlBadStart(c byte) bool {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c >= 'a' && c <= 'z' && xhtmlBadFirst&(1<<(c-'a')) != 0
}

// hasPrefixFold: s starts with the lower-case ASCII prefix, in any case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// asciiSpace is unicode.IsSpace on an ASCII byte.
func asciiSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// xhtmlProblemLower is xhtmlProblem on the lower-cased text (any text).
func xhtmlProblemLower(s string) string {
	low := strings.ToLower(s)
	for _, bad := range []string{"<script", "<object", "<applet", "<iframe", "<embed", "<form", "<input", "<base", "<link", "<meta", "<style", "javascript:"} {
		if strings.Contains(low, bad) {
			return "contains " + strings.TrimPrefix(bad, "<")
		}
	}
	return eventAttr(s)
}

// eventAttr gives "event handler attribute onx" for the first attribute
// of an element whose name starts with "on" in any case (onclick, ...),
// "unterminated tag" for a tag with no end, or "". Attribute values are
// skipped whole, quoted or not, so that a word in a title or style ("once
// daily") is not taken for an attribute, and a '>' inside quotes does not
// end the tag.
func eventAttr(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '<' || i+1 >= len(s) || s[i+1] == '/' || s[i+1] == '!' || s[i+1] == '?' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != '>' && s[j] != '/' && !asciiSpace(s[j]) {
			j++ // the element name
		}
		for {
			for j < len(s) && (asciiSpace(s[j]) || s[j] == '/') {
				j++
			}
			if j == len(s) {
				return "unterminated tag"
			}
			if s[j] == '>' {
				break
			}
			k := j
			for k < len(s) && s[k] != '=' && s[k] != '>' && s[k] != '/' && !asciiSpace(s[k]) {
				k++
			}
			if k-j >= 2 && s[j]|0x20 == 'o' && s[j+1]|0x20 == 'n' {
				return "event handler attribute " + strings.ToLower(s[j:k])
			}
			for k < len(s) && asciiSpace(s[k]) {
				k++
			}
			if k < len(s) && s[k] == '=' {
				k++
				for k < len(s) && asciiSpace(s[k]) {
					k++
				}
				if k < len(s) && (s[k] == '"' || s[k] == '\'') {
					end := strings.IndexByte(s[k+1:], s[k])
					if end < 0 {
						return "unterminated tag"
					}
					k += end + 2
				} else {
					for k < len(s) && s[k] != '>' && !asciiSpace(s[k]) {
						k++
					}
				}
			}
			if k == j {
				k++ // a stray character: step over it
			}
			j = k
		}
		i = j
	}
	return ""
}
