package fhir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ukcoreSD = "https://fhir.hl7.org.uk/StructureDefinition/"

// The profiles genprofile resolves a UK Core parent for: every child's
// Base is a UK Core profile of the same type.
func TestProfileBases(t *testing.T) {
	got := map[string]string{}
	for u, p := range ukcoreProfiles {
		if p.Base == "" {
			continue
		}
		q := ukcoreProfiles[p.Base]
		require.NotNil(t, q, "%s: base %s", u, p.Base)
		assert.Equal(t, p.Type, q.Type, u)
		assert.True(t, q.hasChild, p.Base)
		got[strings.TrimPrefix(u, ukcoreSD)] = strings.TrimPrefix(p.Base, ukcoreSD)
	}
	assert.Equal(t, "UKCore-Observation-VitalSigns", got["UKCore-Observation-VitalSigns-BMI"])
	assert.Equal(t, "UKCore-Observation", got["UKCore-Observation-VitalSigns"])
	assert.Equal(t, "UKCore-Device", got["UKCore-Device-BloodPressure"])
	assert.Len(t, got, 18)
}

// A resource that claims a child profile and its parent too gets each
// issue once: the parent's rules are in the child's.
func TestParentAndChildClaimed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "profiles", "parent-bmi-snomed-missing.json"))
	require.NoError(t, err)
	issues := func(js string, opts ValidateOptions) []string {
		r, err := Unmarshal([]byte(js))
		require.NoError(t, err)
		oo, err := ValidateProfiles(context.Background(), r, opts)
		require.NoError(t, err)
		var out []string
		if oo != nil {
			for _, is := range oo.Issue {
				out = append(out, is.Severity.Value+" "+is.Expression[0].Value+" "+is.Diagnostics.Value)
			}
		}
		return out
	}
	child := issues(string(data), ValidateOptions{})
	require.Len(t, child, 1)
	bmi := ukcoreSD + "UKCore-Observation-VitalSigns-BMI"
	for _, claims := range [][]string{
		{bmi, ukcoreSD + "UKCore-Observation-VitalSigns"},
		{ukcoreSD + "UKCore-Observation", bmi + "|2.0.0", ukcoreSD + "UKCore-Observation-VitalSigns"},
	} {
		js := strings.Replace(string(data), `"profile":["`+bmi+`"]`, `"profile":["`+strings.Join(claims, `","`)+`"]`, 1)
		require.NotEqual(t, string(data), js)
		assert.Equal(t, child, issues(js, ValidateOptions{}), "%v", claims)
	}
	// the parent alone has the fault too; named, the child as claimed
	parent := strings.Replace(string(data), bmi, ukcoreSD+"UKCore-Observation-VitalSigns", 1)
	assert.Equal(t, child, issues(parent, ValidateOptions{}))
	assert.Equal(t, child, issues(string(data), ValidateOptions{Mode: ProfilesNamed, Profile: bmi}))
	// named, the parent applies even when the child is claimed (meta is not read)
	assert.Equal(t, child, issues(string(data), ValidateOptions{Mode: ProfilesNamed, Profile: ukcoreSD + "UKCore-Observation-VitalSigns"}))
}

// The UK Core examples of profiles with a UK Core parent validate against
// their own profile, with the parent's rules, without an error or warning
// (the HL7 validator, with the published snapshots, gives none either).
func TestDerivedProfileExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, 215, "the UK Core examples must be in %s", ukcoreDir)
	n := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), "-Example.xml")
		best := ""
		for u, p := range ukcoreProfiles {
			s := strings.TrimPrefix(u, ukcoreSD)
			if p.Kind == "resource" && strings.HasPrefix(name, s+"-") && len(s) > len(best) {
				best = s
			}
		}
		if best == "" || ukcoreProfiles[ukcoreSD+best].Base == "" {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		r, err := UnmarshalXML(data)
		require.NoError(t, err)
		oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{Mode: ProfilesNamed, Profile: ukcoreSD + best})
		require.NoError(t, err)
		n++
		if oo == nil {
			continue
		}
		for _, is := range oo.Issue {
			if is.Severity.Value != severityInformation && (is.Details == nil || is.Details.Text.Value != "dom-6") {
				t.Errorf("%s against %s: %s at %s: %s", filepath.Base(f), best, is.Severity.Value, is.Expression[0].Value, is.Diagnostics.Value)
			}
		}
	}
	assert.GreaterOrEqual(t, n, 10, "examples of derived profiles")
}
