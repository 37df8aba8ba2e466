package fhir

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Issue severities and the issue-type codes Validate uses
// (http://hl7.org/fhir/ValueSet/issue-severity, issue-type).
const (
	SeverityError   = "error"
	SeverityWarning = "warning"

	IssueRequired     = "required"
	IssueValue        = "value"
	IssueCodeInvalid  = "code-invalid"
	IssueStructure    = "structure"
	IssueInvariant    = "invariant"
	IssueNotSupported = "not-supported"
	IssueBusinessRule = "business-rule"
)

// checker walks a resource; path is the FHIRPath of the element being
// checked, grown and cut back in place so that a valid resource costs no
// allocation.
type checker struct {
	// the element being checked, as steps from root: written out as a
	// FHIRPath only for an issue, so that the walk of a valid resource
	// copies no names
	root   string
	steps  []pathStep
	buf    []byte // for writing a path out
	issues []OperationOutcomeIssue
	refs   []string // local references (#id) seen
	// divs are the narratives seen that may link to a contained resource
	// (narrativeRefs), read only when one is not referenced otherwise
	divs []string
	// invariantsLater: ValidateProfiles evaluates ext-1, qty-3 and dom-3
	// from their FHIRPath expressions, so Validate leaves them out rather
	// than report each twice
	invariantsLater bool
}

var checkers = sync.Pool{New: func() any { return &checker{steps: make([]pathStep, 0, 32)} }}

// pathStep is one step of a checker's path: .name, .name[index] (index >=
// 0), or .ofType(name) (ofType).
type pathStep struct {
	name   string
	index  int
	ofType bool
}

// path writes the checker's path out: "Patient.name[0].given[1]".
func (c *checker) path() string {
	b := append(c.buf[:0], c.root...)
	for _, s := range c.steps {
		switch {
		case s.ofType:
			b = append(b, ".ofType("...)
			b = append(b, s.name...)
			b = append(b, ')')
		default:
			b = append(b, '.')
			b = append(b, s.name...)
			if s.index >= 0 {
				b = append(b, '[')
				b = strconv.AppendInt(b, int64(s.index), 10)
				b = append(b, ']')
			}
		}
	}
	c.buf = b
	return string(b)
}

// Validate checks a resource against the FHIR R4 rules nhskit knows
// (cardinality, required bindings, primitive formats, references, contained
// resources, extensions) and the UK Core rules (NHS number check digit, ODS
// code format, UK Core extension value types). It returns nil when there is
// nothing to report. Each issue's expression is the FHIRPath of the
// element, e.g. Patient.identifier[0].value.
func Validate(r Resource) *OperationOutcome { return validate(r, false) }

func validate(r Resource, invariantsLater bool) *OperationOutcome {
	if r == nil {
		return nil
	}
	c := checkers.Get().(*checker)
	c.root, c.steps = r.ResourceType(), c.steps[:0]
	c.issues, c.refs, c.divs = c.issues[:0], c.refs[:0], c.divs[:0]
	c.invariantsLater = invariantsLater
	r.validate(c)
	var oo *OperationOutcome
	if len(c.issues) > 0 {
		oo = &OperationOutcome{Issue: append([]OperationOutcomeIssue(nil), c.issues...)}
	}
	clear(c.issues)
	clear(c.refs)
	clear(c.divs)
	checkers.Put(c)
	return oo
}

func (c *checker) push(name string) int {
	n := len(c.steps)
	c.steps = append(c.steps, pathStep{name: name, index: -1})
	return n
}

func (c *checker) pushIndex(name string, i int) int {
	n := len(c.steps)
	c.steps = append(c.steps, pathStep{name: name, index: i})
	return n
}

// pushOfType adds .ofType(typ) to the path.
func (c *checker) pushOfType(typ string) int {
	n := len(c.steps)
	c.steps = append(c.steps, pathStep{name: typ, ofType: true})
	return n
}

func (c *checker) pop(n int) { c.steps = c.steps[:n] }

