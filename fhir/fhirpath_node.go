package fhir

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/nhskit/nhskit/fhir/internal/fhirxml"
)

// Node is one element of a resource as FHIRPath navigates it: its name,
// its FHIR type, its primitive value (if any) and its children in
// definition order. Repeating elements are several children with one name.
// A Node tree is read-only once built, so one tree may be evaluated by many
// goroutines at once.
type Node struct {
	Name   string
	Type   string // FHIR type: "Patient", "HumanName", "code", "Patient.Contact" for a backbone element
	val    any    // the FHIRPath system value of a primitive: bool, string, int64, FPDecimal, FPTemporal
	raw    string // the primitive's text
	kids   []*Node
	parent *Node
	index  int // position among the parent's children of the same name
	// lazy: val is still to be worked out from raw (see value)
	lazy bool
	// extBelow, in a tree from the typed builder: an Extension element
	// may be among the node's descendants (false: there is none)
	extBelow bool
}

// Value returns the primitive value (nil for a complex element or a
// primitive that has only extensions).
func (n *Node) Value() any { return n.value() }

// hasVal reports whether the node has a primitive value.
func (n *Node) hasVal() bool { return n.lazy || n.val != nil }

// value gives the primitive value, working it out from the text first in
// a tree built with lazy values (ValidateProfiles' own, which no other
// goroutine sees).
func (n *Node) value() any {
	if n.lazy {
		n.val, n.lazy = primitiveOrText(n.Type, n.raw), false
	}
	return n.val
}

// primitiveOrText is the value jsonNode gives a primitive: its FHIRPath
// value, or the text when the text does not fit the type.
func primitiveOrText(typ, s string) any {
	if pv, ok := primitiveValue(typ, s); ok {
		return pv
	}
	return s
}

// Children returns the node's child elements in order.
func (n *Node) Children() []*Node { return n.kids }

