package fhir

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Complex pattern and fixed values (R4 ElementDefinition.pattern[x],
// fixed[x]): a pattern's array items each match some instance item, in
// any order, and the instance may hold more; a fixed value is the
// instance exactly.
func TestMatchTree(t *testing.T) {
	n, err := NodeFromJSON([]byte(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://snomed.info/sct","code":"364075005"},{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"HR"}}`))
	require.NoError(t, err)
	code := n.first("code")
	require.NotNil(t, code)
	cc := func(items ...[2]string) []patternNode {
		var out []patternNode
		for _, it := range items {
			out = append(out, patternNode{Name: "coding", Kids: []patternNode{{Name: "system", Value: it[0]}, {Name: "code", Value: it[1]}}})
		}
		return out
	}
	loinc, sct := [2]string{"http://loinc.org", "8867-4"}, [2]string{"http://snomed.info/sct", "364075005"}
	assert.True(t, matchTree(code, cc(loinc), false), "one pattern item, matched by the second instance item")
	assert.True(t, matchTree(code, cc(loinc, sct), false), "items in another order")
	assert.False(t, matchTree(code, cc([2]string{"http://loinc.org", "8310-5"}), false))
	// the same system and code, but in two different codings: no match
	assert.False(t, matchTree(code, cc([2]string{"http://loinc.org", "364075005"}), false))
	assert.False(t, matchTree(code, cc(sct, loinc), true), "fixed: display and text are more than the value")
	exact, err := NodeFromJSON([]byte(`{"resourceType":"Observation","code":{"coding":[{"system":"http://snomed.info/sct","code":"364075005"},{"system":"http://loinc.org","code":"8867-4"}]}}`))
	require.NoError(t, err)
	assert.True(t, matchTree(exact.first("code"), cc(sct, loinc), true))
	assert.False(t, matchTree(exact.first("code"), cc(loinc, sct), true), "fixed: the items' order counts")
	assert.False(t, matchTree(exact.first("code"), cc(sct), true), "fixed: an item more")
	assert.True(t, nodeMatchesTree(exact, []string{"code"}, cc(loinc), false))
}

// A profile discriminator on a resource: it claims the profile, or a UK
// Core profile derived from it, or the profile is its R4 type's.
func TestNodeClaims(t *testing.T) {
	n, err := NodeFromJSON([]byte(`{"resourceType":"Observation","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-VitalSigns-BMI|2.0.0"]},"status":"final","code":{"text":"x"}}`))
	require.NoError(t, err)
	for p, want := range map[string]bool{
		ukcoreSD + "UKCore-Observation-VitalSigns-BMI":        true,
		ukcoreSD + "UKCore-Observation-VitalSigns|2.0.0":      true,
		ukcoreSD + "UKCore-Observation":                       true,
		"http://hl7.org/fhir/StructureDefinition/Observation": true,
		ukcoreSD + "UKCore-Observation-VitalSigns-HeartRate":  false,
		"http://hl7.org/fhir/StructureDefinition/Patient":     false,
		"http://hl7.org/fhir/StructureDefinition/vitalsigns":  false,
	} {
		assert.Equal(t, want, nodeClaims(n, nil, []string{p}), p)
	}
	assert.True(t, nodeExists(n, []string{"code", "text"}))
	assert.False(t, nodeExists(n, []string{"code", "coding"}))
}
