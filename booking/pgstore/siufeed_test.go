package pgstore

import (
	"context"
	"strings"
	"testing"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/siufeed"
	"github.com/nhskit/nhskit/booking/siufeed/siufeedtest"
	"github.com/nhskit/nhskit/hl7v2"
)

// TestSIUFeedRestartsFromTheLedger plays half a generated trust day
// through one feed, opens the database again as a restarted service
// would, and plays the rest through a new feed: what the first knew (its
// slots, the bookings by PAS appointment id) comes back from the ledger,
// so the final book is the PAS's.
func TestSIUFeedRestartsFromTheLedger(t *testing.T) {
	ctx := context.Background()
	first := open(t)
	if err := first.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	day := siufeedtest.NewDay(siufeedtest.Options{Seed: 5})
	play := func(l booking.Ledger, from, to int) {
		t.Helper()
		feed, err := siufeed.New(ctx, siufeed.Config{Ledger: l})
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range day.Messages[from:to] {
			msg, err := hl7v2.Parse(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			_, err = feed.Apply(ctx, msg)
			if (err != nil) != (m.Refuse != "") {
				t.Fatalf("message %d (%s): %v", from+i, m.Trigger, err)
			}
		}
	}
	mid := len(day.Messages) / 2
	play(first, 0, mid)
	seqs, err := first.Events(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	half := seqs[len(seqs)-1].Seq
	first.Close()
	second := open(t)
	play(second, mid, len(day.Messages))

	// A slot made for an appointment outside the opened slots is never
	// released to be offered, before or after the restart (the feed knows
	// it again from the tag the ledger kept).
	var after uint64
	removedImplicit := 0
	for {
		evs, err := second.Events(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			after = ev.Seq
			if ev.Kind == booking.SlotReleased && strings.Contains(ev.SlotID, ":appt:") {
				t.Errorf("event %d releases %s, a slot made for one appointment", ev.Seq, ev.SlotID)
			}
			if ev.Kind == booking.SlotRemoved && strings.Contains(ev.SlotID, ":appt:") && ev.Seq > half {
				removedImplicit++
			}
		}
	}
	if removedImplicit == 0 {
		t.Fatal("the day cancels no appointment made outside the opened slots after the restart: the check above proves nothing")
	}
	snap, err := second.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	booked := map[string]string{}
	for _, u := range snap.Usage {
		for _, r := range u.Booked {
			booked[r] = u.SlotID
		}
	}
	want := day.Booked()
	if len(booked) != len(want) {
		t.Fatalf("%d bookings in the ledger, the PAS has %d", len(booked), len(want))
	}
	for _, a := range want {
		slot, ok := booked["siu:appt:"+day.Source+":"+a]
		if !ok {
			t.Fatalf("appointment %s is not booked", a)
		}
		if fid, open := day.Open[slot[len("siu:"+day.Source+":"):]]; open && fid != a {
			t.Fatalf("appointment %s on slot %s, which the PAS gave to %s", a, slot, fid)
		}
	}
}
