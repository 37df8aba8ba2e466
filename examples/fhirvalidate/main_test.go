package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const narrative = `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">synthetic</div>"}`

func TestRun(t *testing.T) {
	valid := write(t, "ok.json", `{"resourceType":"Patient",`+narrative+`,"gender":"female"}`)
	invalid := write(t, "bad.json", "{\"resourceType\":\"Patient\",\n  \"gender\":\"F\"}")
	xml := write(t, "p.xml", `<?xml version="1.0"?><Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">synthetic</div></text><gender value="male"/></Patient>`)
	nd := write(t, "x.ndjson", `{"resourceType":"Patient",`+narrative+`}`+"\n"+`{"resourceType":"Patient","birthDate":"2020-13"}`+"\n"+`{"resourceType":"Patient",`+"\n"+`{"resourceType":"Patient",`+narrative+`,"gender":"male"}`+"\n")
	broken := write(t, "broken.json", `{"resourceType":"Patient",`)

	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run([]string{valid, xml}, &out, &errOut))
	assert.Contains(t, out.String(), "ok.json: Patient valid\n")
	assert.Contains(t, out.String(), "p.xml: Patient valid\n")

	// each issue on its line, placed by line and column in a JSON file
	out.Reset()
	assert.Equal(t, 1, run([]string{"-q", valid, invalid, nd}, &out, &errOut))
	assert.NotContains(t, out.String(), "ok.json")
	assert.Contains(t, out.String(), "bad.json: Patient invalid (1 error, 1 warning)\n")
	assert.Contains(t, out.String(), "  error Patient.gender Line[2] Col[3]: the code \"F\" is not in the required value set")
	assert.Contains(t, out.String(), "  warning dom-6 Patient Line[1] Col[1]: Constraint failed: dom-6")
	assert.Contains(t, out.String(), "x.ndjson#2: Patient invalid")

	// One bad NDJSON line is reported on its own; the lines after it are
	// still read.
	assert.Contains(t, out.String(), "x.ndjson#3: resource invalid (1 error)\n")
	out.Reset()
	assert.Equal(t, 1, run([]string{nd}, &out, &errOut))
	assert.Contains(t, out.String(), "x.ndjson#4: Patient valid")

	// -json prints the OperationOutcome; a file that does not decode
	// gives one too.
	out.Reset()
	assert.Equal(t, 1, run([]string{"-json", broken}, &out, &errOut))
	assert.Contains(t, out.String(), `broken.json: {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"structure","diagnostics":"fhir: Patient: unexpected end of input`)
	evil := write(t, "evil.json", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script/></div>"}}`)
	out.Reset()
	assert.Equal(t, 1, run([]string{"-json", evil}, &out, &errOut))
	assert.Contains(t, out.String(), `"expression":["Patient.text.div"]`)

	// profiles: the ones claimed, or one named; -base checks structure only
	claims := write(t, "claims.json", `{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},`+narrative+`,"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-BirthSex","valueCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/administrative-gender","code":"X"}]}}]}`)
	out.Reset()
	assert.Equal(t, 1, run([]string{claims}, &out, &errOut))
	assert.Contains(t, out.String(), "Patient.extension[0].value")
	out.Reset()
	assert.Equal(t, 0, run([]string{"-base", claims}, &out, &errOut))
	assert.Contains(t, out.String(), "claims.json: Patient valid")
	unclaimed := write(t, "unclaimed.json", `{"resourceType":"Patient",`+narrative+`,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"}]}`)
	out.Reset()
	assert.Equal(t, 0, run([]string{unclaimed}, &out, &errOut))
	out.Reset()
	assert.Equal(t, 1, run([]string{"-profile", "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient", unclaimed}, &out, &errOut))
	assert.Contains(t, out.String(), "Patient.identifier")

	// -max limits the issues of each resource
	out.Reset()
	assert.Equal(t, 1, run([]string{"-max", "1", invalid}, &out, &errOut))
	assert.Contains(t, out.String(), "(1 error)")

	errOut.Reset()
	assert.Equal(t, 2, run([]string{filepath.Join(t.TempDir(), "missing.json")}, &out, &errOut))
	assert.Equal(t, 2, run(nil, &out, &errOut))
	assert.Equal(t, 2, run([]string{"-snomed", filepath.Join(t.TempDir(), "missing.db"), valid}, &out, &errOut))
}

// -snomed opens the store and validation asks it about SNOMED CT
// bindings: R4's openEHR-location extension binds body-site (is-a
// 442083009), which the synthetic release does not hold, so the answer is
// not known and the code is not judged (snomed/fhirterm's tests hold the
// answers over a release that has it).
func TestRunSNOMED(t *testing.T) {
	dir := t.TempDir()
	_, err := snomedtest.Generate(filepath.Join(dir, "rel"), snomedtest.Tiny)
	require.NoError(t, err)
	require.NoError(t, snomed.Import(context.Background(), filepath.Join(dir, "rel"), filepath.Join(dir, "store.db")))
	f := write(t, "allergy.json", `{"resourceType":"AllergyIntolerance",`+narrative+`,
	  "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
	  "patient":{"reference":"Patient/a"},
	  "reaction":[{"manifestation":[{"text":"rash"}],"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/openEHR-location",
	    "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"39057004"}]}}]}]}`)
	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run([]string{"-snomed", filepath.Join(dir, "store.db"), f}, &out, &errOut), out.String()+errOut.String())
	assert.True(t, strings.HasSuffix(out.String(), "allergy.json: AllergyIntolerance valid\n"), out.String())
}