// child returns the children named name.
func (n *Node) child(name string) []*Node {
	var out []*Node
	for _, k := range n.kids {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

func (n *Node) first(name string) *Node {
	for _, k := range n.kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// str returns the primitive value of the first child named name as text.
func (n *Node) str(name string) string {
	if k := n.first(name); k != nil {
		return k.raw
	}
	return ""
}

func isPrimitiveType(t string) bool { return t != "" && t[0] >= 'a' && t[0] <= 'z' }

// primitiveElement defines a primitive's own children, as R4's Element
// does (an id, and extensions of type Extension), which typeTable, holding
// the complex types, has no entry for: an extension on a primitive
// (_birthDate.extension) is then an Extension, with its value[x] read as
// value, as anywhere else.
var primitiveElement = func() *typeInfo {
	ti := &typeInfo{Name: "Element", Kind: "type", Elems: []elemInfo{
		{Name: "id", Types: []string{"string"}},
		{Name: "extension", Types: []string{"Extension"}, Many: true},
	}}
	ti.byName = map[string]*elemInfo{"id": &ti.Elems[0], "extension": &ti.Elems[1]}
	return ti
}()

// nodeTypeInfo is the definition of the children of an element of type
// typ: typeTable's, or primitiveElement for a primitive type.
func nodeTypeInfo(typ string) *typeInfo {
	if ti := typeTable[typ]; ti != nil {
		return ti
	}
	if isPrimitiveType(typ) {
		return primitiveElement
	}
	return nil
}

func isResourceType(t string) bool {
	ti := typeTable[t]
	return ti != nil && ti.Kind == "resource"
}

// primitiveValue converts FHIR primitive text of type typ to the FHIRPath
// system value; ok=false when the text does not fit the type.
func primitiveValue(typ, s string) (any, bool) {
	switch typ {
	case "boolean":
		switch s {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return nil, false
	case "integer", "positiveInt", "unsignedInt", "integer64":
		if v, ok := plainInt(s); ok {
			return v, true
		}
		var v int64
		_, err := fmt.Sscan(s, &v)
		return v, err == nil
	case "decimal":
		d, ok := parseDec(s)
		if !ok {
			if r, ok2 := ratOfJSON(s); ok2 {
				return r, true
			}
		}
		return d, ok
	case "date":
		t, ok := parseTemporal(s, 'D')
		return t, ok
	case "dateTime", "instant":
		t, ok := parseTemporal(s, 'T')
		return t, ok
	case "time":
		t, ok := parseTemporal(s, 't')
		return t, ok
	}
	return s, true
}

// plainInt reads a decimal integer without a leading zero (which
// fmt.Sscan would read as octal) and short enough not to overflow: what
// fmt.Sscan gives for it, without its cost.
func plainInt(s string) (int64, bool) {
	body := s
	if body != "" && body[0] == '-' {
		body = body[1:]
	}
	if body == "" || len(body) > 18 || body[0] == '0' && len(body) > 1 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if len(body) != len(s) {
		v = -v
	}
	return v, true
}

// ratOfJSON reads a JSON number with an exponent.
func ratOfJSON(s string) (FPDecimal, bool) {
	var f json.Number = json.Number(s)
	v, err := f.Float64()
	if err != nil {
		return FPDecimal{}, false
	}
	return decFloat(v), true
}

// elemFor finds the element a JSON key or XML element name stands for in
// type ti, resolving choice elements ("valueQuantity" is value as
// Quantity).
func elemFor(ti *typeInfo, key string) (*elemInfo, string) {
	if ti == nil {
		return nil, ""
	}
	if e := ti.byName[key]; e != nil {
		if e.Choice {
			return nil, ""
		}
		t := ""
		if len(e.Types) > 0 {
			t = e.Types[0]
		}
		if t == "attr:string" {
			t = "string"
		}
		if t == "Element" || t == "BackboneElement" {
			t = ti.Name + "." + strings.ToUpper(key[:1]) + key[1:]
		}
		return e, t
	}
	for i := range ti.Elems {
		e := &ti.Elems[i]
		if !e.Choice || !strings.HasPrefix(key, e.Name) {
			continue
		}
		suffix := key[len(e.Name):]
		for _, t := range e.Types {
			if strings.EqualFold(t, suffix) && strings.ToUpper(t[:1]) == suffix[:1] {
				return e, t
			}
		}
	}
	return nil, ""
}

// resourceTypeMarks reports whether a JSON object of type ti has its
// "resourceType" key name the resource it holds, as it does everywhere but
// in an element of a type with an element of that name.
func resourceTypeMarks(ti *typeInfo) bool { return ti == nil || !ti.ownResourceType }

// NodeFromJSON builds a Node tree from a FHIR JSON resource.
func NodeFromJSON(data []byte) (*Node, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: json: %v", ErrFHIRPath, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: json: not an object", ErrFHIRPath)
	}
	rt, _ := obj["resourceType"].(string)
	if rt == "" {
		return nil, fmt.Errorf("%w: json: no resourceType", ErrFHIRPath)
	}
	return jsonNode(rt, rt, obj, nil), nil
}

// NodeOf builds a Node tree from a decoded resource.
func NodeOf(r Resource) (*Node, error) {
	src, err := marshalString(r)
	if err != nil {
		return nil, err
	}
	var st nodeState
	return st.build(src, false)
}

func jsonScalar(v any) (string, string) {
	switch x := v.(type) {
	case string:
		return x, "string"
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return string(x), "decimal"
		}
		return string(x), "integer"
	case bool:
		if x {
			return "true", "boolean"
		}
		return "false", "boolean"
	}
	return "", ""
}

func jsonNode(name, typ string, obj map[string]any, parent *Node) *Node {
	ti := nodeTypeInfo(typ)
	marker := resourceTypeMarks(ti)
	if rt, ok := obj["resourceType"].(string); ok && rt != "" && marker {
		typ = rt
		ti = nodeTypeInfo(typ)
	}
	n := &Node{Name: name, Type: typ, parent: parent}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if k == "resourceType" && marker || k == "fhir_comments" {
			continue
		}
		if strings.HasPrefix(k, "_") {
			if _, ok := obj[k[1:]]; ok {
				continue
			}
			k = k[1:]
		}
		keys = append(keys, k)
	}
	order := func(k string) int {
		if ti != nil {
			base := k
			if e, _ := elemFor(ti, k); e != nil {
				base = e.Name
			}
			for i := range ti.Elems {
				if ti.Elems[i].Name == base {
					return i
				}
			}
		}
		return 1 << 20
	}
	sort.SliceStable(keys, func(i, j int) bool {
		oi, oj := order(keys[i]), order(keys[j])
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		e, et := elemFor(ti, k)
		cname := k
		if e != nil {
			cname = e.Name
		}
		vals := asList(obj[k])
		exts := asList(obj["_"+k])
		cnt := len(vals)
		if len(exts) > cnt {
			cnt = len(exts)
		}
		for i := 0; i < cnt; i++ {
			var v, x any
			if i < len(vals) {
				v = vals[i]
			}
			if i < len(exts) {
				x = exts[i]
			}
			var c *Node
			switch vv := v.(type) {
			case map[string]any:
				t := et
				if t == "" {
					t = "Element"
				}
				c = jsonNode(cname, t, vv, n)
			default:
				s, jt := jsonScalar(v)
				t := et
				if t == "" || t == "Element" {
					t = jt
				}
				if t == "" {
					t = "string"
				}
				c = &Node{Name: cname, Type: t, parent: n}
				if v != nil {
					c.raw = s
					if pv, ok := primitiveValue(t, s); ok {
						c.val = pv
					} else {
						c.val = s
					}
				}
				if xm, ok := x.(map[string]any); ok {
					ext := jsonNode(cname, t, xm, n)
					c.kids = ext.kids
					for _, kk := range c.kids {
						kk.parent = c
					}
				}
			}
			c.index = i
			n.kids = append(n.kids, c)
		}
	}
	return n
}

func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// NodeFromXML builds a Node tree from a FHIR XML resource.
func NodeFromXML(data []byte) (*Node, error) {
	d := &attrDecoder{xml.NewDecoder(bytes.NewReader(data)), data}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: xml: no root element", ErrFHIRPath)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: xml: %v", ErrFHIRPath, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n, err := xmlNode(d, se, se.Name.Local, se.Name.Local, nil)
			if err != nil {
				return nil, fmt.Errorf("%w: xml line %d: %v", ErrFHIRPath, lineOf(d, data), err)
			}
			return n, nil
		}
	}
}

