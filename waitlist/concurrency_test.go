package waitlist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
)

func TestRemoveWithdrawsOpenOfferAndCascades(t *testing.T) {
	l, eng, _, st, _ := setup(t, 1)
	ctx := context.Background()
	require.NoError(t, l.Add(ctx, entry("a", 1, P2, 30), "clerk"))
	require.NoError(t, l.Add(ctx, entry("b", 2, P3, 3), "clerk"))
	evs, err := eng.Cancel("clinic-1", "someone-else")
	require.NoError(t, err)
	offers, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	require.Len(t, offers, 1)
	require.Equal(t, "a", offers[0].EntryID)

	require.NoError(t, l.Remove(ctx, "a", "treated elsewhere", "clerk"))
	o, err := st.Offer(ctx, offers[0].ID)
	require.NoError(t, err)
	assert.Equal(t, OfferWithdrawn, o.Status)
	open, err := st.OpenOffers(ctx, "")
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Equal(t, "b", open[0].EntryID, "the place went on to the next patient")
	_, err = l.Accept(ctx, offers[0].ID, "patient")
	assert.ErrorIs(t, err, ErrNotOpen)
	_, err = l.Accept(ctx, open[0].ID, "patient")
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, eng.Bookings("clinic-1"))
}

func TestLateReleaseIsNotOffered(t *testing.T) {
	c := &clock{now: t0}
	slot := booking.Slot{ID: "soon", Service: "cardiology", Start: t0.Add(40 * time.Minute), End: t0.Add(70 * time.Minute)}
	eng := booking.NewEngine([]booking.Slot{slot}, booking.WithClock(c.Now))
	_, err := eng.Book("soon", "x", "")
	require.NoError(t, err)
	st := NewMemoryStore()
	rec := &recorder{}
	l, err := New(Config{Store: st, Engine: eng, Now: c.Now, Notifier: rec})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, l.Add(ctx, entry("a", 1, P2, 30), "clerk"))
	evs, err := eng.Cancel("soon", "x")
	require.NoError(t, err)
	offers, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	assert.Empty(t, offers, "40 minutes' notice is less than the hour the patient needs")
	assert.Empty(t, rec.ns)
	assert.Equal(t, 1, eng.Available("soon"), "no hold taken")
	ps, err := st.Places(ctx, PlaceUnfilled)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Contains(t, ps[0].Reason, "too late")
}

func TestOfferNeverOutlivesTheNotice(t *testing.T) {
	l, eng, c, _, _ := setup(t, 1)
	ctx := context.Background()
	require.NoError(t, l.Add(ctx, entry("a", 1, P2, 30), "clerk"))
	c.Advance(2*24*time.Hour - 90*time.Minute) // the slot starts in 90 minutes
	evs, err := eng.Cancel("clinic-1", "someone-else")
	require.NoError(t, err)
	offers, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	require.Len(t, offers, 1)
	assert.Equal(t, c.Now().Add(30*time.Minute), offers[0].Expires, "the offer closes an hour before the start, not after the TTL")
}

// failingStore fails the commits chosen by fail, to stand for a crash or
// a database error at that point.
type failingStore struct {
	Store
	mu   sync.Mutex
	fail func(b Batch) bool
}

var errInjected = errors.New("injected failure")

func (f *failingStore) Commit(ctx context.Context, b Batch) error {
	f.mu.Lock()
	fail := f.fail != nil && f.fail(b)
	f.mu.Unlock()
	if fail {
		return errInjected
	}
	return f.Store.Commit(ctx, b)
}

func hasKind(b Batch, k EventKind) bool {
	for _, ev := range b.Events {
		if ev.Kind == k {
			return true
		}
	}
	return false
}

