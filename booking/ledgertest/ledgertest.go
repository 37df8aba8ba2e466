// Package ledgertest is the conformance suite every booking.Ledger passes:
// the in-memory ledger and the PostgreSQL one run the same tests, so the
// engine, the appointment API and the waiting list can rely on either.
package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// Base is the start of the synthetic slots the suite adds; far enough in
// the future that no real clock reaches it during a run.
var Base = time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)

// Slots returns n synthetic slots of one service with the given capacity,
// ids prefixed by prefix so that suites can share a database.
func Slots(prefix string, n, capacity int) []booking.Slot {
	out := make([]booking.Slot, n)
	for i := range out {
		start := Base.Add(time.Duration(i) * 15 * time.Minute)
		out[i] = booking.Slot{
			ID: fmt.Sprintf("%s-%03d", prefix, i), Service: prefix + "-clinic", Start: start,
			End: start.Add(15 * time.Minute), Capacity: capacity, Modality: booking.FaceToFace,
			Source: "trust-a",
		}
	}
	return out
}

// Run runs the suite. newLedger returns an empty ledger (or one whose
// content does not collide with slot ids prefixed by the test's name).
func Run(t *testing.T, newLedger func(t *testing.T) booking.Ledger) {
	t.Run("BookCancelEvents", func(t *testing.T) { testBookCancel(t, newLedger(t)) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, newLedger(t)) })
	t.Run("Holds", func(t *testing.T) { testHolds(t, newLedger(t)) })
	t.Run("Reschedule", func(t *testing.T) { testReschedule(t, newLedger(t)) })
	t.Run("RemoveSlot", func(t *testing.T) { testRemove(t, newLedger(t)) })
	t.Run("CapacityUnderContention", func(t *testing.T) { testContention(t, newLedger(t)) })
	t.Run("ConsumeOnce", func(t *testing.T) { testConsume(t, newLedger(t)) })
	t.Run("EngineView", func(t *testing.T) { testEngineView(t, newLedger(t)) })
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

func kinds(evs []booking.Event) []booking.EventKind {
	out := make([]booking.EventKind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func sameKinds(t *testing.T, evs []booking.Event, want ...booking.EventKind) {
	t.Helper()
	got := kinds(evs)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func testBookCancel(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	p := "bc"
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots(p, 2, 1)...))
	_, err := l.AddSlots(ctx, Slots(p, 1, 1)...)
	wantErr(t, err, booking.ErrDuplicateID)

	b, evs, err := l.Book(ctx, booking.BookInput{SlotID: "bc-000", RequestID: "r1", Actor: "clerk-1", Reason: "referral"})
	if err != nil {
		t.Fatal(err)
	}
	sameKinds(t, evs, booking.Booked)
	if b.Status != booking.StatusBooked || b.Version != 1 || b.SlotID != "bc-000" || b.RequestID != "r1" {
		t.Fatalf("booking %+v", b)
	}
	if evs[0].BookingID != b.ID || evs[0].Actor != "clerk-1" || evs[0].Reason != "referral" || evs[0].Free != 0 || evs[0].Seq == 0 {
		t.Fatalf("event %+v", evs[0])
	}
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "bc-000", RequestID: "r2"})
	wantErr(t, err, booking.ErrNoCapacity)
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "nope", RequestID: "r2"})
	wantErr(t, err, booking.ErrUnknownSlot)
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "bc-001", RequestID: ""})
	wantErr(t, err, booking.ErrEmptyID)

	_, _, err = l.Cancel(ctx, booking.CancelInput{BookingID: b.ID, IfVersion: 7})
	wantErr(t, err, booking.ErrVersionMismatch)
	c, evs, err := l.Cancel(ctx, booking.CancelInput{BookingID: b.ID, IfVersion: 1, Actor: "patient", Reason: "better date"})
	if err != nil {
		t.Fatal(err)
	}
	sameKinds(t, evs, booking.Cancelled, booking.SlotReleased)
	if c.Status != booking.StatusCancelled || c.Version != 2 || evs[1].Free != 1 || evs[0].RequestID != "r1" {
		t.Fatalf("cancel %+v %+v", c, evs)
	}
	_, _, err = l.Cancel(ctx, booking.CancelInput{BookingID: b.ID})
	wantErr(t, err, booking.ErrNotActive)
	_, _, err = l.Cancel(ctx, booking.CancelInput{BookingID: "bk-none"})
	wantErr(t, err, booking.ErrUnknownBooking)
	got := must[booking.Booking](t)(l.Booking(ctx, b.ID))
	if got.Status != booking.StatusCancelled || got.Version != 2 {
		t.Fatalf("read back %+v", got)
	}
	// The place is free again.
	must[booking.Booking](t)(first(l.Book(ctx, booking.BookInput{SlotID: "bc-000", RequestID: "r2"})))

	// The log is gap-free and in order.
	all := must[[]booking.Event](t)(l.Events(ctx, 0, 0))
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	part := must[[]booking.Event](t)(l.Events(ctx, 2, 2))
	if len(part) != 2 || part[0].Seq != 3 {
		t.Fatalf("events after 2: %+v", part)
	}
}

