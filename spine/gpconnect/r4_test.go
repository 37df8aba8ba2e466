package gpconnect_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
)

func mustValid(t *testing.T, r fhir.Resource) {
	t.Helper()
	if oo := fhir.Validate(r); oo != nil {
		for _, is := range oo.Issue {
			t.Errorf("%s: %s", is.Expression[0].Value, is.Diagnostics.Value)
		}
	}
}

func TestR4Conversions(t *testing.T) {
	practice := gpconnecttest.NewServer()
	defer practice.Close()
	c, err := gpconnect.New(gpconnect.Config{
		BaseURL: practice.URL, ConsumerASID: "200000000359", ProviderASID: practice.ASID,
		Requester: gpconnect.Requester{
			Issuer: "https://hub.example.nhs.uk", OrganizationODS: "RR8", OrganizationName: "Hub",
			Device: gpconnect.Device{System: "https://hub.example.nhs.uk/Id/device", Value: "hub", Model: "hub", Version: "1"},
			Practitioner: gpconnect.RequestingPractitioner{ID: "1", SDSUserID: "111222333444", SDSRoleProfileID: "444555666777",
				LocalSystem: "https://hub.example.nhs.uk/Id/user", LocalID: "booker-1", Family: "Booker"},
		},
	})
	require.NoError(t, err)
	ctx := context.Background()

	// The practice's patients are pdstest's synthetic patients.
	patient, err := c.FindPatient(ctx, pdstest.AlexSmith)
	require.NoError(t, err)
	r4 := gpconnect.PatientToR4(patient)
	mustValid(t, r4)
	n, ok := r4.NHSNumber()
	assert.True(t, ok)
	assert.Equal(t, pdstest.AlexSmith, n)
	assert.Equal(t, "1980-01-01", r4.BirthDate.Value)
	back := gpconnect.PatientFromR4(r4)
	assert.Equal(t, patient.NHSNumber(), back.NHSNumber())
	assert.Equal(t, patient.Name, back.Name)

	from := time.Now().AddDate(0, 0, 1)
	res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: from, End: from.AddDate(0, 0, 7)})
	require.NoError(t, err)
	slot := res.Slots[0]
	rs := gpconnect.SlotToR4(&slot)
	mustValid(t, rs)
	assert.Equal(t, "free", rs.Status.Value)
	got, err := rs.Start.Time()
	require.NoError(t, err)
	assert.True(t, got.Time.Equal(timeOf(t, slot.Start)))
	for _, x := range res.Schedules {
		mustValid(t, gpconnect.ScheduleToR4(x))
	}
	for _, x := range res.Practitioners {
		mustValid(t, gpconnect.PractitionerToR4(x))
	}
	for _, x := range res.Locations {
		r := gpconnect.LocationToR4(x)
		mustValid(t, r)
		assert.Equal(t, x.Position.Latitude.Raw, r.Position.Latitude.Raw, "the position's decimals are kept as written")
	}
	for _, x := range res.Organizations {
		mustValid(t, gpconnect.OrganizationToR4(x))
	}

	appt, err := c.BookAppointment(ctx, gpconnect.BookRequest{
		PatientID: patient.ID.Value, Slots: []stu3.Slot{slot}, LocationID: res.LocationOf(&slot).ID.Value, Description: "Medication review",
		Organization: gpconnect.BookingOrganization{Name: "Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	})
	require.NoError(t, err)
	ra := gpconnect.AppointmentToR4(appt)
	mustValid(t, ra)
	assert.Equal(t, "booked", ra.Status.Value)
	assert.Len(t, ra.Participant, len(appt.Participant))
	js, err := fhir.Marshal(ra)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"resourceType":"Appointment"`)
}
