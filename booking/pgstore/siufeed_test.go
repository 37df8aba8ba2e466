package pgstore

import (
	"context"
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
	half := len(day.Messages) / 2
	play(first, 0, half)
	first.Close()
	second := open(t)
	play(second, half, len(day.Messages))

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
