package hl7v2

import (
	"errors"
	"fmt"
	"iter"
	"strconv"
)

// Path is a parsed terser path such as "PID-3(2).1" or "OBX[2]-5.1.2".
//
// The syntax is HAPI's Terser's, but the numbering is not: every number
// here is 1-based, the segment occurrence [n] and the repetition (n)
// included, where HAPI counts those two from 0. nhskit's OBX[2] is the
// second OBX, HAPI's OBX(1); nhskit's PID-3(2) the second repetition,
// HAPI's PID-3(1). Zero means "not given". Any (the wildcard "*", in
// [*] or (*)) selects every occurrence or repetition, for Message.All.
type Path struct {
	Segment    string
	Occurrence int // [n], default 1; Any for [*]
	Field      int
	Repetition int // (n), default 1; Any for (*)
	Component  int
	Sub        int
}

// Any is the Occurrence or Repetition of a wildcard path.
const Any = -1

// ErrPath is wrapped by errors for malformed paths.
var ErrPath = errors.New("hl7v2: malformed path")

// ParsePath parses a terser path.
func ParsePath(s string) (Path, error) {
	var p Path
	bad := func(at int, what string) (Path, error) {
		return Path{}, fmt.Errorf("%w %q at offset %d: %s", ErrPath, s, at, what)
	}
	if len(s) < 3 || !isNameChar(s[0]) || !isNameChar(s[1]) || !isNameChar(s[2]) {
		return bad(0, "expected a three-character segment name")
	}
	p.Segment = s[:3]
	i := 3
	num := func() (int, bool) {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j-i > 6 {
			return 0, false
		}
		n, _ := strconv.Atoi(s[i:j])
		i = j
		return n, n > 0
	}
	star := func(close byte) bool {
		if i+1 < len(s) && s[i] == '*' && s[i+1] == close {
			i += 2
			return true
		}
		return false
	}
	if i < len(s) && s[i] == '[' {
		i++
		if star(']') {
			p.Occurrence = Any
			goto field
		}
		n, ok := num()
		if !ok || i >= len(s) || s[i] != ']' {
			return bad(i, "expected [n] with n ≥ 1")
		}
		p.Occurrence = n
		i++
	}
field:
	if i == len(s) {
		return p, nil
	}
	if s[i] != '-' {
		return bad(i, "expected '-' before the field number")
	}
	i++
	n, ok := num()
	if !ok {
		return bad(i, "expected a field number ≥ 1")
	}
	p.Field = n
	if i < len(s) && s[i] == '(' {
		i++
		if star(')') {
			p.Repetition = Any
			goto component
		}
		n, ok := num()
		if !ok || i >= len(s) || s[i] != ')' {
			return bad(i, "expected (n) with n ≥ 1")
		}
		p.Repetition = n
		i++
	}
component:
	if i < len(s) {
		if s[i] != '.' {
			return bad(i, "expected '.' before the component number")
		}
		i++
		n, ok := num()
		if !ok {
			return bad(i, "expected a component number ≥ 1")
		}
		p.Component = n
	}
	if i < len(s) {
		if s[i] != '.' {
			return bad(i, "expected '.' before the sub-component number")
		}
		i++
		n, ok := num()
		if !ok {
			return bad(i, "expected a sub-component number ≥ 1")
		}
		p.Sub = n
	}
	if i != len(s) {
		return bad(i, "unexpected characters after the path")
	}
	return p, nil
}

// String formats p as a terser path.
func (p Path) String() string {
	s := p.Segment
	if p.Occurrence == Any {
		s += "[*]"
	} else if p.Occurrence > 1 {
		s += "[" + strconv.Itoa(p.Occurrence) + "]"
	}
	if p.Field == 0 {
		return s
	}
	s += "-" + strconv.Itoa(p.Field)
	if p.Repetition == Any {
		s += "(*)"
	} else if p.Repetition > 1 {
		s += "(" + strconv.Itoa(p.Repetition) + ")"
	}
	if p.Component > 0 {
		s += "." + strconv.Itoa(p.Component)
	}
	if p.Sub > 0 {
		s += "." + strconv.Itoa(p.Sub)
	}
	return s
}

