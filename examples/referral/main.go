// Command referral walks a GP practice's e-Referral Service flow against
// erstest, the module's stateful fake e-RS:
//
//  1. search cardiology services for a patient (A010) and create a
//     referral from the shortlist (A011);
//
//  2. read the free slots of two providers through ers.SlotSource, rank
//     them with the booking engine for a patient who can attend only on
//     Tuesday afternoons and travel at most 45 minutes, and book the best
//     (A016);
//
//  3. for a second patient, whose only service has no slots, defer booking
//     to the provider (A016, NO_SLOTS_AT_SERVICE); the referral appears on
//     the provider's APPOINTMENT_SLOT_ISSUES worklist (A008), the
//     provider puts the patient on its waiting list, and when another
//     patient cancels (A034) the waiting list offers the freed slot and
//     the provider books it.
//
//     go run ./examples/referral
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/ers"
	"github.com/nhskit/nhskit/spine/ers/erstest"
	"github.com/nhskit/nhskit/waitlist"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "referral:", err)
		os.Exit(1)
	}
}

// Synthetic patients (999 range) and places.
const (
	alex nhsid.NHSNumber = "9990000018"
	sam  nhsid.NHSNumber = "9990000026"
	kim  nhsid.NHSNumber = "9990000034"
)

var (
	home     = booking.LatLon{Lat: 53.7997, Lon: -1.5492} // Leeds city centre
	leeds    = booking.LatLon{Lat: 53.8017, Lon: -1.5527}
	bradford = booking.LatLon{Lat: 53.8079, Lon: -1.7916}
	now      = time.Date(2026, 12, 5, 9, 0, 0, 0, booking.London) // a Saturday
)

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 12, day, hour, minute, 0, 0, booking.London)
}

func slot(id string, start time.Time) erstest.Slot {
	return erstest.Slot{ID: id, Start: start, End: start.Add(30 * time.Minute)}
}