func TestCommittedDeclineIsDoneAndTheCascadeRetried(t *testing.T) {
	c := &clock{now: t0}
	slot := booking.Slot{ID: "clinic-1", Service: "cardiology", Start: t0.AddDate(0, 0, 2), End: t0.AddDate(0, 0, 2).Add(30 * time.Minute)}
	eng := booking.NewEngine([]booking.Slot{slot}, booking.WithClock(c.Now))
	_, err := eng.Book("clinic-1", "someone-else", "")
	require.NoError(t, err)
	fs := &failingStore{Store: NewMemoryStore()}
	l, err := New(Config{Store: fs, Engine: eng, Now: c.Now})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, l.Add(ctx, entry("a", 1, P2, 30), "clerk"))
	require.NoError(t, l.Add(ctx, entry("b", 2, P3, 3), "clerk"))
	evs, _ := eng.Cancel("clinic-1", "someone-else")
	offers, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	require.Len(t, offers, 1)

	fs.fail = func(b Batch) bool { return hasKind(b, OfferMade) }
	next, err := l.Decline(ctx, offers[0].ID, "patient")
	require.NoError(t, err, "the decline committed: it is done")
	assert.Empty(t, next)
	pending, _ := fs.Places(ctx, PlacePending)
	require.Len(t, pending, 1, "the cascade is in the outbox")
	assert.Equal(t, 1, eng.Available("clinic-1"))

	fs.fail = nil
	made, err := l.RunPending(ctx)
	require.NoError(t, err)
	require.Len(t, made, 1)
	assert.Equal(t, "b", made[0].EntryID)
	pending, _ = fs.Places(ctx, PlacePending)
	assert.Empty(t, pending)

	// A release whose offering fails is kept too.
	_, err = l.Accept(ctx, made[0].ID, "patient")
	require.NoError(t, err)
	c.Advance(time.Minute)
	evs, err = eng.Cancel("clinic-1", "b")
	require.NoError(t, err)
	require.NoError(t, l.Add(ctx, entry("c", 3, P3, 3), "clerk"))
	fs.fail = func(b Batch) bool { return hasKind(b, OfferMade) }
	offers, err = l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	assert.Empty(t, offers)
	fs.fail = nil
	made, err = l.ExpireDue(ctx)
	require.NoError(t, err)
	require.Len(t, made, 1)
	assert.Equal(t, "c", made[0].EntryID)

	// The same release event again (a retry after a lost answer) is the
	// same place: no second round of offers.
	again, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	assert.Empty(t, again)
	open, _ := fs.OpenOffers(ctx, "")
	assert.Len(t, open, 1)
}

func TestAcceptOnAnotherInstanceKeepsTheBooking(t *testing.T) {
	c := &clock{now: t0}
	slot := booking.Slot{ID: "clinic-1", Service: "cardiology", Start: t0.AddDate(0, 0, 2), End: t0.AddDate(0, 0, 2).Add(30 * time.Minute)}
	st := NewMemoryStore()
	var lists []*List
	var engines []*booking.Engine
	for range 2 {
		eng := booking.NewEngine([]booking.Slot{slot}, booking.WithClock(c.Now))
		_, err := eng.Book("clinic-1", "someone-else", "")
		require.NoError(t, err)
		l, err := New(Config{Store: st, Engine: eng, Now: c.Now})
		require.NoError(t, err)
		lists, engines = append(lists, l), append(engines, eng)
	}
	ctx := context.Background()
	require.NoError(t, lists[0].Add(ctx, entry("a", 1, P2, 30), "clerk"))
	evs, err := engines[0].Cancel("clinic-1", "someone-else")
	require.NoError(t, err)
	offers, err := lists[0].OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	require.Len(t, offers, 1)
	bev, err := lists[1].Accept(ctx, offers[0].ID, "patient")
	require.NoError(t, err)
	assert.Equal(t, "a", bev.RequestID)
	e, _ := st.Entry(ctx, "a")
	assert.Equal(t, Booked, e.Status)
	p, _ := st.Place(ctx, offers[0].PlaceID)
	assert.Equal(t, PlaceBooked, p.Status)
	assert.Equal(t, "a", p.EntryID)
	o, _ := st.Offer(ctx, offers[0].ID)
	assert.Equal(t, OfferAccepted, o.Status, "the accept stands: nothing is undone")
}

func TestEntryLogValueMasks(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	e := entry("e1", 1, P2, 3)
	e.Contact.Email = "patient@example.org"
	log.Info("entry", "entry", e, "value", *e)
	out := buf.String()
	assert.NotContains(t, out, string(e.NHSNumber))
	assert.NotContains(t, out, e.Contact.SMS)
	assert.NotContains(t, out, e.Contact.Email)
	assert.Contains(t, out, e.NHSNumber.Masked())
	assert.Contains(t, out, `"id":"e1"`)
}

