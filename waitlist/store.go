package waitlist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Errors.
var (
	ErrNotFound  = errors.New("waitlist: not found")
	ErrConflict  = errors.New("waitlist: version conflict")
	ErrExists    = errors.New("waitlist: already exists")
	ErrNotOpen   = errors.New("waitlist: offer is no longer open")
	ErrNoEntries = errors.New("waitlist: nobody on the list can take the slot")
)

// OfferStatus is where an offer stands.
type OfferStatus string

// Offer statuses.
const (
	OfferOpen      OfferStatus = "open"
	OfferAccepted  OfferStatus = "accepted"
	OfferDeclined  OfferStatus = "declined"
	OfferExpired   OfferStatus = "expired"
	OfferWithdrawn OfferStatus = "withdrawn" // the slot went to someone else
)

// Offer is a released slot offered to one entry.
type Offer struct {
	ID      string
	EntryID string
	SlotID  string
	HoldID  string // the booking engine hold that keeps the place
	Made    time.Time
	Expires time.Time
	Status  OfferStatus
	Version int64
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
	SlotBooked     EventKind = "slot-booked"
	SlotNotOffered EventKind = "slot-not-offered"
)

// Event is one audited state change: who, what, when and why, with the
// state after it, so that replaying the log rebuilds the state exactly.
type Event struct {
	Seq    int64
	At     time.Time
	Actor  string
	Kind   EventKind
	Reason string
	Entry  *Entry // the entry after the change, when one changed
	Offer  *Offer // the offer after the change, when one changed
	SlotID string
}

// Store keeps entries, offers and the event log. Writes compare versions:
// PutEntry and PutOffer succeed only when the stored version equals
// expect (0 for a new record) and then store version expect+1. Commit
// applies entry and offer writes and appends events atomically: all or
// nothing.
type Store interface {
	Entry(ctx context.Context, id string) (*Entry, error)
	Offer(ctx context.Context, id string) (*Offer, error)
	// Waiting lists the entries of a service whose status is Waiting.
	Waiting(ctx context.Context, service string) ([]*Entry, error)
	// OpenOffers lists the open offers on a slot, or of every slot when
	// slotID is "".
	OpenOffers(ctx context.Context, slotID string) ([]*Offer, error)
	// SlotOffers lists every offer ever made of a slot, whatever its
	// status, by id.
	SlotOffers(ctx context.Context, slotID string) ([]*Offer, error)
	// Commit writes atomically. Each record's Version must be the stored
	// version (0 for new); on success each is stored with Version+1 and
	// the events get sequence numbers.
	Commit(ctx context.Context, entries []*Entry, offers []*Offer, events []Event) error
	// Events returns the log after seq, in order.
	Events(ctx context.Context, after int64) ([]Event, error)
}

// MemoryStore is the in-memory Store. It is safe for concurrent use.
type MemoryStore struct {
	mu      sync.Mutex
	entries map[string]*Entry
	order   []*Entry // the same entries, for scans in memory order
	// rows is a compact ranking index per service, kept up to date by
	// Commit, so ranking a long list reads a few bytes per entry.
	rows   map[string][]rankRow
	rowIdx map[string]rowRef
	offers map[string]*Offer
	events []Event
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{entries: map[string]*Entry{}, offers: map[string]*Offer{},
		rows: map[string][]rankRow{}, rowIdx: map[string]rowRef{}}
}

// rankRow is what ranking needs of an entry.
type rankRow struct {
	entry    *Entry
	start    int64 // RTT clock start, Unix nanoseconds
	referred int64
	prio     Priority
	cancer   bool
	pauses   bool
	waiting  bool
}

type rowRef struct {
	service string
	i       int
}

