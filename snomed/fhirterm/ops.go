package fhirterm

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
)

// Ids the operations name.
const (
	fsnType          snomed.ID = 900000000000003001
	synonymType      snomed.ID = 900000000000013009
	definitionType   snomed.ID = 900000000000550004
	fullyDefined     snomed.ID = 900000000000073002
	roleGroup        snomed.ID = 609096000
	primitiveDefined snomed.ID = 900000000000074008
)

// Lookup properties (R4 "Using SNOMED CT with FHIR", Properties).
var standardProperties = []string{"inactive", "sufficientlyDefined", "moduleId", "effectiveTime", "parent", "child", "normalForm", "normalFormTerse"}

// defaultProperties are returned when $lookup names none.
var defaultProperties = []string{"inactive", "sufficientlyDefined", "moduleId", "effectiveTime", "parent", "child"}

func str(s string) *fhir.String    { return &fhir.String{Value: s} }
func code(s string) *fhir.Code     { return &fhir.Code{Value: s} }
func boolean(b bool) *fhir.Boolean { return &fhir.Boolean{Value: b, Set: true} }
func uri(s string) *fhir.URI       { return &fhir.URI{Value: s} }
func idText(id snomed.ID) string   { return strconv.FormatUint(uint64(id), 10) }
func part(name string, v fhir.Value) fhir.ParametersParameter {
	return fhir.ParametersParameter{Name: fhir.String{Value: name}, Value: v}
}

// parseID reads a concept id; ok is false for anything that is not a
// number (expressions, description ids are still numbers and fail later).
func parseID(s string) (snomed.ID, bool) {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return snomed.ID(v), err == nil
}

// coded is a code read from code+system, or a coding.
type coded struct {
	code    string
	system  string
	version string
	display string
	param   string // where it came from
}

// codeParam reads code and system (and version) or a coding named
// codingName; required says whether one must be given.
func codeParam(ps params, codeName, codingName, systemName string, required bool) (coded, bool, error) {
	if p, ok := ps.get(codingName); ok && p.coding != nil {
		return coded{code: p.coding.Code.Value, system: p.coding.System.Value, version: p.coding.Version.Value, display: p.coding.Display.Value, param: codingName}, true, nil
	}
	c, ok := ps.get(codeName)
	if !ok {
		if required {
			return coded{}, false, errf(http.StatusBadRequest, "required", codeName, "give %s and %s, or %s", codeName, systemName, codingName)
		}
		return coded{}, false, nil
	}
	return coded{code: c.text, system: ps.str(systemName), version: ps.str("version"), display: ps.str("display"), param: codeName}, true, nil
}

// snomedCode checks a code's system and version and finds its concept.
// known is false for a code that is not a concept of the store.
func (h *Handler) snomedCode(c coded, needSystem bool) (snomed.Concept, bool, error) {
	switch {
	case c.system == "" && needSystem:
		return snomed.Concept{}, false, errf(http.StatusBadRequest, "required", "system", "a code needs its system (%s)", System)
	case c.system != "" && c.system != System:
		return snomed.Concept{}, false, errf(http.StatusNotFound, "not-found", "system", "code system %s is not known here (only %s)", quote(c.system), System)
	}
	if err := h.checkVersion(c.version); err != nil {
		return snomed.Concept{}, false, err
	}
	id, ok := parseID(c.code)
	if !ok {
		return snomed.Concept{}, false, nil
	}
	con, ok := h.store.Concept(id)
	return con, ok, nil
}

// locale picks the first language of displayLanguage (a BCP-47 tag or an
// Accept-Language list) that the store knows; en-GB otherwise.
func locale(ps params) string {
	for _, l := range strings.Split(ps.str("displayLanguage"), ",") {
		l, _, _ = strings.Cut(strings.TrimSpace(l), ";")
		if l != "" && snomed.KnownLocale(l) {
			return l
		}
	}
	return "en-GB"
}

