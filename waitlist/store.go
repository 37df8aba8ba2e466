package waitlist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// Errors.
var (
	ErrNotFound  = errors.New("waitlist: not found")
	ErrConflict  = errors.New("waitlist: version conflict")
	ErrExists    = errors.New("waitlist: already exists")
	ErrNotOpen   = errors.New("waitlist: offer is no longer open")
	ErrNoEntries = errors.New("waitlist: nobody on the list can take the slot")
	// ErrInvariant is a commit that would break one of the store's
	// invariants (see [Store]); nothing of it is written.
	ErrInvariant = errors.New("waitlist: invariant violated")
)

// OfferStatus is where an offer stands.
type OfferStatus string

// Offer statuses.
const (
	OfferOpen      OfferStatus = "open"
	OfferAccepted  OfferStatus = "accepted"
	OfferDeclined  OfferStatus = "declined"
	OfferExpired   OfferStatus = "expired"
	OfferWithdrawn OfferStatus = "withdrawn" // the place went to someone else, or the entry left the list
)

func (s OfferStatus) valid() bool {
	switch s {
	case OfferOpen, OfferAccepted, OfferDeclined, OfferExpired, OfferWithdrawn:
		return true
	}
	return false
}

func (s Status) valid() bool {
	switch s {
	case Waiting, Offered, Booked, Removed:
		return true
	}
	return false
}

// Offer is a released place offered to one entry.
type Offer struct {
	ID      string
	EntryID string
	SlotID  string
	PlaceID string // the released place the offer is for
	HoldID  string // the booking engine hold that keeps the place
	Made    time.Time
	Expires time.Time
	Status  OfferStatus
	Version int64
}

// PlaceStatus is where a released place stands.
type PlaceStatus string

// Place statuses. A place is Pending from its release until a round of
// offers is committed for it, and again whenever its last open offer
// closes without an accept: Pending places are the outbox that
// [List.RunPending] (and [List.ExpireDue]) work through until each is
// offered, booked or unfilled.
const (
	PlacePending  PlaceStatus = "pending"
	PlaceOffering PlaceStatus = "offering"
	// PlaceBooking: an offer was accepted and the booking in the ledger
	// (or engine) is not yet confirmed; RunPending retries it.
	PlaceBooking  PlaceStatus = "booking"
	PlaceBooked   PlaceStatus = "booked"
	PlaceUnfilled PlaceStatus = "unfilled" // nobody could take it in time; Reason says why
)

func (s PlaceStatus) valid() bool {
	switch s {
	case PlacePending, PlaceOffering, PlaceBooking, PlaceBooked, PlaceUnfilled:
		return true
	}
	return false
}

// Place is one released unit of a slot's capacity, from its release to
// its end: booked through an accepted offer, or unfilled with a reason.
type Place struct {
	ID        string
	Slot      booking.Slot // the slot as released
	Status    PlaceStatus
	Reason    string // why it is unfilled
	Rounds    int    // offer rounds made
	EntryID   string // who booked it
	BookingID string // the ledger's booking, once confirmed
	Released  time.Time
	Version   int64
}

// EventKind names an audited change.
type EventKind string

// Event kinds.
const (
	EntryAdded     EventKind = "entry-added"
	EntryChanged   EventKind = "entry-changed"
	EntryRemoved   EventKind = "entry-removed"
	OfferMade      EventKind = "offer-made"
	OfferAccept    EventKind = "offer-accepted"
	OfferDecline   EventKind = "offer-declined"
	OfferExpire    EventKind = "offer-expired"
	OfferWithdraw  EventKind = "offer-withdrawn"
	SlotReleased   EventKind = "slot-released"
	SlotBooked     EventKind = "slot-booked"
	SlotNotOffered EventKind = "slot-not-offered"
)

