package fhirjson

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrXHTML is wrapped by *XHTMLError: a narrative div that is not the
// restricted XHTML FHIR allows.
var ErrXHTML = errors.New("invalid narrative xhtml")

// MaxXHTMLDepth bounds how deeply the elements of a narrative div nest.
const MaxXHTMLDepth = 64

// XHTMLError says where a narrative div is wrong, by line and column
// (1-based, columns in bytes) inside the div's own text.
type XHTMLError struct {
	Line, Column int
	Msg          string
}

func (e *XHTMLError) Error() string {
	return fmt.Sprintf("narrative div line %d column %d: %s", e.Line, e.Column, e.Msg)
}

func (e *XHTMLError) Unwrap() error { return ErrXHTML }

// xhtmlElements are the elements FHIR narrative allows (txt-1): the HTML 4.0
// formatting elements of chapters 7–11 (not 9.4, ins and del) and 15, a
// and img.
var xhtmlElements = map[string]bool{
	"div": true, "span": true, "p": true, "br": true, "hr": true, "pre": true, "address": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"em": true, "strong": true, "dfn": true, "code": true, "samp": true, "kbd": true, "var": true,
	"cite": true, "abbr": true, "acronym": true, "blockquote": true, "q": true, "sub": true, "sup": true,
	"bdo": true, "ul": true, "ol": true, "li": true, "dl": true, "dt": true, "dd": true, "dir": true, "menu": true,
	"table": true, "caption": true, "thead": true, "tfoot": true, "tbody": true, "colgroup": true, "col": true,
	"tr": true, "th": true, "td": true,
	"tt": true, "i": true, "b": true, "big": true, "small": true, "strike": true, "s": true, "u": true,
	"font": true, "center": true,
	"a": true, "img": true,
}

// xhtmlAttrs are the attributes allowed on them: the HTML 4.0 core,
// language, table, list, link and image attributes; no event handlers
// (txt-2 forbids onX attributes and scripts).
var xhtmlAttrs = map[string]bool{
	"id": true, "class": true, "style": true, "title": true, "lang": true, "xml:lang": true, "dir": true,
	"href": true, "name": true, "rel": true, "rev": true, "hreflang": true, "type": true, "charset": true,
	"src": true, "alt": true, "width": true, "height": true, "border": true, "hspace": true, "vspace": true,
	"longdesc": true, "usemap": true, "ismap": true,
	"align": true, "valign": true, "char": true, "charoff": true, "span": true, "colspan": true, "rowspan": true,
	"abbr": true, "axis": true, "headers": true, "scope": true, "summary": true, "frame": true, "rules": true,
	"cellpadding": true, "cellspacing": true, "bgcolor": true, "nowrap": true,
	"start": true, "value": true, "compact": true, "cite": true, "datetime": true,
	"size": true, "color": true, "face": true, "noshade": true, "clear": true,
	"shape": true, "coords": true, "accesskey": true, "tabindex": true,
}

// CheckXHTML checks a narrative div: one well-formed div element in the
// XHTML namespace, allowed elements and attributes only, no script URLs,
// nesting bounded, characters XML can carry. Since the result is a single
// well-formed element it can be written into FHIR XML as it is.
func CheckXHTML(s string) error {
	x := xhtmlScanner{s: s}
	return x.run()
}

type xhtmlScanner struct {
	s string
	i int
	// the open elements, as offsets of their names in s (no pointers, so
	// the scanner needs no allocation)
	open  [MaxXHTMLDepth][2]int32
	depth int
}

// top is the name of the innermost open element.
func (x *xhtmlScanner) top() string {
	o := x.open[x.depth-1]
	return x.s[o[0]:o[1]]
}

