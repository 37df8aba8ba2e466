package waitlist

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, London)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func nhs(i int) nhsid.NHSNumber {
	for seq := uint64(i); ; seq++ {
		if n, ok := nhsid.TestNHSNumber(seq); ok {
			return n
		}
	}
}

// entry is referred, and listed (decision to treat), referredDaysAgo.
func entry(id string, i int, p Priority, referredDaysAgo int) *Entry {
	at := t0.AddDate(0, 0, -referredDaysAgo)
	return &Entry{ID: id, NHSNumber: nhs(1000 + i*13), Service: "cardiology", Priority: p,
		Referred: at, Listed: at, Contact: Contact{Consent: true, SMS: "07700900000"}}
}

type recorder struct {
	mu sync.Mutex
	ns []Notification
}

func (r *recorder) Notify(_ context.Context, n Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ns = append(r.ns, n)
	return nil
}

func setup(t *testing.T, offersAtOnce int) (*List, *booking.Engine, *clock, *MemoryStore, *recorder) {
	t.Helper()
	c := &clock{now: t0}
	slot := booking.Slot{ID: "clinic-1", Service: "cardiology", Start: t0.AddDate(0, 0, 2), End: t0.AddDate(0, 0, 2).Add(30 * time.Minute)}
	eng := booking.NewEngine([]booking.Slot{slot}, booking.WithClock(c.Now))
	_, err := eng.Book("clinic-1", "someone-else", "")
	require.NoError(t, err)
	st := NewMemoryStore()
	rec := &recorder{}
	l, err := New(Config{Store: st, Engine: eng, Now: c.Now, OffersAtOnce: offersAtOnce, OfferTTL: time.Hour, Notifier: rec})
	require.NoError(t, err)
	return l, eng, c, st, rec
}

func TestOfferCascade(t *testing.T) {
	l, eng, c, st, rec := setup(t, 1)
	ctx := context.Background()
	for i, e := range []*Entry{entry("routine-old", 1, Routine, 200), entry("p2", 2, P2, 10), entry("p3", 3, P3, 5)} {
		require.NoError(t, l.Add(ctx, e, "clerk"), i)
	}
	ranked, _, err := l.Ranked(ctx, "cardiology")
	require.NoError(t, err)
	assert.Equal(t, []string{"routine-old", "p2", "p3"}, []string{ranked[0].ID, ranked[1].ID, ranked[2].ID})

	evs, err := eng.Cancel("clinic-1", "someone-else")
	require.NoError(t, err)
	offers, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	require.Len(t, offers, 1)
	assert.Equal(t, "routine-old", offers[0].EntryID)
	assert.Equal(t, 0, eng.Available("clinic-1"), "the place is held while the offer is open")

	next, err := l.Decline(ctx, offers[0].ID, "patient")
	require.NoError(t, err)
	require.Len(t, next, 1)
	assert.Equal(t, "p2", next[0].EntryID)

	c.Advance(2 * time.Hour) // p2 never answers
	next, err = l.ExpireDue(ctx)
	require.NoError(t, err)
	require.Len(t, next, 1)
	assert.Equal(t, "p3", next[0].EntryID)

	_, err = l.Accept(ctx, offers[0].ID, "patient")
	assert.ErrorIs(t, err, ErrNotOpen, "a declined offer cannot be accepted")

	bev, err := l.Accept(ctx, next[0].ID, "patient")
	require.NoError(t, err)
	assert.Equal(t, booking.Booked, bev.Kind)
	assert.Equal(t, []string{"someone-else", "p3"}[1:], eng.Bookings("clinic-1"))
	got, err := st.Entry(ctx, "p3")
	require.NoError(t, err)
	assert.Equal(t, Booked, got.Status)

	// The notifications carry no unmasked NHS number.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.ns, 3)
	for _, n := range rec.ns {
		assert.Regexp(t, `^\*\*\* \*\*\* \d{4}$`, n.NHSMasked)
	}

	// The log replays to the same state.
	log, err := st.Events(ctx, 0)
	require.NoError(t, err)
	re, err := Replay(log)
	require.NoError(t, err)
	for _, id := range []string{"routine-old", "p2", "p3"} {
		a, _ := st.Entry(ctx, id)
		b, _ := re.Entry(ctx, id)
		assert.Empty(t, cmp.Diff(a, b), id)
	}
	for _, ev := range log {
		if ev.Offer != nil {
			a, _ := st.Offer(ctx, ev.Offer.ID)
			b, _ := re.Offer(ctx, ev.Offer.ID)
			assert.Empty(t, cmp.Diff(a, b))
		}
		assert.NotEmpty(t, ev.Actor)
		assert.False(t, ev.At.IsZero())
	}
}

