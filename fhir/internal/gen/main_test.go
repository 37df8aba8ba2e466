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
	dir := t.TempDir()
	if err := run("r4.def", dir, "r4"); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "zz_*.go"))
	if len(files) != 8 {
		t.Fatalf("generated %d files, want 8", len(files))
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join("..", "..", filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(want, got) {
			t.Errorf("%s is stale: run go generate in fhir", filepath.Base(f))
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
	want, err := fromDefinitions(ds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse("r4.def")
	if err != nil {
		t.Fatal(err)
	}
	resources := 0
	for _, d := range want {
		if d.Kind == "resource" {
			resources++
		}
	}
	if resources != 146 {
		t.Errorf("%d resource types in the definitions, want the 146 of R4 4.0.1", resources)
	}
	if len(got) != len(want) {
		t.Fatalf("r4.def has %d blocks, the definitions %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Kind != g.Kind || w.Name != g.Name || w.Backbone != g.Backbone || w.Plain != g.Plain {
			t.Errorf("block %d: r4.def has %s %s, the definitions %s %s", i, g.Kind, g.Name, w.Kind, w.Name)
			continue
		}
		if len(w.Elems) != len(g.Elems) {
			t.Errorf("%s: %d elements in r4.def, %d in the definitions", w.Name, len(g.Elems), len(w.Elems))
			continue
		}
		for j := range w.Elems {
			we, ge := w.Elems[j], g.Elems[j]
			// r4.def writes the open type list as "*".
			if ge.Choice && len(ge.Types) == len(openTypes) && sameSet(we.Types, openTypes) {
				ge.Types = we.Types
			}
			if we.Name != ge.Name || we.Choice != ge.Choice || we.Min != ge.Min || we.Many != ge.Many || we.VS != ge.VS ||
				strings.Join(we.Types, "|") != strings.Join(ge.Types, "|") || strings.Join(we.Codes, " ") != strings.Join(ge.Codes, " ") {
				t.Errorf("%s.%s: r4.def says %+v, the definitions %+v", w.Name, we.Name, ge, we)
			}
		}
	}
}
