package fhirxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nhskit/nhskit/fhir/internal/fhirjson"
)

// FHIR XML (https://hl7.org/fhir/R4/xml.html, and the same rules in
// https://hl7.org/fhir/STU3/xml.html) is read and written through
// the same generated element tables as JSON: an element's type says whether
// it repeats, whether it is a primitive (value attribute) and which JSON
// type its value takes, so the two forms convert into each other without
// loss. XML comments are not kept.

const fhirNS = "http://hl7.org/fhir"

type (
	encoder = fhirjson.Encoder
	decoder = fhirjson.Decoder
	xmlMark = fhirjson.Mark
)

const (
	utf8BOM  = fhirjson.UTF8BOM
	xhtmlNS  = fhirjson.XHTMLNamespace
	maxDepth = fhirjson.MaxDepth
)

func clip(s string) string { return fhirjson.Clip(s) }

func isJSONNumber(s string) bool {
	d := fhirjson.NewDecoder([]byte(s))
	n, err := d.Number()
	return err == nil && n == s
}

// TypeInfo describes a generated type's elements, in definition order: the
// element tables a model package generates (zz_meta.go).
type TypeInfo struct {
	Name   string
	Kind   string // type, resource or backbone
	Elems  []ElemInfo
	ByName map[string]*ElemInfo // filled by NewModel
}

// ElemInfo is one element of a TypeInfo.
type ElemInfo struct {
	Name   string
	Types  []string // FHIR type names; backbone elements by their path name
	Many   bool
	Choice bool
	Min    int
}

// Model is one FHIR version's model as the XML codec needs it: its element
// tables and its JSON decoder, which checks every converted document.
type Model struct {
	types map[string]*TypeInfo
	check func(data []byte) error
}

// NewModel returns the model of the element tables types (indexed here)
// whose JSON decoder is check (the model package's Unmarshal, returning
// its error).
func NewModel(types map[string]*TypeInfo, check func(data []byte) error) *Model {
	for _, t := range types {
		t.ByName = make(map[string]*ElemInfo, len(t.Elems))
		for i := range t.Elems {
			t.ByName[t.Elems[i].Name] = &t.Elems[i]
		}
	}
	return &Model{types: types, check: check}
}

// ErrXML is wrapped by *XMLError.
var ErrXML = errors.New("invalid FHIR XML")

// XMLError reports where FHIR XML is wrong: the element path and the line
// and column (1-based, columns in bytes) of the XML input; Line is 0 when
// the error is found while writing XML. Err is the underlying decode error
// (a *DecodeError found once the XML was read) when there is one.
type XMLError struct {
	Path         string
	Line, Column int
	Msg          string
	Err          error
}

func (e *XMLError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("fhir: xml: %s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("fhir: xml line %d column %d: %s: %s", e.Line, e.Column, e.Path, e.Msg)
}

// Unwrap gives ErrXML and, when there is one, the underlying error, so that
// errors.Is(err, ErrChoice) holds for XML input too.
func (e *XMLError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrXML, e.Err}
	}
	return []error{ErrXML}
}

// Element is one element of a FHIR XML document as the strict parse
// read it: its name, its id, value and url attributes, where its start
// tag ends, and its child elements (a narrative div has none: it is kept
// verbatim). DecodeTree gives the root, so that a caller can look at the
// document's structure without reading the XML again.
type Element struct {
	name     string
	space    string
	id, val  string
	url      string
	hasID    bool
	hasURL   bool
	hasVal   bool
	children []*Element
	raw      string // the xhtml div, verbatim
	line     int
	col      int
}

// Name is the element's local name.
func (n *Element) Name() string { return n.name }

// Line and Col are where the element's start tag ends (1-based; columns
// count bytes), as encoding/xml's InputPos gives it there.
func (n *Element) Line() int { return n.line }

// Col: see Line.
func (n *Element) Col() int { return n.col }

// ID is the id attribute, and whether there is one.
func (n *Element) ID() (string, bool) { return n.id, n.hasID }

// URL is the url attribute, and whether there is one.
func (n *Element) URL() (string, bool) { return n.url, n.hasURL }

