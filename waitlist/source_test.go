package waitlist

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
)

// ledgerSetup is a list over a shared ledger with one clinic slot booked
// by a PAS patient and two entries waiting.
func ledgerSetup(t *testing.T) (*List, booking.Ledger, *MemoryStore, booking.Booking) {
	t.Helper()
	ctx := context.Background()
	c := &clock{now: t0}
	ledger := booking.NewMemoryLedger(c.Now)
	slot := booking.Slot{ID: "clinic-1", Service: "cardiology", Start: t0.AddDate(0, 0, 2), End: t0.AddDate(0, 0, 2).Add(30 * time.Minute)}
	_, err := ledger.AddSlots(ctx, slot)
	require.NoError(t, err)
	bk, _, err := ledger.Book(ctx, booking.BookInput{SlotID: "clinic-1", RequestID: "pas-patient"})
	require.NoError(t, err)
	st := NewMemoryStore()
	l, err := New(Config{Store: st, Ledger: ledger, Now: c.Now})
	require.NoError(t, err)
	require.NoError(t, l.Add(ctx, entry("e1", 1, P2, 30), "test"))
	require.NoError(t, l.Add(ctx, entry("e2", 2, P4, 10), "test"))
	return l, ledger, st, bk
}

func release(t *testing.T, l *List, ledger booking.Ledger, bk booking.Booking) []*Offer {
	t.Helper()
	_, evs, err := ledger.Cancel(context.Background(), booking.CancelInput{BookingID: bk.ID})
	require.NoError(t, err)
	offers, err := l.OnSlotReleased(context.Background(), evs[1])
	require.NoError(t, err)
	require.Len(t, offers, 1)
	return offers
}

func TestWithdrawSlotGivesThePlaceBack(t *testing.T) {
	ctx := context.Background()
	l, ledger, st, bk := ledgerSetup(t)
	offers := release(t, l, ledger, bk)
	// The PAS books the place itself: the ledger is full while the offer
	// holds it, so the offer is withdrawn first.
	_, _, err := ledger.Book(ctx, booking.BookInput{SlotID: "clinic-1", RequestID: "pas-patient-2"})
	require.ErrorIs(t, err, booking.ErrNoCapacity)
	n, err := l.WithdrawSlot(ctx, "clinic-1", "pas", "the trust booked the slot")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, _, err = ledger.Book(ctx, booking.BookInput{SlotID: "clinic-1", RequestID: "pas-patient-2"})
	require.NoError(t, err, "the hold was let go")

	o, err := st.Offer(ctx, offers[0].ID)
	require.NoError(t, err)
	assert.Equal(t, OfferWithdrawn, o.Status)
	e, err := st.Entry(ctx, o.EntryID)
	require.NoError(t, err)
	assert.Equal(t, Waiting, e.Status)
	p, err := st.Place(ctx, o.PlaceID)
	require.NoError(t, err)
	assert.Equal(t, PlaceUnfilled, p.Status)
	_, err = l.Accept(ctx, o.ID, "patient")
	assert.ErrorIs(t, err, ErrNotOpen)
	n, err = l.WithdrawSlot(ctx, "clinic-1", "pas", "again")
	require.NoError(t, err)
	assert.Zero(t, n, "nothing open any more")
	_, err = Replay(mustEvents(t, st))
	require.NoError(t, err, "the log still replays")
}

// An accept whose place the PAS took (its hold lapsed and the PAS booked)
// is undone once, not retried for ever.
func TestAcceptOfAPlaceTakenBackIsUndone(t *testing.T) {
	ctx := context.Background()
	l, ledger, st, bk := ledgerSetup(t)
	offers := release(t, l, ledger, bk)
	// The hold goes (as when it lapses) and the PAS books the place.
	_, err := ledger.ReleaseHold(ctx, offers[0].HoldID)
	require.NoError(t, err)
	_, _, err = ledger.Book(ctx, booking.BookInput{SlotID: "clinic-1", RequestID: "pas-patient-2"})
	require.NoError(t, err)

	_, err = l.Accept(ctx, offers[0].ID, "patient")
	require.ErrorIs(t, err, ErrNotOpen)
	require.ErrorIs(t, err, booking.ErrNoCapacity)
	e, err := st.Entry(ctx, offers[0].EntryID)
	require.NoError(t, err)
	assert.Equal(t, Waiting, e.Status)
	assert.Empty(t, e.BookedSlot)
	p, err := st.Place(ctx, offers[0].PlaceID)
	require.NoError(t, err)
	assert.Equal(t, PlaceUnfilled, p.Status)
	booking, err := st.Places(ctx, PlaceBooking)
	require.NoError(t, err)
	assert.Empty(t, booking, "nothing left for RunPending to retry")
	_, err = l.RunPending(ctx)
	assert.NoError(t, err)
}

func mustEvents(t *testing.T, st *MemoryStore) []Event {
	t.Helper()
	evs, err := st.Events(context.Background(), 0)
	require.NoError(t, err)
	if len(evs) == 0 {
		t.Fatal(errors.New("no events"))
	}
	return evs
}
