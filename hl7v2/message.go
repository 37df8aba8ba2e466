package hl7v2

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Delimiters are a message's separators and escape character, read from
// MSH-1 and MSH-2.
type Delimiters struct {
	Field        byte // MSH-1, usually '|'
	Component    byte // usually '^'
	Repetition   byte // usually '~'
	Escape       byte // usually '\\'
	Subcomponent byte // usually '&'
	// Truncation is the v2.7 truncation character ('#'), or 0 when MSH-2
	// has only four characters.
	Truncation byte
}

// DefaultDelimiters are the delimiters almost every sender uses.
var DefaultDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// span is a half-open byte range of the message text.
type span struct{ start, end int32 }

// segment is one segment's location: its text without terminator, and its
// three-character name.
type segment struct {
	span
	name [3]byte
}

// inlineSegments is how many segments fit without a second allocation;
// larger messages grow the slice once or twice.
const inlineSegments = 24

// Message is a parsed HL7 v2 message. It holds one copy of the message
// text and records where each segment is: values are found and unescaped
// only when asked for, and a string obtained from a Message never changes,
// whatever happens to the input afterwards. Only a Message parsed with
// [Options.Borrow] refers to its input instead (see there). A Message is
// safe for concurrent reads; Set is not safe concurrently with anything
// else.
type Message struct {
	text   string // the message text, sharing memory with the input
	delims Delimiters
	segs   []segment
	// canonical records that the text is already \r-terminated segments
	// with no empty ones, so Encode can return it as it is.
	canonical bool
	charset   charset
	inline    [inlineSegments]segment

	// Editing state (build.go). Edits append a segment's new text to buf
	// and point the segment at it, so an edit costs the segment's size,
	// not the message's; bytes already handed out are never overwritten.
	buf     []byte // text's backing store once edited; nil before
	edited  bool   // segments are not text in order: Encode assembles them
	garbage int    // bytes of text no segment refers to any more
	byName  map[[3]byte][]int32
}

// Sentinel errors wrapped by *ParseError.
var (
	ErrNoMSH           = errors.New("message does not start with an MSH segment")
	ErrBadDelimiters   = errors.New("invalid delimiters in MSH-1 or MSH-2")
	ErrSegmentName     = errors.New("segment name is not three upper-case letters or digits")
	ErrTooLarge        = errors.New("message exceeds the size limit")
	ErrTooManySegments = errors.New("message exceeds the segment limit")
	ErrEmpty           = errors.New("empty message")
)

// ParseError reports where a message is malformed.
type ParseError struct {
	Segment int // 1-based index of the segment, 0 when not in one
	Field   int // field number within the segment, 0 when not in one
	Offset  int // byte offset in the input
	Err     error
}