func (c *checker) issue(severity, code, diagnostics string) {
	c.issues = append(c.issues, OperationOutcomeIssue{
		Severity:    Code{Value: severity},
		Code:        Code{Value: code},
		Diagnostics: String{Value: diagnostics},
		Expression:  []String{{Value: c.path()}},
	})
}

func (c *checker) required(name string) {
	n := c.push(name)
	c.issue(SeverityError, IssueRequired, "minimum required = 1, but only found 0")
	c.pop(n)
}

func (c *checker) pushAt(name string, i int) int {
	if name == "" {
		return len(c.steps) // the caller has pushed the path already
	}
	if i < 0 {
		return c.push(name)
	}
	return c.pushIndex(name, i)
}

func (c *checker) badCode(name string, i int, code, valueSet string) {
	n := c.pushAt(name, i)
	c.issue(SeverityError, IssueCodeInvalid, "the code "+strconv.Quote(code)+" is not in the required value set "+valueSet)
	c.pop(n)
}

func (c *checker) nullEntry(name string, i int) {
	n := c.pushAt(name, i)
	c.issue(SeverityError, IssueStructure, "an array entry has neither a value nor an id or extension")
	c.pop(n)
}

func (c *checker) badValue(name string, i int, msg string) {
	n := c.pushAt(name, i)
	c.issue(SeverityError, IssueValue, msg)
	c.pop(n)
}

func (c *checker) elem(el *Element, name string, i int) {
	n := c.pushAt(name, i)
	for i := range el.Extension {
		m := c.pushIndex("extension", i)
		el.Extension[i].validate(c)
		c.pop(m)
	}
	if len(el.Unknown) > 0 {
		c.unknownElements(el.Unknown)
	}
	c.pop(n)
}

// prim checks a primitive; name and i (-1 for a single value) say where it
// is, and the path is only grown when there is something to report or
// extensions to walk.
func (c *checker) prim(p primitive, name string, i int) {
	if !p.present() {
		if i >= 0 {
			n := c.pushAt(name, i)
			c.issue(SeverityError, IssueStructure, "an array entry has neither a value nor an id or extension")
			c.pop(n)
		}
		return
	}
	if p.hasValue() {
		if msg := p.check(); msg != "" {
			n := c.pushAt(name, i)
			c.issue(SeverityError, IssueValue, msg)
			c.pop(n)
		}
	}
	if el := *p.elem(); el != nil {
		n := c.pushAt(name, i)
		for i := range el.Extension {
			m := c.pushIndex("extension", i)
			el.Extension[i].validate(c)
			c.pop(m)
		}
		if len(el.Unknown) > 0 {
			c.unknownElements(el.Unknown)
		}
		c.pop(n)
	}
}

type validatable interface{ validate(c *checker) }

func (c *checker) choice(name string, v Value, allowed []string) {
	t := v.TypeName()
	n := c.push(name)
	c.pushOfType(t)
	if allowed != nil {
		ok := false
		for _, a := range allowed {
			if a == t {
				ok = true
				break
			}
		}
		if !ok {
			c.issue(SeverityError, IssueStructure, "type "+t+" is not allowed here")
		}
	}
	switch x := v.(type) {
	case *Canonical:
		c.localRef(x.Value)
	case *URI:
		c.localRef(x.Value)
	case *URL:
		c.localRef(x.Value)
	}
	switch x := v.(type) {
	case primitive:
		c.prim(x, "", -2)
	case validatable:
		x.validate(c)
	}
	c.pop(n)
}

func (c *checker) resource(r Resource) {
	if r == nil {
		return
	}
	// A contained or bundled resource's own elements are written with its
	// type, as FHIRPath's ofType would select it.
	n := c.pushOfType(r.ResourceType())
	r.validate(c)
	c.pop(n)
}

func (c *checker) unknownElements(fs []RawField) {
	for _, f := range fs {
		n := c.push(f.Name)
		c.issue(SeverityError, IssueStructure, "unknown element "+strconv.Quote(f.Name))
		c.pop(n)
	}
}

