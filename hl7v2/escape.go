package hl7v2

import (
	"strings"
	"unicode/utf8"
)

// charset is how a message's bytes become UTF-8.
type charset uint8

const (
	charsetUTF8   charset = iota // UNICODE UTF-8, ASCII, empty, and unknown names
	charsetLatin1                // 8859/1
)

// charsetFor maps an MSH-18 value to a charset. "UNICODE" (unqualified) is
// read as UTF-8, which is what the senders that write it send in practice.
func charsetFor(name string) charset {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "8859/1", "ISO-8859-1", "ISO_IR 100", "LATIN1":
		return charsetLatin1
	}
	return charsetUTF8
}

// Charset returns the character set the message's values are read in.
func (m *Message) Charset() string {
	if m.charset == charsetLatin1 {
		return "8859/1"
	}
	return "UNICODE UTF-8"
}

// decode unescapes raw and converts it to UTF-8. It returns raw itself
// (no allocation) when there is nothing to do.
func (m *Message) decode(raw string) string {
	needs := indexByte(raw, m.delims.Escape) >= 0
	if !needs && m.charset == charsetLatin1 {
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
	if c >= 0x80 && m.charset == charsetLatin1 {
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
