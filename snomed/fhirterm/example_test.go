package fhirterm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/fhirterm"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// A terminology server over a synthetic release, mounted under /fhir:
// $subsumes asks whether Body structure subsumes Pulmonary valve structure.
func Example() {
	dir, _ := os.MkdirTemp("", "fhirterm")
	defer os.RemoveAll(dir)
	if _, err := snomedtest.Generate(filepath.Join(dir, "rel"), snomedtest.Tiny); err != nil {
		fmt.Println(err)
		return
	}
	if err := snomed.Import(context.Background(), filepath.Join(dir, "rel"), filepath.Join(dir, "store.db")); err != nil {
		fmt.Println(err)
		return
	}
	store, err := snomed.Open(filepath.Join(dir, "store.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

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
