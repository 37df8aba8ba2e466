package ecl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/snomed"
)

// ErrSyntax is wrapped by *SyntaxError.
var ErrSyntax = errors.New("ecl: syntax error")

// ErrUnsupported is returned for valid ECL that this package cannot
// evaluate with the store it has (alternate identifiers, member field
// selection and member filters on refsets the store keeps no fields of).
var ErrUnsupported = errors.New("ecl: not supported")

// SyntaxError says where an expression is wrong and what was expected.
type SyntaxError struct {
	Offset int // byte offset in the expression
	Msg    string
	// Err is a further cause: ErrUnsupported for valid ECL this package
	// does not evaluate (the message says which).
	Err error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("ecl: offset %d: %s", e.Offset, e.Msg) }

// Unwrap returns ErrSyntax and any further cause, for errors.Is.
func (e *SyntaxError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrSyntax, e.Err}
	}
	return []error{ErrSyntax}
}

// MaxDepth bounds nesting of brackets, refinements and groups.
const MaxDepth = 64

// Expr is a parsed expression constraint.
type Expr interface {
	String() string
}

// Operators of a sub-expression constraint.
const (
	Self               = ""
	DescendantOf       = "<"
	DescendantOrSelfOf = "<<"
	ChildOf            = "<!"
	ChildOrSelfOf      = "<<!"
	AncestorOf         = ">"
	AncestorOrSelfOf   = ">>"
	ParentOf           = ">!"
	ParentOrSelfOf     = ">>!"
	Top                = "!!>"
	Bottom             = "!!<"
)

// Sub is a sub-expression constraint: an operator, optional member-of,
// a focus (a concept, the wildcard, or a bracketed expression) and filters.
type Sub struct {
	Op       string
	MemberOf bool
	Concept  snomed.ID // when Wildcard is false and Nested is nil
	Term     string
	Wildcard bool
	Nested   Expr
	Filters  []Filter
	History  string // "", "MIN", "MOD", "MAX"
}

// Compound joins sub-expressions with one operator: AND, OR or MINUS.
type Compound struct {
	Op    string
	Items []Expr
}

// Refined is a focus with a refinement.
type Refined struct {
	Focus Expr
	Ref   Refinement
}

// Dotted selects the values of attributes: Base . attr . attr.
type Dotted struct {
	Base  Expr
	Attrs []Expr
}

// Refinement is an attribute, an attribute group or a combination.
type Refinement interface{ String() string }

// RefCompound joins refinements with AND or OR.
type RefCompound struct {
	Op    string
	Items []Refinement
}

// Cardinality is [Min..Max]; Max -1 is *.
type Cardinality struct{ Min, Max int }

// Attribute is one attribute constraint.
type Attribute struct {
	Card    *Cardinality
	Reverse bool
	Name    Expr
	Op      string // = != < <= > >=
	Value   Expr   // for concept comparisons
	Number  string // for #numbers (without #)
	Str     *string
	Bool    *bool
}

// Group is an attribute group.
type Group struct {
	Card *Cardinality
	Ref  Refinement
}

// Filter is one filter of a {{ }} block.
type Filter struct {
	Kind  byte   // 'D' description, 'C' concept, 'M' member
	Name  string // term, language, type, dialect, definitionStatus, moduleId, effectiveTime, active, id…
	Op    string
	Words []string // values as written (terms without quotes)
	// Matches gives each term its search type: "match" (the default,
	// written as "" when not given) or "wild".
	Matches []string
	// Accept gives each dialect its acceptability set, as written
	// ("prefer", "accept" or acceptability concept ids); empty means
	// preferred or acceptable.
	Accept [][]string
}

type parser struct {
	s     string
	pos   int
	depth int
}