// Value is the value attribute, and whether there is one.
func (n *Element) Value() (string, bool) { return n.val, n.hasVal }

// IsXHTML reports whether the element is a narrative div (in the XHTML
// namespace), whose text is Raw.
func (n *Element) IsXHTML() bool { return n.space == xhtmlNS }

// Raw is a narrative div's text, verbatim.
func (n *Element) Raw() string { return n.raw }

// Children are the child elements, in document order.
func (n *Element) Children() []*Element { return n.children }

const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// latin1Reader converts ISO-8859-1, which FHIR XML may declare as its
// encoding (the HL7 tools read it), to UTF-8: each byte is the code point.
type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	n := len(p) / 2
	if n == 0 {
		n = 1
	}
	if cap(l.buf) < n {
		l.buf = make([]byte, n)
	}
	m, err := l.r.Read(l.buf[:n])
	out := p[:0]
	for _, c := range l.buf[:m] {
		out = utf8.AppendRune(out, rune(c))
	}
	return len(out), err
}

func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1":
		return &latin1Reader{r: in}, nil
	case "us-ascii", "ascii":
		return in, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (UTF-8 and ISO-8859-1 are)", label)
}

func parseXML(data []byte) (*Element, error) {
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if root, ok := parseFast(data); ok {
		return root, nil
	}
	return parseSlow(data)
}

// parseSlow is parseXML through encoding/xml: every document parseFast
// leaves, and every error.
func parseSlow(data []byte) (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	// With a charset reader, offsets count converted bytes; the raw div is
	// then cut from a copy of the converted input.
	var conv bytes.Buffer
	latin := false
	var stack []*Element
	var root *Element
	for {
		before := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, col := d.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			return nil, &XMLError{Path: "/", Line: line, Column: col, Msg: err.Error()}
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			inst := bytes.ToLower(t.Inst)
			if t.Target == "xml" && (bytes.Contains(inst, []byte("8859-1")) || bytes.Contains(inst, []byte("latin"))) {
				latin = true
				conv.Reset()
				for _, c := range data {
					conv.WriteRune(rune(c))
				}
			}
		case xml.StartElement:
			line, col := d.InputPos()
			if len(stack) > maxDepth {
				return nil, &XMLError{Path: t.Name.Local, Line: line, Column: col, Msg: "nesting too deep"}
			}
			n := &Element{name: t.Name.Local, space: t.Name.Space, line: line, col: col}
			if t.Name.Space == xhtmlNS && t.Name.Local == "div" {
				if err := d.Skip(); err != nil {
					l, c := d.InputPos()
					return nil, &XMLError{Path: "div", Line: l, Column: c, Msg: err.Error()}
				}
				src := data
				if latin {
					src = conv.Bytes()
				}
				end := min(d.InputOffset(), int64(len(src)))
				n.raw = strings.TrimSpace(string(src[min(before, end):end]))
				if len(stack) == 0 {
					return nil, &XMLError{Path: "div", Line: n.line, Column: n.col, Msg: "a div cannot be the root"}
				}
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
				continue
			}
			if t.Name.Space != fhirNS {
				return nil, &XMLError{Path: t.Name.Local, Line: n.line, Column: n.col, Msg: "element not in the FHIR namespace " + fhirNS}
			}
			src := data
			if latin {
				src = conv.Bytes()
			}
			NormalizeAttrs(src[min(before, int64(len(src))):min(d.InputOffset(), int64(len(src)))], t.Attr)
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "":
				case a.Name.Space == xsiNS && len(stack) == 0 && (a.Name.Local == "schemaLocation" || a.Name.Local == "noNamespaceSchemaLocation"):
					// Schema hints on the root, which the HL7 tools accept.
				case a.Name.Space != "":
					return nil, &XMLError{Path: t.Name.Local, Line: n.line, Column: n.col, Msg: "unexpected attribute " + a.Name.Local}
				case a.Name.Local == "id":
					n.id, n.hasID = a.Value, true
				case a.Name.Local == "value":
					n.val, n.hasVal = a.Value, true
				case a.Name.Local == "url":
					n.url, n.hasURL = a.Value, true
				default:
					return nil, &XMLError{Path: t.Name.Local, Line: n.line, Column: n.col, Msg: "unexpected attribute " + a.Name.Local}
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && len(bytes.TrimSpace(t)) > 0 {
				line, col := d.InputPos()
				return nil, &XMLError{Path: stack[len(stack)-1].name, Line: line, Column: col, Msg: "text content outside a value attribute"}
			}
		case xml.Directive:
			line, col := d.InputPos()
			return nil, &XMLError{Path: "/", Line: line, Column: col, Msg: "DOCTYPE and other directives are not allowed"}
		}
	}
	if root == nil {
		return nil, &XMLError{Path: "/", Line: 1, Msg: "no root element"}
	}
	return root, nil
}