func run(ctx context.Context, w io.Writer) error {
	f := erstest.NewServer()
	defer f.Close()
	f.AddService(erstest.Service{ID: "11000", Name: "Leeds Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RR8", LocationName: "Leeds General Infirmary"})
	f.AddService(erstest.Service{ID: "12000", Name: "Bradford Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RAE", LocationName: "Bradford Royal Infirmary"})
	f.AddService(erstest.Service{ID: "13000", Name: "Wakefield Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RXF", LocationName: "Pinderfields Hospital"})
	// Leeds has Monday and Wednesday clinics; Bradford a Tuesday morning
	// and a Tuesday afternoon; Wakefield one slot, soon taken.
	f.AddSlots("11000", slot("L1", at(7, 14, 0)), slot("L2", at(9, 15, 0)))
	f.AddSlots("12000", slot("B1", at(8, 10, 0)), slot("B2", at(8, 14, 30)), slot("B3", at(15, 15, 0)))
	f.AddSlots("13000", slot("W1", at(10, 11, 0)))

	gp, err := ers.New(ers.Config{BaseURL: f.URL, BusinessFunction: ers.ReferringClinician, Organisation: "B86001"})
	if err != nil {
		return err
	}

	// 1. Search and refer.
	cardiology := gp.Specialty("CARDIOLOGY")
	criteria := ers.SearchCriteria{Priority: ers.Routine, Specialty: &cardiology}
	services, err := gp.SearchServices(ctx, ers.ServiceSearch{Patient: alex, Criteria: criteria})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "services for patient %s:\n", alex)
	var shortlist []string
	for _, s := range services {
		fmt.Fprintf(w, "  %s %-22s %s\n", s.ID, s.Name, s.BookableType)
		if s.ID != "13000" {
			shortlist = append(shortlist, s.ID)
		}
	}
	ref, err := gp.CreateReferral(ctx, ers.NewReferral{Patient: alex, Criteria: criteria, Services: shortlist})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "referral %s created (version %d), shortlist %v\n", ref.UBRN, ref.Version, ref.Shortlist)

	// 2. Slots from both providers, ranked by the engine.
	src := &ers.SlotSource{Client: gp, CommissioningRuleOrg: ref.CommissioningRuleOrg, Services: map[string]ers.Site{
		"11000": {ODS: "RR8", Name: "Leeds General Infirmary", Position: &leeds},
		"12000": {ODS: "RAE", Name: "Bradford Royal Infirmary", Position: &bradford},
	}}
	agg := &booking.Aggregator{Sources: map[string]booking.SlotSource{"e-RS": src}}
	res := agg.Search(ctx, booking.Query{Service: "cardiology", From: now, To: now.AddDate(0, 0, 14)})
	if failed := res.Failed(); len(failed) > 0 {
		return fmt.Errorf("slot search: %v", failed[0].Err)
	}
	engine := booking.NewEngine(res.Slots, booking.WithClock(func() time.Time { return now }))
	req := booking.Request{
		ID: ref.UBRN, Service: "cardiology", Earliest: now, Latest: now.AddDate(0, 0, 14),
		Windows:         []booking.Window{{Weekday: time.Tuesday, From: 12 * 60, To: 18 * 60}},
		WindowsRequired: true, Origin: &home, MaxTravel: 45 * time.Minute,
	}
	cands := engine.Match(req, 3)
	fmt.Fprintf(w, "%d free slots; for Tuesday afternoons within 45 minutes:\n", len(res.Slots))
	for _, c := range cands {
		s, _ := engine.Slot(c.SlotID)
		fmt.Fprintf(w, "  %-9s %s at %s, %s away, score %.2f\n", c.SlotID, c.Start.In(booking.London).Format("Mon 2 Jan 15:04"), s.Location, c.Travel.Round(time.Minute), c.Score)
	}
	if len(cands) == 0 {
		return errors.New("no slot fits")
	}
	chosen, ok := src.Lookup(cands[0].SlotID)
	if !ok {
		return errors.New("slot source lost the chosen slot")
	}
	appt, err := gp.Book(ctx, ers.Booking{UBRN: ref.UBRN, Version: ref.Version, ServiceID: chosen.ServiceID, Patient: alex, Slot: chosen})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "booked: appointment %s, %s\n", appt.ID.Value, ers.AppointmentStart(appt).In(booking.London).Format("Mon 2 Jan 15:04"))

	// 3. Kim takes Wakefield's only slot; Sam finds none and is deferred.
	kimRef, err := gp.CreateReferral(ctx, ers.NewReferral{Patient: kim, Criteria: criteria, Services: []string{"13000"}})
	if err != nil {
		return err
	}
	var kimSlot ers.Slot
	for s, err := range gp.Slots(ctx, ers.SlotQuery{ServiceID: "13000", Priority: ers.Routine}) {
		if err != nil {
			return err
		}
		kimSlot = s
		break
	}
	kimAppt, err := gp.Book(ctx, ers.Booking{UBRN: kimRef.UBRN, Version: kimRef.Version, ServiceID: "13000", Patient: kim, Slot: kimSlot})
	if err != nil {
		return err
	}
	samRef, err := gp.CreateReferral(ctx, ers.NewReferral{Patient: sam, Criteria: criteria, Services: []string{"13000"}})
	if err != nil {
		return err
	}
	page, err := gp.SlotsPage(ctx, ers.SlotQuery{ServiceID: "13000", Priority: ers.Routine})
	if err != nil {
		return err
	}
	if len(page.Slots) > 0 {
		return errors.New("expected Wakefield to have no slots")
	}
	if _, err := gp.Defer(ctx, ers.Deferral{UBRN: samRef.UBRN, Version: samRef.Version, ServiceID: "13000", Patient: sam, Reason: ers.DeferNoSlots, Comment: "no slots in the next 14 days"}); err != nil {
		return err
	}
	fmt.Fprintf(w, "referral %s: no slots at Wakefield, deferred to the provider\n", samRef.UBRN)

	// The provider's view: its worklist, and its waiting list.
	provider, err := gp.WithBusinessFunction(ers.ServiceProviderClinician, "RXF", "")
	if err != nil {
		return err
	}
	wakefield := []booking.Slot{{ID: kimSlot.ID, Service: "cardiology-wakefield", Start: kimSlot.Start, End: kimSlot.End, Modality: booking.FaceToFace}}
	pe := booking.NewEngine(wakefield, booking.WithClock(func() time.Time { return now }))
	if _, err := pe.Book(kimSlot.ID, kimRef.UBRN, ""); err != nil {
		return err
	}
	list, err := waitlist.New(waitlist.Config{Store: waitlist.NewMemoryStore(), Engine: pe, Now: func() time.Time { return now }, OfferTTL: time.Hour})
	if err != nil {
		return err
	}
	for item, err := range provider.Worklist(ctx, ers.WorklistQuery{ListType: ers.AppointmentSlotIssues}) {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "provider worklist APPOINTMENT_SLOT_ISSUES: %s %s patient %s\n", item.UBRN, item.Reason, item.Patient)
		e := &waitlist.Entry{ID: item.UBRN, NHSNumber: item.Patient, Service: "cardiology-wakefield", Priority: waitlist.Routine, Referred: now.AddDate(0, 0, -2),
			Contact: waitlist.Contact{Consent: true, SMS: "07700900000"}}
		if err := list.Add(ctx, e, "ers-worklist"); err != nil {
			return err
		}
	}

	// Kim cancels: the slot is free again in e-RS and on the provider's
	// engine, and the waiting list offers it to Sam, who accepts.
	current, err := gp.Appointment(ctx, kimAppt.ID.Value, 0)
	if err != nil {
		return err
	}
	if _, err := gp.CancelAppointment(ctx, current, "", "PATIENT_ILL", ""); err != nil {
		return err
	}
	evs, err := pe.Cancel(kimSlot.ID, kimRef.UBRN)
	if err != nil {
		return err
	}
	offers, err := list.OnSlotReleased(ctx, evs[len(evs)-1])
	if err != nil {
		return err
	}
	for _, o := range offers {
		ev, err := list.Accept(ctx, o.ID, "patient")
		if err != nil {
			return err
		}
		if !f.BookDeferred(ev.RequestID, ev.SlotID) {
			return fmt.Errorf("the provider could not book %s", ev.SlotID)
		}
		r, err := gp.Referral(ctx, ev.RequestID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "waiting list offered the freed slot %s to %s; referral now %s\n", ev.SlotID, ev.RequestID, r.State)
	}
	return nil
}
