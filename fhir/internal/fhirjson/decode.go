package fhirjson

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply JSON objects and arrays may nest.
const MaxDepth = 128

// Decoder reads FHIR JSON from one buffer. The input is copied once into
// str; every string value without escapes is a slice of it, so a decode
// makes one allocation for all its strings.
type Decoder struct {
	data  []byte
	str   string
	pos   int
	depth int
}

// UTF8BOM may start a JSON document; the HL7 tools accept it, so do we.
const UTF8BOM = "\xef\xbb\xbf"

// NewDecoder returns a decoder of data, skipping a UTF-8 BOM.
func NewDecoder(data []byte) *Decoder {
	d := &Decoder{data: data, str: string(data)}
	if len(data) >= 3 && string(data[:3]) == UTF8BOM {
		d.pos = 3
	}
	return d
}

// Fail returns a *DecodeError at the current offset.
func (d *Decoder) Fail(err error) *DecodeError {
	return &DecodeError{Offset: int64(d.pos), Err: err}
}

// FailAt returns a *DecodeError at offset pos.
func (d *Decoder) FailAt(pos int, err error) *DecodeError {
	return &DecodeError{Offset: int64(pos), Err: err}
}

func (d *Decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// Peek skips white space and returns the next byte (0 at the end).
func (d *Decoder) Peek() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// TypeError reports that the next value is not the JSON type wanted.
func (d *Decoder) TypeError(want string) error {
	if d.pos >= len(d.data) {
		return d.Fail(Errorf(ErrSyntax, "unexpected end of input, want %s", want))
	}
	return d.Fail(Errorf(ErrType, "want %s, found %s", want, TokenName(d.data[d.pos])))
}

// TokenName names the JSON token that starts with c, for messages.
func TokenName(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return strconv.QuoteRune(rune(c))
}

// BeginObject reads the opening brace of an object.
func (d *Decoder) BeginObject() error {
	if d.Peek() != '{' {
		return d.TypeError("an object")
	}
	d.depth++
	if d.depth > MaxDepth {
		return d.Fail(ErrTooDeep)
	}
	d.pos++
	return nil
}

// NextKey reads the next member's key and the colon after it; more is false
// at the closing brace.
func (d *Decoder) NextKey(first bool) (key []byte, more bool, err error) {
	c := d.Peek()
	if c == '}' {
		d.pos++
		d.depth--
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, d.Syntax("want , or } after an object member")
		}
		d.pos++
		c = d.Peek()
	}
	if c != '"' {
		return nil, false, d.Syntax("want a member name")
	}
	start, end, escaped, err := d.scanString()
	if err != nil {
		return nil, false, err
	}
	if escaped {
		s, err := d.unescape(start, end)
		if err != nil {
			return nil, false, err
		}
		key = []byte(s)
	} else {
		key = d.data[start:end]
	}
	if d.Peek() != ':' {
		return nil, false, d.Syntax("want : after a member name")
	}
	d.pos++
	d.ws()
	return key, true, nil
}

// Syntax reports a syntax error at the current offset.
func (d *Decoder) Syntax(msg string) error {
	if d.pos >= len(d.data) {
		return d.Fail(Errorf(ErrSyntax, "unexpected end of input"))
	}
	return d.Fail(Errorf(ErrSyntax, "%s", msg))
}

// BeginArray reads the opening bracket of an array.
func (d *Decoder) BeginArray() error {
	if d.Peek() != '[' {
		return d.TypeError("an array")
	}
	d.depth++
	if d.depth > MaxDepth {
		return d.Fail(ErrTooDeep)
	}
	d.pos++
	return nil
}

// NextElem moves to the next array element; more is false at the bracket.
func (d *Decoder) NextElem(first bool) (more bool, err error) {
	c := d.Peek()
	if c == ']' {
		d.pos++
		d.depth--
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, d.Syntax("want , or ] after an array element")
		}
		d.pos++
		d.ws()
	}
	return true, nil
}

