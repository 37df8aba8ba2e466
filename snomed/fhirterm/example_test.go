package fhirterm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/fhirterm"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// A terminology server over a synthetic release, mounted under /fhir:
// $subsumes asks whether Body structure subsumes Pulmonary valve structure.
func Example() {
	store, done, err := tinyStore()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	mux := http.NewServeMux()
	mux.Handle("/fhir/", http.StripPrefix("/fhir", fhirterm.New(store)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/fhir/CodeSystem/$subsumes?system=http://snomed.info/sct&codeA=123037004&codeB=39057004")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 {"resourceType":"Parameters","parameter":[{"name":"outcome","valueCode":"subsumes"}]}
}

// The Handler is a fhir.Terminology: FHIRPath's memberOf() and
// fhir.ValidateProfiles ask it about SNOMED CT value sets, here R4's
// condition-code (is-a 404684003 |Clinical finding|).
func ExampleHandler_MemberOf() {
	store, done, err := tinyStore()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()
	h := fhirterm.New(store)
	ctx := context.Background()

	const conditionCode = "http://hl7.org/fhir/ValueSet/condition-code"
	in, known, err := h.MemberOf(ctx, conditionCode, fhirterm.System, "39057004") // a body structure
	fmt.Println(in, known, err)

	cond := &fhir.Condition{Code: &fhir.CodeableConcept{Coding: []fhir.Coding{{
		System: fhir.URI{Value: fhirterm.System}, Code: fhir.Code{Value: "404684003"}}}}}
	p := fhir.MustCompileFHIRPath("code.memberOf('" + conditionCode + "')")
	got, err := p.Evaluate(ctx, cond, &fhir.FHIRPathEnv{Terminology: h})
	fmt.Println(got, err)
	// Output:
	// false true <nil>
	// [true] <nil>
}

// tinyStore imports a small synthetic release into a temporary store;
// done closes it and removes its files.
func tinyStore() (store *snomed.Store, done func(), err error) {
	dir, err := os.MkdirTemp("", "fhirterm")
	if err != nil {
		return nil, nil, err
	}
	if _, err := snomedtest.Generate(filepath.Join(dir, "rel"), snomedtest.Tiny); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	if err := snomed.Import(context.Background(), filepath.Join(dir, "rel"), filepath.Join(dir, "store.db")); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	store, err = snomed.Open(filepath.Join(dir, "store.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return store, func() { store.Close(); os.RemoveAll(dir) }, nil
}
