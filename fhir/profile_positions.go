package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir/internal/fhirxml"
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
// which UnmarshalXML reads without complaint, and for elements with
// nothing in them (rule RuleXMLEmptyElement); JSON input for empty arrays
// and objects (rules RuleJSONEmptyArray and RuleJSONEmptyObject, errors as
// the HL7 validator has them), which Unmarshal reads as nothing.
func ValidateBytes(ctx context.Context, data []byte, opts ValidateOptions) (*OperationOutcome, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	isXML := len(trimmed) > 0 && trimmed[0] == '<'
	var r Resource
	var root *fhirxml.Element // the XML as its parse read it
	var err error
	if isXML {
		r, root, err = fhirxml.DecodeTree(xmlModel(), data, Unmarshal)
	} else {
		r, err = Unmarshal(data)
	}
	if err != nil {
		return nil, err
	}
	oo, err := ValidateProfiles(ctx, r, opts)
	if isXML && (opts.MaxIssues == 0 || oo == nil || len(oo.Issue) < opts.MaxIssues) {
		order, empty := !hasString(opts.Suppress, RuleXMLOrder), !hasString(opts.Suppress, RuleXMLEmptyElement)
		if order || empty {
			outline := outlineNode(root, root.Name(), root.Name(), nil)
			if order {
				oo = appendIssues(oo, xmlOrderIssues(outline), opts.MaxIssues)
			}
			if empty {
				oo = appendIssues(oo, xmlEmptyIssues(outline), opts.MaxIssues)
			}
		}
	}
	if !isXML && (opts.MaxIssues == 0 || oo == nil || len(oo.Issue) < opts.MaxIssues) {
		arrays := !hasString(opts.Suppress, RuleJSONEmptyArray) && mayHaveEmpty(data, '[', ']')
		objects := !hasString(opts.Suppress, RuleJSONEmptyObject) && mayHaveEmpty(data, '{', '}')
		if arrays || objects {
			oo = appendIssues(oo, jsonEmptyIssues(data, arrays, objects), opts.MaxIssues)
		}
	}
	if oo == nil || len(oo.Issue) == 0 {
		return oo, err
	}
	var pos map[string]position
	if isXML {
		pos = xmlPositions(root, wantedPositions(oo.Issue))
	} else {
		pos = jsonPositions(data, wantedPositions(oo.Issue))
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

// appendIssues adds issues to oo (made when there are some and oo is
// nil), keeping at most limit in all (0: no cap).
func appendIssues(oo *OperationOutcome, issues []OperationOutcomeIssue, limit int) *OperationOutcome {
	if len(issues) == 0 {
		return oo
	}
	if oo == nil {
		oo = &OperationOutcome{}
	}
	oo.Issue = append(oo.Issue, issues...)
	if limit > 0 && len(oo.Issue) > limit {
		oo.Issue = oo.Issue[:limit]
	}
	return oo
}

// RuleXMLOrder is the rule id (for Suppress) of an element of XML input
// that comes before one its type defines ahead of it.
const RuleXMLOrder = "xml-order"

// RuleXMLEmptyElement is the rule id (for Suppress) of an element of XML
// input with no attribute (but namespaces), no text and no child element.
// The HL7 validator's XmlParser reports each such element it reads, in the
// FHIR namespace, as an error of type invalid, besides the ele-1 its
// InstanceValidator then finds there; it does not read an unknown
// element's content, and neither does this rule.
const RuleXMLEmptyElement = "xml-empty-element"

// xmlEmptyIssues reports, in the outline of an XML resource, each element
// with nothing in it (no value, id, url or child), at its FHIRPath; not in
// an unknown element (typed Element), nor a resource's own.
func xmlEmptyIssues(root *Node) []OperationOutcomeIssue {
	var out []OperationOutcomeIssue
	var walk func(n *Node)
	walk = func(n *Node) {
		for _, k := range n.kids {
			if k.Type == "Element" || k.Type == "xhtml" {
				continue
			}
			if len(k.kids) == 0 && k.raw == "" && !isResourceType(k.Type) {
				out = append(out, OperationOutcomeIssue{
					Severity:    Code{Value: SeverityError},
					Code:        Code{Value: IssueTypeInvalid},
					Details:     &CodeableConcept{Text: String{Value: RuleXMLEmptyElement}},
					Diagnostics: String{Value: "The element is empty: FHIR XML leaves out an element that has no value and nothing in it"},
					Expression:  []String{{Value: nodeLocation(k)}},
				})
				continue
			}
			walk(k)
		}
	}
	walk(root)
	return out
}

// RuleJSONEmptyArray is the rule id (for Suppress) of an empty array in
// JSON input. FHIR JSON leaves a property with no values out, never
// writes it as []; the HL7 validator reports one as an error. Unmarshal
// reads it as no values, so ValidateProfiles alone cannot see it.
const RuleJSONEmptyArray = "json-empty-array"

// RuleJSONEmptyObject is the rule id (for Suppress) of an object with no
// members in JSON input ({} or "_name": {}). FHIR JSON leaves out an
// element with nothing in it; the HL7 validator's JsonParser reports each
// such object it reads as an element (an error of type invalid), the
// "_name" part of a primitive that has a value too, besides the ele-1 its
// InstanceValidator then finds at an element with nothing in it. It does
// not read an unknown element's value, and neither does this rule.
const RuleJSONEmptyObject = "json-empty-object"

// mayHaveEmpty is the quick look ValidateBytes takes before
// jsonEmptyIssues: whether a close ('}' or ']') follows its open ('{' or
// '[') with only white space between (perhaps inside a string, which the
// walk tells apart).
func mayHaveEmpty(data []byte, open, close byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], close)
		if j < 0 {
			return false
		}
		k := i + j - 1
		for k >= i && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n') {
			k--
		}
		if k >= 0 && data[k] == open {
			return true
		}
		i += j + 1
	}
}