// NormalizeAttrs applies XML's attribute-value normalization (§3.3.3),
// which encoding/xml leaves out, to attrs, the attributes encoding/xml
// read from the start tag written as tag (the input between the
// decoder's offsets before and after the token): a tab, line feed or
// carriage return written as such (not as a reference) reads as a space.
// tag holds no comment or section, so its quoted values are found by
// their quotes.
func NormalizeAttrs(tag []byte, attrs []xml.Attr) {
	if !bytes.ContainsAny(tag, "\t\n\r") {
		return
	}
	i := bytes.IndexAny(tag, " \t\n\r/>") // after the element's name
	for k := 0; i >= 0 && k < len(attrs); k++ {
		eq := bytes.IndexByte(tag[i:], '=')
		if eq < 0 {
			return
		}
		i += eq + 1
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '"' && tag[i] != '\'' {
			return
		}
		end := bytes.IndexByte(tag[i+1:], tag[i])
		if end < 0 {
			return
		}
		raw := tag[i+1 : i+1+end]
		i += end + 2
		if !bytes.ContainsAny(raw, "\t\n\r") {
			continue
		}
		if v, ok := normalizeAttr(raw); ok {
			attrs[k].Value = v
		}
	}
}

// DecodeError turns a decode error of the JSON that ToJSON converted into
// an *XMLError at the XML element that produced the JSON where it was
// found; marks are ToJSON's.
func DecodeError(err error, marks []fhirjson.Mark) error {
	var de *fhirjson.DecodeError
	if !errors.As(err, &de) {
		return err
	}
	xe := &XMLError{Path: de.Path, Msg: de.Err.Error(), Err: de}
	// The last mark at or before the offset: an empty object taken out
	// again leaves marks beyond the text that replaced it.
	for _, m := range marks {
		if int64(m.Off) <= de.Offset {
			xe.Line, xe.Column = m.Line, m.Col
		}
	}
	if xe.Line == 0 {
		xe.Line, xe.Column = 1, 1
	}
	return xe
}

// XMLToJSON converts a FHIR XML resource to FHIR JSON, checked by the
// model's decoder.
func (m *Model) XMLToJSON(data []byte) ([]byte, error) {
	js, marks, err := m.ToJSON(data)
	if err != nil {
		return nil, err
	}
	// Check the result here so that an error names the XML position.
	if err := m.check(js); err != nil {
		return nil, DecodeError(err, marks)
	}
	return js, nil
}

// ToJSON converts a FHIR XML resource to FHIR JSON without decoding the
// result; marks say where in the JSON each XML element's value begins
// (see DecodeError). Errors are *XMLError.
func (m *Model) ToJSON(data []byte) ([]byte, []fhirjson.Mark, error) {
	root, err := parseXML(data)
	if err != nil {
		return nil, nil, err
	}
	return m.toJSON(root, len(data))
}

func (m *Model) toJSON(root *Element, size int) ([]byte, []fhirjson.Mark, error) {
	t := m.types[root.name]
	if t == nil || t.Kind != "resource" {
		return nil, nil, &XMLError{Path: root.name, Line: root.line, Column: root.col, Msg: "unknown resource type"}
	}
	e := fhirjson.NewEncoder(make([]byte, 0, size))
	if err := m.xmlObject(e, root, t, &xpath{step: root.name, idx: -1}); err != nil {
		return nil, nil, err
	}
	return e.Buf, e.Marks, nil
}

