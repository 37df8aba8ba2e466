package fhir

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTerm answers MemberOf from a list of system#code members, and
// records what it was asked.
type fakeTerm struct {
	members map[string]bool
	known   bool
	err     error
	asked   []string
}

func (f *fakeTerm) MemberOf(_ context.Context, valueSet, system, code string) (bool, bool, error) {
	f.asked = append(f.asked, valueSet+" "+system+"#"+code)
	return f.members[system+"#"+code], f.known, f.err
}

// memberOf() answers UK Core value sets, bound or not, and the base R4
// ones that UK Core binds or R4 requires, from the generated tables; a Terminology is asked only
// about the code systems they do not hold in full (SNOMED CT here), and
// about value sets the package does not hold.
func TestFHIRPathMemberOf(t *testing.T) {
	const js = `{"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://snomed.info/sct","code":"248234008"}]},
		"valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType","code":"UPRN"}]},
		"method":{"coding":[{"system":"http://example.org/other","code":"UPRN"}]},
		"bodySite":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-NullFlavor","code":"UNK"}]},
		"interpretation":[{"coding":[{"system":"http://snomed.info/sct","code":"999"}]}]}`
	n, err := NodeFromJSON([]byte(js))
	require.NoError(t, err)
	const (
		acvpu      = "https://fhir.hl7.org.uk/ValueSet/UKCore-ACVPU"          // SNOMED CT only: not held
		addressKey = "https://fhir.hl7.org.uk/ValueSet/UKCore-AddressKeyType" // held in full, bound by nothing
		birthSex   = "https://fhir.hl7.org.uk/ValueSet/UKCore-BirthSex"       // held in full
		gender     = "http://hl7.org/fhir/ValueSet/administrative-gender"     // base R4 that UK Core binds: held
		status     = "http://hl7.org/fhir/ValueSet/observation-status"        // base R4, required of a code: held
		other      = "https://example.org/ValueSet/not-held"                  // the package does not have it
	)
	term := &fakeTerm{members: map[string]bool{"http://snomed.info/sct#248234008": true, "http://example.org/other#UPRN": true}, known: true}
	for _, tc := range []struct {
		expr        string
		withTerm    []any
		withoutTerm []any
		asked       []string
	}{
		{"value.memberOf('" + addressKey + "')", []any{true}, []any{true}, nil},
		{"value.memberOf('" + addressKey + "|5.0.0')", []any{true}, []any{true}, nil},
		{"method.memberOf('" + addressKey + "')", []any{false}, []any{false}, nil},
		{"bodySite.memberOf('" + birthSex + "')", []any{true}, []any{true}, nil},
		{"value.memberOf('" + birthSex + "')", []any{false}, []any{false}, nil},
		{"'female'.memberOf('" + gender + "')", []any{true}, []any{true}, nil},
		{"'F'.memberOf('" + gender + "')", []any{false}, []any{false}, nil},
		// a value set R4 requires of a code element
		{"status.memberOf('" + status + "')", []any{true}, []any{true}, nil},
		{"'finished'.memberOf('" + status + "')", []any{false}, []any{false}, nil},
		{"code.memberOf('" + acvpu + "')", []any{true}, nil, []string{acvpu + " http://snomed.info/sct#248234008"}},
		{"interpretation.memberOf('" + acvpu + "')", []any{false}, nil, []string{acvpu + " http://snomed.info/sct#999"}},
		// a system the value set does not include: not a member, unasked
		{"value.memberOf('" + acvpu + "')", []any{false}, []any{false}, nil},
		{"method.memberOf('" + other + "')", []any{true}, nil, []string{other + " http://example.org/other#UPRN"}},
	} {
		term.asked = nil
		got, err := MustCompileFHIRPath(tc.expr).EvaluateNode(context.Background(), n, &FHIRPathEnv{Terminology: term})
		require.NoError(t, err, tc.expr)
		assert.Equal(t, tc.withTerm, got, tc.expr)
		assert.Equal(t, tc.asked, term.asked, tc.expr)
		got, err = MustCompileFHIRPath(tc.expr).EvaluateNode(context.Background(), n, nil)
		require.NoError(t, err, tc.expr)
		assert.Equal(t, tc.withoutTerm, got, tc.expr+" without a Terminology")
	}

	// a Terminology that cannot judge leaves it empty; its error is the
	// expression's
	unsure := &fakeTerm{known: false}
	got, err := MustCompileFHIRPath("code.memberOf('"+acvpu+"')").EvaluateNode(context.Background(), n, &FHIRPathEnv{Terminology: unsure})
	require.NoError(t, err)
	assert.Empty(t, got)
	failing := &fakeTerm{err: errors.New("terminology server unavailable")}
	_, err = MustCompileFHIRPath("code.memberOf('"+acvpu+"')").EvaluateNode(context.Background(), n, &FHIRPathEnv{Terminology: failing})
	assert.ErrorIs(t, err, ErrFHIRPath)
	assert.ErrorContains(t, err, "memberOf(): terminology server unavailable")
}