// jsonEmptyIssues reports, in a JSON resource that has decoded, each
// empty array (arrays) at the FHIRPath of its property, then each empty
// object (objects) at the FHIRPath of its element, unless it is in an
// unknown element.
func jsonEmptyIssues(data []byte, arrays, objects bool) []OperationOutcomeIssue {
	px := &positionIndex{m: map[string]position{}, data: data, findEmpty: true}
	px.walk()
	var out []OperationOutcomeIssue
	add := func(rule, msg, loc string) {
		out = append(out, OperationOutcomeIssue{
			Severity:    Code{Value: SeverityError},
			Code:        Code{Value: IssueTypeInvalid},
			Details:     &CodeableConcept{Text: String{Value: rule}},
			Diagnostics: String{Value: msg},
			Expression:  []String{{Value: loc}},
		})
	}
	if arrays {
		for _, path := range px.emptyArrays {
			add(RuleJSONEmptyArray, "The array is empty: FHIR JSON leaves out a property that has no values", jsonFHIRPath(path))
		}
	}
	if objects {
		for _, path := range px.emptyObjects {
			if loc, known := jsonFHIRPathKnown(path); known {
				add(RuleJSONEmptyObject, "The object is empty: FHIR JSON leaves out an element that has nothing in it", loc)
			}
		}
	}
	return out
}

// jsonFHIRPath turns a path of JSON keys ("Patient.name[0]._given",
// "Observation.valueCodeableConcept.coding"; a resource inside has its
// type after its key: "Bundle.entry[0].resource{Patient}.name") into the FHIRPath of its
// element ("Patient.name[0].given", "Observation.value.coding"): a
// primitive's "_" is dropped and a choice key named by its element, as
// far as the types along the path are known.
func jsonFHIRPath(path string) string {
	loc, _ := jsonFHIRPathKnown(path)
	return loc
}

