package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Which UK Core definitions derive from another UK Core one, and where
// every chain ends: at an R4 core type (a resource or Extension), never at
// an R4 constraint profile such as vitalsigns, whose rules (vs-1..3, its
// slices) would then apply too. fhir/doc.go states the result.
func TestBaseDefinitionChains(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testUKCore, "structuredefinitions", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no UK Core StructureDefinitions in %s (%v)", testUKCore, err)
	}
	base := map[string]string{}
	typ := map[string]string{}
	for _, f := range files {
		sd := readTestSD(t, f)
		base[sd.URL.V] = sd.Base.V
		typ[sd.URL.V] = sd.Type.V
	}
	const uk = "https://fhir.hl7.org.uk/StructureDefinition/"
	derived := map[string]string{}
	for u, b := range base {
		if _, ok := base[b]; ok {
			derived[strings.TrimPrefix(u, uk)] = strings.TrimPrefix(b, uk)
			if typ[b] != typ[u] {
				t.Errorf("%s (%s) derives from %s (%s)", u, typ[u], b, typ[b])
			}
			continue
		}
		// the end of the chain: the R4 definition of the type itself
		if b != coreSD+typ[u] {
			t.Errorf("%s: baseDefinition %s is neither UK Core nor the R4 %s", u, b, typ[u])
		}
	}
	want := map[string]string{"UKCore-Device-BloodPressure": "UKCore-Device", "UKCore-Observation-VitalSigns": "UKCore-Observation"}
	for _, n := range []string{"ACVPU", "AlcoholConsumption", "AverageBloodPressure", "BloodGlucose", "EarlyWarningTotalScore", "InspiredOxygen", "TobaccoConsumption"} {
		want["UKCore-Observation-"+n] = "UKCore-Observation"
	}
	for _, n := range []string{"BMI", "BloodPressure", "BodyHeight", "BodyTemperature", "BodyWeight", "HeadCircumference", "HeartRate", "OxygenSaturation", "RespirationRate"} {
		want["UKCore-Observation-VitalSigns-"+n] = "UKCore-Observation-VitalSigns"
	}
	for k, v := range want {
		if derived[k] != v {
			t.Errorf("%s: base %q, want %q", k, derived[k], v)
		}
	}
	for k, v := range derived {
		if want[k] == "" {
			t.Errorf("%s derives from %s: not expected (an extension on an extension?)", k, v)
		}
	}
}

type tEl struct{ id, min, max string }

func overlayT(p, c tEl) tEl {
	if c.min != "" {
		p.min = c.min
	}
	if c.max != "" {
		p.max = c.max
	}
	return p
}

// A child's element replaces what its parent set on the same id, property
// by property; its new elements follow; grandparents count; a cycle is an
// error, not a hang.
func TestResolveChains(t *testing.T) {
	base := map[string]string{"a": coreSD + "Observation", "b": "a|1.0", "c": "b"}
	diff := map[string][]tEl{
		"a": {{"O.x", "1", ""}, {"O.y", "", "1"}},
		"b": {{"O.y", "1", ""}, {"O.z:s", "1", "1"}},
		"c": {{"O.x", "", "0"}},
	}
	got, err := resolveChains(base, diff, func(e tEl) string { return e.id }, overlayT)
	if err != nil {
		t.Fatal(err)
	}
	want := []tEl{{"O.x", "1", "0"}, {"O.y", "1", "1"}, {"O.z:s", "1", "1"}}
	if len(got["c"]) != len(want) {
		t.Fatalf("c: %v, want %v", got["c"], want)
	}
	for i := range want {
		if got["c"][i] != want[i] {
			t.Errorf("c[%d] = %v, want %v", i, got["c"][i], want[i])
		}
	}
	if len(got["a"]) != 2 || got["a"][1] != (tEl{"O.y", "", "1"}) {
		t.Errorf("the parent changed: %v", got["a"])
	}
	base["a"] = "c"
	if _, err := resolveChains(base, diff, func(e tEl) string { return e.id }, overlayT); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: err = %v", err)
	}
}

// overlayR: types narrow, a binding or slicing is the child's, the
// parent's fixed value stays unless the child sets one of the same name.
func TestOverlayR(t *testing.T) {
	var p, c rElement
	if err := xml.Unmarshal([]byte(`<element id="O.code"><min value="1"/><fixedCode value="a"/><short value="p"/><type><code value="Quantity"/></type><type><code value="string"/></type></element>`), &p); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal([]byte(`<element id="O.code"><max value="1"/><short value="c"/><type><code value="Quantity"/></type></element>`), &c); err != nil {
		t.Fatal(err)
	}
	m := overlayR(p, c)
	if m.Min == nil || m.Min.V != "1" || m.Max == nil || m.Max.V != "1" || len(m.Type) != 1 {
		t.Errorf("merged: %+v", m)
	}
	if v, _, ok := primitiveFixed(m); !ok || v != "a" {
		t.Errorf("fixed: %q %v", v, ok)
	}
	n := 0
	for _, a := range m.Any {
		if a.XMLName.Local == "short" {
			n++
			if a.Value != "c" {
				t.Errorf("short = %q", a.Value)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d shorts", n)
	}
}

// readTestSD reads the StructureDefinition (XML) in file f.
func readTestSD(t *testing.T, f string) rSD {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var sd rSD
	if err := xml.Unmarshal(data, &sd); err != nil {
		t.Fatal(err)
	}
	return sd
}
