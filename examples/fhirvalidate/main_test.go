package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	valid := write(t, "ok.json", `{"resourceType":"Patient","gender":"female"}`)
	invalid := write(t, "bad.json", `{"resourceType":"Patient","gender":"F"}`)
	xml := write(t, "p.xml", `<Patient xmlns="http://hl7.org/fhir"><gender value="male"/></Patient>`)
	nd := write(t, "x.ndjson", `{"resourceType":"Patient"}`+"\n"+`{"resourceType":"Patient","birthDate":"2020-13"}`+"\n"+`{"resourceType":"Patient",`+"\n"+`{"resourceType":"Patient","gender":"male"}`+"\n")
	broken := write(t, "broken.json", `{"resourceType":"Patient",`)

	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run([]string{valid, xml}, &out, &errOut))
	assert.Contains(t, out.String(), "ok.json: Patient valid")
	assert.Contains(t, out.String(), "p.xml: Patient valid")

	out.Reset()
	assert.Equal(t, 1, run([]string{"-q", valid, invalid, nd}, &out, &errOut))
	assert.NotContains(t, out.String(), "ok.json")
	assert.Contains(t, out.String(), `"expression":["Patient.gender"]`)
	assert.Contains(t, out.String(), "x.ndjson#2")

	// One bad NDJSON line is reported on its own; the lines after it are
	// still read.
	assert.Contains(t, out.String(), `x.ndjson#3: {"resourceType":"OperationOutcome"`)
	out.Reset()
	assert.Equal(t, 1, run([]string{nd}, &out, &errOut))
	assert.Contains(t, out.String(), "x.ndjson#4: Patient valid")

	// A file that does not decode gives an OperationOutcome too.
	out.Reset()
	assert.Equal(t, 1, run([]string{broken}, &out, &errOut))
	assert.Contains(t, out.String(), `broken.json: {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"structure","diagnostics":"fhir: Patient: unexpected end of input`)
	evil := write(t, "evil.json", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script/></div>"}}`)
	out.Reset()
	assert.Equal(t, 1, run([]string{evil}, &out, &errOut))
	assert.Contains(t, out.String(), `"expression":["Patient.text.div"]`)

	errOut.Reset()
	assert.Equal(t, 2, run([]string{filepath.Join(t.TempDir(), "missing.json")}, &out, &errOut))
	assert.Equal(t, 2, run(nil, &out, &errOut))
}