// checkInvariants asserts what must hold of a store at rest: each entry
// at most one booking and Offered exactly when it has one open offer;
// each place at most one accepted offer, and booked (with its entry
// booked on its slot), on offer, or unfilled with a reason; and the log
// replays to the same state.
func checkInvariants(t *testing.T, st *MemoryStore) {
	t.Helper()
	ctx := context.Background()
	st.mu.Lock()
	entries := map[string]*Entry{}
	for id, e := range st.entries {
		entries[id] = cloneEntry(e)
	}
	offers := map[string]*Offer{}
	for id, o := range st.offers {
		offers[id] = cloneOffer(o)
	}
	places := map[string]*Place{}
	for id, p := range st.places {
		places[id] = clonePlace(p)
	}
	st.mu.Unlock()
	open, accepted := map[string]int{}, map[string]int{}
	placeAccepted, placeOpen := map[string]int{}, map[string]int{}
	for _, o := range offers {
		switch o.Status {
		case OfferOpen:
			open[o.EntryID]++
			placeOpen[o.PlaceID]++
		case OfferAccepted:
			accepted[o.EntryID]++
			placeAccepted[o.PlaceID]++
		}
	}
	for id, e := range entries {
		assert.LessOrEqual(t, accepted[id], 1, "entry %s booked %d times", id, accepted[id])
		assert.LessOrEqual(t, open[id], 1, "entry %s has %d open offers", id, open[id])
		assert.Equal(t, e.Status == Offered, open[id] == 1, "entry %s is %s with %d open offers", id, e.Status, open[id])
		if accepted[id] == 1 { // booked, or booked and then taken off the list
			assert.Contains(t, []Status{Booked, Removed}, e.Status, "entry %s", id)
		}
	}
	for id, p := range places {
		assert.LessOrEqual(t, placeAccepted[id], 1, "place %s accepted %d times", id, placeAccepted[id])
		switch p.Status {
		case PlaceBooked:
			assert.Equal(t, 1, placeAccepted[id], "booked place %s", id)
			assert.Equal(t, p.Slot.ID, entries[p.EntryID].BookedSlot, "place %s", id)
		case PlaceOffering:
			assert.Positive(t, placeOpen[id], "place %s on offer without an open offer", id)
		case PlaceUnfilled:
			assert.NotEmpty(t, p.Reason, "place %s unfilled without a reason", id)
			assert.Zero(t, placeOpen[id]+placeAccepted[id], "unfilled place %s", id)
		default:
			t.Errorf("place %s left %s", id, p.Status)
		}
	}
	log, err := st.Events(ctx, 0)
	require.NoError(t, err)
	re, err := Replay(log)
	require.NoError(t, err)
	for id, e := range entries {
		got, err := re.Entry(ctx, id)
		if assert.NoError(t, err) {
			assert.Empty(t, cmp.Diff(e, got), "entry %s replays differently", id)
		}
	}
	for id, o := range offers {
		got, err := re.Offer(ctx, id)
		if assert.NoError(t, err) {
			assert.Empty(t, cmp.Diff(o, got), "offer %s", id)
		}
	}
	for id, p := range places {
		got, err := re.Place(ctx, id)
		if assert.NoError(t, err) {
			assert.Empty(t, cmp.Diff(p, got), "place %s", id)
		}
	}
}