// findElem finds the element a child name stands for, and its type.
func findElem(t *TypeInfo, name string) (*ElemInfo, string) {
	if el := t.ByName[name]; el != nil && !el.Choice {
		return el, el.Types[0]
	}
	for i := range t.Elems {
		el := &t.Elems[i]
		if !el.Choice || !strings.HasPrefix(name, el.Name) {
			continue
		}
		suffix := name[len(el.Name):]
		for _, typ := range el.Types {
			if strings.EqualFold(typ[:1], suffix[:min(1, len(suffix))]) && typ[1:] == suffix[min(1, len(suffix)):] {
				return el, typ
			}
		}
	}
	return nil, ""
}

// xpath is the path of an element the conversion is at, made a string
// only for an error: a step (its parent's path, a dot, its name) and its
// index among the items of its name (-1 for none).
type xpath struct {
	parent *xpath
	step   string
	idx    int
}

func (p *xpath) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

func (p *xpath) write(b *strings.Builder) {
	if p.parent != nil {
		p.parent.write(b)
		b.WriteByte('.')
	}
	b.WriteString(p.step)
	if p.idx >= 0 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.idx))
		b.WriteByte(']')
	}
}

func (m *Model) xmlObject(e *encoder, n *Element, t *TypeInfo, path *xpath) error {
	e.Marks = append(e.Marks, xmlMark{Off: len(e.Buf), Line: n.line, Col: n.col})
	e.Open()
	if t.Kind == "resource" {
		e.Key(`"resourceType":`)
		e.Str(t.Name)
		if n.id != "" || n.hasVal {
			return &XMLError{Path: path.String(), Line: n.line, Msg: "a resource has no id or value attribute (its id is an element)"}
		}
	} else if n.id != "" {
		e.Key(`"id":`)
		e.Str(n.id)
	}
	if n.url != "" {
		if t.Name != "Extension" {
			return &XMLError{Path: path.String(), Line: n.line, Msg: "url attribute outside an extension"}
		}
		e.Key(`"url":`)
		e.Str(n.url)
	}
	if n.hasVal {
		return &XMLError{Path: path.String(), Line: n.line, Msg: "value attribute on a complex element"}
	}
	// Group the children by name, in order of first appearance.
	done := make(map[string]bool, len(n.children))
	for i, c := range n.children {
		if done[c.name] {
			continue
		}
		done[c.name] = true
		var group []*Element
		for _, o := range n.children[i:] {
			if o.name == c.name {
				group = append(group, o)
			}
		}
		el, typ := findElem(t, c.name)
		if el == nil || typ == "attr:string" {
			return &XMLError{Path: path.String() + "." + c.name, Line: c.line, Msg: "unknown element"}
		}
		if !el.Many && len(group) > 1 {
			return &XMLError{Path: path.String() + "." + c.name, Line: group[1].line, Msg: "element repeats but allows one"}
		}
		cp := xpath{parent: path, step: c.name, idx: -1}
		if err := m.xmlElement(e, c.name, group, el, typ, &cp); err != nil {
			return err
		}
	}
	// an element with nothing in it stays as {}, which the decoder takes
	// and validation reports (ele-1), as it does from JSON
	e.CloseKept()
	return nil
}

