package fhir

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineCol gives the 1-based line and byte column of offset off.
func lineCol(data []byte, off int) (int, int) {
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, off - start + 1
}

func issuePosition(t *testing.T, is OperationOutcomeIssue) (line, col int64, loc []string) {
	t.Helper()
	for _, e := range is.Extension {
		v, _ := e.Value.(*Integer)
		require.NotNil(t, v, "%s has no integer", e.URL.Value)
		switch e.URL.Value {
		case ExtIssueLine:
			line = v.Value
		case ExtIssueCol:
			col = v.Value
		}
	}
	for _, l := range is.Location {
		loc = append(loc, l.Value)
	}
	return line, col, loc
}

func findRule(t *testing.T, oo *OperationOutcome, rule string) OperationOutcomeIssue {
	t.Helper()
	require.NotNil(t, oo)
	for _, is := range oo.Issue {
		if is.Details != nil && is.Details.Text.Value == rule {
			return is
		}
	}
	t.Fatalf("no %s issue in %+v", rule, oo.Issue)
	return OperationOutcomeIssue{}
}

func TestValidateBytesPositionsJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "profiles", "binding-birthsex-x.json"))
	require.NoError(t, err)
	oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	is := findRule(t, oo, RuleBinding)
	line, col, loc := issuePosition(t, is)
	wl, wc := lineCol(data, bytes.Index(data, []byte(`"valueCodeableConcept"`)))
	assert.Equal(t, int64(wl), line)
	assert.Equal(t, int64(wc), col)
	assert.Equal(t, []string{"Patient.extension[0].value", "Line[" + itoa(wl) + "] Col[" + itoa(wc) + "]"}, loc)

	// an absent element: the position of the element above it
	data, err = os.ReadFile(filepath.Join("testdata", "profiles", "slice-lab-category-missing.json"))
	require.NoError(t, err)
	oo, err = ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	line, col, _ = issuePosition(t, findRule(t, oo, RuleSlicing))
	wl, wc = lineCol(data, bytes.Index(data, []byte(`"category"`)))
	assert.Equal(t, [2]int64{int64(wl), int64(wc)}, [2]int64{line, col})
}

func TestValidateBytesPositionsXML(t *testing.T) {
	js, err := os.ReadFile(filepath.Join("testdata", "profiles", "binding-nhsnumber-status-99.json"))
	require.NoError(t, err)
	data, err := JSONToXML(js)
	require.NoError(t, err)
	data = bytes.ReplaceAll(data, []byte("><"), []byte(">\n<"))
	oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	line, col, loc := issuePosition(t, findRule(t, oo, RuleBinding))
	tag := []byte("<valueCodeableConcept>")
	wl, wc := lineCol(data, bytes.Index(data, tag)+len(tag))
	assert.Equal(t, [2]int64{int64(wl), int64(wc)}, [2]int64{line, col}, "%s", data)
	assert.Equal(t, "Patient.identifier[0].extension[0].value", loc[0])
}

