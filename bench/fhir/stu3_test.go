package fhir_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	gjson "github.com/google/fhir/go/jsonformat"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/spine/gpconnect"
)

// structuredRecord builds a GP Connect structured record of about n
// entries by repeating the resources of fhir/stu3's synthetic record
// (Patient, Organization, Practitioner, PractitionerRole, List, Medication,
// MedicationStatement, MedicationRequest, AllergyIntolerance, Condition,
// Observation, Encounter) with fresh ids: a record with a long medication
// and problem history.
func structuredRecord(b *testing.B, n int) []byte {
	data, err := os.ReadFile("../../fhir/stu3/testdata/structured-record.json")
	if err != nil {
		b.Fatal(err)
	}
	var rec struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"resourceType":"Bundle","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1"]},"type":"collection","entry":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		r := rec.Entry[i%len(rec.Entry)].Resource
		if i >= len(rec.Entry) {
			// Only the first Patient and Organization; the rest repeat the
			// clinical resources under new ids.
			r = rec.Entry[4+i%(len(rec.Entry)-4)].Resource
		}
		buf.WriteString(`{"resource":`)
		buf.Write(bytes.Replace(r, []byte(`"id": "`), []byte(fmt.Sprintf(`"id": "r%d-`, i)), 1))
		buf.WriteString(`}`)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// BenchmarkDecodeStructuredRecord decodes a 240-entry structured record
// with fhir/stu3 (every element typed and kept), beside encoding/json into
// spine/gpconnect's former hand-written STU3 structs (a Bundle with raw
// entries, then each entry whose type gpconnect modelled: Patient,
// Organization, Practitioner; they keep a few elements and drop the rest,
// and the clinical resources stay raw) and google/fhir's STU3 jsonformat.
func BenchmarkDecodeStructuredRecord(b *testing.B) {
	data := structuredRecord(b, 240)
	b.Run("nhskit-stu3", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := stu3.Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-gpconnect", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var bundle gpconnect.Bundle
			if err := json.Unmarshal(data, &bundle); err != nil {
				b.Fatal(err)
			}
			for _, e := range bundle.Entry {
				var err error
				switch e.ResourceType() {
				case "Patient":
					err = json.Unmarshal(e.Resource, new(gpconnect.Patient))
				case "Organization":
					err = json.Unmarshal(e.Resource, new(gpconnect.Organization))
				case "Practitioner":
					err = json.Unmarshal(e.Resource, new(gpconnect.Practitioner))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("google-stu3", func(b *testing.B) {
		u, err := gjson.NewUnmarshaller("UTC", fhirversion.STU3)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := u.Unmarshal(data); err != nil {
			b.Skipf("google/fhir refuses the record: %v", err)
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