// attrDecoder is an xml.Decoder whose start tags' attribute values are
// normalized as XML requires (fhirxml.NormalizeAttrs), as fhirxml's
// parse gives them.
type attrDecoder struct {
	*xml.Decoder
	data []byte
}

func (d *attrDecoder) Token() (xml.Token, error) {
	before := d.InputOffset()
	tok, err := d.Decoder.Token()
	if se, ok := tok.(xml.StartElement); ok && err == nil {
		after := min(d.InputOffset(), int64(len(d.data)))
		fhirxml.NormalizeAttrs(d.data[min(before, after):after], se.Attr)
	}
	return tok, err
}

func lineOf(d *attrDecoder, data []byte) int {
	off := int(d.InputOffset())
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// placeAttributes moves n's first attrs children (its XML attributes)
// other than id to where type ti defines them among its elements.
func placeAttributes(n *Node, ti *typeInfo, attrs int) {
	pos := func(name string) int {
		if i := elemIndex(ti, name); i >= 0 {
			return i
		}
		return len(ti.Elems)
	}
	for i := attrs - 1; i >= 0; i-- {
		a := n.kids[i]
		if a.Name == "id" {
			continue
		}
		p := pos(a.Name)
		j := i
		for j+1 < len(n.kids) && pos(n.kids[j+1].Name) < p {
			n.kids[j] = n.kids[j+1]
			j++
		}
		n.kids[j] = a
	}
}

func xmlNode(d *attrDecoder, se xml.StartElement, name, typ string, parent *Node) (*Node, error) {
	n := &Node{Name: name, Type: typ, parent: parent}
	ti := nodeTypeInfo(typ)
	if isPrimitiveType(typ) {
		for _, a := range se.Attr {
			if a.Name.Local == "value" && a.Name.Space == "" {
				n.raw = a.Value
				if pv, ok := primitiveValue(typ, a.Value); ok {
					n.val = pv
				} else {
					n.val = a.Value
				}
			}
		}
	}
	for _, a := range se.Attr {
		if a.Name.Space != "" || a.Name.Local == "value" && isPrimitiveType(typ) || a.Name.Local == "xmlns" {
			continue
		}
		e, et := elemFor(ti, a.Name.Local)
		if e == nil {
			et = "string"
		}
		if a.Name.Local == "id" {
			et = "string"
		}
		c := &Node{Name: a.Name.Local, Type: et, raw: a.Value, parent: n}
		c.val, _ = primitiveValue(et, a.Value)
		n.kids = append(n.kids, c)
	}
	// the attributes come first; all but id (Extension's url) are placed
	// among the elements once they are read, as the JSON trees have them
	attrs := len(n.kids)
	counts := map[string]int{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if attrs > 0 && ti != nil {
				placeAttributes(n, ti, attrs)
			}
			return n, nil
		case xml.StartElement:
			local := t.Name.Local
			if local == "div" && t.Name.Space == "http://www.w3.org/1999/xhtml" {
				var inner struct {
					Inner []byte `xml:",innerxml"`
				}
				if err := d.DecodeElement(&inner, &t); err != nil {
					return nil, err
				}
				s := "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + string(inner.Inner) + "</div>"
				n.kids = append(n.kids, &Node{Name: "div", Type: "xhtml", val: s, raw: s, parent: n})
				continue
			}
			cname, et := xmlChildOf(ti, local, hasValueAttr(t))
			var c *Node
			if et == "Resource" || ti == nil && len(t.Attr) == 0 && (local == "contained" || local == "resource") {
				// a resource container: its one child element is the resource
				inner, err := nextStart(d)
				if err != nil {
					return nil, err
				}
				c, err = xmlNode(d, inner, cname, inner.Name.Local, n)
				if err != nil {
					return nil, err
				}
				if err := d.Skip(); err != nil {
					return nil, err
				}
			} else {
				var err error
				c, err = xmlNode(d, t, cname, et, n)
				if err != nil {
					return nil, err
				}
			}
			c.index = counts[cname]
			counts[cname]++
			n.kids = append(n.kids, c)
		}
	}
}

