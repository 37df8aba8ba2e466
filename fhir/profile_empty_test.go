package fhir

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ruleExpressions gives the expressions of oo's issues of rule, in order.
func ruleExpressions(oo *OperationOutcome, rule string) []string {
	var out []string
	if oo == nil {
		return nil
	}
	for _, is := range oo.Issue {
		if is.Details != nil && is.Details.Text.Value == rule && len(is.Expression) > 0 {
			out = append(out, is.Expression[0].Value)
		}
	}
	return out
}

// An element given with nothing in it (JSON {} or "_name": {}, an XML
// element with no value and no children) fails ele-1 where it stands,
// though the model leaves it out of Marshal's output and of the tree;
// one that holds only empty elements is not reported itself, as the HL7
// validator's element model has it (the empty ones are its children).
func TestValidateProfilesEmptyElements(t *testing.T) {
	const narrative = `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}`
	tests := []struct {
		name, json string
		want       []string // expressions of the ele-1 issues
	}{
		{"no empty element", `{"resourceType":"Patient",` + narrative + `,"name":[{"family":"A"}]}`, nil},
		{"a resource with nothing but its type", `{"resourceType":"Patient"}`, nil},
		{"array item", `{"resourceType":"Patient","name":[{}]}`, []string{"Patient.name[0]"}},
		{"second array item", `{"resourceType":"Patient","name":[{"family":"A"},{}]}`, []string{"Patient.name[1]"}},
		{"single element", `{"resourceType":"Patient","meta":{}}`, []string{"Patient.meta"}},
		{"holding only an empty element", `{"resourceType":"Patient","name":[{"period":{}}]}`, []string{"Patient.name[0].period"}},
		{"two", `{"resourceType":"Patient","maritalStatus":{},"contact":[{"name":{"family":"F"}},{"name":{}}]}`, []string{"Patient.maritalStatus", "Patient.contact[1].name"}},
		{"string primitive's extension part", `{"resourceType":"Patient","_gender":{}}`, []string{"Patient.gender"}},
		{"boolean primitive's extension part", `{"resourceType":"Patient","_active":{}}`, []string{"Patient.active"}},
		{"repeating primitive, every item empty", `{"resourceType":"Patient","name":[{"family":"A","_given":[{},{}]}]}`, []string{"Patient.name[0].given[0]", "Patient.name[0].given[1]"}},
		{"repeating primitive, one item empty", `{"resourceType":"Patient","name":[{"family":"A","given":["B",null],"_given":[null,{}]}]}`, []string{"Patient.name[0].given[1]"}},
		{"empty extension of a primitive", `{"resourceType":"Patient","_gender":{"extension":[{}]}}`, []string{"Patient.gender.extension[0]"}},
		{"choice string", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"_valueString":{}}`, []string{"Observation.value"}},
		{"choice boolean", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"_valueBoolean":{}}`, []string{"Observation.value"}},
		{"choice complex", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{}}`, []string{"Observation.value"}},
		{"contained", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","address":[{}]}],"managingOrganization":{"reference":"#o"}}`, []string{"Patient.contained[0].address[0]"}},
		{"bundle entry", `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:0c4a4d4e-8e0b-4a39-9d84-0cbd0ee0a5e1","resource":{"resourceType":"Patient","telecom":[{}]}}]}`, []string{"Bundle.entry[0].resource.telecom[0]"}},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Unmarshal([]byte(tc.json))
			require.NoError(t, err)
			oo, err := ValidateProfiles(ctx, r, ValidateOptions{})
			require.NoError(t, err)
			assert.Equal(t, tc.want, ruleExpressions(oo, "ele-1"), "typed tree")
			if oo == nil {
				oo = &OperationOutcome{}
			}
			for _, is := range oo.Issue {
				if is.Details != nil && is.Details.Text.Value == "ele-1" {
					assert.Equal(t, SeverityError, is.Severity.Value)
					assert.Equal(t, IssueInvariant, is.Code.Value)
					assert.Contains(t, is.Diagnostics.Value, "must have a @value or children")
				}
			}
			ref, err := ValidateProfiles(ctx, r, ValidateOptions{viaJSON: true})
			require.NoError(t, err)
			assert.Equal(t, tc.want, ruleExpressions(ref, "ele-1"), "tree of Marshal's output")

			suppressed, err := ValidateProfiles(ctx, r, ValidateOptions{Suppress: []string{"ele-1"}})
			require.NoError(t, err)
			assert.Empty(t, ruleExpressions(suppressed, "ele-1"))

			// the same document as XML: the element is there with nothing in it
			x, err := JSONToXML([]byte(tc.json))
			require.NoError(t, err)
			xoo, err := ValidateBytes(ctx, x, ValidateOptions{})
			require.NoError(t, err)
			assert.Equal(t, tc.want, ruleExpressions(xoo, "ele-1"), "XML %s", x)
		})
	}

	// built in Go: an item or a pointer set to an empty value
	p := &Patient{
		Name:    []HumanName{{Family: String{Value: "A"}}, {}},
		Address: []Address{{City: String{Value: "Leeds"}, Period: &Period{}}},
		Gender:  Code{Elem: &Element{}},
	}
	oo, err := ValidateProfiles(ctx, p, ValidateOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Patient.name[1]", "Patient.gender", "Patient.address[0].period"}, ruleExpressions(oo, "ele-1"))

	// the issue limit holds
	oo, err = ValidateProfiles(ctx, p, ValidateOptions{MaxIssues: 2})
	require.NoError(t, err)
	assert.Len(t, oo.Issue, 2)
}