// Get returns the unescaped value at a terser path, converted to UTF-8.
// A path that stops above the leaf gives the first component's first
// sub-component of the first repetition (MSH-9 of "ADT^A01" is "ADT"); a
// path past the data, a malformed one or a wildcard gives "". MSH-1 is the
// field separator and MSH-2 the encoding characters. Lookup tells an
// absent value from an empty one and reports a malformed path; All reads
// wildcards.
func (m *Message) Get(path string) string {
	p, err := ParsePath(path)
	if err != nil {
		return ""
	}
	return m.GetPath(p)
}

// GetPath is Get with a parsed path, for loops that read the same path
// from many messages.
func (m *Message) GetPath(p Path) string {
	if p.Occurrence == Any || p.Repetition == Any {
		return ""
	}
	raw, ok := m.rawPath(p)
	if !ok {
		return ""
	}
	return m.decode(raw)
}

// ErrWildcard is wrapped by Lookup's error for a path with [*] or (*).
var ErrWildcard = errors.New("hl7v2: a wildcard path names many values; use All")

// Lookup returns the value at path as Get does, and whether the message
// has that piece at all: a PID-8 sent empty ("PID|1||X||N||||") gives
// ("", true, nil), one the segment stops before gives ("", false, nil).
// HL7's null `""` is returned as written (see IsNull). A malformed or
// wildcard path is an error.
func (m *Message) Lookup(path string) (string, bool, error) {
	p, err := ParsePath(path)
	if err != nil {
		return "", false, err
	}
	if p.Occurrence == Any || p.Repetition == Any {
		return "", false, fmt.Errorf("%w: %q", ErrWildcard, path)
	}
	raw, ok := m.rawPath(p)
	if !ok {
		return "", false, nil
	}
	return m.decode(raw), true, nil
}

// All yields every value a path selects, with the concrete path of each,
// in message order: "OBX[*]-5" is OBX-5 of every OBX, "PID-3(*).1" the
// first component of every PID-3 repetition, "OBX[*]-5(*)" every
// repetition of every OBX-5. Absent pieces are skipped. It reads the
// message once, so it is linear where a Get per index would not be. A
// malformed path yields nothing.
func (m *Message) All(path string) iter.Seq2[Path, string] {
	return func(yield func(Path, string) bool) {
		p, err := ParsePath(path)
		if err != nil || p.Field == 0 {
			return
		}
		name := [3]byte{p.Segment[0], p.Segment[1], p.Segment[2]}
		occ := 0
		for i, s := range m.segs {
			if s.name != name {
				continue
			}
			occ++
			if p.Occurrence != Any && occ != max(p.Occurrence, 1) {
				continue
			}
			seg := Segment{m: m, text: m.text[s.start:s.end], Index: i}
			at := p
			at.Occurrence = occ
			if p.Repetition != Any {
				at.Repetition = max(p.Repetition, 1)
				if raw, ok := m.rawPath(at); ok && !yield(at, m.decode(raw)) {
					return
				}
				continue
			}
			for r, rep := range seg.Reps(p.Field) {
				at.Repetition = r
				v, ok := rep.piece(max(p.Component, 1), max(p.Sub, 1))
				if ok && !yield(at, v) {
					return
				}
			}
		}
	}
}

// RawPath returns the value at a path exactly as written (escapes not
// decoded, character set not converted), sharing memory with the input.
func (m *Message) RawPath(path string) string {
	p, err := ParsePath(path)
	if err != nil {
		return ""
	}
	raw, _ := m.rawPath(p)
	return raw
}

func (m *Message) rawPath(p Path) (string, bool) {
	occ := p.Occurrence
	if occ == 0 {
		occ = 1
	}
	seg, ok := m.segment(p.Segment, occ)
	if !ok {
		return "", false
	}
	if p.Field == 0 {
		return seg, true
	}
	isMSH := p.Segment == "MSH" || p.Segment == "FHS" || p.Segment == "BHS"
	if isMSH && p.Field <= 2 {
		if p.Repetition > 1 || p.Component > 1 || p.Sub > 1 {
			return "", false
		}
		return headerField(seg, p.Field, m.delims.Field)
	}
	idx := p.Field
	if isMSH {
		idx-- // MSH-1 is the separator itself, so MSH-3 is the second piece
	}
	v, ok := nth(seg, m.delims.Field, idx)
	if !ok {
		return "", false
	}
	rep := p.Repetition
	if rep == 0 {
		rep = 1
	}
	if v, ok = nth(v, m.delims.Repetition, rep-1); !ok {
		return "", false
	}
	comp := p.Component
	if comp == 0 {
		comp = 1
	}
	if v, ok = nth(v, m.delims.Component, comp-1); !ok {
		return "", false
	}
	sub := p.Sub
	if sub == 0 {
		sub = 1
	}
	if v, ok = nth(v, m.delims.Subcomponent, sub-1); !ok {
		return "", false
	}
	return v, true
}

