package fhirterm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A value set's SNOMED CT part takes in the SNOMED CT parts of the value
// sets it includes, and leaves out its other code systems.
func TestBoundECL(t *testing.T) {
	h := New(nil)
	tests := []struct {
		url, want string
		ok        bool
	}{
		{"http://hl7.org/fhir/ValueSet/condition-code", "((<< 404684003))", true},
		{"http://hl7.org/fhir/ValueSet/use-context", "((<< 394733009)) OR ((<< 387961004)) OR (((<< 404684003)))", true},
		{"https://fhir.hl7.org.uk/ValueSet/UKCore-CareSettingType", "((memberOf 1127531000000102))", true},
		{"https://fhir.hl7.org.uk/ValueSet/UKCore-ReligiousAffiliation", "((^ 999000531000000100))", true},
		{"http://hl7.org/fhir/ValueSet/all-languages", "", false},
		{"http://example.org/ValueSet/unknown", "", false},
		{System + "?fhir_vs=isa/404684003", "<< 404684003", true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			got, ok, err := h.boundECL(tc.url, 0)
			require.NoError(t, err)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}
