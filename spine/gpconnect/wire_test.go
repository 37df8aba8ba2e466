package gpconnect_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

// The Appointment a booking sends has the shape of the specification's
// example request body (appointments_use_case_book_an_appointment,
// "Example request body"): meta.profile, the contained booking
// organisation referenced by the BookingOrganisation extension as "#1",
// status booked, description, start and end as the slots give them, the
// slot references, created, comment and the patient and location
// participants, in that order; the organisation also carries its ODS code
// and type, which the same page requires.
func TestBookedAppointmentWireJSON(t *testing.T) {
	slot := func(id, start, end string) stu3.Slot {
		return stu3.Slot{ID: stu3.ID{Value: id}, Schedule: stu3.NewReference("Schedule", "7"),
			Start: stu3.Instant{Value: start}, End: stu3.Instant{Value: end}}
	}
	created := time.Date(2030, 5, 1, 9, 0, 0, 0, gpconnecttest.London)
	a, err := gpconnect.NewAppointment(gpconnect.BookRequest{
		PatientID: "1", LocationID: "32",
		Slots: []stu3.Slot{
			slot("1", "2030-05-30T10:00:00+01:00", "2030-05-30T10:15:00+01:00"),
			slot("2", "2030-05-30T10:15:00+01:00", "2030-05-30T10:30:00+01:00"),
		},
		Description:  "Blood test review",
		Comment:      "Hearing aid user",
		Organization: gpconnect.BookingOrganization{Name: "Leeds Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	}, created)
	require.NoError(t, err)
	got, err := stu3.Marshal(a)
	require.NoError(t, err)
	want := `{
		"resourceType": "Appointment",
		"meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1"]},
		"contained": [{
			"resourceType": "Organization",
			"id": "1",
			"meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1"]},
			"identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RR8"}],
			"type": [{"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1", "code": "gp-practice"}]}],
			"name": "Leeds Hub",
			"telecom": [{"system": "phone", "value": "0113 000 0000", "use": "work"}]
		}],
		"extension": [{
			"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1",
			"valueReference": {"reference": "#1"}
		}],
		"status": "booked",
		"description": "Blood test review",
		"start": "2030-05-30T10:00:00+01:00",
		"end": "2030-05-30T10:30:00+01:00",
		"slot": [{"reference": "Slot/1"}, {"reference": "Slot/2"}],
		"created": "2030-05-01T09:00:00+01:00",
		"comment": "Hearing aid user",
		"participant": [
			{"actor": {"reference": "Patient/1"}, "status": "accepted"},
			{"actor": {"reference": "Location/32"}, "status": "accepted"}
		]
	}`
	assert.JSONEq(t, want, string(got))
	assert.Equal(t, []string{"resourceType", "meta", "contained", "extension", "status", "description", "start", "end", "slot", "created", "comment", "participant"},
		topLevelKeys(t, got), "the example's element order")
}

// topLevelKeys returns the member names of a JSON object in order.
func topLevelKeys(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}
