package waitlist

import (
	"context"
	"errors"
	"fmt"

	"github.com/nhskit/nhskit/booking"
)

// WithdrawSlot withdraws every open offer of a slot its owner has taken
// back (a trust's PAS booked the place itself, or blocked the slot): the
// offers are withdrawn, their entries wait again, their places are
// unfilled with the reason, all in one commit, and then the holds are let
// go so the owner's booking can take the place. It returns how many
// offers it withdrew.
func (l *List) WithdrawSlot(ctx context.Context, slotID, actor, reason string) (int, error) {
	for attempt := 0; ; attempt++ {
		n, holds, err := l.withdrawSlot(ctx, slotID, actor, reason)
		if errors.Is(err, ErrConflict) && attempt < retries {
			continue
		}
		if err != nil {
			return 0, err
		}
		for h := range holds {
			l.b.release(ctx, h)
		}
		return n, nil
	}
}

func (l *List) withdrawSlot(ctx context.Context, slotID, actor, reason string) (int, map[string]bool, error) {
	open, err := l.cfg.Store.OpenOffers(ctx, slotID)
	if err != nil || len(open) == 0 {
		return 0, nil, err
	}
	now := l.cfg.Now()
	var b Batch
	holds := map[string]bool{}
	places := map[string]*Place{}
	for _, o := range open {
		e, err := l.cfg.Store.Entry(ctx, o.EntryID)
		if err != nil {
			return 0, nil, err
		}
		o.Status = OfferWithdrawn
		if e.Status == Offered {
			e.Status = Waiting
		}
		var p *Place
		if o.PlaceID != "" {
			if p = places[o.PlaceID]; p == nil {
				if p, err = l.cfg.Store.Place(ctx, o.PlaceID); err != nil {
					return 0, nil, err
				}
				places[p.ID] = p
				if p.Status == PlaceOffering || p.Status == PlacePending {
					p.Status, p.Reason = PlaceUnfilled, reason
					b.Places = append(b.Places, p)
					b.Events = append(b.Events, Event{At: now, Actor: actor, Kind: SlotNotOffered, Reason: reason, Place: p, SlotID: slotID})
				}
			}
		}
		if o.HoldID != "" {
			holds[o.HoldID] = true
		}
		b.Offers = append(b.Offers, o)
		b.Entries = append(b.Entries, e)
		b.Events = append(b.Events, Event{At: now, Actor: actor, Kind: OfferWithdraw, Reason: reason, Entry: e, Offer: o, Place: p, SlotID: slotID})
	}
	if err := l.cfg.Store.Commit(ctx, b); err != nil {
		return 0, nil, err
	}
	for _, o := range open {
		if e, err := l.cfg.Store.Entry(ctx, o.EntryID); err == nil {
			l.notify(ctx, OfferWithdraw, e, o, o.Expires)
		}
	}
	return len(open), holds, nil
}

// lostPlace reports whether a ledger's refusal to book an accepted place
// is final: the slot is full or gone (its owner took it back), so
// retrying cannot help.
func lostPlace(err error) bool {
	return errors.Is(err, booking.ErrNoCapacity) || errors.Is(err, booking.ErrUnknownSlot)
}

// lose undoes an accept whose place the ledger will never book: the
// offer is withdrawn, the entry waits again (keeping its place in the
// ranking), and the place is unfilled with the reason, in one commit.
func (l *List) lose(ctx context.Context, p *Place, o *Offer, cause error) error {
	for attempt := 0; ; attempt++ {
		now := l.cfg.Now()
		cur, err := l.cfg.Store.Offer(ctx, o.ID)
		if err != nil {
			return err
		}
		e, err := l.cfg.Store.Entry(ctx, o.EntryID)
		if err != nil {
			return err
		}
		if cur.Status != OfferAccepted || e.Status != Booked || e.BookedSlot != o.SlotID {
			return nil // undone already
		}
		reason := "the place was taken before the booking was confirmed: " + cause.Error()
		cur.Status = OfferWithdrawn
		e.Status, e.BookedSlot = Waiting, ""
		b := Batch{Entries: []*Entry{e}, Offers: []*Offer{cur}}
		b.Events = append(b.Events, Event{At: now, Actor: l.cfg.Actor, Kind: OfferWithdraw, Reason: reason, Entry: e, Offer: cur, Place: p, SlotID: o.SlotID})
		if p != nil {
			cp, err := l.cfg.Store.Place(ctx, p.ID)
			if err != nil {
				return err
			}
			cp.Status, cp.Reason = PlaceUnfilled, reason
			b.Places = []*Place{cp}
			b.Events = append(b.Events, Event{At: now, Actor: l.cfg.Actor, Kind: SlotNotOffered, Reason: reason, Place: cp, SlotID: o.SlotID})
		}
		err = l.cfg.Store.Commit(ctx, b)
		if errors.Is(err, ErrConflict) && attempt < retries {
			continue
		}
		if err == nil {
			l.notify(ctx, OfferWithdraw, e, cur, o.Expires)
		}
		return err
	}
}

// errLost is wrapped when an accepted place could not be booked because
// its owner took it back.
var errLost = fmt.Errorf("%w: the place was taken back by the slot's owner", ErrNotOpen)
