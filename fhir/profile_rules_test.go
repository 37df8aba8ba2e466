package fhir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The invalid UK Core instances in testdata/profiles, one or more per rule
// class: each must be caught by its rule at the right FHIRPath location
// with the right severity.
var profileCorpus = []struct {
	file, rule, sev, expr string
}{
	{"binding-birthsex-x.json", RuleBinding, "error", "Patient.extension[0].value"},
	{"binding-nhsnumber-status-99.json", RuleBinding, "error", "Patient.identifier[0].extension[0].value"},
	{"binding-subextension-status.json", RuleBinding, "error", "MedicationStatement.extension[0].extension[0].value"},
	{"fixed-bodytemperature-unit.json", RuleFixed, "error", "Observation.value.unit"},
	{"reference-target-organization.json", RuleReferenceTarget, "error", "Observation.subject.reference"},
	{"reference-target-bundle-urn.json", RuleReferenceTarget, "error", "Bundle.entry[1].resource.subject.reference"},
	{"reference-bare-id.json", "", "warning", "Observation.subject.reference"},
	{"extension-context-birthsex-on-organization.json", RuleExtensionContext, "error", "Organization.extension[0]"},
	{"subextension-unknown.json", RuleSubExtension, "error", "Patient.extension[0].extension[0].url"},
	{"subextension-wrong-type.json", RuleSubExtension, "error", "Patient.extension[0].extension[0].value"},
	{"subextension-missing.json", RuleSubExtension, "error", "Patient.extension[0]"},
	{"slice-lab-category-missing.json", RuleSlicing, "error", "Observation.category"},
	{"slice-bp-component-closed.json", RuleSlicing, "error", "Observation.component[1]"},
	{"slice-bp-systolic-unit.json", RuleFixed, "error", "Observation.component[0].value.unit"},
	{"slice-birthsex-twice.json", RuleSlicing, "error", "Patient.extension"},
	{"slice-nhsnumber-twice.json", "cardinality", "error", "Patient.identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number')"},
	{"cardinality-bp-second-component-no-snomed.json", "cardinality", "error", "Observation.component[1].code.coding.where(system = 'http://snomed.info/sct')"},
	// base R4 reference targets, no profile claimed
	{"reference-base-target-patient-gp.json", RuleReferenceTarget, "error", "Patient.generalPractitioner[1].reference"},
	{"reference-base-target-assigner.json", RuleReferenceTarget, "error", "Observation.identifier[0].assigner.reference"},
	{"reference-base-target-contained.json", RuleReferenceTarget, "error", "Condition.asserter.reference"},
	{"reference-base-target-type.json", RuleReferenceTarget, "error", "Encounter.subject.type"},
	// extensible bindings (UK Core's and base R4's) and base R4 required
	// bindings on CodeableConcepts
	{"binding-extensible-maritalstatus.json", RuleBindingExtensible, "warning", "Patient.maritalStatus"},
	{"binding-base-extensible-identifier-type.json", RuleBindingExtensible, "warning", "Patient.identifier[0].type"},
	{"binding-base-required-clinicalstatus.json", RuleBinding, "error", "Condition.clinicalStatus"},
	// rules inside slices, and slices within slices
	{"slice-inner-nhsnumber-no-value.json", "cardinality", "error", "Patient.identifier[0].value"},
	{"slice-inner-nhsnumber-status-twice.json", RuleSlicing, "error", "Patient.identifier[0].extension"},
	{"slice-nested-bp-systolic-loinc-code.json", RuleFixed, "error", "Observation.component[0].code.coding[0].code"},
	// the value of a complex extension's sub-extension: required, bound, targeted
	{"subextension-value-missing.json", RuleSubExtension, "error", "Patient.extension[0].extension[0]"},
	{"subextension-binding-extensible.json", RuleBindingExtensible, "warning", "Patient.extension[0].extension[0].value"},
	{"subextension-target.json", RuleReferenceTarget, "error", "Condition.extension[0].extension[0].value.reference"},
	{"extension-value-missing.json", RuleExtensionValue, "error", "Patient.extension[0]"},
	{"type-heartrate-value-string.json", RuleType, "error", "Observation.value"},
	// a profile on a UK Core profile (BMI on VitalSigns on Observation)
	// has its ancestors' rules: the parent's slice min, the child's fixed
	// value in a slice of the parent's slicing, the grandparent's slice max
	{"parent-bmi-snomed-missing.json", "cardinality", "error", "Observation.code.coding.where(system = 'http://snomed.info/sct')"},
	{"parent-bmi-loinc-code.json", RuleFixed, "error", "Observation.code.coding[0].code"},
	{"parent-bmi-bodystructure-twice.json", RuleSlicing, "error", "Observation.extension"},
	// complex fixed and pattern values, exists and profile discriminators
	// (synthetic profiles: UK Core uses none; zz_synthetic_rules_test.go)
	{"pattern-codeableconcept-code.json", RuleFixed, "error", "Observation.code"},
	{"fixed-codeableconcept-method.json", RuleFixed, "error", "Observation.method"},
	{"pattern-quantity-in-slice.json", RuleFixed, "error", "Observation.component[0].value"},
	{"slice-pattern-category-missing.json", RuleSlicing, "error", "Observation.category"},
	{"slice-exists-component-absent-twice.json", RuleSlicing, "error", "Observation.component"},
	{"slice-profile-bundle-no-patient.json", RuleSlicing, "error", "Bundle.entry"},
	// R4 core extensions (extension-definitions in definitions.tgz)
	{"core-extension-context-birthtime-on-patient.json", RuleExtensionContext, "error", "Patient.extension[0]"},
	{"core-extension-value-type-birthtime-string.json", RuleExtensionValue, "error", "Patient.birthDate.extension[0].value"},
	{"core-subextension-geolocation-no-longitude.json", RuleSubExtension, "error", "Patient.address[0].extension[0]"},
	{"core-extension-binding-data-absent-reason.json", RuleBinding, "error", "Patient.gender.extension[0].value"},
	{"core-extension-modifier-donotperform.json", RuleExtensionModifier, "error", "NutritionOrder.extension[0]"},
	{"extension-modifier-birthsex.json", RuleExtensionModifier, "error", "Patient.modifierExtension[0]"},
}

// baseRuleToo are the corpus files whose fault base R4 forbids as well:
// ProfilesBase still reports them.
var baseRuleToo = map[string]bool{
	"reference-target-organization.json":           true, // Observation.subject: Patient | Group | Device | Location
	"reference-target-bundle-urn.json":             true,
	"reference-base-target-patient-gp.json":        true,
	"reference-base-target-assigner.json":          true,
	"reference-base-target-contained.json":         true,
	"reference-base-target-type.json":              true,
	"binding-base-extensible-identifier-type.json": true,
	"binding-base-required-clinicalstatus.json":    true,
	"binding-extensible-maritalstatus.json":        true, // v3-MaritalStatus#X is not in R4's marital-status either
	// R4 core extensions are checked in every mode
	"core-extension-value-type-birthtime-string.json": true,
	"core-subextension-geolocation-no-longitude.json": true,
	"core-extension-binding-data-absent-reason.json":  true,
	"core-extension-modifier-donotperform.json":       true,
}

// A cardinality with a system (a slice such as coding:snomedCT) under a
// repeating parent counts each parent's own elements: the second component
// is judged as the first is.
func TestCardinalityUnderRepeatingParent(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "profiles", "cardinality-bp-second-component-no-snomed.json"))
	require.NoError(t, err)
	issues := func(data []byte) []string {
		r, err := Unmarshal(data)
		require.NoError(t, err)
		oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
		require.NoError(t, err)
		var got []string
		if oo != nil {
			for _, is := range oo.Issue {
				if is.Details != nil && is.Details.Text.Value == "cardinality" {
					got = append(got, is.Expression[0].Value+": "+is.Diagnostics.Value)
				}
			}
		}
		return got
	}
	assert.Equal(t, []string{"Observation.component[1].code.coding.where(system = 'http://snomed.info/sct'): coding.where(system = 'http://snomed.info/sct'): minimum required = 1, but only found 0 (profile)"}, issues(data))
	valid := strings.Replace(string(data), `"code":"8462-4"}]`, `"code":"8462-4"},{"system":"http://snomed.info/sct","code":"1091811000000102"}]`, 1)
	require.NotEqual(t, string(data), valid)
	assert.Empty(t, issues([]byte(valid)))
}

func TestValidateProfilesCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "profiles", "*.json"))
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, c := range profileCorpus {
		listed[c.file] = true
	}
	for _, f := range files {
		assert.True(t, listed[filepath.Base(f)], "%s is not in profileCorpus", f)
	}
	for _, c := range profileCorpus {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "profiles", c.file))
			require.NoError(t, err)
			r, err := Unmarshal(data)
			require.NoError(t, err)
			oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
			require.NoError(t, err)
			require.NotNil(t, oo)
			var found []string
			for _, is := range oo.Issue {
				rule := ""
				if is.Details != nil {
					rule = is.Details.Text.Value
				}
				if rule == c.rule {
					found = append(found, is.Severity.Value+" "+is.Expression[0].Value)
				}
				assert.NotContains(t, is.Diagnostics.Value, "9990000018", "an NHS number in a message")
			}
			require.Contains(t, found, c.sev+" "+c.expr, "all issues: %+v", oo.Issue)
			if c.rule == "" {
				return
			}
			// suppressing the rule removes it; base-only mode does not apply it
			for _, opts := range []ValidateOptions{{Suppress: []string{c.rule}}, {Mode: ProfilesBase}} {
				if opts.Mode == ProfilesBase && (c.rule == RuleExtensionContext || baseRuleToo[c.file]) {
					continue
				}
				oo, err = ValidateProfiles(context.Background(), r, opts)
				require.NoError(t, err)
				if oo != nil {
					for _, is := range oo.Issue {
						if is.Details != nil {
							require.NotEqual(t, c.rule, is.Details.Text.Value, "%+v", opts)
						}
					}
				}
			}
		})
	}
}

// The same instances made valid pass the same rules: the checks are not
// blanket refusals.
func TestValidateProfilesRulesAccept(t *testing.T) {
	fix := map[string][2]string{
		"binding-birthsex-x.json":                         {`"code":"X"`, `"code":"F"`},
		"binding-nhsnumber-status-99.json":                {`"code":"99"`, `"code":"01"`},
		"binding-subextension-status.json":                {`stopped-forever`, `on-hold`},
		"fixed-bodytemperature-unit.json":                 {`"unit":"degree Fahrenheit","system":"http://unitsofmeasure.org","code":"[degF]"`, `"unit":"degree Celsius","system":"http://unitsofmeasure.org","code":"Cel"`},
		"reference-target-organization.json":              {`Organization/o1`, `Patient/p1`},
		"extension-context-birthsex-on-organization.json": {`"resourceType":"Organization"`, `"resourceType":"Patient"`},
		"subextension-unknown.json":                       {`favouriteColour`, `https://example.org/fhir/StructureDefinition/colour`},
		"subextension-wrong-type.json":                    {`"valueString":"phone"`, `"valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod","code":"1"}]}`},
		"reference-target-bundle-urn.json":                {`"resourceType":"Organization","text"`, `"resourceType":"Patient","text"`},
		"slice-lab-category-missing.json":                 {`"code":"vital-signs"`, `"code":"laboratory"`},
		"slice-bp-component-closed.json":                  {`"text":"Heart rate"},"valueQuantity":{"value":70,"unit":"per minute","system":"http://unitsofmeasure.org","code":"/min"}`, `"text":"Diastolic blood pressure"},"valueQuantity":{"value":70,"unit":"millimeter of mercury","system":"http://unitsofmeasure.org","code":"mm[Hg]"}`},
		"slice-bp-systolic-unit.json":                     {`kilopascal`, `millimeter of mercury`},
		"reference-base-target-patient-gp.json":           {`Patient/p2/_history/1`, `Organization/o2/_history/1`},
		"reference-base-target-assigner.json":             {`"assigner":{"reference":"Patient/p1"}`, `"assigner":{"reference":"Organization/o1"}`},
		"reference-base-target-contained.json":            {`"resourceType":"Location","id":"l1","name":"Synthetic ward"`, `"resourceType":"Practitioner","id":"l1"`},
		"reference-base-target-type.json":                 {`"type":"Organization"`, `"type":"Patient"`},
		"binding-extensible-maritalstatus.json":           {`"code":"X"`, `"code":"M"`},
		"binding-base-extensible-identifier-type.json":    {`"system":"https://example.org/fhir/identifier-type","code":"local"`, `"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"`},
		"binding-base-required-clinicalstatus.json":       {`"code":"gone"`, `"code":"active"`},
		"slice-inner-nhsnumber-no-value.json":             {`"system":"https://fhir.nhs.uk/Id/nhs-number",`, `"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018",`},
		"slice-nested-bp-systolic-loinc-code.json":        {`"code":"8462-4"`, `"code":"8480-6"`},
		"subextension-binding-extensible.json":            {`"code":"99"`, `"code":"1"`},
		"subextension-value-missing.json":                 {`"extension":[{"url":"https://example.org/fhir/StructureDefinition/note","valueString":"synthetic"}]`, `"valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod","code":"1"}]}`},
		"subextension-target.json":                        {`Observation/o1`, `Condition/c1`},
		"type-heartrate-value-string.json":                {`"valueString":"seventy"`, `"valueQuantity":{"value":70,"unit":"per minute","system":"http://unitsofmeasure.org","code":"/min"}`},
		"core-extension-context-birthtime-on-patient.json": {`"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"2020-01-01T08:30:00Z"}],
 "birthDate":"2020-01-01"`, `"birthDate":"2020-01-01","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"2020-01-01T08:30:00Z"}]}`},
		"core-extension-value-type-birthtime-string.json": {`"valueString":"half past eight"`, `"valueDateTime":"2020-01-01T08:30:00Z"`},
		"core-subextension-geolocation-no-longitude.json": {`{"url":"latitude","valueDecimal":53.8}`, `{"url":"latitude","valueDecimal":53.8},{"url":"longitude","valueDecimal":-1.55}`},
		"core-extension-binding-data-absent-reason.json":  {`"valueCode":"forgotten"`, `"valueCode":"asked-declined"`},
		"core-extension-modifier-donotperform.json":       {`"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/request-doNotPerform"`, `"modifierExtension":[{"url":"http://hl7.org/fhir/StructureDefinition/request-doNotPerform"`},
		"extension-modifier-birthsex.json":                {`"modifierExtension":[`, `"extension":[`},
		"extension-value-missing.json":                    {`"extension":[{"url":"https://example.org/fhir/StructureDefinition/note","valueString":"synthetic"}]`, `"valueCodeableConcept":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender","code":"F"}]}`},
	}
	for file, f := range fix {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "profiles", file))
			require.NoError(t, err)
			require.Contains(t, string(data), f[0])
			data = []byte(strings.Replace(string(data), f[0], f[1], 1))
			if file == "extension-context-birthsex-on-organization.json" || file == "reference-target-bundle-urn.json" {
				data = []byte(strings.Replace(string(data), `"name":"Synthetic Practice"`, `"gender":"female"`, 1))
			}
			r, err := Unmarshal(data)
			require.NoError(t, err)
			oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
			require.NoError(t, err)
			if oo == nil {
				return
			}
			for _, is := range oo.Issue {
				if is.Details == nil {
					continue
				}
				switch is.Details.Text.Value {
				case RuleBinding, RuleBindingExtensible, RuleFixed, RuleReferenceTarget, RuleExtensionContext, RuleSubExtension, RuleExtensionValue, RuleType:
					t.Errorf("unexpected %s %s at %s: %s", is.Severity.Value, is.Details.Text.Value, is.Expression[0].Value, is.Diagnostics.Value)
				}
			}
		})
	}
}

// fakeTerminology answers for one value set.
type fakeTerminology struct {
	calls int
	in    bool
	ctx   context.Context // the last call's
}

func (f *fakeTerminology) MemberOf(ctx context.Context, vs, system, code string) (bool, bool, error) {
	f.calls++
	f.ctx = ctx
	return f.in, vs == "http://hl7.org/fhir/ValueSet/all-languages", nil
}

type ctxKey struct{}

// A value set only a terminology can expand (all-languages on
// Patient.communication.language) is checked through the hook when one is
// set, and left alone without one.
func TestValidateProfilesTerminologyHook(t *testing.T) {
	js := `{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"xx-NOPE"}]}}]}`
	r, err := Unmarshal([]byte(js))
	require.NoError(t, err)
	rules := func(oo *OperationOutcome) []string {
		var out []string
		if oo == nil {
			return nil
		}
		for _, is := range oo.Issue {
			if is.Details != nil && is.Details.Text.Value == RuleBinding {
				out = append(out, is.Severity.Value+" "+is.Expression[0].Value)
			}
		}
		return out
	}
	oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
	require.NoError(t, err)
	assert.Empty(t, rules(oo))
	term := &fakeTerminology{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "caller")
	oo, err = ValidateProfiles(ctx, r, ValidateOptions{Terminology: term})
	require.NoError(t, err)
	assert.Equal(t, []string{"error Patient.communication[0].language"}, rules(oo))
	assert.Equal(t, 1, term.calls)
	assert.Equal(t, "caller", term.ctx.Value(ctxKey{}), "the terminology is given the caller's context")
	term.in = true
	oo, err = ValidateProfiles(context.Background(), r, ValidateOptions{Terminology: term})
	require.NoError(t, err)
	assert.Empty(t, rules(oo))
}

// The 215 UK Core examples: the known defects are caught, and nothing
// else is reported but the HL7 validator's narrative best-practice
// warning (dom-6).
func TestUKCoreKnownDefects(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ukcoreDir, "examples", "*.xml"))
	require.NoError(t, err)
	require.Len(t, files, 215, "the UK Core examples must be in %s", ukcoreDir)
	var got []string
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		r, err := UnmarshalXML(data)
		if err != nil {
			got = append(got, name+": decode: "+err.Error())
			continue
		}
		oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
		require.NoError(t, err)
		if oo == nil {
			continue
		}
		for _, is := range oo.Issue {
			if is.Severity.Value == severityInformation || is.Details != nil && is.Details.Text.Value == "dom-6" {
				continue
			}
			got = append(got, name+": "+is.Severity.Value+" "+is.Expression[0].Value)
		}
	}
	sort.Strings(got)
	want := []string{
		"Extension-UKCore-ConditionEpisode-Example.xml: decode: fhir: xml line 9 column 31: Condition.extension[0].valueCodeableConcept: a second type for a choice element",
		"Extension-UKCore-RecordingSetting-Example.xml: error Observation.extension[0].url",
		"UKCore-MedicationDispense-Amoxicillin-Example.xml: warning MedicationDispense.authorizingPrescription[0].reference",
		"UKCore-MedicationDispense-CiprofloxacinIV-Example.xml: warning MedicationDispense.authorizingPrescription[0].reference",
		"UKCore-MedicationDispense-CiprofloxacinOral-Example.xml: warning MedicationDispense.authorizingPrescription[0].reference",
		"UKCore-Patient-BabyPatient-Example.xml: error Patient.identifier[0].value",
		// claims no profile, so base R4's extensible binding applies (the
		// HL7 validator's Terminology_TX_NoValid_2_CC warning): a UK Core
		// relationship code is not in patient-contactrelationship
		"UKCore-Patient-RichardSmith-Example.xml: warning Patient.contact[0].relationship[0]",
	}
	assert.Equal(t, want, got)
}

// The rule checks allocate nothing on a valid UK Core Patient (the
// issue's bar for ValidateProfiles is ≤ 2 allocations in all).
func TestProfileRulesNoAllocs(t *testing.T) {
	n := richardSmithNode(t)
	v := &profileValidator{ctx: context.Background()}
	rules := ukcoreRules["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
	require.NotNil(t, rules)
	allocs := testing.AllocsPerRun(100, func() {
		v.applyRules(rules, n, n)
		v.extensions(n, n)
	})
	assert.Zero(t, allocs)
	assert.Empty(t, v.issues)
}

func richardSmithNode(tb testing.TB) *Node {
	data, err := os.ReadFile(filepath.Join(ukcoreDir, "examples", "UKCore-Patient-RichardSmith-Example.xml"))
	require.NoError(tb, err)
	r, err := UnmarshalXML(data)
	require.NoError(tb, err)
	n, err := NodeOf(r)
	require.NoError(tb, err)
	return n
}

// The cost of the rule checks on a valid UK Core Patient:
// go test -run '^$' -bench ProfileRules -benchmem ./fhir
func BenchmarkProfileRulesPatient(b *testing.B) {
	n := richardSmithNode(b)
	v := &profileValidator{ctx: context.Background()}
	rules := ukcoreRules["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
	b.ReportAllocs()
	for b.Loop() {
		v.applyRules(rules, n, n)
		v.extensions(n, n)
	}
}

// A reference whose id is an NHS number (as PDS's Patient ids are) is not
// repeated in the issue.
func TestReferenceTargetMessageHidesID(t *testing.T) {
	js := `{"resourceType":"Observation","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab"]},"status":"final","code":{"text":"x"},"subject":{"reference":"Group/9990000018"},"valueString":"x"}`
	r, err := Unmarshal([]byte(js))
	require.NoError(t, err)
	oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
	require.NoError(t, err)
	is := findRule(t, oo, RuleReferenceTarget)
	assert.Contains(t, is.Diagnostics.Value, "'Group'")
	for _, is := range oo.Issue {
		assert.NotContains(t, is.Diagnostics.Value, "9990000018")
	}
}

func TestContextMatches(t *testing.T) {
	js := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1},"_status":{"extension":[{"url":"https://example.org/x","valueString":"y"}]},"component":[{"code":{"coding":[{"code":"a"}]}}]}`
	n, err := NodeFromJSON([]byte(js))
	require.NoError(t, err)
	value := n.first("value")
	coding := n.first("component").first("code").first("coding")
	status := n.first("status")
	tests := []struct {
		at   *Node
		ctx  string
		want bool
	}{
		{n, "Observation", true},
		{n, "Resource", true},
		{n, "Patient", false},
		{value, "Observation.value[x]", true},
		{value, "Quantity", true},
		{value, "Observation", false},
		{value, "Element", true},
		{coding, "Coding", true},
		{coding, "Observation.component.code.coding", true},
		{coding, "Observation.code.coding", false},
		{status, "Observation.status", true},
		{status, "Resource", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, contextMatches(tt.at, tt.ctx), "%s at %s", tt.ctx, elementPath(tt.at))
	}
}

// A context is an element definition: an element defined by reference to
// it (contentReference: Questionnaire.item.item) and a data type's element
// wherever the type is used match it; a path through a data type still
// names the element it is inside.
func TestContextMatchesDefinitions(t *testing.T) {
	node := func(js string) *Node {
		n, err := NodeFromJSON([]byte(js))
		require.NoError(t, err)
		return n
	}
	q := node(`{"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"group","item":[{"linkId":"1.1.1","type":"string"}]}]}]}`)
	item3 := q.first("item").first("item").first("item")
	sd := node(`{"resourceType":"StructureDefinition","url":"https://example.org/sd","name":"X","status":"draft","kind":"resource","abstract":false,"type":"Patient","snapshot":{"element":[{"path":"Patient","binding":{"strength":"required","valueSet":"https://example.org/vs"},"type":[{"code":"string"}]}]}}`)
	el := sd.first("snapshot").first("element")
	od := node(`{"resourceType":"OperationDefinition","name":"x","status":"draft","kind":"operation","code":"x","system":false,"type":false,"instance":false,"parameter":[{"name":"a","use":"in","min":0,"max":"1","part":[{"name":"b","use":"in","min":0,"max":"1"}]}]}`)
	pr := node(`{"resourceType":"Practitioner","name":[{"family":"Example"}]}`)
	tests := []struct {
		at   *Node
		ctx  string
		want bool
	}{
		{item3, "Questionnaire.item", true},
		{item3, "Questionnaire.item.item", true},
		{item3, "Questionnaire.item.linkId", false},
		{item3.first("linkId"), "Questionnaire.item.linkId", true},
		{el.first("binding"), "ElementDefinition.binding", true},
		{el.first("binding"), "ElementDefinition", false},
		{el, "ElementDefinition", true},
		{el.first("type").first("code"), "ElementDefinition.type.code", true},
		{el.first("type"), "ElementDefinition.type.code", false},
		{el.first("binding"), "StructureDefinition.snapshot.element.binding", true},
		{el.first("binding"), "StructureDefinition.differential.element.binding", false},
		{od.first("parameter").first("part"), "OperationDefinition.parameter", true},
		{pr.first("name").first("family"), "Patient.name.family", false},
		{pr.first("name").first("family"), "Practitioner.name.family", true},
		{pr.first("name").first("family"), "HumanName.family", true},
		{pr.first("name"), "HumanName", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, contextMatches(tt.at, tt.ctx), "%s at %s", tt.ctx, elementPath(tt.at))
	}
}

// The type a literal reference names: Type/id (with or without a
// version), an absolute URL ending in Type/id; anything else names none.
func TestRefURLType(t *testing.T) {
	for ref, want := range map[string]string{
		"Patient/p1":                                        "Patient",
		"Patient/p1/_history/2":                             "Patient",
		"https://example.org/fhir/Patient/p1":               "Patient",
		"http://example.org/R4/Organization/o.1/_history/1": "Organization",
		"p1":               "",
		"Patient/":         "",
		"Nope/p1":          "",
		"Patient/p1/extra": "",
		"a/Patient/p1":     "",
		"Patient/p 1":      "",
		"Organization/https://fhir.hl7.org.uk/StructureDefinition/UKCore-Organization": "",
	} {
		assert.Equal(t, want, refURLType(ref), ref)
	}
}

// A base R4 target rule applies in every mode, and a UK Core profile's
// narrower rule at the same path does not report the same reference twice.
func TestBaseReferenceTargets(t *testing.T) {
	for _, f := range []string{"reference-base-target-patient-gp.json", "reference-target-organization.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "profiles", f))
		require.NoError(t, err)
		r, err := Unmarshal(data)
		require.NoError(t, err)
		for _, mode := range []ProfileMode{ProfilesClaimed, ProfilesBase} {
			oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{Mode: mode})
			require.NoError(t, err)
			var got []string
			for _, is := range oo.Issue {
				if is.Details != nil && is.Details.Text.Value == RuleReferenceTarget {
					got = append(got, is.Expression[0].Value+": "+is.Diagnostics.Value)
				}
			}
			switch f {
			case "reference-target-organization.json":
				assert.Equal(t, []string{"Observation.subject.reference: The type 'Organization' implied by the reference is not a valid Target for this element (must be one of [Patient, Group, Device, Location])"}, got, "mode %d", mode)
			default:
				assert.Equal(t, []string{"Patient.generalPractitioner[1].reference: The type 'Patient' implied by the reference is not a valid Target for this element (must be one of [Organization, Practitioner, PractitionerRole])"}, got, "mode %d", mode)
			}
		}
	}
	// a UK Core target narrower than base R4 is still the profile's to report
	js := `{"resourceType":"Observation","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab"]},"status":"final","code":{"text":"x"},"subject":{"reference":"Device/d1"},"valueString":"x"}`
	r, err := Unmarshal([]byte(js))
	require.NoError(t, err)
	oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
	require.NoError(t, err)
	is := findRule(t, oo, RuleReferenceTarget)
	assert.Equal(t, "The type 'Device' implied by the reference is not a valid Target for this element (must be one of [Patient])", is.Diagnostics.Value)
	oo, err = ValidateProfiles(context.Background(), r, ValidateOptions{Mode: ProfilesBase})
	require.NoError(t, err)
	if oo != nil {
		for _, is := range oo.Issue {
			assert.False(t, is.Details != nil && is.Details.Text.Value == RuleReferenceTarget, "%+v", is)
		}
	}
}

// Binding strengths as the HL7 validator treats them: extensible is a
// warning (also for a CodeableConcept with no coding), preferred is
// information and only when validating against base R4, a UK Core binding
// replaces the base one on the same element, and each can be suppressed.
func TestBindingStrengths(t *testing.T) {
	issues := func(js string, opts ValidateOptions) []string {
		t.Helper()
		r, err := Unmarshal([]byte(js))
		require.NoError(t, err)
		oo, err := ValidateProfiles(context.Background(), r, opts)
		require.NoError(t, err)
		var got []string
		if oo != nil {
			for _, is := range oo.Issue {
				if is.Details != nil && strings.HasPrefix(is.Details.Text.Value, "binding") {
					got = append(got, is.Severity.Value+" "+is.Details.Text.Value+" "+is.Expression[0].Value)
				}
			}
		}
		return got
	}
	// Patient.maritalStatus: extensible marital-status in R4, UK Core's
	// PersonMaritalStatusCode in UKCore-Patient; Patient.language and
	// communication.language: preferred languages
	pat := `{"resourceType":"Patient",%s"language":"xx-NOPE","maritalStatus":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-PersonMaritalStatusEngland","code":"N"}]},"contact":[{"relationship":[{"text":"neighbour"}]}]}`
	plain := strings.Replace(pat, "%s", "", 1)
	claimed := strings.Replace(pat, "%s", `"meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},`, 1)
	assert.Equal(t, []string{
		"warning binding-extensible Patient.maritalStatus",
		"warning binding-extensible Patient.contact[0].relationship[0]",
	}, issues(plain, ValidateOptions{}))
	assert.Equal(t, []string{
		"information binding-preferred Patient.language",
		"warning binding-extensible Patient.maritalStatus",
		"warning binding-extensible Patient.contact[0].relationship[0]",
	}, issues(plain, ValidateOptions{Mode: ProfilesBase}))
	// the UK Core code is in UK Core's value set: no issue; the text-only
	// relationship is judged by UK Core's extensible binding instead
	assert.Equal(t, []string{
		"warning binding-extensible Patient.contact[0].relationship[0]",
	}, issues(claimed, ValidateOptions{}))
	assert.Empty(t, issues(plain, ValidateOptions{Suppress: []string{RuleBindingExtensible}}))
	// a code in the base value set passes
	ok := `{"resourceType":"Patient","language":"en-GB","maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M"}]}}`
	assert.Empty(t, issues(ok, ValidateOptions{Mode: ProfilesBase}))
}

// The rules inside slices pass once the slice's element is right: no
// cardinality, slicing or fixed issue is left.
func TestSliceInnerRulesAccept(t *testing.T) {
	fix := map[string][2]string{
		"slice-inner-nhsnumber-no-value.json": {`"system":"https://fhir.nhs.uk/Id/nhs-number",`, `"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018",`},
		"slice-inner-nhsnumber-status-twice.json": {`,
  {"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"02"}]}}`, ``},
		"slice-nested-bp-systolic-loinc-code.json": {`"code":"8462-4"`, `"code":"8480-6"`},
		"parent-bmi-snomed-missing.json":           {`"code":"39156-5"}]`, `"code":"39156-5"},{"system":"http://snomed.info/sct","code":"60621009"}]`},
		"parent-bmi-loinc-code.json":               {`"code":"8302-2"`, `"code":"39156-5"`},
		"pattern-codeableconcept-code.json":        {`"code":"8310-5","display":"Body temperature"`, `"code":"8867-4","display":"Heart rate"`},
		"fixed-codeableconcept-method.json":        {`,"text":"auscultation"`, ``},
		"pattern-quantity-in-slice.json":           {`"unit":"millimeter of mercury","system":"http://unitsofmeasure.org","code":"mm[Hg]"`, `"unit":"per minute","system":"http://unitsofmeasure.org","code":"/min"`},
		"slice-pattern-category-missing.json":      {`"code":"survey","display":"Survey"`, `"code":"vital-signs","display":"Vital Signs"`},
		"slice-exists-component-absent-twice.json": {`{"code":{"text":"volume"},"dataAbsentReason":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/data-absent-reason","code":"not-performed"}]}}`, `{"code":{"text":"volume"},"valueQuantity":{"value":1,"system":"http://unitsofmeasure.org","code":"/min"}}`},
		"slice-profile-bundle-no-patient.json":     {`"resourceType":"Patient","id":"p1",`, `"resourceType":"Patient","id":"p1","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},`},
		"parent-bmi-bodystructure-twice.json":      {`,{"url":"http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.bodyStructure","valueReference":{"reference":"BodyStructure/b2"}}`, ``},
	}
	for file, f := range fix {
		data, err := os.ReadFile(filepath.Join("testdata", "profiles", file))
		require.NoError(t, err)
		require.Contains(t, string(data), f[0], file)
		r, err := Unmarshal([]byte(strings.Replace(string(data), f[0], f[1], 1)))
		require.NoError(t, err)
		oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
		require.NoError(t, err)
		if oo == nil {
			continue
		}
		for _, is := range oo.Issue {
			switch is.Details.Text.Value {
			case RuleSlicing, RuleFixed, "cardinality", RuleBinding:
				t.Errorf("%s: unexpected %s at %s: %s", file, is.Details.Text.Value, is.Expression[0].Value, is.Diagnostics.Value)
			}
		}
	}
}

// OpenCompose gives the part of a bound value set's definition left to a
// Terminology: the includes on the systems not held in full, the value
// sets included by name, and nothing for a value set expanded whole.
func TestOpenCompose(t *testing.T) {
	c, ok := OpenCompose("http://hl7.org/fhir/ValueSet/condition-code|4.0.1")
	require.True(t, ok)
	want := &ValueSetCompose{Include: []ValueSetComposeConceptSet{{
		System: URI{Value: "http://snomed.info/sct"},
		Filter: []ValueSetComposeConceptSetFilter{{Property: Code{Value: "concept"}, Op: Code{Value: "is-a"}, Value: String{Value: "404684003"}}},
	}}}
	assert.Equal(t, want, c)
	c.Include[0].System.Value = "changed"
	again, _ := OpenCompose("http://hl7.org/fhir/ValueSet/condition-code")
	assert.Equal(t, want, again, "each call gives its own copy")

	// a UK Core value set whose SNOMED CT part is an expression constraint
	c, ok = OpenCompose("https://fhir.hl7.org.uk/ValueSet/UKCore-CareSettingType")
	require.True(t, ok)
	require.Len(t, c.Include, 1)
	assert.Equal(t, "memberOf 1127531000000102", c.Include[0].Filter[0].Value.Value)

	// a value set that includes another by name, which OpenCompose gives too
	c, ok = OpenCompose("http://hl7.org/fhir/ValueSet/use-context")
	require.True(t, ok)
	var named []string
	for _, inc := range c.Include {
		for _, v := range inc.ValueSet {
			named = append(named, v.Value)
			_, ok := OpenCompose(v.Value)
			assert.True(t, ok, v.Value)
		}
	}
	assert.Contains(t, named, "http://hl7.org/fhir/ValueSet/condition-code")

	// an exclusion on an open system is kept
	c, ok = OpenCompose("http://hl7.org/fhir/ValueSet/encounter-participant-type")
	require.True(t, ok)
	require.NotEmpty(t, c.Exclude)
	assert.Equal(t, "_ParticipationAncillary", c.Exclude[0].Concept[0].Code.Value)

	for _, u := range []string{"http://hl7.org/fhir/ValueSet/administrative-gender", "http://example.org/fhir/ValueSet/unknown", ""} {
		_, ok := OpenCompose(u)
		assert.False(t, ok, u)
	}
}

// A reference's target found in a resource with many contained ones, or
// in a Bundle with many entries, where the validator looks it up in an
// index: the same issues as where it scans, the first of two entries
// with one fullUrl counting, as in a scan.
func TestReferenceTargetsLookedUp(t *testing.T) {
	targetIssues := func(t *testing.T, js string) []string {
		t.Helper()
		r, err := Unmarshal([]byte(js))
		require.NoError(t, err)
		oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
		require.NoError(t, err)
		var got []string
		for _, is := range oo.Issue {
			if is.Details != nil && is.Details.Text.Value == RuleReferenceTarget || is.Details != nil && is.Details.Text.Value == "ref-1" {
				got = append(got, is.Details.Text.Value+" "+is.Expression[0].Value)
			}
		}
		return got
	}
	for _, n := range []int{2, indexFrom + 4} {
		// contained: c0 is a Device, which a GP cannot be; #c9 names none
		var b strings.Builder
		b.WriteString(`{"resourceType":"Patient","contained":[{"resourceType":"Device","id":"c0"}`)
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, `,{"resourceType":"Organization","id":"c%d","name":"x"}`, i)
		}
		b.WriteString(`],"generalPractitioner":[{"reference":"#c0"}`)
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, `,{"reference":"#c%d"}`, i)
		}
		b.WriteString(`],"managingOrganization":{"reference":"#c99"}}`)
		assert.Equal(t, []string{"reference-target Patient.generalPractitioner[0].reference", "ref-1 Patient.managingOrganization"}, targetIssues(t, b.String()), "%d contained", n)

		// a Bundle: entry 0's subject is entry 1, an Observation; entry 2's
		// is entry 3, a Patient; the last entry has entry 1's fullUrl again
		b.Reset()
		obs := func(subject int) string {
			return fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-%012d"}}`, subject)
		}
		b.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[`)
		for i := range n + 4 {
			if i > 0 {
				b.WriteByte(',')
			}
			id, res := i, `{"resourceType":"Patient"}`
			switch {
			case i == 0:
				res = obs(1)
			case i == 1:
				res = obs(99)
			case i == 2:
				res = obs(3)
			case i == n+3:
				id = 1
			}
			fmt.Fprintf(&b, `{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":%s}`, id, res)
		}
		b.WriteString(`]}`)
		assert.Equal(t, []string{"reference-target Bundle.entry[0].resource.subject.reference"}, targetIssues(t, b.String()), "%d entries", n+4)
	}
	// a contained resource's references: "#id" names one contained beside
	// it, and urn:uuid an entry of the Bundle its holder is in
	js := `{"resourceType":"Bundle","type":"collection","entry":[` +
		`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","contained":[` +
		`{"resourceType":"Organization","id":"o1","partOf":{"reference":"#p"}},{"resourceType":"Patient","id":"p","managingOrganization":{"reference":"#o1"}},` +
		`{"resourceType":"Organization","id":"o2","partOf":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000002"}}],` +
		`"managingOrganization":{"reference":"#o2"}}},` +
		`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000002","resource":{"resourceType":"Patient"}}]}`
	assert.Equal(t, []string{
		"reference-target Bundle.entry[0].resource.contained[0].partOf.reference",
		"reference-target Bundle.entry[0].resource.contained[2].partOf.reference",
	}, targetIssues(t, js))
}

// ref-1 reads %rootResource, which FHIR R4 defines as the resource that
// holds a contained one and otherwise %resource itself: in a Bundle,
// "#o" names a contained resource of the entry's own resource, and in a
// contained resource, one contained beside it.
func TestRef1RootResource(t *testing.T) {
	const div = `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}`
	for _, tt := range []struct {
		name, js string
		want     []string
	}{
		{"bundle entries",
			`{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient",` + div + `,"contained":[{"resourceType":"Organization","id":"o","name":"x"}],"managingOrganization":{"reference":"#o"}}},` +
				`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000002","resource":{"resourceType":"Patient",` + div + `,"managingOrganization":{"reference":"#o"}}}]}`,
			[]string{"Bundle.entry[1].resource.managingOrganization"}},
		{"contained beside",
			`{"resourceType":"Patient",` + div + `,"contained":[{"resourceType":"Organization","id":"o1","partOf":{"reference":"#o2"}},{"resourceType":"Organization","id":"o2","partOf":{"reference":"#o3"}}],"managingOrganization":{"reference":"#o1"}}`,
			[]string{"Patient.contained[1].partOf"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Unmarshal([]byte(tt.js))
			require.NoError(t, err)
			oo, err := ValidateProfiles(context.Background(), r, ValidateOptions{})
			require.NoError(t, err)
			var got []string
			for _, is := range oo.Issue {
				if is.Details != nil && is.Details.Text.Value == "ref-1" {
					got = append(got, is.Expression[0].Value)
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
