package fhir

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F) {
	f.Add([]byte(patientJSON))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50}}}]}`))
	f.Add([]byte(`{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"1"}]}]}`))
	files, _ := filepath.Glob(filepath.Join(sharedDir, "pds", "sandbox", "mocks", "*.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// FuzzUnmarshal: any input gives a resource or a *DecodeError, never a
// panic; a resource that decodes writes JSON that decodes to the same
// JSON again.
func FuzzUnmarshal(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Unmarshal(data)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-decoding our own output: %v\n%s", err, out)
		}
		out2, _ := Marshal(r2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		_ = Validate(r)
	})
}

// FuzzBundleDecoder: the streaming decoder never panics and ends.
func FuzzBundleDecoder(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewBundleDecoder(bytes.NewReader(data))
		for i := 0; i < 10000; i++ {
			if _, err := d.Next(); err != nil {
				if err == io.EOF {
					_, _ = d.Bundle()
				}
				return
			}
		}
		t.Fatal("the decoder did not end")
	})
}

// FuzzXML: FHIR XML converts or gives an error, never a panic.
func FuzzXML(f *testing.F) {
	f.Add([]byte(`<Patient xmlns="http://hl7.org/fhir"><id value="a"/><name><given value="b"/><given id="x"><extension url="u"><valueString value="c"/></extension></given></name></Patient>`))
	f.Add([]byte(`<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><text value="x"/></code><valueQuantity><value value="1.50"/></valueQuantity></Observation>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := XMLToJSON(data)
		if err != nil {
			return
		}
		if r, err := Unmarshal(js); err == nil {
			if _, err := MarshalXML(r); err != nil {
				t.Fatalf("a decoded resource does not write as XML: %v", err)
			}
		}
	})
}