func (e *ParseError) Error() string {
	switch {
	case e.Segment > 0 && e.Field > 0:
		return fmt.Sprintf("hl7v2: segment %d field %d (offset %d): %v", e.Segment, e.Field, e.Offset, e.Err)
	case e.Segment > 0:
		return fmt.Sprintf("hl7v2: segment %d (offset %d): %v", e.Segment, e.Offset, e.Err)
	}
	return fmt.Sprintf("hl7v2: offset %d: %v", e.Offset, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Limits bound what Parse accepts.
type Limits struct {
	MaxBytes    int // default 64 MiB
	MaxSegments int // default 100,000
}

// DefaultLimits are the limits Parse uses.
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxSegments: 100_000}

// Options control ParseWithOptions.
type Options struct {
	Limits Limits
	// Charset overrides MSH-18 for senders that declare one character set
	// and send another: "UNICODE UTF-8", "8859/1", "ASCII". Empty trusts
	// MSH-18.
	Charset string
	// Borrow makes the Message borrow the input instead of copying it,
	// saving one allocation and copy per message. The Message, and every
	// string obtained from it (Get, Raw, Field…), is then valid only while
	// the input bytes are unchanged: for a Reader, until the next call to
	// Next; for an mllp.Server, until the handler returns. Keep a value
	// past that with strings.Clone or the message with Message.Clone.
	// Without Borrow a Message owns its text and its strings are
	// immutable.
	Borrow bool
}

// Parse parses one message with the default limits, trusting MSH-18. The
// Message keeps its own copy of data, so data may be reused at once.
func Parse(data []byte) (*Message, error) { return ParseWithOptions(data, Options{}) }

// ParseWithOptions parses one message.
func ParseWithOptions(data []byte, opts Options) (*Message, error) {
	if len(data) == 0 {
		return nil, &ParseError{Err: ErrEmpty}
	}
	if opts.Borrow {
		return parseText(unsafe.String(&data[0], len(data)), opts)
	}
	limit := opts.Limits.MaxBytes
	if limit <= 0 {
		limit = DefaultLimits.MaxBytes
	}
	if len(data) > limit {
		return nil, &ParseError{Offset: limit, Err: ErrTooLarge} // before copying
	}
	return parseText(string(data), opts)
}

// parseText parses text, which the Message keeps as it is.
func parseText(text string, opts Options) (*Message, error) {
	lim := opts.Limits
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultLimits.MaxBytes
	}
	if lim.MaxSegments <= 0 {
		lim.MaxSegments = DefaultLimits.MaxSegments
	}
	if len(text) > lim.MaxBytes {
		return nil, &ParseError{Offset: lim.MaxBytes, Err: ErrTooLarge}
	}
	if len(text) == 0 {
		return nil, &ParseError{Err: ErrEmpty}
	}
	m := &Message{text: text}
	m.segs = m.inline[:0]
	if err := m.parse(lim); err != nil {
		return nil, err
	}
	cs := opts.Charset
	if cs == "" {
		// MSH-18 is the 17th piece of MSH split by the field separator.
		msh := m.text[m.segs[0].start:m.segs[0].end]
		cs, _ = nth(msh, m.delims.Field, 17)
		cs, _ = nth(cs, m.delims.Repetition, 0)
	}
	var ok bool
	if m.charset, ok = charsetFor(cs); !ok {
		off := 0
		if opts.Charset == "" {
			// MSH-18 begins after the 17th field separator (MSH-1 is the first).
			for i, n := 0, 0; i < int(m.segs[0].end); i++ {
				if m.text[i] == m.delims.Field {
					if n++; n == 17 {
						off = i + 1
						break
					}
				}
			}
		}
		return nil, &ParseError{Segment: 1, Field: 18, Offset: off, Err: fmt.Errorf("%w: %q", ErrCharset, cs)}
	}
	if m.charset == charsetUTF8 && !utf8.ValidString(m.text) {
		// Bytes that are not UTF-8 (nor ASCII) in a message that says it
		// is: refused rather than passed on as invalid text. A sender that
		// declares ASCII and sends Latin-1 is read with Options.Charset.
		return nil, m.invalidUTF8()
	}
	return m, nil
}

