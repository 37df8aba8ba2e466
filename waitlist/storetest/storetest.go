package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/waitlist"
)

// Run runs the suite; newStore must return an empty store each call.
func Run(t *testing.T, newStore func(t *testing.T) waitlist.Store) {
	t.Run("VersionedWrites", func(t *testing.T) { versioned(t, newStore(t)) })
	t.Run("AtomicCommit", func(t *testing.T) { atomicCommit(t, newStore(t)) })
	t.Run("EventsReplay", func(t *testing.T) { replay(t, newStore(t)) })
	t.Run("GapFreeSequence", func(t *testing.T) { gapFree(t, newStore(t)) })
	t.Run("OneWinner", func(t *testing.T) { oneWinner(t, newStore(t)) })
	t.Run("OneAcceptPerPlace", func(t *testing.T) { oneAcceptPerPlace(t, newStore(t)) })
	t.Run("Invariants", func(t *testing.T) { invariants(t, newStore) })
	t.Run("Queries", func(t *testing.T) { queries(t, newStore(t)) })
}

func mkEntry(id, service string) *waitlist.Entry {
	n, _ := fhir.TestNHSNumber(1)
	return &waitlist.Entry{ID: id, NHSNumber: n, Service: service, Priority: waitlist.P3,
		Referred: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), Status: waitlist.Waiting}
}

func mkPlace(id, slot string) *waitlist.Place {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return &waitlist.Place{ID: id, Slot: booking.Slot{ID: slot, Service: "c", Start: start, End: start.Add(30 * time.Minute), Capacity: 1},
		Status: waitlist.PlaceOffering, Released: start.Add(-48 * time.Hour)}
}

func commit(t *testing.T, s waitlist.Store, b waitlist.Batch) {
	t.Helper()
	if err := s.Commit(context.Background(), b); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func versioned(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	e := mkEntry("e1", "c")
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{e}})
	if e.Version != 1 {
		t.Fatalf("version after create = %d, want 1", e.Version)
	}
	dup := mkEntry("e1", "c")
	if err := s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{dup}}); !errors.Is(err, waitlist.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	stale := *e
	e.Priority = waitlist.P2
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{e}})
	stale.Priority = waitlist.P1a
	if err := s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{&stale}}); !errors.Is(err, waitlist.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	got, err := s.Entry(ctx, "e1")
	if err != nil || got.Priority != waitlist.P2 || got.Version != 2 {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	if _, err := s.Entry(ctx, "missing"); !errors.Is(err, waitlist.ErrNotFound) {
		t.Fatalf("missing entry: %v, want ErrNotFound", err)
	}
	if _, err := s.Place(ctx, "missing"); !errors.Is(err, waitlist.ErrNotFound) {
		t.Fatalf("missing place: %v, want ErrNotFound", err)
	}
	p := mkPlace("p1", "s1")
	commit(t, s, waitlist.Batch{Places: []*waitlist.Place{p}})
	staleP := *p
	p.Status = waitlist.PlaceBooked
	commit(t, s, waitlist.Batch{Places: []*waitlist.Place{p}})
	staleP.Status = waitlist.PlaceUnfilled
	if err := s.Commit(ctx, waitlist.Batch{Places: []*waitlist.Place{&staleP}}); !errors.Is(err, waitlist.ErrConflict) {
		t.Fatalf("stale place update: %v, want ErrConflict", err)
	}
	gotP, err := s.Place(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p, gotP); d != "" {
		t.Fatalf("place read back differs (-want +got):\n%s", d)
	}
}

func atomicCommit(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	a := mkEntry("a", "c")
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{a}})
	b := mkEntry("b", "c")
	b.Status = waitlist.Offered
	staleA := mkEntry("a", "c") // version 0: a create that conflicts
	o := &waitlist.Offer{ID: "o1", EntryID: "b", SlotID: "s", Status: waitlist.OfferOpen, Expires: time.Now().Add(time.Hour)}
	err := s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{b, staleA}, Offers: []*waitlist.Offer{o},
		Events: []waitlist.Event{{Kind: waitlist.EntryAdded, Actor: "t", Entry: b}}})
	if err == nil {
		t.Fatal("a commit with a conflicting write succeeded")
	}
	if _, err := s.Entry(ctx, "b"); !errors.Is(err, waitlist.ErrNotFound) {
		t.Fatalf("part of a failed commit was applied: %v", err)
	}
	if _, err := s.Offer(ctx, "o1"); !errors.Is(err, waitlist.ErrNotFound) {
		t.Fatalf("part of a failed commit was applied: %v", err)
	}
	if b.Version != 0 || o.Version != 0 {
		t.Fatalf("a failed commit changed the callers' versions: %d, %d", b.Version, o.Version)
	}
	evs, _ := s.Events(ctx, 0)
	if len(evs) != 0 {
		t.Fatalf("a failed commit appended %d events", len(evs))
	}
}

