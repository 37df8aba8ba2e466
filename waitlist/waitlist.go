package waitlist

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// Notification is what a Notifier delivers. It carries no name and only a
// masked NHS number; the receiving service looks the patient up itself.
type Notification struct {
	EventID   string // unique per delivery, for de-duplication
	Kind      EventKind
	EntryID   string
	NHSMasked string
	Contact   Contact
	SlotID    string
	SlotStart time.Time
	Expires   time.Time
}

// Notifier delivers notifications (SMS, email, NHS App push) on the
// caller's channels. Errors are logged and do not undo the offer: the
// offer expires if the patient never hears of it, and the next is offered.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Config configures a List.
type Config struct {
	Store  Store
	Engine *booking.Engine
	// OfferTTL is how long a patient has to answer (default 2 hours).
	OfferTTL time.Duration
	// OffersAtOnce is how many patients are offered one released place at
	// the same time; the first to accept gets it (default 1).
	OffersAtOnce int
	Weights      Weights
	Notifier     Notifier
	Logger       *slog.Logger
	// Now is the clock (default time.Now): expiry and reminders follow it.
	Now func() time.Time
	// Actor names this service in the audit log (default "waitlist").
	Actor string
}

// List runs a waiting list: it ranks entries, offers released slots, and
// books accepted offers through the booking engine.
type List struct {
	cfg Config
	seq atomic.Uint64
}