func first(b booking.Booking, _ []booking.Event, err error) (booking.Booking, error) { return b, err }

func testIdempotency(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots("id", 2, 2)...))
	in := booking.BookInput{SlotID: "id-000", RequestID: "r1", Key: "key-1"}
	b1, evs1 := must2(t)(l.Book(ctx, in))
	b2, evs2 := must2(t)(l.Book(ctx, in))
	if b1.ID != b2.ID || len(evs1) != 1 || len(evs2) != 0 {
		t.Fatalf("replay gave %+v %d events, first %+v", b2, len(evs2), b1)
	}
	_, _, err := l.Book(ctx, booking.BookInput{SlotID: "id-001", RequestID: "r1", Key: "key-1"})
	wantErr(t, err, booking.ErrKeyReused)
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "id-000", RequestID: "r2", Key: "key-1"})
	wantErr(t, err, booking.ErrKeyReused)
	// A replay after a reschedule still answers with the booking.
	must2(t)(l.Reschedule(ctx, booking.RescheduleInput{BookingID: b1.ID, ToSlot: "id-001"}))
	b3, evs3 := must2(t)(l.Book(ctx, in))
	if b3.ID != b1.ID || b3.SlotID != "id-001" || len(evs3) != 0 {
		t.Fatalf("replay after reschedule %+v", b3)
	}
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "id-001", RequestID: "r1"})
	wantErr(t, err, booking.ErrAlreadyBooked)

	h1, _, err := l.Hold(ctx, booking.HoldInput{SlotID: "id-000", TTL: time.Hour, Key: "offer-9"})
	if err != nil {
		t.Fatal(err)
	}
	h2, evs, err := l.Hold(ctx, booking.HoldInput{SlotID: "id-000", TTL: time.Hour, Key: "offer-9"})
	if err != nil || h2.ID != h1.ID || len(evs) != 0 {
		t.Fatalf("hold replay %+v %v %v", h2, evs, err)
	}
}

func must2(t *testing.T) func(b booking.Booking, evs []booking.Event, err error) (booking.Booking, []booking.Event) {
	return func(b booking.Booking, evs []booking.Event, err error) (booking.Booking, []booking.Event) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b, evs
	}
}

func testHolds(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots("ho", 2, 1)...))
	_, _, err := l.Hold(ctx, booking.HoldInput{SlotID: "ho-000", TTL: 0})
	wantErr(t, err, booking.ErrBadTTL)
	_, _, err = l.Hold(ctx, booking.HoldInput{SlotID: "ho-000", TTL: -time.Second})
	wantErr(t, err, booking.ErrBadTTL)
	h, evs, err := l.Hold(ctx, booking.HoldInput{SlotID: "ho-000", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sameKinds(t, evs, booking.HoldPlaced)
	if evs[0].HoldID != h.ID || !evs[0].Expires.Equal(h.Expires) || evs[0].Free != 0 {
		t.Fatalf("hold event %+v, hold %+v", evs[0], h)
	}
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "ho-000", RequestID: "r1"})
	wantErr(t, err, booking.ErrNoCapacity)
	_, _, err = l.Hold(ctx, booking.HoldInput{SlotID: "ho-000", TTL: time.Hour})
	wantErr(t, err, booking.ErrNoCapacity)
	// A hold is good only on its own slot.
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "ho-001", RequestID: "r1", HoldID: h.ID})
	wantErr(t, err, booking.ErrHoldExpired)
	b, evs := must2(t)(l.Book(ctx, booking.BookInput{SlotID: "ho-000", RequestID: "r1", HoldID: h.ID}))
	if evs[0].HoldID != h.ID || b.SlotID != "ho-000" {
		t.Fatalf("book on hold %+v", evs[0])
	}
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "ho-000", RequestID: "r2", HoldID: h.ID})
	wantErr(t, err, booking.ErrHoldExpired)

	h2, _, err := l.Hold(ctx, booking.HoldInput{SlotID: "ho-001", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sameKinds(t, must[[]booking.Event](t)(l.ReleaseHold(ctx, h2.ID)), booking.HoldReleased)
	_, err = l.ReleaseHold(ctx, h2.ID)
	wantErr(t, err, booking.ErrHoldExpired)
	must2(t)(l.Book(ctx, booking.BookInput{SlotID: "ho-001", RequestID: "r2"}))
}

func testReschedule(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots("rs", 3, 1)...))
	b, _ := must2(t)(l.Book(ctx, booking.BookInput{SlotID: "rs-000", RequestID: "r1"}))
	must2(t)(l.Book(ctx, booking.BookInput{SlotID: "rs-002", RequestID: "r2"}))
	// Full target: nothing changes.
	_, _, err := l.Reschedule(ctx, booking.RescheduleInput{BookingID: b.ID, ToSlot: "rs-002"})
	wantErr(t, err, booking.ErrNoCapacity)
	_, _, err = l.Reschedule(ctx, booking.RescheduleInput{BookingID: b.ID, ToSlot: "rs-000"})
	wantErr(t, err, booking.ErrSameSlot)
	_, _, err = l.Reschedule(ctx, booking.RescheduleInput{BookingID: b.ID, ToSlot: "rs-001", IfVersion: 2})
	wantErr(t, err, booking.ErrVersionMismatch)
	_, _, err = l.Reschedule(ctx, booking.RescheduleInput{BookingID: b.ID, ToSlot: "missing"})
	wantErr(t, err, booking.ErrUnknownSlot)
	got := must[booking.Booking](t)(l.Booking(ctx, b.ID))
	if got.SlotID != "rs-000" || got.Version != 1 {
		t.Fatalf("failed reschedules changed %+v", got)
	}
	m, evs := must2(t)(l.Reschedule(ctx, booking.RescheduleInput{BookingID: b.ID, ToSlot: "rs-001", IfVersion: 1}))
	sameKinds(t, evs, booking.Booked, booking.Cancelled, booking.SlotReleased)
	if m.ID != b.ID || m.SlotID != "rs-001" || m.Version != 2 || evs[2].SlotID != "rs-000" || evs[2].Free != 1 || evs[0].Free != 0 {
		t.Fatalf("reschedule %+v %+v", m, evs)
	}
	must2(t)(l.Book(ctx, booking.BookInput{SlotID: "rs-000", RequestID: "r3"}))
}

