package hl7v2

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// charset is how a message's bytes become UTF-8.
type charset uint8

const (
	charsetUTF8   charset = iota // UNICODE UTF-8, ASCII, empty
	charsetLatin1                // 8859/1
	charsetLatin9                // 8859/15: Latin-1 with the euro sign and 7 other letters
)

// latin9 holds the eight code points where ISO 8859-15 differs from
// ISO 8859-1, by byte.
var latin9 = map[byte]rune{
	0xA4: '€', 0xA6: 'Š', 0xA8: 'š', 0xB4: 'Ž', 0xB8: 'ž', 0xBC: 'Œ', 0xBD: 'œ', 0xBE: 'Ÿ',
}

// ErrCharset reports a character set that nhskit cannot convert to UTF-8.
// Options.Charset overrides MSH-18 for a sender that declares one it does
// not use.
var ErrCharset = errors.New("character set not supported")

// charsetFor maps an MSH-18 value (HL7 table 0211) to a charset. "UNICODE"
// (unqualified) is read as UTF-8, which is what the senders that write it
// send in practice. Other character sets are refused rather than read as
// UTF-8, which would garble every non-ASCII character.
func charsetFor(name string) (charset, bool) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "", "ASCII", "US-ASCII", "ISO IR6", "UNICODE UTF-8", "UTF-8", "UNICODE":
		return charsetUTF8, true
	case "8859/1", "ISO-8859-1", "ISO_IR 100", "LATIN1":
		return charsetLatin1, true
	case "8859/15", "ISO-8859-15", "ISO_IR 203", "LATIN9":
		return charsetLatin9, true
	}
	return charsetUTF8, false
}

// Charset returns the character set the message's values are read in.
func (m *Message) Charset() string {
	switch m.charset {
	case charsetLatin1:
		return "8859/1"
	case charsetLatin9:
		return "8859/15"
	}
	return "UNICODE UTF-8"
}

// encode converts a UTF-8 value to the message's character set, for Set.
func (m *Message) encode(value string) (string, error) {
	if m.charset == charsetUTF8 {
		if !utf8.ValidString(value) {
			return "", errors.New("value is not valid UTF-8")
		}
		return value, nil
	}
	b := make([]byte, 0, len(value))
	for _, r := range value {
		c, ok := m.byteFor(r)
		if !ok {
			return "", fmt.Errorf("%q cannot be written in %s", r, m.Charset())
		}
		b = append(b, c)
	}
	return string(b), nil
}

// byteFor is the byte that stands for r in a single-byte character set.
func (m *Message) byteFor(r rune) (byte, bool) {
	if m.charset == charsetLatin9 {
		for c, l := range latin9 {
			if l == r {
				return c, true
			}
		}
		if _, replaced := latin9[byte(r)]; replaced && r <= 0xFF {
			return 0, false // ¤ ¦ ¨ ´ ¸ ¼ ½ ¾ are not in 8859/15
		}
	}
	if r <= 0xFF && r != utf8.RuneError {
		return byte(r), true
	}
	return 0, false
}

// decode unescapes raw and converts it to UTF-8. It returns raw itself
// (no allocation) when there is nothing to do.
func (m *Message) decode(raw string) string {
	needs := indexByte(raw, m.delims.Escape) >= 0
	if !needs && m.charset != charsetUTF8 {
		for i := 0; i < len(raw); i++ {
			if raw[i] >= 0x80 {
				needs = true
				break
			}
		}
	}
	if !needs {
		return raw
	}
	return string(m.appendDecoded(nil, raw))
}

// appendDecoded appends raw unescaped and converted to UTF-8 to dst.
//
// Escapes \F\ \S\ \T\ \R\ \E\ become the delimiter they stand for; \Xhh…\
// becomes the bytes hh… in the message's character set; formatting and
// character-set escapes (\.br\, \H\, \N\, \Z…\, \C…\, \M…\) and any unknown
// sequence are kept as written; an escape character with no closing one is
// kept literally.
func (m *Message) appendDecoded(dst []byte, raw string) []byte {
	d := m.delims
	var bytesBuf []byte // \X..\ bytes, in the message charset
	i := 0
	for i < len(raw) {
		c := raw[i]
		if c != d.Escape {
			dst = m.appendChar(dst, c)
			i++
			continue
		}
		end := -1
		for j := i + 1; j < len(raw); j++ {
			if raw[j] == d.Escape {
				end = j
				break
			}
		}
		if end < 0 {
			dst = m.appendChar(dst, c) // no closing escape: literal
			i++
			continue
		}
		body := raw[i+1 : end]
		switch {
		case body == "F":
			dst = append(dst, d.Field)
		case body == "S":
			dst = append(dst, d.Component)
		case body == "T":
			dst = append(dst, d.Subcomponent)
		case body == "R":
			dst = append(dst, d.Repetition)
		case body == "E":
			dst = append(dst, d.Escape)
		case body == "P" && d.Truncation != 0:
			dst = append(dst, d.Truncation)
		case len(body) > 1 && body[0] == 'X' && len(body)%2 == 1 && isHex(body[1:]):
			bytesBuf = bytesBuf[:0]
			for k := 1; k < len(body); k += 2 {
				bytesBuf = append(bytesBuf, unhex(body[k])<<4|unhex(body[k+1]))
			}
			if m.charset == charsetUTF8 && !utf8.Valid(bytesBuf) {
				// \X..\ bytes that are not UTF-8 in a UTF-8 message: each
				// bad sequence becomes U+FFFD, never invalid text.
				dst = append(dst, bytes.ToValidUTF8(bytesBuf, []byte("\uFFFD"))...)
				break
			}
			for _, b := range bytesBuf {
				dst = m.appendChar(dst, b)
			}
		default:
			// Formatting, character-set and unknown escapes stay verbatim.
			dst = append(dst, raw[i:end+1]...)
		}
		i = end + 1
	}
	return dst
}

