package fhir

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FHIRPathError is a syntax error in an expression, or a failure while
// evaluating one; Pos is the byte offset in the expression.
type FHIRPathError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *FHIRPathError) Error() string {
	return fmt.Sprintf("fhirpath: offset %d: %s", e.Pos, e.Msg)
}

// Unwrap makes errors.Is(err, ErrFHIRPath) true.
func (e *FHIRPathError) Unwrap() error { return ErrFHIRPath }

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tDelimIdent
	tString
	tNumber
	tDate
	tVar     // %name
	tSpecial // $this, $index, $total
	tOp
)

type token struct {
	kind tokKind
	s    string
	pos  int
}

type lexer struct {
	src  string
	pos  int
	toks []token
}

func (l *lexer) errf(pos int, format string, a ...any) error {
	return &FHIRPathError{Expr: l.src, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for {
		// whitespace and comments
		for l.pos < len(src) {
			c := src[l.pos]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' {
				l.pos++
				continue
			}
			if strings.HasPrefix(src[l.pos:], "//") {
				for l.pos < len(src) && src[l.pos] != '\n' {
					l.pos++
				}
				continue
			}
			if strings.HasPrefix(src[l.pos:], "/*") {
				end := strings.Index(src[l.pos+2:], "*/")
				if end < 0 {
					return nil, l.errf(l.pos, "unterminated comment")
				}
				l.pos += end + 4
				continue
			}
			break
		}
		if l.pos >= len(src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: l.pos})
			return l.toks, nil
		}
		start := l.pos
		c := src[l.pos]
		switch {
		case isIdentStart(c):
			for l.pos < len(src) && isIdentChar(src[l.pos]) {
				l.pos++
			}
			l.toks = append(l.toks, token{tIdent, src[start:l.pos], start})
		case c == '`':
			s, err := l.quoted('`')
			if err != nil {
				return nil, err
			}
			l.toks = append(l.toks, token{tDelimIdent, s, start})
		case c == '\'':
			s, err := l.quoted('\'')
			if err != nil {
				return nil, err
			}
			l.toks = append(l.toks, token{tString, s, start})
		case c >= '0' && c <= '9':
			for l.pos < len(src) && src[l.pos] >= '0' && src[l.pos] <= '9' {
				l.pos++
			}
			if l.pos+1 < len(src) && src[l.pos] == '.' && src[l.pos+1] >= '0' && src[l.pos+1] <= '9' {
				l.pos++
				for l.pos < len(src) && src[l.pos] >= '0' && src[l.pos] <= '9' {
					l.pos++
				}
			} else if l.pos < len(src) && src[l.pos] == 'L' {
				l.pos++
			}
			l.toks = append(l.toks, token{tNumber, src[start:l.pos], start})
		case c == '@':
			l.pos++
			for l.pos < len(src) {
				d := src[l.pos]
				if d >= '0' && d <= '9' || d == '-' || d == ':' || d == 'T' || d == '.' || d == 'Z' || d == '+' {
					// a '.' only belongs to the literal when digits follow
					if d == '.' && (l.pos+1 >= len(src) || src[l.pos+1] < '0' || src[l.pos+1] > '9') {
						break
					}
					// '+'/'-' after the time are a zone only when digits follow
					l.pos++
					continue
				}
				break
			}
			l.toks = append(l.toks, token{tDate, src[start+1 : l.pos], start})
		case c == '%':
			l.pos++
			if l.pos < len(src) && (src[l.pos] == '`' || src[l.pos] == '\'') {
				s, err := l.quoted(src[l.pos])
				if err != nil {
					return nil, err
				}
				l.toks = append(l.toks, token{tVar, s, start})
				continue
			}
			for l.pos < len(src) && (isIdentChar(src[l.pos]) || src[l.pos] == '-') {
				l.pos++
			}
			if l.pos == start+1 {
				return nil, l.errf(start, "empty variable name")
			}
			l.toks = append(l.toks, token{tVar, src[start+1 : l.pos], start})
		case c == '$':
			l.pos++
			for l.pos < len(src) && isIdentChar(src[l.pos]) {
				l.pos++
			}
			l.toks = append(l.toks, token{tSpecial, src[start:l.pos], start})
		default:
			for _, op := range []string{"<=", ">=", "!=", "!~", "=", "~", "<", ">", "+", "-", "*", "/", "&", "|", "(", ")", "[", "]", "{", "}", ".", ","} {
				if strings.HasPrefix(src[l.pos:], op) {
					l.pos += len(op)
					l.toks = append(l.toks, token{tOp, op, start})
					goto next
				}
			}
			return nil, l.errf(start, "unexpected %q", firstRune(src[l.pos:]))
		next:
		}
	}
}

