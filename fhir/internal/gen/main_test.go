package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate regenerates the models into a temporary folder and
// compares them with the checked-in files, so that r4.def, the generator and
// its output cannot drift apart.
func TestGeneratedUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := run("r4.def", dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "zz_*.go"))
	if len(files) != 5 {
		t.Fatalf("generated %d files, want 5", len(files))
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