// xmlChildOf gives the name and type of a child element named local of
// an element of type ti (nil when unknown): a choice element's name
// without its type, and for an element ti does not define, Element, or
// string when it has a value attribute.
func xmlChildOf(ti *typeInfo, local string, hasValue bool) (name, typ string) {
	e, et := elemFor(ti, local)
	name = local
	if e != nil {
		name = e.Name
	}
	if et == "" {
		et = "Element"
		if hasValue {
			et = "string"
		}
	}
	return name, et
}

func hasValueAttr(se xml.StartElement) bool {
	for _, a := range se.Attr {
		if a.Name.Local == "value" {
			return true
		}
	}
	return false
}

func nextStart(d *attrDecoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, fmt.Errorf("empty resource container")
		}
	}
}

// String gives a primitive's value, or the node's type.
func (n *Node) String() string {
	if n.hasVal() {
		return fmt.Sprint(n.value())
	}
	return n.Type
}

// outlineNode is the tree xmlNode reads from the tokens of an element, made
// from the element as fhirxml's strict parse kept it (x, named name, of
// type typ): the same names, types, values, attributes and order, except
// that a narrative div's value is the div verbatim. ValidateBytes checks
// the element order on it without reading the XML a second time. The
// values are lazy (Node.value), as in ValidateProfiles' own tree, which
// only the calling goroutine sees.
func outlineNode(x *fhirxml.Element, name, typ string, parent *Node) *Node {
	var b outlineBuilder
	return b.element(x, name, typ, parent)
}

