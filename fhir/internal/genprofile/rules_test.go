package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testUKCore = "../../../../shared/ukcore"
	testR4     = "../../../../shared/fhir-r4/definitions.tgz"
)

// elementRules lists the rules a differential element sets: min, max,
// fixed (a primitive fixed[x] or pattern[x]), fixedComplex,
// binding-<strength>, targetProfile, typeProfile, type, slicing.
func elementRules(el rElement) []string {
	var out []string
	if el.Min != nil {
		out = append(out, "min")
	}
	if el.Max != nil {
		out = append(out, "max")
	}
	for _, a := range el.Any {
		n := a.XMLName.Local
		if strings.HasPrefix(n, "fixed") || strings.HasPrefix(n, "pattern") {
			if a.Value != "" {
				out = append(out, "fixed")
			} else {
				out = append(out, "fixedComplex")
			}
		}
	}
	if el.Binding != nil {
		out = append(out, "binding-"+el.Binding.Strength.V)
	}
	plain := len(el.Type) > 0
	for _, t := range el.Type {
		if len(t.TargetProfile) > 0 {
			out = append(out, "targetProfile")
			plain = false
		}
		if len(t.Profile) > 0 {
			out = append(out, "typeProfile")
			plain = false
		}
	}
	if plain {
		out = append(out, "type")
	}
	if el.Slicing != nil {
		out = append(out, "slicing")
	}
	return uniq(out)
}

// notJudged says why ValidateProfiles leaves a differential rule alone
// (the same reasons are in fhir/doc.go); "" when it should be enforced.
func notJudged(url, id, rule string) string {
	name := strings.TrimPrefix(url, "https://fhir.hl7.org.uk/StructureDefinition/")
	switch {
	case rule == "binding-preferred":
		return "a preferred binding: the HL7 validator reports it only against base R4"
	case rule == "binding-example":
		return "an example binding: never judged"
	case !strings.Contains(id, ".") && (rule == "min" || rule == "max"):
		return "the root's own cardinality: an extension's max is its slices' default"
	case id == "Extension.value[x]" && rule == "type":
		return "Validate checks each UK Core extension's value type (ukcore_extensions.go)"
	case strings.HasSuffix(id, "value[x]") && rule == "max":
		return "value[x] is 0..1 already; only 0..0 (a complex extension) changes anything"
	case name == "UKCore-Observation-Lab" && strings.HasPrefix(id, "Observation.code.coding:valueset-"):
		return "a slice told apart by type ($this): its binding names the slice, it is no rule on the coding"
	case rule == "binding-required" || rule == "binding-extensible":
		switch id {
		case "Extension.extension:type", "Extension.extension:function":
			return "a binding on a sub-extension element, not on its value (R5 cross-version extensions): not judged"
		case "Extension.value[x]", "Extension.extension:type.value[x]", "FamilyMemberHistory.dataAbsentReason":
			return "a value set held in neither folder (see zz_rules.go's header)"
		}
	case rule == "targetProfile" && name == "Extension-UKCore-RelatedClinicalContent":
		return "Reference(Any): every resource type is a valid target"
	}
	return ""
}

// TestDifferentialCoverage lists every rule a UK Core differential element
// sets that the generated tables do not enforce, and fails on any the
// package documentation does not explain (notJudged, explained below).
func TestDifferentialCoverage(t *testing.T) {
	if _, err := readUKCore(testUKCore); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "zz_rules.go")
	if err := writeRules(testUKCore, testR4, out); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(testUKCore, "structuredefinitions", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no UK Core StructureDefinitions in %s (%v)", testUKCore, err)
	}
	var missing []string
	for _, f := range files {
		sd := readTestSD(t, f)
		for _, el := range sd.Differential {
			for _, r := range elementRules(el) {
				if covered[sd.URL.V+"|"+el.ID+"|"+r] || notJudged(sd.URL.V, el.ID, r) != "" {
					continue
				}
				missing = append(missing, strings.TrimPrefix(sd.URL.V, "https://fhir.hl7.org.uk/StructureDefinition/")+" "+el.ID+" "+r)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("not enforced and not explained: %s", m)
	}
}

// The generated zz_rules.go is the committed one: go generate is
// reproducible and was run.
func TestRulesUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "zz_rules.go")
	if err := writeRules(testUKCore, testR4, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../zz_rules.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("fhir/zz_rules.go is not what genprofile writes: run go generate ./fhir")
	}
}

