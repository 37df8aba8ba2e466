package deftgz

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

type entry struct{ name, body string }

// writeTgz writes entries as a gzipped tar in a temporary folder.
func writeTgz(t *testing.T, entries []entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "definitions.tgz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEachFiltersAndKeepsOrder(t *testing.T) {
	p := writeTgz(t, []entry{
		{"package/StructureDefinition-Patient.json", `{"a":1}`},
		{"package/ValueSet-x.json", `{"b":2}`},
		{"package/StructureDefinition-Patient.xml", `<x/>`},
		{"package/CodeSystem-y.json", `{"c":3}`},
		{"package/other/StructureDefinition-Observation.json", `{"d":4}`},
		{"package/NamingSystem-z.json", `{}`},
		{"StructureDefinition-.json", `{"e":5}`},
	})
	var got []entry
	err := Each(p, []string{"StructureDefinition-", "CodeSystem-"}, func(name string, data []byte) error {
		got = append(got, entry{name, string(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{
		{"StructureDefinition-Patient.json", `{"a":1}`},
		{"CodeSystem-y.json", `{"c":3}`},
		{"StructureDefinition-Observation.json", `{"d":4}`},
		{"StructureDefinition-.json", `{"e":5}`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEachNoPrefixesReadsNothing(t *testing.T) {
	p := writeTgz(t, []entry{{"package/ValueSet-x.json", `{}`}})
	n := 0
	if err := Each(p, nil, func(string, []byte) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Each with no prefixes: %d calls, err %v; want none, nil", n, err)
	}
}

func TestEachStopsAtFnError(t *testing.T) {
	p := writeTgz(t, []entry{
		{"package/ValueSet-a.json", `{}`},
		{"package/ValueSet-b.json", `{}`},
		{"package/ValueSet-c.json", `{}`},
	})
	stop := errors.New("stop")
	var names []string
	err := Each(p, []string{"ValueSet-"}, func(name string, _ []byte) error {
		names = append(names, name)
		if name == "ValueSet-b.json" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("err = %v, want fn's error as it was given", err)
	}
	if want := []string{"ValueSet-a.json", "ValueSet-b.json"}; !reflect.DeepEqual(names, want) {
		t.Errorf("read %q, want %q", names, want)
	}
}

func TestEachMissingFile(t *testing.T) {
	err := Each(filepath.Join(t.TempDir(), "none.tgz"), []string{"ValueSet-"}, func(string, []byte) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want one that is os.ErrNotExist", err)
	}
}

func TestEachNotGzip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "plain.tgz")
	if err := os.WriteFile(p, []byte("not a gzip stream"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Each(p, []string{"ValueSet-"}, func(string, []byte) error { return nil })
	if !errors.Is(err, gzip.ErrHeader) {
		t.Errorf("err = %v, want gzip.ErrHeader", err)
	}
}

func TestEachTruncatedArchive(t *testing.T) {
	p := writeTgz(t, []entry{{"package/ValueSet-a.json", `{"long":"` + string(bytes.Repeat([]byte("x"), 4096)) + `"}`}})
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// a gzip stream cut short: the tar below it ends in the middle of the file
	var raw bytes.Buffer
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(&raw, zr); err != nil {
		t.Fatal(err)
	}
	var cut bytes.Buffer
	zw := gzip.NewWriter(&cut)
	zw.Write(raw.Bytes()[:1024])
	zw.Close()
	if err := os.WriteFile(p, cut.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	called := false
	err = Each(p, []string{"ValueSet-"}, func(string, []byte) error { called = true; return nil })
	if err == nil || called {
		t.Errorf("a truncated archive: err %v, fn called %v; want an error and no call", err, called)
	}
}