// invalidUTF8 reports where the first byte that is not UTF-8 is.
func (m *Message) invalidUTF8() *ParseError {
	off := 0
	for off < len(m.text) {
		r, n := utf8.DecodeRuneInString(m.text[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	pe := &ParseError{Offset: off, Err: fmt.Errorf("%w: byte 0x%02X is not valid UTF-8 in a message declared %q", ErrCharset, m.text[min(off, len(m.text)-1)], m.declared())}
	for i, s := range m.segs {
		if off >= int(s.start) && off <= int(s.end) {
			pe.Segment = i + 1
			pe.Field = strings.Count(m.text[s.start:off], string(m.delims.Field))
			if i == 0 || isHeaderName(string(s.name[:])) {
				pe.Field++ // MSH-1 is the separator itself
			}
		}
	}
	return pe
}

// declared is MSH-18 as written, or "" (ASCII).
func (m *Message) declared() string {
	msh := m.text[m.segs[0].start:m.segs[0].end]
	cs, _ := nth(msh, m.delims.Field, 17)
	cs, _ = nth(cs, m.delims.Repetition, 0)
	return cs
}

func (m *Message) parse(lim Limits) error {
	t := m.text
	if len(t) < 8 || t[:3] != "MSH" {
		return &ParseError{Segment: 1, Err: ErrNoMSH}
	}
	d := Delimiters{Field: t[3]}
	// MSH-2 runs from offset 4 to the next field separator.
	end := 4
	for end < len(t) && t[end] != d.Field && t[end] != '\r' && t[end] != '\n' {
		end++
	}
	enc := t[4:end]
	if len(enc) != 4 && len(enc) != 5 {
		return &ParseError{Segment: 1, Field: 2, Offset: 4, Err: ErrBadDelimiters}
	}
	d.Component, d.Repetition, d.Escape, d.Subcomponent = enc[0], enc[1], enc[2], enc[3]
	if len(enc) == 5 {
		d.Truncation = enc[4]
	}
	if !d.valid() {
		return &ParseError{Segment: 1, Field: 2, Offset: 4, Err: ErrBadDelimiters}
	}
	m.delims = d

	// A bare \n ends segments only in a message with no \r at all.
	hasCR := indexByte(t, '\r') >= 0
	m.canonical = hasCR
	i := 0
	for i < len(t) {
		j := i
		if hasCR {
			k := indexByte(t[i:], '\r')
			if k < 0 {
				j = len(t)
			} else {
				j = i + k
			}
		} else {
			k := indexByte(t[i:], '\n')
			if k < 0 {
				j = len(t)
			} else {
				j = i + k
			}
		}
		segEnd := j
		next := j + 1
		if hasCR && j+1 < len(t) && t[j+1] == '\n' {
			next = j + 2 // \r\n is one terminator
			m.canonical = false
		}
		if segEnd > i {
			if err := m.addSegment(i, segEnd, lim); err != nil {
				return err
			}
		} else if j < len(t) {
			m.canonical = false // an empty segment is dropped
		}
		if j >= len(t) {
			m.canonical = false // the last segment has no terminator
		}
		i = next
	}
	return nil
}

func (m *Message) addSegment(start, end int, lim Limits) error {
	if len(m.segs) >= lim.MaxSegments {
		return &ParseError{Segment: len(m.segs) + 1, Offset: start, Err: ErrTooManySegments}
	}
	t := m.text
	if end-start < 3 || !isNameChar(t[start]) || !isNameChar(t[start+1]) || !isNameChar(t[start+2]) ||
		(end-start > 3 && t[start+3] != m.delims.Field) {
		return &ParseError{Segment: len(m.segs) + 1, Offset: start, Err: ErrSegmentName}
	}
	m.segs = append(m.segs, segment{span: span{int32(start), int32(end)}, name: [3]byte{t[start], t[start+1], t[start+2]}})
	return nil
}

func isNameChar(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') }

func (d Delimiters) valid() bool {
	cs := []byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		cs = append(cs, d.Truncation)
	}
	for i, c := range cs {
		if c == '\r' || c == '\n' || isNameChar(c) || c >= 0x80 || c < 0x20 {
			return false
		}
		for _, o := range cs[:i] {
			if o == c {
				return false
			}
		}
	}
	return true
}

func indexByte(s string, c byte) int {
	return bytes.IndexByte(unsafe.Slice(unsafe.StringData(s), len(s)), c)
}

// Delimiters returns the message's delimiters.
func (m *Message) Delimiters() Delimiters { return m.delims }

// Len returns the number of segments.
func (m *Message) Len() int { return len(m.segs) }

// Raw returns the message text exactly as parsed (terminators included),
// or as Encode gives it once edited. It shares memory with the parsed
// input only under Options.Borrow.
func (m *Message) Raw() string {
	if m.edited {
		return string(m.Encode())
	}
	return m.text
}

// Clone returns a copy of m that does not share memory with its input:
// the way to keep a message parsed with Options.Borrow.
func (m *Message) Clone() *Message {
	if m.edited {
		c := *m
		c.byName = nil // the index is m's to change
		c.compactInto(nil)
		return &c
	}
	c := *m
	c.buf, c.byName = nil, nil
	c.text = string([]byte(m.text))
	if len(m.segs) <= inlineSegments {
		c.segs = c.inline[:len(m.segs)]
		copy(c.segs, m.segs)
	} else {
		c.segs = append([]segment(nil), m.segs...)
	}
	return &c
}

// Encode returns the message with each segment ended by \r. A message
// parsed from \r-terminated text comes back byte for byte.
func (m *Message) Encode() []byte {
	if m.canonical {
		return []byte(m.text)
	}
	n := 0
	for _, s := range m.segs {
		n += int(s.end-s.start) + 1
	}
	out := make([]byte, 0, n)
	for _, s := range m.segs {
		out = append(out, m.text[s.start:s.end]...)
		out = append(out, '\r')
	}
	return out
}

// String returns a short description that never includes field values.
func (m *Message) String() string {
	return fmt.Sprintf("hl7v2.Message{%s, %d segments}", m.Get("MSH-9")+"^"+m.Get("MSH-9.2"), len(m.segs))
}
