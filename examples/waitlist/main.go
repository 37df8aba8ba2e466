// Command waitlist simulates a cardiology clinic's week: 120 booked slots,
// 1,000 patients waiting, and random cancellations. With nhskit's waiting
// list every cancelled slot is offered at once to the best-placed patient
// who can take it (cascading on a decline or no answer); without it the
// slot goes unused. It prints how many slots were refilled, how fast, and
// how many patients near or past their breach date were seen:
//
//	go run ./examples/waitlist
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/waitlist"
)

func main() {
	seed := flag.Uint64("seed", 1, "random seed")
	patients := flag.Int("patients", 1000, "patients waiting")
	flag.Parse()
	if err := run(os.Stdout, *seed, *patients); err != nil {
		fmt.Fprintln(os.Stderr, "waitlist:", err)
		os.Exit(1)
	}
}

type simClock struct{ now time.Time }

func (c *simClock) Now() time.Time { return c.now }

// action is something that happens at a time in the simulation.
type action struct {
	at   time.Time
	kind string // "cancel", "answer", "expire"
	slot string
	who  string // booked patient for a cancel; offer id for an answer
	yes  bool
}

type stats struct {
	cancelled, refilled int
	refillDelays        []time.Duration
	nearBreachSeen      int
	offers, declines    int
	expired             int
}

func run(w io.Writer, seed uint64, nPatients int) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 99))
	monday := time.Date(2027, 1, 11, 0, 0, 0, 0, booking.London)
	clock := &simClock{now: monday.AddDate(0, 0, -7)}

	// The clinic's week, every slot booked.
	var slots []booking.Slot
	for d := 0; d < 5; d++ {
		for _, h := range []int{9, 10, 11, 14, 15, 16} {
			for m := 0; m < 60; m += 30 {
				s := time.Date(monday.Year(), monday.Month(), monday.Day()+d, h, m, 0, 0, booking.London)
				slots = append(slots, booking.Slot{ID: s.Format("Mon-1504"), Service: "cardiology", Start: s, End: s.Add(30 * time.Minute), Modality: booking.FaceToFace})
			}
		}
	}
	for len(slots) < 120 {
		s := slots[len(slots)%60]
		s.ID += "-b"
		slots = append(slots, s)
	}
	engine := booking.NewEngine(slots, booking.WithClock(clock.Now))
	for i, s := range slots {
		if _, err := engine.Book(s.ID, fmt.Sprintf("booked-%d", i), ""); err != nil {
			return err
		}
	}

	store := waitlist.NewMemoryStore()
	list, err := waitlist.New(waitlist.Config{Store: store, Engine: engine, Now: clock.Now, OfferTTL: time.Hour})
	if err != nil {
		return err
	}
	prios := []waitlist.Priority{waitlist.P2, waitlist.P3, waitlist.P3, waitlist.P4, waitlist.P4, waitlist.Routine}
	seq := uint64(1)
	for i := 0; i < nPatients; i++ {
		var n nhsid.NHSNumber
		for {
			var ok bool
			if n, ok = nhsid.TestNHSNumber(seq); ok {
				seq++
				break
			}
			seq++
		}
		e := &waitlist.Entry{
			ID: fmt.Sprintf("p%04d", i), NHSNumber: n, Service: "cardiology",
			Priority: prios[rng.IntN(len(prios))],
			Referred: clock.now.Add(-time.Duration(rng.IntN(150*24)) * time.Hour),
			Contact:  waitlist.Contact{Consent: true, SMS: "07700900000"},
		}
		if rng.IntN(3) == 0 { // a third can only come on afternoons
			e.Request.Windows = []booking.Window{{Weekday: time.Weekday(1 + rng.IntN(5)), From: 13 * 60, To: 18 * 60}}
			e.Request.WindowsRequired = true
		}
		if err := list.Add(ctx, e, "referral-import"); err != nil {
			return err
		}
	}

	// About one slot in six is cancelled, between 3 days and 2 hours before it.
	var queue []action
	for i, s := range slots {
		if rng.IntN(6) == 0 {
			before := time.Duration(2+rng.IntN(70)) * time.Hour
			queue = append(queue, action{at: s.Start.Add(-before), kind: "cancel", slot: s.ID, who: fmt.Sprintf("booked-%d", i)})
		}
	}
	var st stats
	released := map[string]time.Time{}
	respond := func(offers []*waitlist.Offer) {
		for _, o := range offers {
			st.offers++
			switch r := rng.IntN(100); {
			case r < 60: // accepts within 10–50 minutes
				queue = append(queue, action{at: clock.now.Add(time.Duration(10+rng.IntN(40)) * time.Minute), kind: "answer", who: o.ID, yes: true})
			case r < 85: // declines
				queue = append(queue, action{at: clock.now.Add(time.Duration(5+rng.IntN(30)) * time.Minute), kind: "answer", who: o.ID})
			default: // never answers
				queue = append(queue, action{at: o.Expires, kind: "expire"})
			}
		}
	}
	for len(queue) > 0 {
		sort.SliceStable(queue, func(i, j int) bool { return queue[i].at.Before(queue[j].at) })
		a := queue[0]
		queue = queue[1:]
		clock.now = a.at
		switch a.kind {
		case "cancel":
			st.cancelled++
			evs, err := engine.Cancel(a.slot, a.who)
			if err != nil {
				return err
			}
			released[a.slot] = clock.now
			offers, err := list.OnSlotReleased(ctx, evs[1])
			if err != nil && err != waitlist.ErrNoEntries {
				return err
			}
			respond(offers)
		case "answer":
			if a.yes {
				ev, err := list.Accept(ctx, a.who, "patient")
				if err == nil {
					st.refilled++
					st.refillDelays = append(st.refillDelays, clock.now.Sub(released[ev.SlotID]))
					e, _ := store.Entry(ctx, ev.RequestID)
					if e != nil && e.Breach(clock.now).Before(clock.now.AddDate(0, 0, 28)) {
						st.nearBreachSeen++
					}
				}
				continue
			}
			st.declines++
			next, err := list.Decline(ctx, a.who, "patient")
			if err != nil && err != waitlist.ErrNotOpen {
				return err
			}
			respond(next)
		case "expire":
			next, err := list.ExpireDue(ctx)
			if err != nil {
				return err
			}
			st.expired++
			respond(next)
		}
	}

	sort.Slice(st.refillDelays, func(i, j int) bool { return st.refillDelays[i] < st.refillDelays[j] })
	median := time.Duration(0)
	if len(st.refillDelays) > 0 {
		median = st.refillDelays[len(st.refillDelays)/2]
	}
	fmt.Fprintf(w, "clinic week of %s: %d slots, %d patients waiting\n", monday.Format("2 Jan 2006"), len(slots), nPatients)
	fmt.Fprintf(w, "cancellations:             %d\n", st.cancelled)
	fmt.Fprintf(w, "offers made:               %d (%d declined, %d unanswered)\n", st.offers, st.declines, st.expired)
	fmt.Fprintf(w, "refilled with waitlist:    %d of %d (%.0f%%), median %s after the cancellation\n",
		st.refilled, st.cancelled, 100*float64(st.refilled)/float64(max(1, st.cancelled)), median.Round(time.Minute))
	fmt.Fprintf(w, "refilled without waitlist: 0 of %d (the slots go unused)\n", st.cancelled)
	fmt.Fprintf(w, "patients within 4 weeks of breach (or past it) seen: %d\n", st.nearBreachSeen)
	return nil
}
