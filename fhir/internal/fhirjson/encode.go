package fhirjson

import "unicode/utf8"

// Encoder appends FHIR JSON to Buf. Every object and array remembers where
// its key began, so one that ends up empty is taken out again: FHIR JSON
// has no empty objects or arrays.
type Encoder struct {
	Buf   []byte
	Comma bool // a member or element was written at this level
	top   int
	mark  int // where the pending key or element began
	markC bool
	stack []frame
	Marks []Mark // where each XML element's JSON begins (XML to JSON only)
}

// Mark ties an offset of the JSON made from XML to the XML element it
// came from.
type Mark struct {
	Off       int
	Line, Col int
}

// NewEncoder returns an encoder appending to buf (which may hold other
// text before: empty-object removal never reaches below its length).
func NewEncoder(buf []byte) *Encoder { return &Encoder{Buf: buf, top: len(buf)} }

// Reset makes e append to buf, as NewEncoder does, keeping its stack's
// storage.
func (e *Encoder) Reset(buf []byte) {
	e.Buf, e.Comma, e.top, e.stack, e.Marks = buf, false, len(buf), e.stack[:0], e.Marks[:0]
}

type frame struct {
	pos   int
	comma bool
}

// Key writes a member name, k being the quoted name and colon.
func (e *Encoder) Key(k string) {
	e.mark, e.markC = len(e.Buf), e.Comma
	if e.Comma {
		e.Buf = append(e.Buf, ',')
	}
	e.Buf = append(e.Buf, k...)
	e.Comma = false
}

// MemberKey writes the member name a+b without building it first: an
// element's name (b empty), or "_" and a primitive's name for its id and
// extensions.
func (e *Encoder) MemberKey(a, b string) { e.ChoiceKey(a, b) }

// ChoiceKey writes the member name of a choice element, name+suffix.
func (e *Encoder) ChoiceKey(name, suffix string) {
	e.mark, e.markC = len(e.Buf), e.Comma
	if e.Comma {
		e.Buf = append(e.Buf, ',')
	}
	e.Buf = append(e.Buf, '"')
	e.Buf = append(e.Buf, name...)
	e.Buf = append(e.Buf, suffix...)
	e.Buf = append(e.Buf, '"', ':')
	e.Comma = false
}

// BeforeValue starts an array element (a no-op after a key).
func (e *Encoder) BeforeValue() {
	if e.Comma {
		e.mark, e.markC = len(e.Buf), true
		e.Buf = append(e.Buf, ',')
		e.Comma = false
	} else if len(e.Buf) == e.top || e.Buf[len(e.Buf)-1] == '[' {
		e.mark, e.markC = len(e.Buf), false
	}
}

// Open starts an object.
func (e *Encoder) Open() {
	e.BeforeValue()
	e.stack = append(e.stack, frame{e.mark, e.markC})
	e.Buf = append(e.Buf, '{')
	e.Comma = false
}

// Close ends an object; an empty one is taken out with its key.
func (e *Encoder) Close() {
	f := e.stack[len(e.stack)-1]
	e.stack = e.stack[:len(e.stack)-1]
	if e.Buf[len(e.Buf)-1] == '{' && len(e.stack) > 0 {
		e.Buf = e.Buf[:f.pos]
		e.Comma = f.comma
		return
	}
	e.Buf = append(e.Buf, '}')
	e.Comma = true
}

// CloseKept ends an object and keeps it even when it is empty: for a
// converter that must hand the decoder what its input held.
func (e *Encoder) CloseKept() {
	e.stack = e.stack[:len(e.stack)-1]
	e.Buf = append(e.Buf, '}')
	e.Comma = true
}

// OpenArray starts an array.
func (e *Encoder) OpenArray() {
	e.BeforeValue()
	e.stack = append(e.stack, frame{e.mark, e.markC})
	e.Buf = append(e.Buf, '[')
	e.Comma = false
}

// CloseArray ends an array; an empty one is taken out with its key.
func (e *Encoder) CloseArray() {
	e.close2(']', '[')
}

func (e *Encoder) close2(closer, opener byte) {
	f := e.stack[len(e.stack)-1]
	e.stack = e.stack[:len(e.stack)-1]
	if e.Buf[len(e.Buf)-1] == opener {
		e.Buf = e.Buf[:f.pos]
		e.Comma = f.comma
		return
	}
	e.Buf = append(e.Buf, closer)
	e.Comma = true
}

// Null writes null as an array element.
func (e *Encoder) Null() {
	e.BeforeValue()
	e.Buf = append(e.Buf, "null"...)
	e.Comma = true
}

// Boolean writes true or false after a key.
func (e *Encoder) Boolean(b bool) {
	if b {
		e.Buf = append(e.Buf, "true"...)
	} else {
		e.Buf = append(e.Buf, "false"...)
	}
	e.Comma = true
}

const hexDigits = "0123456789abcdef"

// NeedsEscape reports whether s has a byte JSON must escape (a control
// character, '"' or '\\'), eight bytes at a time.
func NeedsEscape(s string) bool {
	const ones, highs, lows = 0x0101010101010101, 0x8080808080808080, 0x2020202020202020
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q := x ^ (ones * '"')
		b := x ^ (ones * '\\')
		if ((x-lows)&^x|(q-ones)&^q|(b-ones)&^b)&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// Str writes a JSON string, escaped as needed.
func (e *Encoder) Str(s string) {
	e.BeforeValue()
	e.Buf = append(e.Buf, '"')
	if !NeedsEscape(s) {
		e.Buf = append(e.Buf, s...)
		e.Buf = append(e.Buf, '"')
		e.Comma = true
		return
	}
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		e.Buf = append(e.Buf, s[start:i]...)
		switch c {
		case '"', '\\':
			e.Buf = append(e.Buf, '\\', c)
		case '\n':
			e.Buf = append(e.Buf, '\\', 'n')
		case '\r':
			e.Buf = append(e.Buf, '\\', 'r')
		case '\t':
			e.Buf = append(e.Buf, '\\', 't')
		default:
			e.Buf = append(e.Buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	e.Buf = append(e.Buf, s[start:]...)
	e.Buf = append(e.Buf, '"')
	e.Comma = true
}

// Unknown writes members kept verbatim by a decode.
func (e *Encoder) Unknown(fs []RawField) {
	for _, f := range fs {
		e.mark, e.markC = len(e.Buf), e.Comma
		if e.Comma {
			e.Buf = append(e.Buf, ',')
		}
		e.Comma = false
		e.Str(f.Name)
		e.Buf = append(e.Buf, ':')
		e.Buf = append(e.Buf, f.Value...)
		e.Comma = true
	}
}