// containedReferenced applies dom-3: a contained resource is referenced
// from elsewhere in its container (or refers to it with "#").
func (c *checker) containedReferenced(contained []Resource) {
	// with many contained resources, the references and narrative links
	// are gathered once (localIndex) rather than scanned for each
	var local map[string]bool
	for i, r := range contained {
		id := r.resourceID()
		if id != "" && c.invariantsLater {
			continue // dom-3's expression decides
		}
		n := c.pushIndex("contained", i)
		if id == "" {
			c.issue(SeverityError, IssueInvariant, "a contained resource has no id (dom-3)")
			c.pop(n)
			continue
		}
		var found bool
		if len(contained) > dom3IndexFrom {
			if local == nil {
				local = c.localIndex()
			}
			found = local[""] || local[id]
		} else {
			found = c.referenced(id)
		}
		if !found {
			c.issue(SeverityError, IssueInvariant, "contained resource "+strconv.Quote(id)+" is not referenced from the resource (dom-3)")
		}
		c.pop(n)
	}
}

// referenced reports whether a noted reference or narrative link refers
// to the contained resource id, or a reference "#" to the container.
func (c *checker) referenced(id string) bool {
	for _, ref := range c.refs {
		if ref == "#" || ref[1:] == id {
			return true
		}
	}
	found := false
	for _, div := range c.divs {
		narrativeLocalRefs(div, func(ref string) bool {
			found = ref == id
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// localIndex gives the set of ids the noted references and narrative
// links refer to, with "" when a reference "#" refers to the container
// (and so counts for every contained resource), as referenced decides.
func (c *checker) localIndex() map[string]bool {
	set := map[string]bool{}
	for _, ref := range c.refs {
		set[ref[1:]] = true
	}
	for _, div := range c.divs {
		narrativeLocalRefs(div, func(ref string) bool {
			if ref != "" {
				set[ref] = true
			}
			return true
		})
	}
	return set
}

// localRef notes a canonical, uri or url value that refers to a
// contained resource ("#id", or "#" for the container), which dom-3 counts
// as a reference as it does Reference.reference.
func (c *checker) localRef(s string) {
	if s != "" && s[0] == '#' {
		c.refs = append(c.refs, s)
	}
}

// narrativeRefs notes a narrative div that may link to a contained
// resource (narrativeLocalRefs), which dom-3 counts as the HL7 validator
// does.
func (c *checker) narrativeRefs(div string) {
	if mayLinkLocally(div) {
		c.divs = append(c.divs, div)
	}
}

func (c *checker) checkReference(v *Reference) {
	ref := v.Reference.Value
	if ref == "" {
		return
	}
	n := c.push("reference")
	defer c.pop(n)
	switch {
	case ref[0] == '#':
		c.refs = append(c.refs, ref)
	case strings.HasPrefix(ref, "urn:uuid:"), strings.HasPrefix(ref, "urn:oid:"):
		if ref != strings.TrimSpace(ref) {
			c.issue(SeverityError, IssueValue, "a reference has surrounding whitespace")
		}
	case strings.Contains(ref, "://"):
		if strings.ContainsAny(ref, " \t\r\n") {
			c.issue(SeverityError, IssueValue, "an absolute reference contains whitespace")
		}
	default:
		// Relative: Type/id, optionally /_history/vid.
		parts := strings.Split(ref, "/")
		ok := (len(parts) == 2 || len(parts) == 4 && parts[2] == "_history") && isResourceName(parts[0]) && validID(parts[1])
		if ok && len(parts) == 4 {
			ok = validID(parts[3])
		}
		switch {
		case ok:
		case len(parts) == 1 && validID(ref):
			// a bare id: the HL7 validator warns, the target type being unknown
			c.issue(SeverityWarning, IssueValue, "the reference is a bare id, not of the form Type/id: its target type cannot be told")
		default:
			c.issue(SeverityError, IssueValue, "the reference is not of the form Type/id, an absolute URL, urn:uuid, urn:oid or #id")
		}
	}
}

func isResourceName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func (c *checker) checkQuantity(v *Quantity) {
	if v.Code.hasValue() && !v.System.hasValue() && !c.invariantsLater {
		c.issue(SeverityError, IssueInvariant, "a quantity with a code needs a system (qty-3)")
	}
}

func (c *checker) checkIdentifier(v *Identifier) {
	value := v.Value.Value
	switch v.System.Value {
	case NHSNumberSystem:
		if value == "" {
			return
		}
		n := c.push("value")
		if !NHSNumber(value).Valid() {
			c.issue(SeverityError, IssueValue, "the NHS number "+NHSNumber(value).Masked()+" fails the modulus 11 check")
		}
		c.pop(n)
	case ODSOrganizationCodeSystem, ODSSiteCodeSystem:
		if value == "" {
			return
		}
		n := c.push("value")
		if !ODSCode(value).Valid() {
			c.issue(SeverityError, IssueValue, "the ODS code is not 1 to 9 upper-case letters and digits")
		}
		c.pop(n)
	}
}

func (c *checker) checkExtension(v *Extension) {
	if !c.invariantsLater {
		if v.Value != nil && len(v.Extension) > 0 {
			c.issue(SeverityError, IssueInvariant, "an extension has both a value and nested extensions (ext-1)")
		}
		if v.Value == nil && len(v.Extension) == 0 {
			c.issue(SeverityError, IssueInvariant, "an extension has neither a value nor nested extensions (ext-1)")
		}
	}
	url := v.URL.Value
	if url == "" {
		return
	}
	def, known := lookupExtension(url)
	if !known {
		if isUKCoreExtensionURL(url) {
			n := c.push("url")
			c.issue(SeverityError, IssueStructure, "unknown UK Core extension "+strconv.Quote(url))
			c.pop(n)
		}
		return
	}
	if def.complex {
		if v.Value != nil {
			c.issue(SeverityError, IssueStructure, "extension "+def.name+" is complex: it takes nested extensions, not a value")
		}
		return
	}
	if v.Value != nil && !containsString(def.types, v.Value.TypeName()) {
		c.issue(SeverityError, IssueStructure, "extension "+def.name+" takes "+strings.Join(def.types, " or ")+", not "+v.Value.TypeName())
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Primitive formats (https://hl7.org/fhir/R4/datatypes.html#primitive).

func checkString(p *String) string     { return checkText(p.Value) }
func checkMarkdown(p *Markdown) string { return checkText(p.Value) }

func checkText(s string) string {
	if len(s) > 1<<20 {
		return "a string is longer than 1 MB"
	}
	if !hasByteBelow(s, ' ') {
		// no control character, tab, CR or LF: the only whitespace is ' ',
		// so a string that does not start with one has content
		if len(s) > 0 && s[0] != ' ' || strings.TrimLeft(s, " ") != "" {
			return ""
		}
		return "a string has no non-whitespace content"
	}
	content := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' {
			content = true
			continue
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return "a string contains a control character"
		}
	}
	if !content {
		return "a string has no non-whitespace content"
	}
	return ""
}

func checkCode(p *Code) string {
	s := p.Value
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return "a code has leading, trailing or repeated whitespace"
			}
		case '\t', '\r', '\n':
			return "a code has leading, trailing or repeated whitespace"
		}
	}
	return ""
}

func checkID(p *ID) string {
	if !validID(p.Value) {
		return "an id is not 1 to 64 letters, digits, '-' and '.'"
	}
	return ""
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// hasLowByte reports whether s has a byte at or below ' ' (space, tab, CR,
// LF or another control character).
func hasLowByte(s string) bool { return hasByteBelow(s, ' '+1) }

// hasByteBelow reports whether s has a byte below n (n <= 0x80), sixteen
// bytes at a time: a byte b < n borrows in b-n, which sets its high bit
// where b's own is clear (x-n·ones &^ x & highs), and no byte at or above
// n makes that word non-zero. A tail of eight bytes or more is read as two
// words that may overlap, which asks about no byte outside s.
func hasByteBelow(s string, n byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := ones * uint64(n)
	for ; len(s) >= 16; s = s[16:] {
		x, y := le64(s), le64(s[8:])
		if ((x-below)&^x|(y-below)&^y)&highs != 0 {
			return true
		}
	}
	if len(s) >= 8 {
		x, y := le64(s), le64(s[len(s)-8:])
		return ((x-below)&^x|(y-below)&^y)&highs != 0
	}
	for i := 0; i < len(s); i++ {
		if s[i] < n {
			return true
		}
	}
	return false
}

// le64 is the first eight bytes of s (len(s) >= 8) as one little-endian
// word: one load, one bounds check.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func checkURIText(s, what string) string {
	if !hasLowByte(s) {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			return "a " + what + " contains whitespace"
		}
	}
	return ""
}

func checkURI(p *URI) string             { return checkURIText(p.Value, "uri") }
func checkURL(p *URL) string             { return checkURIText(p.Value, "url") }
func checkCanonical(p *Canonical) string { return checkURIText(p.Value, "canonical") }

func checkOID(p *OID) string {
	s, ok := strings.CutPrefix(p.Value, "urn:oid:")
	if !ok || s == "" || s[0] < '0' || s[0] > '2' {
		return "an oid is not urn:oid: followed by a dotted OID"
	}
	for _, arc := range strings.Split(s, ".") {
		if arc == "" || len(arc) > 1 && arc[0] == '0' || strings.Trim(arc, "0123456789") != "" {
			return "an oid is not urn:oid: followed by a dotted OID"
		}
	}
	return ""
}

func checkUUID(p *UUID) string {
	s, ok := strings.CutPrefix(p.Value, "urn:uuid:")
	if !ok || len(s) != 36 {
		return "a uuid is not urn:uuid: followed by a lower-case UUID"
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "a uuid is not urn:uuid: followed by a lower-case UUID"
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "a uuid is not urn:uuid: followed by a lower-case UUID"
		}
	}
	return ""
}

