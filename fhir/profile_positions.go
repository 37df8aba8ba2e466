package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
)

// Extensions the HL7 validator puts on each OperationOutcome.issue to give
// the line and column of the element in the validated input (FHIR
// Extensions Pack, operationoutcome-issue-line and -col).
const (
	ExtIssueLine = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"
	ExtIssueCol  = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col"
)

// ValidateBytes decodes a resource in FHIR JSON or XML (told apart by the
// first non-space byte), runs ValidateProfiles on it and gives each issue
// the line and column (1-based; the column counts bytes) of the element at
// its expression, as the HL7 validator does: the extensions ExtIssueLine
// and ExtIssueCol (valueInteger) and a second location "Line[l] Col[c]"
// after the expression. An issue about an element that is absent gets the
// position of the nearest element above it that is present. Input that
// does not decode is an error (*DecodeError or *XMLError, with its
// position). XML input is also checked for elements out of the order FHIR
// XML requires (rule RuleXMLOrder, an error as the HL7 validator has it),
// which UnmarshalXML reads without complaint.
func ValidateBytes(ctx context.Context, data []byte, opts ValidateOptions) (*OperationOutcome, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	isXML := len(trimmed) > 0 && trimmed[0] == '<'
	var r Resource
	var err error
	if isXML {
		r, err = UnmarshalXML(data)
	} else {
		r, err = Unmarshal(data)
	}
	if err != nil {
		return nil, err
	}
	oo, err := ValidateProfiles(ctx, r, opts)
	if isXML && !hasString(opts.Suppress, RuleXMLOrder) && (opts.MaxIssues == 0 || oo == nil || len(oo.Issue) < opts.MaxIssues) {
		if order := xmlOrderIssues(data); len(order) > 0 {
			if oo == nil {
				oo = &OperationOutcome{}
			}
			oo.Issue = append(oo.Issue, order...)
			if opts.MaxIssues > 0 && len(oo.Issue) > opts.MaxIssues {
				oo.Issue = oo.Issue[:opts.MaxIssues]
			}
		}
	}
	if oo == nil || len(oo.Issue) == 0 {
		return oo, err
	}
	var pos map[string]position
	if isXML {
		pos = xmlPositions(data)
	} else {
		pos = jsonPositions(data)
	}
	for i := range oo.Issue {
		is := &oo.Issue[i]
		if len(is.Expression) == 0 {
			continue
		}
		p, ok := lookupPosition(pos, is.Expression[0].Value)
		if !ok {
			continue
		}
		is.Extension = append(is.Extension,
			Extension{URL: URI{Value: ExtIssueLine}, Value: &Integer{Value: int64(p.line), Set: true}},
			Extension{URL: URI{Value: ExtIssueCol}, Value: &Integer{Value: int64(p.col), Set: true}})
		is.Location = append(is.Location, String{Value: is.Expression[0].Value}, String{Value: "Line[" + itoa(p.line) + "] Col[" + itoa(p.col) + "]"})
	}
	return oo, err
}

// RuleXMLOrder is the rule id (for Suppress) of an element of XML input
// that comes before one its type defines ahead of it.
const RuleXMLOrder = "xml-order"