// The R4 core extension definitions as readCoreExtensions reads them from
// definitions.tgz: every one, with element contexts, value types, complex
// ones' sub-extensions and the value's binding.
func TestCoreExtensions(t *testing.T) {
	need := func(vs, strength string) bool { return strings.Contains(vs, "data-absent-reason") }
	target := func(u string) string { return strings.TrimPrefix(u, "http://hl7.org/fhir/StructureDefinition/") }
	exts, rules, err := readCoreExtensions(testR4, need, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(exts) != 396 {
		t.Errorf("%d core extensions, want the 396 of R4 4.0.1", len(exts))
	}
	const core = "http://hl7.org/fhir/StructureDefinition/"
	bt := exts[core+"patient-birthTime"]
	if strings.Join(bt.Contexts, ",") != "Patient.birthDate" || strings.Join(bt.Types, ",") != "dateTime" || bt.Complex || bt.ValueMin != 1 {
		t.Errorf("patient-birthTime: %+v", bt)
	}
	geo := exts[core+"geolocation"]
	if !geo.Complex || len(geo.Subs) != 2 || geo.Subs[0].URL != "latitude" || geo.Subs[0].Min != 1 || strings.Join(geo.Subs[1].Types, ",") != "decimal" || len(geo.Types) != 0 {
		t.Errorf("geolocation: %+v", geo)
	}
	dar := rules[core+"data-absent-reason"]
	if len(dar.Bindings) != 1 || dar.Bindings[0].Path != "value" || dar.Bindings[0].ValueSet != "http://hl7.org/fhir/ValueSet/data-absent-reason" || dar.Bindings[0].Strength != "required" {
		t.Errorf("data-absent-reason rules: %+v", dar)
	}
	mods := 0
	for u, e := range exts {
		if e.Modifier {
			mods++
		}
		if len(e.Contexts) == 0 {
			t.Errorf("%s: no element context", u)
		}
		if e.Complex && len(e.Types) > 0 {
			t.Errorf("%s: a complex extension with value types %v", u, e.Types)
		}
	}
	if !exts[core+"request-doNotPerform"].Modifier || mods != 2 {
		t.Errorf("%d modifier extensions, want request-doNotPerform and capabilitystatement-prohibited", mods)
	}
}

// A compose read from FHIR XML keeps what a terminology needs of each
// include and exclude: system, version, concepts, every filter whole and
// the value sets it names; expand gives the includes and excludes on the
// systems it leaves open.
func TestComposeParts(t *testing.T) {
	vs := []byte(`<ValueSet xmlns="http://hl7.org/fhir"><url value="http://example.org/vs/a"/><compose>
	  <include><system value="http://snomed.info/sct"/><version value="http://snomed.info/sct/83821000000107"/>
	    <filter><property value = "constraint"/><op value="="/><value value="&lt;&lt; 404684003"/></filter>
	    <filter><property value="concept"/><op value="is-not-a"/><value value="64572001"/></filter></include>
	  <include><system value="http://example.org/closed"/><concept><code value="x"/></concept></include>
	  <include><valueSet value="http://example.org/vs/b"/></include>
	  <exclude><system value="http://snomed.info/sct"/><concept><code value="195967001"/></concept></exclude>
	</compose></ValueSet>`)
	sub := []byte(`<ValueSet xmlns="http://hl7.org/fhir"><url value="http://example.org/vs/b"/><compose>
	  <include><system value="http://loinc.org"/><filter><property value="SCALE_TYP"/><op value="="/><value value="Doc"/></filter></include>
	  <exclude><system value="http://loinc.org"/><concept><code value="1-8"/></concept></exclude>
	</compose></ValueSet>`)
	term := &terminologyData{vs: map[string]json.RawMessage{}, cs: map[string]json.RawMessage{}, nested: map[string]*codeSet{}}
	for _, x := range [][]byte{vs, sub} {
		js, err := xmlToJSON(x)
		if err != nil {
			t.Fatal(err)
		}
		term.add(js)
	}
	cs, ok := term.expand("http://example.org/vs/a", 0)
	if !ok {
		t.Fatal("not expanded")
	}
	want := []composePart{
		{system: "http://snomed.info/sct", version: "http://snomed.info/sct/83821000000107", filters: [][3]string{{"constraint", "=", "<< 404684003"}, {"concept", "is-not-a", "64572001"}}},
		{valueSets: []string{"http://example.org/vs/b"}},
		{exclude: true, system: "http://snomed.info/sct", concepts: []string{"195967001"}},
	}
	if diff := cmp.Diff(want, cs.parts, cmp.AllowUnexported(composePart{})); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	if !cs.codes["http://example.org/closed"]["x"] {
		t.Errorf("closed code x not expanded: %v", cs.codes)
	}
	wantSub := []composePart{
		{system: "http://loinc.org", filters: [][3]string{{"SCALE_TYP", "=", "Doc"}}},
		{exclude: true, system: "http://loinc.org", concepts: []string{"1-8"}},
	}
	if diff := cmp.Diff(wantSub, term.nested["http://example.org/vs/b"].parts, cmp.AllowUnexported(composePart{})); diff != "" {
		t.Errorf("nested parts (-want +got):\n%s", diff)
	}
}
