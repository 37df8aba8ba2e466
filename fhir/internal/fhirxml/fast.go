package fhirxml

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseFast reads the FHIR XML nearly every document is: UTF-8, element
// and attribute names without a prefix, the FHIR namespace as the default
// one and XHTML on the narrative div, attributes id, value and url,
// comments, the five predefined entities and character references. It
// gives the tree parseXML's encoding/xml pass would give, and ok=false for
// anything else (another encoding, a prefix, DOCTYPE, CDATA, a processing
// instruction, any error), which parseXML then reads the slow way, so that
// errors and unusual documents are reported exactly as before. The
// differential fuzz target FuzzFastParse holds the two to the same trees.
func parseFast(data []byte) (root *Element, ok bool) {
	if !plainChars(data) {
		return nil, false
	}
	// names and values are cut from one copy of the input, which lives
	// as long as the tree (one call: the tree is turned into JSON)
	p := fastParser{data: data, src: string(data), line: 1}
	if !p.prolog() {
		return nil, false
	}
	root, ok = p.element(nil, "", 0)
	if !ok || !p.misc() || p.i != len(data) {
		return nil, false
	}
	return root, true
}

// plainChars reports whether data is valid UTF-8 with no character XML
// forbids (controls other than tab, newline and carriage return; U+FFFE,
// U+FFFF), so that the scan below need not look again.
func plainChars(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

type fastParser struct {
	data []byte
	src  string // data as a string
	i    int
	slab []Element // Elements are allocated from here, a chunk at a time
	// line and where it starts, up to posAt: positions are counted
	// forward from the last one asked for
	line, lineStart, posAt int
	attrs                  []fastAttr // scratch for one start tag
	// inXHTML: inside a narrative div, whose text is kept verbatim, so an
	// attribute value is only checked, not used
	inXHTML bool
}

type fastAttr struct {
	name, value string
	prefixed    bool // name is the prefix
}

// pos is encoding/xml's InputPos at offset off: the line, and the column
// in bytes, 1-based.
func (p *fastParser) pos(off int) (line, col int) {
	seg := p.data[p.posAt:off]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		p.line += n
		p.lineStart = p.posAt + bytes.LastIndexByte(seg, '\n') + 1
	}
	p.posAt = off
	return p.line, off - p.lineStart + 1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *fastParser) space() {
	for p.i < len(p.data) && isSpace(p.data[p.i]) {
		p.i++
	}
}

// prolog reads an XML declaration (version 1.0, UTF-8), white space and
// comments before the root.
func (p *fastParser) prolog() bool {
	if bytes.HasPrefix(p.data, []byte("<?xml")) && len(p.data) > 5 && isSpace(p.data[5]) {
		end := bytes.Index(p.data, []byte("?>"))
		if end < 0 || !xmlDecl(string(p.data[6:end])) {
			return false
		}
		p.i = end + 2
	}
	return p.misc()
}

// xmlDecl reports whether the declaration's pseudo-attributes are ones
// encoding/xml reads as UTF-8 XML 1.0.
func xmlDecl(s string) bool {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return true
		}
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			return false
		}
		name = strings.TrimRight(name, " \t\r\n")
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" || rest[0] != '"' && rest[0] != '\'' {
			return false
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return false
		}
		val := rest[1 : 1+end]
		switch name {
		case "version":
			if val != "1.0" {
				return false
			}
		case "encoding":
			if !strings.EqualFold(val, "utf-8") {
				return false
			}
		case "standalone":
			if val != "yes" && val != "no" {
				return false
			}
		default:
			return false
		}
		s = rest[2+end:]
	}
}

// misc reads white space and comments between elements.
func (p *fastParser) misc() bool {
	for {
		p.space()
		if !bytes.HasPrefix(p.data[p.i:], []byte("<!--")) {
			return true
		}
		if !p.comment() {
			return false
		}
	}
}

// comment reads a comment at p.i; "--" inside one is an error.
func (p *fastParser) comment() bool {
	body := p.data[p.i+4:]
	end := bytes.Index(body, []byte("--"))
	if end < 0 || end+2 >= len(body) || body[end+2] != '>' {
		return false
	}
	p.i += 4 + end + 3
	return true
}

func nameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func nameByte(c byte) bool {
	return nameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// name reads an ASCII name without a prefix.
func (p *fastParser) name() (string, bool) {
	start := p.i
	if p.i >= len(p.data) || !nameStart(p.data[p.i]) {
		return "", false
	}
	for p.i < len(p.data) && nameByte(p.data[p.i]) {
		p.i++
	}
	if p.i < len(p.data) && p.data[p.i] == ':' {
		// a prefix: the name so far, not ok
		return p.src[start:p.i], false
	}
	return p.src[start:p.i], true
}

// startTag reads a start tag's name and attributes after its '<'; empty
// is true for "/>".
func (p *fastParser) startTag() (name string, empty, ok bool) {
	if name, ok = p.name(); !ok {
		return "", false, false
	}
	p.attrs = p.attrs[:0]
	for {
		hadSpace := p.i < len(p.data) && isSpace(p.data[p.i])
		p.space()
		if p.i >= len(p.data) {
			return "", false, false
		}
		switch p.data[p.i] {
		case '>':
			p.i++
			return name, false, true
		case '/':
			if p.i+1 < len(p.data) && p.data[p.i+1] == '>' {
				p.i += 2
				return name, true, true
			}
			return "", false, false
		}
		if !hadSpace {
			return "", false, false
		}
		a, ok := p.name()
		prefixed := false
		if !ok && a != "" && p.data[p.i] == ':' {
			// a prefixed attribute (xml:lang), which only a narrative may
			// have here: it is kept verbatim, read but not used
			p.i++
			_, ok = p.name()
			prefixed = true
		}
		if !ok {
			return "", false, false
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '=' {
			return "", false, false
		}
		p.i++
		p.space()
		v, ok := p.attrValue()
		if !ok {
			return "", false, false
		}
		for _, o := range p.attrs {
			if o.name == a {
				return "", false, false
			}
		}
		p.attrs = append(p.attrs, fastAttr{a, v, prefixed})
	}
}

// attrValue reads a quoted attribute value, its references replaced.
func (p *fastParser) attrValue() (string, bool) {
	if p.i >= len(p.data) || p.data[p.i] != '"' && p.data[p.i] != '\'' {
		return "", false
	}
	q := p.data[p.i]
	end := bytes.IndexByte(p.data[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	raw := p.data[p.i+1 : p.i+1+end]
	p.i += end + 2
	if bytes.IndexByte(raw, '<') >= 0 {
		return "", false
	}
	if bytes.IndexByte(raw, '&') < 0 && !bytes.ContainsAny(raw, "\t\n\r") {
		return p.src[p.i-end-1 : p.i-1], true
	}
	return normalizeAttr(raw)
}

// normalizeAttr gives the value of an attribute written as raw (between
// its quotes): references replaced, and each tab, line feed, carriage
// return or CR LF written as such a space (XML 1.0 §2.11, §3.3.3); a
// character reference to one of them is kept as that character.
func normalizeAttr(raw []byte) (string, bool) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			b.WriteByte(' ')
		case '\t', '\n':
			b.WriteByte(' ')
		case '&':
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 {
				return "", false
			}
			r, ok := entity(string(raw[i+1 : i+semi]))
			if !ok {
				return "", false
			}
			b.WriteRune(r)
			i += semi
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// entity is the character a reference names: one of the five predefined
// entities, or a character reference to a character XML allows.
func entity(s string) (rune, bool) {
	switch s {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(s) < 2 || s[0] != '#' {
		return 0, false
	}
	base, digits := 10, s[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' || len(digits) > 8 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, base, 32)
	r := rune(n)
	if err != nil || !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
		return 0, false
	}
	return r, true
}

// element reads an element at p.i (at its '<') and what it holds, and
// adds it to parent; ns is the default namespace in scope.
func (p *fastParser) element(parent *Element, ns string, depth int) (*Element, bool) {
	if depth > maxDepth || p.i >= len(p.data) || p.data[p.i] != '<' {
		return nil, false
	}
	start := p.i
	p.i++
	name, empty, ok := p.startTag()
	if !ok {
		return nil, false
	}
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]Element, 0, 32)
	}
	p.slab = append(p.slab, Element{name: name})
	n := &p.slab[len(p.slab)-1]
	n.line, n.col = p.pos(p.i)
	prefixed := false
	for _, a := range p.attrs {
		if a.name == "xmlns" && !a.prefixed {
			ns = a.value
		}
		prefixed = prefixed || a.prefixed
	}
	n.space = ns
	if ns == xhtmlNS && name == "div" {
		if parent == nil {
			return nil, false
		}
		p.inXHTML = true
		ok := empty || p.xhtmlContent(name, depth+1)
		p.inXHTML = false
		if !ok {
			return nil, false
		}
		n.raw = strings.TrimSpace(p.src[start:p.i])
		parent.children = append(parent.children, n)
		return n, true
	}
	if ns != fhirNS || prefixed {
		return nil, false
	}
	for _, a := range p.attrs {
		switch a.name {
		case "xmlns":
		case "id":
			n.id, n.hasID = a.value, true
		case "value":
			n.val, n.hasVal = a.value, true
		case "url":
			n.url, n.hasURL = a.value, true
		default:
			return nil, false
		}
	}
	if parent != nil {
		parent.children = append(parent.children, n)
	}
	if empty {
		return n, true
	}
	for {
		// only white space and comments between child elements
		if !p.misc() || p.i >= len(p.data) || p.data[p.i] != '<' {
			return nil, false
		}
		if p.i+1 < len(p.data) && p.data[p.i+1] == '/' {
			return n, p.endTag(name)
		}
		if _, ok := p.element(n, ns, depth+1); !ok {
			return nil, false
		}
	}
}

// endTag reads "</name>" at p.i.
func (p *fastParser) endTag(name string) bool {
	p.i += 2
	got, ok := p.name()
	if !ok || got != name {
		return false
	}
	p.space()
	if p.i >= len(p.data) || p.data[p.i] != '>' {
		return false
	}
	p.i++
	return true
}

// xhtmlContent reads the content of an XHTML element up to and including
// its end tag, checking it as encoding/xml's Skip would: elements
// balanced, attributes well formed, text with known references only.
func (p *fastParser) xhtmlContent(name string, depth int) bool {
	if depth > maxDepth {
		return false
	}
	for {
		lt := bytes.IndexByte(p.data[p.i:], '<')
		if lt < 0 || !textOK(p.data[p.i:p.i+lt]) {
			return false
		}
		p.i += lt
		rest := p.data[p.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("</")):
			return p.endTag(name)
		case bytes.HasPrefix(rest, []byte("<!--")):
			if !p.comment() {
				return false
			}
		case len(rest) > 1 && (rest[1] == '!' || rest[1] == '?'):
			return false
		default:
			p.i++
			child, empty, ok := p.startTag()
			if !ok {
				return false
			}
			if !empty && !p.xhtmlContent(child, depth+1) {
				return false
			}
		}
	}
}

// textOK reports whether character data is as encoding/xml accepts it:
// references known, and no "]]>" (XML 1.0 2.4: outside a CDATA section it
// must be escaped).
func textOK(s []byte) bool {
	if bytes.Contains(s, []byte("]]>")) {
		return false
	}
	for {
		amp := bytes.IndexByte(s, '&')
		if amp < 0 {
			return true
		}
		semi := bytes.IndexByte(s[amp:], ';')
		if semi < 0 {
			return false
		}
		if _, ok := entity(string(s[amp+1 : amp+semi])); !ok {
			return false
		}
		s = s[amp+semi+1:]
	}
}

// CheckFastParse is for tests of the packages that use this one: it
// reports whether parseFast read data (fast) and an error when parseFast
// gave a tree that encoding/xml's parse does not give, or accepted what
// that parse refuses.
func CheckFastParse(data []byte) (fast bool, err error) {
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	got, ok := parseFast(data)
	if !ok {
		return false, nil
	}
	want, err := parseSlow(data)
	if err != nil {
		return true, fmt.Errorf("fhirxml: the fast parse accepted what encoding/xml refuses: %v", err)
	}
	if path := sameTree(got, want, want.name); path != "" {
		return true, fmt.Errorf("fhirxml: the fast parse differs from encoding/xml's at %s", path)
	}
	return true, nil
}

// sameTree gives the path of the first element where a and b differ, or
// "".
func sameTree(a, b *Element, path string) string {
	if a.name != b.name || a.space != b.space || a.id != b.id || a.val != b.val || a.url != b.url ||
		a.hasID != b.hasID || a.hasVal != b.hasVal || a.hasURL != b.hasURL || a.raw != b.raw ||
		a.line != b.line || a.col != b.col || len(a.children) != len(b.children) {
		return fmt.Sprintf("%s (%+v vs %+v)", path, *a, *b)
	}
	for i := range a.children {
		if p := sameTree(a.children[i], b.children[i], path+"/"+b.children[i].name); p != "" {
			return p
		}
	}
	return ""
}
