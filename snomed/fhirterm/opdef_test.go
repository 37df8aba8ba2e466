package fhirterm_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed/fhirterm"
)

// opDefParam is a parameter of a published OperationDefinition.
type opDefParam struct {
	Name string       `json:"name"`
	Use  string       `json:"use"`
	Min  int          `json:"min"`
	Max  string       `json:"max"`
	Type string       `json:"type"`
	Part []opDefParam `json:"part"`
}

// operationDefinitions reads the R4 OperationDefinitions of the
// terminology operations from ../shared/fhir-r4/definitions.tgz.
func operationDefinitions(t *testing.T) map[string][]opDefParam {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "fhir-r4", "definitions.tgz")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing", path)
		}
		t.Skipf("%s is missing", path)
	}
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	want := map[string]bool{"CodeSystem-lookup": true, "CodeSystem-subsumes": true, "CodeSystem-validate-code": true, "ValueSet-expand": true, "ValueSet-validate-code": true}
	out := map[string][]opDefParam{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(h.Name), "OperationDefinition-"), ".json")
		if !want[name] || !strings.HasPrefix(filepath.Base(h.Name), "OperationDefinition-") {
			continue
		}
		var def struct {
			Parameter []opDefParam `json:"parameter"`
		}
		require.NoError(t, json.NewDecoder(tr).Decode(&def))
		out[name] = def.Parameter
	}
	require.Len(t, out, len(want))
	return out
}

func find(ps []opDefParam, use, name string) (opDefParam, bool) {
	for _, p := range ps {
		if p.Name == name && (use == "" || p.Use == use) {
			return p, true
		}
	}
	return opDefParam{}, false
}

// checkOut checks a response's parameters against the definition's out
// parameters: each is defined, of the defined type, within cardinality,
// and each required one is present.
func checkOut(t *testing.T, op string, defs []opDefParam, got []fhir.ParametersParameter) {
	t.Helper()
	count := map[string]int{}
	for _, p := range got {
		d, ok := find(defs, "out", p.Name.Value)
		if !ok && defs != nil && defs[0].Use == "" { // parts carry no use
			d, ok = find(defs, "", p.Name.Value)
		}
		if !assert.True(t, ok, "%s: output %q is not in the OperationDefinition", op, p.Name.Value) {
			continue
		}
		count[d.Name]++
		switch {
		case d.Type == "" || d.Type == "Element":
			if d.Type == "" {
				assert.Nil(t, p.Value, "%s: %s has parts, not a value", op, d.Name)
				checkOut(t, op+"."+d.Name, d.Part, p.Part)
			}
		case p.Value != nil:
			assert.Equal(t, d.Type, p.Value.TypeName(), "%s: type of %s", op, d.Name)
		}
	}
	for _, d := range defs {
		if d.Use == "in" {
			continue
		}
		if d.Min > 0 {
			assert.GreaterOrEqual(t, count[d.Name], d.Min, "%s: required output %s is missing", op, d.Name)
		}
		if d.Max == "1" {
			assert.LessOrEqual(t, count[d.Name], 1, "%s: %s repeats", op, d.Name)
		}
	}
}

func TestOperationDefinitions(t *testing.T) {
	defs := operationDefinitions(t)
	h := ukHandler(t)
	for _, tc := range []struct {
		def, path string
		q         url.Values
	}{
		{"CodeSystem-lookup", "/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(childAsthma)}, "property": {"*"}, "displayLanguage": {"en-GB"}, "version": {"http://snomed.info/sct/83821000000107"}}},
		{"CodeSystem-subsumes", "/CodeSystem/$subsumes", url.Values{"system": {fhirterm.System}, "codeA": {id(asthma)}, "codeB": {id(childAsthma)}, "version": {""}}},
		{"CodeSystem-validate-code", "/CodeSystem/$validate-code", url.Values{"url": {fhirterm.System}, "code": {id(asthma)}, "display": {"Asthma"}, "displayLanguage": {"en-GB"}}},
		{"CodeSystem-validate-code", "/CodeSystem/$validate-code", url.Values{"url": {fhirterm.System}, "code": {id(asthma)}, "display": {"Wrong"}}},
		{"ValueSet-validate-code", "/ValueSet/$validate-code", url.Values{"url": {vsURL("isa/" + id(disease))}, "system": {fhirterm.System}, "code": {id(asthma)}, "displayLanguage": {"en-GB"}}},
		{"ValueSet-validate-code", "/ValueSet/$validate-code", url.Values{"url": {vsURL("isa/" + id(disease))}, "system": {fhirterm.System}, "code": {id(procedure)}}},
		{"ValueSet-expand", "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(disease))}, "filter": {"asth"}, "count": {"2"}, "offset": {"0"}, "activeOnly": {"true"}, "includeDesignations": {"true"}, "displayLanguage": {"en-GB"}}},
	} {
		t.Run(tc.def, func(t *testing.T) {
			def := defs[tc.def]
			for name := range tc.q {
				_, ok := find(def, "in", name)
				assert.True(t, ok, "input %q is not in %s", name, tc.def)
			}
			status, res := get(t, h, tc.path, tc.q)
			require.Equal(t, http.StatusOK, status)
			if tc.def == "ValueSet-expand" {
				// The single out parameter "return" of type ValueSet is the
				// resource itself.
				d, _ := find(def, "out", "return")
				assert.Equal(t, "ValueSet", d.Type)
				_, ok := res.(*fhir.ValueSet)
				assert.True(t, ok)
				assert.Nil(t, fhir.Validate(res))
				return
			}
			checkOut(t, tc.def, def, params(t, res).Parameter)
		})
	}
	// POST forms send the same names, including the typed ones.
	for _, name := range []string{"coding", "codeableConcept", "valueSet"} {
		_, ok := find(defs["ValueSet-validate-code"], "in", name)
		assert.True(t, ok, name)
	}
	for _, name := range []string{"codingA", "codingB"} {
		_, ok := find(defs["CodeSystem-subsumes"], "in", name)
		assert.True(t, ok, name)
	}
}
