package fhir

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const msPatient = `{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
"name":[{"family":"Example"}],"gender":"unknown"}`

// mustSupportIssues validates js with opts and gives the must-support
// issues as "severity code expression | diagnostics", sorted, failing on
// one that is not information.
func mustSupportIssues(t *testing.T, js string, opts ValidateOptions) []string {
	t.Helper()
	r, err := Unmarshal([]byte(js))
	require.NoError(t, err)
	oo, err := ValidateProfiles(context.Background(), r, opts)
	require.NoError(t, err)
	var out []string
	if oo == nil {
		return out
	}
	for _, is := range oo.Issue {
		if is.Details == nil || is.Details.Text.Value != RuleMustSupport {
			continue
		}
		require.Len(t, is.Expression, 1)
		assert.Equal(t, severityInformation, is.Severity.Value, "mustSupport is never an error or a warning")
		out = append(out, is.Severity.Value+" "+is.Code.Value+" "+is.Expression[0].Value+" | "+is.Diagnostics.Value)
	}
	sort.Strings(out)
	return out
}

func TestMustSupport(t *testing.T) {
	on := ValidateOptions{MustSupport: true}
	const (
		lab      = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab"
		allergy  = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance"
		location = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Location"
	)
	cases := []struct {
		name string
		js   string
		opts ValidateOptions
		want []string
	}{
		{"patient lacks five", msPatient, on, []string{
			"information informational Patient | The mustSupport element active (UKCore-Patient) is absent",
			"information informational Patient | The mustSupport element address (UKCore-Patient) is absent",
			"information informational Patient | The mustSupport element birthDate (UKCore-Patient) is absent",
			"information informational Patient | The mustSupport element managingOrganization (UKCore-Patient) is absent",
			"information informational Patient | The mustSupport element telecom (UKCore-Patient) is absent",
		}},
		{"patient has all", `{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"active":true,
"name":[{"family":"Example"}],"telecom":[{"system":"phone","value":"0000"}],"gender":"unknown","birthDate":"2000-01-01",
"address":[{"city":"Leeds"}],"managingOrganization":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"X99"}}}`, on, nil},
		{"named profile, nothing claimed", `{"resourceType":"Patient","active":true,"name":[{"family":"Example"}],"telecom":[{"system":"phone","value":"0000"}],
"gender":"unknown","birthDate":"2000-01-01","address":[{"city":"Leeds"}]}`,
			ValidateOptions{MustSupport: true, Mode: ProfilesNamed, Profile: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"}, []string{
				"information informational Patient | The mustSupport element identifier (UKCore-Patient) is absent",
				"information informational Patient | The mustSupport element managingOrganization (UKCore-Patient) is absent",
			}},
		{"base mode: no profile applied", msPatient, ValidateOptions{MustSupport: true, Mode: ProfilesBase}, nil},
		// reaction.severity is reported under each reaction that lacks
		// it, and not at all when there is no reaction
		{"nested under a present parent", `{"resourceType":"AllergyIntolerance","meta":{"profile":["` + allergy + `"]},
"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed"}]},
"code":{"text":"x"},"patient":{"reference":"Patient/a"},
"reaction":[{"manifestation":[{"text":"rash"}],"severity":"mild"},{"manifestation":[{"text":"hives"}]}]}`, on, []string{
			"information informational AllergyIntolerance.reaction[1] | The mustSupport element reaction.severity (UKCore-AllergyIntolerance) is absent",
		}},
		{"nested under an absent parent", `{"resourceType":"AllergyIntolerance","meta":{"profile":["` + allergy + `"]},
"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed"}]},
"code":{"text":"x"},"patient":{"reference":"Patient/a"}}`, on, []string{
			"information informational AllergyIntolerance | The mustSupport element reaction (UKCore-AllergyIntolerance) is absent",
		}},
		// a slice: reported when no element matches it, with its name
		{"slice absent", `{"resourceType":"Location","meta":{"profile":["` + location + `"]},
"identifier":[{"system":"https://example.org/site","value":"A1"}],"status":"active","name":"Ward","address":{"city":"Leeds"}}`, on, []string{
			"information informational Location | The mustSupport slice 'odsSiteCode' of identifier (UKCore-Location) is absent",
		}},
		{"slice present", `{"resourceType":"Location","meta":{"profile":["` + location + `"]},
"identifier":[{"system":"https://fhir.nhs.uk/Id/ods-site-code","value":"A1"}],"status":"active","name":"Ward","address":{"city":"Leeds"}}`, on, nil},
		{"lab slice absent, category present", `{"resourceType":"Observation","meta":{"profile":["` + lab + `"]},"status":"final",
"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
"code":{"text":"x"},"subject":{"reference":"Patient/a"},"valueString":"ok"}`, on, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustSupportIssues(t, c.js, c.opts)
			if c.name == "lab slice absent, category present" {
				// Observation-Lab's other mustSupport elements vary; the
				// slice's own issue is the point here
				assert.Contains(t, got, "information informational Observation | The mustSupport slice 'laboratory' of category (UKCore-Observation-Lab) is absent")
				for _, g := range got {
					assert.NotContains(t, g, "element category ", "category is present")
					assert.NotContains(t, g, "element status ", "status is present")
				}
				return
			}
			assert.Equal(t, c.want, got)
		})
	}
}

func TestMustSupportOffByDefault(t *testing.T) {
	assert.Empty(t, mustSupportIssues(t, msPatient, ValidateOptions{}))
	assert.NotEmpty(t, mustSupportIssues(t, msPatient, ValidateOptions{MustSupport: true}))
}

func TestMustSupportSuppress(t *testing.T) {
	got := mustSupportIssues(t, msPatient, ValidateOptions{MustSupport: true, Suppress: []string{RuleMustSupport}})
	assert.Empty(t, got)
	// MaxIssues still bounds them
	r, err := Unmarshal([]byte(msPatient))
	require.NoError(t, err)
	oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{MustSupport: true, MaxIssues: 2})
	require.NoError(t, err)
	require.NotNil(t, oo)
	assert.LessOrEqual(t, len(oo.Issue), 2)
}

// The generated table holds the mustSupport flags of UK Core-Patient's
// differential, not the ones it sets false (identifier:nhsNumber).
func TestMustSupportTable(t *testing.T) {
	var paths []string
	for _, r := range ukcoreMustSupport["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"] {
		paths = append(paths, r.Path+":"+r.Slice)
	}
	assert.Contains(t, paths, "telecom:")
	assert.NotContains(t, strings.Join(paths, " "), "nhsNumber")
	for url, list := range ukcoreMustSupport {
		for _, r := range list {
			if r.Slice != "" && r.ExtURL == "" {
				assert.NotNil(t, r.def, "%s %s:%s has no slice definition", url, r.Path, r.Slice)
			}
		}
	}
}

// On the UK Core examples, MustSupport adds information issues only, and
// changes none of the others.
func TestMustSupportUKCoreExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, 215, "the UK Core examples must be in %s", ukcoreDir)
	reported := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		r, err := UnmarshalXML(data)
		if err != nil {
			continue // the known decode defect (TestUKCoreKnownDefects)
		}
		off, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
		require.NoError(t, err)
		on, err := ValidateProfiles(context.Background(), r, ValidateOptions{MustSupport: true})
		require.NoError(t, err)
		var others []OperationOutcomeIssue
		if on != nil {
			for _, is := range on.Issue {
				if is.Details != nil && is.Details.Text.Value == RuleMustSupport {
					assert.Equal(t, severityInformation, is.Severity.Value)
					assert.Equal(t, "informational", is.Code.Value)
					reported++
					continue
				}
				others = append(others, is)
			}
		}
		var want []OperationOutcomeIssue
		if off != nil {
			want = off.Issue
		}
		assert.Equal(t, len(want), len(others), filepath.Base(f))
	}
	assert.Positive(t, reported, "the examples leave some mustSupport elements out")
}
