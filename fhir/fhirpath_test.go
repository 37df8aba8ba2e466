package fhir

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvaluate(t *testing.T) {
	p := mustPatient(t, patientJSON)
	obs, err := Unmarshal([]byte(`{"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":72.50,"unit":"kg"}}`))
	require.NoError(t, err)
	tests := []struct {
		r    Resource
		expr string
		want []any
	}{
		{p, "Patient.name.where(use = 'official').given.first()", []any{"Jane"}},
		{p, "Patient.identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value", []any{"9000000009"}},
		{p, "Patient.name[0].family", []any{"Smith"}},
		{p, "Patient.name[3].family", []any{}},
		{p, "Patient.deceased.exists()", []any{true}},
		{p, "Patient.deceased.ofType(boolean)", []any{false}},
		{p, "Patient.deceased.ofType(dateTime).exists()", []any{false}},
		{p, "Patient.gender = 'female'", []any{true}},
		{p, "Patient.gender != 'female'", []any{false}},
		{p, "Patient.multipleBirth = 2", []any{true}},
		{p, "Patient.contained.ofType(Organization).name", []any{"Synthetic Surgery"}},
		{p, "Patient.telecom.count()", []any{Number("0")}},
		{p, "Patient.telecom.empty()", []any{true}},
		{p, "Observation.value.ofType(Quantity).value", []any{}},
		{obs, "Observation.value.ofType(Quantity).value", []any{Number("72.50")}},
		{obs, "Observation.value.unit", []any{"kg"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Evaluate(tt.r, tt.expr)
			require.NoError(t, err)
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
	for _, bad := range []string{"", "Patient.", "Patient.name.foo()", "Patient.name[", "Patient.gender = "} {
		_, err := Evaluate(p, bad)
		assert.True(t, errors.Is(err, ErrFHIRPath), "%q: %v", bad, err)
	}
}

// Collections compare item by item: two families are not one 'a'.
func TestEvaluateCollectionEquality(t *testing.T) {
	p := mustPatient(t, `{"resourceType":"Patient","name":[{"family":"a"},{"family":"b"}]}`)
	got, err := Evaluate(p, "Patient.name.family = 'a'")
	require.NoError(t, err)
	assert.Equal(t, []any{false}, got)
	got, err = Evaluate(p, "Patient.name.family = ('a' | 'b')")
	require.NoError(t, err)
	assert.Equal(t, []any{true}, got)
	got, err = Evaluate(p, "Patient.name.where(family = 'b').family")
	require.NoError(t, err)
	assert.Equal(t, []any{"b"}, got)
}

// The answers issue 22 found wrong in the earlier subset engine.
func TestEvaluateFormerlyWrongAnswers(t *testing.T) {
	p := mustPatient(t, `{"resourceType":"Patient","active":false,"gender":"male","multipleBirthInteger":2,
		"_birthDate":{"extension":[{"url":"http://example.org/x","valueString":"unknown"}]},
		"name":[{"family":"A","given":["x"]},{"family":"B"}]}`)
	tests := []struct {
		expr string
		want []any
	}{
		{"Patient.name.where(given.exists()).family", []any{"A"}},
		{"Patient.gender.ofType(code)", []any{"male"}},
		{"Patient.birthDate.exists()", []any{true}},
		{"Patient.birthDate.hasValue()", []any{false}},
		{"Patient.name.family = 'A'", []any{false}},
		{"Patient.name.first().family = 'A'", []any{true}},
		{"Patient.active = 'false'", []any{false}},
		{"Patient.active = false", []any{true}},
		{"Patient.multipleBirth = 2.0", []any{true}},
		{"Patient.name\n  .family\n  .first()", []any{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Evaluate(p, tt.expr)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Every expression Validate reports must select an element of the resource
// (or the place where a required one is missing).
func TestValidationExpressionsEvaluate(t *testing.T) {
	p := mustPatient(t, `{"resourceType":"Patient","gender":"F","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]}`)
	oo := Validate(p)
	require.NotNil(t, oo)
	for _, is := range oo.Issue {
		got, err := Evaluate(p, is.Expression[0].Value)
		require.NoError(t, err)
		assert.Len(t, got, 1, is.Expression[0].Value)
	}
}