// FHIR JSON leaves out a property with no values: ValidateBytes reports
// an empty array (rule json-empty-array, an error as the HL7 validator's
// JsonParser has it) at its property, with its line and column.
func TestValidateBytesJSONEmptyArray(t *testing.T) {
	const narrative = `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">[ ] and [] are text</div>"}`
	tests := []struct {
		name, json string
		want       []string // expressions of the json-empty-array issues
	}{
		{"none", `{"resourceType":"Patient",` + narrative + `,"name":[{"family":"A","given":["B"]}]}`, nil},
		{"brackets in a string only", `{"resourceType":"Patient",` + narrative + `,"name":[{"family":"[]"}]}`, nil},
		{"resource element", `{"resourceType":"Patient","name":[]}`, []string{"Patient.name"}},
		{"white space inside", "{\"resourceType\":\"Patient\",\"name\":[ \n\t]}", []string{"Patient.name"}},
		{"inside an item", `{"resourceType":"Patient","name":[{"family":"A"},{"family":"B","given":[]}]}`, []string{"Patient.name[1].given"}},
		{"first item keeps its index", `{"resourceType":"Patient","name":[{"family":"A","given":[]}]}`, []string{"Patient.name[0].given"}},
		{"primitive extension part", `{"resourceType":"Patient","name":[{"family":"A","_given":[]}]}`, []string{"Patient.name[0].given"}},
		{"inside a choice, inside a contained resource", `{"resourceType":"Patient","contained":[{"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"},"valueCodeableConcept":{"coding":[],"text":"t"}}],"link":[{"other":{"reference":"#o"},"type":"seealso"}],"extension":[]}`, []string{"Patient.contained[0].value.coding", "Patient.extension"}},
		{"bundle entry resource", `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:0c4a4d4e-8e0b-4a39-9d84-0cbd0ee0a5e1","resource":{"resourceType":"Patient","address":[{"line":[]}]}}]}`, []string{"Bundle.entry[0].resource.address[0].line"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkBytesRule(t, []byte(tc.json), RuleJSONEmptyArray, tc.want) })
	}

	// placed at its property's key; the issue limit holds, the check not
	// run once it is reached
	checkJSONRulePlaced(t, RuleJSONEmptyArray,
		"{\n  \"resourceType\": \"Patient\",\n  \"name\": [\n    {\"family\": \"A\", \"given\": [ ]}\n  ]\n}\n",
		`"given"`, "Patient.name[0].given")
	checkIssueLimit(t, `{"resourceType":"Patient","name":[],"telecom":[]}`, 2)
}