// TestStressInstances runs N lists, each with its own engine as separate
// processes would have, over one store: workers release places on their
// own engine and accept, decline, remove and expire on any instance, with
// failures injected into commits; at rest the invariants hold.
func TestStressInstances(t *testing.T) {
	const instances, workers, slots, entries = 4, 8, 40, 120
	c := &clock{now: t0}
	var all []booking.Slot
	for j := range slots {
		start := t0.Add(time.Duration(2+j%20)*time.Hour).AddDate(0, 0, j%3)
		all = append(all, booking.Slot{ID: fmt.Sprint("s", j), Service: "cardiology", Start: start, End: start.Add(20 * time.Minute)})
	}
	mem := NewMemoryStore()
	rng := rand.New(rand.NewPCG(1, 2))
	var rngMu sync.Mutex
	fs := &failingStore{Store: mem, fail: func(Batch) bool {
		rngMu.Lock()
		defer rngMu.Unlock()
		return rng.IntN(20) == 0 // one commit in 20 fails
	}}
	var lists []*List
	var engines []*booking.Engine
	for range instances {
		eng := booking.NewEngine(all, booking.WithClock(c.Now))
		for _, s := range all {
			_, err := eng.Book(s.ID, "seed", "")
			require.NoError(t, err)
		}
		l, err := New(Config{Store: fs, Engine: eng, Now: c.Now, OffersAtOnce: 2, OfferTTL: 30 * time.Minute})
		require.NoError(t, err)
		lists, engines = append(lists, l), append(engines, eng)
	}
	ctx := context.Background()
	for i := range entries {
		e := entry(fmt.Sprint("e", i), i, Priority(1+i%6), i%200)
		for lists[0].Add(ctx, e, "clerk") != nil {
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for range 150 {
				k := r.IntN(instances)
				l := lists[k]
				switch op := r.IntN(10); {
				case op < 2: // release a slot this instance owns
					j := k + instances*r.IntN(slots/instances)
					if evs, err := engines[k].Cancel(all[j].ID, "seed"); err == nil {
						_, _ = l.OnSlotReleased(ctx, evs[1])
					}
				case op < 7:
					open, _ := mem.OpenOffers(ctx, "")
					if len(open) == 0 {
						continue
					}
					o := open[r.IntN(len(open))]
					if r.IntN(3) > 0 {
						_, _ = l.Accept(ctx, o.ID, "patient")
					} else {
						_, _ = l.Decline(ctx, o.ID, "patient")
					}
				case op < 8:
					_ = l.Remove(ctx, fmt.Sprint("e", r.IntN(entries)), "no longer needed", "clerk")
				case op < 9:
					c.Advance(7 * time.Minute)
				default:
					_, _ = l.ExpireDue(ctx)
				}
			}
		}()
	}
	wg.Wait()
	// Drain: no more injected failures; expire and cascade until nothing is
	// pending or open.
	fs.mu.Lock()
	fs.fail = nil
	fs.mu.Unlock()
	for range 200 {
		c.Advance(31 * time.Minute)
		_, err := lists[0].ExpireDue(ctx)
		require.NoError(t, err)
		pending, _ := mem.Places(ctx, PlacePending)
		open, _ := mem.OpenOffers(ctx, "")
		if len(pending) == 0 && len(open) == 0 {
			break
		}
	}
	checkInvariants(t, mem)
	ps := map[PlaceStatus]int{}
	for _, s := range []PlaceStatus{PlacePending, PlaceOffering, PlaceBooked, PlaceUnfilled} {
		got, _ := mem.Places(ctx, s)
		ps[s] = len(got)
	}
	t.Logf("places: %v", ps)
	assert.Positive(t, ps[PlaceBooked], "the run booked nothing: it tested nothing")
	assert.Zero(t, ps[PlacePending])
}

func TestLogValueHasNoContact(t *testing.T) {
	e := entry("e1", 1, P2, 3)
	v := e.LogValue().Resolve().String()
	assert.False(t, strings.Contains(v, string(e.NHSNumber)))
}

func TestConsumeReleasesAcrossInstances(t *testing.T) {
	c := &clock{now: t0}
	ledger := booking.NewMemoryLedger(c.Now)
	ctx := context.Background()
	var slots []booking.Slot
	for i := range 6 {
		start := t0.AddDate(0, 0, 2).Add(time.Duration(i) * time.Hour)
		slots = append(slots, booking.Slot{ID: fmt.Sprint("s", i), Service: "cardiology", Start: start, End: start.Add(20 * time.Minute)})
	}
	_, err := ledger.AddSlots(ctx, slots...)
	require.NoError(t, err)
	var ids []string
	for _, s := range slots {
		b, _, err := ledger.Book(ctx, booking.BookInput{SlotID: s.ID, RequestID: "seed"})
		require.NoError(t, err)
		ids = append(ids, b.ID)
	}
	st := NewMemoryStore()
	var lists []*List
	for range 3 {
		l, err := New(Config{Store: st, Ledger: ledger, Now: c.Now})
		require.NoError(t, err)
		lists = append(lists, l)
	}
	for i := range 10 {
		require.NoError(t, lists[0].Add(ctx, entry(fmt.Sprint("e", i), i, P3, 10+i), "clerk"))
	}
	for _, id := range ids {
		_, _, err := ledger.Cancel(ctx, booking.CancelInput{BookingID: id})
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for _, l := range lists {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				_, err := l.ConsumeReleases(ctx, "waitlist", 4)
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	open, err := st.OpenOffers(ctx, "")
	require.NoError(t, err)
	assert.Len(t, open, 6, "one offer per released place, however many instances consumed")
	snap, err := ledger.Snapshot(ctx)
	require.NoError(t, err)
	held := 0
	for _, u := range snap.Usage {
		held += len(u.Holds)
		assert.Empty(t, u.Booked)
	}
	assert.Equal(t, 6, held, "one hold per place")
	for _, o := range open {
		_, err := lists[len(o.ID)%3].Accept(ctx, o.ID, "patient")
		require.NoError(t, err)
	}
	checkInvariants(t, st)
	snap, _ = ledger.Snapshot(ctx)
	booked := 0
	for _, u := range snap.Usage {
		booked += len(u.Booked)
		assert.Empty(t, u.Holds)
	}
	assert.Equal(t, 6, booked)
}