func (m *Message) appendChar(dst []byte, c byte) []byte {
	if c >= 0x80 && m.charset != charsetUTF8 {
		if r, ok := latin9[c]; ok && m.charset == charsetLatin9 {
			return utf8.AppendRune(dst, r)
		}
		return utf8.AppendRune(dst, rune(c))
	}
	return append(dst, c)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) == 0xff {
			return false
		}
	}
	return len(s) > 0
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// Unescape decodes the escape sequences of s, written with delimiters d, as
// Get does (without character-set conversion).
func Unescape(s string, d Delimiters) string {
	m := Message{delims: d}
	if indexByte(s, d.Escape) < 0 {
		return s
	}
	return string(m.appendDecoded(nil, s))
}

// Escape returns s with every delimiter character written as its escape
// sequence, so that it can stand as one value in a message. Line breaks
// become \X0D\ and \X0A\ so a value can never end a segment.
func Escape(s string, d Delimiters) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if isSpecial(s[i], d) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	esc := func(code string) {
		b.WriteByte(d.Escape)
		b.WriteString(code)
		b.WriteByte(d.Escape)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == d.Field:
			esc("F")
		case c == d.Component:
			esc("S")
		case c == d.Subcomponent:
			esc("T")
		case c == d.Repetition:
			esc("R")
		case c == d.Escape:
			esc("E")
		case d.Truncation != 0 && c == d.Truncation:
			esc("P")
		case c == '\r':
			esc("X0D")
		case c == '\n':
			esc("X0A")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isSpecial(c byte, d Delimiters) bool {
	return c == d.Field || c == d.Component || c == d.Subcomponent || c == d.Repetition ||
		c == d.Escape || (d.Truncation != 0 && c == d.Truncation) || c == '\r' || c == '\n'
}

// escapeValue is Escape for Set: it writes every delimiter as its escape
// sequence but keeps as written the formatting and character-set escapes
// that Get keeps (\.br\, \H\, \N\, \.sp\, \.in\, \.ti\, \.sk\, \.fi\,
// \.nf\, \.ce\, \Z…\, \C…\, \M…\), so a value read with Get and written
// back with Set keeps its line breaks and highlighting.
func escapeValue(s string, d Delimiters) string {
	if indexByte(s, d.Escape) < 0 {
		return Escape(s, d)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		k := strings.IndexByte(s[i:], d.Escape)
		if k < 0 {
			b.WriteString(Escape(s[i:], d))
			break
		}
		b.WriteString(Escape(s[i:i+k], d))
		i += k
		end := strings.IndexByte(s[i+1:], d.Escape)
		if end >= 0 && isFormatting(s[i+1:i+1+end], d) {
			b.WriteString(s[i : i+end+2])
			i += end + 2
			continue
		}
		b.WriteByte(d.Escape)
		b.WriteByte('E')
		b.WriteByte(d.Escape)
		i++
	}
	return b.String()
}

// isFormatting says whether body (between two escape characters) is a
// formatting or character-set escape of HL7 v2 chapter 2 that Get keeps as
// written.
func isFormatting(body string, d Delimiters) bool {
	if body == "" || len(body) > 32 {
		return false
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; isSpecial(c, d) || c < 0x20 || c >= 0x7f {
			return false
		}
	}
	switch body {
	case "H", "N", ".br", ".fi", ".nf", ".ce":
		return true
	}
	switch {
	case strings.HasPrefix(body, ".sp"), strings.HasPrefix(body, ".in"), strings.HasPrefix(body, ".ti"), strings.HasPrefix(body, ".sk"):
		n := body[3:]
		if n != "" && (n[0] == '+' || n[0] == '-') {
			n = n[1:]
		}
		for i := 0; i < len(n); i++ {
			if n[i] < '0' || n[i] > '9' {
				return false
			}
		}
		return true
	case body[0] == 'Z', body[0] == 'C' && len(body) == 5 && isHex(body[1:]), body[0] == 'M' && (len(body) == 5 || len(body) == 7) && isHex(body[1:]):
		return true
	}
	return false
}
