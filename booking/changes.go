package booking

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

// EventKind says what happened to a slot.
type EventKind uint8

// Event kinds. The waitlist package listens for SlotReleased.
const (
	SlotAdded EventKind = iota + 1
	SlotRemoved
	Booked
	Cancelled
	SlotReleased
	HoldPlaced
	HoldReleased
)

func (k EventKind) String() string {
	switch k {
	case SlotAdded:
		return "SlotAdded"
	case SlotRemoved:
		return "SlotRemoved"
	case Booked:
		return "Booked"
	case Cancelled:
		return "Cancelled"
	case SlotReleased:
		return "SlotReleased"
	case HoldPlaced:
		return "HoldPlaced"
	case HoldReleased:
		return "HoldReleased"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one state transition, returned by the method that caused it.
type Event struct {
	// Seq is the event's place in a ledger's log (1, 2, 3, … with no
	// gaps); 0 for events of an engine used without a ledger.
	Seq       uint64
	Kind      EventKind
	SlotID    string
	RequestID string // the booking's request, for Booked and Cancelled
	BookingID string // for Booked and Cancelled from a ledger
	HoldID    string
	// Expires is when a HoldPlaced hold lapses.
	Expires time.Time
	At      time.Time
	// Actor and Reason say who asked for the change and why, as given to
	// the ledger (the audit trail).
	Actor  string
	Reason string
	// Slot is the slot as it was at the event (for SlotReleased, the
	// freed slot a waiting list can offer).
	Slot Slot
	// Free is the capacity left on the slot after the event.
	Free int
}

func (e *Engine) event(kind EventKind, st *slotState, req, hold string, now time.Time) Event {
	return Event{Kind: kind, SlotID: st.ID, RequestID: req, HoldID: hold, At: now, Slot: st.Slot, Free: st.free(now)}
}

func (e *Engine) get(id string) (*slotState, error) {
	i, ok := e.byID[id]
	if !ok || e.slots[i].removed {
		return nil, fmt.Errorf("booking: slot %q: %w", id, ErrUnknownSlot)
	}
	return e.slots[i], nil
}

// Add puts new slots into the engine; each must be valid and have a new id.
func (e *Engine) Add(slots ...Slot) ([]Event, error) {
	if err := ValidateSlots(slots); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range slots {
		if j, ok := e.byID[slots[i].ID]; ok && !e.slots[j].removed {
			return nil, &InputError{Kind: "slot", Index: i, ID: slots[i].ID, Err: ErrDuplicateID}
		}
	}
	now := e.cfg.now()
	events := make([]Event, 0, len(slots))
	for i := range slots {
		st := &slotState{Slot: slots[i]}
		pos := int32(len(e.slots))
		e.slots = append(e.slots, st)
		e.byID[st.ID] = int(pos)
		idx := e.byService[st.Service]
		en := e.newEntry(st, pos)
		at := sort.Search(len(idx), func(k int) bool { return idx[k].start > en.start })
		e.byService[st.Service] = slices.Insert(idx, at, en)
		events = append(events, e.event(SlotAdded, st, "", "", now))
	}
	return events, nil
}

// Remove takes a slot out (a clinic cancelled). Bookings on it are
// cancelled, and the returned events say whose.
func (e *Engine) Remove(slotID string) ([]Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st, err := e.get(slotID)
	if err != nil {
		return nil, err
	}
	now := e.cfg.now()
	var events []Event
	for _, r := range st.booked {
		events = append(events, e.event(Cancelled, st, r, "", now))
	}
	st.booked = nil
	st.holds = nil
	if k := e.entryIndex(st); k >= 0 {
		e.byService[st.Service] = slices.Delete(e.byService[st.Service], k, k+1)
	}
	st.removed = true
	delete(e.byID, slotID)
	ev := e.event(SlotRemoved, st, "", "", now)
	ev.Free = 0
	return append(events, ev), nil
}

// Hold reserves one place on a slot for ttl, for example while an offer
// waits for the patient's answer. It fails when the slot has no capacity
// left, or ttl is not positive (ErrBadTTL). The hold lapses by itself at
// expiry.
func (e *Engine) Hold(slotID string, ttl time.Duration) (holdID string, ev Event, err error) {
	if ttl <= 0 {
		return "", Event{}, fmt.Errorf("booking: hold on %q for %v: %w", slotID, ttl, ErrBadTTL)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st, err := e.get(slotID)
	if err != nil {
		return "", Event{}, err
	}
	now := e.cfg.now()
	if st.free(now) <= 0 {
		return "", Event{}, fmt.Errorf("booking: hold on %q: %w", slotID, ErrNoCapacity)
	}
	e.pruneHolds(st, now)
	e.holdSeq++
	holdID = "hold-" + strconv.FormatUint(e.holdSeq, 10)
	if st.holds == nil {
		st.holds = map[string]time.Time{}
	}
	st.holds[holdID] = now.Add(ttl)
	e.holdSlot[holdID] = e.byID[slotID]
	e.refresh(st)
	ev = e.event(HoldPlaced, st, "", holdID, now)
	ev.Expires = st.holds[holdID]
	return holdID, ev, nil
}

func (e *Engine) pruneHolds(st *slotState, now time.Time) {
	for id, exp := range st.holds {
		if !now.Before(exp) {
			delete(st.holds, id)
			delete(e.holdSlot, id)
		}
	}
}

// ReleaseHold gives a held place back before its expiry.
func (e *Engine) ReleaseHold(holdID string) (Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.holdSlot[holdID]
	if !ok {
		return Event{}, fmt.Errorf("booking: %s: %w", holdID, ErrHoldExpired)
	}
	st := e.slots[i]
	delete(st.holds, holdID)
	delete(e.holdSlot, holdID)
	e.refresh(st)
	return e.event(HoldReleased, st, "", holdID, e.cfg.now()), nil
}

// Book books requestID onto a slot. With a holdID the held place is used
// (and must not have expired); without one a free place is needed. A
// request is booked on a slot at most once.
func (e *Engine) Book(slotID, requestID, holdID string) (Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bookLocked(slotID, requestID, holdID)
}

func (e *Engine) bookLocked(slotID, requestID, holdID string) (Event, error) {
	st, err := e.get(slotID)
	if err != nil {
		return Event{}, err
	}
	if requestID == "" {
		return Event{}, &InputError{Kind: "request", ID: requestID, Err: ErrEmptyID}
	}
	now := e.cfg.now()
	if slices.Contains(st.booked, requestID) {
		return Event{}, fmt.Errorf("booking: %q on %q: %w", requestID, slotID, ErrAlreadyBooked)
	}
	if holdID != "" {
		exp, ok := st.holds[holdID]
		if !ok || !now.Before(exp) {
			return Event{}, fmt.Errorf("booking: %s on %q: %w", holdID, slotID, ErrHoldExpired)
		}
		delete(st.holds, holdID)
		delete(e.holdSlot, holdID)
	} else if st.free(now) <= 0 {
		return Event{}, fmt.Errorf("booking: %q: %w", slotID, ErrNoCapacity)
	}
	st.booked = append(st.booked, requestID)
	e.pruneHolds(st, now)
	e.refresh(st)
	return e.event(Booked, st, requestID, holdID, now), nil
}

// Cancel removes requestID's booking from a slot and returns Cancelled and
// SlotReleased events: the place can be offered again.
func (e *Engine) Cancel(slotID, requestID string) ([]Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cancelLocked(slotID, requestID)
}

func (e *Engine) cancelLocked(slotID, requestID string) ([]Event, error) {
	st, err := e.get(slotID)
	if err != nil {
		return nil, err
	}
	k := slices.Index(st.booked, requestID)
	if k < 0 {
		return nil, fmt.Errorf("booking: %q on %q: %w", requestID, slotID, ErrNotBooked)
	}
	st.booked = slices.Delete(st.booked, k, k+1)
	e.refresh(st)
	now := e.cfg.now()
	return []Event{e.event(Cancelled, st, requestID, "", now), e.event(SlotReleased, st, "", "", now)}, nil
}

// Reschedule moves requestID from one slot to another atomically: the new
// booking is made first, and if it fails the old one stands.
func (e *Engine) Reschedule(requestID, fromSlot, toSlot, holdID string) ([]Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	from, err := e.get(fromSlot)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(from.booked, requestID) {
		return nil, fmt.Errorf("booking: %q on %q: %w", requestID, fromSlot, ErrNotBooked)
	}
	booked, err := e.bookLocked(toSlot, requestID, holdID)
	if err != nil {
		return nil, err
	}
	cancelled, err := e.cancelLocked(fromSlot, requestID)
	if err != nil {
		return nil, err // unreachable: checked above under the same lock
	}
	return append([]Event{booked}, cancelled...), nil
}

// Bookings returns the requests booked on a slot.
func (e *Engine) Bookings(slotID string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st, err := e.get(slotID)
	if err != nil {
		return nil
	}
	return slices.Clone(st.booked)
}