func (m *Model) xmlElement(e *encoder, name string, group []*Element, el *ElemInfo, typ string, path *xpath) error {
	switch {
	case typ == "xhtml":
		e.Marks = append(e.Marks, xmlMark{Off: len(e.Buf), Line: group[0].line, Col: group[0].col})
		e.MemberKey(name, "")
		e.Str(group[0].raw)
		return nil
	case typ == "Resource":
		if el.Many {
			e.MemberKey(name, "")
			e.OpenArray()
		}
		for _, g := range group {
			if len(g.children) != 1 {
				return &XMLError{Path: path.String(), Line: g.line, Msg: "want exactly one resource inside"}
			}
			rn := g.children[0]
			rt := m.types[rn.name]
			if rt == nil || rt.Kind != "resource" {
				return &XMLError{Path: path.String(), Line: rn.line, Msg: "unknown resource type " + rn.name}
			}
			if !el.Many {
				e.MemberKey(name, "")
			}
			rp := xpath{parent: path, step: rn.name, idx: -1}
			if err := m.xmlObject(e, rn, rt, &rp); err != nil {
				return err
			}
		}
		if el.Many {
			e.CloseArray()
		}
		return nil
	case isPrimitiveName(typ):
		return m.xmlPrimitive(e, name, group, el, typ, path)
	}
	t := m.types[typ]
	if t == nil {
		return &XMLError{Path: path.String(), Line: group[0].line, Msg: "no definition for type " + typ}
	}
	e.MemberKey(name, "")
	if el.Many {
		e.OpenArray()
	}
	for i, g := range group {
		p := *path
		if el.Many {
			p.idx = i
		}
		if err := m.xmlObject(e, g, t, &p); err != nil {
			return err
		}
	}
	if el.Many {
		e.CloseArray()
	}
	return nil
}

func isPrimitiveName(t string) bool { return t != "" && t[0] >= 'a' && t[0] <= 'z' }

func (m *Model) xmlPrimitive(e *encoder, name string, group []*Element, el *ElemInfo, typ string, path *xpath) error {
	anyValue, anyElem := false, false
	for _, g := range group {
		anyValue = anyValue || g.hasVal
		anyElem = anyElem || g.id != "" || len(g.children) > 0
		if g.url != "" {
			return &XMLError{Path: path.String(), Line: g.line, Msg: "url attribute on a primitive"}
		}
	}
	writeValue := func(g *Element) error {
		e.Marks = append(e.Marks, xmlMark{Off: len(e.Buf), Line: g.line, Col: g.col})
		switch typ {
		case "boolean":
			if g.val != "true" && g.val != "false" {
				return &XMLError{Path: path.String(), Line: g.line, Msg: "boolean value is not true or false"}
			}
			e.BeforeValue()
			e.Buf = append(e.Buf, g.val...)
			e.Comma = true
		case "integer", "positiveInt", "unsignedInt", "decimal":
			if !isJSONNumber(g.val) || typ != "decimal" && strings.ContainsAny(g.val, ".eE") {
				return &XMLError{Path: path.String(), Line: g.line, Msg: typ + " value is not a number"}
			}
			e.BeforeValue()
			e.Buf = append(e.Buf, g.val...)
			e.Comma = true
		default:
			if g.val == "" {
				return &XMLError{Path: path.String(), Line: g.line, Msg: "empty value attribute"}
			}
			e.Str(g.val)
		}
		return nil
	}
	writeElem := func(g *Element, p *xpath) error {
		e.Marks = append(e.Marks, xmlMark{Off: len(e.Buf), Line: g.line, Col: g.col})
		e.Open()
		if g.id != "" {
			e.Key(`"id":`)
			e.Str(g.id)
		}
		if len(g.children) > 0 {
			for _, c := range g.children {
				if c.name != "extension" {
					return &XMLError{Path: p.String() + "." + c.name, Line: c.line, Msg: "a primitive holds only extensions"}
				}
			}
			e.Key(`"extension":`)
			e.OpenArray()
			for i, c := range g.children {
				xp := xpath{parent: p, step: "extension", idx: i}
				if err := m.xmlObject(e, c, m.types["Extension"], &xp); err != nil {
					return err
				}
			}
			e.CloseArray()
		}
		e.Close()
		return nil
	}
	if !el.Many {
		g := group[0]
		if g.hasVal {
			e.MemberKey(name, "")
			if err := writeValue(g); err != nil {
				return err
			}
		}
		if anyElem {
			e.MemberKey("_", name)
			return writeElem(g, path)
		}
		if !g.hasVal {
			// no value, id or extension: kept as "_name": {}, as from JSON
			e.Marks = append(e.Marks, xmlMark{Off: len(e.Buf), Line: g.line, Col: g.col})
			e.MemberKey("_", name)
			e.Open()
			e.CloseKept()
		}
		return nil
	}
	if !anyValue && !anyElem {
		// items with nothing in them: kept as {} each, as from JSON
		e.MemberKey("_", name)
		e.OpenArray()
		for _, g := range group {
			e.Marks = append(e.Marks, xmlMark{Off: len(e.Buf), Line: g.line, Col: g.col})
			e.Open()
			e.CloseKept()
		}
		e.CloseArray()
		return nil
	}
	if anyValue {
		e.MemberKey(name, "")
		e.OpenArray()
		for _, g := range group {
			if g.hasVal {
				if err := writeValue(g); err != nil {
					return err
				}
			} else {
				e.Null()
			}
		}
		e.CloseArray()
	}
	if anyElem {
		e.MemberKey("_", name)
		e.OpenArray()
		for i, g := range group {
			if g.id != "" || len(g.children) > 0 {
				ip := *path
				ip.idx = i
				if err := writeElem(g, &ip); err != nil {
					return err
				}
			} else {
				e.Null()
			}
		}
		e.CloseArray()
	}
	return nil
}

