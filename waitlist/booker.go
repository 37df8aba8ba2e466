package waitlist

import (
	"context"
	"errors"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// booker is where places are held and booked: the shared ledger when the
// List has one, else its own engine.
type booker interface {
	hold(ctx context.Context, slotID string, ttl time.Duration, key string) (string, error)
	release(ctx context.Context, holdID string)
	// book books entryID on the slot, with the hold if it is still live
	// and without it otherwise; key makes it idempotent. It returns the
	// booking event and, from a ledger, the booking id.
	book(ctx context.Context, slotID, entryID, holdID, key string) (booking.Event, error)
	slot(slotID string) (booking.Slot, bool)
}

type engineBooker struct{ e *booking.Engine }

func (b engineBooker) hold(_ context.Context, slotID string, ttl time.Duration, _ string) (string, error) {
	id, _, err := b.e.Hold(slotID, ttl)
	return id, err
}

func (b engineBooker) release(_ context.Context, holdID string) { _, _ = b.e.ReleaseHold(holdID) }

func (b engineBooker) book(_ context.Context, slotID, entryID, holdID, _ string) (booking.Event, error) {
	ev, err := b.e.Book(slotID, entryID, holdID)
	if err != nil && holdID != "" {
		ev, err = b.e.Book(slotID, entryID, "")
	}
	if errors.Is(err, booking.ErrAlreadyBooked) {
		return booking.Event{Kind: booking.Booked, SlotID: slotID, RequestID: entryID}, nil
	}
	return ev, err
}

func (b engineBooker) slot(slotID string) (booking.Slot, bool) { return b.e.Slot(slotID) }

type ledgerBooker struct {
	l     booking.Ledger
	actor string
}

func (b ledgerBooker) hold(ctx context.Context, slotID string, ttl time.Duration, key string) (string, error) {
	h, _, err := b.l.Hold(ctx, booking.HoldInput{SlotID: slotID, TTL: ttl, Key: key, Actor: b.actor, Reason: "waiting-list offer"})
	return h.ID, err
}

func (b ledgerBooker) release(ctx context.Context, holdID string) {
	_, _ = b.l.ReleaseHold(ctx, holdID)
}

func (b ledgerBooker) book(ctx context.Context, slotID, entryID, holdID, key string) (booking.Event, error) {
	in := booking.BookInput{SlotID: slotID, RequestID: entryID, HoldID: holdID, Key: key, Actor: b.actor, Reason: "waiting-list offer accepted"}
	bk, evs, err := b.l.Book(ctx, in)
	if errors.Is(err, booking.ErrHoldExpired) && holdID != "" {
		in.HoldID = ""
		bk, evs, err = b.l.Book(ctx, in)
	}
	if err != nil {
		return booking.Event{}, err
	}
	for _, ev := range evs {
		if ev.Kind == booking.Booked {
			return ev, nil
		}
	}
	// A retried Book with the same key: the first booking, no events.
	return booking.Event{Kind: booking.Booked, SlotID: bk.SlotID, RequestID: bk.RequestID, BookingID: bk.ID, At: bk.Created}, nil
}

func (b ledgerBooker) slot(string) (booking.Slot, bool) { return booking.Slot{}, false }
