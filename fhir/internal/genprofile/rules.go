package main

// rules.go writes fhir/zz_rules.go: what the UK Core StructureDefinitions
// say beyond invariants and cardinalities — required bindings (with their
// value sets expanded here, at generation time), fixed and pattern
// values (primitive or complex), reference target types, slicings, and for
// each extension its contexts and its sub-extensions. A profile on another
// UK Core profile is read with its parent's rules (chain.go).

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nhskit/nhskit/fhir/internal/deftgz"
)

type rElement struct {
	ID        string     `xml:"id,attr"`
	Path      valueAttr  `xml:"path"`
	SliceName valueAttr  `xml:"sliceName"`
	Min       *valueAttr `xml:"min"`
	Max       *valueAttr `xml:"max"`
	Type      []struct {
		Code          valueAttr   `xml:"code"`
		Profile       []valueAttr `xml:"profile"`
		TargetProfile []valueAttr `xml:"targetProfile"`
	} `xml:"type"`
	Slicing *struct {
		Discriminator []struct {
			Type valueAttr `xml:"type"`
			Path valueAttr `xml:"path"`
		} `xml:"discriminator"`
		Rules valueAttr `xml:"rules"`
	} `xml:"slicing"`
	Binding *struct {
		Strength valueAttr `xml:"strength"`
		ValueSet valueAttr `xml:"valueSet"`
	} `xml:"binding"`
	Any []xNode `xml:",any"`
}

// xNode is an element of a StructureDefinition's XML that the rules do not
// name: a primitive (value attribute) or a complex value's elements (a
// patternCodeableConcept's coding, system, code).
type xNode struct {
	XMLName xml.Name
	Value   string  `xml:"value,attr"`
	Kids    []xNode `xml:",any"`
}

type rSD struct {
	URL     valueAttr `xml:"url"`
	Base    valueAttr `xml:"baseDefinition"`
	Type    valueAttr `xml:"type"`
	Kind    valueAttr `xml:"kind"`
	Context []struct {
		Type       valueAttr `xml:"type"`
		Expression valueAttr `xml:"expression"`
	} `xml:"context"`
	Differential []rElement `xml:"differential>element"`
}

// codeSet is an expanded value set: codes by system, and the systems it
// takes whole or by filter that could not be enumerated here.
type codeSet struct {
	codes map[string]map[string]bool
	open  map[string]bool
	// parts are the includes and excludes on the open systems, nested
	// value sets taken in: what a terminology is given to answer from
	parts []composePart
}

// composePart is one include or exclude of a compose on an open system.
type composePart struct {
	exclude         bool
	system, version string
	concepts        []string
	filters         [][3]string // property, op, value
	valueSets       []string    // nested value sets, themselves in the output
}

type terminologyData struct {
	vs map[string]json.RawMessage // ValueSet resources as JSON
	cs map[string]json.RawMessage // CodeSystem resources as JSON
	// nested are the value sets other value sets include that have open
	// parts: their composes name them
	nested map[string]*codeSet
	// ukcore are the URLs of the value sets in ../shared/ukcore/valuesets
	ukcore []string
}

type coding struct {
	Code    string   `json:"code"`
	Concept []coding `json:"concept"`
}