func (x *xhtmlScanner) fail(at int, format string, args ...any) error {
	line, col := 1, 1
	for j := 0; j < at && j < len(x.s); j++ {
		if x.s[j] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &XHTMLError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (x *xhtmlScanner) skipSpace() {
	for x.i < len(x.s) && isXMLSpace(x.s[x.i]) {
		x.i++
	}
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case c >= '0' && c <= '9', c == '-', c == '.', c == ':':
		return !first
	}
	return false
}

func (x *xhtmlScanner) name() string {
	start := x.i
	for x.i < len(x.s) && isNameByte(x.s[x.i], x.i == start) {
		x.i++
	}
	return x.s[start:x.i]
}

func (x *xhtmlScanner) run() error {
	x.skipSpace()
	if !strings.HasPrefix(x.s[x.i:], "<div") {
		return x.fail(x.i, "want a div element")
	}
	for x.i < len(x.s) {
		c := x.s[x.i]
		switch {
		case c == '<' && strings.HasPrefix(x.s[x.i:], "<!--"):
			if x.depth == 0 {
				return x.fail(x.i, "content after the div")
			}
			end := strings.Index(x.s[x.i+4:], "-->")
			if end < 0 {
				return x.fail(x.i, "unterminated comment")
			}
			body := x.s[x.i+4 : x.i+4+end]
			if strings.Contains(body, "--") {
				return x.fail(x.i, "-- inside a comment")
			}
			if err := x.chars(x.i+4, x.i+4+end); err != nil {
				return err
			}
			x.i += 4 + end + 3
		case c == '<' && x.i+1 < len(x.s) && x.s[x.i+1] == '/':
			at := x.i
			x.i += 2
			n := x.name()
			x.skipSpace()
			if x.i >= len(x.s) || x.s[x.i] != '>' {
				return x.fail(at, "bad end tag")
			}
			x.i++
			if x.depth == 0 || x.top() != n {
				return x.fail(at, "end tag </%s> does not match", Clip(n))
			}
			x.depth--
			if x.depth == 0 {
				x.skipSpace()
				if x.i != len(x.s) {
					return x.fail(x.i, "content after the div")
				}
				return nil
			}
		case c == '<':
			if err := x.startTag(); err != nil {
				return err
			}
			if x.depth == 0 {
				// An empty root: <div xmlns="…"/>.
				x.skipSpace()
				if x.i != len(x.s) {
					return x.fail(x.i, "content after the div")
				}
				return nil
			}
		case c == '&':
			if err := x.entity(); err != nil {
				return err
			}
		case c == '>':
			// Allowed in XML text, but "]]>" is not.
			if x.i >= 2 && x.s[x.i-2:x.i] == "]]" {
				return x.fail(x.i-2, "]]> in text")
			}
			x.i++
		default:
			if x.depth == 0 {
				return x.fail(x.i, "content after the div")
			}
			// a run of plain ASCII text at once: what char takes one by one
			for x.i < len(x.s) && plainText(x.s[x.i]) {
				x.i++
			}
			if x.i < len(x.s) && x.s[x.i] != '<' && x.s[x.i] != '&' && x.s[x.i] != '>' {
				if err := x.char(); err != nil {
					return err
				}
			}
		}
	}
	return x.fail(len(x.s), "unclosed <%s>", Clip(x.top()))
}

func Clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// plainText: c is a character of text that char takes as it is and that
// starts no markup (printable ASCII or XML white space, not <, & or >).
func plainText(c byte) bool {
	return c >= 0x20 && c < utf8.RuneSelf && c != '<' && c != '&' && c != '>' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// char consumes one character of text, refusing what XML cannot carry.
func (x *xhtmlScanner) char() error {
	c := x.s[x.i]
	if c < utf8.RuneSelf {
		if c < 0x20 && !isXMLSpace(c) {
			return x.fail(x.i, "character U+%04X is not allowed in XML", c)
		}
		x.i++
		return nil
	}
	r, size := utf8.DecodeRuneInString(x.s[x.i:])
	if !xmlChar(r) || r == utf8.RuneError && size == 1 {
		return x.fail(x.i, "character U+%04X is not allowed in XML", r)
	}
	x.i += size
	return nil
}

func (x *xhtmlScanner) chars(from, to int) error {
	save := x.i
	for x.i = from; x.i < to; {
		if err := x.char(); err != nil {
			return err
		}
	}
	x.i = save
	return nil
}

// xmlChar reports whether XML 1.0 can carry r (production Char).
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// entity consumes one of the five XML entities or a character reference;
// HTML's named entities (&nbsp;) are not XML.
func (x *xhtmlScanner) entity() error {
	at := x.i
	end := strings.IndexByte(x.s[x.i:], ';')
	if end < 0 || end > 12 {
		return x.fail(at, "bad entity reference")
	}
	ref := x.s[x.i+1 : x.i+end]
	x.i += end + 1
	switch ref {
	case "amp", "lt", "gt", "quot", "apos":
		return nil
	}
	if len(ref) < 2 || ref[0] != '#' {
		return x.fail(at, "entity &%s; is not XML (use a character reference)", Clip(ref))
	}
	var r rune
	digits := ref[1:]
	base := rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" {
		return x.fail(at, "bad character reference")
	}
	for _, c := range []byte(digits) {
		var v rune
		switch {
		case c >= '0' && c <= '9':
			v = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			v = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			v = rune(c-'A') + 10
		default:
			return x.fail(at, "bad character reference")
		}
		r = r*base + v
	}
	if !xmlChar(r) {
		return x.fail(at, "character reference to U+%04X, which XML cannot carry", r)
	}
	return nil
}

func (x *xhtmlScanner) startTag() error {
	at := x.i
	x.i++
	n := x.name()
	if n == "" {
		return x.fail(at, "bad start tag")
	}
	if !xhtmlElements[n] {
		return x.fail(at, "element <%s> is not allowed in a narrative", Clip(n))
	}
	if x.depth >= MaxXHTMLDepth {
		return x.fail(at, "elements nest deeper than %d", MaxXHTMLDepth)
	}
	root := x.depth == 0
	hasNS := false
	var seenBuf [8]string // most tags have fewer attributes: no allocation
	seen := seenBuf[:0]
	for {
		sp := x.i
		x.skipSpace()
		if x.i >= len(x.s) {
			return x.fail(at, "unterminated start tag")
		}
		switch x.s[x.i] {
		case '>':
			x.i++
			x.open[x.depth] = [2]int32{int32(at + 1), int32(at + 1 + len(n))}
			x.depth++
		case '/':
			if x.i+1 >= len(x.s) || x.s[x.i+1] != '>' {
				return x.fail(x.i, "bad start tag")
			}
			x.i += 2
		default:
			if sp == x.i {
				return x.fail(x.i, "want a space before an attribute")
			}
			aat := x.i
			a := x.name()
			if a == "" {
				return x.fail(aat, "bad attribute")
			}
			x.skipSpace()
			if x.i >= len(x.s) || x.s[x.i] != '=' {
				return x.fail(aat, "attribute %s has no value", Clip(a))
			}
			x.i++
			x.skipSpace()
			if x.i >= len(x.s) || x.s[x.i] != '"' && x.s[x.i] != '\'' {
				return x.fail(aat, "attribute %s value is not quoted", Clip(a))
			}
			q := x.s[x.i]
			vstart := x.i + 1
			end := strings.IndexByte(x.s[vstart:], q)
			if end < 0 {
				return x.fail(aat, "unterminated attribute value")
			}
			v := x.s[vstart : vstart+end]
			for _, s := range seen {
				if s == a {
					return x.fail(aat, "attribute %s repeats", Clip(a))
				}
			}
			seen = append(seen, a)
			if err := x.attr(aat, n, a, v, root, &hasNS); err != nil {
				return err
			}
			x.i = vstart + end + 1
			continue
		}
		break
	}
	if root && !hasNS {
		return x.fail(at, "the div must declare xmlns=%q", XHTMLNamespace)
	}
	return nil
}

func (x *xhtmlScanner) attr(at int, elem, a, v string, root bool, hasNS *bool) error {
	if strings.IndexByte(v, '<') >= 0 {
		return x.fail(at, "< in attribute value")
	}
	// Characters and entities in the value.
	for j := 0; j < len(v); {
		if v[j] == '&' {
			sub := xhtmlScanner{s: v, i: j}
			if err := sub.entity(); err != nil {
				return x.fail(at, "attribute %s: bad entity reference", Clip(a))
			}
			j = sub.i
			continue
		}
		if c := v[j]; c < utf8.RuneSelf && (c >= 0x20 || isXMLSpace(c)) {
			// what char accepts of ASCII, without a scanner (and its
			// stack of open elements) for each character
			j++
			continue
		}
		sub := xhtmlScanner{s: v, i: j}
		if err := sub.char(); err != nil {
			return x.fail(at, "attribute %s: character XML cannot carry", Clip(a))
		}
		j = sub.i
	}
	switch {
	case a == "xmlns":
		if v != XHTMLNamespace {
			return x.fail(at, "xmlns must be %q", XHTMLNamespace)
		}
		if root {
			*hasNS = true
		}
		return nil
	case strings.HasPrefix(a, "xmlns:"):
		return x.fail(at, "namespace declaration %s is not allowed in a narrative", Clip(a))
	case strings.HasPrefix(a, "on") || strings.HasPrefix(a, "ON") || strings.HasPrefix(a, "On"):
		return x.fail(at, "event attribute %s is not allowed in a narrative", Clip(a))
	case !xhtmlAttrs[a]:
		return x.fail(at, "attribute %s is not allowed on <%s>", Clip(a), elem)
	case a == "href" || a == "src" || a == "longdesc" || a == "usemap" || a == "cite":
		u := strings.ToLower(strings.Map(func(r rune) rune {
			if r <= ' ' {
				return -1
			}
			return r
		}, v))
		if strings.HasPrefix(u, "javascript:") || strings.HasPrefix(u, "vbscript:") ||
			strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "data:image/") {
			return x.fail(at, "attribute %s holds a script or document URL", a)
		}
	}
	return nil
}

// XHTMLNamespace is the namespace a narrative div declares.
const XHTMLNamespace = "http://www.w3.org/1999/xhtml"
