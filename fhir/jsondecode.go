package fhir

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply JSON objects and arrays may nest.
const MaxDepth = 128

// decoder reads FHIR JSON from one buffer. The input is copied once into
// str; every string value without escapes is a slice of it, so a decode
// makes one allocation for all its strings.
type decoder struct {
	data  []byte
	str   string
	pos   int
	depth int
}

// utf8BOM may start a JSON document; the HL7 tools accept it, so do we.
const utf8BOM = "\xef\xbb\xbf"

func newDecoder(data []byte) *decoder {
	d := &decoder{data: data, str: string(data)}
	if len(data) >= 3 && string(data[:3]) == utf8BOM {
		d.pos = 3
	}
	return d
}

func (d *decoder) fail(err error) *DecodeError {
	return &DecodeError{Offset: int64(d.pos), Err: err}
}

func (d *decoder) failAt(pos int, err error) *DecodeError {
	return &DecodeError{Offset: int64(pos), Err: err}
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *decoder) typeError(want string) error {
	if d.pos >= len(d.data) {
		return d.fail(errorf(ErrSyntax, "unexpected end of input, want %s", want))
	}
	return d.fail(errorf(ErrType, "want %s, found %s", want, tokenName(d.data[d.pos])))
}

func tokenName(c byte) string {
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

func (d *decoder) beginObject() error {
	if d.peek() != '{' {
		return d.typeError("an object")
	}
	d.depth++
	if d.depth > MaxDepth {
		return d.fail(ErrTooDeep)
	}
	d.pos++
	return nil
}

// nextKey reads the next member's key and the colon after it; more is false
// at the closing brace.
func (d *decoder) nextKey(first bool) (key []byte, more bool, err error) {
	c := d.peek()
	if c == '}' {
		d.pos++
		d.depth--
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, d.syntax("want , or } after an object member")
		}
		d.pos++
		c = d.peek()
	}
	if c != '"' {
		return nil, false, d.syntax("want a member name")
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
	if d.peek() != ':' {
		return nil, false, d.syntax("want : after a member name")
	}
	d.pos++
	d.ws()
	return key, true, nil
}

func (d *decoder) syntax(msg string) error {
	if d.pos >= len(d.data) {
		return d.fail(errorf(ErrSyntax, "unexpected end of input"))
	}
	return d.fail(errorf(ErrSyntax, "%s", msg))
}

func (d *decoder) beginArray() error {
	if d.peek() != '[' {
		return d.typeError("an array")
	}
	d.depth++
	if d.depth > MaxDepth {
		return d.fail(ErrTooDeep)
	}
	d.pos++
	return nil
}

// nextElem moves to the next array element; more is false at the bracket.
func (d *decoder) nextElem(first bool) (more bool, err error) {
	c := d.peek()
	if c == ']' {
		d.pos++
		d.depth--
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, d.syntax("want , or ] after an array element")
		}
		d.pos++
		d.ws()
	}
	return true, nil
}

// null consumes a JSON null if one is next.
func (d *decoder) null() bool {
	if d.peek() == 'n' && len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// scanString reads a string token; start and end bound its contents.
func (d *decoder) scanString() (start, end int, escaped bool, err error) {
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
					return 0, 0, false, d.failAt(start, errorf(ErrSyntax, "string is not valid UTF-8"))
				}
				if at := nonCharacter(d.data[start:i]); at >= 0 {
					return 0, 0, false, d.failAt(start+at, errorf(ErrSyntax, "character U+FFFE or U+FFFF in string: XML cannot carry it"))
				}
			}
			return start, i, escaped, nil
		case c == '\\':
			escaped = true
			i++
		case c < 0x20:
			return 0, 0, false, d.failAt(i, errorf(ErrSyntax, "control character in string"))
		case c >= 0x80:
			nonASCII = true
		}
	}
	d.pos = len(d.data)
	return 0, 0, false, d.fail(errorf(ErrSyntax, "unterminated string"))
}