// Event is one audited state change: who, what, when and why, with the
// state after it, so that replaying the log rebuilds the state exactly.
// Seq is the event's place in the store's log: 1, 2, 3, … with no gaps,
// in commit order, so consumers order events that share a timestamp and
// a reader that has seen Seq n has seen every event before it.
type Event struct {
	Seq    int64
	At     time.Time
	Actor  string
	Kind   EventKind
	Reason string
	Entry  *Entry // the entry after the change, when one changed
	Offer  *Offer // the offer after the change, when one changed
	Place  *Place // the place after the change, when one changed
	SlotID string
}

// Batch is one atomic commit: records to write (each with the Version
// read, 0 for new) and events to append.
type Batch struct {
	Entries []*Entry
	Offers  []*Offer
	Places  []*Place
	Events  []Event
}

// Store keeps entries, offers, places and the event log.
//
// Writes compare versions: a record is written only when the stored
// version equals the one given (0 for a new record), and is then stored
// with version+1. Commit applies a Batch atomically: all or nothing.
//
// A store enforces these invariants itself, whatever its callers do, and
// refuses a commit that would break one with [ErrInvariant]:
//   - statuses are among the declared ones;
//   - an offer names an entry that exists, and a place that exists when
//     it names one;
//   - an entry has at most one open offer, and is Offered exactly when it
//     has one;
//   - an entry has at most one accepted offer, and a place at most one.
type Store interface {
	Entry(ctx context.Context, id string) (*Entry, error)
	Offer(ctx context.Context, id string) (*Offer, error)
	Place(ctx context.Context, id string) (*Place, error)
	// Waiting lists the entries of a service whose status is Waiting.
	Waiting(ctx context.Context, service string) ([]*Entry, error)
	// OpenOffers lists the open offers on a slot, or of every slot when
	// slotID is "", by id.
	OpenOffers(ctx context.Context, slotID string) ([]*Offer, error)
	// SlotOffers lists every offer ever made of a slot, whatever its
	// status, by id.
	SlotOffers(ctx context.Context, slotID string) ([]*Offer, error)
	// EntryOffers lists every offer made to an entry, by id.
	EntryOffers(ctx context.Context, entryID string) ([]*Offer, error)
	// Places lists the places in a status, by id.
	Places(ctx context.Context, status PlaceStatus) ([]*Place, error)
	// Commit writes a batch atomically. On success each record's Version
	// is set to the stored one and the events get sequence numbers.
	Commit(ctx context.Context, b Batch) error
	// Events returns the log after seq, in order.
	Events(ctx context.Context, after int64) ([]Event, error)
}

// MemoryStore is the in-memory Store. It is safe for concurrent use:
// nothing it hands out is shared with what it keeps.
type MemoryStore struct {
	mu      sync.Mutex
	entries map[string]*Entry
	// rows is a compact ranking index per service, kept up to date by
	// Commit, so ranking a long list reads a few bytes per entry.
	rows    map[string][]rankRow
	rowIdx  map[string]rowRef
	offers  map[string]*Offer
	byEntry map[string][]string // entry id -> offer ids
	places  map[string]*Place
	events  []Event
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{entries: map[string]*Entry{}, offers: map[string]*Offer{},
		rows: map[string][]rankRow{}, rowIdx: map[string]rowRef{},
		byEntry: map[string][]string{}, places: map[string]*Place{}}
}

// rankRow is what ranking needs of an entry. It holds no pointer into
// the store, so a row copied out under the lock is the caller's own.
type rankRow struct {
	id      string
	in      scoreIn
	waiting bool
}

type rowRef struct {
	service string
	i       int
}

// index records e's current state in the ranking rows.
func (s *MemoryStore) index(e *Entry) {
	row := rankRow{id: e.ID, in: e.scoreIn(), waiting: e.Status == Waiting}
	if ref, ok := s.rowIdx[e.ID]; ok {
		if ref.service == e.Service {
			s.rows[ref.service][ref.i] = row
			return
		}
		s.rows[ref.service][ref.i].waiting = false // moved service
	}
	s.rows[e.Service] = append(s.rows[e.Service], row)
	s.rowIdx[e.ID] = rowRef{e.Service, len(s.rows[e.Service]) - 1}
}

// visitRows calls fn with a copy of each waiting row of service, under
// the lock.
func (s *MemoryStore) visitRows(service string, fn func(rankRow)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.rows[service]
	for i := range rows {
		if rows[i].waiting {
			fn(rows[i])
		}
	}
}

func cloneEntry(e *Entry) *Entry {
	c := *e
	c.Pauses = slices.Clone(e.Pauses)
	c.Clock = slices.Clone(e.Clock)
	c.Declines = slices.Clone(e.Declines)
	c.Request.Windows = slices.Clone(e.Request.Windows)
	c.Request.Modalities = slices.Clone(e.Request.Modalities)
	c.Request.PreferredSites = slices.Clone(e.Request.PreferredSites)
	c.Request.PreferredPractitioners = slices.Clone(e.Request.PreferredPractitioners)
	c.Request.Accessibility = slices.Clone(e.Request.Accessibility)
	c.Request.ExcludedDates = slices.Clone(e.Request.ExcludedDates)
	if e.Request.Origin != nil {
		o := *e.Request.Origin
		c.Request.Origin = &o
	}
	return &c
}

func cloneOffer(o *Offer) *Offer { c := *o; return &c }
func clonePlace(p *Place) *Place { c := *p; return &c }

// Entry implements Store.
func (s *MemoryStore) Entry(_ context.Context, id string) (*Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return nil, fmt.Errorf("%w: entry %s", ErrNotFound, id)
	}
	return cloneEntry(e), nil
}

// Offer implements Store.
func (s *MemoryStore) Offer(_ context.Context, id string) (*Offer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.offers[id]
	if !ok {
		return nil, fmt.Errorf("%w: offer %s", ErrNotFound, id)
	}
	return cloneOffer(o), nil
}

// Place implements Store.
func (s *MemoryStore) Place(_ context.Context, id string) (*Place, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.places[id]
	if !ok {
		return nil, fmt.Errorf("%w: place %s", ErrNotFound, id)
	}
	return clonePlace(p), nil
}