// outlineBuilder makes an outline's nodes in blocks.
type outlineBuilder struct {
	block []Node
}

func (b *outlineBuilder) node() *Node {
	if len(b.block) == cap(b.block) {
		b.block = make([]Node, 0, 64)
	}
	b.block = b.block[:len(b.block)+1]
	return &b.block[len(b.block)-1]
}

func (b *outlineBuilder) element(x *fhirxml.Element, name, typ string, parent *Node) *Node {
	n := b.node()
	n.Name, n.Type, n.parent = name, typ, parent
	ti := nodeTypeInfo(typ)
	val, hasVal := x.Value()
	if hasVal && isPrimitiveType(typ) {
		n.raw, n.lazy = val, true
	}
	children := x.Children()
	n.kids = make([]*Node, 0, len(children)+3)
	// the strict parse allows no attributes but id, value and url (and
	// namespaces); xmlNode makes the others than a primitive's value
	// children, in the order placeAttributes gives whatever theirs was
	attr := func(aname, v string) {
		e, et := elemFor(ti, aname)
		if e == nil || aname == "id" {
			et = "string"
		}
		c := b.node()
		c.Name, c.Type, c.raw, c.parent = aname, et, v, n
		c.val, _ = primitiveValue(et, v)
		n.kids = append(n.kids, c)
	}
	if id, ok := x.ID(); ok {
		attr("id", id)
	}
	if hasVal && !isPrimitiveType(typ) {
		attr("value", val)
	}
	if u, ok := x.URL(); ok {
		attr("url", u)
	}
	attrs := len(n.kids)
	var counts nameCounts
	for _, t := range children {
		local := t.Name()
		if t.IsXHTML() {
			s := t.Raw()
			c := b.node()
			c.Name, c.Type, c.val, c.raw, c.parent = "div", "xhtml", s, s, n
			n.kids = append(n.kids, c)
			continue
		}
		_, hasID := t.ID()
		_, hasURL := t.URL()
		_, tHasVal := t.Value()
		cname, et := xmlChildOf(ti, local, tHasVal)
		var c *Node
		if et == "Resource" || ti == nil && !hasID && !hasURL && !tHasVal && (local == "contained" || local == "resource") {
			// a resource container: its one child element is the resource
			if len(t.Children()) == 0 {
				continue
			}
			inner := t.Children()[0]
			c = b.element(inner, cname, inner.Name(), n)
		} else {
			c = b.element(t, cname, et, n)
		}
		c.index = counts.next(cname)
		n.kids = append(n.kids, c)
	}
	if attrs > 0 && ti != nil {
		placeAttributes(n, ti, attrs)
	}
	return n
}

// nameCounts counts the children of each name so far, in a small array
// while there are few names.
type nameCounts struct {
	few  [8]nameCount
	nFew int
	many map[string]int
}

type nameCount struct {
	name string
	n    int
}

// next gives the number of children named name counted so far, and
// counts one more.
func (c *nameCounts) next(name string) int {
	for i := 0; i < c.nFew; i++ {
		if c.few[i].name == name {
			c.few[i].n++
			return c.few[i].n - 1
		}
	}
	if c.nFew < len(c.few) {
		c.few[c.nFew] = nameCount{name, 1}
		c.nFew++
		return 0
	}
	if c.many == nil {
		c.many = map[string]int{}
	}
	k := c.many[name]
	c.many[name] = k + 1
	return k
}