func TestOfferAfterExpiryRefused(t *testing.T) {
	l, eng, c, _, _ := setup(t, 1)
	ctx := context.Background()
	require.NoError(t, l.Add(ctx, entry("a", 1, P2, 3), "clerk"))
	evs, _ := eng.Cancel("clinic-1", "someone-else")
	offers, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	c.Advance(61 * time.Minute)
	_, err = l.Accept(ctx, offers[0].ID, "patient")
	assert.ErrorIs(t, err, ErrNotOpen)
	assert.Empty(t, eng.Bookings("clinic-1"))
}

func TestConcurrentAcceptsExactlyOneBooking(t *testing.T) {
	for round := range 30 {
		l, eng, _, st, _ := setup(t, 5)
		ctx := context.Background()
		for i := range 8 {
			require.NoError(t, l.Add(ctx, entry(fmt.Sprint("e", i), i, P3, i), "clerk"))
		}
		evs, _ := eng.Cancel("clinic-1", "someone-else")
		offers, err := l.OnSlotReleased(ctx, evs[1])
		require.NoError(t, err)
		require.Len(t, offers, 5)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for _, o := range offers {
			for range 3 { // each patient presses accept three times
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := l.Accept(ctx, o.ID, "patient"); err == nil {
						mu.Lock()
						wins++
						mu.Unlock()
					} else if !errors.Is(err, ErrNotOpen) {
						t.Errorf("round %d: unexpected error %v", round, err)
					}
				}()
			}
		}
		wg.Wait()
		require.Equal(t, 1, wins, "round %d", round)
		require.Len(t, eng.Bookings("clinic-1"), 1)
		open, _ := st.OpenOffers(ctx, "")
		require.Empty(t, open)
	}
}

func TestReminders(t *testing.T) {
	// An appointment at 09:00 on Tuesday 31 March 2026 (BST); a week
	// before is Tuesday 24 March (GMT), still at 09:00 local.
	appt := time.Date(2026, 3, 31, 9, 0, 0, 0, London)
	got := Reminders(appt, time.Date(2026, 3, 1, 0, 0, 0, 0, London), 7, 1)
	require.Len(t, got, 2)
	assert.Equal(t, "2026-03-24 09:00 GMT", got[0].Format("2006-01-02 15:04 MST"))
	assert.Equal(t, "2026-03-30 09:00 BST", got[1].Format("2006-01-02 15:04 MST"))
	assert.Len(t, Reminders(appt, time.Date(2026, 3, 29, 0, 0, 0, 0, London), 7, 1), 1, "past reminders are dropped")
}

func TestAddRejectsBadEntries(t *testing.T) {
	l, _, _, _, _ := setup(t, 1)
	ctx := context.Background()
	bad := entry("x", 1, P2, 1)
	bad.NHSNumber = "9990000017"
	assert.Error(t, l.Add(ctx, bad, "clerk"))
	require.NoError(t, l.Add(ctx, entry("y", 2, P2, 1), "clerk"))
	assert.ErrorIs(t, l.Add(ctx, entry("y", 2, P2, 1), "clerk"), ErrExists)
}

func TestRowScoreMatchesScoreAt(t *testing.T) {
	now := t0
	for i, p := range []Priority{P1a, P1b, P2, P3, P4, Urgent, Routine} {
		for _, days := range []int{0, 3, 40, 130, 400} {
			for _, cancer := range []bool{false, true} {
				e := entry(fmt.Sprint("e", i, days), i, p, days)
				if cancer {
					e.Cancer = CancerPathway{Route: UrgentSuspectedCancer, Start: e.Referred}
				}
				e.Status = Waiting
				want := ScoreAt(e, now, DefaultWeights)
				st := NewMemoryStore()
				require.NoError(t, st.Commit(context.Background(), Batch{Entries: []*Entry{e}}))
				var got Score
				st.visitRows("cardiology", func(r rankRow) { got = scoreFrom(r.in, now.UnixNano(), DefaultWeights) })
				assert.Equal(t, want, got, "%v %d days cancer=%v", p, days, cancer)
			}
		}
	}
}
