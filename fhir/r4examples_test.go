package fhir

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhskit/nhskit/fhir/internal/fhirxml"
)

// r4Examples are the JSON examples published with FHIR R4 4.0.1
// (hl7.fhir.r4.examples), read from ../shared. Their absence fails the
// test: the corpus is what proves the models against the specification.
const r4Examples = sharedDir + "/fhir-r4/examples.tgz"

// notResources are files of the examples package that are not resources.
var notResources = map[string]bool{"package.json": true}

// truncatedExamples are broken in the published snapshot
// (../shared/fhir-r4/README.md) and must fail with a syntax error.
var truncatedExamples = map[string]bool{"Bundle-conceptmaps.json": true}

func readR4Examples(t *testing.T) map[string][]byte {
	t.Helper()
	f, err := os.Open(filepath.FromSlash(r4Examples))
	if err != nil {
		t.Fatalf("the R4 examples are missing (%v): the test needs ../shared beside the repository", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".json") {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[path.Base(h.Name)] = data
	}
	return out
}

// jsonDiff compares two JSON documents as values: key order aside, numbers
// by their text, empty objects and arrays of the original left out (FHIR
// JSON has none; a few examples carry them).
func jsonDiff(want, got []byte) string {
	var a, b any
	da := json.NewDecoder(bytes.NewReader(want))
	da.UseNumber()
	if err := da.Decode(&a); err != nil {
		return "original: " + err.Error()
	}
	a, _ = pruneEmpty(a)
	db := json.NewDecoder(bytes.NewReader(got))
	db.UseNumber()
	if err := db.Decode(&b); err != nil {
		return "output: " + err.Error()
	}
	return cmp.Diff(a, b)
}

// TestR4Examples: every official R4 example decodes, round-trips exactly
// and survives JSON → XML → JSON; its XML takes the fast parse, which
// reads it as encoding/xml does.
func TestR4Examples(t *testing.T) {
	examples := readR4Examples(t)
	for name := range notResources {
		delete(examples, name)
	}
	if len(examples) != 5298 {
		t.Errorf("%d examples, want the 5,298 resources published", len(examples))
	}
	step := 1
	if raceEnabled || testing.Short() {
		// Under the race detector the corpus takes minutes; a sample
		// keeps the check (the full run is the test without -race).
		step = 10
	}
	decoded, roundTrip, viaXML, i := 0, 0, 0, 0
	for name, data := range examples {
		i++
		if i%step != 0 && !truncatedExamples[name] {
			continue
		}
		r, err := Unmarshal(data)
		if truncatedExamples[name] {
			if err == nil {
				t.Errorf("%s: the truncated example decodes", name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		decoded++
		out, err := Marshal(r)
		if err != nil {
			t.Errorf("%s: marshal: %v", name, err)
			continue
		}
		if d := jsonDiff(data, out); d != "" {
			t.Errorf("%s: round trip differs (-want +got):\n%s", name, clipDiff(d))
			continue
		}
		roundTrip++
		x, err := JSONToXML(out)
		if err != nil {
			t.Errorf("%s: to XML: %v", name, err)
			continue
		}
		fast, err := fhirxml.CheckFastParse(x)
		if err != nil || !fast {
			t.Errorf("%s: the fast XML parse: taken %v, %v", name, fast, err)
		}
		back, err := XMLToJSON(x)
		if err != nil {
			t.Errorf("%s: XML back to JSON: %v", name, err)
			continue
		}
		r2, err := Unmarshal(back)
		if err != nil {
			t.Errorf("%s: decoding the JSON of our XML: %v", name, err)
			continue
		}
		out2, _ := Marshal(r2)
		if d := jsonDiff(out, out2); d != "" {
			t.Errorf("%s: JSON → XML → JSON differs (-want +got):\n%s", name, clipDiff(d))
			continue
		}
		viaXML++
	}
	t.Logf("R4 examples: %d decoded, %d round-tripped exactly, %d survived JSON → XML → JSON (1 in %d of %d, and the truncated one refused)", decoded, roundTrip, viaXML, step, len(examples))
}

func clipDiff(d string) string {
	if len(d) > 2000 {
		return d[:2000] + "…"
	}
	return d
}