// jsonFHIRPathKnown is jsonFHIRPath, and whether every key on the path is
// an element of its type (none unknown, which the input may also hold).
func jsonFHIRPathKnown(path string) (string, bool) {
	known := true
	segs := strings.Split(path, ".")
	var b strings.Builder
	b.WriteString(segs[0])
	ti := typeTable[segs[0]]
	for _, seg := range segs[1:] {
		key, index, rt := seg, "", ""
		if i := strings.IndexByte(key, '{'); i >= 0 {
			key, rt = key[:i], strings.TrimSuffix(key[i+1:], "}")
		}
		if i := strings.IndexByte(key, '['); i >= 0 {
			key, index = key[:i], key[i:]
		}
		key = strings.TrimPrefix(key, "_")
		name := key
		var next *typeInfo
		ki := keyInfo{}
		if ti != nil {
			ki = keyLookup(ti, key)
		}
		if ki.e != nil {
			name = ki.e.Name
			next = nodeTypeInfo(ki.et)
		} else if ti == nil && key == "extension" {
			// a primitive's part (no table) holds id and extension
			next = typeTable["Extension"]
		} else if ti != nil || key != "id" {
			known = false
		}
		b.WriteByte('.')
		b.WriteString(name)
		b.WriteString(index)
		ti = next
		if rt != "" {
			ti = typeTable[rt]
		}
	}
	return b.String(), known
}

// xmlOrderIssues reports, in each element of a FHIR XML document (root,
// the tree NodeFromXML gives, or outlineNode), the first child element
// out of definition order: FHIR XML requires that order (JSON does not),
// and the HL7 validator reports an element out of it as an error.
// UnmarshalXML reads such a document, so ValidateProfiles alone cannot
// see it.
func xmlOrderIssues(root *Node) []OperationOutcomeIssue {
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
	var p position
	found := false
	positionCandidates(expr, func(path string) bool {
		p, found = pos[path]
		return !found
	})
	return p, found
}

// positionCandidates gives yield the paths lookupPosition tries for expr,
// nearest first, until yield returns false.
func positionCandidates(expr string, yield func(path string) bool) {
	if i := strings.Index(expr, ".where("); i >= 0 {
		expr = expr[:i]
	}
	expr = strings.ReplaceAll(expr, "[0]", "")
	for expr != "" {
		if !yield(expr) {
			return
		}
		i := strings.LastIndexAny(expr, ".[")
		if i < 0 {
			return
		}
		expr = expr[:i]
	}
}

// wantedPositions are the paths the issues' expressions may be placed at.
func wantedPositions(issues []OperationOutcomeIssue) map[string]bool {
	want := map[string]bool{}
	for i := range issues {
		if len(issues[i].Expression) > 0 {
			positionCandidates(issues[i].Expression[0].Value, func(path string) bool {
				want[path] = true
				return true
			})
		}
	}
	return want
}

// positionIndex records where each element starts, under its path as
// issues write it and under aliases (a choice element's name without its
// type, a primitive's _name).
type positionIndex struct {
	m    map[string]position
	data []byte // the JSON input
	// lines are the offsets of the JSON input's line starts, found at the
	// first element recorded
	lines []int
	// want, when not nil, are the only paths recorded
	want map[string]bool
	// within, with want, are the paths of the JSON values that hold an
	// element of want: every want path cut before each '.' and '[' (a
	// value elsewhere is stepped over unread); left, the paths of want
	// not yet recorded (none left: the walk stops)
	within map[string]bool
	left   int
	path   []byte // jsonPositions' current path
	// findEmpty: the walk lists in emptyArrays and emptyObjects the paths
	// of the empty arrays and of the objects with no members (with every
	// index, [0] too), for jsonEmptyIssues
	findEmpty    bool
	emptyArrays  []string
	emptyObjects []string
	scratch      []byte // holds' alias path
}