// Waiting implements Store.
func (s *MemoryStore) Waiting(_ context.Context, service string) ([]*Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Entry
	for _, e := range s.entries {
		if e.Service == service && e.Status == Waiting {
			out = append(out, cloneEntry(e))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *MemoryStore) offersWhere(keep func(*Offer) bool) []*Offer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Offer
	for _, o := range s.offers {
		if keep(o) {
			out = append(out, cloneOffer(o))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// OpenOffers implements Store.
func (s *MemoryStore) OpenOffers(_ context.Context, slotID string) ([]*Offer, error) {
	return s.offersWhere(func(o *Offer) bool { return o.Status == OfferOpen && (slotID == "" || o.SlotID == slotID) }), nil
}

// SlotOffers implements Store.
func (s *MemoryStore) SlotOffers(_ context.Context, slotID string) ([]*Offer, error) {
	return s.offersWhere(func(o *Offer) bool { return o.SlotID == slotID }), nil
}

// EntryOffers implements Store.
func (s *MemoryStore) EntryOffers(_ context.Context, entryID string) ([]*Offer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Offer
	for _, id := range s.byEntry[entryID] {
		out = append(out, cloneOffer(s.offers[id]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Places implements Store.
func (s *MemoryStore) Places(_ context.Context, status PlaceStatus) ([]*Place, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Place
	for _, p := range s.places {
		if p.Status == status {
			out = append(out, clonePlace(p))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func checkVersion(what, id string, exists bool, cur, v int64) error {
	switch {
	case !exists && v != 0:
		return fmt.Errorf("%w: %s %s", ErrNotFound, what, id)
	case exists && v == 0:
		return fmt.Errorf("%w: %s %s", ErrExists, what, id)
	case exists && cur != v:
		return fmt.Errorf("%w: %s %s is at version %d, not %d", ErrConflict, what, id, cur, v)
	}
	return nil
}

// Commit implements Store.
func (s *MemoryStore) Commit(_ context.Context, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, e := range b.Entries {
		cur, ok := s.entries[e.ID]
		var v int64
		if ok {
			v = cur.Version
		}
		if err := checkVersion("entry", e.ID, ok, v, e.Version); err != nil {
			return err
		}
		if seen["e"+e.ID] {
			return fmt.Errorf("%w: entry %s written twice in one commit", ErrInvariant, e.ID)
		}
		seen["e"+e.ID] = true
	}
	for _, o := range b.Offers {
		cur, ok := s.offers[o.ID]
		var v int64
		if ok {
			v = cur.Version
		}
		if err := checkVersion("offer", o.ID, ok, v, o.Version); err != nil {
			return err
		}
		if seen["o"+o.ID] {
			return fmt.Errorf("%w: offer %s written twice in one commit", ErrInvariant, o.ID)
		}
		seen["o"+o.ID] = true
	}
	for _, p := range b.Places {
		cur, ok := s.places[p.ID]
		var v int64
		if ok {
			v = cur.Version
		}
		if err := checkVersion("place", p.ID, ok, v, p.Version); err != nil {
			return err
		}
		if seen["p"+p.ID] {
			return fmt.Errorf("%w: place %s written twice in one commit", ErrInvariant, p.ID)
		}
		seen["p"+p.ID] = true
	}
	if err := s.checkInvariants(b); err != nil {
		return err
	}
	for _, e := range b.Entries {
		c := cloneEntry(e)
		c.Version++
		e.Version = c.Version
		s.entries[c.ID] = c
		s.index(c)
	}
	for _, o := range b.Offers {
		c := cloneOffer(o)
		c.Version++
		o.Version = c.Version
		if _, ok := s.offers[c.ID]; !ok {
			s.byEntry[c.EntryID] = append(s.byEntry[c.EntryID], c.ID)
		}
		s.offers[c.ID] = c
	}
	for _, p := range b.Places {
		c := clonePlace(p)
		c.Version++
		p.Version = c.Version
		s.places[c.ID] = c
	}
	for _, ev := range b.Events {
		ev.Seq = int64(len(s.events)) + 1
		if ev.Entry != nil {
			if e, ok := s.entries[ev.Entry.ID]; ok {
				ev.Entry = cloneEntry(e)
			}
		}
		if ev.Offer != nil {
			if o, ok := s.offers[ev.Offer.ID]; ok {
				ev.Offer = cloneOffer(o)
			}
		}
		if ev.Place != nil {
			if p, ok := s.places[ev.Place.ID]; ok {
				ev.Place = clonePlace(p)
			}
		}
		s.events = append(s.events, ev)
	}
	return nil
}

// checkInvariants checks the state the batch would leave, for every
// record the batch touches, before anything is written.
func (s *MemoryStore) checkInvariants(b Batch) error {
	newE := map[string]*Entry{}
	for _, e := range b.Entries {
		if !e.Status.valid() {
			return fmt.Errorf("%w: entry %s has status %q", ErrInvariant, e.ID, e.Status)
		}
		newE[e.ID] = e
	}
	newO := map[string]*Offer{}
	for _, o := range b.Offers {
		if !o.Status.valid() {
			return fmt.Errorf("%w: offer %s has status %q", ErrInvariant, o.ID, o.Status)
		}
		newO[o.ID] = o
	}
	newP := map[string]*Place{}
	for _, p := range b.Places {
		if !p.Status.valid() {
			return fmt.Errorf("%w: place %s has status %q", ErrInvariant, p.ID, p.Status)
		}
		newP[p.ID] = p
	}
	entryOf := func(id string) (*Entry, bool) {
		if e, ok := newE[id]; ok {
			return e, true
		}
		e, ok := s.entries[id]
		return e, ok
	}
	// Offers of each touched entry and place after the commit.
	touchedE := map[string]bool{}
	for id := range newE {
		touchedE[id] = true
	}
	touchedP := map[string]bool{}
	for _, o := range b.Offers {
		if cur, ok := s.offers[o.ID]; ok && (cur.EntryID != o.EntryID || cur.PlaceID != o.PlaceID) {
			return fmt.Errorf("%w: offer %s cannot move to another entry or place", ErrInvariant, o.ID)
		}
		if _, ok := entryOf(o.EntryID); !ok {
			return fmt.Errorf("%w: offer %s names entry %s, which does not exist", ErrInvariant, o.ID, o.EntryID)
		}
		if o.PlaceID != "" {
			if _, ok := newP[o.PlaceID]; !ok {
				if _, ok := s.places[o.PlaceID]; !ok {
					return fmt.Errorf("%w: offer %s names place %s, which does not exist", ErrInvariant, o.ID, o.PlaceID)
				}
			}
			touchedP[o.PlaceID] = true
		}
		touchedE[o.EntryID] = true
	}
	offerNow := func(id string) *Offer {
		if o, ok := newO[id]; ok {
			return o
		}
		return s.offers[id]
	}
	for id := range touchedE {
		e, ok := entryOf(id)
		if !ok {
			continue
		}
		ids := slices.Clone(s.byEntry[id])
		for _, o := range b.Offers {
			if o.EntryID == id && !slices.Contains(ids, o.ID) {
				ids = append(ids, o.ID)
			}
		}
		open, accepted := 0, 0
		for _, oid := range ids {
			switch offerNow(oid).Status {
			case OfferOpen:
				open++
			case OfferAccepted:
				accepted++
			}
		}
		switch {
		case open > 1:
			return fmt.Errorf("%w: entry %s would have %d open offers", ErrInvariant, id, open)
		case accepted > 1:
			return fmt.Errorf("%w: entry %s would have %d accepted offers", ErrInvariant, id, accepted)
		case (open == 1) != (e.Status == Offered):
			return fmt.Errorf("%w: entry %s is %s with %d open offers", ErrInvariant, id, e.Status, open)
		}
	}
	for pid := range touchedP {
		accepted := 0
		for _, o := range s.offers {
			if o.PlaceID == pid {
				if _, ok := newO[o.ID]; !ok && o.Status == OfferAccepted {
					accepted++
				}
			}
		}
		for _, o := range b.Offers {
			if o.PlaceID == pid && o.Status == OfferAccepted {
				accepted++
			}
		}
		if accepted > 1 {
			return fmt.Errorf("%w: place %s would have %d accepted offers", ErrInvariant, pid, accepted)
		}
	}
	return nil
}

// Events implements Store.
func (s *MemoryStore) Events(_ context.Context, after int64) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if after < 0 || after > int64(len(s.events)) {
		after = int64(len(s.events))
	}
	return slices.Clone(s.events[after:]), nil
}

// Replay rebuilds a MemoryStore from an event log: each event carries the
// state of what it changed, so applying them in order gives back every
// entry, offer and place exactly, versions included. A log with a gap or
// out of order is an error.
func Replay(events []Event) (*MemoryStore, error) {
	s := NewMemoryStore()
	for i, ev := range events {
		if ev.Seq != int64(i)+1 {
			return nil, fmt.Errorf("waitlist: replay: event %d has sequence %d", i+1, ev.Seq)
		}
		if ev.Entry != nil {
			c := cloneEntry(ev.Entry)
			s.entries[c.ID] = c
			s.index(c)
		}
		if ev.Offer != nil {
			if _, ok := s.offers[ev.Offer.ID]; !ok {
				s.byEntry[ev.Offer.EntryID] = append(s.byEntry[ev.Offer.EntryID], ev.Offer.ID)
			}
			s.offers[ev.Offer.ID] = cloneOffer(ev.Offer)
		}
		if ev.Place != nil {
			s.places[ev.Place.ID] = clonePlace(ev.Place)
		}
		s.events = append(s.events, ev)
	}
	return s, nil
}