func (l *lexer) quoted(q byte) (string, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == q {
			l.pos++
			return b.String(), nil
		}
		if c == '\\' {
			if l.pos+1 >= len(l.src) {
				break
			}
			e := l.src[l.pos+1]
			l.pos += 2
			switch e {
			case '\'', '"', '`', '\\', '/':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if l.pos+4 > len(l.src) {
					return "", l.errf(l.pos, "bad unicode escape")
				}
				v, err := strconv.ParseUint(l.src[l.pos:l.pos+4], 16, 32)
				if err != nil {
					return "", l.errf(l.pos, "bad unicode escape")
				}
				b.WriteRune(rune(v))
				l.pos += 4
			default:
				return "", l.errf(l.pos-2, "bad escape \\%c", e)
			}
			continue
		}
		b.WriteByte(c)
		l.pos++
	}
	return "", l.errf(start, "unterminated %c", q)
}

// AST

type fpNode interface{}

type (
	litNode struct {
		vals []any
	}
	// memberNode navigates to name in each item of its input.
	memberNode struct {
		name string
		pos  int
	}
	// funcNode calls a function on its input.
	funcNode struct {
		name string
		args []fpNode
		pos  int
		fn   *fpFunc
		typ  typeSpec // for is/as/ofType
	}
	// pathNode evaluates left then right on left's result.
	pathNode struct {
		left, right fpNode
		// hoist: the path starts at a variable, and only names elements
		// and calls argument-free functions of their input, so its value
		// is the same wherever in one evaluation it is worked out
		// (markHoist)
		hoist bool
	}
	indexNode struct {
		left, index fpNode
		pos         int
	}
	binNode struct {
		op          string
		left, right fpNode
		pos         int
	}
	unaryNode struct {
		op  string
		arg fpNode
		pos int
	}
	typeOpNode struct {
		op   string // is, as
		left fpNode
		typ  typeSpec
		pos  int
	}
	varNode struct {
		name string
		pos  int
	}
	specialNode struct {
		name string // $this, $index, $total
	}
)

type typeSpec struct {
	ns   string // "", "FHIR", "System"
	name string
}

func (t typeSpec) String() string {
	if t.ns != "" {
		return t.ns + "." + t.name
	}
	return t.name
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

// maxDepth bounds nesting so hostile expressions cannot exhaust the stack.
const maxDepth = 200

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errf(pos int, format string, a ...any) error {
	return &FHIRPathError{Expr: p.src, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOp && t.s == s
}

func (p *parser) expect(s string) error {
	if !p.isOp(s) {
		t := p.peek()
		if t.kind == tEOF {
			return p.errf(t.pos, "expected %q, found end of expression", s)
		}
		return p.errf(t.pos, "expected %q, found %q", s, t.s)
	}
	p.next()
	return nil
}

// precedence levels, loosest first (https://hl7.org/fhirpath/N1/#operator-precedence)
var binPrec = map[string]int{
	"implies": 1,
	"or":      2, "xor": 2,
	"and": 3,
	"in":  4, "contains": 4,
	"=": 5, "~": 5, "!=": 5, "!~": 5,
	"<": 6, ">": 6, "<=": 6, ">=": 6,
	"|":  7,
	"is": 8, "as": 8,
	"+": 9, "-": 9, "&": 9,
	"*": 10, "/": 10, "div": 10, "mod": 10,
}

func (p *parser) binOp() (string, int, bool) {
	t := p.peek()
	if t.kind != tOp && t.kind != tIdent {
		return "", 0, false
	}
	if t.kind == tOp {
		switch t.s {
		case "(", ")", "[", "]", "{", "}", ".", ",":
			return "", 0, false
		}
	}
	pr, ok := binPrec[t.s]
	return t.s, pr, ok
}

func (p *parser) parseExpr(min int) (fpNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf(p.peek().pos, "expression nested too deeply")
	}
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		op, pr, ok := p.binOp()
		if !ok || pr < min {
			return left, nil
		}
		t := p.next()
		if op == "is" || op == "as" {
			ts, err := p.parseTypeSpec()
			if err != nil {
				return nil, err
			}
			left = &typeOpNode{op: op, left: left, typ: ts, pos: t.pos}
			continue
		}
		right, err := p.parseExpr(pr + 1)
		if err != nil {
			return nil, err
		}
		left = &binNode{op: op, left: left, right: right, pos: t.pos}
	}
}