// at gives the line and column of the JSON input's byte off.
func (px *positionIndex) at(off int) position {
	if px.lines == nil {
		px.lines = []int{0}
		for i := 0; ; {
			j := bytes.IndexByte(px.data[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			px.lines = append(px.lines, i)
		}
	}
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

// jsonPositions indexes a JSON resource's elements by path: those in
// want, or all when want is nil. It reads the bytes itself (the input has
// decoded already, so it is well formed; it stops quietly where it is
// not) and builds a path only in a buffer, rather than through
// encoding/json's tokens and a string per element, which cost ten times
// the decoding itself. Asked for some paths, it steps over the values that
// cannot hold one unread and stops once it has them all: ValidateBytes
// asks for the few its issues name.
func jsonPositions(data []byte, want map[string]bool) map[string]position {
	px := newPositionIndex(data, want)
	px.walk()
	return px.m
}

// newPositionIndex gives an index of the paths of want (all when nil) in
// the input data (JSON; nil for XML).
func newPositionIndex(data []byte, want map[string]bool) *positionIndex {
	px := &positionIndex{m: map[string]position{}, data: data, want: want}
	if want != nil {
		px.left = len(want)
		px.within = map[string]bool{}
		for w := range want {
			for i := 1; i < len(w); i++ {
				if w[i] == '.' || w[i] == '[' {
					px.within[w[:i]] = true
				}
			}
		}
	}
	return px
}

// walk reads the JSON resource px.data from its root object, which gives
// the path its first step (the resource type).
func (px *positionIndex) walk() {
	s := &jsonScan{data: px.data}
	if bytes.HasPrefix(s.data, []byte("\ufeff")) {
		s.i = len("\ufeff")
	}
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != '{' {
		return
	}
	off := s.i
	s.i++
	rt := s.resourceType()
	if rt == "" {
		return
	}
	px.path = append(px.path[:0], rt...)
	px.recordPath(off)
	px.jsonObject(s)
}

// jsonScan walks well-formed JSON: i is the offset of the next byte.
type jsonScan struct {
	data []byte
	i    int
}

// space steps over white space and the separators (',' and ':'), which
// the walk knows from the structure.
func (s *jsonScan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			s.i++
		default:
			return
		}
	}
}

// key reads the string at i as str does, but gives its bytes in the
// input when it has no escape (keys never have one in practice), so that
// it costs no allocation.
func (s *jsonScan) key() ([]byte, bool) {
	if s.i < len(s.data) && s.data[s.i] == '"' {
		if j := bytes.IndexByte(s.data[s.i+1:], '"'); j >= 0 && bytes.IndexByte(s.data[s.i+1:s.i+1+j], '\\') < 0 {
			k := s.data[s.i+1 : s.i+1+j]
			s.i += j + 2
			return k, true
		}
	}
	k, ok := s.str()
	return []byte(k), ok
}

// str reads the string at i (its text unescaped), or gives false.
func (s *jsonScan) str() (string, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return "", false
	}
	start, esc := s.i, false
	for j := s.i + 1; j < len(s.data); j++ {
		switch s.data[j] {
		case '\\':
			esc = true
			j++
		case '"':
			s.i = j + 1
			if !esc {
				return string(s.data[start+1 : j]), true
			}
			var v string
			if json.Unmarshal(s.data[start:j+1], &v) != nil {
				return "", false
			}
			return v, true
		}
	}
	return "", false
}

// skip steps over the value at i, or gives false.
func (s *jsonScan) skip() bool {
	if s.i >= len(s.data) {
		return false
	}
	switch s.data[s.i] {
	case '"':
		_, ok := s.str()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case '"':
				if _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	}
	// a number, true, false or null: up to the next delimiter, at least
	// one byte (a delimiter here is input the walk cannot read)
	start := s.i
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return s.i > start
		}
		s.i++
	}
	return s.i > start
}

// resourceType gives the string value of the key resourceType of the
// object whose members start at i, without moving i; "" if it has none.
func (s *jsonScan) resourceType() string {
	t := &jsonScan{data: s.data, i: s.i}
	for {
		t.space()
		if t.i >= len(t.data) || t.data[t.i] == '}' {
			return ""
		}
		key, ok := t.str()
		if !ok {
			return ""
		}
		t.space()
		if key == "resourceType" && t.i < len(t.data) && t.data[t.i] == '"' {
			v, _ := t.str()
			return v
		}
		if !t.skip() {
			return ""
		}
	}
}