// An object with no members ({} or "_name": {}) is reported by the HL7
// validator's JsonParser as well as failing ele-1: ValidateBytes reports it
// (rule json-empty-object) where ValidateProfiles finds ele-1 for an
// element given empty, with its line and column.
func TestValidateBytesJSONEmptyObject(t *testing.T) {
	const narrative = `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">{ } and {} are text</div>"}`
	tests := []struct {
		name, json string
		want       []string // expressions of the json-empty-object issues
	}{
		{"none", `{"resourceType":"Patient",` + narrative + `,"name":[{"family":"A"}]}`, nil},
		{"braces in a string only", `{"resourceType":"Patient",` + narrative + `,"name":[{"family":"{}"}]}`, nil},
		{"complex element", `{"resourceType":"Patient","maritalStatus":{}}`, []string{"Patient.maritalStatus"}},
		{"white space inside", "{\"resourceType\":\"Patient\",\"maritalStatus\":{ \n\t}}", []string{"Patient.maritalStatus"}},
		{"array items", `{"resourceType":"Patient","name":[{},{"family":"A"},{}]}`, []string{"Patient.name[0]", "Patient.name[2]"}},
		{"only the innermost", `{"resourceType":"Patient","maritalStatus":{"coding":[{}]}}`, []string{"Patient.maritalStatus.coding[0]"}},
		{"primitive extension part", `{"resourceType":"Patient","_birthDate":{}}`, []string{"Patient.birthDate"}},
		{"primitive extension part beside a value", `{"resourceType":"Patient","birthDate":"2000-01-01","_birthDate":{}}`, []string{"Patient.birthDate"}},
		{"primitive array extension parts", `{"resourceType":"Patient","name":[{"given":["A","B"],"_given":[null,{}]},{"_given":[{}]}]}`, []string{"Patient.name[0].given[1]", "Patient.name[1].given[0]"}},
		{"inside a primitive extension part", `{"resourceType":"Patient","birthDate":"2000-01-01","_birthDate":{"extension":[{"url":"http://example.org/x","valueString":"a"},{}]}}`, []string{"Patient.birthDate.extension[1]"}},
		{"a choice inside a primitive extension part", `{"resourceType":"Patient","birthDate":"2000-01-01","_birthDate":{"extension":[{"url":"http://example.org/x","valueCodeableConcept":{}}]}}`, []string{"Patient.birthDate.extension[0].value"}},
		{"an unknown element inside a primitive extension part", `{"resourceType":"Patient","birthDate":"2000-01-01","_birthDate":{"extension":[{"url":"http://example.org/x","valueString":"a","nickname":{}}]}}`, nil},
		{"a choice", `{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueCodeableConcept":{}}]}`, []string{"Patient.extension[0].value"}},
		{"a member that is an empty array", `{"resourceType":"Patient","maritalStatus":{"coding":[]}}`, nil},
		{"an unknown element", `{"resourceType":"Patient","nickname":{}}`, nil},
		{"inside a contained resource", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","type":[{}]}],"managingOrganization":{"reference":"#o"}}`, []string{"Patient.contained[0].type[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkBytesRule(t, []byte(tc.json), RuleJSONEmptyObject, tc.want) })
	}

	// placed at its element's key; the issue limit holds
	checkJSONRulePlaced(t, RuleJSONEmptyObject,
		"{\n  \"resourceType\": \"Patient\",\n  \"maritalStatus\": {\n  }\n}\n",
		`"maritalStatus"`, "Patient.maritalStatus")
	checkIssueLimit(t, `{"resourceType":"Patient","maritalStatus":{},"name":[{}]}`, 3)
}

// After an element left out for having nothing in it, the issues of its
// siblings name them by the index the input gives them, in ValidateProfiles
// and in ValidateBytes' positions.
func TestValidateProfilesIndexAfterEmptyElement(t *testing.T) {
	ctx := context.Background()
	data := []byte("{\"resourceType\":\"Patient\",\n\"name\":[{},\n{\"family\":\"A\"},\n{\"period\":{\"start\":\"2020-01-02\",\"end\":\"2020-01-01\"}},\n{\"period\":{}},\n{\"family\":\"B\",\"period\":{\"start\":\"2021-01-02\",\"end\":\"2021-01-01\"}}],\n\"contact\":[{\"name\":{}},{\"telecom\":[{},{\"value\":\"01632 960587\"}]}]}")
	r, err := Unmarshal(data)
	require.NoError(t, err)
	oo, err := ValidateProfiles(ctx, r, ValidateOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Patient.name[0]", "Patient.name[3].period", "Patient.contact[0].name", "Patient.contact[1].telecom[0]"}, ruleExpressions(oo, "ele-1"))
	assert.Equal(t, []string{"Patient.name[2].period", "Patient.name[4].period"}, ruleExpressions(oo, "per-1"))
	assert.Equal(t, []string{"Patient.contact[1].telecom[1]"}, ruleExpressions(oo, "cpt-2"))

	oo, err = ValidateBytes(ctx, data, ValidateOptions{})
	require.NoError(t, err)
	var lines []int64
	for _, is := range oo.Issue {
		if is.Details != nil && is.Details.Text.Value == "per-1" {
			line, _, _ := issuePosition(t, is)
			lines = append(lines, line)
		}
	}
	assert.Equal(t, []int64{4, 6}, lines)
}

// An unknown element given as {} is reported as unknown (Validate) and
// fails ele-1 once: the invariants of the type Element, which its node
// has, are every element's ele-1, not a second check.
func TestValidateProfilesUnknownEmptyElementOnce(t *testing.T) {
	for _, src := range []string{
		`{"resourceType":"Patient","nickname":{}}`,
		`{"resourceType":"Patient","name":[{"family":"A"}],"nickname":{"a":{}}}`,
	} {
		r, err := Unmarshal([]byte(src))
		require.NoError(t, err)
		oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
		require.NoError(t, err)
		assert.Len(t, ruleExpressions(oo, "ele-1"), 1, src)
	}
}

// An XML element with no attribute, text or child (<maritalStatus/>) is
// reported by the HL7 validator's XmlParser as well as failing ele-1:
// ValidateBytes reports it (rule xml-empty-element) at its FHIRPath, with
// its line and column; the published UK Core examples have none.
func TestValidateBytesXMLEmptyElement(t *testing.T) {
	const ns = `<Patient xmlns="http://hl7.org/fhir">`
	tests := []struct {
		name, xml string
		want      []string // expressions of the xml-empty-element issues
	}{
		{"none", ns + `<name><family value="A"/></name></Patient>`, nil},
		{"complex element", ns + `<maritalStatus/></Patient>`, []string{"Patient.maritalStatus"}},
		{"white space only", ns + "<maritalStatus>\n  </maritalStatus></Patient>", []string{"Patient.maritalStatus"}},
		{"repeated element", ns + `<name><family value="A"/></name><name/></Patient>`, []string{"Patient.name[1]"}},
		{"primitive", ns + `<name><given value="A"/><given/></name><birthDate/></Patient>`, []string{"Patient.name[0].given[1]", "Patient.birthDate"}},
		{"only the innermost", ns + `<maritalStatus><coding/></maritalStatus></Patient>`, []string{"Patient.maritalStatus.coding[0]"}},
		{"an id is something", ns + `<birthDate id="b"/></Patient>`, nil},
		{"a choice", ns + `<extension url="http://example.org/x"><valueCodeableConcept/></extension></Patient>`, []string{"Patient.extension[0].value"}},
		{"inside a contained resource", ns + `<contained><Organization><id value="o"/><type/></Organization></contained><managingOrganization><reference value="#o"/></managingOrganization></Patient>`, []string{"Patient.contained[0].type[0]"}},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkBytesRule(t, []byte(tc.xml), RuleXMLEmptyElement, tc.want)
			// each fails ele-1 as well
			oo, err := ValidateBytes(ctx, []byte(tc.xml), ValidateOptions{})
			require.NoError(t, err)
			assert.Subset(t, ruleExpressions(oo, "ele-1"), tc.want)
		})
	}

	// placed at the element
	data := []byte(ns + "\n  <active value=\"true\"/>\n  <maritalStatus/>\n</Patient>\n")
	oo, err := ValidateBytes(ctx, data, ValidateOptions{})
	require.NoError(t, err)
	line, _, loc := issuePosition(t, findRule(t, oo, RuleXMLEmptyElement))
	wl, _ := lineCol(data, bytes.Index(data, []byte("<maritalStatus")))
	assert.Equal(t, int64(wl), line)
	assert.Equal(t, "Patient.maritalStatus", loc[0])

	// the published examples give none
	examples := ukcoreExamplesXML(t)
	for _, f := range slices.Sorted(maps.Keys(examples)) {
		assert.Empty(t, xmlEmptyIssues(xmlOutline(t, examples[f])), f)
	}
}

// checkBytesRule: ValidateBytes on data gives the issues of rule at want,
// each an error of type invalid, none when rule is suppressed, and the
// same ele-1 issues either way.
func checkBytesRule(t *testing.T, data []byte, rule string, want []string) {
	t.Helper()
	ctx := context.Background()
	oo, err := ValidateBytes(ctx, data, ValidateOptions{})
	require.NoError(t, err)
	assert.Equal(t, want, ruleExpressions(oo, rule))
	if want == nil {
		return
	}
	is := findRule(t, oo, rule)
	assert.Equal(t, SeverityError, is.Severity.Value)
	assert.Equal(t, IssueTypeInvalid, is.Code.Value)
	suppressed, err := ValidateBytes(ctx, data, ValidateOptions{Suppress: []string{rule}})
	require.NoError(t, err)
	assert.Empty(t, ruleExpressions(suppressed, rule))
	assert.Equal(t, ruleExpressions(oo, "ele-1"), ruleExpressions(suppressed, "ele-1"))
}

// checkJSONRulePlaced: ValidateBytes on data gives an issue of rule at
// the line and column of the first key and at the expression loc.
func checkJSONRulePlaced(t *testing.T, rule, data, key, loc string) {
	t.Helper()
	oo, err := ValidateBytes(context.Background(), []byte(data), ValidateOptions{})
	require.NoError(t, err)
	line, col, got := issuePosition(t, findRule(t, oo, rule))
	wl, wc := lineCol([]byte(data), strings.Index(data, key))
	assert.Equal(t, [2]int64{int64(wl), int64(wc)}, [2]int64{line, col})
	assert.Equal(t, loc, got[0])
}

// checkIssueLimit: ValidateBytes on data with MaxIssues max gives max
// issues.
func checkIssueLimit(t *testing.T, data string, max int) {
	t.Helper()
	oo, err := ValidateBytes(context.Background(), []byte(data), ValidateOptions{MaxIssues: max})
	require.NoError(t, err)
	assert.Len(t, oo.Issue, max)
}