func (p *parser) parseTypeSpec() (typeSpec, error) {
	t := p.next()
	if t.kind != tIdent && t.kind != tDelimIdent {
		return typeSpec{}, p.errf(t.pos, "expected a type name")
	}
	ts := typeSpec{name: t.s}
	if p.isOp(".") {
		p.next()
		u := p.next()
		if u.kind != tIdent && u.kind != tDelimIdent {
			return typeSpec{}, p.errf(u.pos, "expected a type name")
		}
		ts = typeSpec{ns: t.s, name: u.s}
	}
	return ts, nil
}

func (p *parser) parseUnary() (fpNode, error) {
	if p.isOp("+") || p.isOp("-") {
		t := p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.errf(t.pos, "expression nested too deeply")
		}
		arg, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if l, ok := arg.(*litNode); ok && len(l.vals) == 1 && t.s == "-" {
			switch v := l.vals[0].(type) {
			case int64:
				return &litNode{[]any{-v}}, nil
			case FPDecimal:
				return &litNode{[]any{FPDecimal{R: new(ratT).Neg(v.R), Scale: v.Scale}}}, nil
			case FPQuantity:
				return &litNode{[]any{FPQuantity{Value: FPDecimal{R: new(ratT).Neg(v.Value.R), Scale: v.Value.Scale}, Unit: v.Unit}}}, nil
			}
		}
		return &unaryNode{op: t.s, arg: arg, pos: t.pos}, nil
	}
	return p.parsePostfix()
}

func (p *parser) parsePostfix() (fpNode, error) {
	n, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("."):
			p.next()
			inv, err := p.parseInvocation()
			if err != nil {
				return nil, err
			}
			n = &pathNode{left: n, right: inv}
		case p.isOp("["):
			t := p.next()
			idx, err := p.parseExpr(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			n = &indexNode{left: n, index: idx, pos: t.pos}
		default:
			return n, nil
		}
	}
}

func (p *parser) parseInvocation() (fpNode, error) {
	t := p.next()
	switch t.kind {
	case tIdent, tDelimIdent:
		if t.kind == tIdent && p.isOp("(") {
			return p.parseCall(t)
		}
		return &memberNode{name: t.s, pos: t.pos}, nil
	case tSpecial:
		return &specialNode{name: t.s}, nil
	}
	if t.kind == tEOF {
		return nil, p.errf(t.pos, "expected a name after '.', found end of expression")
	}
	return nil, p.errf(t.pos, "expected a name after '.', found %q", t.s)
}

