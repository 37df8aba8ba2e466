package waitlist

import (
	"container/heap"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
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
	Store Store
	// Ledger, when set, is where places are held and booked: the ledger
	// every instance shares, so that instances with their own engines
	// never double-book. Without one the List holds and books on Engine.
	Ledger booking.Ledger
	Engine *booking.Engine
	// OfferTTL is how long a patient has to answer (default 2 hours).
	OfferTTL time.Duration
	// MinNotice is how long before a slot starts the patient must have
	// their answer in (default 1 hour): an offer never expires later, and
	// a place released closer to its start than this is not offered.
	MinNotice time.Duration
	// ReasonableNotice is the notice an offer must give to count as a
	// reasonable offer when declined (default 21 days; take it from the
	// trust's access policy). Declines of offers with less notice are
	// recorded as not reasonable; no decline moves the RTT clock.
	ReasonableNotice time.Duration
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

// List runs a waiting list: it ranks entries, offers released places, and
// books accepted offers. Any number of Lists, in one process or many, may
// share one Store: every decision is a compare-and-set commit, and the
// store's invariants hold whatever the interleaving.
type List struct {
	cfg Config
	b   booker
}

// retries bounds how often an operation re-reads and tries again after
// losing a compare-and-set to a concurrent writer.
const retries = 8

// New returns a List.
func New(cfg Config) (*List, error) {
	if cfg.Store == nil || (cfg.Engine == nil && cfg.Ledger == nil) {
		return nil, errors.New("waitlist: a store, and a booking ledger or engine, are required")
	}
	if cfg.OfferTTL <= 0 {
		cfg.OfferTTL = 2 * time.Hour
	}
	if cfg.MinNotice <= 0 {
		cfg.MinNotice = time.Hour
	}
	if cfg.OffersAtOnce <= 0 {
		cfg.OffersAtOnce = 1
	}
	if cfg.ReasonableNotice <= 0 {
		cfg.ReasonableNotice = 21 * 24 * time.Hour
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
	l := &List{cfg: cfg}
	if cfg.Ledger != nil {
		l.b = ledgerBooker{l: cfg.Ledger, actor: cfg.Actor}
	} else {
		l.b = engineBooker{e: cfg.Engine}
	}
	return l, nil
}

// id returns a random id: unique across instances without coordination
// (128 random bits).
func (l *List) id(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Add puts an entry on the list.
func (l *List) Add(ctx context.Context, e *Entry, actor string) error {
	if e.ID == "" || e.Service == "" {
		return fmt.Errorf("waitlist: an entry needs an id and a service")
	}
	if !e.NHSNumber.Valid() {
		return fmt.Errorf("waitlist: entry %s: nhs number fails the modulus 11 check", e.ID)
	}
	if !e.Priority.valid() {
		return fmt.Errorf("waitlist: entry %s: priority %d is not one of P1a–P4, urgent, routine", e.ID, e.Priority)
	}
	if err := e.ValidateClock(); err != nil {
		return fmt.Errorf("entry %s: %w", e.ID, err)
	}
	if e.Status == "" {
		e.Status = Waiting
	}
	if e.Status == Offered {
		return fmt.Errorf("waitlist: entry %s: a new entry cannot be on offer", e.ID)
	}
	e.Version = 0
	return l.cfg.Store.Commit(ctx, Batch{Entries: []*Entry{e}, Events: []Event{{At: l.cfg.Now(), Actor: actor, Kind: EntryAdded, Entry: e}}})
}

// Remove takes an entry off the list with a reason. An open offer the
// entry holds is withdrawn in the same commit and its place offered to
// the next patient.
func (l *List) Remove(ctx context.Context, entryID, reason, actor string) error {
	var place *Place
	for attempt := 0; ; attempt++ {
		p, err := l.remove(ctx, entryID, reason, actor)
		if errors.Is(err, ErrConflict) && attempt < retries {
			continue
		}
		if err != nil {
			return err
		}
		place = p
		break
	}
	if place != nil {
		l.cascade(ctx, place)
	}
	return nil
}

func (l *List) remove(ctx context.Context, entryID, reason, actor string) (*Place, error) {
	now := l.cfg.Now()
	e, err := l.cfg.Store.Entry(ctx, entryID)
	if err != nil {
		return nil, err
	}
	if e.Status == Removed {
		return nil, nil
	}
	b := Batch{Entries: []*Entry{e}}
	var pending *Place
	if e.Status == Offered {
		o, p, last, err := l.openOfferOf(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		if o != nil {
			o.Status = OfferWithdrawn
			b.Offers = append(b.Offers, o)
			b.Events = append(b.Events, Event{At: now, Actor: actor, Kind: OfferWithdraw, Reason: "the patient left the list", Offer: o, SlotID: o.SlotID})
			if p != nil {
				if last {
					p.Status = PlacePending
					pending = p
				}
				b.Places = append(b.Places, p) // written even unchanged: concurrent closes serialise on its version
			}
		}
	}
	e.Status, e.RemovedReason = Removed, reason
	b.Events = append(b.Events, Event{At: now, Actor: actor, Kind: EntryRemoved, Reason: reason, Entry: e})
	if err := l.cfg.Store.Commit(ctx, b); err != nil {
		return nil, err
	}
	if pending != nil && len(b.Offers) == 1 && b.Offers[0].HoldID != "" {
		l.b.release(ctx, b.Offers[0].HoldID)
	}
	return pending, nil
}

// openOfferOf returns the entry's open offer, its place, and whether it
// is the last open offer of that place.
func (l *List) openOfferOf(ctx context.Context, entryID string) (*Offer, *Place, bool, error) {
	offers, err := l.cfg.Store.EntryOffers(ctx, entryID)
	if err != nil {
		return nil, nil, false, err
	}
	for _, o := range offers {
		if o.Status == OfferOpen {
			p, last, err := l.placeOf(ctx, o)
			return o, p, last, err
		}
	}
	return nil, nil, false, nil
}

// placeOf returns o's place and whether o is its last open offer.
func (l *List) placeOf(ctx context.Context, o *Offer) (*Place, bool, error) {
	if o.PlaceID == "" {
		return nil, false, nil
	}
	p, err := l.cfg.Store.Place(ctx, o.PlaceID)
	if err != nil {
		return nil, false, err
	}
	open, err := l.cfg.Store.OpenOffers(ctx, o.SlotID)
	if err != nil {
		return nil, false, err
	}
	for _, s := range open {
		if s.ID != o.ID && s.PlaceID == o.PlaceID {
			return p, false, nil
		}
	}
	return p, true, nil
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

// OnSlotReleased records the released place and offers it to the
// best-ranked waiting entries that can take it (OffersAtOnce of them),
// holding the place in the engine until the offers expire. Feed it the
// SlotReleased events the booking engine returns. Once the place is
// recorded the release is not lost: if offering fails (a crash, a
// database error), the place stays pending and [List.RunPending] offers
// it. The place's id is derived from the event, so a caller that retries
// an event whose outcome it did not hear records it once. It returns
// ErrNoEntries when nobody on the list can take the place.
func (l *List) OnSlotReleased(ctx context.Context, ev booking.Event) ([]*Offer, error) {
	if ev.Kind != booking.SlotReleased {
		return nil, nil
	}
	now := l.cfg.Now()
	p := &Place{ID: placeID(ev), Slot: ev.Slot, Status: PlacePending, Released: now}
	err := l.cfg.Store.Commit(ctx, Batch{Places: []*Place{p}, Events: []Event{{At: now, Actor: l.cfg.Actor, Kind: SlotReleased, Place: p, SlotID: p.Slot.ID}}})
	if errors.Is(err, ErrExists) {
		if p, err = l.cfg.Store.Place(ctx, p.ID); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	offers, err := l.offer(ctx, p, "slot released")
	if err != nil && !errors.Is(err, ErrNoEntries) {
		l.cfg.Logger.Warn("waitlist: offering a released place failed; it stays pending", "place", p.ID, "error", err.Error())
		return nil, nil
	}
	return offers, err
}

// placeID names the place a release event frees: the same event gives
// the same id; two releases of one slot differ in their time or in the
// capacity left (two at the same nanosecond leaving the same capacity
// would be taken for one).
func placeID(ev booking.Event) string {
	if ev.Seq != 0 {
		return "place-ledger-" + strconv.FormatUint(ev.Seq, 10) // the ledger's log numbers each event once
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s", ev.SlotID, ev.At.UnixNano(), ev.Free, ev.RequestID)
	return "place-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// RunPending offers every pending place: the outbox of releases and
// cascades whose offering has not happened yet (because it failed, or
// the process stopped). Call it from a ticker; [List.ExpireDue] calls it
// too. Places another instance is working on are left to it.
func (l *List) RunPending(ctx context.Context) ([]*Offer, error) {
	var errs []error
	if err := l.confirmPending(ctx); err != nil {
		errs = append(errs, err)
	}
	pending, err := l.cfg.Store.Places(ctx, PlacePending)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	var made []*Offer
	for _, p := range pending {
		offers, err := l.offer(ctx, p, "pending place")
		switch {
		case err == nil:
			made = append(made, offers...)
		case errors.Is(err, ErrNoEntries), errors.Is(err, ErrConflict):
		default:
			errs = append(errs, fmt.Errorf("place %s: %w", p.ID, err))
		}
	}
	return made, errors.Join(errs...)
}

// cascade offers a place whose offers all closed; a failure is logged and
// left to RunPending, since the change that caused it has committed.
func (l *List) cascade(ctx context.Context, p *Place) []*Offer {
	offers, err := l.offer(ctx, p, "cascade")
	if err != nil && !errors.Is(err, ErrNoEntries) && !errors.Is(err, ErrConflict) {
		l.cfg.Logger.Warn("waitlist: cascade failed; the place stays pending", "place", p.ID, "error", err.Error())
	}
	return offers
}

// offer makes a round of offers of a pending place, or marks it unfilled
// with the reason, in one commit with the place's version compared, so
// two instances never both offer one place.
func (l *List) offer(ctx context.Context, p *Place, why string) ([]*Offer, error) {
	if p.Status != PlacePending {
		return nil, nil
	}
	now := l.cfg.Now()
	slot := p.Slot
	latest := slot.Start.Add(-l.cfg.MinNotice)
	if !latest.After(now) {
		return nil, l.unfilled(ctx, p, now, "released too late to offer: the slot starts within the notice period")
	}
	// Everyone who already had this slot offered is skipped.
	past, err := l.cfg.Store.SlotOffers(ctx, slot.ID)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, o := range past {
		skip[o.EntryID] = true
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
			tried[r.id] = true
			e, err := l.cfg.Store.Entry(ctx, r.id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			// The ranking read may be stale: the entry must still wait,
			// and the commit below checks it has not changed since.
			if e.Status != Waiting || !fits(e, slot, now) {
				continue
			}
			chosen = append(chosen, e)
		}
		if total <= keep {
			break // everyone has been considered
		}
	}
	if len(chosen) == 0 {
		if err := l.unfilled(ctx, p, now, "no waiting entry fits"); err != nil {
			return nil, err
		}
		return nil, ErrNoEntries
	}
	expires := now.Add(l.cfg.OfferTTL)
	if expires.After(latest) {
		expires = latest // after now, checked above: never a negative hold
	}
	holdID, err := l.b.hold(ctx, slot.ID, expires.Sub(now), l.id("hold"))
	if errors.Is(err, booking.ErrNoCapacity) {
		return nil, l.unfilled(ctx, p, now, "the engine has no capacity left on the slot: it was booked outside the waiting list")
	}
	if err != nil {
		return nil, fmt.Errorf("waitlist: holding slot %s: %w", slot.ID, err)
	}
	b := Batch{Entries: chosen, Places: []*Place{p}}
	p.Status = PlaceOffering
	p.Rounds++
	var offers []*Offer
	for _, e := range chosen {
		o := &Offer{ID: l.id("offer"), EntryID: e.ID, SlotID: slot.ID, PlaceID: p.ID, HoldID: holdID, Made: now, Expires: expires, Status: OfferOpen}
		e.Status = Offered
		offers = append(offers, o)
		b.Events = append(b.Events, Event{At: now, Actor: l.cfg.Actor, Kind: OfferMade, Reason: why, Entry: e, Offer: o, Place: p, SlotID: slot.ID})
	}
	b.Offers = offers
	if err := l.cfg.Store.Commit(ctx, b); err != nil {
		p.Status = PlacePending
		p.Rounds--
		l.b.release(ctx, holdID)
		return nil, err
	}
	for i, o := range offers {
		l.notify(ctx, OfferMade, chosen[i], o, slot.Start)
	}
	return offers, nil
}

// unfilled closes a place nobody will get, with the reason.
func (l *List) unfilled(ctx context.Context, p *Place, now time.Time, reason string) error {
	p.Status, p.Reason = PlaceUnfilled, reason
	err := l.cfg.Store.Commit(ctx, Batch{Places: []*Place{p}, Events: []Event{{At: now, Actor: l.cfg.Actor, Kind: SlotNotOffered, Reason: reason, Place: p, SlotID: p.Slot.ID}}})
	if err != nil {
		p.Status, p.Reason = PlacePending, ""
	}
	return err
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
// service (not excluded), best first, and how many were candidates. It
// returns ids and scores only: the caller reads each entry afresh.
func (l *List) best(ctx context.Context, service string, now time.Time, keep int, excluded func(string) bool) ([]ranked1, int, error) {
	var h rankHeap // a min-heap on rank: the worst kept is on top
	total := 0
	push := func(r ranked1) {
		if len(h) < keep {
			heap.Push(&h, r)
		} else if r.before(h[0]) {
			h[0] = r
			heap.Fix(&h, 0)
		}
	}
	if ms, ok := l.cfg.Store.(*MemoryStore); ok {
		// The compact rows: scored without reading the entries.
		wts := l.cfg.Weights
		nowNs := now.UnixNano()
		ms.visitRows(service, func(row rankRow) {
			sc := scoreFrom(row.in, nowNs, wts)
			if len(h) == keep && h[0].s.outranks(sc) {
				total++ // a candidate that cannot enter the top
				return
			}
			if excluded(row.id) {
				return
			}
			total++
			push(ranked1{id: row.id, start: row.in.start, s: sc})
		})
	} else {
		entries, err := l.cfg.Store.Waiting(ctx, service)
		if err != nil {
			return nil, 0, err
		}
		for _, e := range entries {
			if excluded(e.ID) {
				continue
			}
			total++
			push(ranked1{id: e.ID, start: e.waitStart().UnixNano(), s: ScoreAt(e, now, l.cfg.Weights)})
		}
	}
	out := make([]ranked1, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(ranked1)
	}
	return out, total, nil
}

type ranked1 struct {
	id    string
	start int64
	s     Score
}

// before is the ranking order of [before] on ranking rows.
func (a ranked1) before(b ranked1) bool {
	if a.s.Band != b.s.Band || a.s.Total != b.s.Total {
		return a.s.outranks(b.s)
	}
	if a.start != b.start {
		return a.start < b.start
	}
	return a.id < b.id
}

// rankHeap is a min-heap on rank: the worst-ranked entry is on top.
type rankHeap []ranked1

func (h rankHeap) Len() int           { return len(h) }
func (h rankHeap) Less(i, j int) bool { return h[j].before(h[i]) }
func (h rankHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)        { *h = append(*h, x.(ranked1)) }
func (h *rankHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Accept books the offered place for the offer's entry. It fails with
// ErrNotOpen if the offer expired, was declined or withdrawn, or another
// patient accepted the place first: the accept, the place, the entry and
// the withdrawal of sibling offers are one compare-and-set commit, and the
// store allows a place one accepted offer and an entry one booking, so of
// any number of concurrent accepts, on any instances, exactly one books.
// Once that commit is in, the booking stands: the engine is told after,
// and a disagreement of the engine's view is logged, not undone.
func (l *List) Accept(ctx context.Context, offerID, actor string) (booking.Event, error) {
	for attempt := 0; ; attempt++ {
		bev, withdrawn, err := l.accept(ctx, offerID, actor)
		if errors.Is(err, ErrConflict) && attempt < retries {
			continue
		}
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrInvariant) {
			return booking.Event{}, fmt.Errorf("%w: offer %s lost the race: %w", ErrNotOpen, offerID, err)
		}
		if err != nil {
			return booking.Event{}, err
		}
		for _, w := range withdrawn {
			l.notify(ctx, OfferWithdraw, w.e, w.o, bev.Slot.Start)
		}
		return bev, nil
	}
}

type withdrawal struct {
	e *Entry
	o *Offer
}

func (l *List) accept(ctx context.Context, offerID, actor string) (booking.Event, []withdrawal, error) {
	now := l.cfg.Now()
	o, err := l.cfg.Store.Offer(ctx, offerID)
	if err != nil {
		return booking.Event{}, nil, err
	}
	if o.Status != OfferOpen {
		return booking.Event{}, nil, fmt.Errorf("%w: offer %s is %s", ErrNotOpen, o.ID, o.Status)
	}
	if !now.Before(o.Expires) {
		return booking.Event{}, nil, fmt.Errorf("%w: offer %s expired at %s", ErrNotOpen, o.ID, o.Expires.Format(time.RFC3339))
	}
	e, err := l.cfg.Store.Entry(ctx, o.EntryID)
	if err != nil {
		return booking.Event{}, nil, err
	}
	if e.Status != Offered {
		// Read after the offer: it closed in between.
		return booking.Event{}, nil, fmt.Errorf("%w: offer %s: entry %s is %s", ErrNotOpen, o.ID, e.ID, e.Status)
	}
	b := Batch{Entries: []*Entry{e}, Offers: []*Offer{o}}
	o.Status = OfferAccepted
	e.Status = Booked
	e.BookedSlot = o.SlotID
	var slot booking.Slot
	var place *Place
	if o.PlaceID != "" {
		place, err = l.cfg.Store.Place(ctx, o.PlaceID)
		if err != nil {
			return booking.Event{}, nil, err
		}
		if place.Status != PlaceOffering {
			return booking.Event{}, nil, fmt.Errorf("%w: place %s is %s", ErrNotOpen, place.ID, place.Status)
		}
		place.Status, place.EntryID = PlaceBooking, e.ID
		slot = place.Slot
		b.Places = []*Place{place}
	} else if s, ok := l.b.slot(o.SlotID); ok {
		slot = s
	}
	b.Events = append(b.Events, Event{At: now, Actor: actor, Kind: OfferAccept, Entry: e, Offer: o, Place: place, SlotID: o.SlotID})
	siblings, err := l.cfg.Store.OpenOffers(ctx, o.SlotID)
	if err != nil {
		return booking.Event{}, nil, err
	}
	var withdrawn []withdrawal
	for _, s := range siblings {
		if s.ID == o.ID || (o.PlaceID != "" && s.PlaceID != o.PlaceID) || (o.PlaceID == "" && s.HoldID != o.HoldID) {
			continue
		}
		other, err := l.cfg.Store.Entry(ctx, s.EntryID)
		if err != nil {
			return booking.Event{}, nil, err
		}
		s.Status = OfferWithdrawn
		other.Status = Waiting
		b.Offers = append(b.Offers, s)
		b.Entries = append(b.Entries, other)
		b.Events = append(b.Events, Event{At: now, Actor: l.cfg.Actor, Kind: OfferWithdraw, Reason: "the place went to another patient", Entry: other, Offer: s, SlotID: s.SlotID})
		withdrawn = append(withdrawn, withdrawal{other, s})
	}
	if err := l.cfg.Store.Commit(ctx, b); err != nil {
		return booking.Event{}, nil, err
	}
	bev, err := l.confirm(ctx, place, o, slot, actor)
	if errors.Is(err, errLost) {
		return booking.Event{}, nil, err
	}
	if err != nil {
		// The accept stands; the booking is retried by RunPending.
		l.cfg.Logger.Warn("waitlist: accepted, booking not yet confirmed; it will be retried", "place", o.PlaceID, "offer", o.ID, "error", err.Error())
		bev = booking.Event{Kind: booking.Booked, SlotID: o.SlotID, RequestID: e.ID, HoldID: o.HoldID, At: now, Slot: slot}
	}
	return bev, withdrawn, nil
}

// confirm books an accepted offer's place (the ledger's Key is the
// offer id, so a retry books once) and records the place as booked. With
// an engine, a refusal means the engine's view is stale (another
// instance held the place): it is logged and the place counts as booked.
func (l *List) confirm(ctx context.Context, p *Place, o *Offer, slot booking.Slot, actor string) (booking.Event, error) {
	bev, err := l.b.book(ctx, o.SlotID, o.EntryID, o.HoldID, o.ID)
	if err != nil {
		if l.cfg.Ledger != nil && lostPlace(err) {
			// The slot's owner took the place back (a trust PAS booked or
			// blocked it): retrying cannot book it, so the accept is undone.
			if lerr := l.lose(ctx, p, o, err); lerr != nil {
				return booking.Event{}, lerr
			}
			return booking.Event{}, fmt.Errorf("%w: %w", errLost, err)
		}
		if l.cfg.Ledger != nil {
			return booking.Event{}, err
		}
		l.cfg.Logger.Warn("waitlist: booked in the store but the engine refused; its view is stale", "slot", o.SlotID, "entry", o.EntryID, "error", err.Error())
		bev = booking.Event{Kind: booking.Booked, SlotID: o.SlotID, RequestID: o.EntryID, HoldID: o.HoldID, At: l.cfg.Now()}
	}
	if bev.Slot.ID == "" {
		bev.Slot = slot
	}
	if p == nil {
		return bev, nil
	}
	for attempt := 0; ; attempt++ {
		p.Status, p.BookingID = PlaceBooked, bev.BookingID
		err := l.cfg.Store.Commit(ctx, Batch{Places: []*Place{p}, Events: []Event{{At: l.cfg.Now(), Actor: actor, Kind: SlotBooked, Place: p, SlotID: o.SlotID, Reason: o.EntryID}}})
		if err == nil {
			return bev, nil
		}
		p.Status = PlaceBooking
		if !errors.Is(err, ErrConflict) || attempt == retries {
			return bev, err
		}
		cur, rerr := l.cfg.Store.Place(ctx, p.ID)
		if rerr != nil {
			return bev, rerr
		}
		if cur.Status != PlaceBooking {
			return bev, nil // another instance confirmed it
		}
		*p = *cur
	}
}

// confirmPending books the places accepted whose booking is not yet
// confirmed.
func (l *List) confirmPending(ctx context.Context) error {
	places, err := l.cfg.Store.Places(ctx, PlaceBooking)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range places {
		offers, err := l.cfg.Store.SlotOffers(ctx, p.Slot.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range offers {
			if o.PlaceID == p.ID && o.Status == OfferAccepted {
				if _, err := l.confirm(ctx, p, o, p.Slot, l.cfg.Actor); err != nil && !errors.Is(err, errLost) {
					errs = append(errs, fmt.Errorf("place %s: %w", p.ID, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Decline records the patient's no and, when no other offer of the place
// is still open, offers it to the next entry. Once the decline is
// committed it is reported as done: the cascade is retried by
// [List.RunPending] if it fails here.
func (l *List) Decline(ctx context.Context, offerID, actor string) ([]*Offer, error) {
	return l.close(ctx, offerID, OfferDeclined, OfferDecline, actor, "declined by the patient")
}

func (l *List) close(ctx context.Context, offerID string, status OfferStatus, kind EventKind, actor, why string) ([]*Offer, error) {
	var pending *Place
	for attempt := 0; ; attempt++ {
		p, err := l.close1(ctx, offerID, status, kind, actor, why)
		if errors.Is(err, ErrConflict) && attempt < retries {
			continue
		}
		if err != nil {
			return nil, err
		}
		pending = p
		break
	}
	if pending == nil {
		return nil, nil
	}
	return l.cascade(ctx, pending), nil
}

func (l *List) close1(ctx context.Context, offerID string, status OfferStatus, kind EventKind, actor, why string) (*Place, error) {
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
	p, last, err := l.placeOf(ctx, o)
	if err != nil {
		return nil, err
	}
	o.Status = status
	if e.Status == Offered {
		e.Status = Waiting
	}
	if status == OfferDeclined {
		start := o.Expires
		if p != nil {
			start = p.Slot.Start
		} else if s, ok := l.b.slot(o.SlotID); ok {
			start = s.Start
		}
		e.Declines = append(e.Declines, Decline{At: now, OfferID: o.ID, Reasonable: start.Sub(o.Made) >= l.cfg.ReasonableNotice})
	}
	b := Batch{Entries: []*Entry{e}, Offers: []*Offer{o}}
	var pending *Place
	if p != nil {
		if last && p.Status == PlaceOffering {
			p.Status = PlacePending
			pending = p
		}
		b.Places = []*Place{p} // written even unchanged: concurrent closes serialise on its version
	}
	b.Events = []Event{{At: now, Actor: actor, Kind: kind, Reason: why, Entry: e, Offer: o, Place: p, SlotID: o.SlotID}}
	if err := l.cfg.Store.Commit(ctx, b); err != nil {
		return nil, err
	}
	if pending != nil && o.HoldID != "" {
		l.b.release(ctx, o.HoldID)
	}
	return pending, nil
}

// ExpireDue expires the open offers whose time is up, cascades each
// released place, and runs the pending places; call it from a ticker.
// It goes through every offer whatever fails, and returns the failures
// joined.
func (l *List) ExpireDue(ctx context.Context) ([]*Offer, error) {
	now := l.cfg.Now()
	open, err := l.cfg.Store.OpenOffers(ctx, "")
	if err != nil {
		return nil, err
	}
	var made []*Offer
	var errs []error
	for _, o := range open {
		if now.Before(o.Expires) {
			continue
		}
		next, err := l.close(ctx, o.ID, OfferExpired, OfferExpire, l.cfg.Actor, "no answer before expiry")
		if err != nil && !errors.Is(err, ErrNotOpen) && !errors.Is(err, ErrConflict) {
			errs = append(errs, err)
		}
		made = append(made, next...)
	}
	more, err := l.RunPending(ctx)
	made = append(made, more...)
	if err != nil {
		errs = append(errs, err)
	}
	return made, errors.Join(errs...)
}

// ConsumeReleases takes the shared ledger's events under the consumer
// name (instances that use one name take turns, so each event goes to
// one of them) and offers every released place. A release handed out
// twice (after a crash) is one place: its id comes from the event's
// sequence number. It returns how many events were taken.
func (l *List) ConsumeReleases(ctx context.Context, consumer string, limit int) (int, error) {
	if l.cfg.Ledger == nil {
		return 0, errors.New("waitlist: ConsumeReleases needs Config.Ledger")
	}
	return l.cfg.Ledger.Consume(ctx, consumer, limit, func(ctx context.Context, ev booking.Event) error {
		if ev.Kind != booking.SlotReleased {
			return nil
		}
		_, err := l.OnSlotReleased(ctx, ev)
		if errors.Is(err, ErrNoEntries) {
			return nil
		}
		return err
	})
}