// display is a concept's preferred term in locale, falling back to en-GB
// and then to the fully specified name.
func (h *Handler) display(id snomed.ID, loc string) string {
	if t, ok := h.store.PreferredTerm(id, loc); ok {
		return t
	}
	if t, ok := h.store.PreferredTerm(id, "en-GB"); ok {
		return t
	}
	t, _ := h.store.FullySpecifiedName(id)
	return t
}

func (h *Handler) lookup(ps params) (fhir.Resource, error) {
	c, _, err := codeParam(ps, "code", "coding", "system", true)
	if err != nil {
		return nil, err
	}
	con, known, err := h.snomedCode(c, true)
	if err != nil {
		return nil, err
	}
	if !known {
		return nil, errf(http.StatusNotFound, "not-found", c.param, "code %s is not a concept in %s", quote(c.code), h.VersionURI())
	}
	loc := locale(ps)
	out := &fhir.Parameters{Parameter: []fhir.ParametersParameter{
		part("name", str("SNOMED CT")),
		part("version", str(h.VersionURI())),
		part("display", str(h.display(con.ID, loc))),
	}}
	for _, d := range h.store.Descriptions(con.ID) {
		if !d.Active {
			continue
		}
		out.Parameter = append(out.Parameter, fhir.ParametersParameter{Name: fhir.String{Value: "designation"}, Part: []fhir.ParametersParameter{
			part("language", code(d.LanguageCode)),
			part("use", h.useCoding(d.Type)),
			part("value", str(d.Term)),
		}})
	}
	want := map[string]bool{}
	for _, p := range ps.all("property") {
		for _, w := range strings.Split(p.text, ",") {
			want[strings.TrimSpace(w)] = true
		}
	}
	all := len(want) == 0 || want["*"]
	prop := func(name string, v fhir.Value) {
		out.Parameter = append(out.Parameter, fhir.ParametersParameter{Name: fhir.String{Value: "property"}, Part: []fhir.ParametersParameter{part("code", code(name)), part("value", v)}})
	}
	for _, name := range standardProperties {
		if !(want[name] || all && slices.Contains(defaultProperties, name) || want["*"]) {
			continue
		}
		switch name {
		case "inactive":
			prop(name, boolean(!con.Active))
		case "sufficientlyDefined":
			prop(name, boolean(con.DefinitionStatus == fullyDefined))
		case "moduleId":
			prop(name, code(idText(con.Module)))
		case "effectiveTime":
			prop(name, str(strconv.Itoa(con.EffectiveTime)))
		case "parent":
			for _, p := range h.store.Parents(con.ID) {
				prop(name, code(idText(p)))
			}
		case "child":
			for _, p := range h.store.Children(con.ID) {
				prop(name, code(idText(p)))
			}
		case "normalForm":
			prop(name, str(h.normalForm(con, true)))
		case "normalFormTerse":
			prop(name, str(h.normalForm(con, false)))
		}
	}
	// Attribute relationships: ungrouped ones as properties named by
	// their type, each role group as a 609096000 property with the
	// group's attributes as subproperties.
	groups := map[int][]fhir.ParametersParameter{}
	var order []int
	attr := func(group int, typ snomed.ID, v fhir.Value) {
		if !all && !want[idText(typ)] && !(group > 0 && want[idText(roleGroup)]) {
			return
		}
		if group == 0 {
			prop(idText(typ), v)
			return
		}
		if _, ok := groups[group]; !ok {
			order = append(order, group)
		}
		groups[group] = append(groups[group], fhir.ParametersParameter{Name: fhir.String{Value: "subproperty"}, Part: []fhir.ParametersParameter{part("code", code(idText(typ))), part("value", v)}})
	}
	for _, r := range h.store.Relationships(con.ID) {
		attr(r.Group, r.Type, code(idText(r.Destination)))
	}
	for _, v := range h.store.ConcreteValues(con.ID) {
		attr(v.Group, v.Type, concreteValue(v.Value))
	}
	slices.Sort(order)
	for _, g := range order {
		p := fhir.ParametersParameter{Name: fhir.String{Value: "property"}, Part: []fhir.ParametersParameter{part("code", code(idText(roleGroup)))}}
		p.Part = append(p.Part, groups[g]...)
		out.Parameter = append(out.Parameter, p)
	}
	return out, nil
}

