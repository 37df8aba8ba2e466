// Package fhir_test measures nhskit's FHIR JSON codec and validation side by
// side with samply/golang-fhir-models (encoding/json structs) and
// google/fhir jsonformat (protocol buffers), in the same run.
package fhir_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	gjson "github.com/google/fhir/go/jsonformat"
	samply "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/nhskit/nhskit/fhir"
)

func patientJSON(b *testing.B) []byte {
	data, err := os.ReadFile("testdata/patient.json")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// searchBundle builds a searchset Bundle of n entries, half Patients
// (match) and half Observations (include), from synthetic data.
func searchBundle(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"resourceType":"Bundle","id":"search-1","type":"searchset","total":` + fmt.Sprint(n/2) + `,"link":[{"relation":"self","url":"https://fhir.example.nhs.uk/Patient?family=Testington"}],"entry":[`)
	patient := patientJSON(b)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		if i%2 == 0 {
			fmt.Fprintf(&buf, `{"fullUrl":"https://fhir.example.nhs.uk/Patient/p%d","resource":`, i)
			buf.Write(bytes.Replace(patient, []byte(`"id": "9990000018"`), []byte(fmt.Sprintf(`"id": "p%d"`, i)), 1))
			buf.WriteString(`,"search":{"mode":"match","score":1}}`)
		} else {
			fmt.Fprintf(&buf, `{"fullUrl":"https://fhir.example.nhs.uk/Observation/o%d","resource":{"resourceType":"Observation","id":"o%d","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"27113001","display":"Body weight"}]},"subject":{"reference":"Patient/p%d"},"effectiveDateTime":"2026-11-0%dT10:15:00+00:00","valueQuantity":{"value":7%d.50,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"},"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"N"}]}]},"search":{"mode":"include"}}`, i, i, i-1, 1+i%9, i%10)
		}
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

func BenchmarkDecodePatient(b *testing.B) {
	data := patientJSON(b)
	b.Run("nhskit", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fhir.Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("samply", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := samply.UnmarshalPatient(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("google", func(b *testing.B) {
		u, err := gjson.NewUnmarshaller("UTC", fhirversion.R4)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := u.Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The UK Core Patient as FHIR XML: nhskit's whole decode into the typed
// model, beside encoding/xml only reading the tokens of the same bytes
// (the floor of any decoder built on encoding/xml; no Go FHIR library
// reads XML).
func BenchmarkDecodePatientXML(b *testing.B) {
	data, err := fhir.JSONToXML(patientJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("nhskit", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fhir.UnmarshalXML(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-xml-tokens", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			d := xml.NewDecoder(bytes.NewReader(data))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkDecodeBundle1000(b *testing.B) {
	data := searchBundle(b, 1000)
	b.Run("nhskit", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fhir.Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("samply", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			// samply decodes entry resources as raw JSON; decode each one
			// too, so both sides end with typed resources.
			bundle, err := samply.UnmarshalBundle(data)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range bundle.Entry {
				if bytes.Contains(e.Resource[:40], []byte(`"Patient"`)) {
					_, err = samply.UnmarshalPatient(e.Resource)
				} else {
					_, err = samply.UnmarshalObservation(e.Resource)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("google", func(b *testing.B) {
		u, err := gjson.NewUnmarshaller("UTC", fhirversion.R4)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := u.Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodePatient(b *testing.B) {
	data := patientJSON(b)
	r, err := fhir.Unmarshal(data)
	if err != nil {
		b.Fatal(err)
	}
	sp, err := samply.UnmarshalPatient(data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("nhskit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fhir.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("samply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sp.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeBundle1000(b *testing.B) {
	data := searchBundle(b, 1000)
	r, err := fhir.Unmarshal(data)
	if err != nil {
		b.Fatal(err)
	}
	sb, err := samply.UnmarshalBundle(data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("nhskit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fhir.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("samply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sb.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkValidatePatient(b *testing.B) {
	r, err := fhir.Unmarshal(patientJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	if oo := fhir.Validate(r); oo != nil {
		b.Fatalf("the benchmark patient is not valid: %+v", oo.Issue)
	}
	b.ReportAllocs()
	for b.Loop() {
		if fhir.Validate(r) != nil {
			b.Fatal("invalid")
		}
	}
}