// Parse parses an ECL 2.2 expression constraint (brief or long syntax).
func Parse(expr string) (Expr, error) {
	p := &parser{s: expr}
	e, err := p.expression()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.s) {
		return nil, p.errf("unexpected %q", p.rest(12))
	}
	return e, nil
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) rest(n int) string {
	r := p.s[p.pos:]
	if len(r) > n {
		r = r[:n] + "…"
	}
	if r == "" {
		return "end of expression"
	}
	return r
}

// ws skips white space and /* comments */.
func (p *parser) ws() {
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.pos++
		case strings.HasPrefix(p.s[p.pos:], "/*"):
			end := strings.Index(p.s[p.pos+2:], "*/")
			if end < 0 {
				p.pos = len(p.s)
				return
			}
			p.pos += end + 4
		default:
			return
		}
	}
}

func (p *parser) peek(tok string) bool {
	p.ws()
	return strings.HasPrefix(p.s[p.pos:], tok)
}

func (p *parser) eat(tok string) bool {
	if p.peek(tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

// keyword matches a case-insensitive word followed by a non-letter.
func (p *parser) keyword(word string) bool {
	p.ws()
	if len(p.s)-p.pos < len(word) || !strings.EqualFold(p.s[p.pos:p.pos+len(word)], word) {
		return false
	}
	if end := p.pos + len(word); end < len(p.s) {
		c := p.s[end]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			return false
		}
	}
	p.pos += len(word)
	return true
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errf("nesting deeper than %d", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// binaryOp reads AND (or ","), OR or MINUS.
func (p *parser) binaryOp(allowComma bool) string {
	save := p.pos
	switch {
	case p.keyword("AND"):
		return "AND"
	case allowComma && p.eat(","):
		return "AND"
	case p.keyword("OR"):
		return "OR"
	case p.keyword("MINUS"):
		return "MINUS"
	}
	p.pos = save
	return ""
}

func (p *parser) expression() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	first, err := p.sub()
	if err != nil {
		return nil, err
	}
	p.ws()
	// Refined.
	if p.eat(":") {
		ref, err := p.refinement()
		if err != nil {
			return nil, err
		}
		return &Refined{Focus: first, Ref: ref}, nil
	}
	// Dotted.
	if p.peek(".") && !p.peek("..") {
		d := &Dotted{Base: first}
		for p.eat(".") {
			a, err := p.sub()
			if err != nil {
				return nil, err
			}
			d.Attrs = append(d.Attrs, a)
		}
		return d, nil
	}
	// Compound.
	op := p.binaryOp(true)
	if op == "" {
		return first, nil
	}
	c := &Compound{Op: op, Items: []Expr{first}}
	for {
		next, err := p.sub()
		if err != nil {
			return nil, err
		}
		c.Items = append(c.Items, next)
		save := p.pos
		more := p.binaryOp(true)
		switch {
		case more == "":
			return c, nil
		case more != op || op == "MINUS":
			p.pos = save
			p.ws()
			return nil, p.errf("%s after %s needs brackets: ECL gives AND, OR and MINUS no precedence", more, op)
		}
	}
}

var longOps = []struct{ word, op string }{
	{"descendantOrSelfOf", DescendantOrSelfOf}, {"descendantOf", DescendantOf},
	{"childOrSelfOf", ChildOrSelfOf}, {"childOf", ChildOf},
	{"ancestorOrSelfOf", AncestorOrSelfOf}, {"ancestorOf", AncestorOf},
	{"parentOrSelfOf", ParentOrSelfOf}, {"parentOf", ParentOf},
}

func (p *parser) constraintOp() string {
	p.ws()
	for _, op := range []string{Top, Bottom, ChildOrSelfOf, ParentOrSelfOf, DescendantOrSelfOf, AncestorOrSelfOf, ChildOf, ParentOf, DescendantOf, AncestorOf} {
		if p.eat(op) {
			return op
		}
	}
	for _, l := range longOps {
		if p.keyword(l.word) {
			return l.op
		}
	}
	return ""
}

// fieldSelection reads ^ [field, field]: selecting referencedComponentId
// alone is the member-of itself; other fields are values, not concepts, so
// they are reported as not supported.
func (p *parser) fieldSelection() error {
	open := p.pos
	p.eat("[")
	var fields []string
	for {
		p.ws()
		start := p.pos
		if p.eat("*") {
			fields = append(fields, "*")
		} else {
			for p.pos < len(p.s) && isLetter(p.s[p.pos]) {
				p.pos++
			}
			if p.pos == start {
				return p.errf("want a reference set field name")
			}
			fields = append(fields, p.s[start:p.pos])
		}
		p.ws()
		if p.eat("]") {
			break
		}
		if !p.eat(",") {
			return p.errf("want , or ] in a field selection")
		}
	}
	for _, f := range fields {
		if f != "referencedComponentId" {
			return &SyntaxError{Offset: open, Msg: "member field selection other than referencedComponentId is not supported: " + ErrUnsupported.Error(), Err: ErrUnsupported}
		}
	}
	return nil
}

func (p *parser) sub() (*Sub, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	s := &Sub{Op: p.constraintOp()}
	if p.eat("^") || p.keyword("memberOf") {
		s.MemberOf = true
		p.ws()
		if p.peek("[") {
			if err := p.fieldSelection(); err != nil {
				return nil, err
			}
		}
	}
	p.ws()
	switch {
	case p.eat("*"):
		s.Wildcard = true
	case p.keyword("ANY"):
		s.Wildcard = true
	case p.eat("("):
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, p.errf("want ) , found %q", p.rest(12))
		}
		s.Nested = e
	default:
		id, term, err := p.conceptRef()
		if err != nil {
			return nil, err
		}
		s.Concept, s.Term = id, term
	}
	for p.peek("{{") {
		if err := p.filters(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *parser) conceptRef() (snomed.ID, string, error) {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	digits := p.s[start:p.pos]
	if digits == "" {
		return 0, "", p.errf("want a concept id, *, ( or an operator, found %q", p.rest(12))
	}
	if p.pos < len(p.s) && (p.s[p.pos] == '#' || (p.s[p.pos] >= 'a' && p.s[p.pos] <= 'z') || (p.s[p.pos] >= 'A' && p.s[p.pos] <= 'Z')) {
		return 0, "", &SyntaxError{Offset: start, Msg: "alternate identifiers are not supported: " + ErrUnsupported.Error(), Err: ErrUnsupported}
	}
	if len(digits) < 6 || len(digits) > 18 || digits[0] == '0' {
		return 0, "", &SyntaxError{Offset: start, Msg: "a concept id has 6 to 18 digits and no leading zero"}
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, "", &SyntaxError{Offset: start, Msg: "concept id out of range"}
	}
	term := ""
	if p.eat("|") {
		end := strings.IndexByte(p.s[p.pos:], '|')
		if end < 0 {
			return 0, "", p.errf("unterminated |term|")
		}
		term = strings.TrimSpace(p.s[p.pos : p.pos+end])
		p.pos += end + 1
	}
	return snomed.ID(v), term, nil
}

func (p *parser) cardinality() (*Cardinality, error) {
	if !p.eat("[") {
		return nil, nil
	}
	p.ws()
	num := func() (int, bool) {
		p.ws()
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		n, err := strconv.Atoi(p.s[start:p.pos])
		return n, err == nil
	}
	min, ok := num()
	if !ok || !p.eat("..") {
		return nil, p.errf("want a cardinality [min..max]")
	}
	c := &Cardinality{Min: min}
	if p.eat("*") {
		c.Max = -1
	} else if max, ok := num(); ok {
		c.Max = max
		if max < min {
			return nil, p.errf("cardinality maximum %d is below its minimum %d", max, min)
		}
	} else {
		return nil, p.errf("want a cardinality maximum or *")
	}
	if !p.eat("]") {
		return nil, p.errf("want ] after a cardinality")
	}
	return c, nil
}

func (p *parser) refinement() (Refinement, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	first, err := p.subRefinement()
	if err != nil {
		return nil, err
	}
	op := p.binaryOp(true)
	if op == "" {
		return first, nil
	}
	if op == "MINUS" {
		return nil, p.errf("MINUS is not allowed between refinements")
	}
	c := &RefCompound{Op: op, Items: []Refinement{first}}
	for {
		next, err := p.subRefinement()
		if err != nil {
			return nil, err
		}
		c.Items = append(c.Items, next)
		save := p.pos
		more := p.binaryOp(true)
		if more == "" {
			return c, nil
		}
		if more != op {
			p.pos = save
			p.ws()
			return nil, p.errf("%s after %s in a refinement needs brackets", more, op)
		}
	}
}

func (p *parser) subRefinement() (Refinement, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	save := p.pos
	card, err := p.cardinality()
	if err != nil {
		return nil, err
	}
	if p.eat("{") {
		if p.peek("{") {
			return nil, p.errf("a filter {{ }} cannot stand in a refinement")
		}
		ref, err := p.refinement()
		if err != nil {
			return nil, err
		}
		if !p.eat("}") {
			return nil, p.errf("want } to close an attribute group")
		}
		return &Group{Card: card, Ref: ref}, nil
	}
	if card == nil && p.peek("(") {
		// A bracketed refinement, or an attribute whose name is bracketed:
		// try the refinement first.
		p.eat("(")
		ref, err := p.refinement()
		if err == nil && p.eat(")") {
			return ref, nil
		}
		p.pos = save
	}
	p.pos = save
	return p.attribute()
}

func (p *parser) attribute() (*Attribute, error) {
	a := &Attribute{}
	var err error
	if a.Card, err = p.cardinality(); err != nil {
		return nil, err
	}
	p.ws()
	if p.keyword("reverseOf") {
		a.Reverse = true
	} else if p.pos < len(p.s) && p.s[p.pos] == 'R' && p.pos+1 < len(p.s) && !isLetter(p.s[p.pos+1]) {
		a.Reverse = true
		p.pos++
	}
	if a.Name, err = p.sub(); err != nil {
		return nil, err
	}
	p.ws()
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if p.eat(op) {
			a.Op = op
			break
		}
	}
	if a.Op == "" {
		return nil, p.errf("want a comparison (=, !=, <, <=, >, >=) after an attribute name, found %q", p.rest(12))
	}
	p.ws()
	switch {
	case p.eat("#"):
		start := p.pos
		if p.pos < len(p.s) && (p.s[p.pos] == '-' || p.s[p.pos] == '+') {
			p.pos++
		}
		for p.pos < len(p.s) && (p.s[p.pos] >= '0' && p.s[p.pos] <= '9' || p.s[p.pos] == '.') {
			p.pos++
		}
		a.Number = p.s[start:p.pos]
		if _, err := strconv.ParseFloat(a.Number, 64); err != nil {
			return nil, &SyntaxError{Offset: start, Msg: "want a number after #"}
		}
	case p.peek("\""):
		s, err := p.quoted()
		if err != nil {
			return nil, err
		}
		a.Str = &s
	case p.keyword("true"):
		b := true
		a.Bool = &b
	case p.keyword("false"):
		b := false
		a.Bool = &b
	default:
		if a.Op != "=" && a.Op != "!=" {
			return nil, p.errf("%s compares numbers: want #number", a.Op)
		}
		v, err := p.sub()
		if err != nil {
			return nil, err
		}
		a.Value = v
	}
	if (a.Str != nil || a.Bool != nil) && a.Op != "=" && a.Op != "!=" {
		return nil, p.errf("strings and booleans compare with = or != only")
	}
	return a, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (p *parser) quoted() (string, error) {
	p.ws()
	start := p.pos
	if !p.eat("\"") {
		return "", p.errf("want a quoted string")
	}
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.s):
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		case c == '"':
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", &SyntaxError{Offset: start, Msg: "unterminated string"}
}

// filters parses one {{ }} block into s.
func (p *parser) filters(s *Sub) error {
	p.eat("{{")
	p.ws()
	if p.eat("+") {
		p.ws()
		switch {
		case p.keyword("HISTORY-MIN"):
			s.History = "MIN"
		case p.keyword("HISTORY-MOD"):
			s.History = "MOD"
		case p.keyword("HISTORY-MAX"):
			s.History = "MAX"
		case p.keyword("HISTORY"):
			s.History = "MAX"
		default:
			return p.errf("want HISTORY-MIN, HISTORY-MOD, HISTORY-MAX or HISTORY")
		}
		if !p.eat("}}") {
			return p.errf("want }} after a history supplement")
		}
		return nil
	}
	kind := byte('D')
	if p.pos+1 < len(p.s) && (p.s[p.pos] == 'D' || p.s[p.pos] == 'C' || p.s[p.pos] == 'M') && !isLetter(p.s[p.pos+1]) {
		kind = p.s[p.pos]
		if kind == 'M' && !s.MemberOf {
			return p.errf("member filters need a member-of (^) constraint")
		}
		p.pos++
	}
	for {
		p.ws()
		start := p.pos
		for p.pos < len(p.s) && (isLetter(p.s[p.pos]) || p.s[p.pos] == '-') {
			p.pos++
		}
		name := p.s[start:p.pos]
		if name == "" {
			return p.errf("want a filter name")
		}
		f := Filter{Kind: kind, Name: name}
		p.ws()
		for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
			if p.eat(op) {
				f.Op = op
				break
			}
		}
		if f.Op == "" {
			return p.errf("want = or != after the filter %s", name)
		}
		p.ws()
		quoted := p.peek("\"")
		vals, matches, accept, err := p.filterValues()
		if err != nil {
			return err
		}
		f.Words = vals
		if kind == 'D' && name == "semanticTag" && (!quoted || len(vals) != 1) {
			return &SyntaxError{Offset: start, Msg: "semanticTag takes one quoted tag"}
		}
		if name == "term" || kind == 'M' && isStringField(name) {
			f.Matches = matches
		}
		if name == "dialect" || name == "dialectId" {
			f.Accept = accept
		} else {
			for _, a := range accept {
				if len(a) > 0 {
					return &SyntaxError{Offset: start, Msg: "an acceptability set follows only a dialect"}
				}
			}
		}
		if err := checkFilter(f); err != nil {
			se := &SyntaxError{Offset: start, Msg: err.Error()}
			if errors.Is(err, ErrUnsupported) {
				se.Err = ErrUnsupported
			}
			return se
		}
		s.Filters = append(s.Filters, f)
		p.ws()
		if p.eat(",") {
			continue
		}
		if p.eat("}}") {
			return nil
		}
		return p.errf("want , or }} in a filter, found %q", p.rest(12))
	}
}

// filterValues reads one value or a bracketed list: "quoted", match:"x",
// wild:"x", words, ids, booleans, numbers; each word may be followed by a
// bracketed acceptability set (dialect filters). It returns the values,
// each value's search type and each value's acceptability set.
func (p *parser) filterValues() ([]string, []string, [][]string, error) {
	p.ws()
	list := p.eat("(")
	var out, matches []string
	var accept [][]string
	for {
		p.ws()
		match := ""
		switch {
		case p.keyword("match"):
			if !p.eat(":") {
				return nil, nil, nil, p.errf("want : after match")
			}
			match = "match"
		case p.keyword("wild"):
			if !p.eat(":") {
				return nil, nil, nil, p.errf("want : after wild")
			}
			match = "wild"
		}
		p.ws()
		switch {
		case p.peek("\""):
			s, err := p.quoted()
			if err != nil {
				return nil, nil, nil, err
			}
			out = append(out, s)
		case match != "":
			return nil, nil, nil, p.errf("want a quoted term after %s:", match)
		default:
			w, err := p.filterWord()
			if err != nil {
				return nil, nil, nil, err
			}
			out = append(out, w)
		}
		matches = append(matches, match)
		// An acceptability set: (prefer), (accept) or (id id …).
		var acc []string
		save := p.pos
		p.ws()
		if open := p.pos; match == "" && !p.peek("\"") && p.eat("(") {
			for {
				p.ws()
				if p.eat(")") {
					break
				}
				w, err := p.filterWord()
				if err != nil {
					return nil, nil, nil, err
				}
				acc = append(acc, w)
			}
			if len(acc) == 0 {
				return nil, nil, nil, &SyntaxError{Offset: open, Msg: "an acceptability set needs prefer, accept or ids"}
			}
		} else {
			p.pos = save
		}
		accept = append(accept, acc)
		if !list {
			return out, matches, accept, nil
		}
		p.ws()
		if p.eat(")") {
			return out, matches, accept, nil
		}
	}
}

// filterWord reads an unquoted filter value: a token or an id with an
// optional |term|.
func (p *parser) filterWord() (string, error) {
	start := p.pos
	if p.pos < len(p.s) && p.s[p.pos] == '#' {
		p.pos++
	}
	for p.pos < len(p.s) && (isLetter(p.s[p.pos]) || p.s[p.pos] >= '0' && p.s[p.pos] <= '9' || p.s[p.pos] == '-') {
		p.pos++
	}
	if p.pos == start || p.s[start:p.pos] == "#" {
		p.pos = start
		return "", p.errf("want a filter value")
	}
	w := p.s[start:p.pos]
	save := p.pos
	p.ws()
	if p.eat("|") {
		end := strings.IndexByte(p.s[p.pos:], '|')
		if end < 0 {
			return "", p.errf("unterminated |term|")
		}
		p.pos += end + 1
	} else {
		p.pos = save
	}
	return w, nil
}

// isSCTID reports whether w is written as a SNOMED CT id: 6 to 18
// digits, the first not zero.
func isSCTID(w string) bool {
	if len(w) < 6 || len(w) > 18 || w[0] == '0' {
		return false
	}
	for i := range len(w) {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// isStringField reports whether a member filter compares strings.
func isStringField(name string) bool {
	return name == "mapTarget" || name == "mapRule" || name == "mapAdvice"
}

func checkFilter(f Filter) error {
	switch f.Kind {
	case 'D':
		switch f.Name {
		case "term", "language", "type", "typeId", "dialect", "dialectId", "id", "moduleId", "effectiveTime", "active":
			return nil
		case "preferredIn", "acceptableIn", "languageRefSetId", "languageRefsetId", "semanticTag":
			if f.Op != "=" && f.Op != "!=" {
				return fmt.Errorf("filter %s takes = or !=", f.Name)
			}
			if f.Name == "semanticTag" {
				return nil
			}
			for _, w := range f.Words {
				if !isSCTID(w) {
					return fmt.Errorf("filter %s takes language reference set ids, not %q", f.Name, w)
				}
			}
			return nil
		}
	case 'C':
		switch f.Name {
		case "definitionStatus", "definitionStatusId", "moduleId", "effectiveTime", "active", "id":
			return nil
		}
	case 'M':
		switch f.Name {
		case "mapTarget", "mapRule", "mapAdvice", "correlationId", "mapCategoryId":
			if f.Op != "=" && f.Op != "!=" {
				return fmt.Errorf("member filter %s takes = or !=", f.Name)
			}
			return nil
		case "mapGroup", "mapPriority":
			for _, w := range f.Words {
				if _, err := strconv.Atoi(strings.TrimPrefix(w, "#")); err != nil || !strings.HasPrefix(w, "#") {
					return fmt.Errorf("member filter %s compares #numbers", f.Name)
				}
			}
			return nil
		}
		return fmt.Errorf("member filters on %q are not supported (the store keeps the fields of map reference sets): %w", f.Name, ErrUnsupported)
	}
	return fmt.Errorf("unknown %c filter %q", f.Kind, f.Name)
}

// String writes the expression back in canonical brief syntax.
func (s *Sub) String() string {
	var b strings.Builder
	b.WriteString(s.Op)
	if s.Op != "" {
		b.WriteByte(' ')
	}
	if s.MemberOf {
		b.WriteString("^ ")
	}
	switch {
	case s.Wildcard:
		b.WriteByte('*')
	case s.Nested != nil:
		b.WriteString("(" + s.Nested.String() + ")")
	default:
		b.WriteString(strconv.FormatUint(uint64(s.Concept), 10))
		if s.Term != "" {
			b.WriteString(" |" + s.Term + "|")
		}
	}
	// One block per filter kind, the kind letter first.
	for _, kind := range []byte{'D', 'C', 'M'} {
		var parts []string
		for _, f := range s.Filters {
			if f.Kind != kind {
				continue
			}
			vals := make([]string, len(f.Words))
			for i, w := range f.Words {
				if f.Name == "term" || f.Name == "semanticTag" || f.Kind == 'M' && isStringField(f.Name) {
					w = quote(w)
					if i < len(f.Matches) && f.Matches[i] == "wild" {
						w = "wild:" + w
					}
				}
				if i < len(f.Accept) && len(f.Accept[i]) > 0 {
					w += " (" + strings.Join(f.Accept[i], " ") + ")"
				}
				vals[i] = w
			}
			v := strings.Join(vals, " ")
			if len(vals) > 1 {
				v = "(" + v + ")"
			}
			parts = append(parts, fmt.Sprintf("%s %s %s", f.Name, f.Op, v))
		}
		if len(parts) > 0 {
			b.WriteString(" {{ " + string(kind) + " " + strings.Join(parts, ", ") + " }}")
		}
	}
	if s.History != "" {
		b.WriteString(" {{ +HISTORY-" + s.History + " }}")
	}
	return b.String()
}

func (c *Compound) String() string {
	parts := make([]string, len(c.Items))
	for i, it := range c.Items {
		parts[i] = it.String()
	}
	return strings.Join(parts, " "+c.Op+" ")
}

func (r *Refined) String() string { return r.Focus.String() + " : " + r.Ref.String() }

func (d *Dotted) String() string {
	parts := []string{d.Base.String()}
	for _, a := range d.Attrs {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " . ")
}

func (r *RefCompound) String() string {
	parts := make([]string, len(r.Items))
	for i, it := range r.Items {
		s := it.String()
		if _, nested := it.(*RefCompound); nested {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, " "+r.Op+" ")
}

func (c *Cardinality) String() string {
	if c == nil {
		return ""
	}
	max := "*"
	if c.Max >= 0 {
		max = strconv.Itoa(c.Max)
	}
	return fmt.Sprintf("[%d..%s] ", c.Min, max)
}

func (a *Attribute) String() string {
	var b strings.Builder
	b.WriteString(a.Card.String())
	if a.Reverse {
		b.WriteString("R ")
	}
	b.WriteString(a.Name.String())
	b.WriteString(" " + a.Op + " ")
	switch {
	case a.Value != nil:
		b.WriteString(a.Value.String())
	case a.Number != "":
		b.WriteString("#" + a.Number)
	case a.Str != nil:
		b.WriteString(quote(*a.Str))
	case a.Bool != nil:
		b.WriteString(strconv.FormatBool(*a.Bool))
	}
	return b.String()
}

func (g *Group) String() string { return g.Card.String() + "{ " + g.Ref.String() + " }" }

// quote writes an ECL string: only the quote and the backslash are escaped.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
