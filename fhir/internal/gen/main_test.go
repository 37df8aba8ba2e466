package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedUpToDate regenerates the models into a temporary folder and
// compares them with the checked-in files, so that r4.def, the generator and
// its output cannot drift apart.
func TestGeneratedUpToDate(t *testing.T) {
	upToDate(t, "r4", "r4.def", filepath.Join("..", ".."), 9)
}

// TestSTU3GeneratedUpToDate does the same for fhir/stu3 and stu3.def.
func TestSTU3GeneratedUpToDate(t *testing.T) {
	upToDate(t, "stu3", "stu3.def", filepath.Join("..", "..", "stu3"), 6)
}

func upToDate(t *testing.T, version, def, pkg string, n int) {
	defer setVersion("r4")
	dir := t.TempDir()
	if err := run(def, dir, version); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "zz_*.go"))
	if len(files) != n {
		t.Fatalf("generated %d files, want %d", len(files), n)
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(pkg, filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(want, got) {
			t.Errorf("%s is stale: run go generate in %s", filepath.Base(f), pkg)
		}
	}
}

// TestDefMatchesDefinitions checks r4.def against the official R4
// StructureDefinitions in ../shared: every datatype and resource, every
// element with its types, cardinality and required binding codes. It fails
// when ../shared is missing.
func TestDefMatchesDefinitions(t *testing.T) {
	ds, err := readDefinitions(filepath.Join("..", "..", "..", "..", "shared", "fhir-r4", "definitions.tgz"))
	if err != nil {
		t.Fatalf("the R4 definitions are missing (%v): the test needs ../shared beside the repository", err)
	}
	resources := sameDefs(t, "r4.def", ds)
	if resources != 146 {
		t.Errorf("%d resource types in the definitions, want the 146 of R4 4.0.1", resources)
	}
}

// TestSTU3DefMatchesDefinitions checks stu3.def against the official STU3
// StructureDefinitions of the npm package fhir@3.2.0, unpacked in the
// folder NHSKIT_FHIR_STU3 names (.ci/run fetches it). Outside CI it is
// skipped when that is not set; in CI it fails.
func TestSTU3DefMatchesDefinitions(t *testing.T) {
	dir := os.Getenv("NHSKIT_FHIR_STU3")
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_FHIR_STU3 is not set: .ci/run fetches the npm package fhir@3.2.0 and sets it")
		}
		t.Skip("NHSKIT_FHIR_STU3 not set (the npm package fhir@3.2.0, unpacked)")
	}
	if err := setVersion("stu3"); err != nil {
		t.Fatal(err)
	}
	defer setVersion("r4")
	ds, err := readSTU3Definitions(dir)
	if err != nil {
		t.Fatalf("the STU3 definitions cannot be read from %s: %v", dir, err)
	}
	// STU3 3.0.1 defines 117 concrete resource types (Resource and
	// DomainResource are abstract).
	if resources := sameDefs(t, "stu3.def", ds); resources != 117 {
		t.Errorf("%d resource types in the definitions, want the 117 of STU3 3.0.1", resources)
	}
}

// sameDefs compares a definition file with what the definitions say and
// returns how many resource types they define.
func sameDefs(t *testing.T, file string, ds *definitions) int {
	t.Helper()
	want, err := fromDefinitions(ds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse(file)
	if err != nil {
		t.Fatal(err)
	}
	resources := 0
	for _, d := range want {
		if d.Kind == "resource" {
			resources++
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s has %d blocks, the definitions %d", file, len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Kind != g.Kind || w.Name != g.Name || w.Backbone != g.Backbone || w.Plain != g.Plain {
			t.Errorf("block %d: %s has %s %s, the definitions %s %s", i, file, g.Kind, g.Name, w.Kind, w.Name)
			continue
		}
		if len(w.Elems) != len(g.Elems) {
			t.Errorf("%s: %d elements in %s, %d in the definitions", w.Name, len(g.Elems), file, len(w.Elems))
			continue
		}
		for j := range w.Elems {
			we, ge := w.Elems[j], g.Elems[j]
			// The definition file writes the open type list as "*".
			if ge.Choice && len(ge.Types) == len(openTypes) && sameSet(we.Types, openTypes) {
				ge.Types = we.Types
			}
			if we.Name != ge.Name || we.Choice != ge.Choice || we.Min != ge.Min || we.Many != ge.Many || we.VS != ge.VS ||
				strings.Join(we.Types, "|") != strings.Join(ge.Types, "|") || strings.Join(we.Codes, " ") != strings.Join(ge.Codes, " ") {
				t.Errorf("%s.%s: %s says %+v, the definitions %+v", w.Name, we.Name, file, ge, we)
			}
		}
	}
	return resources
}