// New returns a List.
func New(cfg Config) (*List, error) {
	if cfg.Store == nil || cfg.Engine == nil {
		return nil, errors.New("waitlist: a store and a booking engine are required")
	}
	if cfg.OfferTTL <= 0 {
		cfg.OfferTTL = 2 * time.Hour
	}
	if cfg.OffersAtOnce <= 0 {
		cfg.OffersAtOnce = 1
	}
	if cfg.Weights == (Weights{}) {
		cfg.Weights = DefaultWeights
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Actor == "" {
		cfg.Actor = "waitlist"
	}
	return &List{cfg: cfg}, nil
}

func (l *List) id(prefix string) string {
	return prefix + "-" + strconv.FormatInt(l.cfg.Now().UnixNano(), 36) + "-" + strconv.FormatUint(l.seq.Add(1), 36)
}

// Add puts an entry on the list.
func (l *List) Add(ctx context.Context, e *Entry, actor string) error {
	if e.ID == "" || e.Service == "" {
		return fmt.Errorf("waitlist: an entry needs an id and a service")
	}
	if !e.NHSNumber.Valid() {
		return fmt.Errorf("waitlist: entry %s: nhs number fails the modulus 11 check", e.ID)
	}
	if e.Status == "" {
		e.Status = Waiting
	}
	e.Version = 0
	return l.cfg.Store.Commit(ctx, []*Entry{e}, nil, []Event{{At: l.cfg.Now(), Actor: actor, Kind: EntryAdded, Entry: e}})
}

// Remove takes an entry off the list with a reason.
func (l *List) Remove(ctx context.Context, entryID, reason, actor string) error {
	e, err := l.cfg.Store.Entry(ctx, entryID)
	if err != nil {
		return err
	}
	e.Status, e.RemovedReason = Removed, reason
	return l.cfg.Store.Commit(ctx, []*Entry{e}, nil, []Event{{At: l.cfg.Now(), Actor: actor, Kind: EntryRemoved, Reason: reason, Entry: e}})
}

// Ranked returns the waiting entries of a service, best first, with
// their scores.
func (l *List) Ranked(ctx context.Context, service string) ([]*Entry, []Score, error) {
	entries, err := l.cfg.Store.Waiting(ctx, service)
	if err != nil {
		return nil, nil, err
	}
	now := l.cfg.Now()
	scores := make(map[string]Score, len(entries))
	for _, e := range entries {
		scores[e.ID] = ScoreAt(e, now, l.cfg.Weights)
	}
	sort.Slice(entries, func(i, j int) bool {
		return before(entries[i], entries[j], scores[entries[i].ID], scores[entries[j].ID])
	})
	out := make([]Score, len(entries))
	for i, e := range entries {
		out[i] = scores[e.ID]
	}
	return entries, out, nil
}

// fits reports whether the entry's booking preferences accept the slot:
// every hard constraint of the booking engine is applied to it alone.
func fits(e *Entry, slot booking.Slot, now time.Time) bool {
	eng := booking.NewEngine([]booking.Slot{slot})
	return len(eng.Match(e.request(now.Add(-time.Minute)), 1)) > 0
}

// OnSlotReleased offers a released place to the best-ranked waiting
// entries that can take it (OffersAtOnce of them), holding the place in
// the engine until the offers expire. Feed it the SlotReleased events the
// booking engine returns.
func (l *List) OnSlotReleased(ctx context.Context, ev booking.Event) ([]*Offer, error) {
	if ev.Kind != booking.SlotReleased {
		return nil, nil
	}
	return l.offer(ctx, ev.Slot, nil, "slot released")
}

func (l *List) offer(ctx context.Context, slot booking.Slot, skip map[string]bool, why string) ([]*Offer, error) {
	now := l.cfg.Now()
	if !slot.Start.After(now) {
		return nil, nil
	}
	// Score every waiting entry keeping only the best few, then take them
	// in order until enough fit the slot. If too few of those fit, widen
	// the net (eventually to everyone) rather than give up.
	tried := map[string]bool{}
	var chosen []*Entry
	for keep := 4*l.cfg.OffersAtOnce + 12; len(chosen) < l.cfg.OffersAtOnce; keep *= 8 {
		best, total, err := l.best(ctx, slot.Service, now, keep, func(id string) bool { return skip[id] || tried[id] })
		if err != nil {
			return nil, err
		}
		for _, r := range best {
			if len(chosen) == l.cfg.OffersAtOnce {
				break
			}
			tried[r.e.ID] = true
			if !fits(r.e, slot, now) {
				continue
			}
			// Work on the stored copy: the ranking may have read a shared one.
			e, err := l.cfg.Store.Entry(ctx, r.e.ID)
			if err != nil {
				return nil, err
			}
			chosen = append(chosen, e)
		}
		if total <= keep {
			break // everyone has been considered
		}
	}
	if len(chosen) == 0 {
		_ = l.cfg.Store.Commit(ctx, nil, nil, []Event{{At: now, Actor: l.cfg.Actor, Kind: SlotNotOffered, SlotID: slot.ID, Reason: "no waiting entry fits"}})
		return nil, ErrNoEntries
	}
	expires := now.Add(l.cfg.OfferTTL)
	if latest := slot.Start.Add(-time.Hour); expires.After(latest) {
		expires = latest // the patient must know an hour before
	}
	holdID, _, err := l.cfg.Engine.Hold(slot.ID, expires.Sub(now))
	if err != nil {
		return nil, fmt.Errorf("waitlist: holding slot %s: %w", slot.ID, err)
	}
	var offers []*Offer
	var events []Event
	for _, e := range chosen {
		o := &Offer{ID: l.id("offer"), EntryID: e.ID, SlotID: slot.ID, HoldID: holdID, Made: now, Expires: expires, Status: OfferOpen}
		e.Status = Offered
		offers = append(offers, o)
		events = append(events, Event{At: now, Actor: l.cfg.Actor, Kind: OfferMade, Reason: why, Entry: e, Offer: o, SlotID: slot.ID})
	}
	if err := l.cfg.Store.Commit(ctx, chosen, offers, events); err != nil {
		_, _ = l.cfg.Engine.ReleaseHold(holdID)
		return nil, err
	}
	for i, o := range offers {
		l.notify(ctx, OfferMade, chosen[i], o, slot.Start)
	}
	return offers, nil
}

func (l *List) notify(ctx context.Context, kind EventKind, e *Entry, o *Offer, start time.Time) {
	if l.cfg.Notifier == nil || !e.Contact.Consent {
		return
	}
	n := Notification{EventID: o.ID + "/" + string(kind), Kind: kind, EntryID: e.ID, NHSMasked: e.NHSNumber.Masked(),
		Contact: e.Contact, SlotID: o.SlotID, SlotStart: start, Expires: o.Expires}
	if err := l.cfg.Notifier.Notify(ctx, n); err != nil {
		l.cfg.Logger.Warn("waitlist notification failed", "entry", e.ID, "offer", o.ID, "error", err.Error())
	}
}

// best returns up to keep of the highest-ranked waiting entries of a
// service (not excluded), best first, and how many were candidates.
func (l *List) best(ctx context.Context, service string, now time.Time, keep int, excluded func(string) bool) ([]ranked1, int, error) {
	var h rankHeap // a min-heap on rank: the worst kept is on top
	total := 0
	add := func(e *Entry) {
		if excluded(e.ID) {
			return
		}
		total++
		r := ranked1{e: e, s: ScoreAt(e, now, l.cfg.Weights)}
		if len(h) < keep {
			heap.Push(&h, r)
		} else if before(r.e, h[0].e, r.s, h[0].s) {
			h[0] = r
			heap.Fix(&h, 0)
		}
	}
	if ms, ok := l.cfg.Store.(*MemoryStore); ok {
		// The compact rows: scored without touching the entries, which are
		// read only for the few that enter the heap.
		wts := l.cfg.Weights
		nowNs := now.UnixNano()
		ms.visitRows(service, func(row *rankRow) {
			if row.pauses {
				add(row.entry)
				return
			}
			sc := scoreRow(row, nowNs, wts)
			if len(h) == keep && sc.Total < h[0].s.Total {
				total++ // a candidate that cannot enter the top
				return
			}
			if excluded(row.entry.ID) {
				return
			}
			total++
			r := ranked1{e: row.entry, s: sc}
			if len(h) < keep {
				heap.Push(&h, r)
			} else if before(r.e, h[0].e, r.s, h[0].s) {
				h[0] = r
				heap.Fix(&h, 0)
			}
		})
	} else {
		entries, err := l.cfg.Store.Waiting(ctx, service)
		if err != nil {
			return nil, 0, err
		}
		for _, e := range entries {
			add(e)
		}
	}
	out := make([]ranked1, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(ranked1)
	}
	return out, total, nil
}

type ranked1 struct {
	e *Entry
	s Score
}

// rankHeap is a min-heap on rank: the worst-ranked entry is on top.
type rankHeap []ranked1

func (h rankHeap) Len() int           { return len(h) }
func (h rankHeap) Less(i, j int) bool { return before(h[j].e, h[i].e, h[j].s, h[i].s) }
func (h rankHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)        { *h = append(*h, x.(ranked1)) }
func (h *rankHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Accept books the offered slot for the offer's entry. It fails with
// ErrNotOpen if the offer expired, was declined or withdrawn, or another
// patient accepted the place first; the compare-and-set on versions means
// that of any number of concurrent accepts exactly one books.
func (l *List) Accept(ctx context.Context, offerID, actor string) (booking.Event, error) {
	now := l.cfg.Now()
	o, err := l.cfg.Store.Offer(ctx, offerID)
	if err != nil {
		return booking.Event{}, err
	}
	if o.Status != OfferOpen || !now.Before(o.Expires) {
		return booking.Event{}, fmt.Errorf("%w: offer %s is %s", ErrNotOpen, o.ID, o.Status)
	}
	e, err := l.cfg.Store.Entry(ctx, o.EntryID)
	if err != nil {
		return booking.Event{}, err
	}
	siblings, err := l.cfg.Store.OpenOffers(ctx, o.SlotID)
	if err != nil {
		return booking.Event{}, err
	}
	// Claim the place in the store first: the commit fails if any of the
	// offers on this slot changed since we read them.
	o.Status = OfferAccepted
	e.Status = Booked
	e.BookedSlot = o.SlotID
	offers := []*Offer{o}
	entries := []*Entry{e}
	events := []Event{{At: now, Actor: actor, Kind: OfferAccept, Entry: e, Offer: o, SlotID: o.SlotID}}
	for _, s := range siblings {
		if s.ID == o.ID || s.HoldID != o.HoldID {
			continue
		}
		s.Status = OfferWithdrawn
		offers = append(offers, s)
		other, err := l.cfg.Store.Entry(ctx, s.EntryID)
		if err != nil {
			return booking.Event{}, err
		}
		other.Status = Waiting
		entries = append(entries, other)
		events = append(events, Event{At: now, Actor: l.cfg.Actor, Kind: OfferWithdraw, Reason: "the place went to another patient", Entry: other, Offer: s, SlotID: s.SlotID})
	}
	if err := l.cfg.Store.Commit(ctx, entries, offers, events); err != nil {
		if errors.Is(err, ErrConflict) {
			return booking.Event{}, fmt.Errorf("%w: offer %s lost the race: %w", ErrNotOpen, offerID, err)
		}
		return booking.Event{}, err
	}
	bev, err := l.cfg.Engine.Book(o.SlotID, e.ID, o.HoldID)
	if err != nil {
		// The hold lapsed between the check and the booking: undo.
		e.Status, e.BookedSlot, o.Status = Waiting, "", OfferExpired
		_ = l.cfg.Store.Commit(ctx, []*Entry{e}, []*Offer{o}, []Event{{At: now, Actor: l.cfg.Actor, Kind: OfferExpire, Reason: "hold lapsed before booking", Entry: e, Offer: o, SlotID: o.SlotID}})
		return booking.Event{}, fmt.Errorf("%w: %w", ErrNotOpen, err)
	}
	_ = l.cfg.Store.Commit(ctx, nil, nil, []Event{{At: now, Actor: actor, Kind: SlotBooked, SlotID: o.SlotID, Reason: e.ID}})
	for _, s := range offers[1:] {
		if other, err := l.cfg.Store.Entry(ctx, s.EntryID); err == nil {
			l.notify(ctx, OfferWithdraw, other, s, bev.Slot.Start)
		}
	}
	return bev, nil
}

// Decline records the patient's no and offers the place to the next
// entry when no other offer on it is still open.
func (l *List) Decline(ctx context.Context, offerID, actor string) ([]*Offer, error) {
	return l.close(ctx, offerID, OfferDeclined, OfferDecline, actor, "declined by the patient")
}

func (l *List) close(ctx context.Context, offerID string, status OfferStatus, kind EventKind, actor, why string) ([]*Offer, error) {
	now := l.cfg.Now()
	o, err := l.cfg.Store.Offer(ctx, offerID)
	if err != nil {
		return nil, err
	}
	if o.Status != OfferOpen {
		return nil, fmt.Errorf("%w: offer %s is %s", ErrNotOpen, o.ID, o.Status)
	}
	e, err := l.cfg.Store.Entry(ctx, o.EntryID)
	if err != nil {
		return nil, err
	}
	o.Status = status
	e.Status = Waiting
	if err := l.cfg.Store.Commit(ctx, []*Entry{e}, []*Offer{o}, []Event{{At: now, Actor: actor, Kind: kind, Reason: why, Entry: e, Offer: o, SlotID: o.SlotID}}); err != nil {
		return nil, err
	}
	open, err := l.cfg.Store.OpenOffers(ctx, o.SlotID)
	if err != nil || len(open) > 0 {
		return nil, err // others may still accept
	}
	slot, ok := l.cfg.Engine.Slot(o.SlotID)
	if !ok {
		return nil, nil
	}
	_, _ = l.cfg.Engine.ReleaseHold(o.HoldID)
	// Cascade: everyone who already had this place offered is skipped.
	skip := map[string]bool{e.ID: true}
	past, err := l.cfg.Store.SlotOffers(ctx, o.SlotID)
	if err != nil {
		return nil, err
	}
	for _, p := range past {
		skip[p.EntryID] = true
	}
	next, err := l.offer(ctx, slot, skip, "cascade after "+string(status))
	if errors.Is(err, ErrNoEntries) {
		return nil, nil
	}
	return next, err
}

// ExpireDue expires the open offers whose time is up and cascades each
// released place; call it from a ticker.
func (l *List) ExpireDue(ctx context.Context) ([]*Offer, error) {
	now := l.cfg.Now()
	open, err := l.cfg.Store.OpenOffers(ctx, "")
	if err != nil {
		return nil, err
	}
	var made []*Offer
	for _, o := range open {
		if now.Before(o.Expires) {
			continue
		}
		next, err := l.close(ctx, o.ID, OfferExpired, OfferExpire, l.cfg.Actor, "no answer before expiry")
		if err != nil && !errors.Is(err, ErrNotOpen) && !errors.Is(err, ErrConflict) {
			return made, err
		}
		made = append(made, next...)
	}
	return made, nil
}