func testRemove(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots("rm", 1, 3)...))
	b, _ := must2(t)(l.Book(ctx, booking.BookInput{SlotID: "rm-000", RequestID: "r1"}))
	must[booking.Hold](t)(hold(l.Hold(ctx, booking.HoldInput{SlotID: "rm-000", TTL: time.Hour})))
	evs, err := l.RemoveSlot(ctx, "rm-000", "rota", "clinic cancelled")
	if err != nil {
		t.Fatal(err)
	}
	sameKinds(t, evs, booking.Cancelled, booking.SlotRemoved)
	got := must[booking.Booking](t)(l.Booking(ctx, b.ID))
	if got.Status != booking.StatusCancelled {
		t.Fatalf("booking on removed slot %+v", got)
	}
	_, _, err = l.Book(ctx, booking.BookInput{SlotID: "rm-000", RequestID: "r2"})
	wantErr(t, err, booking.ErrUnknownSlot)
	_, err = l.RemoveSlot(ctx, "rm-000", "", "")
	wantErr(t, err, booking.ErrUnknownSlot)
	snap := must[booking.Snapshot](t)(l.Snapshot(ctx))
	for _, s := range snap.Slots {
		if s.ID == "rm-000" {
			t.Fatal("removed slot in snapshot")
		}
	}
}

func hold(h booking.Hold, _ []booking.Event, err error) (booking.Hold, error) { return h, err }