func loadTerminology(ukcore, r4 string) (*terminologyData, error) {
	t := &terminologyData{vs: map[string]json.RawMessage{}, cs: map[string]json.RawMessage{}, nested: map[string]*codeSet{}}
	// R4 first, then UK Core (UK Core wins on a clash)
	err := deftgz.Each(r4, []string{"ValueSet-", "CodeSystem-"}, func(_ string, data []byte) error {
		t.add(data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, dir := range []string{"valuesets", "codesystems"} {
		files, err := filepath.Glob(filepath.Join(ukcore, dir, "*.xml"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no files in %s", filepath.Join(ukcore, dir))
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			js, err := xmlToJSON(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", f, err)
			}
			if u := t.add(js); u != "" && dir == "valuesets" {
				t.ukcore = append(t.ukcore, u)
			}
		}
	}
	return t, nil
}

// add files a ValueSet or CodeSystem and gives a value set's URL.
func (t *terminologyData) add(data []byte) (valueSet string) {
	var head struct {
		ResourceType string `json:"resourceType"`
		URL          string `json:"url"`
	}
	if json.Unmarshal(data, &head) != nil || head.URL == "" {
		return ""
	}
	if head.ResourceType == "ValueSet" {
		t.vs[head.URL] = data
		return head.URL
	} else if head.ResourceType == "CodeSystem" {
		t.cs[head.URL] = data
	}
	return ""
}

// xmlToJSON turns the few parts of a ValueSet or CodeSystem in FHIR XML
// that expansion needs into the JSON shape: url, compose, concept.
func xmlToJSON(data []byte) ([]byte, error) {
	type concept struct {
		Code    valueAttr `xml:"code"`
		Concept []concept `xml:"concept"`
	}
	type include struct {
		System   valueAttr   `xml:"system"`
		Version  valueAttr   `xml:"version"`
		ValueSet []valueAttr `xml:"valueSet"`
		Concept  []concept   `xml:"concept"`
		Filter   []struct {
			Property valueAttr `xml:"property"`
			Op       valueAttr `xml:"op"`
			Value    valueAttr `xml:"value"`
		} `xml:"filter"`
	}
	var x struct {
		XMLName xml.Name
		URL     valueAttr `xml:"url"`
		Content valueAttr `xml:"content"`
		Concept []concept `xml:"concept"`
		Include []include `xml:"compose>include"`
		Exclude []include `xml:"compose>exclude"`
	}
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, err
	}
	var conv func([]concept) []map[string]any
	conv = func(cs []concept) []map[string]any {
		var out []map[string]any
		for _, c := range cs {
			m := map[string]any{"code": c.Code.V}
			if len(c.Concept) > 0 {
				m["concept"] = conv(c.Concept)
			}
			out = append(out, m)
		}
		return out
	}
	inc := func(is []include) []map[string]any {
		var out []map[string]any
		for _, i := range is {
			m := map[string]any{}
			if i.System.V != "" {
				m["system"] = i.System.V
			}
			var vss []string
			for _, v := range i.ValueSet {
				vss = append(vss, v.V)
			}
			if vss != nil {
				m["valueSet"] = vss
			}
			if len(i.Concept) > 0 {
				m["concept"] = conv(i.Concept)
			}
			if i.Version.V != "" {
				m["version"] = i.Version.V
			}
			var fs []map[string]any
			for _, f := range i.Filter {
				fs = append(fs, map[string]any{"property": f.Property.V, "op": f.Op.V, "value": f.Value.V})
			}
			if fs != nil {
				m["filter"] = fs
			}
			out = append(out, m)
		}
		return out
	}
	doc := map[string]any{"resourceType": x.XMLName.Local, "url": x.URL.V}
	if x.XMLName.Local == "CodeSystem" {
		doc["content"] = x.Content.V
		doc["concept"] = conv(x.Concept)
	} else {
		doc["compose"] = map[string]any{"include": inc(x.Include), "exclude": inc(x.Exclude)}
	}
	return json.Marshal(doc)
}

type composeJSON struct {
	Compose struct {
		Include []includeJSON `json:"include"`
		Exclude []includeJSON `json:"exclude"`
	} `json:"compose"`
}

type includeJSON struct {
	System   string   `json:"system"`
	Version  string   `json:"version"`
	ValueSet []string `json:"valueSet"`
	Concept  []coding `json:"concept"`
	Filter   []struct {
		Property string `json:"property"`
		Op       string `json:"op"`
		Value    string `json:"value"`
	} `json:"filter"`
}

// part is inc as a composePart.
func (inc includeJSON) part(exclude bool) composePart {
	p := composePart{exclude: exclude, system: inc.System, version: inc.Version}
	for _, c := range inc.Concept {
		p.concepts = append(p.concepts, c.Code)
	}
	for _, f := range inc.Filter {
		p.filters = append(p.filters, [3]string{f.Property, f.Op, f.Value})
	}
	return p
}

// expand expands a value set; ok=false when it is not known at all.
func (t *terminologyData) expand(url string, depth int) (*codeSet, bool) {
	url, _, _ = strings.Cut(url, "|")
	data, ok := t.vs[url]
	if !ok || depth > 8 {
		return nil, false
	}
	var vs composeJSON
	if json.Unmarshal(data, &vs) != nil {
		return nil, false
	}
	out := &codeSet{codes: map[string]map[string]bool{}, open: map[string]bool{}}
	for _, inc := range vs.Compose.Include {
		t.include(out, inc, depth, true)
	}
	for _, ex := range vs.Compose.Exclude {
		t.include(out, ex, depth, false)
		if ex.System != "" && out.open[ex.System] {
			// the terminology answers for the system, so it applies
			// the exclusion too
			out.parts = append(out.parts, ex.part(true))
		}
	}
	return out, true
}

func (t *terminologyData) include(out *codeSet, inc includeJSON, depth int, add bool) {
	set := func(sys, code string) {
		if out.codes[sys] == nil {
			out.codes[sys] = map[string]bool{}
		}
		if add {
			out.codes[sys][code] = true
		} else {
			delete(out.codes[sys], code)
		}
	}
	for _, v := range inc.ValueSet {
		if sub, ok := t.expand(v, depth+1); ok && add {
			for sys, codes := range sub.codes {
				for c := range codes {
					set(sys, c)
				}
			}
			for sys := range sub.open {
				out.open[sys] = true
			}
			if len(sub.parts) > 0 {
				// named, not copied in: an exclusion inside it holds
				// only there
				u, _, _ := strings.Cut(v, "|")
				out.parts = append(out.parts, composePart{valueSets: []string{u}})
				t.nested[u] = sub
			}
		}
	}
	if inc.System == "" {
		return
	}
	if len(inc.Concept) > 0 && len(inc.Filter) == 0 {
		for _, c := range inc.Concept {
			set(inc.System, c.Code)
		}
		return
	}
	if !add {
		// an exclusion by filter cannot be applied here
		return
	}
	if len(inc.Filter) == 0 {
		if cs, ok := t.cs[inc.System]; ok {
			var doc struct {
				Content string   `json:"content"`
				Concept []coding `json:"concept"`
			}
			if json.Unmarshal(cs, &doc) == nil && (doc.Content == "complete" || doc.Content == "") && len(doc.Concept) > 0 {
				var walk func([]coding)
				walk = func(cs []coding) {
					for _, c := range cs {
						set(inc.System, c.Code)
						walk(c.Concept)
					}
				}
				walk(doc.Concept)
				return
			}
		}
	}
	// SNOMED CT, a filter, or a code system not held here: the
	// terminology hook decides
	out.open[inc.System] = true
	out.parts = append(out.parts, inc.part(false))
}

type bindingRule struct{ Path, ValueSet, Strength string }
type fixedRule struct {
	Path, Value, Kind string
	Tree              []xNode // a complex value's elements; Value is then its JSON
}
type refRule struct {
	Path  string
	Types []string
}

// sliceRule is a slicing a profile sets on an element (outside other
// slices), with the slices it can tell apart.
type sliceRule struct {
	Path   string
	Closed bool
	Slices []sliceDef
}

type sliceDef struct {
	Name     string
	Min      int
	Max      string
	Match    []fixedRule // discriminator path = value
	Exists   []existsRule
	Claims   []claimRule
	Types    []string    // a type discriminator
	Fixed    []fixedRule // fixed values inside the slice
	Cards    []sliceCard // cardinalities inside the slice
	Bindings []bindingRule
	Refs     []refRule
	Slices   []sliceRule // slicings inside the slice
	Types2   []typeRule  // choice type restrictions inside the slice
}

// existsRule is an exists discriminator: the slice's elements have (or
// have not) an element at Path.
type existsRule struct {
	Path    string
	Present bool
}

// claimRule is a profile discriminator: the element at Path ("" for the
// sliced element itself) conforms to one of Profiles.
type claimRule struct {
	Path     string
	Profiles []string
}

// typeRule restricts a choice element (value[x]) to some of its types.
type typeRule struct {
	Path  string
	Types []string
}

// choiceTypes gives the types a profile allows on a choice element
// (value[x]) when it names them without profiles; nil otherwise.
func choiceTypes(el rElement) []string {
	if !strings.HasSuffix(el.Path.V, "[x]") || len(el.Type) == 0 {
		return nil
	}
	var out []string
	for _, t := range el.Type {
		if len(t.Profile) > 0 || len(t.TargetProfile) > 0 && t.Code.V != "Reference" {
			return nil
		}
		out = append(out, t.Code.V)
	}
	return out
}

// sliceCard is a min..max the profile sets on an element inside a slice.
type sliceCard struct {
	Path string
	Min  int
	Max  string
}

type subExt struct {
	URL      string
	Min      int
	Max      string
	Types    []string
	ValueSet string
	Strength string   // of the ValueSet binding: required, extensible
	ValueMin int      // value[x] min
	Targets  []string // value[x] reference target types
	NoExt    bool     // extension 0..0: a simple sub-extension
}
type extRule struct {
	Modifier bool // the definition's root element is a modifier (isModifier)
	Contexts []string
	Types    []string // a simple extension's value types, when its definition lists them (R4 core extensions)
	Complex  bool
	Subs     []subExt
	ValueMin int // Extension.value[x] min
	ExtMin   int // Extension.extension min (a complex extension's parts)
}

// readExtension reads an extension definition's rules from its element
// contexts and its (effective) differential: whether it is complex, the
// min of its value or of its sub-extensions, and each sub-extension's
// url, min..max, value types, binding and reference targets.
func readExtension(contexts []string, diff []rElement, needVS func(vs, strength string) bool, targetType func(string) string, cover func(id, rule string)) extRule {
	e := extRule{Contexts: contexts}
	subs := map[string]*subExt{}
	var order []string
	for _, el := range diff {
		id := el.ID
		if id == "Extension" {
			for _, a := range el.Any {
				if a.XMLName.Local == "isModifier" && a.Value == "true" {
					e.Modifier = true
					cover(id, "isModifier")
				}
			}
		}
		if id == "Extension.value[x]" && el.Max != nil && el.Max.V == "0" {
			e.Complex = true
			cover(id, "max")
		}
		if id == "Extension.value[x]" && el.Min != nil {
			fmt.Sscan(el.Min.V, &e.ValueMin)
			cover(id, "min")
		}
		if id == "Extension.extension" {
			if el.Min != nil {
				fmt.Sscan(el.Min.V, &e.ExtMin)
				cover(id, "min")
			}
			cover(id, "slicing") // sub-extensions by url: Subs
		}
		if id == "Extension.url" {
			cover(id, "fixed") // the extension's own url: how it is found
		}
		if !strings.HasPrefix(id, "Extension.extension:") {
			continue
		}
		rest := id[len("Extension.extension:"):]
		name, tail, _ := strings.Cut(rest, ".")
		if strings.Contains(name, ":") || strings.Contains(tail, ":") || strings.Contains(tail, ".") {
			continue
		}
		s := subs[name]
		if s == nil {
			s = &subExt{URL: name, Max: "*"}
			subs[name] = s
			order = append(order, name)
		}
		switch tail {
		case "":
			if el.Min != nil {
				fmt.Sscan(el.Min.V, &s.Min)
			}
			if el.Max != nil {
				s.Max = el.Max.V
			}
			cover(id, "min")
			cover(id, "max")
			if len(el.Type) > 0 {
				cover(id, "type") // Extension, as every sub-extension
			}
		case "url":
			for _, a := range el.Any {
				if a.XMLName.Local == "fixedUri" {
					s.URL = a.Value
					cover(id, "fixed")
				}
			}
		case "value[x]":
			for _, t := range el.Type {
				s.Types = append(s.Types, t.Code.V)
			}
			if len(el.Type) > 0 {
				cover(id, "type")
			}
			if el.Min != nil {
				fmt.Sscan(el.Min.V, &s.ValueMin)
				cover(id, "min")
			}
			if b := el.Binding; b != nil && (b.Strength.V == "required" || b.Strength.V == "extensible") && b.ValueSet.V != "" && needVS(b.ValueSet.V, b.Strength.V) {
				s.ValueSet, _, _ = strings.Cut(b.ValueSet.V, "|")
				s.Strength = b.Strength.V
				cover(id, "binding-"+b.Strength.V)
			}
			if ts := refTypes(el, targetType); len(ts) > 0 {
				s.Targets = ts
				cover(id, "targetProfile")
			}
		case "extension":
			if el.Max != nil && el.Max.V == "0" {
				s.NoExt = true
				cover(id, "max")
			}
		}
	}
	for _, n := range order {
		e.Subs = append(e.Subs, *subs[n])
	}
	return e
}

// coreExtSD is what readCoreExtensions reads of an R4 extension definition.
type coreExtSD struct {
	URL            string `json:"url"`
	Type           string `json:"type"`
	Derivation     string `json:"derivation"`
	BaseDefinition string `json:"baseDefinition"`
	Context        []struct {
		Type       string `json:"type"`
		Expression string `json:"expression"`
	} `json:"context"`
	Differential struct {
		Element []struct {
			baseElement         // path, types with their target profiles, binding
			ID          string  `json:"id"`
			Min         *int    `json:"min"`
			Max         *string `json:"max"`
			FixedURI    string  `json:"fixedUri"`
			IsModifier  bool    `json:"isModifier"`
		} `json:"element"`
	} `json:"differential"`
}

// readCoreExtensions reads the R4 core extension definitions in
// definitions.tgz (every Extension constraint on the base Extension): each
// one's rules as readExtension gives them for UK Core's, plus a simple
// extension's value types, and its value's required or extensible binding
// and reference targets as a rule set on "value".
func readCoreExtensions(r4 string, needVS func(vs, strength string) bool, targetType func(string) string) (map[string]extRule, map[string]ruleSet, error) {
	const base = "http://hl7.org/fhir/StructureDefinition/Extension"
	exts := map[string]extRule{}
	rules := map[string]ruleSet{}
	err := deftgz.Each(r4, []string{"StructureDefinition-"}, func(name string, data []byte) error {
		var sd coreExtSD
		if err := json.Unmarshal(data, &sd); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if sd.Type != "Extension" || sd.Derivation != "constraint" || sd.URL == base {
			return nil
		}
		if sd.BaseDefinition != base {
			return fmt.Errorf("%s: extension on %s: its base's rules would be needed", name, sd.BaseDefinition)
		}
		var ctxs []string
		for _, c := range sd.Context {
			if c.Type != "element" {
				// a fhirpath or extension context is not judged: no
				// context is checked for this extension
				ctxs = nil
				break
			}
			ctxs = append(ctxs, c.Expression)
		}
		diff := make([]rElement, 0, len(sd.Differential.Element))
		for _, je := range sd.Differential.Element {
			el := rElement{ID: je.ID, Path: valueAttr{je.Path}}
			if je.Min != nil {
				el.Min = &valueAttr{strconv.Itoa(*je.Min)}
			}
			if je.Max != nil {
				el.Max = &valueAttr{*je.Max}
			}
			for _, t := range je.Type {
				el.Type = append(el.Type, struct {
					Code          valueAttr   `xml:"code"`
					Profile       []valueAttr `xml:"profile"`
					TargetProfile []valueAttr `xml:"targetProfile"`
				}{Code: valueAttr{t.Code}})
				for _, tp := range t.TargetProfile {
					last := &el.Type[len(el.Type)-1]
					last.TargetProfile = append(last.TargetProfile, valueAttr{tp})
				}
			}
			if b := je.Binding; b != nil {
				el.Binding = &struct {
					Strength valueAttr `xml:"strength"`
					ValueSet valueAttr `xml:"valueSet"`
				}{valueAttr{b.Strength}, valueAttr{b.ValueSet}}
			}
			if je.FixedURI != "" {
				el.Any = append(el.Any, xNode{XMLName: xml.Name{Local: "fixedUri"}, Value: je.FixedURI})
			}
			if je.IsModifier {
				el.Any = append(el.Any, xNode{XMLName: xml.Name{Local: "isModifier"}, Value: "true"})
			}
			diff = append(diff, el)
		}
		e := readExtension(ctxs, diff, needVS, targetType, func(id, rule string) {})
		for _, el := range diff {
			if el.ID != "Extension.value[x]" || e.Complex {
				continue
			}
			for _, t := range el.Type {
				e.Types = append(e.Types, t.Code.V)
			}
			var rs ruleSet
			if b := el.Binding; b != nil && (b.Strength.V == "required" || b.Strength.V == "extensible") && b.ValueSet.V != "" && needVS(b.ValueSet.V, b.Strength.V) {
				vs, _, _ := strings.Cut(b.ValueSet.V, "|")
				rs.Bindings = append(rs.Bindings, bindingRule{"value", vs, b.Strength.V})
			}
			if ts := refTypes(el, targetType); len(ts) > 0 {
				rs.Refs = append(rs.Refs, refRule{"value", ts})
			}
			if len(rs.Bindings) > 0 || len(rs.Refs) > 0 {
				rules[sd.URL] = rs
			}
		}
		exts[sd.URL] = e
		return nil
	})
	return exts, rules, err
}

// rel turns "Patient.a.value[x]" into "a.value".
func rel(path string) (string, bool) {
	_, rest, ok := strings.Cut(path, ".")
	return strings.ReplaceAll(rest, "[x]", ""), ok
}

func writeRules(ukcore, r4, out string) error {
	term, err := loadTerminology(ukcore, r4)
	if err != nil {
		return err
	}
	sds4, err := readBaseSDs(r4)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(ukcore, "structuredefinitions", "*.xml"))
	if err != nil {
		return err
	}
	var sds []rSD
	typeOf := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var sd rSD
		if err := xml.Unmarshal(data, &sd); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		sds = append(sds, sd)
		typeOf[sd.URL.V] = sd.Type.V
	}
	sort.Slice(sds, func(i, j int) bool { return sds[i].URL.V < sds[j].URL.V })
	// a profile on another UK Core profile has its parent's rules too
	bases := map[string]string{}
	diffs := map[string][]rElement{}
	for _, sd := range sds {
		bases[sd.URL.V] = sd.Base.V
		diffs[sd.URL.V] = sd.Differential
	}
	merged, err := resolveChains(bases, diffs, func(e rElement) string { return e.ID }, overlayR)
	if err != nil {
		return err
	}
	for i := range sds {
		sds[i].Differential = merged[sds[i].URL.V]
	}
	targetType := func(u string) string {
		u, _, _ = strings.Cut(u, "|")
		if t, ok := typeOf[u]; ok {
			return t
		}
		const core = "http://hl7.org/fhir/StructureDefinition/"
		if strings.HasPrefix(u, core) && !strings.Contains(u[len(core):], "-") {
			return u[len(core):]
		}
		return ""
	}
	bindings := map[string][]bindingRule{}
	fixed := map[string][]fixedRule{}
	refs := map[string][]refRule{}
	typeRules := map[string][]typeRule{}
	slices := map[string][]sliceRule{}
	exts := map[string]extRule{}
	mustSupport := map[string][]msRule{}
	valueSets := map[string]*codeSet{}
	var unknownVS []string
	var unknownOther []string
	needVSAs := func(u, strength string) bool {
		u, _, _ = strings.Cut(u, "|")
		if _, ok := valueSets[u]; ok {
			return true
		}
		cs, ok := term.expand(u, 0)
		if !ok {
			if strength == "required" {
				unknownVS = append(unknownVS, u)
			} else {
				unknownOther = append(unknownOther, u)
			}
			return false
		}
		valueSets[u] = cs
		return true
	}
	// an extension's own max (the default of a slice that uses it)
	extMax := map[string]string{}
	for _, sd := range sds {
		for _, el := range sd.Differential {
			if el.ID == "Extension" && el.Max != nil {
				extMax[sd.URL.V] = el.Max.V
				cover(sd.URL.V, el.ID, "max")
			}
		}
	}
	for _, sd := range sds {
		url := sd.URL.V
		for _, el := range sd.Differential {
			if strings.Contains(el.ID, ":") {
				continue
			}
			path, ok := rel(el.Path.V)
			if !ok {
				continue
			}
			if sd.Type.V == "Extension" && (path == "url" || strings.HasPrefix(path, "extension")) {
				continue
			}
			// preferred bindings: the HL7 validator reports them only
			// when validating against the base specification
			if b := el.Binding; b != nil && (b.Strength.V == "required" || b.Strength.V == "extensible") && b.ValueSet.V != "" && needVSAs(b.ValueSet.V, b.Strength.V) {
				vs, _, _ := strings.Cut(b.ValueSet.V, "|")
				bindings[url] = append(bindings[url], bindingRule{path, vs, b.Strength.V})
				cover(url, el.ID, "binding-"+b.Strength.V)
			}
			for _, f := range fixedValues(el) {
				f.Path = path
				fixed[url] = append(fixed[url], f)
				cover(url, el.ID, f.rule())
			}
			if ts := choiceTypes(el); len(ts) > 0 && sd.Kind.V == "resource" {
				typeRules[url] = append(typeRules[url], typeRule{path, ts})
				cover(url, el.ID, "type")
			}
			var types []string
			for _, t := range el.Type {
				if t.Code.V != "Reference" {
					continue
				}
				for _, tp := range t.TargetProfile {
					if tt := targetType(tp.V); tt != "" {
						types = append(types, tt)
					} else {
						types = nil
						break
					}
				}
			}
			if types = uniq(types); len(types) > 0 && !contains(types, "Resource") {
				refs[url] = append(refs[url], refRule{path, types})
				cover(url, el.ID, "targetProfile")
			}
		}
		if sd.Kind.V == "resource" {
			slices[url] = readSlices(sd.Differential, &sliceCtx{extMax: extMax, needVS: needVSAs, targetType: targetType, cover: func(id, rule string) { cover(url, id, rule) }}, "")
			mustSupport[url] = mustSupportRules(sd.Differential, slices[url])
		}
		if sd.Type.V != "Extension" {
			continue
		}
		var ctxs []string
		for _, c := range sd.Context {
			if c.Type.V == "element" {
				ctxs = append(ctxs, c.Expression.V)
			}
		}
		exts[url] = readExtension(ctxs, sd.Differential, needVSAs, targetType, func(id, rule string) { cover(url, id, rule) })
	}
	core, coreRules, err := readCoreExtensions(r4, needVSAs, targetType)
	if err != nil {
		return err
	}
	baseRefs := baseRefRules(sds4)
	baseBinds := baseBindingRules(sds4, needVSAs)
	var b bytes.Buffer
	b.WriteString("// Code generated by fhir/internal/genprofile from ../shared/ukcore and ../shared/fhir-r4/definitions.tgz; DO NOT EDIT.\n\npackage fhir\n\n")
	if n := len(uniq(unknownOther)); n > 0 {
		fmt.Fprintf(&b, "// Extensible and preferred bindings to %d value sets held in neither folder are not checked.\n\n", n)
	}
	if len(unknownVS) > 0 {
		b.WriteString("// Required bindings to value sets held in neither folder are not checked:\n")
		for _, u := range uniq(unknownVS) {
			fmt.Fprintf(&b, "// %s\n", u)
		}
		b.WriteString("\n")
	}
	// every UK Core value set, bound or not, and the R4 value sets required
	// of code elements (which the typed model checks), for FHIRPath's
	// memberOf() and OpenCompose
	for _, u := range term.ukcore {
		needVSAs(u, "")
	}
	for _, sd := range sds4 {
		for _, el := range sd.Snapshot.Element {
			if b := el.Binding; b != nil && b.Strength == "required" && b.ValueSet != "" {
				needVSAs(b.ValueSet, "")
			}
		}
	}
	for u, cs := range term.nested {
		if valueSets[u] == nil {
			valueSets[u] = cs
		}
	}
	b.WriteString("// ukcoreValueSets are the value sets of the bindings checked (UK Core's and base R4's), expanded,\n// and the value sets their open parts name.\nvar ukcoreValueSets = map[string]*valueSetDef{\n")
	for _, u := range sortedKeys(valueSets) {
		cs := valueSets[u]
		fmt.Fprintf(&b, "%q: {Codes: map[string]map[string]bool{\n", u)
		for _, sys := range sortedKeys(cs.codes) {
			if len(cs.codes[sys]) == 0 {
				continue
			}
			fmt.Fprintf(&b, "%q: {", sys)
			for _, c := range sortedKeys(cs.codes[sys]) {
				fmt.Fprintf(&b, "%q: true, ", c)
			}
			b.WriteString("},\n")
		}
		b.WriteString("}, Open: []string{")
		for _, sys := range sortedKeys(cs.open) {
			fmt.Fprintf(&b, "%q, ", sys)
		}
		b.WriteString("}")
		if len(cs.parts) > 0 {
			b.WriteString(", Compose: []composePart{\n")
			for _, p := range cs.parts {
				var f []string
				if p.exclude {
					f = append(f, "Exclude: true")
				}
				if p.system != "" {
					f = append(f, fmt.Sprintf("System: %q", p.system))
				}
				if p.version != "" {
					f = append(f, fmt.Sprintf("Version: %q", p.version))
				}
				if len(p.concepts) > 0 {
					f = append(f, fmt.Sprintf("Concepts: %#v", p.concepts))
				}
				if len(p.filters) > 0 {
					var fs []string
					for _, x := range p.filters {
						fs = append(fs, fmt.Sprintf("{%q, %q, %q}", x[0], x[1], x[2]))
					}
					f = append(f, "Filters: [][3]string{"+strings.Join(fs, ", ")+"}")
				}
				if len(p.valueSets) > 0 {
					f = append(f, fmt.Sprintf("ValueSets: %#v", p.valueSets))
				}
				fmt.Fprintf(&b, "{%s},\n", strings.Join(f, ", "))
			}
			b.WriteString("}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n// ukcoreRules are the bindings, fixed values and reference targets of each UK Core profile and extension.\nvar ukcoreRules = map[string]*profileRules{\n")
	urls := map[string]bool{}
	for u := range bindings {
		urls[u] = true
	}
	for u := range fixed {
		urls[u] = true
	}
	for u := range refs {
		urls[u] = true
	}
	for u := range typeRules {
		urls[u] = true
	}
	for u, s := range slices {
		if len(s) > 0 {
			urls[u] = true
		}
	}
	for _, u := range sortedKeys(urls) {
		fmt.Fprintf(&b, "%q: ", u)
		writeRuleSet(&b, ruleSet{Bindings: bindings[u], Fixed: fixed[u], Types: typeRules[u], Refs: refs[u], Slices: slices[u]}, false)
	}
	b.WriteString("}\n\n// baseRules are the reference target types of each base R4 resource\n// (ElementDefinition.type.targetProfile in its snapshot), for every resource.\nvar baseRules = map[string]*profileRules{\n")
	baseTypes := map[string]bool{}
	for t := range baseRefs {
		baseTypes[t] = true
	}
	for t := range baseBinds {
		baseTypes[t] = true
	}
	for _, t := range sortedKeys(baseTypes) {
		fmt.Fprintf(&b, "%q: ", t)
		writeRuleSet(&b, ruleSet{Bindings: baseBinds[t], Refs: baseRefs[t]}, true)
	}
	b.WriteString("}\n\n// ukcoreExtensionRules are each UK Core extension's contexts and sub-extensions.\nvar ukcoreExtensionRules = map[string]*extensionRules{\n")
	for _, u := range sortedKeys(exts) {
		fmt.Fprintf(&b, "%q: ", u)
		writeExtRule(&b, exts[u])
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	b.WriteString("\n// coreExtensionRules are each R4 core extension's contexts, value types,\n// sub-extensions and the bindings and reference targets of its value\n// (extension-definitions in definitions.tgz).\nvar coreExtensionRules = map[string]*extensionRules{\n")
	for _, u := range sortedKeys(core) {
		fmt.Fprintf(&b, "%q: ", u)
		writeExtRule(&b, core[u])
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n// coreExtensionValueRules are the bindings and reference targets of an R4\n// core extension's value, by its URL.\nvar coreExtensionValueRules = map[string]*profileRules{\n")
	for _, u := range sortedKeys(coreRules) {
		fmt.Fprintf(&b, "%q: ", u)
		writeRuleSet(&b, coreRules[u], false)
	}
	b.WriteString("}\n")
	writeMustSupport(&b, mustSupport)
	src, err := format.Source(b.Bytes())
	if err != nil {
		return fmt.Errorf("%v\n%s", err, b.Bytes())
	}
	if src, err = format.Source(src); err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

// writeExtRule writes an extensionRules literal but for its closing
// brace, which the caller writes.
func writeExtRule(b *bytes.Buffer, e extRule) {
	b.WriteString("{")
	if e.Modifier {
		b.WriteString("Modifier: true, ")
	}
	fmt.Fprintf(b, "Contexts: %#v, Complex: %v, ", e.Contexts, e.Complex)
	if e.ValueMin > 0 {
		fmt.Fprintf(b, "ValueMin: %d, ", e.ValueMin)
	}
	if e.ExtMin > 0 {
		fmt.Fprintf(b, "ExtMin: %d, ", e.ExtMin)
	}
	b.WriteString("Subs: []subExtension{")
	for _, s := range e.Subs {
		fmt.Fprintf(b, "{URL: %q, Min: %d, Max: %q, Types: %#v, ValueSet: %q", s.URL, s.Min, s.Max, s.Types, s.ValueSet)
		if s.Strength == "extensible" {
			b.WriteString(", Strength: bindingExtensible")
		}
		if s.ValueMin > 0 {
			fmt.Fprintf(b, ", ValueMin: %d", s.ValueMin)
		}
		if len(s.Targets) > 0 {
			fmt.Fprintf(b, ", Targets: %#v", s.Targets)
		}
		if s.NoExt {
			b.WriteString(", NoExt: true")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}, ")
	if len(e.Types) > 0 {
		fmt.Fprintf(b, "Types: %#v, ", e.Types)
	}
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func fixedList(fs []fixedRule) string {
	if len(fs) == 0 {
		return "nil"
	}
	var b strings.Builder
	b.WriteString("[]fixedRule{")
	for _, f := range fs {
		fmt.Fprintf(&b, "{Path: %q, Value: %q, Pattern: %v", f.Path, f.Value, f.Kind == "pattern")
		if len(f.Tree) > 0 {
			b.WriteString(", Tree: ")
			writeTree(&b, f.Tree)
		}
		b.WriteString("}, ")
	}
	b.WriteString("}")
	return b.String()
}

// writeTree writes a complex fixed or pattern value as []patternNode.
func writeTree(b *strings.Builder, ns []xNode) {
	b.WriteString("[]patternNode{")
	for _, n := range ns {
		fmt.Fprintf(b, "{Name: %q", n.XMLName.Local)
		if len(n.Kids) > 0 {
			b.WriteString(", Kids: ")
			writeTree(b, n.Kids)
		} else {
			fmt.Fprintf(b, ", Value: %q", n.Value)
		}
		b.WriteString("}, ")
	}
	b.WriteString("}")
}

// treeJSON renders a complex value for messages, as FHIR JSON would
// (an element given more than once as an array).
func treeJSON(ns []xNode) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < len(ns); i++ {
		n := ns[i]
		j := i
		for j+1 < len(ns) && ns[j+1].XMLName.Local == n.XMLName.Local {
			j++
		}
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:", n.XMLName.Local)
		if j > i {
			b.WriteString("[")
		}
		for k := i; k <= j; k++ {
			if k > i {
				b.WriteString(",")
			}
			if len(ns[k].Kids) > 0 {
				b.WriteString(treeJSON(ns[k].Kids))
			} else {
				fmt.Fprintf(&b, "%q", ns[k].Value)
			}
		}
		if j > i {
			b.WriteString("]")
		}
		i = j
	}
	b.WriteString("}")
	return b.String()
}

// fixedValues gives an element's fixed[x] and pattern[x] values, primitive
// (Value) or complex (Tree: patternCodeableConcept, fixedCoding,
// patternQuantity, ...); Path is left to the caller.
func fixedValues(el rElement) []fixedRule {
	var out []fixedRule
	for _, a := range el.Any {
		n := a.XMLName.Local
		if !strings.HasPrefix(n, "fixed") && !strings.HasPrefix(n, "pattern") {
			continue
		}
		kind := "fixed"
		if strings.HasPrefix(n, "pattern") {
			kind = "pattern"
		}
		switch {
		case len(a.Kids) > 0:
			out = append(out, fixedRule{Value: treeJSON(a.Kids), Kind: kind, Tree: a.Kids})
		case a.Value != "":
			out = append(out, fixedRule{Value: a.Value, Kind: kind})
		}
	}
	return out
}

// rule is the coverage name of a fixed value: fixed or fixedComplex.
func (f fixedRule) rule() string {
	if len(f.Tree) > 0 {
		return "fixedComplex"
	}
	return "fixed"
}

// primitiveFixed gives an element's fixed or pattern primitive value.
func primitiveFixed(el rElement) (value, kind string, ok bool) {
	for _, a := range el.Any {
		n := a.XMLName.Local
		if (strings.HasPrefix(n, "fixed") || strings.HasPrefix(n, "pattern")) && a.Value != "" {
			kind = "fixed"
			if strings.HasPrefix(n, "pattern") {
				kind = "pattern"
			}
			return a.Value, kind, true
		}
	}
	return "", "", false
}

// sliceCtx is what reading slices needs from writeRules: the extensions'
// own max, value set expansion, target profile types, and the coverage
// record.
type sliceCtx struct {
	extMax     map[string]string
	needVS     func(vs, strength string) bool
	targetType func(string) string
	cover      func(id, rule string)
}

// readSlices reads the slicings of a profile's differential: those outside
// any slice (under = "") or, for a slice's id, those inside it (paths
// relative to the slice's element). Each slice carries the rules its
// differential sets on the elements inside it (cardinalities, fixed values,
// required and extensible bindings, reference targets) and its own nested
// slicings. A slicing by system alone (identifier:nhsNumber) keeps its
// slices' cardinalities in the profile's (card.System) and carries only the
// rules inside. Discriminators: value and pattern (a fixed or pattern
// value, primitive or complex, at the path or on $this; url for
// extensions), type on $this, exists (the element at the path at max 0 or
// min ≥ 1) and profile (the type profiles at the path, not through
// resolve()). A slicing with a slice none of these tells apart is not
// closed-checked.
func readSlices(diff []rElement, ctx *sliceCtx, under string) []sliceRule {
	byID := map[string]rElement{}
	for _, el := range diff {
		byID[el.ID] = el
	}
	prefix := ""
	if under != "" {
		prefix = under + "."
	}
	var out []sliceRule
	// extension slices need no slicing element: by url, open
	var bases []rElement
	seen := map[string]bool{}
	for _, el := range diff {
		rest, ok := strings.CutPrefix(el.ID, prefix)
		if !ok {
			continue
		}
		b, name, ok := strings.Cut(rest, ":")
		if !ok || strings.ContainsAny(name, ".:") || seen[b] {
			continue
		}
		seen[b] = true
		base := prefix + b
		be, ok := byID[base]
		if !ok {
			be = rElement{ID: base, Path: valueAttr{el.Path.V}}
		}
		if be.Slicing == nil && strings.HasSuffix(base, "xtension") {
			be.Slicing = &struct {
				Discriminator []struct {
					Type valueAttr `xml:"type"`
					Path valueAttr `xml:"path"`
				} `xml:"discriminator"`
				Rules valueAttr `xml:"rules"`
			}{Rules: valueAttr{"open"}}
			be.Slicing.Discriminator = append(be.Slicing.Discriminator, struct {
				Type valueAttr `xml:"type"`
				Path valueAttr `xml:"path"`
			}{valueAttr{"value"}, valueAttr{"url"}})
		}
		bases = append(bases, be)
	}
	for _, el := range bases {
		if el.Slicing == nil {
			continue
		}
		path, ok := rel(el.Path.V)
		if !ok {
			continue
		}
		if under != "" {
			// the path below the slice's element
			path = strings.ReplaceAll(strings.TrimPrefix(el.Path.V, underPath(under)+"."), "[x]", "")
		}
		ds := el.Slicing.Discriminator
		bySystem := len(ds) == 1 && ds[0].Type.V == "value" && ds[0].Path.V == "system"
		ctx.cover(el.ID, "slicing")
		r := sliceRule{Path: path, Closed: el.Slicing.Rules.V == "closed"}
		complete := true
		for _, s := range diff {
			name, isSlice := strings.CutPrefix(s.ID, el.ID+":")
			if !isSlice || strings.ContainsAny(name, ".:") {
				continue
			}
			d := sliceDef{Name: name, Max: "*"}
			if s.Min != nil {
				fmt.Sscan(s.Min.V, &d.Min)
			}
			if s.Max != nil {
				d.Max = s.Max.V
			}
			ok := true
			for _, disc := range ds {
				dp := disc.Path.V
				switch {
				case disc.Type.V == "type" && dp == "$this":
					for _, t := range s.Type {
						d.Types = append(d.Types, t.Code.V)
					}
					ok = ok && len(d.Types) > 0
				case (disc.Type.V == "value" || disc.Type.V == "pattern") && dp == "url" && strings.HasSuffix(path, "xtension"):
					if len(s.Type) == 1 && len(s.Type[0].Profile) == 1 {
						d.Match = append(d.Match, fixedRule{Path: "url", Value: s.Type[0].Profile[0].V, Kind: "fixed"})
						ctx.cover(s.ID, "typeProfile")
					} else {
						ok = false
					}
				case disc.Type.V == "value" || disc.Type.V == "pattern":
					id := s.ID + "." + dp
					if dp == "$this" {
						id = s.ID
					}
					fs := fixedValues(byID[id])
					if len(fs) == 0 && under != "" {
						// a slice inside a slice inherits the same slice of
						// the element outside it (component:SystolicBP.code.
						// coding:loinc from component.code.coding:loinc)
						id = underPath(under) + strings.TrimPrefix(s.ID, under) + "." + dp
						fs = fixedValues(byID[id])
					}
					if len(fs) == 0 {
						ok = false
						break
					}
					ctx.cover(id, fs[0].rule())
					f := fs[0]
					f.Path = strings.ReplaceAll(dp, "[x]", "")
					if dp == "$this" {
						f.Path = ""
					}
					d.Match = append(d.Match, f)
				case disc.Type.V == "exists":
					// two slices, one with the element (min ≥ 1), one
					// without (max 0) (R4 profiling.html#discriminator)
					el := byID[s.ID+"."+dp]
					switch {
					case el.Max != nil && el.Max.V == "0":
						d.Exists = append(d.Exists, existsRule{strings.ReplaceAll(dp, "[x]", ""), false})
					case el.Min != nil && el.Min.V != "0":
						d.Exists = append(d.Exists, existsRule{strings.ReplaceAll(dp, "[x]", ""), true})
					default:
						ok = false
					}
				case disc.Type.V == "profile" && !strings.Contains(dp, "resolve()"):
					// the element conforms to the profile: here, a resource
					// that claims it (meta.profile) or is of its core type
					el := s
					if dp != "$this" {
						el = byID[s.ID+"."+dp]
					}
					var ps []string
					for _, t := range el.Type {
						for _, p := range t.Profile {
							ps = append(ps, p.V)
						}
					}
					if len(ps) == 0 {
						ok = false
						break
					}
					p := strings.ReplaceAll(dp, "[x]", "")
					if dp == "$this" {
						p = ""
					}
					d.Claims = append(d.Claims, claimRule{p, ps})
				default:
					ok = false
				}
			}
			if !ok {
				complete = false
				continue
			}
			if bySystem && under == "" {
				d.Min, d.Max = 0, "*" // counted by the profile's cardinalities (card.System)
			}
			if b := s.Binding; b != nil && (b.Strength.V == "required" || b.Strength.V == "extensible") && b.ValueSet.V != "" && ctx.needVS(b.ValueSet.V, b.Strength.V) {
				// a binding on the slice itself: its elements'
				vs, _, _ := strings.Cut(b.ValueSet.V, "|")
				d.Bindings = append(d.Bindings, bindingRule{"", vs, b.Strength.V})
				ctx.cover(s.ID, "binding-"+b.Strength.V)
			}
			if outer, ok := byID[underPath(under)+strings.TrimPrefix(s.ID, under)]; bySystem && under != "" && ok && outer.Min != nil && s.Min != nil && outer.Min.V == s.Min.V && (s.Max == nil || outer.Max != nil && outer.Max.V == s.Max.V) {
				// the same slice outside (component.code.coding:snomedCT)
				// already counts it under every parent, with the same min..max
				d.Min, d.Max = 0, "*"
			}
			if s.Min != nil || s.Max != nil {
				ctx.cover(s.ID, "min")
				ctx.cover(s.ID, "max")
			}
			for _, f := range diff {
				rest, inside := strings.CutPrefix(f.ID, s.ID+".")
				if !inside || strings.Contains(rest, ":") {
					continue
				}
				rp := strings.ReplaceAll(rest, "[x]", "")
				if !matchPath(d.Match, rest) {
					for _, fr := range fixedValues(f) {
						fr.Path = rp
						d.Fixed = append(d.Fixed, fr)
						ctx.cover(f.ID, fr.rule())
					}
				}
				if f.Min != nil || f.Max != nil {
					c := sliceCard{Path: rp, Max: "*"}
					if f.Min != nil {
						fmt.Sscan(f.Min.V, &c.Min)
					}
					if f.Max != nil {
						c.Max = f.Max.V
					}
					d.Cards = append(d.Cards, c)
					ctx.cover(f.ID, "min")
					ctx.cover(f.ID, "max")
				}
				if b := f.Binding; b != nil && (b.Strength.V == "required" || b.Strength.V == "extensible") && b.ValueSet.V != "" && ctx.needVS(b.ValueSet.V, b.Strength.V) {
					vs, _, _ := strings.Cut(b.ValueSet.V, "|")
					d.Bindings = append(d.Bindings, bindingRule{rp, vs, b.Strength.V})
					ctx.cover(f.ID, "binding-"+b.Strength.V)
				}
				if ts := choiceTypes(f); len(ts) > 0 {
					d.Types2 = append(d.Types2, typeRule{rp, ts})
					ctx.cover(f.ID, "type")
				}
				if types := refTypes(f, ctx.targetType); len(types) > 0 {
					d.Refs = append(d.Refs, refRule{rp, types})
					ctx.cover(f.ID, "targetProfile")
				}
			}
			d.Slices = readSlices(diff, ctx, s.ID)
			if s.Max == nil && len(d.Match) == 1 && d.Match[0].Path == "url" && ctx.extMax[d.Match[0].Value] != "" {
				d.Max = ctx.extMax[d.Match[0].Value]
			}
			if d.Min == 0 && d.Max == "*" && len(d.Fixed) == 0 && len(d.Cards) == 0 && len(d.Bindings) == 0 && len(d.Refs) == 0 && len(d.Slices) == 0 && len(d.Types2) == 0 && !r.Closed {
				continue // nothing to check
			}
			r.Slices = append(r.Slices, d)
		}
		if !complete {
			r.Closed = false
		}
		if len(r.Slices) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// underPath is the element path of a slice id: the id without its slice
// names (Observation.component:SystolicBP.code -> Observation.component.code).
func underPath(id string) string {
	parts := strings.Split(id, ".")
	for i, p := range parts {
		parts[i], _, _ = strings.Cut(p, ":")
	}
	return strings.Join(parts, ".")
}

// refTypes gives the resource types of an element's Reference target
// profiles; nil when one is not known or any resource will do.
func refTypes(el rElement, targetType func(string) string) []string {
	var types []string
	for _, t := range el.Type {
		if t.Code.V != "Reference" {
			continue
		}
		for _, tp := range t.TargetProfile {
			tt := targetType(tp.V)
			if tt == "" {
				return nil
			}
			types = append(types, tt)
		}
	}
	if types = uniq(types); contains(types, "Resource") {
		return nil
	}
	return types
}

func matchPath(m []fixedRule, path string) bool {
	for _, f := range m {
		if f.Path == strings.ReplaceAll(path, "[x]", "") {
			return true
		}
	}
	return false
}

// baseSD is what the base R4 StructureDefinitions give the rules: each
// element's types with their target profiles, and its binding.
type baseSD struct {
	Kind       string `json:"kind"`
	Derivation string `json:"derivation"`
	Type       string `json:"type"`
	Abstract   bool   `json:"abstract"`
	Snapshot   struct {
		Element []baseElement `json:"element"`
	} `json:"snapshot"`
}

type baseElement struct {
	Path             string `json:"path"`
	ContentReference string `json:"contentReference"`
	Type             []struct {
		Code          string   `json:"code"`
		TargetProfile []string `json:"targetProfile"`
	} `json:"type"`
	Binding *struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
	} `json:"binding"`
}

// readBaseSDs reads the base R4 resource and complex data type
// definitions (specializations) from definitions.tgz, by type.
func readBaseSDs(r4 string) (map[string]*baseSD, error) {
	out := map[string]*baseSD{}
	err := deftgz.Each(r4, []string{"StructureDefinition-"}, func(name string, data []byte) error {
		sd := &baseSD{}
		if err := json.Unmarshal(data, sd); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if sd.Derivation != "specialization" || sd.Kind != "resource" && sd.Kind != "complex-type" {
			return nil
		}
		out[sd.Type] = sd
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// baseTargets gives the resource types a base R4 Reference element may
// point to; nil when any resource will do (Reference(Any)) or it has no
// Reference type.
func baseTargets(types []struct {
	Code          string   `json:"code"`
	TargetProfile []string `json:"targetProfile"`
}) []string {
	const core = "http://hl7.org/fhir/StructureDefinition/"
	var out []string
	for _, t := range types {
		if t.Code != "Reference" {
			continue
		}
		for _, tp := range t.TargetProfile {
			tt, ok := strings.CutPrefix(tp, core)
			if !ok || tt == "Resource" || tt == "DomainResource" {
				return nil
			}
			out = append(out, tt)
		}
	}
	return uniq(out)
}

// baseRefRules are the reference target types of each base R4 resource,
// by path relative to the resource: its own elements (backbone elements
// included) and, one level down, the Reference elements of the complex
// data types its elements have (Identifier.assigner, Annotation.author,
// Signature.who, ...). Elements defined by contentReference
// (Questionnaire.item.item) and data types inside data types are not
// followed.
func baseRefRules(sds map[string]*baseSD) map[string][]refRule {
	dt := map[string][]refRule{}
	for typ, sd := range sds {
		if sd.Kind != "complex-type" {
			continue
		}
		for _, el := range sd.Snapshot.Element {
			path, ok := rel(el.Path)
			if !ok || path == "extension" || strings.HasPrefix(path, "extension.") {
				continue
			}
			if ts := baseTargets(el.Type); len(ts) > 0 {
				dt[typ] = append(dt[typ], refRule{path, ts})
			}
		}
	}
	out := map[string][]refRule{}
	for typ, sd := range sds {
		if sd.Kind != "resource" || sd.Abstract {
			continue
		}
		for _, el := range sd.Snapshot.Element {
			path, ok := rel(el.Path)
			if !ok || el.ContentReference != "" {
				continue
			}
			if ts := baseTargets(el.Type); len(ts) > 0 {
				out[typ] = append(out[typ], refRule{path, ts})
			}
			if len(el.Type) == 1 {
				for _, r := range dt[el.Type[0].Code] {
					out[typ] = append(out[typ], refRule{path + "." + r.Path, r.Types})
				}
			}
		}
	}
	return out
}

// ruleSet is what zz_rules.go holds of one profile or extension
// (ukcoreRules) or one base resource type (baseRules).
type ruleSet struct {
	Bindings []bindingRule
	Fixed    []fixedRule
	Types    []typeRule
	Refs     []refRule
	Slices   []sliceRule
}

// writeRuleSet writes rs as a profileRules literal and the comma after
// it, leaving out each empty field. refsOwnLine starts the reference rules
// on a line of their own, as baseRules have them (gofmt keeps the break).
func writeRuleSet(b *bytes.Buffer, rs ruleSet, refsOwnLine bool) {
	b.WriteString("{\n")
	writeBindingsField(b, rs.Bindings)
	if len(rs.Fixed) > 0 {
		b.WriteString("Fixed: []fixedRule{")
		for _, r := range rs.Fixed {
			// one a line, as fixedList's items
			b.WriteString(strings.TrimSuffix(strings.TrimPrefix(fixedList([]fixedRule{r}), "[]fixedRule{"), " }") + "\n")
		}
		b.WriteString("},\n")
	}
	writeTypesField(b, rs.Types)
	writeRefsField(b, rs.Refs, refsOwnLine)
	writeSlicesField(b, rs.Slices)
	b.WriteString("},\n")
}

// writeBindingsField, writeTypesField, writeRefsField and
// writeSlicesField write one field of a profileRules literal, with the
// comma and line break after it, or nothing when rs is empty. refsOwnLine
// starts the reference rules on a line of their own.
func writeBindingsField(b *bytes.Buffer, rs []bindingRule) {
	if len(rs) > 0 {
		b.WriteString("Bindings: []bindingRule{")
		for _, r := range rs {
			writeBinding(b, r)
		}
		b.WriteString("},\n")
	}
}

func writeTypesField(b *bytes.Buffer, rs []typeRule) {
	if len(rs) > 0 {
		b.WriteString("Types: []typeRule{")
		for _, r := range rs {
			fmt.Fprintf(b, "{Path: %q, Types: %#v},\n", r.Path, r.Types)
		}
		b.WriteString("},\n")
	}
}

func writeRefsField(b *bytes.Buffer, rs []refRule, refsOwnLine bool) {
	if len(rs) > 0 {
		b.WriteString("Refs: []refRule{")
		if refsOwnLine {
			b.WriteString("\n")
		}
		for _, r := range rs {
			fmt.Fprintf(b, "{Path: %q, Types: %#v},\n", r.Path, r.Types)
		}
		b.WriteString("},\n")
	}
}

func writeSlicesField(b *bytes.Buffer, rs []sliceRule) {
	if len(rs) > 0 {
		b.WriteString("Slices: ")
		writeSlices(b, rs)
		b.WriteString(",\n")
	}
}

func writeBinding(b *bytes.Buffer, r bindingRule) {
	fmt.Fprintf(b, "{Path: %q, ValueSet: %q", r.Path, r.ValueSet)
	switch r.Strength {
	case "extensible":
		b.WriteString(", Strength: bindingExtensible")
	case "preferred":
		b.WriteString(", Strength: bindingPreferred")
	}
	b.WriteString("},\n")
}

// baseBindingRules are the bindings of each base R4 resource that
// Validate does not already check, by path relative to the resource (as
// baseRefRules: own elements and one data type level down): required
// bindings on elements that are not of type code, extensible and
// preferred bindings on any, whose value set is held (need).
func baseBindingRules(sds map[string]*baseSD, need func(vs, strength string) bool) map[string][]bindingRule {
	rule := func(path string, el baseElement) (bindingRule, bool) {
		b := el.Binding
		if b == nil || b.ValueSet == "" {
			return bindingRule{}, false
		}
		switch b.Strength {
		case "required":
			if len(el.Type) == 1 && el.Type[0].Code == "code" {
				return bindingRule{}, false // Validate checks these
			}
		case "extensible", "preferred":
		default:
			return bindingRule{}, false
		}
		if !need(b.ValueSet, b.Strength) {
			return bindingRule{}, false
		}
		vs, _, _ := strings.Cut(b.ValueSet, "|")
		return bindingRule{path, vs, b.Strength}, true
	}
	dt := map[string][]bindingRule{}
	for typ, sd := range sds {
		if sd.Kind != "complex-type" {
			continue
		}
		for _, el := range sd.Snapshot.Element {
			path, ok := rel(el.Path)
			if !ok || path == "extension" || strings.HasPrefix(path, "extension.") {
				continue
			}
			if r, ok := rule(path, el); ok {
				dt[typ] = append(dt[typ], r)
			}
		}
	}
	out := map[string][]bindingRule{}
	for typ, sd := range sds {
		if sd.Kind != "resource" || sd.Abstract {
			continue
		}
		for _, el := range sd.Snapshot.Element {
			path, ok := rel(el.Path)
			if !ok || el.ContentReference != "" {
				continue
			}
			if r, ok := rule(path, el); ok {
				out[typ] = append(out[typ], r)
			}
			if len(el.Type) == 1 {
				for _, r := range dt[el.Type[0].Code] {
					r.Path = path + "." + r.Path
					out[typ] = append(out[typ], r)
				}
			}
		}
	}
	return out
}

func writeSlices(b *bytes.Buffer, rules []sliceRule) {
	b.WriteString("[]sliceRule{")
	for _, r := range rules {
		fmt.Fprintf(b, "{Path: %q, Closed: %v, Slices: []sliceDef{\n", r.Path, r.Closed)
		for _, s := range r.Slices {
			fmt.Fprintf(b, "{Name: %q, Min: %d, Max: %q, Types: %#v, Match: %s, Fixed: %s", s.Name, s.Min, s.Max, s.Types, fixedList(s.Match), fixedList(s.Fixed))
			if len(s.Exists) > 0 {
				b.WriteString(", Exists: []existsRule{")
				for _, e := range s.Exists {
					fmt.Fprintf(b, "{Path: %q, Present: %v}, ", e.Path, e.Present)
				}
				b.WriteString("}")
			}
			if len(s.Claims) > 0 {
				b.WriteString(", Claims: []claimRule{")
				for _, c := range s.Claims {
					fmt.Fprintf(b, "{Path: %q, Profiles: %#v}, ", c.Path, c.Profiles)
				}
				b.WriteString("}")
			}
			if len(s.Cards) > 0 {
				b.WriteString(", Cards: []sliceCard{")
				for _, c := range s.Cards {
					fmt.Fprintf(b, "{Path: %q, Min: %d, Max: %q}, ", c.Path, c.Min, c.Max)
				}
				b.WriteString("}")
			}
			if len(s.Bindings)+len(s.Refs)+len(s.Slices)+len(s.Types2) > 0 {
				// a slice's own rules, with Types first
				b.WriteString(", Rules: &profileRules{")
				writeTypesField(b, s.Types2)
				writeBindingsField(b, s.Bindings)
				writeRefsField(b, s.Refs, false)
				writeSlicesField(b, s.Slices)
				b.WriteString("}")
			}
			b.WriteString("},\n")
		}
		b.WriteString("}},\n")
	}
	b.WriteString("}")
}

// covered records, while the rules are written, which rule of which
// differential element (by profile URL and element id) a generated table
// enforces: min, max, fixed, binding-<strength>, targetProfile,
// typeProfile, slicing. TestDifferentialCoverage lists the rest.
var covered = map[string]bool{}

func cover(url, id, rule string) { covered[url+"|"+id+"|"+rule] = true }