// Null consumes a JSON null if one is next.
func (d *Decoder) Null() bool {
	if d.Peek() == 'n' && len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// scanString reads a string token; start and end bound its contents.
func (d *Decoder) scanString() (start, end int, escaped bool, err error) {
	d.pos++ // opening quote
	start = d.pos
	nonASCII := false
	for i := d.pos; i < len(d.data); i++ {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if nonASCII {
				if !utf8.Valid(d.data[start:i]) {
					return 0, 0, false, d.FailAt(start, Errorf(ErrSyntax, "string is not valid UTF-8"))
				}
				if at := nonCharacter(d.data[start:i]); at >= 0 {
					return 0, 0, false, d.FailAt(start+at, Errorf(ErrSyntax, "character U+FFFE or U+FFFF in string: XML cannot carry it"))
				}
			}
			return start, i, escaped, nil
		case c == '\\':
			escaped = true
			i++
		case c < 0x20:
			return 0, 0, false, d.FailAt(i, Errorf(ErrSyntax, "control character in string"))
		case c >= 0x80:
			nonASCII = true
		}
	}
	d.pos = len(d.data)
	return 0, 0, false, d.Fail(Errorf(ErrSyntax, "unterminated string"))
}

func (d *Decoder) unescape(start, end int) (string, error) {
	b := make([]byte, 0, end-start)
	for i := start; i < end; i++ {
		c := d.data[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i >= end {
			return "", d.FailAt(i, Errorf(ErrSyntax, "bad escape"))
		}
		switch d.data[i] {
		case '"', '\\', '/':
			b = append(b, d.data[i])
		case 'b', 'f':
			return "", d.FailAt(i-1, Errorf(ErrSyntax, "control character \\%c in string: FHIR and XML cannot carry it", d.data[i]))
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(d.data, i+1, end)
			if !ok {
				return "", d.FailAt(i-1, Errorf(ErrSyntax, "bad \\u escape"))
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+6 < end+1 && d.data[i+1] == '\\' && d.data[i+2] == 'u' {
					r2, ok = hex4(d.data, i+3, end)
				}
				dec := utf16.DecodeRune(r, r2)
				if !ok || dec == utf8.RuneError {
					return "", d.FailAt(i-5, Errorf(ErrSyntax, "lone UTF-16 surrogate in \\u escape"))
				}
				r = dec
				i += 6
			}
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				return "", d.FailAt(i-5, Errorf(ErrSyntax, "character U+%04X in string: FHIR and XML cannot carry it", r))
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", d.FailAt(i-1, Errorf(ErrSyntax, "bad escape"))
		}
	}
	return string(b), nil
}

func hex4(b []byte, i, end int) (rune, bool) {
	if i+4 > end {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// StringValue reads a string value.
func (d *Decoder) StringValue() (string, error) {
	if d.Peek() != '"' {
		return "", d.TypeError("a string")
	}
	start, end, escaped, err := d.scanString()
	if err != nil {
		return "", err
	}
	if escaped {
		return d.unescape(start, end)
	}
	return d.str[start:end], nil
}

// NonEmptyStr reads a string value; FHIR forbids empty strings.
func (d *Decoder) NonEmptyStr() (string, error) {
	at := d.pos
	s, err := d.StringValue()
	if err == nil && s == "" {
		return "", d.FailAt(at, ErrEmptyValue)
	}
	return s, err
}

// Boolean reads true or false.
func (d *Decoder) Boolean() (bool, error) {
	switch d.Peek() {
	case 't':
		if len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "true" {
			d.pos += 4
			return true, nil
		}
	case 'f':
		if len(d.data)-d.pos >= 5 && string(d.data[d.pos:d.pos+5]) == "false" {
			d.pos += 5
			return false, nil
		}
	}
	return false, d.TypeError("a boolean")
}

// Number reads a JSON number and returns its text.
func (d *Decoder) Number() (string, error) {
	c := d.Peek()
	if c != '-' && (c < '0' || c > '9') {
		return "", d.TypeError("a number")
	}
	start := d.pos
	i := d.pos
	if d.data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d.data) && d.data[i] == '0' {
		i++
	} else if digits() == 0 {
		return "", d.FailAt(start, Errorf(ErrSyntax, "bad number"))
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if digits() == 0 {
			return "", d.FailAt(start, Errorf(ErrSyntax, "bad number"))
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", d.FailAt(start, Errorf(ErrSyntax, "bad number"))
		}
	}
	d.pos = i
	return d.str[start:i], nil
}

// Integer reads a JSON integer that fits in 64 bits.
func (d *Decoder) Integer() (int64, error) {
	at := d.PeekPos()
	s, err := d.Number()
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		// The token is not echoed: it may be huge.
		if strings.ContainsAny(s, ".eE") {
			return 0, d.FailAt(at, Errorf(ErrType, "want an integer, found a decimal number"))
		}
		return 0, d.FailAt(at, Errorf(ErrType, "integer of %d digits is out of range", len(strings.TrimPrefix(s, "-"))))
	}
	return n, nil
}

// PeekPos skips white space and returns the offset of the next byte.
func (d *Decoder) PeekPos() int { d.ws(); return d.pos }

// Pos is the offset of the next byte to read.
func (d *Decoder) Pos() int { return d.pos }

// Slice returns the input between two offsets, sharing the decoder's one
// copy of it.
func (d *Decoder) Slice(start, end int) string { return d.str[start:end] }

// SkipValue skips one JSON value, checking its syntax, and returns where
// it was. It does not recurse, so deep input cannot exhaust the stack.
func (d *Decoder) SkipValue() (start, end int, err error) {
	d.ws()
	start = d.pos
	depth := 0
	// expect: what may come next. 0 value, 1 key or close, 2 comma or close.
	type frame struct{ obj bool }
	var stack []frame
	needValue := true
	for {
		d.ws()
		if d.pos >= len(d.data) {
			return 0, 0, d.Syntax("unexpected end of input")
		}
		c := d.data[d.pos]
		if needValue {
			switch {
			case c == '{' || c == '[':
				depth++
				if d.depth+depth > MaxDepth {
					return 0, 0, d.Fail(ErrTooDeep)
				}
				stack = append(stack, frame{obj: c == '{'})
				d.pos++
				d.ws()
				if d.pos < len(d.data) && (d.data[d.pos] == '}' && c == '{' || d.data[d.pos] == ']' && c == '[') {
					d.pos++
					depth--
					stack = stack[:len(stack)-1]
					needValue = false
					break
				}
				if c == '{' {
					if err := d.skipKey(); err != nil {
						return 0, 0, err
					}
				}
				continue
			case c == '"':
				if _, _, _, err := d.scanString(); err != nil {
					return 0, 0, err
				}
			case c == 't' || c == 'f':
				if _, err := d.Boolean(); err != nil {
					return 0, 0, d.Syntax("bad literal")
				}
			case c == 'n':
				if !d.Null() {
					return 0, 0, d.Syntax("bad literal")
				}
			default:
				if _, err := d.Number(); err != nil {
					return 0, 0, err
				}
			}
			needValue = false
		} else {
			if len(stack) == 0 {
				return start, d.pos, nil
			}
			top := stack[len(stack)-1]
			switch {
			case c == ',':
				d.pos++
				if top.obj {
					d.ws()
					if err := d.skipKey(); err != nil {
						return 0, 0, err
					}
				}
				needValue = true
			case c == '}' && top.obj, c == ']' && !top.obj:
				d.pos++
				depth--
				stack = stack[:len(stack)-1]
			default:
				return 0, 0, d.Syntax("want , or a closing bracket")
			}
		}
		if !needValue && len(stack) == 0 {
			return start, d.pos, nil
		}
	}
}

func (d *Decoder) skipKey() error {
	d.ws()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return d.Syntax("want a member name")
	}
	if _, _, _, err := d.scanString(); err != nil {
		return err
	}
	if d.Peek() != ':' {
		return d.Syntax("want : after a member name")
	}
	d.pos++
	return nil
}

