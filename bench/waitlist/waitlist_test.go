// Package waitlist benchmarks offering a released slot to a 100,000-entry
// waiting list (no Go peer exists; the figure stands alone).
package waitlist

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/waitlist"
)

func BenchmarkReleaseOffer100k(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2027, 1, 4, 9, 0, 0, 0, booking.London)
	clock := func() time.Time { return now }
	store := waitlist.NewMemoryStore()
	rng := rand.New(rand.NewPCG(1, 2))
	n, _ := nhsid.TestNHSNumber(1)
	var entries []*waitlist.Entry
	for i := range 100_000 {
		entries = append(entries, &waitlist.Entry{ID: fmt.Sprintf("e%06d", i), NHSNumber: n, Service: "cardiology",
			Priority: waitlist.Priority(1 + rng.IntN(6)), Referred: now.Add(-time.Duration(rng.IntN(300*24)) * time.Hour), Status: waitlist.Waiting})
	}
	if err := store.Commit(ctx, waitlist.Batch{Entries: entries}); err != nil {
		b.Fatal(err)
	}
	var slots []booking.Slot
	for i := range 5000 {
		s := now.Add(time.Duration(24+i) * time.Hour)
		slots = append(slots, booking.Slot{ID: fmt.Sprint("s", i), Service: "cardiology", Start: s, End: s.Add(30 * time.Minute)})
	}
	engine := booking.NewEngine(slots, booking.WithClock(clock))
	list, err := waitlist.New(waitlist.Config{Store: store, Engine: engine, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s := slots[i%len(slots)]
		ev := booking.Event{Kind: booking.SlotReleased, SlotID: s.ID, Slot: s}
		if _, err := list.OnSlotReleased(ctx, ev); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