// jsonObject records the members of the object whose members start at s.i
// (and of the objects inside it) under px.path, and steps past its '}';
// false where the input is not as expected.
func (px *positionIndex) jsonObject(s *jsonScan) bool {
	for {
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		if s.data[s.i] == '}' {
			s.i++
			return true
		}
		off := s.i
		key, ok := s.key()
		if !ok {
			return false
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		parent := len(px.path)
		if s.data[s.i] != '[' {
			// a resource's resourceType key gets a place no issue names;
			// ExampleScenario.instance's is an element
			px.jsonElement(key, -1, off)
			if px.done() || !px.jsonValue(s) {
				return false
			}
			px.path = px.path[:parent]
			continue
		}
		px.jsonElement(key, -1, off)
		if px.findEmpty && s.emptyArray() {
			px.emptyArrays = append(px.emptyArrays, string(px.path))
		}
		px.path = px.path[:parent]
		if px.done() {
			return false
		}
		if !px.itemsWanted(key) {
			if !s.skip() {
				return false
			}
			continue
		}
		s.i++
		for i := 0; ; i++ {
			s.space()
			if s.i >= len(s.data) {
				return false
			}
			if s.data[s.i] == ']' {
				s.i++
				break
			}
			px.jsonElement(key, i, s.i)
			if px.done() || !px.jsonValue(s) {
				return false
			}
			px.path = px.path[:parent]
		}
	}
}

// jsonElement is element for the member key (item idx of its array, or -1)
// at offset off under px.path, which it extends by the member's path.
func (px *positionIndex) jsonElement(key []byte, idx, off int) {
	parent := len(px.path)
	if mayHaveAlias(key) {
		if alias, ok := elementAliases(string(key)); ok {
			px.path = appendPathStep(px.path, []byte(alias), idx)
			px.recordPath(off)
			px.path = px.path[:parent]
		}
	}
	px.path = appendPathStep(px.path, key, idx)
	if px.findEmpty && idx == 0 {
		px.path = append(px.path, "[0]"...)
	}
	px.recordPath(off)
}

// emptyArray: the array at i has no items.
func (s *jsonScan) emptyArray() bool {
	for j := s.i + 1; j < len(s.data); j++ {
		switch s.data[j] {
		case ' ', '\t', '\r', '\n':
		default:
			return s.data[j] == ']'
		}
	}
	return false
}

// emptyObject: the object whose members would start at i has none.
func (s *jsonScan) emptyObject() bool {
	for j := s.i; j < len(s.data); j++ {
		switch s.data[j] {
		case ' ', '\t', '\r', '\n':
		default:
			return s.data[j] == '}'
		}
	}
	return false
}

// itemsWanted reports whether a path asked for is an item of the array
// member key under px.path (by its name or its alias), or below one.
func (px *positionIndex) itemsWanted(key []byte) bool {
	if px.within == nil {
		return true
	}
	parent := len(px.path)
	defer func() { px.path = px.path[:parent] }()
	if px.path = appendPathStep(px.path, key, -1); px.within[string(px.path)] {
		return true
	}
	if mayHaveAlias(key) {
		if alias, ok := elementAliases(string(key)); ok {
			px.path = appendPathStep(px.path[:parent], []byte(alias), -1)
			return px.within[string(px.path)]
		}
	}
	return false
}

// mayHaveAlias: elementAliases may give key an alias (it starts with '_'
// or has an upper-case letter after its first).
func mayHaveAlias(key []byte) bool {
	if len(key) > 0 && key[0] == '_' {
		return true
	}
	for i := 1; i < len(key); i++ {
		if key[i] >= 'A' && key[i] <= 'Z' {
			return true
		}
	}
	return false
}

// recordPath is record for px.path (which has no "[0]"), when want has
// it, at the JSON input's byte off.
func (px *positionIndex) recordPath(off int) {
	if px.want != nil && !px.want[string(px.path)] {
		return
	}
	if _, ok := px.m[string(px.path)]; !ok {
		px.m[string(px.path)] = px.at(off)
		px.left--
	}
}

// recordPos is recordPath at the position p.
func (px *positionIndex) recordPos(p position) {
	if px.want != nil && !px.want[string(px.path)] {
		return
	}
	if _, ok := px.m[string(px.path)]; !ok {
		px.m[string(px.path)] = p
		px.left--
	}
}

// done: every path asked for has its place (the first element at a
// path keeps it), so the rest of the input need not be read.
func (px *positionIndex) done() bool { return px.want != nil && px.left == 0 }

// jsonValue records an object value's members under px.path (a resource
// inside, in contained or entry.resource, keeps the path of the element
// holding it) and steps over any other value.
func (px *positionIndex) jsonValue(s *jsonScan) bool {
	if s.data[s.i] == '{' && (px.within == nil || px.within[string(px.path)]) {
		s.i++
		if px.findEmpty {
			if s.emptyObject() {
				px.emptyObjects = append(px.emptyObjects, string(px.path))
			}
			// a resource inside: its type, for jsonFHIRPath
			if rt := s.resourceType(); rt != "" {
				px.path = append(append(append(px.path, '{'), rt...), '}')
			}
		}
		return px.jsonObject(s)
	}
	return s.skip()
}

// appendPathStep appends ".name[idx]" as record keeps it: without any
// "[0]".
func appendPathStep(b, name []byte, idx int) []byte {
	b = append(b, '.')
	if bytes.Contains(name, []byte("[0]")) {
		name = bytes.ReplaceAll(name, []byte("[0]"), nil)
	}
	b = append(b, name...)
	if idx > 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(idx), 10)
		b = append(b, ']')
	}
	return b
}