// JSONToXML converts a FHIR JSON resource to FHIR XML.
// The JSON is decoded first, so that only what the model accepts (element
// names, narrative XHTML, characters XML can carry) reaches the writer.
func (m *Model) JSONToXML(data []byte) ([]byte, error) {
	if err := m.check(data); err != nil {
		return nil, err
	}
	d := fhirjson.NewDecoder(data)
	root, err := parseJSONTree(d)
	if err != nil {
		return nil, fhirjson.Finish(err, "")
	}
	if err := d.End(); err != nil {
		return nil, fhirjson.Finish(err, "")
	}
	if root.kind != '{' {
		return nil, &XMLError{Path: "/", Line: 0, Msg: "a resource must be a JSON object"}
	}
	rt := root.get("resourceType")
	if rt == nil || rt.kind != '"' || m.types[rt.s] == nil || m.types[rt.s].Kind != "resource" {
		return nil, &XMLError{Path: "/", Msg: "missing or unknown resourceType"}
	}
	var w bytes.Buffer
	w.Grow(len(data) * 2)
	if err := m.writeXMLResource(&w, root, rt.s, true); err != nil {
		return nil, err
	}
	return w.Bytes(), nil
}

type jnode struct {
	kind    byte // '{', '[', '"', '0' (number), 't' (boolean), 'n' (null)
	s       string
	members []jmember
	items   []*jnode
}

type jmember struct {
	key string
	val *jnode
}

