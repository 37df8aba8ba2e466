package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/waitlist"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, booking.London)

func addEntries(t testing.TB, l *waitlist.List, n int) {
	t.Helper()
	nhs, _ := fhir.TestNHSNumber(1)
	for i := range n {
		e := &waitlist.Entry{ID: fmt.Sprintf("e%05d", i), NHSNumber: nhs, Service: "cardiology", Priority: waitlist.P3,
			Referred: t0.AddDate(0, 0, -i%200)}
		if err := l.Add(context.Background(), e, "import"); err != nil {
			t.Fatal(err)
		}
	}
}

// Two List instances (two services) share one database: of every accept
// racing for one released place, exactly one books.
func TestTwoInstancesNeverDoubleBook(t *testing.T) {
	s1 := open(t)
	s2 := another(t, s1)
	ctx := context.Background()
	for round := range 10 {
		if err := s1.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		now := func() time.Time { return t0 }
		slot := booking.Slot{ID: "s", Service: "cardiology", Start: t0.AddDate(0, 0, 2), End: t0.AddDate(0, 0, 2).Add(30 * time.Minute)}
		eng := booking.NewEngine([]booking.Slot{slot}, booking.WithClock(now))
		l1, _ := waitlist.New(waitlist.Config{Store: s1, Engine: eng, Now: now, OffersAtOnce: 4})
		l2, _ := waitlist.New(waitlist.Config{Store: s2, Engine: eng, Now: now, OffersAtOnce: 4})
		addEntries(t, l1, 6)
		offers, err := l1.OnSlotReleased(ctx, booking.Event{Kind: booking.SlotReleased, SlotID: "s", Slot: slot})
		if err != nil || len(offers) != 4 {
			t.Fatalf("round %d: offers %d, %v", round, len(offers), err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i, o := range offers {
			for _, l := range []*waitlist.List{l1, l2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := l.Accept(ctx, o.ID, fmt.Sprint("patient-", i)); err == nil {
						wins.Add(1)
					} else if !errors.Is(err, waitlist.ErrNotOpen) {
						t.Errorf("round %d: %v", round, err)
					}
				}()
			}
		}
		wg.Wait()
		if wins.Load() != 1 || len(eng.Bookings("s")) != 1 {
			t.Fatalf("round %d: %d accepts won, %d bookings", round, wins.Load(), len(eng.Bookings("s")))
		}
	}
}

// TestTransitionThroughput measures accept and decline transitions per
// second through PostgreSQL with 8 workers: 400 released slots are each
// offered to two patients (untimed), then one declines and the other
// accepts (timed). It runs when NHSKIT_PG_THROUGHPUT=1.
func TestTransitionThroughput(t *testing.T) {
	if os.Getenv("NHSKIT_PG_THROUGHPUT") != "1" {
		t.Skip("set NHSKIT_PG_THROUGHPUT=1 to measure")
	}
	s := open(t)
	ctx := context.Background()
	now := func() time.Time { return t0 }
	const slots = 400
	var list []booking.Slot
	for i := range slots {
		st := t0.Add(time.Duration(24+i) * time.Hour)
		list = append(list, booking.Slot{ID: fmt.Sprint("s", i), Service: "cardiology", Start: st, End: st.Add(30 * time.Minute)})
	}
	eng := booking.NewEngine(list, booking.WithClock(now))
	l, _ := waitlist.New(waitlist.Config{Store: s, Engine: eng, Now: now, OffersAtOnce: 2})
	addEntries(t, l, 2*slots+10)
	var pairs [][]*waitlist.Offer
	for i := range slots {
		offers, err := l.OnSlotReleased(ctx, booking.Event{Kind: booking.SlotReleased, SlotID: list[i].ID, Slot: list[i]})
		if err != nil || len(offers) != 2 {
			t.Fatalf("slot %d: %d offers, %v", i, len(offers), err)
		}
		pairs = append(pairs, offers)
	}
	var transitions, failures atomic.Int64
	next := atomic.Int64{}
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= slots {
					return
				}
				if _, err := l.Decline(ctx, pairs[i][0].ID, "p"); err != nil {
					failures.Add(1)
				} else {
					transitions.Add(1)
				}
				if _, err := l.Accept(ctx, pairs[i][1].ID, "p"); err != nil {
					failures.Add(1)
				} else {
					transitions.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if failures.Load() > 0 {
		t.Errorf("%d transitions failed", failures.Load())
	}
	t.Logf("%d accept/decline transitions in %v: %.0f per second with 8 workers", transitions.Load(), el.Round(time.Millisecond), float64(transitions.Load())/el.Seconds())
}