// xmlPositions indexes an XML resource's elements by path (those in
// want, or all when want is nil), at the end of each start tag (where a
// SAX locator, and so the HL7 validator, puts them), from the elements
// the strict parse read (root).
func xmlPositions(root *fhirxml.Element, want map[string]bool) map[string]position {
	px := newPositionIndex(nil, want)
	px.path = append(px.path[:0], root.Name()...)
	px.recordPos(position{root.Line(), root.Col()})
	px.xmlChildren(root, false)
	return px.m
}

// xmlChildren records the children of x under px.path, as jsonObject
// does for JSON: skipping those no asked path is in, and stopping once all
// have their place; false once they have. holder: x is contained,
// resource, outcome or return, whose child element named by a type (a
// capital letter) is the resource, which adds no step to the path.
func (px *positionIndex) xmlChildren(x *fhirxml.Element, holder bool) bool {
	kids := x.Children()
	// i is c's index among the children of its name. In FHIR XML those
	// are next to each other; input out of order may split them, and past
	// a few runs of names they are counted in a map, not by looking back.
	var counts map[string]int
	prev, i, runs := "", 0, 0
	for j, c := range kids {
		name := c.Name()
		if holder && name != "" && name[0] >= 'A' && name[0] <= 'Z' {
			if !px.xmlChildren(c, false) {
				return false
			}
			continue
		}
		if name == prev {
			i++
		} else {
			runs++
			if counts == nil && runs > 8 {
				counts = map[string]int{}
				for _, o := range kids[:j] {
					counts[o.Name()]++
				}
			}
			if counts != nil {
				i = counts[name]
			} else {
				i = 0
				for _, o := range kids[:j] {
					if o.Name() == name {
						i++
					}
				}
			}
			prev = name
		}
		if counts != nil {
			counts[name]++
		}
		p := position{c.Line(), c.Col()}
		parent := len(px.path)
		// (name without an index is placed by the first of them)
		px.xmlElement(name, i, p)
		if _, ok := c.URL(); ok {
			n := len(px.path)
			px.path = append(px.path, ".url"...)
			px.recordPos(p)
			px.path = px.path[:n]
		}
		if px.done() {
			return false
		}
		if !c.IsXHTML() && px.holds(parent, name, i) { // the narrative's own elements are not placed
			if !px.xmlChildren(c, name == "contained" || name == "resource" || name == "outcome" || name == "return") {
				return false
			}
		}
		px.path = px.path[:parent]
	}
	return true
}

// xmlElement records the element name (item idx of its name, or -1) at p
// under px.path, which it extends by the element's step.
func (px *positionIndex) xmlElement(name string, idx int, p position) {
	parent := len(px.path)
	if alias, ok := elementAliases(name); ok {
		px.path = appendPathStep(px.path, []byte(alias), idx)
		px.recordPos(p)
		px.path = px.path[:parent]
	}
	px.path = appendPathStep(px.path, []byte(name), idx)
	px.recordPos(p)
}

// holds reports whether an asked path is inside the element px.path,
// which is the path at parent plus the element name (item idx): always
// when all are asked for.
func (px *positionIndex) holds(parent int, name string, idx int) bool {
	if px.within == nil || px.within[string(px.path)] {
		return true
	}
	alias, ok := elementAliases(name)
	if !ok {
		return false
	}
	px.scratch = appendPathStep(append(px.scratch[:0], px.path[:parent]...), []byte(alias), idx)
	return px.within[string(px.scratch)]
}