func (n *jnode) get(key string) *jnode {
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

func parseJSONTree(d *decoder) (*jnode, error) {
	switch c := d.Peek(); c {
	case '{':
		if err := d.BeginObject(); err != nil {
			return nil, err
		}
		n := &jnode{kind: '{'}
		for first := true; ; first = false {
			key, more, err := d.NextKey(first)
			if err != nil {
				return nil, err
			}
			if !more {
				return n, nil
			}
			v, err := parseJSONTree(d)
			if err != nil {
				return nil, fhirjson.AtKey(err, key)
			}
			n.members = append(n.members, jmember{string(key), v})
		}
	case '[':
		if err := d.BeginArray(); err != nil {
			return nil, err
		}
		n := &jnode{kind: '['}
		for i := 0; ; i++ {
			more, err := d.NextElem(i == 0)
			if err != nil {
				return nil, err
			}
			if !more {
				return n, nil
			}
			v, err := parseJSONTree(d)
			if err != nil {
				return nil, fhirjson.AtIndex(err, i)
			}
			n.items = append(n.items, v)
		}
	case '"':
		s, err := d.StringValue()
		return &jnode{kind: '"', s: s}, err
	case 't', 'f':
		b, err := d.Boolean()
		s := "false"
		if b {
			s = "true"
		}
		return &jnode{kind: 't', s: s}, err
	case 'n':
		if d.Null() {
			return &jnode{kind: 'n'}, nil
		}
		return nil, d.Syntax("bad literal")
	default:
		s, err := d.Number()
		return &jnode{kind: '0', s: s}, err
	}
}

func xmlAttr(w *bytes.Buffer, name, val string) {
	w.WriteByte(' ')
	w.WriteString(name)
	w.WriteString(`="`)
	for i := 0; i < len(val); i++ {
		switch c := val[i]; c {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		case '"':
			w.WriteString("&quot;")
		case '\n':
			w.WriteString("&#10;")
		case '\r':
			w.WriteString("&#13;")
		case '\t':
			w.WriteString("&#9;")
		default:
			w.WriteByte(c)
		}
	}
	w.WriteByte('"')
}

func (m *Model) writeXMLResource(w *bytes.Buffer, obj *jnode, typ string, top bool) error {
	w.WriteByte('<')
	w.WriteString(typ)
	if top {
		xmlAttr(w, "xmlns", fhirNS)
	}
	w.WriteByte('>')
	if err := m.writeXMLChildren(w, obj, m.types[typ], typ); err != nil {
		return err
	}
	w.WriteString("</")
	w.WriteString(typ)
	w.WriteByte('>')
	return nil
}

// writeXMLChildren writes obj's elements in the order t defines them,
// which FHIR XML requires and JSON does not (a JSON object may have its
// keys in any order).
func (m *Model) writeXMLChildren(w *bytes.Buffer, obj *jnode, t *TypeInfo, path string) error {
	type keyed struct {
		key  string // the element's name: a _name key's without the _
		typ  string
		pos  int  // the element's place in t.Elems
		only bool // only _name is there: a primitive without a value
	}
	keys := make([]keyed, 0, len(obj.members))
	for _, mb := range obj.members {
		k := mb.key
		if k == "" {
			return &XMLError{Path: path, Msg: "empty element name"}
		}
		only := false
		if k[0] == '_' {
			// A primitive's id and extensions, written with its value.
			el, typ := findElem(t, k[1:])
			if el == nil || !isPrimitiveName(typ) || typ == "xhtml" || typ == "attr:string" {
				return &XMLError{Path: path + "." + clip(k), Msg: "unknown element"}
			}
			if obj.get(k[1:]) != nil {
				continue
			}
			k, only = k[1:], true
		}
		// ExampleScenario.instance has an element named resourceType.
		if k == "resourceType" && t.Kind == "resource" || k == "url" && t.Name == "Extension" || k == "id" && t.Kind != "resource" {
			continue
		}
		el, typ := findElem(t, k)
		if el == nil {
			return &XMLError{Path: path + "." + k, Msg: "unknown element"}
		}
		pos := 0
		for i := range t.Elems {
			if &t.Elems[i] == el {
				pos = i
				break
			}
		}
		keys = append(keys, keyed{key: k, typ: typ, pos: pos, only: only})
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].pos < keys[j].pos })
	for _, kk := range keys {
		k, typ := kk.key, kk.typ
		if kk.only {
			// A primitive given only by its _name (extensions, no value).
			v := obj.get("_" + k)
			items := []*jnode{v}
			if v.kind == '[' {
				items = v.items
			}
			for _, it := range items {
				if err := m.writeXMLElement(w, k, typ, &jnode{kind: 'n'}, it, path+"."+k); err != nil {
					return err
				}
			}
			continue
		}
		v := obj.get(k)
		items := []*jnode{v}
		if v.kind == '[' {
			items = v.items
		}
		var elems []*jnode
		if x := obj.get("_" + k); x != nil {
			elems = []*jnode{x}
			if x.kind == '[' {
				elems = x.items
			}
		}
		// _name may hold more items than name (given: [], _given: [{...}]):
		// those are primitives with no value, not to be dropped
		n := len(items)
		if len(elems) > n {
			n = len(elems)
		}
		for i := 0; i < n; i++ {
			it := &jnode{kind: 'n'}
			if i < len(items) {
				it = items[i]
			}
			var ex *jnode
			if i < len(elems) && elems[i].kind == '{' {
				ex = elems[i]
			}
			if i >= len(items) && ex == nil {
				continue // a null in _name past name's end: nothing there
			}
			if err := m.writeXMLElement(w, k, typ, it, ex, fmt.Sprintf("%s.%s", path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Model) writeXMLElement(w *bytes.Buffer, name, typ string, v, ext *jnode, path string) error {
	switch {
	case typ == "xhtml":
		// A checked div is one well-formed element, so it cannot close
		// the elements around it.
		if v.kind != '"' {
			return &XMLError{Path: path, Msg: "narrative div is not a string"}
		}
		if err := fhirjson.CheckXHTML(v.s); err != nil {
			return &XMLError{Path: path, Msg: err.Error(), Err: err}
		}
		w.WriteString(v.s)
		return nil
	case typ == "Resource":
		rt := v.get("resourceType")
		if rt == nil || rt.kind != '"' || m.types[rt.s] == nil || m.types[rt.s].Kind != "resource" {
			return &XMLError{Path: path, Msg: "resource of unknown type"}
		}
		w.WriteString("<" + name + ">")
		if err := m.writeXMLResource(w, v, rt.s, false); err != nil {
			return err
		}
		w.WriteString("</" + name + ">")
		return nil
	case isPrimitiveName(typ):
		w.WriteByte('<')
		w.WriteString(name)
		var exts *jnode
		if ext != nil && ext.kind == '{' {
			// Anything but id and extension has no place in XML: refuse it
			// rather than drop it.
			for _, mb := range ext.members {
				if mb.key != "id" && mb.key != "extension" {
					return &XMLError{Path: path + "." + clip(mb.key), Msg: "unknown element"}
				}
			}
			if id := ext.get("id"); id != nil {
				xmlAttr(w, "id", id.s)
			}
			exts = ext.get("extension")
		}
		if v.kind != 'n' {
			xmlAttr(w, "value", v.s)
		}
		if exts == nil || len(exts.items) == 0 {
			w.WriteString("/>")
			return nil
		}
		w.WriteByte('>')
		for _, x := range exts.items {
			if err := m.writeXMLElement(w, "extension", "Extension", x, nil, path+".extension"); err != nil {
				return err
			}
		}
		w.WriteString("</" + name + ">")
		return nil
	}
	t := m.types[typ]
	if t == nil || v.kind != '{' {
		return &XMLError{Path: path, Msg: "want an object of type " + typ}
	}
	w.WriteByte('<')
	w.WriteString(name)
	if id := v.get("id"); id != nil {
		xmlAttr(w, "id", id.s)
	}
	if typ == "Extension" {
		if u := v.get("url"); u != nil {
			xmlAttr(w, "url", u.s)
		}
	}
	w.WriteByte('>')
	if err := m.writeXMLChildren(w, v, t, path); err != nil {
		return err
	}
	w.WriteString("</" + name + ">")
	return nil
}

// Decode converts a FHIR XML resource with m and decodes the JSON with the
// model package's unmarshal; a decode error is placed in the XML input
// (see DecodeError).
func Decode[R any](m *Model, data []byte, unmarshal func([]byte) (R, error)) (R, error) {
	r, _, err := DecodeTree(m, data, unmarshal)
	return r, err
}

// Parse reads FHIR XML strictly, as Decode does first, and gives its root
// element; errors are *XMLError.
func Parse(data []byte) (*Element, error) { return parseXML(data) }

// DecodeTree is Decode, and gives too the root of the document as the
// parse read it.
func DecodeTree[R any](m *Model, data []byte, unmarshal func([]byte) (R, error)) (R, *Element, error) {
	var zero R
	root, err := parseXML(data)
	if err != nil {
		return zero, nil, err
	}
	js, marks, err := m.toJSON(root, len(data))
	if err != nil {
		return zero, nil, err
	}
	r, err := unmarshal(js)
	if err != nil {
		return zero, nil, DecodeError(err, marks)
	}
	return r, root, nil
}

// Encode writes as XML the JSON that a model package's marshal returned.
func (m *Model) Encode(js []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return m.JSONToXML(js)
}
