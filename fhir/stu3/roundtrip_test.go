package stu3

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// stu3Package finds the npm package fhir@3.2.0, unpacked: NHSKIT_FHIR_STU3
// names its folder (.ci/run fetches it). Outside CI the tests that need it
// are skipped when it is not set; in CI they fail.
func stu3Package(t testing.TB) string {
	dir := os.Getenv("NHSKIT_FHIR_STU3")
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_FHIR_STU3 is not set: .ci/run fetches the npm package fhir@3.2.0 and sets it")
		}
		t.Skip("NHSKIT_FHIR_STU3 not set (the npm package fhir@3.2.0, unpacked)")
	}
	if _, err := os.Stat(filepath.Join(dir, "profiles", "stu3", "profiles-resources.json")); err != nil {
		t.Fatalf("NHSKIT_FHIR_STU3=%s is not the npm package fhir@3.2.0: %v", dir, err)
	}
	return dir
}

// sameJSON reports whether two JSON texts hold the same values, key order
// aside; numbers compare as written, so 1.50 and 1.5 differ.
func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	for _, p := range []struct {
		data []byte
		v    *any
	}{{a, &x}, {b, &y}} {
		d := json.NewDecoder(bytes.NewReader(p.data))
		d.UseNumber()
		if err := d.Decode(p.v); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
	}
	return reflect.DeepEqual(x, y)
}

// notSTU3 are the package's test files that are not STU3 JSON, and why.
var notSTU3 = map[string]string{
	"doc-manifest.json": "a div without the XHTML namespace, and a DSTU2-shaped Practitioner.name: one object whose family is an array",
}

// notXML are the package's STU3 files that carry a member STU3 does not
// define, kept by the JSON codec (Unknown) but with no place in XML.
var notXML = map[string]string{
	"document-example-dischargesummary.json": "a contained Practitioner with DSTU2's role element",
}

// TestOfficialExamples decodes every STU3 resource the npm package carries
// (its test data and the resources of its definition Bundles:
// StructureDefinitions, ValueSets, CodeSystems, SearchParameters, ...)
// and checks that each is written back as the same JSON, and survives
// JSON -> XML -> JSON exactly.
func TestOfficialExamples(t *testing.T) {
	dir := stu3Package(t)
	var files []string
	data, _ := filepath.Glob(filepath.Join(dir, "test", "data", "stu3", "*.json"))
	profiles, _ := filepath.Glob(filepath.Join(dir, "profiles", "stu3", "*.json"))
	files = append(append(files, data...), profiles...)
	if len(files) < 15 {
		t.Fatalf("%d STU3 JSON files under %s, want the package's test data and profiles", len(files), dir)
	}
	resources, bad, viaXML, xmlRefused := 0, 0, 0, 0
	for _, f := range files {
		name := filepath.Base(f)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Unmarshal(raw)
		if why, ok := notSTU3[name]; ok || strings.Contains(name, "_bad") {
			if err == nil {
				t.Errorf("%s decoded, but it is not valid STU3 (%s)", name, why)
			}
			bad++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if raw, ok := r.(*RawResource); ok {
			t.Errorf("%s: resource type %s not modelled", name, raw.Type)
			continue
		}
		out, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, raw, out) {
			t.Errorf("%s: written back differently", name)
		}
		// JSON -> XML -> JSON gives the same JSON again; a member STU3 does
		// not define has no place in XML and is refused, not dropped.
		x, err := JSONToXML(raw)
		var xe *XMLError
		switch why, ok := notXML[name]; {
		case ok:
			if !errors.As(err, &xe) || !strings.Contains(xe.Msg, "unknown element") {
				t.Errorf("%s: want an unknown element refused (%s), got %v", name, why, err)
			}
			xmlRefused++
		case err != nil:
			t.Errorf("%s: to XML: %v", name, err)
		default:
			if back, err := XMLToJSON(x); err != nil {
				t.Errorf("%s: XML back to JSON: %v", name, err)
			} else if !sameJSON(t, raw, back) {
				t.Errorf("%s: JSON -> XML -> JSON differs", name)
			} else {
				viaXML++
			}
		}
		resources++
		if b, ok := r.(*Bundle); ok {
			for _, e := range b.Entry {
				if e.Resource != nil {
					resources++
				}
			}
		}
	}
	if viaXML+xmlRefused+bad != len(files) {
		t.Errorf("%d files JSON -> XML -> JSON and %d refused, of %d", viaXML, xmlRefused+bad, len(files))
	}
	t.Logf("%d files, %d resources round-tripped; %d files JSON -> XML -> JSON exactly, %d refused for a member STU3 has not; %d files that are not STU3 refused", len(files), resources, viaXML, xmlRefused, bad)
}