func (h *Handler) useCoding(typ snomed.ID) *fhir.Coding {
	c := &fhir.Coding{System: fhir.URI{Value: System}, Code: fhir.Code{Value: idText(typ)}}
	switch typ {
	case fsnType:
		c.Display.Value = "Fully specified name"
	case synonymType:
		c.Display.Value = "Synonym"
	case definitionType:
		c.Display.Value = "Definition"
	}
	return c
}

// concreteValue turns RF2's #number or "string" into a FHIR value.
func concreteValue(v string) fhir.Value {
	if n, ok := strings.CutPrefix(v, "#"); ok {
		if !strings.ContainsAny(n, ".eE") {
			if i, err := strconv.ParseInt(n, 10, 32); err == nil {
				return &fhir.Integer{Value: i, Set: true}
			}
		}
		if _, err := strconv.ParseFloat(n, 64); err == nil {
			return &fhir.Decimal{Raw: n}
		}
	}
	if s, err := strconv.Unquote(v); err == nil {
		return str(s)
	}
	return str(strings.Trim(v, `"`))
}

// normalForm writes a concept's necessary normal form in compositional
// grammar: the definition status (=== fully defined, <<< primitive), the
// proximal primitive supertypes (the concept itself when primitive), and
// its inferred attributes, ungrouped then in groups. With terms, each id
// is followed by |preferred term|.
func (h *Handler) normalForm(c snomed.Concept, terms bool) string {
	var b strings.Builder
	ref := func(id snomed.ID) {
		b.WriteString(idText(id))
		if terms {
			b.WriteString(" |")
			b.WriteString(h.display(id, "en-GB"))
			b.WriteString("|")
		}
	}
	focus := []snomed.ID{c.ID}
	if c.DefinitionStatus == fullyDefined {
		b.WriteString("=== ")
		focus = h.store.ProximalPrimitives(c.ID)
	} else {
		b.WriteString("<<< ")
	}
	for i, f := range focus {
		if i > 0 {
			b.WriteString(" + ")
		}
		ref(f)
	}
	type av struct {
		typ snomed.ID
		val string
		id  snomed.ID
	}
	groups := map[int][]av{}
	for _, r := range h.store.Relationships(c.ID) {
		groups[r.Group] = append(groups[r.Group], av{typ: r.Type, id: r.Destination})
	}
	for _, v := range h.store.ConcreteValues(c.ID) {
		groups[v.Group] = append(groups[v.Group], av{typ: v.Type, val: v.Value})
	}
	if len(groups) == 0 {
		return b.String()
	}
	b.WriteString(" : ")
	keys := make([]int, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	slices.Sort(keys)
	first := true
	for _, g := range keys {
		if !first {
			b.WriteString(", ")
		}
		first = false
		if g > 0 {
			b.WriteString("{ ")
		}
		for i, a := range groups[g] {
			if i > 0 {
				b.WriteString(", ")
			}
			ref(a.typ)
			b.WriteString(" = ")
			if a.val != "" {
				b.WriteString(a.val)
			} else {
				ref(a.id)
			}
		}
		if g > 0 {
			b.WriteString(" }")
		}
	}
	return b.String()
}

func (h *Handler) subsumes(ps params) (fhir.Resource, error) {
	a, _, err := codeParam(ps, "codeA", "codingA", "system", true)
	if err != nil {
		return nil, err
	}
	b, _, err := codeParam(ps, "codeB", "codingB", "system", true)
	if err != nil {
		return nil, err
	}
	var ids [2]snomed.ID
	for i, c := range []coded{a, b} {
		if c.param == "codeA" || c.param == "codeB" {
			c.version = ps.str("version")
		}
		con, known, err := h.snomedCode(c, true)
		if err != nil {
			return nil, err
		}
		if !known {
			return nil, errf(http.StatusNotFound, "not-found", c.param, "code %s is not a concept in %s", quote(c.code), h.VersionURI())
		}
		ids[i] = con.ID
	}
	outcome := "not-subsumed"
	switch {
	case ids[0] == ids[1]:
		outcome = "equivalent"
	case h.store.IsA(ids[1], ids[0]):
		outcome = "subsumes"
	case h.store.IsA(ids[0], ids[1]):
		outcome = "subsumed-by"
	}
	return &fhir.Parameters{Parameter: []fhir.ParametersParameter{part("outcome", code(outcome))}}, nil
}

// validateCodeSystem is CodeSystem/$validate-code: is the code a concept
// of the store, and is the display one of its active terms?
func (h *Handler) validateCodeSystem(ps params) (fhir.Resource, error) {
	c, err := validateInput(ps, "url")
	if err != nil {
		return nil, err
	}
	if c.system == "" {
		return nil, errf(http.StatusBadRequest, "required", "url", "give the code system's url (%s)", System)
	}
	con, known, err := h.snomedCode(c, true)
	if err != nil {
		return nil, err
	}
	return h.validated(c, con, known, true, "", locale(ps)), nil
}

// validateInput reads the coded value of $validate-code: code with the
// system in systemParam, a coding, or a codeableConcept (its first SNOMED
// CT coding, else its first).
func validateInput(ps params, systemParam string) (coded, error) {
	if p, ok := ps.get("codeableConcept"); ok && p.cc != nil {
		if len(p.cc.Coding) == 0 {
			return coded{}, errf(http.StatusBadRequest, "invalid", "codeableConcept", "the codeableConcept has no coding")
		}
		k := 0
		for i, cd := range p.cc.Coding {
			if cd.System.Value == System {
				k = i
				break
			}
		}
		cd := p.cc.Coding[k]
		return coded{code: cd.Code.Value, system: cd.System.Value, version: cd.Version.Value, display: cd.Display.Value, param: "codeableConcept"}, nil
	}
	c, _, err := codeParam(ps, "code", "coding", systemParam, true)
	if err != nil {
		return coded{}, errf(http.StatusBadRequest, "required", "code", "give code (with %s), coding or codeableConcept", systemParam)
	}
	if c.param == "code" {
		c.version = ps.str(map[string]string{"url": "version", "system": "systemVersion"}[systemParam])
	}
	return c, nil
}

// validated answers $validate-code for a concept that is (or is not) in
// the set.
func (h *Handler) validated(c coded, con snomed.Concept, known, inSet bool, setName, loc string) *fhir.Parameters {
	out := &fhir.Parameters{}
	fail := func(msg string) *fhir.Parameters {
		out.Parameter = append([]fhir.ParametersParameter{part("result", boolean(false)), part("message", str(msg))}, out.Parameter...)
		return out
	}
	if !known {
		return fail("code " + quote(c.code) + " is not a concept in " + h.VersionURI())
	}
	disp := h.display(con.ID, loc)
	out.Parameter = append(out.Parameter, part("display", str(disp)))
	if !inSet {
		return fail("code " + c.code + " is not in the value set " + setName)
	}
	if c.display != "" && !h.validDisplay(con.ID, c.display) {
		return fail("display " + quote(c.display) + " is not a term of concept " + c.code + " (its preferred term is " + strconv.Quote(disp) + ")")
	}
	out.Parameter = append([]fhir.ParametersParameter{part("result", boolean(true))}, out.Parameter...)
	if !con.Active {
		out.Parameter = append(out.Parameter, part("message", str("concept "+c.code+" is inactive")))
	}
	return out
}

// validDisplay reports whether display is an active term of the concept,
// compared without case.
func (h *Handler) validDisplay(id snomed.ID, display string) bool {
	for _, d := range h.store.Descriptions(id) {
		if d.Active && strings.EqualFold(d.Term, display) {
			return true
		}
	}
	return false
}