// testContention books from many goroutines, each through its own engine
// view, onto few places: the ledger alone must keep capacity.
func testContention(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	const slots, capacity, workers, tries = 5, 2, 16, 20
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots("ct", slots, capacity)...))
	var wg sync.WaitGroup
	var booked atomic.Int64
	for w := range workers {
		wg.Go(func() {
			e := booking.NewEngine(nil)
			for i := range tries {
				if err := e.Sync(ctx, l); err != nil {
					t.Error(err)
					return
				}
				req := booking.Request{ID: fmt.Sprintf("w%d-%d", w, i), Service: "ct-clinic", Earliest: Base}
				cands := e.Match(req, 0)
				target := fmt.Sprintf("ct-%03d", (w+i)%slots)
				if len(cands) > 0 {
					target = cands[(w+i)%len(cands)].SlotID
				}
				var err error
				if i%3 == 0 {
					var h booking.Hold
					h, _, err = l.Hold(ctx, booking.HoldInput{SlotID: target, TTL: time.Hour})
					if err == nil {
						_, _, err = l.Book(ctx, booking.BookInput{SlotID: target, RequestID: req.ID, HoldID: h.ID})
					}
				} else {
					_, _, err = l.Book(ctx, booking.BookInput{SlotID: target, RequestID: req.ID, Key: req.ID})
				}
				switch {
				case err == nil:
					booked.Add(1)
				case errors.Is(err, booking.ErrNoCapacity):
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	snap := must[booking.Snapshot](t)(l.Snapshot(ctx))
	total := 0
	for _, u := range snap.Usage {
		if len(u.Booked)+len(u.Holds) > capacity {
			t.Fatalf("slot %s over capacity: %d booked, %d held", u.SlotID, len(u.Booked), len(u.Holds))
		}
		total += len(u.Booked)
	}
	if total != int(booked.Load()) || total != slots*capacity {
		t.Fatalf("%d bookings in the ledger, %d reported, want %d", total, booked.Load(), slots*capacity)
	}
}

// testConsume has three consumers of one name race over the log while
// bookings are cancelled: each released slot is handled exactly once.
func testConsume(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots("co", 10, 1)...))
	var ids []string
	for i := range 10 {
		b, _ := must2(t)(l.Book(ctx, booking.BookInput{SlotID: fmt.Sprintf("co-%03d", i), RequestID: "r"}))
		ids = append(ids, b.ID)
	}
	var mu sync.Mutex
	seen := map[uint64]int{}
	failOnce := map[uint64]bool{}
	fn := func(ctx context.Context, ev booking.Event) error {
		if ev.Kind != booking.SlotReleased {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if !failOnce[ev.Seq] {
			failOnce[ev.Seq] = true // the first delivery fails: it must come again
			return errors.New("offer service down")
		}
		seen[ev.Seq]++
		return nil
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				_, _ = l.Consume(ctx, "waitlist", 4, fn)
			}
		})
	}
	for _, id := range ids {
		must2(t)(l.Cancel(ctx, booking.CancelInput{BookingID: id}))
	}
	// Drain: keep consuming until a call accepts nothing and fails nothing.
	for {
		n, err := l.Consume(ctx, "waitlist", 100, fn)
		if n == 0 && err == nil {
			break
		}
	}
	close(done)
	wg.Wait()
	if len(seen) != 10 {
		t.Fatalf("%d releases handled, want 10", len(seen))
	}
	for seq, n := range seen {
		if n != 1 {
			t.Fatalf("release %d handled %d times", seq, n)
		}
	}
	// Another consumer name starts from the beginning.
	n, err := l.Consume(ctx, "audit", 0, func(context.Context, booking.Event) error { return nil })
	if err != nil || n != 40 {
		t.Fatalf("audit consumed %d (%v), want 40", n, err)
	}
}

// testEngineView checks that an engine following the ledger sees exactly
// the ledger's availability after a mixed run.
func testEngineView(t *testing.T, l booking.Ledger) {
	ctx := context.Background()
	must[[]booking.Event](t)(l.AddSlots(ctx, Slots("ev", 4, 2)...))
	e := booking.NewEngine(nil)
	if err := e.Sync(ctx, l); err != nil {
		t.Fatal(err)
	}
	b, _ := must2(t)(l.Book(ctx, booking.BookInput{SlotID: "ev-000", RequestID: "r1"}))
	must2(t)(l.Book(ctx, booking.BookInput{SlotID: "ev-000", RequestID: "r2"}))
	must2(t)(l.Reschedule(ctx, booking.RescheduleInput{BookingID: b.ID, ToSlot: "ev-001"}))
	h := must[booking.Hold](t)(hold(l.Hold(ctx, booking.HoldInput{SlotID: "ev-002", TTL: time.Hour})))
	must2(t)(l.Book(ctx, booking.BookInput{SlotID: "ev-002", RequestID: "r3", HoldID: h.ID}))
	must[[]booking.Event](t)(l.RemoveSlot(ctx, "ev-003", "", ""))
	extra := Slots("ew", 1, 1)
	extra[0].Service = "ev-clinic"
	must[[]booking.Event](t)(l.AddSlots(ctx, extra...))
	if err := e.Sync(ctx, l); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"ev-000": 1, "ev-001": 1, "ev-002": 1, "ev-003": -1, "ew-000": 1}
	for id, n := range want {
		if got := e.Available(id); got != n {
			t.Errorf("engine: %s has %d free, want %d", id, got, n)
		}
	}
	fresh := booking.NewEngine(nil)
	fresh.Load(must[booking.Snapshot](t)(l.Snapshot(ctx)))
	for id, n := range want {
		if got := fresh.Available(id); got != n {
			t.Errorf("snapshot: %s has %d free, want %d", id, got, n)
		}
	}
	if e.Seq() != fresh.Seq() {
		t.Errorf("followed engine at %d, snapshot at %d", e.Seq(), fresh.Seq())
	}
	got := e.Match(booking.Request{ID: "q", Service: "ev-clinic", Earliest: Base}, 0)
	if len(got) != 4 {
		t.Errorf("match found %d slots, want 4", len(got))
	}
}
