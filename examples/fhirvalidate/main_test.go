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
	nd := write(t, "x.ndjson", `{"resourceType":"Patient"}`+"\n"+`{"resourceType":"Patient","birthDate":"2020-13"}`+"\n")
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

	errOut.Reset()
	assert.Equal(t, 2, run([]string{broken}, &out, &errOut))
	assert.Contains(t, errOut.String(), "unexpected end of input")
	assert.Equal(t, 2, run(nil, &out, &errOut))
}