// headerField returns field 1 (the separator) or 2 (the encoding
// characters) of an MSH, FHS or BHS segment.
func headerField(seg string, n int, sep byte) (string, bool) {
	if len(seg) < 4 {
		return "", false
	}
	if n == 1 {
		return seg[3:4], true
	}
	enc := seg[4:]
	if k := indexByte(enc, sep); k >= 0 {
		enc = enc[:k]
	}
	return enc, true
}

// nth returns the i-th (0-based) piece of s split by sep. Pieces are
// short, so a plain loop beats bytes.IndexByte's per-call set-up.
func nth(s string, sep byte, i int) (string, bool) {
	start := 0
	if i > 0 {
		j := 0
		for ; j < len(s); j++ {
			if s[j] == sep {
				i--
				if i == 0 {
					break
				}
			}
		}
		if j >= len(s) {
			return "", false
		}
		start = j + 1
	}
	for k := start; k < len(s); k++ {
		if s[k] == sep {
			return s[start:k], true
		}
	}
	return s[start:], true
}

// count returns how many pieces s has when split by sep (0 for "").
func count(s string, sep byte) int {
	if s == "" {
		return 0
	}
	n := 1
	for {
		k := indexByte(s, sep)
		if k < 0 {
			return n
		}
		n++
		s = s[k+1:]
	}
}

// segment returns the text of the occ-th (1-based) segment called name.
func (m *Message) segment(name string, occ int) (string, bool) {
	n := [3]byte{name[0], name[1], name[2]}
	for _, s := range m.segs {
		if s.name == n {
			occ--
			if occ == 0 {
				return m.text[s.start:s.end], true
			}
		}
	}
	return "", false
}

// Segment is one segment of a message, for code that walks structure.
type Segment struct {
	m    *Message
	text string
	// Index is the segment's 0-based position in the message.
	Index int
}

// Segments returns every segment in order.
func (m *Message) Segments() []Segment {
	out := make([]Segment, len(m.segs))
	for i, s := range m.segs {
		out[i] = Segment{m: m, text: m.text[s.start:s.end], Index: i}
	}
	return out
}

// SegmentsNamed returns the segments called name, in order.
func (m *Message) SegmentsNamed(name string) []Segment {
	var out []Segment
	if len(name) != 3 {
		return nil
	}
	n := [3]byte{name[0], name[1], name[2]}
	for i, s := range m.segs {
		if s.name == n {
			out = append(out, Segment{m: m, text: m.text[s.start:s.end], Index: i})
		}
	}
	return out
}

// First returns the first segment called name.
func (m *Message) First(name string) (Segment, bool) {
	if len(name) != 3 {
		return Segment{}, false
	}
	n := [3]byte{name[0], name[1], name[2]}
	for i, s := range m.segs {
		if s.name == n {
			return Segment{m: m, text: m.text[s.start:s.end], Index: i}, true
		}
	}
	return Segment{}, false
}

// Name returns the segment's three-character name ("" for the zero
// Segment, which typed views of an absent segment hold).
func (s Segment) Name() string {
	if len(s.text) < 3 {
		return ""
	}
	return s.text[:3]
}

// Present reports whether s is a segment of a message, not the zero
// Segment that a typed view of an absent segment holds.
func (s Segment) Present() bool { return s.m != nil }

// Raw returns the segment text as written, without its terminator.
func (s Segment) Raw() string { return s.text }

func (s Segment) isHeader() bool {
	n := s.Name()
	return n == "MSH" || n == "FHS" || n == "BHS"
}