func checkBase64Binary(p *Base64Binary) string {
	n := 0
	s := p.Value
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			n++
		case c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			return "base64Binary contains a character outside the base64 alphabet"
		}
	}
	if n%4 != 0 {
		return "base64Binary length is not a multiple of 4"
	}
	return ""
}

func checkXHTML(p *XHTML) string {
	if err := checkNarrativeXHTML(p.Value); err != nil {
		return err.Error()
	}
	return ""
}

func checkBoolean(*Boolean) string { return "" }

func checkInteger(p *Integer) string {
	if p.Value < -2147483648 || p.Value > 2147483647 {
		return "an integer is outside the 32-bit range"
	}
	return ""
}

func checkPositiveInt(p *PositiveInt) string {
	if p.Value < 1 || p.Value > 2147483647 {
		return "a positiveInt is not between 1 and 2147483647"
	}
	return ""
}

func checkUnsignedInt(p *UnsignedInt) string {
	if p.Value < 0 || p.Value > 2147483647 {
		return "an unsignedInt is not between 0 and 2147483647"
	}
	return ""
}

func checkDecimal(p *Decimal) string {
	if !utf8.ValidString(p.Raw) || !isJSONNumber(p.Raw) {
		return "a decimal is not a number"
	}
	return ""
}

func isJSONNumber(s string) bool {
	d := newDecoder([]byte(s))
	n, err := d.Number()
	return err == nil && n == s
}

func checkDate(p *Date) string {
	if _, ok := scanPartial(p.Value, precDay); !ok {
		return "a date is not YYYY, YYYY-MM or YYYY-MM-DD"
	}
	return ""
}

func checkDateTime(p *DateTime) string {
	if _, ok := scanPartial(p.Value, precFull); !ok {
		return "a dateTime is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone"
	}
	return ""
}

func checkInstant(p *Instant) string {
	if t, ok := scanPartial(p.Value, precFull); !ok || t.prec < PrecisionSecond {
		return "an instant is not YYYY-MM-DDThh:mm:ss(.sss) with a time zone"
	}
	return ""
}

func checkTime(p *Time) string {
	if !validTime(p.Value) {
		return "a time is not hh:mm:ss"
	}
	return ""
}

// validate reports a resource kept raw: nhskit does not model its type.
func (r *RawResource) validate(c *checker) {
	c.issue(SeverityError, IssueNotSupported, "resource type "+strconv.Quote(r.Type)+" is not one nhskit models; it was kept unchanged")
}
