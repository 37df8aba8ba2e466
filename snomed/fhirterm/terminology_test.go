package fhirterm_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed/fhirterm"
)

// The handler answers fhir.Terminology's questions from the store: the
// SNOMED CT part of a value set fhir holds (fhir.OpenCompose: any UK Core
// one, and the base ones bound) or of an implicit one, as one expression
// constraint.
func TestMemberOf(t *testing.T) {
	h := fhirterm.New(openUK(t))
	const (
		conditionCode = "http://hl7.org/fhir/ValueSet/condition-code" // is-a 404684003
		useContext    = "http://hl7.org/fhir/ValueSet/use-context"    // includes condition-code, among others
		// descendantOf 404684003 OR descendantOf 413350009 OR descendantOf
		// 272379006, in ECL's long syntax
		ukConditionCode = "https://fhir.hl7.org.uk/ValueSet/UKCore-ConditionCode"
	)
	tests := []struct {
		name                   string
		valueSet, system, code string
		in, known              bool
	}{
		{"in by is-a", conditionCode, fhirterm.System, id(asthma), true, true},
		{"the filter's own concept", conditionCode, fhirterm.System, id(clinicalFinding), true, true},
		{"outside the hierarchy", conditionCode, fhirterm.System, id(appendicectomy), false, true},
		{"inactive concept", conditionCode, fhirterm.System, id(uint64(retiredAsthma)), false, true},
		{"not a concept id", conditionCode, fhirterm.System, "asthma", false, true},
		{"concept the store does not hold", conditionCode, fhirterm.System, "22298006", false, false},
		{"another code system", conditionCode, "http://loinc.org", "1234-5", false, false},
		{"definition names a concept the store does not hold", useContext, fhirterm.System, id(childAsthma), false, false},
		{"implicit is-a", vsURL("isa/" + id(disease)), fhirterm.System, id(diabetes), true, true},
		{"implicit is-a, above", vsURL("isa/" + id(disease)), fhirterm.System, id(clinicalFinding), false, true},
		{"implicit ECL", vsURL("ecl/%3C%20" + id(disease)), fhirterm.System, id(disease), false, true},
		{"value set with no SNOMED CT part", "http://hl7.org/fhir/ValueSet/all-languages", fhirterm.System, id(asthma), false, false},
		{"UK Core value set that nothing binds", ukConditionCode, fhirterm.System, id(asthma), true, true},
		// the test store lacks 413350009 and 272379006: not a member of
		// what it holds, but it cannot tell
		{"UK Core value set that nothing binds, outside", ukConditionCode, fhirterm.System, id(appendicectomy), false, false},
		{"unknown implicit form", fhirterm.System + "?fhir_cm=1", fhirterm.System, id(asthma), false, false},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, known, err := h.MemberOf(ctx, tc.valueSet, tc.system, tc.code)
			require.NoError(t, err)
			assert.Equal(t, [2]bool{tc.in, tc.known}, [2]bool{in, known}, "in, known")
		})
	}
}

// fhir.ValidateProfiles asks the handler about the SNOMED CT bindings it
// cannot decide itself: R4's openEHR-location extension binds body-site
// (extensible, is-a 442083009) on AllergyIntolerance.reaction.
func TestValidateProfilesWithStore(t *testing.T) {
	h := fhirterm.New(openUK(t))
	allergy := func(code string) fhir.Resource {
		t.Helper()
		r, err := fhir.Unmarshal([]byte(`{"resourceType":"AllergyIntolerance",
		  "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">synthetic</div>"},
		  "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
		  "patient":{"reference":"Patient/a"},
		  "reaction":[{"manifestation":[{"text":"rash"}],
		    "extension":[{"url":"http://hl7.org/fhir/StructureDefinition/openEHR-location",
		      "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}]}}]}]}`))
		require.NoError(t, err)
		return r
	}
	bindings := func(oo *fhir.OperationOutcome) []string {
		var out []string
		if oo == nil {
			return nil
		}
		for _, is := range oo.Issue {
			out = append(out, is.Severity.Value+" "+is.Details.Text.Value+" "+is.Expression[0].Value)
		}
		return out
	}
	ctx := context.Background()
	tests := []struct {
		name, code string
		term       bool
		want       []string
	}{
		{"in the value set", id(lungStructure), true, nil},
		{"outside it", id(asthma), true, []string{"warning binding-extensible AllergyIntolerance.reaction[0].extension[0].value"}},
		{"outside it, no terminology", id(asthma), false, nil},
		{"a concept the store does not hold", "22298006", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := fhir.ValidateOptions{}
			if tc.term {
				opts.Terminology = h
			}
			oo, err := fhir.ValidateProfiles(ctx, allergy(tc.code), opts)
			require.NoError(t, err)
			assert.Equal(t, tc.want, bindings(oo))
		})
	}
}

// MemberOf is safe for concurrent use: the value sets it reads once are
// shared by every caller, and the answers do not change.
func TestMemberOfConcurrent(t *testing.T) {
	h := fhirterm.New(openUK(t))
	ctx := context.Background()
	sets := []string{"http://hl7.org/fhir/ValueSet/condition-code", vsURL("isa/" + id(disease)), "http://hl7.org/fhir/ValueSet/body-site"}
	codes := []string{id(asthma), id(lungStructure), id(appendicectomy)}
	want := map[[2]int]bool{{0, 0}: true, {1, 0}: true, {2, 1}: true}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(sets)*len(codes))
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, vs := range sets {
				for j, code := range codes {
					in, known, err := h.MemberOf(ctx, vs, fhirterm.System, code)
					if err != nil || !known || in != want[[2]int{i, j}] {
						errs <- fmt.Sprintf("%s %s: in=%v known=%v err=%v", vs, code, in, known, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