// NumFields returns the number of the segment's last field.
func (s Segment) NumFields() int {
	if s.m == nil {
		return 0
	}
	n := count(s.text, s.m.delims.Field) - 1
	if s.isHeader() {
		n++
	}
	return n
}

// field returns the raw text of field n (1-based).
func (s Segment) field(n int) (string, bool) {
	if n <= 0 || s.m == nil {
		return "", false
	}
	if s.isHeader() {
		if n <= 2 {
			return headerField(s.text, n, s.m.delims.Field)
		}
		n--
	}
	return nth(s.text, s.m.delims.Field, n)
}

// Field returns field n unescaped (its first repetition's first component's
// first sub-component, as Get does).
func (s Segment) Field(n int) string { return s.Get(n, 1, 1, 1) }

// Get returns the unescaped value at field n, repetition rep, component c
// and sub-component sc (all 1-based).
func (s Segment) Get(n, rep, c, sc int) string {
	v, ok := s.field(n)
	if !ok {
		return ""
	}
	if s.isHeader() && n <= 2 {
		if rep == 1 && c == 1 && sc == 1 {
			return v
		}
		return ""
	}
	d := s.m.delims
	if v, ok = nth(v, d.Repetition, rep-1); !ok {
		return ""
	}
	if v, ok = nth(v, d.Component, c-1); !ok {
		return ""
	}
	if v, ok = nth(v, d.Subcomponent, sc-1); !ok {
		return ""
	}
	return s.m.decode(v)
}

// Repetitions returns how many repetitions field n has (0 when empty).
func (s Segment) Repetitions(n int) int {
	v, ok := s.field(n)
	if !ok {
		return 0
	}
	if s.isHeader() && n <= 2 {
		return 1
	}
	return count(v, s.m.delims.Repetition)
}

// Components returns how many components repetition rep of field n has.
func (s Segment) Components(n, rep int) int {
	v, ok := s.field(n)
	if !ok {
		return 0
	}
	if s.isHeader() && n <= 2 {
		// MSH-1 and MSH-2 are single values, not split by the delimiters
		// they define.
		if rep == 1 {
			return 1
		}
		return 0
	}
	if v, ok = nth(v, s.m.delims.Repetition, rep-1); !ok {
		return 0
	}
	return count(v, s.m.delims.Component)
}

// Repetition is one repetition of a field, read component by component.
type Repetition struct {
	m    *Message
	text string
}

// Raw returns the repetition as written.
func (r Repetition) Raw() string { return r.text }

// Get returns component c, sub-component sc (1-based), unescaped.
func (r Repetition) Get(c, sc int) string {
	v, _ := r.piece(c, sc)
	return v
}

func (r Repetition) piece(c, sc int) (string, bool) {
	if r.m == nil {
		return "", false
	}
	v, ok := nth(r.text, r.m.delims.Component, c-1)
	if !ok {
		return "", false
	}
	if v, ok = nth(v, r.m.delims.Subcomponent, sc-1); !ok {
		return "", false
	}
	return r.m.decode(v), true
}

// CWE reads the repetition as a coded element.
func (r Repetition) CWE() CWE {
	return CWE{Code: r.Get(1, 1), Text: r.Get(2, 1), System: r.Get(3, 1), AltCode: r.Get(4, 1), AltText: r.Get(5, 1), AltSystem: r.Get(6, 1)}
}

// Reps yields each repetition of field n with its 1-based number, in one
// pass over the field: reading every repetition of a field with many
// costs time in proportion to the field, where Get(n, rep, …) in a loop
// would rescan it for each.
func (s Segment) Reps(n int) iter.Seq2[int, Repetition] {
	return func(yield func(int, Repetition) bool) {
		v, ok := s.field(n)
		if !ok || v == "" {
			return
		}
		if s.isHeader() && n <= 2 {
			yield(1, Repetition{m: s.m, text: v})
			return
		}
		sep := s.m.delims.Repetition
		for i := 1; ; i++ {
			k := indexByte(v, sep)
			if k < 0 {
				yield(i, Repetition{m: s.m, text: v})
				return
			}
			if !yield(i, Repetition{m: s.m, text: v[:k]}) {
				return
			}
			v = v[k+1:]
		}
	}
}

// RawField returns field n as written.
func (s Segment) RawField(n int) string {
	v, _ := s.field(n)
	return v
}
