package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/nhskit/nhskit/fhir/internal/deftgz"
)

// The definition file is extracted from the official R4 definitions
// (hl7.fhir.r4.core 4.0.1: StructureDefinitions, ValueSets, CodeSystems)
// by fromDefinitions; the generator itself reads only the definition file,
// so go generate needs nothing outside the repository, and a test checks
// that the file still says what the StructureDefinitions say.

type sdElement struct {
	ID               string `json:"id"`
	Path             string `json:"path"`
	Min              int    `json:"min"`
	Max              string `json:"max"`
	ContentReference string `json:"contentReference"`
	Extension        []struct {
		URL         string `json:"url"`
		ValueString string `json:"valueString"`
	} `json:"extension"`
	Type []struct {
		Code      string `json:"code"`
		Extension []struct {
			URL      string `json:"url"`
			ValueURL string `json:"valueUrl"`
		} `json:"extension"`
	} `json:"type"`
	Binding *struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
		// STU3 names the value set by reference or by URI.
		ValueSetReference struct {
			Reference string `json:"reference"`
		} `json:"valueSetReference"`
		ValueSetURI string `json:"valueSetUri"`
	} `json:"binding"`
}

type structureDefinition struct {
	ResourceType   string `json:"resourceType"`
	URL            string `json:"url"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Kind           string `json:"kind"`
	Abstract       bool   `json:"abstract"`
	Derivation     string `json:"derivation"`
	BaseDefinition string `json:"baseDefinition"`
	Snapshot       struct {
		Element []sdElement `json:"element"`
	} `json:"snapshot"`
}

type csConcept struct {
	Code    string      `json:"code"`
	Concept []csConcept `json:"concept"`
}

type codeSystem struct {
	ResourceType string      `json:"resourceType"`
	URL          string      `json:"url"`
	Content      string      `json:"content"`
	Concept      []csConcept `json:"concept"`
}

type valueSet struct {
	ResourceType string `json:"resourceType"`
	URL          string `json:"url"`
	Compose      struct {
		Include []vsInclude `json:"include"`
		Exclude []vsInclude `json:"exclude"`
	} `json:"compose"`
}

type vsInclude struct {
	System   string                  `json:"system"`
	Concept  []struct{ Code string } `json:"concept"`
	Filter   []json.RawMessage       `json:"filter"`
	ValueSet []string                `json:"valueSet"`
}

type definitions struct {
	sds  map[string]*structureDefinition // by type name
	vss  map[string]*valueSet
	css  map[string]*codeSystem
	base map[string]string // type name -> base type name
}

// readVersionDefinitions reads the definitions of the version being
// synced: R4's definitions.tgz, or STU3's from the npm package's folder.
func readVersionDefinitions(from string) (*definitions, error) {
	if ver.Name == "STU3" {
		return readSTU3Definitions(from)
	}
	return readDefinitions(from)
}

// readSTU3Definitions reads the STU3 StructureDefinitions, ValueSets and
// CodeSystems from the Bundles of the npm package fhir@3.2.0, unpacked in
// dir (its profiles/stu3 folder).
func readSTU3Definitions(dir string) (*definitions, error) {
	defs := &definitions{sds: map[string]*structureDefinition{}, vss: map[string]*valueSet{}, css: map[string]*codeSystem{}, base: map[string]string{}}
	for _, name := range []string{"profiles-types.json", "profiles-resources.json", "valuesets.json", "v3-codesystems.json", "v2-tables.json"} {
		data, err := os.ReadFile(path.Join(dir, "profiles", "stu3", name))
		if err != nil {
			return nil, err
		}
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		for i, e := range b.Entry {
			if err := defs.add(e.Resource); err != nil {
				return nil, fmt.Errorf("%s: entry %d: %v", name, i, err)
			}
		}
	}
	return defs, nil
}

// add files one definition resource by its resourceType.
func (ds *definitions) add(data []byte) error {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	switch head.ResourceType {
	case "StructureDefinition":
		var sd structureDefinition
		if err := json.Unmarshal(data, &sd); err != nil {
			return err
		}
		if sd.Derivation != "specialization" || sd.URL != "http://hl7.org/fhir/StructureDefinition/"+sd.Type {
			return nil
		}
		ds.sds[sd.Type] = &sd
		ds.base[sd.Type] = path.Base(sd.BaseDefinition)
	case "ValueSet":
		var vs valueSet
		if err := json.Unmarshal(data, &vs); err != nil {
			return err
		}
		ds.vss[vs.URL] = &vs
	case "CodeSystem":
		var cs codeSystem
		if err := json.Unmarshal(data, &cs); err != nil {
			return err
		}
		ds.css[cs.URL] = &cs
	}
	return nil
}

// readDefinitions reads the StructureDefinitions, ValueSets and
// CodeSystems of a definitions.tgz.
func readDefinitions(tgz string) (*definitions, error) {
	defs := &definitions{sds: map[string]*structureDefinition{}, vss: map[string]*valueSet{}, css: map[string]*codeSystem{}, base: map[string]string{}}
	err := deftgz.Each(tgz, []string{"StructureDefinition-", "ValueSet-", "CodeSystem-"}, func(name string, data []byte) error {
		if err := defs.add(data); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return defs, nil
}

// codes lists the codes of a value set when they can be listed from the
// definitions alone (concepts named, or whole complete code systems);
// ok is false for value sets defined by filters or external systems
// (languages, MIME types, UCUM), which are not checked.
func (ds *definitions) codes(url string, depth int) (out []string, ok bool) {
	vs := ds.vss[url]
	if vs == nil || depth > 8 || len(vs.Compose.Exclude) > 0 || len(vs.Compose.Include) == 0 {
		return nil, false
	}
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, inc := range vs.Compose.Include {
		if len(inc.Filter) > 0 {
			return nil, false
		}
		for _, v := range inc.ValueSet {
			cs, ok := ds.codes(strings.Split(v, "|")[0], depth+1)
			if !ok {
				return nil, false
			}
			for _, c := range cs {
				add(c)
			}
		}
		switch {
		case len(inc.Concept) > 0:
			for _, c := range inc.Concept {
				add(c.Code)
			}
		case inc.System != "":
			cs := ds.css[inc.System]
			if cs == nil || cs.Content != "complete" {
				return nil, false
			}
			var walk func([]csConcept)
			walk = func(cs []csConcept) {
				for _, c := range cs {
					add(c.Code)
					walk(c.Concept)
				}
			}
			walk(cs.Concept)
		}
	}
	return out, len(out) > 0
}

// skipped are the types the generator writes by hand or that are abstract
// bases.
var skipped = map[string]bool{"Element": true, "BackboneElement": true, "Resource": true, "DomainResource": true}

// fromDefinitions turns the definitions into the generator's blocks: every
// complex datatype, then every resource (alphabetical), each followed by
// its backbone elements.
func fromDefinitions(ds *definitions) ([]*def, error) {
	var types, resources []string
	for name, sd := range ds.sds {
		switch {
		case skipped[name] || sd.Abstract:
		case sd.Kind == "complex-type":
			types = append(types, name)
		case sd.Kind == "resource":
			resources = append(resources, name)
		}
	}
	sort.Strings(types)
	sort.Strings(resources)
	var out []*def
	for _, names := range [][]string{types, resources} {
		for _, name := range names {
			blocks, err := ds.blocks(ds.sds[name])
			if err != nil {
				return nil, err
			}
			out = append(out, blocks...)
		}
	}
	return out, nil
}

func (ds *definitions) blocks(sd *structureDefinition) ([]*def, error) {
	top := &def{Kind: "type", Name: sd.Type}
	if sd.Kind == "resource" {
		top.Kind = "resource"
		top.Plain = ds.base[sd.Type] == "Resource"
	} else {
		top.Backbone = ds.base[sd.Type] == "BackboneElement"
	}
	byPath := map[string]*def{sd.Type: top}
	order := []*def{top}
	// The elements every block gets from its base, which the generator
	// adds itself.
	baseElems := map[string]bool{"id": true, "extension": true, "modifierExtension": true}
	resourceElems := map[string]bool{"id": true, "meta": true, "implicitRules": true, "language": true, "text": true, "contained": true, "extension": true, "modifierExtension": true}
	for _, el := range sd.Snapshot.Element[1:] {
		parent, name := el.Path[:strings.LastIndex(el.Path, ".")], el.Path[strings.LastIndex(el.Path, ".")+1:]
		owner := byPath[parent]
		if owner == nil {
			return nil, fmt.Errorf("%s: element %s outside a known parent", sd.Type, el.ID)
		}
		if owner == top && sd.Kind == "resource" && resourceElems[name] || (owner != top || sd.Kind != "resource") && baseElems[name] {
			continue
		}
		e := element{Name: strings.TrimSuffix(name, "[x]"), Choice: strings.HasSuffix(name, "[x]"), Min: el.Min}
		switch el.Max {
		case "1":
		case "*":
			e.Many = true
		default:
			return nil, fmt.Errorf("%s: max %q", el.ID, el.Max)
		}
		if e.Min > 1 {
			return nil, fmt.Errorf("%s: min %d", el.ID, e.Min)
		}
		switch {
		case el.ContentReference != "":
			ref := byPath[strings.TrimPrefix(el.ContentReference, "#")]
			if ref == nil {
				return nil, fmt.Errorf("%s: content reference %s not defined before", el.ID, el.ContentReference)
			}
			e.Types = []string{"@" + ref.Name}
		case len(el.Type) == 1 && (el.Type[0].Code == "BackboneElement" || el.Type[0].Code == "Element"):
			// The backbone's name: its parent's and the explicit type name
			// the definition gives (ConceptSet for ValueSet.compose.include),
			// or the element's name.
			local := name
			for _, x := range el.Extension {
				if x.URL == "http://hl7.org/fhir/StructureDefinition/structuredefinition-explicit-type-name" && x.ValueString != "" {
					local = x.ValueString
				}
			}
			bb := &def{Kind: "backbone", Name: owner.Name + "." + strings.ToUpper(local[:1]) + local[1:]}
			byPath[el.Path] = bb
			order = append(order, bb)
			e.Types = []string{"@" + bb.Name}
		default:
			for _, t := range el.Type {
				code := t.Code
				if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
					code = ""
					for _, x := range t.Extension {
						if x.URL == "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type" {
							code = x.ValueURL
						}
					}
					if code == "" {
						return nil, fmt.Errorf("%s: system type without a FHIR type", el.ID)
					}
				}
				if len(e.Types) == 0 || e.Types[len(e.Types)-1] != code {
					e.Types = append(e.Types, code)
				}
			}
		}
		if el.Binding != nil && el.Binding.ValueSet == "" {
			el.Binding.ValueSet = el.Binding.ValueSetReference.Reference
			if el.Binding.ValueSet == "" {
				el.Binding.ValueSet = el.Binding.ValueSetURI
			}
		}
		if el.Binding != nil && el.Binding.Strength == "required" && el.Binding.ValueSet != "" && len(e.Types) == 1 && (e.Types[0] == "code" || e.Types[0] == "Coding" || e.Types[0] == "CodeableConcept") {
			vs := strings.Split(el.Binding.ValueSet, "|")[0]
			if codes, ok := ds.codes(vs, 0); ok && e.Types[0] == "code" && !strings.ContainsAny(strings.Join(codes, ""), " \t{}") {
				e.VS, e.Codes = vs, codes
			}
		}
		owner.Elems = append(owner.Elems, e)
	}
	return order, nil
}

// writeDef writes blocks in the definition file's format.
func writeDef(w io.Writer, defs []*def) error {
	if ver.Name == "STU3" {
		fmt.Fprint(w, `# FHIR STU3 (3.0.1) element definitions for every complex datatype and
# resource, extracted from the official definitions as the npm package
# fhir@3.2.0 carries them (profiles/stu3/profiles-types.json,
# profiles-resources.json, valuesets.json, v3-codesystems.json,
# v2-tables.json) by
#   go run ../internal/gen -version stu3 -def ../internal/gen/stu3.def -sync $NHSKIT_FHIR_STU3
# run in fhir/stu3, NHSKIT_FHIR_STU3 being the unpacked package's folder;
# TestSTU3DefMatchesDefinitions checks it against them.
`)
	} else {
		fmt.Fprint(w, `# FHIR R4 (4.0.1) element definitions for every complex datatype and
# resource, extracted from the official definitions (hl7.fhir.r4.core
# 4.0.1: ../shared/fhir-r4/definitions.tgz) by
#   go run ./internal/gen -sync ../../shared/fhir-r4/definitions.tgz
# run in fhir; TestDefMatchesDefinitions checks it against them.
`)
	}
	fmt.Fprint(w, `# One block per type: "type", "resource" or "backbone" and its name ("type X
# backbone": a datatype deriving from BackboneElement; "resource X plain": a
# resource that is not a DomainResource), then one line per element in the
# specification's order:
#   name  type  min..max  [vs=<value set url> {codes of a required binding}]
# A choice element is written name[x] with its types joined by "|" ("*" is
# the open type list). "@X.Y" is a backbone element defined in its own block.
# Every element also has id and extension (and backbone elements
# modifierExtension); resources have the Resource and DomainResource
# elements. Codes are listed for required bindings on code elements whose
# value set the definitions enumerate.
`)
	for _, d := range defs {
		head := d.Kind + " " + d.Name
		if d.Backbone {
			head += " backbone"
		}
		if d.Plain {
			head += " plain"
		}
		fmt.Fprintf(w, "\n%s\n", head)
		for _, e := range d.Elems {
			name := e.Name
			if e.Choice {
				name += "[x]"
			}
			typ := strings.Join(e.Types, "|")
			if e.Choice && sameSet(e.Types, openTypes) {
				typ = "*"
			}
			card := "0..1"
			switch {
			case e.Min == 1 && e.Many:
				card = "1..*"
			case e.Min == 1:
				card = "1..1"
			case e.Many:
				card = "0..*"
			}
			line := fmt.Sprintf("  %-24s %-28s %s", name, typ, card)
			if e.VS != "" {
				line += " vs=" + e.VS
				if len(e.Codes) > 0 {
					line += " {" + strings.Join(e.Codes, " ") + "}"
				}
			}
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}
