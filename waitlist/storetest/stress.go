package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/waitlist"
)

// StressConfig sizes a stress run.
type StressConfig struct {
	// Open returns one instance's handle on the shared store (its own
	// connection pool, as a separate process would have); it is called
	// Instances times and once more for the checks.
	Open      func(t *testing.T) waitlist.Store
	Instances int // default 4
	Workers   int // default 8
	Ops       int // operations per worker, default 120
	// Disrupt, when set, runs once half-way through the run (kill the
	// database server, say); the run must come through it.
	Disrupt func(t *testing.T)
	// CancelOne cancels some operations of instance 0 part-way (short
	// deadlines), as a client process dying mid-transaction would.
	CancelOne bool
	// NewLedger, when set, makes the booking ledger all instances share
	// (on the run's clock): places
	// are released by cancelling its bookings, held and booked in it, and
	// the check compares the places with its bookings. Without it each
	// instance has its own engine, as separate processes without a
	// shared ledger would.
	NewLedger func(now func() time.Time) booking.Ledger
}

type stressClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stressClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stressClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Stress runs N waiting-list instances, each with its own booking engine
// and its own handle on the store, with workers releasing places (each
// instance releases its own share of the slots), accepting, declining,
// removing entries and expiring offers on random instances. Afterwards it
// drains the outbox and checks, from the store alone: each entry at most
// one booking and Offered exactly when it has one open offer; each place
// at most one accepted offer, and booked (its entry booked on its slot)
// or unfilled with a reason, none left pending or on offer; and the event
// log, gap-free, replays to the live state record for record.
func Stress(t *testing.T, cfg StressConfig) {
	if cfg.Instances <= 0 {
		cfg.Instances = 4
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Ops <= 0 {
		cfg.Ops = 120
	}
	const slots, entries = 40, 120
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, booking.London)
	clock := &stressClock{now: t0}
	var all []booking.Slot
	for j := range slots {
		start := t0.Add(time.Duration(2+j%20)*time.Hour).AddDate(0, 0, j%3)
		all = append(all, booking.Slot{ID: fmt.Sprint("s", j), Service: "cardiology", Start: start, End: start.Add(20 * time.Minute)})
	}
	var lists []*waitlist.List
	var engines []*booking.Engine
	ctx := context.Background()
	seeded := map[string]string{} // slot -> the seed booking's id in the ledger
	var ledger booking.Ledger
	if cfg.NewLedger != nil {
		ledger = cfg.NewLedger(clock.Now)
		if _, err := ledger.AddSlots(ctx, all...); err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			b, _, err := ledger.Book(ctx, booking.BookInput{SlotID: s.ID, RequestID: "seed", Actor: "setup"})
			if err != nil {
				t.Fatal(err)
			}
			seeded[s.ID] = b.ID
		}
	}
	for range cfg.Instances {
		wc := waitlist.Config{Store: cfg.Open(t), Ledger: ledger, Now: clock.Now, OffersAtOnce: 2, OfferTTL: 30 * time.Minute}
		eng := booking.NewEngine(all, booking.WithClock(clock.Now))
		if ledger == nil {
			for _, s := range all {
				if _, err := eng.Book(s.ID, "seed", ""); err != nil {
					t.Fatal(err)
				}
			}
			wc.Engine = eng
		}
		l, err := waitlist.New(wc)
		if err != nil {
			t.Fatal(err)
		}
		lists, engines = append(lists, l), append(engines, eng)
	}
	var seedMu sync.Mutex
	release := func(k, j int) (booking.Event, bool) {
		if ledger == nil {
			evs, err := engines[k].Cancel(all[j].ID, "seed")
			if err != nil {
				return booking.Event{}, false
			}
			return evs[1], true
		}
		seedMu.Lock()
		id, ok := seeded[all[j].ID]
		delete(seeded, all[j].ID)
		seedMu.Unlock()
		if !ok {
			return booking.Event{}, false
		}
		_, evs, err := ledger.Cancel(ctx, booking.CancelInput{BookingID: id, Actor: "patient", Reason: "cancelled"})
		if err != nil {
			t.Errorf("cancelling the seed booking: %v", err)
			return booking.Event{}, false
		}
		for _, ev := range evs {
			if ev.Kind == booking.SlotReleased {
				return ev, true
			}
		}
		t.Errorf("a cancel released nothing: %+v", evs)
		return booking.Event{}, false
	}
	check := cfg.Open(t)
	for i := range entries {
		n, _ := fhir.TestNHSNumber(uint64(100 + i))
		if !n.Valid() {
			n, _ = fhir.TestNHSNumber(1)
		}
		e := &waitlist.Entry{ID: fmt.Sprint("e", i), NHSNumber: n, Service: "cardiology", Priority: waitlist.Priority(1 + i%6),
			Referred: t0.AddDate(0, 0, -(i % 200))}
		if err := lists[0].Add(ctx, e, "clerk"); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var ops, failed atomic.Int64
	for w := range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for range cfg.Ops {
				k := r.IntN(cfg.Instances)
				l := lists[k]
				octx, cancel := ctx, context.CancelFunc(func() {})
				if cfg.CancelOne && k == 0 && r.IntN(3) == 0 {
					octx, cancel = context.WithTimeout(ctx, time.Duration(r.IntN(3000))*time.Microsecond)
				}
				var err error
				switch op := r.IntN(10); {
				case op < 2: // release a slot this instance owns
					j := k + cfg.Instances*r.IntN(slots/cfg.Instances)
					if ev, ok := release(k, j); ok {
						evs := []booking.Event{{}, ev}
						// A release must not be lost: retry it (the place id
						// comes from the event, so a retry records it once).
						for try := 0; try < 100; try++ {
							if _, err = l.OnSlotReleased(octx, evs[1]); err == nil || octx.Err() != nil {
								break
							}
							time.Sleep(20 * time.Millisecond)
						}
						if octx.Err() != nil {
							_, err = l.OnSlotReleased(ctx, evs[1]) // the client came back
						}
					}
				case op < 7:
					open, oerr := check.OpenOffers(ctx, "")
					if oerr != nil || len(open) == 0 {
						break
					}
					o := open[r.IntN(len(open))]
					if r.IntN(3) > 0 {
						_, err = l.Accept(octx, o.ID, "patient")
					} else {
						_, err = l.Decline(octx, o.ID, "patient")
					}
				case op < 8:
					err = l.Remove(octx, fmt.Sprint("e", r.IntN(entries)), "no longer needed", "clerk")
				case op < 9:
					clock.Advance(7 * time.Minute)
				default:
					_, err = l.ExpireDue(octx)
				}
				cancel()
				ops.Add(1)
				if err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	if cfg.Disrupt != nil {
		// Half-way through the run.
		for ops.Load() < int64(cfg.Workers*cfg.Ops/2) {
			time.Sleep(10 * time.Millisecond)
		}
		cfg.Disrupt(t)
	}
	wg.Wait()
	// Drain: expire and cascade until nothing is pending or open.
	for round := 0; ; round++ {
		if round == 300 {
			t.Fatal("the outbox did not drain")
		}
		clock.Advance(31 * time.Minute)
		_, err := lists[round%cfg.Instances].ExpireDue(ctx)
		pending, perr := check.Places(ctx, waitlist.PlacePending)
		confirming, berr := check.Places(ctx, waitlist.PlaceBooking)
		open, oerr := check.OpenOffers(ctx, "")
		if err == nil && perr == nil && berr == nil && oerr == nil && len(pending)+len(confirming)+len(open) == 0 {
			break
		}
	}
	counts := checkAtRest(t, check)
	if ledger != nil {
		checkLedger(t, check, ledger)
	}
	t.Logf("%d operations (%d returned an error), places %v", ops.Load(), failed.Load(), counts)
	if counts[waitlist.PlaceBooked] == 0 {
		t.Fatal("the run booked nothing: it tested nothing")
	}
}

// checkAtRest checks the invariants from the store's own answers and the
// replayed log, and returns the places by status.
func checkAtRest(t *testing.T, s waitlist.Store) map[waitlist.PlaceStatus]int {
	t.Helper()
	ctx := context.Background()
	log, err := s.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	re, err := waitlist.Replay(log)
	if err != nil {
		t.Fatalf("the log does not replay: %v", err)
	}
	entryIDs, offerIDs, placeIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ev := range log {
		if ev.Entry != nil {
			entryIDs[ev.Entry.ID] = true
		}
		if ev.Offer != nil {
			offerIDs[ev.Offer.ID] = true
			entryIDs[ev.Offer.EntryID] = true
		}
		if ev.Place != nil {
			placeIDs[ev.Place.ID] = true
		}
	}
	counts := map[waitlist.PlaceStatus]int{}
	for _, st := range []waitlist.PlaceStatus{waitlist.PlacePending, waitlist.PlaceOffering, waitlist.PlaceBooking, waitlist.PlaceBooked, waitlist.PlaceUnfilled} {
		live, err := s.Places(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		counts[st] = len(live)
		for _, p := range live {
			if !placeIDs[p.ID] {
				t.Errorf("place %s is in the store but not in the log", p.ID)
			}
		}
	}
	entries := map[string]*waitlist.Entry{}
	for id := range entryIDs {
		live, err := s.Entry(ctx, id)
		if err != nil {
			t.Fatalf("entry %s: %v", id, err)
		}
		got, err := re.Entry(ctx, id)
		if err != nil || cmp.Diff(live, got) != "" {
			t.Errorf("entry %s replays differently: %v %s", id, err, cmp.Diff(live, got))
		}
		entries[id] = live
		offers, err := s.EntryOffers(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		open, accepted := 0, 0
		for _, o := range offers {
			if !offerIDs[o.ID] {
				t.Errorf("offer %s is in the store but not in the log", o.ID)
			}
			switch o.Status {
			case waitlist.OfferOpen:
				open++
			case waitlist.OfferAccepted:
				accepted++
			}
		}
		if accepted > 1 || open > 1 {
			t.Errorf("entry %s has %d bookings and %d open offers", id, accepted, open)
		}
		if (live.Status == waitlist.Offered) != (open == 1) {
			t.Errorf("entry %s is %s with %d open offers", id, live.Status, open)
		}
		if accepted == 1 && live.Status != waitlist.Booked && live.Status != waitlist.Removed {
			t.Errorf("entry %s has a booking but is %s", id, live.Status)
		}
	}
	placeAccepted := map[string]int{}
	for id := range offerIDs {
		live, err := s.Offer(ctx, id)
		if err != nil {
			t.Fatalf("offer %s: %v", id, err)
		}
		got, err := re.Offer(ctx, id)
		if err != nil || cmp.Diff(live, got) != "" {
			t.Errorf("offer %s replays differently: %v %s", id, err, cmp.Diff(live, got))
		}
		if live.Status == waitlist.OfferAccepted {
			placeAccepted[live.PlaceID]++
		}
	}
	for id := range placeIDs {
		live, err := s.Place(ctx, id)
		if err != nil {
			t.Fatalf("place %s: %v", id, err)
		}
		got, err := re.Place(ctx, id)
		if err != nil || cmp.Diff(live, got) != "" {
			t.Errorf("place %s replays differently: %v %s", id, err, cmp.Diff(live, got))
		}
		switch live.Status {
		case waitlist.PlaceBooked:
			if placeAccepted[id] != 1 || entries[live.EntryID] == nil || entries[live.EntryID].BookedSlot != live.Slot.ID {
				t.Errorf("booked place %s: %d accepted offers, entry %s", id, placeAccepted[id], live.EntryID)
			}
		case waitlist.PlaceUnfilled:
			if live.Reason == "" || placeAccepted[id] != 0 {
				t.Errorf("unfilled place %s: reason %q, %d accepted offers", id, live.Reason, placeAccepted[id])
			}
		default:
			t.Errorf("place %s left %s", id, live.Status)
		}
	}
	return counts
}

// checkLedger: every booked place has its booking in the ledger, for its
// entry on its slot, and the ledger holds no booking of an entry that the
// store does not have booked (so nothing was double-booked or lost
// between them).
func checkLedger(t *testing.T, s waitlist.Store, l booking.Ledger) {
	t.Helper()
	ctx := context.Background()
	booked, err := s.Places(ctx, waitlist.PlaceBooked)
	if err != nil {
		t.Fatal(err)
	}
	byEntry := map[string]string{}
	for _, p := range booked {
		if p.BookingID == "" {
			t.Errorf("place %s is booked without a ledger booking", p.ID)
			continue
		}
		b, err := l.Booking(ctx, p.BookingID)
		if err != nil {
			t.Errorf("place %s: booking %s: %v", p.ID, p.BookingID, err)
			continue
		}
		if b.Status != booking.StatusBooked || b.SlotID != p.Slot.ID || b.RequestID != p.EntryID {
			t.Errorf("place %s: ledger booking %+v", p.ID, b)
		}
		byEntry[p.EntryID] = p.Slot.ID
	}
	snap, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	capacity := map[string]int{}
	for _, sl := range snap.Slots {
		capacity[sl.ID] = max(1, sl.Capacity)
	}
	for _, u := range snap.Usage {
		if len(u.Booked)+len(u.Holds) > capacity[u.SlotID] {
			t.Errorf("slot %s over capacity: %d booked, %d held", u.SlotID, len(u.Booked), len(u.Holds))
		}
		for _, req := range u.Booked {
			if req != "seed" && byEntry[req] != u.SlotID {
				t.Errorf("the ledger books %s on %s, the waiting list does not", req, u.SlotID)
			}
		}
	}
}