func replay(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	e := mkEntry("r", "c")
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{e}, Events: []waitlist.Event{{At: at, Actor: "clerk", Kind: waitlist.EntryAdded, Entry: e}}})
	p := mkPlace("rp", "s1")
	p.Status = waitlist.PlacePending
	commit(t, s, waitlist.Batch{Places: []*waitlist.Place{p}, Events: []waitlist.Event{{At: at, Actor: "waitlist", Kind: waitlist.SlotReleased, Place: p, SlotID: "s1"}}})
	o := &waitlist.Offer{ID: "ro", EntryID: "r", SlotID: "s1", PlaceID: "rp", Status: waitlist.OfferOpen, Made: at, Expires: at.Add(time.Hour)}
	e.Status = waitlist.Offered
	p.Status = waitlist.PlaceOffering
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{e}, Offers: []*waitlist.Offer{o}, Places: []*waitlist.Place{p},
		Events: []waitlist.Event{{At: at, Actor: "waitlist", Kind: waitlist.OfferMade, Entry: e, Offer: o, Place: p, SlotID: "s1"}}})
	evs, err := s.Events(ctx, 0)
	if err != nil || len(evs) != 3 {
		t.Fatalf("events: %d, %v", len(evs), err)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has sequence %d", i, ev.Seq)
		}
	}
	if later, _ := s.Events(ctx, 2); len(later) != 1 || later[0].Kind != waitlist.OfferMade {
		t.Fatalf("events after 2: %+v", later)
	}
	re, err := waitlist.Replay(evs)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := s.Entry(ctx, "r")
	got, _ := re.Entry(ctx, "r")
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("replayed entry differs (-want +got):\n%s", d)
	}
	wo, _ := s.Offer(ctx, "ro")
	gotO, _ := re.Offer(ctx, "ro")
	if d := cmp.Diff(wo, gotO); d != "" {
		t.Fatalf("replayed offer differs (-want +got):\n%s", d)
	}
	wp, _ := s.Place(ctx, "rp")
	gotP, _ := re.Place(ctx, "rp")
	if d := cmp.Diff(wp, gotP); d != "" {
		t.Fatalf("replayed place differs (-want +got):\n%s", d)
	}
}

// gapFree: failed commits, conflicting and concurrent, leave no hole in
// the sequence, and every acknowledged event is in the log.
func gapFree(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	var entries []*waitlist.Entry
	for i := range 8 {
		e := mkEntry(fmt.Sprint("g", i), "c")
		commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{e}, Events: []waitlist.Event{{Kind: waitlist.EntryAdded, Actor: "t", Entry: e}}})
		entries = append(entries, e)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				e, err := s.Entry(ctx, entries[(w+i)%len(entries)].ID)
				if err != nil {
					t.Error(err)
					return
				}
				e.Priority = waitlist.Priority(1 + (i % 4))
				err = s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{e}, Events: []waitlist.Event{{Kind: waitlist.EntryChanged, Actor: "t", Entry: e}}})
				if err == nil {
					mu.Lock()
					acked++
					mu.Unlock()
				} else if !errors.Is(err, waitlist.ErrConflict) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	evs, err := s.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 8+acked {
		t.Fatalf("%d events for %d acknowledged commits", len(evs), 8+acked)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has sequence %d: a gap", i+1, ev.Seq)
		}
	}
	if _, err := waitlist.Replay(evs); err != nil {
		t.Fatal(err)
	}
}