// FHIR XML must have its elements in definition order: ValidateBytes
// reports, in each element, the first child out of it (rule xml-order), at
// its line; of the 215 UK Core examples (published XML), three have one.
func TestValidateBytesXMLOrder(t *testing.T) {
	const ns = `<Patient xmlns="http://hl7.org/fhir">`
	tests := []struct {
		name, xml string
		want      []string // expressions of the xml-order issues
	}{
		{"in order", ns + "\n<id value=\"p\"/>\n<active value=\"true\"/>\n<gender value=\"female\"/>\n</Patient>", nil},
		{"resource elements", ns + "\n<gender value=\"female\"/>\n<active value=\"true\"/>\n</Patient>", []string{"Patient.active"}},
		{"data type elements", ns + "\n<name>\n<given value=\"A\"/>\n<family value=\"B\"/>\n</name>\n</Patient>", []string{"Patient.name[0].family"}},
		{"one per element", ns + "\n<name>\n<given value=\"A\"/>\n<family value=\"B\"/>\n</name>\n<name>\n<given value=\"C\"/>\n<use value=\"usual\"/>\n</name>\n<gender value=\"male\"/>\n<active value=\"true\"/>\n<id value=\"p\"/>\n</Patient>",
			[]string{"Patient.active", "Patient.name[0].family", "Patient.name[1].use"}},
		{"extension value before its extensions", ns + "\n<extension url=\"http://example.org/a\">\n<valueString value=\"x\"/>\n<extension url=\"b\">\n<valueString value=\"y\"/>\n</extension>\n</extension>\n</Patient>", []string{"Patient.extension[0].extension[0]"}},
		{"contained resource", ns + "\n<contained>\n<Organization>\n<name value=\"O\"/>\n<id value=\"o\"/>\n</Organization>\n</contained>\n</Patient>", []string{"Patient.contained[0].id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oo, err := ValidateBytes(context.Background(), []byte(tt.xml), ValidateOptions{})
			require.NoError(t, err)
			var got []string
			if oo != nil {
				for _, is := range oo.Issue {
					if is.Details == nil || is.Details.Text.Value != RuleXMLOrder {
						continue
					}
					assert.Equal(t, SeverityError, is.Severity.Value)
					got = append(got, is.Expression[0].Value)
					line, _, _ := issuePosition(t, is)
					el := is.Expression[0].Value[strings.LastIndexByte(is.Expression[0].Value, '.')+1:]
					el = strings.TrimSuffix(el, "[0]")
					wl, _ := lineCol([]byte(tt.xml), bytes.LastIndex([]byte(tt.xml), []byte("<"+el+" ")))
					if !strings.Contains(tt.xml, "<"+el+" ") {
						wl, _ = lineCol([]byte(tt.xml), bytes.LastIndex([]byte(tt.xml), []byte("<"+el+">")))
					}
					assert.Equal(t, int64(wl), line, "%s", is.Expression[0].Value)
				}
			}
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
			oo, err = ValidateBytes(context.Background(), []byte(tt.xml), ValidateOptions{Suppress: []string{RuleXMLOrder}})
			require.NoError(t, err)
			if oo != nil {
				for _, is := range oo.Issue {
					assert.False(t, is.Details != nil && is.Details.Text.Value == RuleXMLOrder)
				}
			}
		})
	}
	// three published UK Core examples have an element out of order
	outOfOrder := map[string]string{
		"Extension-UKCore-CodingSCT-IllicitDrugs-Example.xml": "Observation.text",                                   // after status
		"UKCore-Observation-Lab-Albumin-Example.xml":          "Observation.meta",                                   // after text
		"UKCore-Questionnaire-EOLPlan-Example.xml":            "Questionnaire.item[0].item[0].item[0].extension[0]", // after linkId
	}
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, 215)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var got []string
		for _, is := range xmlOrderIssues(data) {
			got = append(got, is.Expression[0].Value)
		}
		if want, ok := outOfOrder[filepath.Base(f)]; ok {
			assert.Equal(t, []string{want}, got, f)
		} else {
			assert.Empty(t, got, f)
		}
	}
}

// Every issue on every corpus instance, as JSON and as XML, gets a position.
func TestValidateBytesEveryIssuePlaced(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "profiles", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		js, err := os.ReadFile(f)
		require.NoError(t, err)
		x, err := JSONToXML(js)
		require.NoError(t, err)
		for _, data := range [][]byte{js, x} {
			oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
			require.NoError(t, err)
			require.NotNil(t, oo, f)
			for _, is := range oo.Issue {
				line, col, _ := issuePosition(t, is)
				assert.True(t, line > 0 && col > 0, "%s: %s at %s has no position", filepath.Base(f), is.Diagnostics.Value, is.Expression[0].Value)
			}
		}
	}
}

func TestValidateBytesBadInput(t *testing.T) {
	_, err := ValidateBytes(context.Background(), []byte("{\n \"resourceType\": \"Patient\",\n \"gender\": 3\n}"), ValidateOptions{})
	var de *DecodeError
	require.True(t, errors.As(err, &de), "%v", err)
	_, err = ValidateBytes(context.Background(), []byte(`<Patient xmlns="http://hl7.org/fhir"><gender value="female"></Patient>`), ValidateOptions{})
	var xe *XMLError
	require.True(t, errors.As(err, &xe), "%v", err)
	assert.Positive(t, xe.Line)
	_, err = ValidateBytes(context.Background(), nil, ValidateOptions{})
	require.Error(t, err)
}

// FuzzValidateBytes: any input gives an outcome or an error, never a panic.
func FuzzValidateBytes(f *testing.F) {
	for _, n := range []string{"binding-birthsex-x.json", "slice-bp-component-closed.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "profiles", n))
		require.NoError(f, err)
		f.Add(data)
		if x, err := JSONToXML(data); err == nil {
			f.Add(x)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ValidateBytes(context.Background(), data, ValidateOptions{MaxIssues: 50})
	})
}

// A published UK Core example in XML: the NHS number that fails modulus
// 11 is placed on the line of its <value> element.
func TestValidateBytesUKCoreExampleXML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ukcoreDir, "examples", "UKCore-Patient-BabyPatient-Example.xml"))
	require.NoError(t, err, "the UK Core examples must be in %s", ukcoreDir)
	oo, err := ValidateBytes(context.Background(), data, ValidateOptions{})
	require.NoError(t, err)
	require.NotNil(t, oo)
	var got []string
	for _, is := range oo.Issue {
		if is.Severity.Value != SeverityError {
			continue
		}
		line, col, _ := issuePosition(t, is)
		got = append(got, is.Expression[0].Value+" "+itoa(int(line))+":"+itoa(int(col)))
	}
	off := bytes.Index(data, []byte(`<value value="9912003890" />`))
	require.Positive(t, off)
	wl, wc := lineCol(data, off+len(`<value value="9912003890" />`))
	assert.Equal(t, []string{"Patient.identifier[0].value " + itoa(wl) + ":" + itoa(wc)}, got)
}