// Duplicate reports a key read twice in one object.
func (d *Decoder) Duplicate(key []byte, at int) error {
	return d.FailAt(at, Errorf(ErrDuplicateKey, "duplicate key %q", key))
}

// validName reports whether key can name an element: letters, digits, _,
// - and ., starting with a letter, optionally after the "_" of a
// primitive's extension property. FHIR's own names are letters and digits;
// the rest keeps local elements an XML name could carry.
func validName(key []byte) bool {
	if len(key) > 0 && key[0] == '_' {
		key = key[1:]
	}
	if len(key) == 0 || len(key) > 255 {
		return false
	}
	for i, c := range key {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ErrElementName is wrapped by a *DecodeError for a member name that cannot
// name an element (empty, or characters outside letters, digits, _, - and .).
var ErrElementName = errors.New("not a FHIR element name")

// Unknown keeps a member the model does not know in dst, verbatim.
func (d *Decoder) Unknown(key []byte, dst *[]RawField) error {
	if !validName(key) {
		return d.Fail(Errorf(ErrElementName, "member name %q is not a FHIR element name", Clip(string(key))))
	}
	start, end, err := d.SkipValue()
	if err != nil {
		return err
	}
	*dst = append(*dst, RawField{Name: string(key), Value: []byte(d.str[start:end])})
	return nil
}

// ExpectResourceType reads a resourceType value, which must be want.
func (d *Decoder) ExpectResourceType(want string) error {
	at := d.pos
	s, err := d.StringValue()
	if err != nil {
		return err
	}
	if s != want {
		return d.FailAt(at, Errorf(ErrType, "resourceType %q where %q was being read", s, want))
	}
	return nil
}

// PeekResourceType finds the resourceType of the object that starts here
// without consuming it.
func (d *Decoder) PeekResourceType() (string, error) {
	save, saveDepth := d.pos, d.depth
	defer func() { d.pos, d.depth = save, saveDepth }()
	if err := d.BeginObject(); err != nil {
		return "", err
	}
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		if err != nil {
			return "", err
		}
		if !more {
			return "", d.FailAt(save, ErrNoResourceType)
		}
		if string(key) == "resourceType" {
			return d.NonEmptyStr()
		}
		if _, _, err := d.SkipValue(); err != nil {
			return "", err
		}
	}
}

// xhtml reads a narrative div and checks it (see CheckXHTML).
func (d *Decoder) XHTML() (string, error) {
	at := d.PeekPos()
	s, err := d.NonEmptyStr()
	if err != nil {
		return "", err
	}
	if err := CheckXHTML(s); err != nil {
		return "", d.FailAt(at, err)
	}
	return s, nil
}

// nonCharacter returns the offset of U+FFFE or U+FFFF in valid UTF-8 b,
// or -1.
func nonCharacter(b []byte) int {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 0xEF && b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF) {
			return i
		}
	}
	return -1
}

// End reports data after the top-level value.
func (d *Decoder) End() error {
	d.ws()
	if d.pos != len(d.data) {
		return d.Syntax("unexpected data after the resource")
	}
	return nil
}

// MarkSeen records key i of an object and reports whether it was seen.
func MarkSeen(seen []uint64, i int) bool {
	w, b := i/64, uint64(1)<<(i%64)
	if seen[w]&b != 0 {
		return true
	}
	seen[w] |= b
	return false
}

// Once marks key i of an object as read, or reports it as a duplicate
// found at offset at.
func (d *Decoder) Once(seen []uint64, i int, key []byte, at int) error {
	if MarkSeen(seen, i) {
		return d.Duplicate(key, at)
	}
	return nil
}