func oneWinner(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	x := mkEntry("x", "c")
	x.Status = waitlist.Offered
	o := &waitlist.Offer{ID: "race", EntryID: "x", SlotID: "s", Status: waitlist.OfferOpen, Expires: time.Now().Add(time.Hour)}
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{x}, Offers: []*waitlist.Offer{o}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, e := *o, *x
			c.Status = waitlist.OfferAccepted
			e.Status = waitlist.Booked
			if err := s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{&e}, Offers: []*waitlist.Offer{&c}}); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, waitlist.ErrConflict) {
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent writers won, want exactly 1", wins)
	}
}

// oneAcceptPerPlace: writers that share no record but the place (each
// accepts its own offer of it, without writing the place) still cannot
// both win: the store allows a place one accepted offer.
func oneAcceptPerPlace(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	p := mkPlace("pl", "s")
	commit(t, s, waitlist.Batch{Places: []*waitlist.Place{p}})
	var es []*waitlist.Entry
	var os []*waitlist.Offer
	for i := range 12 {
		e := mkEntry(fmt.Sprint("w", i), "c")
		e.Status = waitlist.Offered
		o := &waitlist.Offer{ID: fmt.Sprint("wo", i), EntryID: e.ID, SlotID: "s", PlaceID: "pl", Status: waitlist.OfferOpen}
		commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{e}, Offers: []*waitlist.Offer{o}})
		es, os = append(es, e), append(os, o)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range es {
		wg.Add(1)
		go func() {
			defer wg.Done()
			es[i].Status, os[i].Status = waitlist.Booked, waitlist.OfferAccepted
			err := s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{es[i]}, Offers: []*waitlist.Offer{os[i]}})
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case errors.Is(err, waitlist.ErrInvariant), errors.Is(err, waitlist.ErrConflict):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d accepts of one place won, want exactly 1", wins)
	}
}

func invariants(t *testing.T, newStore func(t *testing.T) waitlist.Store) {
	ctx := context.Background()
	type setup func(s waitlist.Store) waitlist.Batch
	offered := func(id string) *waitlist.Entry { e := mkEntry(id, "c"); e.Status = waitlist.Offered; return e }
	open := func(id, entry string) *waitlist.Offer {
		return &waitlist.Offer{ID: id, EntryID: entry, SlotID: "s", Status: waitlist.OfferOpen}
	}
	cases := []struct {
		name string
		do   setup
	}{
		{"entry status", func(s waitlist.Store) waitlist.Batch {
			e := mkEntry("e", "c")
			e.Status = "lost"
			return waitlist.Batch{Entries: []*waitlist.Entry{e}}
		}},
		{"offer status", func(s waitlist.Store) waitlist.Batch {
			commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{mkEntry("e", "c")}})
			o := open("o", "e")
			o.Status = "maybe"
			return waitlist.Batch{Offers: []*waitlist.Offer{o}}
		}},
		{"place status", func(s waitlist.Store) waitlist.Batch {
			p := mkPlace("p", "s")
			p.Status = "gone"
			return waitlist.Batch{Places: []*waitlist.Place{p}}
		}},
		{"offer of a missing entry", func(s waitlist.Store) waitlist.Batch {
			o := open("o", "nobody")
			o.Status = waitlist.OfferDeclined
			return waitlist.Batch{Offers: []*waitlist.Offer{o}}
		}},
		{"offer of a missing place", func(s waitlist.Store) waitlist.Batch {
			commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{mkEntry("e", "c")}})
			o := open("o", "e")
			o.Status, o.PlaceID = waitlist.OfferDeclined, "nowhere"
			return waitlist.Batch{Offers: []*waitlist.Offer{o}}
		}},
		{"open offer to a waiting entry", func(s waitlist.Store) waitlist.Batch {
			commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{mkEntry("e", "c")}})
			return waitlist.Batch{Offers: []*waitlist.Offer{open("o", "e")}}
		}},
		{"offered entry without an offer", func(s waitlist.Store) waitlist.Batch {
			return waitlist.Batch{Entries: []*waitlist.Entry{offered("e")}}
		}},
		{"second open offer", func(s waitlist.Store) waitlist.Batch {
			commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{offered("e")}, Offers: []*waitlist.Offer{open("o1", "e")}})
			return waitlist.Batch{Offers: []*waitlist.Offer{open("o2", "e")}}
		}},
		{"entry left offered after its offer closed", func(s waitlist.Store) waitlist.Batch {
			o := open("o1", "e")
			commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{offered("e")}, Offers: []*waitlist.Offer{o}})
			o.Status = waitlist.OfferDeclined
			return waitlist.Batch{Offers: []*waitlist.Offer{o}}
		}},
		{"second booking of an entry", func(s waitlist.Store) waitlist.Batch {
			e := mkEntry("e", "c")
			e.Status = waitlist.Booked
			a := open("a1", "e")
			a.Status = waitlist.OfferAccepted
			commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{e}, Offers: []*waitlist.Offer{a}})
			b := open("a2", "e")
			b.Status = waitlist.OfferAccepted
			return waitlist.Batch{Offers: []*waitlist.Offer{b}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			before, _ := s.Events(ctx, 0)
			b := c.do(s)
			b.Events = append(b.Events, waitlist.Event{Kind: waitlist.EntryChanged, Actor: "t"})
			err := s.Commit(ctx, b)
			if !errors.Is(err, waitlist.ErrInvariant) {
				t.Fatalf("commit: %v, want ErrInvariant", err)
			}
			after, _ := s.Events(ctx, 0)
			if len(after) != len(before) {
				t.Fatal("a refused commit appended events")
			}
		})
	}
}

func queries(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	w1, w2, other := mkEntry("w1", "c"), mkEntry("w2", "c"), mkEntry("o", "d")
	booked := mkEntry("b", "c")
	booked.Status = waitlist.Booked
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{w1, w2, other, booked}})
	got, err := s.Waiting(ctx, "c")
	if err != nil || len(got) != 2 {
		t.Fatalf("waiting: %d entries, %v", len(got), err)
	}
	p1, p2 := mkPlace("p1", "s1"), mkPlace("p2", "s2")
	p2.Status = waitlist.PlacePending
	commit(t, s, waitlist.Batch{Places: []*waitlist.Place{p1, p2}})
	w1.Status, w2.Status = waitlist.Offered, waitlist.Offered
	o1 := &waitlist.Offer{ID: "q1", EntryID: "w1", SlotID: "s1", PlaceID: "p1", Status: waitlist.OfferOpen}
	o2 := &waitlist.Offer{ID: "q2", EntryID: "w2", SlotID: "s2", Status: waitlist.OfferOpen}
	o3 := &waitlist.Offer{ID: "q3", EntryID: "w2", SlotID: "s1", PlaceID: "p1", Status: waitlist.OfferDeclined}
	commit(t, s, waitlist.Batch{Entries: []*waitlist.Entry{w1, w2}, Offers: []*waitlist.Offer{o1, o2, o3}})
	if open, _ := s.OpenOffers(ctx, "s1"); len(open) != 1 || open[0].ID != "q1" {
		t.Fatalf("open offers on s1: %+v", open)
	}
	if open, _ := s.OpenOffers(ctx, ""); len(open) != 2 {
		t.Fatalf("all open offers: %d", len(open))
	}
	if all, _ := s.SlotOffers(ctx, "s1"); len(all) != 2 || all[0].ID != "q1" || all[1].ID != "q3" {
		t.Fatalf("offers of s1: %+v", all)
	}
	if all, _ := s.EntryOffers(ctx, "w2"); len(all) != 2 || all[0].ID != "q2" || all[1].ID != "q3" {
		t.Fatalf("offers of w2: %+v", all)
	}
	if ps, _ := s.Places(ctx, waitlist.PlacePending); len(ps) != 1 || ps[0].ID != "p2" {
		t.Fatalf("pending places: %+v", ps)
	}
}
