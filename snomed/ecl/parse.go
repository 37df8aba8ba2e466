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
// evaluate with the Source it has (alternate identifiers without a
// resolver, selection of member fields that are not concepts, member
// filters on fields the store keeps no values of).
var ErrUnsupported = errors.New("ecl: not supported")

// SyntaxError says where an expression is wrong and what was expected.
type SyntaxError struct {
	Offset int // byte offset in the expression
	Msg    string
	// Err is a further cause, for errors.Is.
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

// Sub is a sub-expression constraint: an operator, optional member-of
// (with an optional field selection), a focus (a concept, an alternate
// identifier, the wildcard or a bracketed expression), filter blocks and
// an optional history supplement.
type Sub struct {
	Op       string
	MemberOf bool
	// Fields is the member field selection ^ [a, b] (["*"] for all);
	// nil selects the referenced components.
	Fields   []string
	Concept  snomed.ID // when Wildcard is false, Alt and Nested are nil
	Term     string
	Alt      *AltID
	Wildcard bool
	Nested   Expr
	Filters  []Filter // in the order written; Filter.Block tells the blocks apart
	History  string   // "", "MIN", "MOD", "MAX"
	// HistoryRefsets is the explicit association reference sets of
	// {{ + HISTORY (…) }}; History is "MAX" then.
	HistoryRefsets Expr
}

// AltID is an alternate identifier: a code of another scheme, such as
// LOINC#54486-6.
type AltID struct {
	Scheme, Code string
	Term         string
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
	// Strings are the typed search terms of a string comparison, each
	// with its search type in Matches ("" or "match", or "wild").
	Strings []string
	Matches []string
	Bool    *bool
}

// Group is an attribute group.
type Group struct {
	Card *Cardinality
	Ref  Refinement
}

// Filter is one filter of a {{ }} block.
type Filter struct {
	Kind byte // 'D' description, 'C' concept, 'M' member
	// Block numbers the {{ }} blocks of a sub-expression from 0: the
	// filters of one block hold together (for one description, one
	// member), separate blocks each on their own.
	Block int
	Name  string // canonical spelling: term, language, type, typeId, dialect, dialectId, definitionStatus, moduleId, effectiveTime, active, id, or a member field
	Op    string // = != < <= > >= ("NOT =" and "<>" are read as !=)
	// Words are the values as written: terms and times without quotes,
	// tokens, ids, #numbers, booleans.
	Words []string
	// Quoted tells that Words are quoted strings (terms, times, string
	// member fields).
	Quoted bool
	// Matches gives each quoted word its search type: "" (match, the
	// default), "match" or "wild". Wild terms keep their escapes.
	Matches []string
	// Accept gives each dialect its acceptability set, as written
	// ("prefer", "accept" or acceptability concept ids); empty means
	// preferred or acceptable.
	Accept [][]string
	// Value is a sub-expression value (typeId = << x, moduleId = …,
	// dialectId = …, a member field = …); Words is empty then, and
	// Accept[0] is its acceptability set.
	Value Expr
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

func errAt(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
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

// hasWS reports whether white space or a comment starts at the position.
func (p *parser) hasWS() bool {
	if p.pos >= len(p.s) {
		return false
	}
	c := p.s[p.pos]
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || strings.HasPrefix(p.s[p.pos:], "/*")
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

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// keyword matches a case-insensitive word not followed by a letter, digit
// or dash.
func (p *parser) keyword(word string) bool {
	p.ws()
	if len(p.s)-p.pos < len(word) || !strings.EqualFold(p.s[p.pos:p.pos+len(word)], word) {
		return false
	}
	if end := p.pos + len(word); end < len(p.s) {
		if c := p.s[end]; isLetter(c) || isDigit(c) || c == '-' || c == '_' {
			return false
		}
	}
	p.pos += len(word)
	return true
}

// word reads a run of letters (a filter or field name).
func (p *parser) word() string {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) && isLetter(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
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
func (p *parser) binaryOp() string {
	save := p.pos
	switch {
	case p.keyword("AND"):
		return "AND"
	case p.eat(","):
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
	if p.eat(":") {
		ref, err := p.refinement(false)
		if err != nil {
			return nil, err
		}
		return &Refined{Focus: first, Ref: ref}, nil
	}
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
	op := p.binaryOp()
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
		more := p.binaryOp()
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
	{"top", Top}, {"bottom", Bottom},
}

func (p *parser) constraintOp() string {
	p.ws()
	for _, op := range []string{Top, Bottom, ChildOrSelfOf, ParentOrSelfOf, DescendantOrSelfOf, AncestorOrSelfOf, ChildOf, ParentOf, DescendantOf, AncestorOf} {
		if p.eat(op) {
			return op
		}
	}
	for _, l := range longOps {
		save := p.pos
		// A long operator is followed by mandatory white space.
		if p.keyword(l.word) {
			if p.hasWS() {
				return l.op
			}
			p.pos = save
		}
	}
	return ""
}

// fieldSelection reads [field, field] or [*] after a member-of.
func (p *parser) fieldSelection() ([]string, error) {
	p.eat("[")
	var fields []string
	p.ws()
	if p.eat("*") {
		fields = []string{"*"}
		if !p.eat("]") {
			return nil, p.errf("want ] after [*")
		}
		return fields, nil
	}
	for {
		f := p.word()
		if f == "" {
			return nil, p.errf("want a reference set field name")
		}
		fields = append(fields, f)
		p.ws()
		if p.eat("]") {
			return fields, nil
		}
		if !p.eat(",") {
			return nil, p.errf("want , or ] in a field selection")
		}
	}
}

func (p *parser) sub() (*Sub, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	s := &Sub{Op: p.constraintOp()}
	save := p.pos
	if p.eat("^") || p.keyword("memberOf") {
		s.MemberOf = true
		p.ws()
		if p.peek("[") {
			fields, err := p.fieldSelection()
			if err != nil {
				return nil, err
			}
			s.Fields = fields
		}
	} else {
		p.pos = save
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
		if alt, ok, err := p.altID(); err != nil {
			return nil, err
		} else if ok {
			s.Alt = alt
			break
		}
		id, term, err := p.conceptRef()
		if err != nil {
			return nil, err
		}
		s.Concept, s.Term = id, term
	}
	// Member filters first, then description and concept filters, then
	// at most one history supplement, last (the grammar's order).
	block := 0
	for p.peek("{{") {
		open := p.pos
		if s.History != "" {
			return nil, errAt(open, "a history supplement must be the last {{ }} of a sub-expression")
		}
		p.pos += 2
		p.ws()
		if p.eat("+") {
			if err := p.history(s); err != nil {
				return nil, err
			}
			continue
		}
		kind := byte('D')
		if p.pos+1 < len(p.s) {
			if c := p.s[p.pos] &^ 0x20; (c == 'D' || c == 'C' || c == 'M') && !isLetter(p.s[p.pos+1]) {
				kind = c
				p.pos++
			}
		}
		if kind == 'M' {
			if !s.MemberOf {
				return nil, errAt(open, "member filters need a member-of (^) constraint")
			}
			if block > 0 && s.Filters[len(s.Filters)-1].Kind != 'M' {
				return nil, errAt(open, "member filters come before description and concept filters")
			}
		}
		if err := p.filters(s, kind, block); err != nil {
			return nil, err
		}
		block++
	}
	return s, nil
}

// history reads the rest of a history supplement after "{{ +".
func (p *parser) history(s *Sub) error {
	p.ws()
	start := p.pos
	if len(p.s)-p.pos < 7 || !strings.EqualFold(p.s[p.pos:p.pos+7], "history") {
		return p.errf("want HISTORY, HISTORY-MIN, HISTORY-MOD or HISTORY-MAX")
	}
	p.pos += 7
	s.History = "MAX"
	if p.pos < len(p.s) && (p.s[p.pos] == '-' || p.s[p.pos] == '_') {
		suffix := ""
		if p.pos+4 <= len(p.s) {
			suffix = strings.ToUpper(p.s[p.pos+1 : p.pos+4])
		}
		if suffix != "MIN" && suffix != "MOD" && suffix != "MAX" {
			return errAt(start, "want HISTORY, HISTORY-MIN, HISTORY-MOD or HISTORY-MAX")
		}
		s.History = suffix
		p.pos += 4
	} else if p.eat("(") {
		e, err := p.expression()
		if err != nil {
			return err
		}
		if !p.eat(")") {
			return p.errf("want ) after the history supplement's reference sets")
		}
		s.HistoryRefsets = e
	}
	if p.pos < len(p.s) && (isLetter(p.s[p.pos]) || isDigit(p.s[p.pos])) {
		return errAt(start, "want HISTORY, HISTORY-MIN, HISTORY-MOD or HISTORY-MAX")
	}
	if !p.eat("}}") {
		return p.errf("want }} after a history supplement")
	}
	return nil
}

// altID reads an alternate identifier, scheme#code or "scheme#code",
// reporting whether there was one.
func (p *parser) altID() (*AltID, bool, error) {
	p.ws()
	start := p.pos
	quoted := p.pos < len(p.s) && p.s[p.pos] == '"'
	i := p.pos
	if quoted {
		i++
	}
	if i >= len(p.s) || !isLetter(p.s[i]) {
		return nil, false, nil
	}
	j := i
	for j < len(p.s) && (isLetter(p.s[j]) || isDigit(p.s[j]) || p.s[j] == '-') {
		j++
	}
	if j >= len(p.s) || p.s[j] != '#' {
		return nil, false, nil
	}
	a := &AltID{Scheme: p.s[i:j]}
	j++
	k := j
	if quoted {
		for k < len(p.s) && p.s[k] != '"' {
			if p.s[k] == '\\' {
				k++
			}
			k++
		}
		if k >= len(p.s) {
			return nil, false, errAt(start, "unterminated alternate identifier")
		}
		a.Code = unescape(p.s[j:k])
		k++
	} else {
		for k < len(p.s) && (isLetter(p.s[k]) || isDigit(p.s[k]) || p.s[k] == '-' || p.s[k] == '.' || p.s[k] == '_') {
			k++
		}
		// A final dot begins a dotted attribute, not the code.
		for k > j && p.s[k-1] == '.' {
			k--
		}
		a.Code = p.s[j:k]
	}
	if a.Code == "" {
		return nil, false, errAt(j, "want a code after %s#", a.Scheme)
	}
	p.pos = k
	term, err := p.pipeTerm()
	if err != nil {
		return nil, false, err
	}
	a.Term = term
	return a, true, nil
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// pipeTerm reads an optional |term|.
func (p *parser) pipeTerm() (string, error) {
	save := p.pos
	p.ws()
	if !p.eat("|") {
		p.pos = save
		return "", nil
	}
	open := p.pos - 1
	end := strings.IndexByte(p.s[p.pos:], '|')
	if end < 0 {
		return "", errAt(open+1, "unterminated |term|")
	}
	term := strings.TrimSpace(p.s[p.pos : p.pos+end])
	if term == "" {
		return "", errAt(open, "empty |term|")
	}
	p.pos += end + 1
	return term, nil
}

// sctid reads a concept id: 6 to 18 digits, the first not zero.
func (p *parser) sctid() (snomed.ID, error) {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	digits := p.s[start:p.pos]
	if digits == "" {
		return 0, p.errf("want a concept id, found %q", p.rest(12))
	}
	if len(digits) < 6 || len(digits) > 18 || digits[0] == '0' {
		return 0, errAt(start, "a concept id has 6 to 18 digits and no leading zero")
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, errAt(start, "concept id out of range")
	}
	return snomed.ID(v), nil
}

func (p *parser) conceptRef() (snomed.ID, string, error) {
	id, err := p.sctid()
	if err != nil {
		return 0, "", err
	}
	term, err := p.pipeTerm()
	return id, term, err
}

// nonNegative reads 0 or a number without a leading zero.
func (p *parser) nonNegative() (int, bool) {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	d := p.s[start:p.pos]
	if d == "" || len(d) > 1 && d[0] == '0' {
		p.pos = start
		return 0, false
	}
	n, err := strconv.Atoi(d)
	return n, err == nil
}

func (p *parser) cardinality() (*Cardinality, error) {
	if !p.eat("[") {
		return nil, nil
	}
	min, ok := p.nonNegative()
	if !ok {
		return nil, p.errf("want a cardinality [min..max]")
	}
	if !p.eat("..") && !p.keyword("to") {
		return nil, p.errf("want a cardinality [min..max]")
	}
	c := &Cardinality{Min: min}
	if p.eat("*") || p.keyword("many") {
		c.Max = -1
	} else if max, ok := p.nonNegative(); ok {
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

// refinement reads a conjunction or disjunction of sub-refinements;
// inGroup forbids groups (an attribute group holds attributes only).
func (p *parser) refinement(inGroup bool) (Refinement, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	first, err := p.subRefinement(inGroup)
	if err != nil {
		return nil, err
	}
	save := p.pos
	op := p.binaryOp()
	if op == "" {
		return first, nil
	}
	if op == "MINUS" {
		p.pos = save
		p.ws()
		return nil, p.errf("MINUS is not allowed between refinements")
	}
	c := &RefCompound{Op: op, Items: []Refinement{first}}
	for {
		next, err := p.subRefinement(inGroup)
		if err != nil {
			return nil, err
		}
		c.Items = append(c.Items, next)
		save := p.pos
		more := p.binaryOp()
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

func (p *parser) subRefinement(inGroup bool) (Refinement, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	save := p.pos
	card, err := p.cardinality()
	if err != nil {
		return nil, err
	}
	if p.peek("{") {
		if inGroup {
			return nil, p.errf("an attribute group cannot hold another group")
		}
		p.eat("{")
		if p.peek("{") {
			return nil, p.errf("a filter {{ }} cannot stand in a refinement")
		}
		ref, err := p.refinement(true)
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
		ref, err := p.refinement(inGroup)
		if err == nil && p.eat(")") {
			return ref, nil
		}
		var se *SyntaxError
		if errors.As(err, &se) && strings.HasPrefix(se.Msg, "an attribute group cannot") {
			return nil, err
		}
	}
	p.pos = save
	return p.attribute()
}

// compareOp reads a comparison operator; "NOT =" and "<>" are !=.
func (p *parser) compareOp() string {
	p.ws()
	for _, op := range []string{"!=", "<>", "<=", ">=", "=", "<", ">"} {
		if p.eat(op) {
			if op == "<>" {
				return "!="
			}
			return op
		}
	}
	save := p.pos
	if p.keyword("NOT") && p.eat("=") {
		return "!="
	}
	p.pos = save
	return ""
}

// number reads a numeric value after #: an optional sign, an integer
// without a leading zero, an optional fraction with at least one digit.
func (p *parser) number() (string, error) {
	start := p.pos
	i := p.pos
	if i < len(p.s) && (p.s[i] == '-' || p.s[i] == '+') {
		i++
	}
	d := i
	for i < len(p.s) && isDigit(p.s[i]) {
		i++
	}
	if i == d || i-d > 1 && p.s[d] == '0' {
		return "", errAt(start, "want a number after # (digits, no leading zero)")
	}
	if i < len(p.s) && p.s[i] == '.' && (i+1 >= len(p.s) || p.s[i+1] != '.') {
		i++
		f := i
		for i < len(p.s) && isDigit(p.s[i]) {
			i++
		}
		if i == f {
			return "", errAt(start, "want a number after #: a decimal point needs digits after it")
		}
	}
	p.pos = i
	return p.s[start:i], nil
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
	} else if p.pos < len(p.s) && p.s[p.pos] == 'R' && p.pos+1 < len(p.s) && !isLetter(p.s[p.pos+1]) && p.s[p.pos+1] != '#' {
		a.Reverse = true
		p.pos++
	}
	if a.Name, err = p.sub(); err != nil {
		return nil, err
	}
	if a.Op = p.compareOp(); a.Op == "" {
		return nil, p.errf("want a comparison (=, !=, <, <=, >, >=) after an attribute name, found %q", p.rest(12))
	}
	p.ws()
	switch {
	case p.eat("#"):
		if a.Number, err = p.number(); err != nil {
			return nil, err
		}
	case p.startsTyped():
		if a.Op != "=" && a.Op != "!=" {
			return nil, p.errf("strings compare with = or != only")
		}
		if a.Strings, a.Matches, err = p.typedTerms(); err != nil {
			return nil, err
		}
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
	if a.Bool != nil && a.Op != "=" && a.Op != "!=" {
		return nil, p.errf("booleans compare with = or != only")
	}
	return a, nil
}

// startsTyped reports whether a typed search term or a set of them
// starts here: a quote, match: or wild:, or a bracket before one.
func (p *parser) startsTyped() bool {
	p.ws()
	save := p.pos
	defer func() { p.pos = save }()
	if p.eat("(") {
		p.ws()
	}
	if p.eat(`"`) {
		return true
	}
	return (p.keyword("match") || p.keyword("wild")) && p.eat(":")
}

// quoted reads a quoted string; raw keeps the escapes (for wild terms,
// where \* is a literal star).
func (p *parser) quoted(raw bool) (string, error) {
	p.ws()
	start := p.pos
	if !p.eat(`"`) {
		return "", p.errf("want a quoted string")
	}
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.s):
			if raw {
				b.WriteByte(c)
			}
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
	return "", errAt(start, "unterminated string")
}

// typedTerm reads [match:]"words" or wild:"pattern".
func (p *parser) typedTerm() (string, string, error) {
	p.ws()
	match := ""
	switch {
	case p.keyword("match"):
		if !p.eat(":") {
			return "", "", p.errf("want : after match")
		}
		match = "match"
	case p.keyword("wild"):
		if !p.eat(":") {
			return "", "", p.errf("want : after wild")
		}
		match = "wild"
	}
	p.ws()
	if !p.peek(`"`) {
		if match != "" {
			return "", "", p.errf("want a quoted term after %s:", match)
		}
		return "", "", p.errf("want a quoted term")
	}
	start := p.pos
	s, err := p.quoted(match == "wild")
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(s) == "" && match != "wild" || s == "" {
		return "", "", errAt(start, "a search term cannot be empty")
	}
	if match == "match" {
		match = "" // the default
	}
	return s, match, nil
}

// typedTerms reads one typed search term or a bracketed set of them.
func (p *parser) typedTerms() ([]string, []string, error) {
	if !p.eat("(") {
		s, m, err := p.typedTerm()
		if err != nil {
			return nil, nil, err
		}
		return []string{s}, []string{m}, nil
	}
	var terms, matches []string
	for {
		s, m, err := p.typedTerm()
		if err != nil {
			return nil, nil, err
		}
		terms, matches = append(terms, s), append(matches, m)
		if p.eat(")") {
			return terms, matches, nil
		}
	}
}

// Filter names by kind, in their canonical spelling. The Snow Owl
// extensions preferredIn, acceptableIn, languageRefSetId and semanticTag
// are description filters too.
var filterNames = map[byte][]string{
	'D': {"term", "language", "typeId", "type", "dialectId", "dialect", "moduleId", "effectiveTime", "active", "id",
		"preferredIn", "acceptableIn", "languageRefSetId", "semanticTag"},
	'C': {"definitionStatusId", "definitionStatus", "moduleId", "effectiveTime", "active"},
	'M': {"moduleId", "effectiveTime", "active"},
}

// filters parses the rest of one {{ }} filter block into s.
func (p *parser) filters(s *Sub, kind byte, block int) error {
	for {
		p.ws()
		start := p.pos
		written := p.word()
		if written == "" {
			return p.errf("want a filter name")
		}
		name := ""
		for _, n := range filterNames[kind] {
			if strings.EqualFold(n, written) {
				name = n
				break
			}
		}
		if name == "" && strings.EqualFold(written, "languageRefsetId") && kind == 'D' {
			name = "languageRefSetId"
		}
		if name == "" && kind == 'M' {
			name = written // a field of the reference set
		}
		if name == "" {
			return errAt(start, "unknown %c filter %q", kind, written)
		}
		f := Filter{Kind: kind, Block: block, Name: name}
		if f.Op = p.compareOp(); f.Op == "" {
			return p.errf("want = or != after the filter %s", name)
		}
		if err := p.filterValue(&f, start); err != nil {
			return err
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

// eqOnly refuses an ordering comparison where the grammar allows = and !=.
func eqOnly(f *Filter, start int) error {
	if f.Op != "=" && f.Op != "!=" {
		return errAt(start, "filter %s takes = or !=", f.Name)
	}
	return nil
}

// filterValue reads the value of f as its name asks.
func (p *parser) filterValue(f *Filter, start int) error {
	p.ws()
	switch f.Name {
	case "term":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		words, matches, err := p.typedTerms()
		f.Words, f.Matches, f.Quoted = words, matches, true
		return err
	case "semanticTag":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		if !p.peek(`"`) {
			return errAt(start, "semanticTag takes one quoted tag")
		}
		s, err := p.quoted(false)
		f.Words, f.Quoted = []string{s}, true
		return err
	case "effectiveTime":
		return p.times(f)
	case "active":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		p.ws()
		for _, v := range []string{"1", "0", "true", "false"} {
			if p.keyword(v) {
				f.Words = []string{strings.ToLower(v)}
				return nil
			}
		}
		return p.errf("want 1, 0, true or false after active")
	case "language":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		return p.tokens(f, func(w string) bool { return len(w) == 2 && isLetter(w[0]) && isLetter(w[1]) }, "a two-letter language code")
	case "type":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		return p.tokens(f, oneOf("syn", "fsn", "def"), "syn, fsn or def")
	case "definitionStatus":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		return p.tokens(f, oneOf("primitive", "defined"), "primitive or defined")
	case "dialect":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		if err := p.tokens(f, isAlias, "a dialect alias"); err != nil {
			return err
		}
		return p.trailingAccept(f)
	case "id", "preferredIn", "acceptableIn", "languageRefSetId":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		return p.idSet(f, start)
	case "typeId", "dialectId", "moduleId", "definitionStatusId":
		if err := eqOnly(f, start); err != nil {
			return err
		}
		if err := p.idValue(f); err != nil {
			return err
		}
		if f.Name == "dialectId" {
			return p.trailingAccept(f)
		}
		return nil
	}
	// A member field.
	switch {
	case p.eat("#"):
		n, err := p.number()
		f.Words = []string{"#" + n}
		return err
	case p.startsTyped():
		if p.isTimeValue() {
			return p.times(f)
		}
		if err := eqOnly(f, start); err != nil {
			return err
		}
		words, matches, err := p.typedTerms()
		f.Words, f.Matches, f.Quoted = words, matches, true
		return err
	case p.keyword("true"):
		f.Words = []string{"true"}
		return eqOnly(f, start)
	case p.keyword("false"):
		f.Words = []string{"false"}
		return eqOnly(f, start)
	}
	if err := eqOnly(f, start); err != nil {
		return err
	}
	v, err := p.sub()
	f.Value = v
	return err
}

// isTimeValue reports whether a time value (or set) starts here: "" or
// "YYYYMMDD", for an ordering comparison or a member field.
func (p *parser) isTimeValue() bool {
	save := p.pos
	defer func() { p.pos = save }()
	p.eat("(")
	p.ws()
	if !p.eat(`"`) {
		return false
	}
	i := p.pos
	for i < len(p.s) && isDigit(p.s[i]) {
		i++
	}
	return i < len(p.s) && p.s[i] == '"' && (i == p.pos || i-p.pos == 8)
}

// times reads a time value or a bracketed set of them.
func (p *parser) times(f *Filter) error {
	list := p.eat("(")
	f.Quoted = true
	for {
		p.ws()
		start := p.pos
		s, err := p.quoted(false)
		if err != nil {
			return err
		}
		if s != "" && !validDate(s) {
			return errAt(start, "an effective time is \"YYYYMMDD\" or \"\"")
		}
		f.Words = append(f.Words, s)
		if !list || p.eat(")") {
			return nil
		}
	}
}

func validDate(s string) bool {
	if len(s) != 8 || s[0] == '0' {
		return false
	}
	for i := range 8 {
		if !isDigit(s[i]) {
			return false
		}
	}
	m, _ := strconv.Atoi(s[4:6])
	d, _ := strconv.Atoi(s[6:])
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func oneOf(words ...string) func(string) bool {
	return func(w string) bool {
		for _, x := range words {
			if strings.EqualFold(x, w) {
				return true
			}
		}
		return false
	}
}

// isAlias: a letter, then letters, digits and dashes.
func isAlias(w string) bool {
	if w == "" || !isLetter(w[0]) {
		return false
	}
	for i := range len(w) {
		if c := w[i]; !isLetter(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// token reads a run of letters, digits and dashes.
func (p *parser) token() string {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) && (isLetter(p.s[p.pos]) || isDigit(p.s[p.pos]) || p.s[p.pos] == '-') {
		p.pos++
	}
	return p.s[start:p.pos]
}

// tokens reads one token or a bracketed set; a dialect alias may be
// followed by its own acceptability set.
func (p *parser) tokens(f *Filter, valid func(string) bool, want string) error {
	list := p.eat("(")
	for {
		p.ws()
		start := p.pos
		w := p.token()
		if !valid(w) {
			p.pos = start
			return p.errf("want %s, found %q", want, p.rest(12))
		}
		if f.Name == "type" || f.Name == "definitionStatus" {
			w = strings.ToLower(w)
		}
		f.Words = append(f.Words, w)
		if f.Name == "dialect" {
			acc, err := p.acceptSet()
			if err != nil {
				return err
			}
			f.Accept = append(f.Accept, acc)
		}
		sawWS := p.hasWS()
		if !list || p.eat(")") {
			return nil
		}
		if !sawWS {
			return p.errf("want white space or ) in a set, found %q", p.rest(12))
		}
	}
}

// acceptSet reads an optional acceptability set: (prefer accept) or
// (id id …).
func (p *parser) acceptSet() ([]string, error) {
	save := p.pos
	p.ws()
	open := p.pos
	if !p.eat("(") {
		p.pos = save
		return nil, nil
	}
	p.ws()
	// Not an acceptability set: a dialect alias set or ids of a dialect
	// set go on instead.
	var acc []string
	for {
		p.ws()
		if p.eat(")") {
			break
		}
		switch {
		case p.keyword("prefer"):
			acc = append(acc, "prefer")
		case p.keyword("accept"):
			acc = append(acc, "accept")
		case p.pos < len(p.s) && isDigit(p.s[p.pos]):
			id, err := p.sctid()
			if err != nil {
				return nil, err
			}
			if _, err := p.pipeTerm(); err != nil {
				return nil, err
			}
			acc = append(acc, strconv.FormatUint(uint64(id), 10))
		default:
			return nil, p.errf("want prefer, accept or an acceptability id, found %q", p.rest(12))
		}
	}
	if len(acc) == 0 {
		return nil, errAt(open, "an acceptability set needs prefer, accept or ids")
	}
	return acc, nil
}

// trailingAccept reads an acceptability set after a whole dialect filter
// value: it applies to every dialect without one of its own.
func (p *parser) trailingAccept(f *Filter) error {
	acc, err := p.acceptSet()
	if err != nil || acc == nil {
		return err
	}
	for len(f.Accept) < max(len(f.Words), 1) {
		f.Accept = append(f.Accept, nil)
	}
	for i := range f.Accept {
		if len(f.Accept[i]) == 0 {
			f.Accept[i] = acc
		}
	}
	return nil
}

// idSet reads a concept id or a bracketed set of them, each with an
// optional |term|.
func (p *parser) idSet(f *Filter, start int) error {
	list := p.eat("(")
	for {
		id, err := p.sctid()
		if err != nil {
			return err
		}
		if _, err := p.pipeTerm(); err != nil {
			return err
		}
		f.Words = append(f.Words, strconv.FormatUint(uint64(id), 10))
		if !list || p.eat(")") {
			return nil
		}
	}
}

// idValue reads a concept reference set (id id …), each id of a
// dialect set with its own acceptability set, or a sub-expression.
func (p *parser) idValue(f *Filter) error {
	save := p.pos
	if p.eat("(") {
		var words []string
		var accept [][]string
		ok := true
		for ok {
			p.ws()
			if p.pos >= len(p.s) || !isDigit(p.s[p.pos]) {
				ok = false
				break
			}
			id, err := p.sctid()
			if err != nil {
				return err
			}
			if _, err := p.pipeTerm(); err != nil {
				return err
			}
			words = append(words, strconv.FormatUint(uint64(id), 10))
			var acc []string
			if f.Name == "dialectId" {
				if acc, err = p.acceptSet(); err != nil {
					return err
				}
			}
			accept = append(accept, acc)
			sawWS := p.hasWS()
			if p.eat(")") {
				break
			}
			if !sawWS {
				ok = false
			}
		}
		if ok {
			f.Words = words
			if f.Name == "dialectId" {
				f.Accept = accept
			}
			return nil
		}
		p.pos = save
	}
	v, err := p.sub()
	if err != nil {
		return err
	}
	f.Value = v
	return nil
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
		if s.Fields != nil {
			b.WriteString("[" + strings.Join(s.Fields, ", ") + "] ")
		}
	}
	switch {
	case s.Wildcard:
		b.WriteByte('*')
	case s.Nested != nil:
		b.WriteString("(" + s.Nested.String() + ")")
	case s.Alt != nil:
		b.WriteString(s.Alt.String())
	default:
		b.WriteString(strconv.FormatUint(uint64(s.Concept), 10))
		if s.Term != "" {
			b.WriteString(" |" + s.Term + "|")
		}
	}
	for i := 0; i < len(s.Filters); {
		j := i
		for j < len(s.Filters) && s.Filters[j].Block == s.Filters[i].Block {
			j++
		}
		parts := make([]string, 0, j-i)
		for _, f := range s.Filters[i:j] {
			parts = append(parts, f.String())
		}
		b.WriteString(" {{ " + string(s.Filters[i].Kind) + " " + strings.Join(parts, ", ") + " }}")
		i = j
	}
	switch {
	case s.HistoryRefsets != nil:
		b.WriteString(" {{ + HISTORY (" + s.HistoryRefsets.String() + ") }}")
	case s.History != "":
		b.WriteString(" {{ + HISTORY-" + s.History + " }}")
	}
	return b.String()
}

func (a *AltID) String() string {
	code := a.Code
	plain := code != ""
	for i := range len(code) {
		if c := code[i]; !isLetter(c) && !isDigit(c) && c != '-' && c != '.' && c != '_' {
			plain = false
		}
	}
	out := a.Scheme + "#" + code
	if !plain || strings.HasSuffix(code, ".") {
		out = quote(a.Scheme + "#" + code)
	}
	if a.Term != "" {
		out += " |" + a.Term + "|"
	}
	return out
}

// String writes one filter: name, operator and value.
func (f Filter) String() string {
	var v string
	if f.Value != nil {
		v = f.Value.String()
		if len(f.Accept) > 0 && len(f.Accept[0]) > 0 {
			v += " (" + strings.Join(f.Accept[0], " ") + ")"
		}
		return f.Name + " " + f.Op + " " + v
	}
	vals := make([]string, len(f.Words))
	for i, w := range f.Words {
		if f.Quoted {
			kind := ""
			if i < len(f.Matches) {
				kind = f.Matches[i]
			}
			if kind == "wild" {
				w = "wild:" + `"` + w + `"` // kept escaped as written
			} else {
				w = quote(w)
			}
		}
		if i < len(f.Accept) && len(f.Accept[i]) > 0 {
			w += " (" + strings.Join(f.Accept[i], " ") + ")"
		}
		vals[i] = w
	}
	v = strings.Join(vals, " ")
	if len(vals) != 1 {
		v = "(" + v + ")"
	}
	return f.Name + " " + f.Op + " " + v
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
	case a.Strings != nil:
		f := Filter{Words: a.Strings, Matches: a.Matches, Quoted: true}
		s := f.String()
		b.WriteString(s[len("  "):])
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
