package gpconnect_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func Example() {
	practice := gpconnecttest.NewServer() // a fake GP practice on loopback
	defer practice.Close()

	c, err := gpconnect.New(gpconnect.Config{
		BaseURL:      practice.URL, // from spine/sds in production
		ConsumerASID: "200000000359",
		ProviderASID: practice.ASID,
		Requester: gpconnect.Requester{
			Issuer:           "https://hub.example.nhs.uk",
			Device:           gpconnect.Device{System: "https://hub.example.nhs.uk/Id/device", Value: "hub", Model: "hub", Version: "1"},
			OrganizationODS:  "RR8",
			OrganizationName: "Extended Access Hub",
			Practitioner: gpconnect.RequestingPractitioner{
				ID: "1", SDSUserID: "111222333444", SDSRoleProfileID: "444555666777",
				LocalSystem: "https://hub.example.nhs.uk/Id/user", LocalID: "booker-1", Family: "Booker",
			},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	patient, err := c.FindPatient(ctx, practice.Patients()[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	from := time.Now().AddDate(0, 0, 1)
	slots, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: from, End: from.AddDate(0, 0, 7)})
	if err != nil {
		fmt.Println(err)
		return
	}
	slot := slots.Slots[0]
	appt, err := c.BookAppointment(ctx, gpconnect.BookRequest{
		PatientID:    patient.ID.Value,
		Slots:        []stu3.Slot{slot}, // a stu3.Slot, as the provider sent it
		LocationID:   slots.LocationOf(&slot).ID.Value,
		Description:  "Medication review",
		Organization: gpconnect.BookingOrganization{Name: "Extended Access Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(appt.Status.Value, appt.Start == slot.Start)

	// Booking the same slot again is refused.
	_, err = c.BookAppointment(ctx, gpconnect.BookRequest{
		PatientID: patient.ID.Value, Slots: []stu3.Slot{slot}, LocationID: "1", Description: "Again",
		Organization: gpconnect.BookingOrganization{Name: "Extended Access Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	})
	fmt.Println(errors.Is(err, gpconnect.ErrSlotAlreadyBooked))

	// Amend: read the current version and send it back changed; the
	// client sends If-Match with the version read.
	current, err := c.ReadAppointment(ctx, appt.ID.Value)
	if err != nil {
		fmt.Println(err)
		return
	}
	stale := *current
	current.Comment.Value = "Patient prefers a female clinician"
	amended, err := c.AmendAppointment(ctx, current)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(amended.Meta.VersionID.Value)

	// A change based on the version before the amendment is refused.
	_, err = c.CancelAppointmentVersion(ctx, &stale, "No longer needed")
	fmt.Println(errors.Is(err, gpconnect.ErrVersionConflict))

	// Cancel reads the current version first.
	cancelled, err := c.CancelAppointment(ctx, appt.ID.Value, "No longer needed")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cancelled.Status.Value, cancelled.CancellationReason())
	// Output:
	// booked true
	// true
	// 2
	// true
	// cancelled No longer needed
}