// xmlOrderIssues reports, in each element of a FHIR XML document, the
// first child element out of definition order: FHIR XML requires that
// order (JSON does not), and the HL7 validator reports an element out of
// it as an error. UnmarshalXML reads such a document, so ValidateProfiles
// alone cannot see it.
func xmlOrderIssues(data []byte) []OperationOutcomeIssue {
	root, err := NodeFromXML(data)
	if err != nil {
		return nil
	}
	var out []OperationOutcomeIssue
	var walk func(n *Node)
	walk = func(n *Node) {
		if ti := nodeTypeInfo(n.Type); ti != nil && len(n.kids) > 1 {
			last, lastName := -1, ""
			for _, k := range n.kids {
				p := elemIndex(ti, k.Name)
				if p < 0 {
					continue
				}
				if p < last {
					out = append(out, OperationOutcomeIssue{
						Severity:    Code{Value: SeverityError},
						Code:        Code{Value: IssueTypeInvalid},
						Details:     &CodeableConcept{Text: String{Value: RuleXMLOrder}},
						Diagnostics: String{Value: "The element " + k.Name + " is out of order: it comes after " + lastName + ", which " + ti.Name + " defines after it"},
						Expression:  []String{{Value: nodeLoc(k)}},
					})
					break
				}
				last, lastName = p, k.Name
			}
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(root)
	return out
}

// elemIndex is the place of element name among ti's, -1 if it has none.
func elemIndex(ti *typeInfo, name string) int {
	for i := range ti.Elems {
		if ti.Elems[i].Name == name {
			return i
		}
	}
	return -1
}

type position struct{ line, col int }

// lookupPosition finds expr's element, or failing that the nearest one
// above it. Indexes [0] are dropped on both sides (an issue may name a
// single element without its index), and a trailing function
// (.where(...)) is cut.
func lookupPosition(pos map[string]position, expr string) (position, bool) {
	if i := strings.Index(expr, ".where("); i >= 0 {
		expr = expr[:i]
	}
	expr = strings.ReplaceAll(expr, "[0]", "")
	for expr != "" {
		if p, ok := pos[expr]; ok {
			return p, true
		}
		i := strings.LastIndexAny(expr, ".[")
		if i < 0 {
			break
		}
		expr = expr[:i]
	}
	return position{}, false
}

// positionIndex records where each element starts, under its path as
// issues write it and under aliases (a choice element's name without its
// type, a primitive's _name).
type positionIndex struct {
	m     map[string]position
	lines []int // offsets of line starts
}

func newPositionIndex(data []byte) *positionIndex {
	px := &positionIndex{m: map[string]position{}, lines: []int{0}}
	for i, b := range data {
		if b == '\n' {
			px.lines = append(px.lines, i+1)
		}
	}
	return px
}

func (px *positionIndex) at(off int) position {
	lo, hi := 0, len(px.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if px.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return position{lo + 1, off - px.lines[lo] + 1}
}

func (px *positionIndex) record(path string, p position) {
	path = strings.ReplaceAll(path, "[0]", "")
	if _, ok := px.m[path]; !ok {
		px.m[path] = p
	}
}

// aliases gives the other names an element key is written with in issue
// expressions: "valueQuantity" is also "value", "_birthDate" "birthDate".
func elementAliases(key string) (string, bool) {
	if strings.HasPrefix(key, "_") {
		return key[1:], true
	}
	for i := 1; i < len(key); i++ {
		if key[i] >= 'A' && key[i] <= 'Z' {
			suffix := key[i:]
			if typeTable[suffix] != nil || typeTable[strings.ToLower(suffix[:1])+suffix[1:]] != nil {
				return key[:i], true
			}
			return "", false
		}
	}
	return "", false
}

func (px *positionIndex) element(parent, key string, idx int, p position) string {
	path := parent + "." + key
	if idx >= 0 {
		path += "[" + itoa(idx) + "]"
	}
	px.record(path, p)
	if alias, ok := elementAliases(key); ok {
		a := parent + "." + alias
		if idx >= 0 {
			a += "[" + itoa(idx) + "]"
		}
		px.record(a, p)
	}
	return path
}

// jsonPositions indexes a JSON resource's elements by path. It stops
// quietly at the first syntax error (the input has decoded already).
func jsonPositions(data []byte) map[string]position {
	px := newPositionIndex(data)
	d := json.NewDecoder(bytes.NewReader(data))
	next := func() int {
		off := int(d.InputOffset())
		for off < len(data) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
			off++
		}
		return off
	}
	var value func(path string, tok json.Token) error
	object := func(root string) error {
		for {
			off := next()
			tok, err := d.Token()
			if err != nil {
				return err
			}
			if tok == json.Delim('}') {
				return nil
			}
			key, _ := tok.(string)
			vt, err := d.Token()
			if err != nil {
				return err
			}
			if vt == json.Delim('[') {
				px.element(root, key, -1, px.at(off))
				for i := 0; ; i++ {
					eoff := next()
					et, err := d.Token()
					if err != nil {
						return err
					}
					if et == json.Delim(']') {
						break
					}
					p := px.element(root, key, i, px.at(eoff))
					if err := value(p, et); err != nil {
						return err
					}
				}
				continue
			}
			// a resource's resourceType key gets a place no issue names;
			// ExampleScenario.instance's is an element
			p := px.element(root, key, -1, px.at(off))
			if err := value(p, vt); err != nil {
				return err
			}
		}
	}
	value = func(path string, tok json.Token) error {
		if tok == json.Delim('{') {
			// a resource inside (contained, entry.resource) keeps the path
			// of the element holding it
			return object(path)
		}
		return nil
	}
	off := next()
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return px.m
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if json.Unmarshal(data, &head) != nil || head.ResourceType == "" {
		return px.m
	}
	px.record(head.ResourceType, px.at(off))
	_ = object(head.ResourceType)
	return px.m
}

// xmlPositions indexes an XML resource's elements by path, at the end of
// each start tag (where a SAX locator, and so the HL7 validator, puts
// them).
func xmlPositions(data []byte) map[string]position {
	px := newPositionIndex(data)
	d := xml.NewDecoder(bytes.NewReader(data))
	type frame struct {
		path   string
		counts map[string]int
		skip   bool // xhtml
		holder bool // contained/resource: the next element is a resource
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err != nil {
			// io.EOF, or a syntax error after what decoded
			return px.m
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, col := d.InputPos()
			p := position{line, col}
			if len(stack) == 0 {
				px.record(t.Name.Local, p)
				stack = append(stack, &frame{path: t.Name.Local, counts: map[string]int{}})
				continue
			}
			top := stack[len(stack)-1]
			if top.skip {
				stack = append(stack, &frame{path: top.path, skip: true})
				continue
			}
			if top.holder && t.Name.Local != "" && t.Name.Local[0] >= 'A' && t.Name.Local[0] <= 'Z' {
				// the resource element inside contained or entry.resource
				stack = append(stack, &frame{path: top.path, counts: map[string]int{}})
				continue
			}
			name := t.Name.Local
			i := top.counts[name]
			top.counts[name]++
			path := top.path + "." + name + "[" + itoa(i) + "]"
			px.element(top.path, name, i, p)
			px.element(top.path, name, -1, p)
			f := &frame{path: path, counts: map[string]int{}}
			if t.Name.Space == "http://www.w3.org/1999/xhtml" {
				f.skip = true
			}
			if name == "contained" || name == "resource" || name == "outcome" || name == "return" {
				f.holder = true
			}
			for _, a := range t.Attr {
				if a.Name.Local == "url" {
					px.element(path, "url", -1, p)
				}
			}
			stack = append(stack, f)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}
