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
)

// The hand-written STU3 structs spine/gpconnect had before it moved to
// fhir/stu3, kept here as the encoding/json baseline: a Bundle with raw
// entries, and the Patient, Organization and Practitioner elements it
// modelled (everything else is dropped on decode).
type (
	oldMeta struct {
		VersionID   string   `json:"versionId,omitempty"`
		LastUpdated string   `json:"lastUpdated,omitempty"`
		Profile     []string `json:"profile,omitempty"`
	}
	oldCoding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code,omitempty"`
		Display string `json:"display,omitempty"`
	}
	oldConcept struct {
		Coding []oldCoding `json:"coding,omitempty"`
		Text   string      `json:"text,omitempty"`
	}
	oldIdentifier struct {
		System string `json:"system,omitempty"`
		Value  string `json:"value,omitempty"`
	}
	oldName struct {
		Use    string   `json:"use,omitempty"`
		Family string   `json:"family,omitempty"`
		Given  []string `json:"given,omitempty"`
		Prefix []string `json:"prefix,omitempty"`
	}
	oldContact struct {
		System string `json:"system,omitempty"`
		Value  string `json:"value,omitempty"`
		Use    string `json:"use,omitempty"`
	}
	oldAddress struct {
		Use        string   `json:"use,omitempty"`
		Line       []string `json:"line,omitempty"`
		City       string   `json:"city,omitempty"`
		District   string   `json:"district,omitempty"`
		PostalCode string   `json:"postalCode,omitempty"`
		Country    string   `json:"country,omitempty"`
	}
	oldPatient struct {
		ResourceType string          `json:"resourceType"`
		ID           string          `json:"id,omitempty"`
		Meta         *oldMeta        `json:"meta,omitempty"`
		Identifier   []oldIdentifier `json:"identifier,omitempty"`
		Name         []oldName       `json:"name,omitempty"`
		Gender       string          `json:"gender,omitempty"`
		BirthDate    string          `json:"birthDate,omitempty"`
		Telecom      []oldContact    `json:"telecom,omitempty"`
		Address      []oldAddress    `json:"address,omitempty"`
	}
	oldOrganization struct {
		ResourceType string          `json:"resourceType"`
		ID           string          `json:"id,omitempty"`
		Meta         *oldMeta        `json:"meta,omitempty"`
		Identifier   []oldIdentifier `json:"identifier,omitempty"`
		Type         []oldConcept    `json:"type,omitempty"`
		Name         string          `json:"name,omitempty"`
		Telecom      []oldContact    `json:"telecom,omitempty"`
		Address      []oldAddress    `json:"address,omitempty"`
	}
	oldPractitioner struct {
		ResourceType string          `json:"resourceType"`
		ID           string          `json:"id,omitempty"`
		Meta         *oldMeta        `json:"meta,omitempty"`
		Identifier   []oldIdentifier `json:"identifier,omitempty"`
		Name         []oldName       `json:"name,omitempty"`
		Gender       string          `json:"gender,omitempty"`
	}
	oldBundle struct {
		ResourceType string   `json:"resourceType"`
		ID           string   `json:"id,omitempty"`
		Meta         *oldMeta `json:"meta,omitempty"`
		Type         string   `json:"type"`
		Total        *int     `json:"total,omitempty"`
		Entry        []struct {
			FullURL  string          `json:"fullUrl,omitempty"`
			Resource json.RawMessage `json:"resource,omitempty"`
		} `json:"entry,omitempty"`
	}
)

// oldResourceType reads an entry's resourceType as the old structs did.
func oldResourceType(raw json.RawMessage) string {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	_ = json.Unmarshal(raw, &head)
	return head.ResourceType
}

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
// spine/gpconnect's former hand-written STU3 structs (the old* types above) (a Bundle with raw
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
			var bundle oldBundle
			if err := json.Unmarshal(data, &bundle); err != nil {
				b.Fatal(err)
			}
			for _, e := range bundle.Entry {
				var err error
				switch oldResourceType(e.Resource) {
				case "Patient":
					err = json.Unmarshal(e.Resource, new(oldPatient))
				case "Organization":
					err = json.Unmarshal(e.Resource, new(oldOrganization))
				case "Practitioner":
					err = json.Unmarshal(e.Resource, new(oldPractitioner))
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
