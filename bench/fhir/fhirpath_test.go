package fhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nhskit/nhskit/fhir"
)

// FHIRPath expressions on the UK Core Patient, evaluated by nhskit's
// compiled expressions and by fhirpath.js (npm fhirpath, R4 model) in the
// same run. The JavaScript side needs NHSKIT_FHIRPATHJS (a folder with
// node_modules/fhirpath, as .ci/run installs); it is timed by
// ../../fhir/testdata/fhirpathjs/diff.js for 200 ms per expression and
// reported as that sub-benchmark's ns/op.
var fhirpathExprs = []struct{ name, expr string }{
	{"nhsnumber", "identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value.first()"},
	{"official-given", "name.where(use = 'official').given.first()"},
	{"dom-6", "text.`div`.exists()"},
	{"ele-1-all", "descendants().all(hasValue() or (children().count() > id.count()))"},
	{"extension", "extension('https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory').exists()"},
}

var (
	jsOnce  sync.Once
	jsTimes []float64
	jsErr   error
)

func fhirpathJSTimes(b *testing.B, patient []byte) []float64 {
	jsOnce.Do(func() {
		dir := os.Getenv("NHSKIT_FHIRPATHJS")
		if dir == "" {
			return
		}
		cases := []map[string]string{}
		for _, e := range fhirpathExprs {
			cases = append(cases, map[string]string{"res": "p", "expr": e.expr})
		}
		in, _ := json.Marshal(map[string]any{"resources": map[string]json.RawMessage{"p": patient}, "cases": cases})
		tmp := filepath.Join(os.TempDir(), "nhskit-fhirpath-bench.json")
		if jsErr = os.WriteFile(tmp, in, 0o600); jsErr != nil {
			return
		}
		cmd := exec.Command("node", "../../fhir/testdata/fhirpathjs/diff.js", tmp, "bench")
		cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
		out, err := cmd.Output()
		if err != nil {
			jsErr = err
			return
		}
		var res []struct {
			NsPerOp float64 `json:"nsPerOp"`
		}
		if jsErr = json.Unmarshal(out, &res); jsErr != nil {
			return
		}
		for _, r := range res {
			jsTimes = append(jsTimes, r.NsPerOp)
		}
	})
	if jsErr != nil {
		b.Fatal(jsErr)
	}
	return jsTimes
}

func BenchmarkFHIRPath(b *testing.B) {
	data := patientJSON(b)
	n, err := fhir.NodeFromJSON(data)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i, e := range fhirpathExprs {
		p := fhir.MustCompileFHIRPath(e.expr)
		b.Run("nhskit/"+e.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.EvaluateNode(ctx, n, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("fhirpathjs/"+e.name, func(b *testing.B) {
			times := fhirpathJSTimes(b, data)
			if times == nil {
				b.Skip("NHSKIT_FHIRPATHJS not set")
			}
			for b.Loop() {
			}
			b.ReportMetric(times[i], "ns/op")
		})
	}
}

// ValidateProfiles on the UK Core Patient: Validate plus every base R4
// invariant and the claimed UK Core profile's.
func BenchmarkValidateProfilesPatient(b *testing.B) {
	r, err := fhir.Unmarshal(patientJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fhir.ValidateProfiles(ctx, r, fhir.ValidateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The same Patient with a narrative, so valid against every rule
// ValidateProfiles applies (no issue at all).
func BenchmarkValidateProfilesPatientValid(b *testing.B) {
	data := bytes.Replace(patientJSON(b), []byte(`"resourceType": "Patient",`), []byte(`"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">A synthetic patient</div>"},`), 1)
	r, err := fhir.Unmarshal(data)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if oo, err := fhir.ValidateProfiles(ctx, r, fhir.ValidateOptions{}); err != nil || oo != nil {
		b.Fatalf("not valid: %v %+v", err, oo)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fhir.ValidateProfiles(ctx, r, fhir.ValidateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// ValidateBytes on the UK Core Patient as JSON and as XML: decoding,
// ValidateProfiles and the line and column of its one issue (dom-6: no
// narrative); XML also checks the element order.
func BenchmarkValidateBytesPatient(b *testing.B) {
	js := patientJSON(b)
	x, err := fhir.JSONToXML(js)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, in := range []struct {
		name string
		data []byte
	}{{"json", js}, {"xml", x}} {
		b.Run(in.name, func(b *testing.B) {
			oo, err := fhir.ValidateBytes(ctx, in.data, fhir.ValidateOptions{})
			if err != nil || oo == nil || len(oo.Issue[0].Location) != 2 {
				b.Fatalf("want one placed issue: %v %+v", err, oo)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fhir.ValidateBytes(ctx, in.data, fhir.ValidateOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
