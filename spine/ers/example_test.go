package ers_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nhskit/nhskit/spine/ers"
	"github.com/nhskit/nhskit/spine/ers/erstest"
)

// A GP refers a patient to cardiology and books the first free slot;
// when the slot has gone, booking is deferred to the provider.
func Example() {
	f := erstest.NewServer()
	defer f.Close()
	f.AddService(erstest.Service{ID: "11000", Name: "Leeds Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RR8"})
	start := time.Date(2026, 12, 8, 14, 0, 0, 0, time.UTC)
	f.AddSlots("11000", erstest.Slot{ID: "s1", Start: start, End: start.Add(30 * time.Minute)})

	c, err := ers.New(ers.Config{BaseURL: f.URL, BusinessFunction: ers.ReferringClinician, Organisation: "A81001"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	cardiology := c.Specialty("CARDIOLOGY")
	criteria := ers.SearchCriteria{Priority: ers.Routine, Specialty: &cardiology}
	services, err := c.SearchServices(ctx, ers.ServiceSearch{Patient: "9990000018", Criteria: criteria})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("found:", services[0].Name, services[0].DirectlyBookable())

	ref, err := c.CreateReferral(ctx, ers.NewReferral{Patient: "9990000018", Criteria: criteria, Services: []string{services[0].ID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for slot, err := range c.Slots(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, CommissioningRuleOrg: ref.CommissioningRuleOrg}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		f.TakeSlot("11000", slot.ID) // someone else is quicker
		_, err := c.Book(ctx, ers.Booking{UBRN: ref.UBRN, Version: ref.Version, ServiceID: "11000", Patient: "9990000018", Slot: slot})
		fmt.Println("slot gone:", errors.Is(err, ers.ErrSlotNotAvailable))
		if reason, ok := ers.DeferReasonFor(err); ok {
			a, err := c.Defer(ctx, ers.Deferral{UBRN: ref.UBRN, Version: ref.Version, ServiceID: "11000", Patient: "9990000018", Reason: reason, SlotID: slot.ID})
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Println("deferred:", a.Status.Value, reason)
		}
		break
	}
	// Output:
	// found: Leeds Cardiology true
	// slot gone: true
	// deferred: proposed SLOT_NOT_AVAILABLE
}