func (p *parser) parseCall(name token) (fpNode, error) {
	p.next() // (
	f := &funcNode{name: name.s, pos: name.pos}
	if name.s == "is" || name.s == "as" || name.s == "ofType" {
		ts, err := p.parseTypeSpec()
		if err != nil {
			return nil, err
		}
		f.typ = ts
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return f, p.bind(f)
	}
	if !p.isOp(")") {
		for {
			a, err := p.parseExpr(0)
			if err != nil {
				return nil, err
			}
			f.args = append(f.args, a)
			if p.isOp(",") {
				p.next()
				continue
			}
			break
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return f, p.bind(f)
}

func (p *parser) bind(f *funcNode) error {
	fn, ok := fpFuncs[f.name]
	if !ok {
		return p.errf(f.pos, "unknown function %s()", f.name)
	}
	if len(f.args) < fn.min || len(f.args) > fn.max {
		return p.errf(f.pos, "%s() takes %s, given %d", f.name, arity(fn.min, fn.max), len(f.args))
	}
	f.fn = fn
	return nil
}

func arity(min, max int) string {
	if min == max {
		return fmt.Sprintf("%d arguments", min)
	}
	return fmt.Sprintf("%d to %d arguments", min, max)
}

func (p *parser) parseTerm() (fpNode, error) {
	t := p.peek()
	switch t.kind {
	case tEOF:
		return nil, p.errf(t.pos, "unexpected end of expression")
	case tString:
		p.next()
		return &litNode{[]any{t.s}}, nil
	case tNumber:
		p.next()
		// a quantity: number then a unit string or calendar keyword
		if u := p.peek(); u.kind == tString {
			p.next()
			d, _ := parseDec(strings.TrimSuffix(t.s, "L"))
			return &litNode{[]any{FPQuantity{Value: d, Unit: u.s}}}, nil
		} else if u.kind == tIdent {
			if _, ok := calendarUnits[u.s]; ok {
				p.next()
				d, _ := parseDec(t.s)
				return &litNode{[]any{FPQuantity{Value: d, Unit: u.s}}}, nil
			}
		}
		if strings.HasSuffix(t.s, "L") {
			v, err := strconv.ParseInt(t.s[:len(t.s)-1], 10, 64)
			if err != nil {
				return nil, p.errf(t.pos, "bad long %s", t.s)
			}
			return &litNode{[]any{v}}, nil
		}
		if strings.Contains(t.s, ".") {
			d, ok := parseDec(t.s)
			if !ok {
				return nil, p.errf(t.pos, "bad number %s", t.s)
			}
			return &litNode{[]any{d}}, nil
		}
		v, err := strconv.ParseInt(t.s, 10, 64)
		if err != nil {
			// too big for an integer: a decimal
			d, ok := parseDec(t.s)
			if !ok {
				return nil, p.errf(t.pos, "bad number %s", t.s)
			}
			return &litNode{[]any{d}}, nil
		}
		return &litNode{[]any{v}}, nil
	case tDate:
		p.next()
		s := t.s
		var v FPTemporal
		var ok bool
		switch {
		case strings.HasPrefix(s, "T"):
			v, ok = parseTemporal(s[1:], 't')
		case strings.Contains(s, "T"):
			v, ok = parseTemporal(s, 'T')
		default:
			v, ok = parseTemporal(s, 'D')
		}
		if !ok {
			return nil, p.errf(t.pos, "bad date/time literal @%s", s)
		}
		return &litNode{[]any{v}}, nil
	case tVar:
		p.next()
		return &varNode{name: t.s, pos: t.pos}, nil
	case tSpecial:
		p.next()
		switch t.s {
		case "$this", "$index", "$total":
			return &specialNode{name: t.s}, nil
		}
		return nil, p.errf(t.pos, "unknown %s", t.s)
	case tIdent, tDelimIdent:
		p.next()
		if t.kind == tIdent {
			switch t.s {
			case "true":
				return &litNode{[]any{true}}, nil
			case "false":
				return &litNode{[]any{false}}, nil
			}
			if p.isOp("(") {
				return p.parseCall(t)
			}
		}
		return &memberNode{name: t.s, pos: t.pos}, nil
	case tOp:
		switch t.s {
		case "(":
			p.next()
			e, err := p.parseExpr(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return e, nil
		case "{":
			p.next()
			if err := p.expect("}"); err != nil {
				return nil, err
			}
			return &litNode{}, nil
		}
	}
	return nil, p.errf(t.pos, "unexpected %q", t.s)
}

func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }
