package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/waitlist"
)

// Run runs the suite; newStore must return an empty store each call.
func Run(t *testing.T, newStore func(t *testing.T) waitlist.Store) {
	t.Run("VersionedWrites", func(t *testing.T) { versioned(t, newStore(t)) })
	t.Run("AtomicCommit", func(t *testing.T) { atomic(t, newStore(t)) })
	t.Run("EventsReplay", func(t *testing.T) { replay(t, newStore(t)) })
	t.Run("OneWinner", func(t *testing.T) { oneWinner(t, newStore(t)) })
	t.Run("Queries", func(t *testing.T) { queries(t, newStore(t)) })
}

func mkEntry(id, service string) *waitlist.Entry {
	n, _ := fhir.TestNHSNumber(1)
	return &waitlist.Entry{ID: id, NHSNumber: n, Service: service, Priority: waitlist.P3,
		Referred: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), Status: waitlist.Waiting}
}

func versioned(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	e := mkEntry("e1", "c")
	if err := s.Commit(ctx, []*waitlist.Entry{e}, nil, nil); err != nil {
		t.Fatalf("create: %v", err)
	}
	if e.Version != 1 {
		t.Fatalf("version after create = %d, want 1", e.Version)
	}
	dup := mkEntry("e1", "c")
	if err := s.Commit(ctx, []*waitlist.Entry{dup}, nil, nil); !errors.Is(err, waitlist.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	stale := *e
	e.Priority = waitlist.P2
	if err := s.Commit(ctx, []*waitlist.Entry{e}, nil, nil); err != nil {
		t.Fatalf("update: %v", err)
	}
	stale.Priority = waitlist.P1
	if err := s.Commit(ctx, []*waitlist.Entry{&stale}, nil, nil); !errors.Is(err, waitlist.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	got, err := s.Entry(ctx, "e1")
	if err != nil || got.Priority != waitlist.P2 || got.Version != 2 {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	if _, err := s.Entry(ctx, "missing"); !errors.Is(err, waitlist.ErrNotFound) {
		t.Fatalf("missing entry: %v, want ErrNotFound", err)
	}
}

func atomic(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	a := mkEntry("a", "c")
	if err := s.Commit(ctx, []*waitlist.Entry{a}, nil, nil); err != nil {
		t.Fatal(err)
	}
	b := mkEntry("b", "c")
	staleA := mkEntry("a", "c") // version 0: a create that conflicts
	o := &waitlist.Offer{ID: "o1", EntryID: "b", SlotID: "s", Status: waitlist.OfferOpen, Expires: time.Now().Add(time.Hour)}
	err := s.Commit(ctx, []*waitlist.Entry{b, staleA}, []*waitlist.Offer{o}, []waitlist.Event{{Kind: waitlist.EntryAdded, Actor: "t", Entry: b}})
	if err == nil {
		t.Fatal("a commit with a conflicting write succeeded")
	}
	if _, err := s.Entry(ctx, "b"); !errors.Is(err, waitlist.ErrNotFound) {
		t.Fatalf("part of a failed commit was applied: %v", err)
	}
	if _, err := s.Offer(ctx, "o1"); !errors.Is(err, waitlist.ErrNotFound) {
		t.Fatalf("part of a failed commit was applied: %v", err)
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
	if err := s.Commit(ctx, []*waitlist.Entry{e}, nil, []waitlist.Event{{At: at, Actor: "clerk", Kind: waitlist.EntryAdded, Entry: e}}); err != nil {
		t.Fatal(err)
	}
	o := &waitlist.Offer{ID: "ro", EntryID: "r", SlotID: "s1", Status: waitlist.OfferOpen, Made: at, Expires: at.Add(time.Hour)}
	e.Status = waitlist.Offered
	if err := s.Commit(ctx, []*waitlist.Entry{e}, []*waitlist.Offer{o}, []waitlist.Event{{At: at, Actor: "waitlist", Kind: waitlist.OfferMade, Entry: e, Offer: o, SlotID: "s1"}}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx, 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events: %d, %v", len(evs), err)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has sequence %d", i, ev.Seq)
		}
	}
	if later, _ := s.Events(ctx, 1); len(later) != 1 || later[0].Kind != waitlist.OfferMade {
		t.Fatalf("events after 1: %+v", later)
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
}

func oneWinner(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	o := &waitlist.Offer{ID: "race", EntryID: "x", SlotID: "s", Status: waitlist.OfferOpen, Expires: time.Now().Add(time.Hour)}
	if err := s.Commit(ctx, nil, []*waitlist.Offer{o}, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *o
			c.Status = waitlist.OfferAccepted
			c.EntryID = fmt.Sprint("x", i)
			if err := s.Commit(ctx, nil, []*waitlist.Offer{&c}, nil); err == nil {
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

func queries(t *testing.T, s waitlist.Store) {
	ctx := context.Background()
	w1, w2, other := mkEntry("w1", "c"), mkEntry("w2", "c"), mkEntry("o", "d")
	booked := mkEntry("b", "c")
	booked.Status = waitlist.Booked
	if err := s.Commit(ctx, []*waitlist.Entry{w1, w2, other, booked}, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Waiting(ctx, "c")
	if err != nil || len(got) != 2 {
		t.Fatalf("waiting: %d entries, %v", len(got), err)
	}
	o1 := &waitlist.Offer{ID: "q1", EntryID: "w1", SlotID: "s1", Status: waitlist.OfferOpen}
	o2 := &waitlist.Offer{ID: "q2", EntryID: "w2", SlotID: "s2", Status: waitlist.OfferOpen}
	o3 := &waitlist.Offer{ID: "q3", EntryID: "w2", SlotID: "s1", Status: waitlist.OfferDeclined}
	if err := s.Commit(ctx, nil, []*waitlist.Offer{o1, o2, o3}, nil); err != nil {
		t.Fatal(err)
	}
	if open, _ := s.OpenOffers(ctx, "s1"); len(open) != 1 || open[0].ID != "q1" {
		t.Fatalf("open offers on s1: %+v", open)
	}
	if open, _ := s.OpenOffers(ctx, ""); len(open) != 2 {
		t.Fatalf("all open offers: %d", len(open))
	}
	if all, _ := s.SlotOffers(ctx, "s1"); len(all) != 2 || all[0].ID != "q1" || all[1].ID != "q3" {
		t.Fatalf("offers of s1: %+v", all)
	}
}