func (d *decoder) unescape(start, end int) (string, error) {
	b := make([]byte, 0, end-start)
	for i := start; i < end; i++ {
		c := d.data[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i >= end {
			return "", d.failAt(i, errorf(ErrSyntax, "bad escape"))
		}
		switch d.data[i] {
		case '"', '\\', '/':
			b = append(b, d.data[i])
		case 'b', 'f':
			return "", d.failAt(i-1, errorf(ErrSyntax, "control character \\%c in string: FHIR and XML cannot carry it", d.data[i]))
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(d.data, i+1, end)
			if !ok {
				return "", d.failAt(i-1, errorf(ErrSyntax, "bad \\u escape"))
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+6 < end+1 && d.data[i+1] == '\\' && d.data[i+2] == 'u' {
					r2, ok = hex4(d.data, i+3, end)
				}
				dec := utf16.DecodeRune(r, r2)
				if !ok || dec == utf8.RuneError {
					return "", d.failAt(i-5, errorf(ErrSyntax, "lone UTF-16 surrogate in \\u escape"))
				}
				r = dec
				i += 6
			}
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				return "", d.failAt(i-5, errorf(ErrSyntax, "character U+%04X in string: FHIR and XML cannot carry it", r))
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", d.failAt(i-1, errorf(ErrSyntax, "bad escape"))
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

// str reads a string value.
func (d *decoder) stringValue() (string, error) {
	if d.peek() != '"' {
		return "", d.typeError("a string")
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

// nonEmptyStr reads a string value; FHIR forbids empty strings.
func (d *decoder) nonEmptyStr() (string, error) {
	at := d.pos
	s, err := d.stringValue()
	if err == nil && s == "" {
		return "", d.failAt(at, ErrEmptyValue)
	}
	return s, err
}

func (d *decoder) boolean() (bool, error) {
	switch d.peek() {
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
	return false, d.typeError("a boolean")
}

// number reads a JSON number and returns its text.
func (d *decoder) number() (string, error) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return "", d.typeError("a number")
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
		return "", d.failAt(start, errorf(ErrSyntax, "bad number"))
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if digits() == 0 {
			return "", d.failAt(start, errorf(ErrSyntax, "bad number"))
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", d.failAt(start, errorf(ErrSyntax, "bad number"))
		}
	}
	d.pos = i
	return d.str[start:i], nil
}

func (d *decoder) integer() (int64, error) {
	at := d.peekPos()
	s, err := d.number()
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		// The token is not echoed: it may be huge.
		if strings.ContainsAny(s, ".eE") {
			return 0, d.failAt(at, errorf(ErrType, "want an integer, found a decimal number"))
		}
		return 0, d.failAt(at, errorf(ErrType, "integer of %d digits is out of range", len(strings.TrimPrefix(s, "-"))))
	}
	return n, nil
}

func (d *decoder) peekPos() int { d.ws(); return d.pos }

// skipValue skips one JSON value, checking its syntax, and returns where
// it was. It does not recurse, so deep input cannot exhaust the stack.
func (d *decoder) skipValue() (start, end int, err error) {
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
			return 0, 0, d.syntax("unexpected end of input")
		}
		c := d.data[d.pos]
		if needValue {
			switch {
			case c == '{' || c == '[':
				depth++
				if d.depth+depth > MaxDepth {
					return 0, 0, d.fail(ErrTooDeep)
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
				if _, err := d.boolean(); err != nil {
					return 0, 0, d.syntax("bad literal")
				}
			case c == 'n':
				if !d.null() {
					return 0, 0, d.syntax("bad literal")
				}
			default:
				if _, err := d.number(); err != nil {
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
				return 0, 0, d.syntax("want , or a closing bracket")
			}
		}
		if !needValue && len(stack) == 0 {
			return start, d.pos, nil
		}
	}
}

func (d *decoder) skipKey() error {
	d.ws()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return d.syntax("want a member name")
	}
	if _, _, _, err := d.scanString(); err != nil {
		return err
	}
	if d.peek() != ':' {
		return d.syntax("want : after a member name")
	}
	d.pos++
	return nil
}

func (d *decoder) duplicate(key []byte, at int) error {
	return d.failAt(at, errorf(ErrDuplicateKey, "duplicate key %q", key))
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

func (d *decoder) unknown(key []byte, dst *[]RawField) error {
	if !validName(key) {
		return d.fail(errorf(ErrElementName, "member name %q is not a FHIR element name", clip(string(key))))
	}
	start, end, err := d.skipValue()
	if err != nil {
		return err
	}
	*dst = append(*dst, RawField{Name: string(key), Value: []byte(d.str[start:end])})
	return nil
}

func (d *decoder) expectResourceType(want string) error {
	at := d.pos
	s, err := d.stringValue()
	if err != nil {
		return err
	}
	if s != want {
		return d.failAt(at, errorf(ErrType, "resourceType %q where %q was being read", s, want))
	}
	return nil
}

// peekResourceType finds the resourceType of the object that starts here
// without consuming it.
func (d *decoder) peekResourceType() (string, error) {
	save, saveDepth := d.pos, d.depth
	defer func() { d.pos, d.depth = save, saveDepth }()
	if err := d.beginObject(); err != nil {
		return "", err
	}
	for first := true; ; first = false {
		key, more, err := d.nextKey(first)
		if err != nil {
			return "", err
		}
		if !more {
			return "", d.failAt(save, ErrNoResourceType)
		}
		if string(key) == "resourceType" {
			return d.nonEmptyStr()
		}
		if _, _, err := d.skipValue(); err != nil {
			return "", err
		}
	}
}

// xhtml reads a narrative div and checks it (see checkNarrativeXHTML).
func (d *decoder) xhtml() (string, error) {
	at := d.peekPos()
	s, err := d.nonEmptyStr()
	if err != nil {
		return "", err
	}
	if err := checkNarrativeXHTML(s); err != nil {
		return "", d.failAt(at, err)
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

func (d *decoder) end() error {
	d.ws()
	if d.pos != len(d.data) {
		return d.syntax("unexpected data after the resource")
	}
	return nil
}

// markSeen records key i of an object and reports whether it was seen.
func markSeen(seen []uint64, i int) bool {
	w, b := i/64, uint64(1)<<(i%64)
	if seen[w]&b != 0 {
		return true
	}
	seen[w] |= b
	return false
}