// index records e's current state in the ranking rows.
func (s *MemoryStore) index(e *Entry) {
	row := rankRow{entry: e, start: e.clockStart().UnixNano(), referred: e.Referred.UnixNano(), prio: e.Priority,
		cancer: e.Cancer, pauses: len(e.Pauses) > 0, waiting: e.Status == Waiting}
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

// visitRows calls fn for each ranking row of service, under the lock; fn
// must not keep or change anything it is given.
func (s *MemoryStore) visitRows(service string, fn func(*rankRow)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.rows[service]
	for i := range rows {
		if rows[i].waiting {
			fn(&rows[i])
		}
	}
}

func cloneEntry(e *Entry) *Entry {
	c := *e
	c.Pauses = slices.Clone(e.Pauses)
	return &c
}

func cloneOffer(o *Offer) *Offer { c := *o; return &c }

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

// OpenOffers implements Store.
func (s *MemoryStore) OpenOffers(_ context.Context, slotID string) ([]*Offer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Offer
	for _, o := range s.offers {
		if o.Status == OfferOpen && (slotID == "" || o.SlotID == slotID) {
			out = append(out, cloneOffer(o))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// SlotOffers implements Store.
func (s *MemoryStore) SlotOffers(_ context.Context, slotID string) ([]*Offer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Offer
	for _, o := range s.offers {
		if o.SlotID == slotID {
			out = append(out, cloneOffer(o))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Commit implements Store.
func (s *MemoryStore) Commit(_ context.Context, entries []*Entry, offers []*Offer, events []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		cur, ok := s.entries[e.ID]
		switch {
		case !ok && e.Version != 0:
			return fmt.Errorf("%w: entry %s", ErrNotFound, e.ID)
		case ok && e.Version == 0:
			return fmt.Errorf("%w: entry %s", ErrExists, e.ID)
		case ok && cur.Version != e.Version:
			return fmt.Errorf("%w: entry %s is at version %d, not %d", ErrConflict, e.ID, cur.Version, e.Version)
		}
	}
	for _, o := range offers {
		cur, ok := s.offers[o.ID]
		switch {
		case !ok && o.Version != 0:
			return fmt.Errorf("%w: offer %s", ErrNotFound, o.ID)
		case ok && o.Version == 0:
			return fmt.Errorf("%w: offer %s", ErrExists, o.ID)
		case ok && cur.Version != o.Version:
			return fmt.Errorf("%w: offer %s is at version %d, not %d", ErrConflict, o.ID, cur.Version, o.Version)
		}
	}
	for _, e := range entries {
		c := cloneEntry(e)
		c.Version++
		e.Version = c.Version
		if old, ok := s.entries[c.ID]; ok {
			*old = *c // keep the pointer in order valid
			s.index(old)
		} else {
			s.entries[c.ID] = c
			s.order = append(s.order, c)
			s.index(c)
		}
	}
	for _, o := range offers {
		c := cloneOffer(o)
		c.Version++
		o.Version = c.Version
		s.offers[c.ID] = c
	}
	for _, ev := range events {
		ev.Seq = int64(len(s.events)) + 1
		if ev.Entry != nil {
			ev.Entry = cloneEntry(s.entries[ev.Entry.ID])
		}
		if ev.Offer != nil {
			ev.Offer = cloneOffer(s.offers[ev.Offer.ID])
		}
		s.events = append(s.events, ev)
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
// entry and offer exactly, versions included.
func Replay(events []Event) (*MemoryStore, error) {
	s := NewMemoryStore()
	for i, ev := range events {
		if ev.Seq != int64(i)+1 {
			return nil, fmt.Errorf("waitlist: replay: event %d has sequence %d", i+1, ev.Seq)
		}
		if ev.Entry != nil {
			if old, ok := s.entries[ev.Entry.ID]; ok {
				*old = *cloneEntry(ev.Entry)
				s.index(old)
			} else {
				c := cloneEntry(ev.Entry)
				s.entries[c.ID] = c
				s.order = append(s.order, c)
				s.index(c)
			}
		}
		if ev.Offer != nil {
			s.offers[ev.Offer.ID] = cloneOffer(ev.Offer)
		}
		s.events = append(s.events, ev)
	}
	return s, nil
}
