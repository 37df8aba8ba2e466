package erstest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nhskit/nhskit/spine/ers"
	"github.com/nhskit/nhskit/spine/ers/erstest"
)

// A deferred referral lands on the provider's APPOINTMENT_SLOT_ISSUES
// worklist.
func Example() {
	f := erstest.NewServer()
	defer f.Close()
	f.AddService(erstest.Service{ID: "12000", Name: "Wakefield Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RXF"})
	f.AddReferral(erstest.Referral{UBRN: "900000000042", Patient: "9990000026", Specialty: "CARDIOLOGY", Services: []string{"12000"}, Referrer: "A81001"})

	gp, _ := ers.New(ers.Config{BaseURL: f.URL, BusinessFunction: ers.ReferringClinician, Organisation: "A81001"})
	ctx := context.Background()
	if _, err := gp.Defer(ctx, ers.Deferral{UBRN: "900000000042", Version: 1, ServiceID: "12000", Patient: "9990000026", Reason: ers.DeferNoSlots}); err != nil {
		fmt.Println(err)
		return
	}
	provider, _ := gp.WithBusinessFunction(ers.ServiceProviderClinician, "RXF", "")
	for item, err := range provider.Worklist(ctx, ers.WorklistQuery{ListType: ers.AppointmentSlotIssues}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(item.UBRN, item.Reason, item.Patient)
	}
	start := time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC)
	f.AddSlots("12000", erstest.Slot{ID: "new", Start: start, End: start.Add(time.Hour)})
	fmt.Println("provider books it:", f.BookDeferred("900000000042", "new"))
	state, version, _ := f.ReferralState("900000000042")
	fmt.Println(state, version)
	// Output:
	// 900000000042 NO_SLOTS_AT_SERVICE *** *** 0026
	// provider books it: true
	// BOOKED 3
}
