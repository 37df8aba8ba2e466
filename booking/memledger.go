package booking

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// MemoryLedger is a Ledger held in one process's memory: the default for a
// single instance and for tests. One mutex serialises every change, which
// is what makes capacity exact; reads of the log copy.
type MemoryLedger struct {
	now func() time.Time

	mu        sync.Mutex
	slots     map[string]*memSlot
	order     []string // slot ids in insertion order
	bookings  map[string]*Booking
	byKey     map[string]keyRec // idempotency key -> what it first asked for
	holds     map[string]*Hold
	holdByKey map[string]string
	log       []Event
	cursors   map[string]uint64
	consuming map[string]chan struct{} // one Consume per consumer name at a time
	seq       uint64
	watchers  map[chan struct{}]struct{}
}

type keyRec struct{ booking, slot, request string }

type memSlot struct {
	Slot
	removed bool
	booked  []string // booking ids
	holds   []string // hold ids, pruned when they lapse
}

// NewMemoryLedger returns an empty ledger whose holds lapse by now
// (default time.Now).
func NewMemoryLedger(now func() time.Time) *MemoryLedger {
	if now == nil {
		now = time.Now
	}
	return &MemoryLedger{
		now:       now,
		slots:     map[string]*memSlot{},
		bookings:  map[string]*Booking{},
		byKey:     map[string]keyRec{},
		holds:     map[string]*Hold{},
		holdByKey: map[string]string{},
		cursors:   map[string]uint64{},
		consuming: map[string]chan struct{}{},
		watchers:  map[chan struct{}]struct{}{},
	}
}

var _ Ledger = (*MemoryLedger)(nil)
var _ Watcher = (*MemoryLedger)(nil)

// append numbers events, logs them and wakes watchers; called with mu held
// as the last step of a change.
func (l *MemoryLedger) append(evs []Event) []Event {
	for i := range evs {
		l.seq++
		evs[i].Seq = l.seq
	}
	l.log = append(l.log, evs...)
	for w := range l.watchers {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	return slices.Clone(evs)
}

func (l *MemoryLedger) slot(id string) (*memSlot, error) {
	s, ok := l.slots[id]
	if !ok || s.removed {
		return nil, fmt.Errorf("booking: slot %q: %w", id, ErrUnknownSlot)
	}
	return s, nil
}

// free prunes lapsed holds and returns the places left.
func (l *MemoryLedger) free(s *memSlot, now time.Time) int {
	s.holds = slices.DeleteFunc(s.holds, func(id string) bool {
		h, ok := l.holds[id]
		return !ok || !now.Before(h.Expires)
	})
	return s.capacity() - len(s.booked) - len(s.holds)
}

func (l *MemoryLedger) event(kind EventKind, s *memSlot, now time.Time, actor, reason string) Event {
	return Event{Kind: kind, SlotID: s.ID, At: now, Slot: s.Slot, Actor: actor, Reason: reason}
}

func (l *MemoryLedger) freeAfter(evs []Event, s *memSlot, now time.Time) {
	f := l.free(s, now)
	for i := range evs {
		if evs[i].SlotID == s.ID {
			evs[i].Free = f
		}
	}
}

// AddSlots implements Ledger.
func (l *MemoryLedger) AddSlots(ctx context.Context, slots ...Slot) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ValidateSlots(slots); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range slots {
		if _, ok := l.slots[slots[i].ID]; ok {
			return nil, &InputError{Kind: "slot", Index: i, ID: slots[i].ID, Err: ErrDuplicateID}
		}
	}
	now := l.now()
	evs := make([]Event, 0, len(slots))
	for i := range slots {
		s := &memSlot{Slot: slots[i]}
		s.Accessibility = slices.Clone(s.Accessibility)
		s.Tags = slices.Clone(s.Tags)
		l.slots[s.ID] = s
		l.order = append(l.order, s.ID)
		ev := l.event(SlotAdded, s, now, "", "")
		ev.Free = s.capacity()
		evs = append(evs, ev)
	}
	return l.append(evs), nil
}

// RemoveSlot implements Ledger.
func (l *MemoryLedger) RemoveSlot(ctx context.Context, slotID, actor, reason string) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.slot(slotID)
	if err != nil {
		return nil, err
	}
	now := l.now()
	var evs []Event
	for _, id := range s.booked {
		b := l.bookings[id]
		b.Status, b.Version, b.Updated = StatusCancelled, b.Version+1, now
		ev := l.event(Cancelled, s, now, actor, reason)
		ev.RequestID, ev.BookingID = b.RequestID, b.ID
		evs = append(evs, ev)
	}
	for _, id := range s.holds {
		delete(l.holds, id)
	}
	s.booked, s.holds, s.removed = nil, nil, true
	evs = append(evs, l.event(SlotRemoved, s, now, actor, reason))
	return l.append(evs), nil
}

// Hold implements Ledger.
func (l *MemoryLedger) Hold(ctx context.Context, in HoldInput) (Hold, []Event, error) {
	if err := ctx.Err(); err != nil {
		return Hold{}, nil, err
	}
	if in.TTL <= 0 {
		return Hold{}, nil, fmt.Errorf("booking: hold on %q for %v: %w", in.SlotID, in.TTL, ErrBadTTL)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if in.Key != "" {
		if id, ok := l.holdByKey[in.Key]; ok {
			h := l.holds[id]
			if h.SlotID != in.SlotID {
				return Hold{}, nil, fmt.Errorf("booking: hold key on %q: %w", in.SlotID, ErrKeyReused)
			}
			return *h, nil, nil
		}
	}
	s, err := l.slot(in.SlotID)
	if err != nil {
		return Hold{}, nil, err
	}
	now := l.now()
	if l.free(s, now) <= 0 {
		return Hold{}, nil, fmt.Errorf("booking: hold on %q: %w", in.SlotID, ErrNoCapacity)
	}
	h := &Hold{ID: "hold-" + strconv.FormatUint(l.seq+1, 10), SlotID: s.ID, Expires: now.Add(in.TTL), Key: in.Key}
	l.holds[h.ID] = h
	if in.Key != "" {
		l.holdByKey[in.Key] = h.ID
	}
	s.holds = append(s.holds, h.ID)
	ev := l.event(HoldPlaced, s, now, in.Actor, in.Reason)
	ev.HoldID, ev.Expires = h.ID, h.Expires
	evs := []Event{ev}
	l.freeAfter(evs, s, now)
	return *h, l.append(evs), nil
}

// ReleaseHold implements Ledger.
func (l *MemoryLedger) ReleaseHold(ctx context.Context, holdID string) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.holds[holdID]
	now := l.now()
	if !ok || !now.Before(h.Expires) {
		return nil, fmt.Errorf("booking: %s: %w", holdID, ErrHoldExpired)
	}
	s := l.slots[h.SlotID]
	l.dropHold(s, holdID)
	ev := l.event(HoldReleased, s, now, "", "")
	ev.HoldID = holdID
	evs := []Event{ev}
	l.freeAfter(evs, s, now)
	return l.append(evs), nil
}

// dropHold ends a hold; its key stays taken so that a retry of the offer
// that made it does not hold again.
func (l *MemoryLedger) dropHold(s *memSlot, holdID string) {
	s.holds = slices.DeleteFunc(s.holds, func(id string) bool { return id == holdID })
	if h, ok := l.holds[holdID]; ok {
		h.Expires = time.Time{}
	}
}

// take claims a place on s for a booking, from the hold or from free
// capacity.
func (l *MemoryLedger) take(s *memSlot, holdID string, now time.Time) error {
	if holdID != "" {
		h, ok := l.holds[holdID]
		if !ok || h.SlotID != s.ID || !now.Before(h.Expires) {
			return fmt.Errorf("booking: %s on %q: %w", holdID, s.ID, ErrHoldExpired)
		}
		l.dropHold(s, holdID)
		return nil
	}
	if l.free(s, now) <= 0 {
		return fmt.Errorf("booking: %q: %w", s.ID, ErrNoCapacity)
	}
	return nil
}

func (l *MemoryLedger) bookedOn(s *memSlot, requestID string) bool {
	for _, id := range s.booked {
		if l.bookings[id].RequestID == requestID {
			return true
		}
	}
	return false
}

// Book implements Ledger.
func (l *MemoryLedger) Book(ctx context.Context, in BookInput) (Booking, []Event, error) {
	if err := ctx.Err(); err != nil {
		return Booking{}, nil, err
	}
	if in.RequestID == "" {
		return Booking{}, nil, &InputError{Kind: "request", ID: in.RequestID, Err: ErrEmptyID}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if in.Key != "" {
		if k, ok := l.byKey[in.Key]; ok {
			if k.request != in.RequestID || k.slot != in.SlotID {
				return Booking{}, nil, fmt.Errorf("booking: key for %q: %w", in.SlotID, ErrKeyReused)
			}
			return *l.bookings[k.booking], nil, nil
		}
	}
	s, err := l.slot(in.SlotID)
	if err != nil {
		return Booking{}, nil, err
	}
	if l.bookedOn(s, in.RequestID) {
		return Booking{}, nil, fmt.Errorf("booking: request on %q: %w", in.SlotID, ErrAlreadyBooked)
	}
	now := l.now()
	if err := l.take(s, in.HoldID, now); err != nil {
		return Booking{}, nil, err
	}
	b := &Booking{
		ID: "bk-" + strconv.FormatUint(l.seq+1, 10), SlotID: s.ID, RequestID: in.RequestID,
		Status: StatusBooked, Version: 1, Key: in.Key, Created: now, Updated: now,
	}
	l.bookings[b.ID] = b
	if in.Key != "" {
		l.byKey[in.Key] = keyRec{booking: b.ID, slot: s.ID, request: b.RequestID}
	}
	s.booked = append(s.booked, b.ID)
	ev := l.event(Booked, s, now, in.Actor, in.Reason)
	ev.RequestID, ev.BookingID, ev.HoldID = b.RequestID, b.ID, in.HoldID
	evs := []Event{ev}
	l.freeAfter(evs, s, now)
	return *b, l.append(evs), nil
}

func (l *MemoryLedger) active(id string, ifVersion int64) (*Booking, error) {
	b, ok := l.bookings[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("booking: %q: %w", id, ErrUnknownBooking)
	case ifVersion != 0 && ifVersion != b.Version:
		return nil, fmt.Errorf("booking: %q is version %d, not %d: %w", id, b.Version, ifVersion, ErrVersionMismatch)
	case b.Status != StatusBooked:
		return nil, fmt.Errorf("booking: %q: %w", id, ErrNotActive)
	}
	return b, nil
}

// release takes booking b off slot s and returns Cancelled and
// SlotReleased events.
func (l *MemoryLedger) release(s *memSlot, b *Booking, now time.Time, actor, reason string) []Event {
	s.booked = slices.DeleteFunc(s.booked, func(id string) bool { return id == b.ID })
	c := l.event(Cancelled, s, now, actor, reason)
	c.RequestID, c.BookingID = b.RequestID, b.ID
	r := l.event(SlotReleased, s, now, actor, reason)
	return []Event{c, r}
}

// Reschedule implements Ledger.
func (l *MemoryLedger) Reschedule(ctx context.Context, in RescheduleInput) (Booking, []Event, error) {
	if err := ctx.Err(); err != nil {
		return Booking{}, nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := l.active(in.BookingID, in.IfVersion)
	if err != nil {
		return Booking{}, nil, err
	}
	if b.SlotID == in.ToSlot {
		return Booking{}, nil, fmt.Errorf("booking: %q to %q: %w", b.ID, in.ToSlot, ErrSameSlot)
	}
	to, err := l.slot(in.ToSlot)
	if err != nil {
		return Booking{}, nil, err
	}
	if l.bookedOn(to, b.RequestID) {
		return Booking{}, nil, fmt.Errorf("booking: request on %q: %w", in.ToSlot, ErrAlreadyBooked)
	}
	now := l.now()
	if err := l.take(to, in.HoldID, now); err != nil {
		return Booking{}, nil, err
	}
	from := l.slots[b.SlotID]
	to.booked = append(to.booked, b.ID)
	bk := l.event(Booked, to, now, in.Actor, in.Reason)
	bk.RequestID, bk.BookingID, bk.HoldID = b.RequestID, b.ID, in.HoldID
	evs := append([]Event{bk}, l.release(from, b, now, in.Actor, in.Reason)...)
	b.SlotID, b.Version, b.Updated = to.ID, b.Version+1, now
	l.freeAfter(evs, to, now)
	l.freeAfter(evs, from, now)
	return *b, l.append(evs), nil
}

// Cancel implements Ledger.
func (l *MemoryLedger) Cancel(ctx context.Context, in CancelInput) (Booking, []Event, error) {
	if err := ctx.Err(); err != nil {
		return Booking{}, nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := l.active(in.BookingID, in.IfVersion)
	if err != nil {
		return Booking{}, nil, err
	}
	now := l.now()
	s := l.slots[b.SlotID]
	evs := l.release(s, b, now, in.Actor, in.Reason)
	b.Status, b.Version, b.Updated = StatusCancelled, b.Version+1, now
	l.freeAfter(evs, s, now)
	return *b, l.append(evs), nil
}

// Booking implements Ledger.
func (l *MemoryLedger) Booking(ctx context.Context, id string) (Booking, error) {
	if err := ctx.Err(); err != nil {
		return Booking{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.bookings[id]
	if !ok {
		return Booking{}, fmt.Errorf("booking: %q: %w", id, ErrUnknownBooking)
	}
	return *b, nil
}

// Snapshot implements Ledger.
func (l *MemoryLedger) Snapshot(ctx context.Context) (Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	snap := Snapshot{Seq: l.seq}
	for _, id := range l.order {
		s := l.slots[id]
		if s.removed {
			continue
		}
		l.free(s, now)
		sl := s.Slot
		sl.Accessibility, sl.Tags = slices.Clone(sl.Accessibility), slices.Clone(sl.Tags)
		snap.Slots = append(snap.Slots, sl)
		if len(s.booked)+len(s.holds) == 0 {
			continue
		}
		u := SlotUsage{SlotID: id}
		for _, b := range s.booked {
			u.Booked = append(u.Booked, l.bookings[b].RequestID)
		}
		for _, h := range s.holds {
			u.Holds = append(u.Holds, *l.holds[h])
		}
		snap.Usage = append(snap.Usage, u)
	}
	return snap, nil
}

// Events implements Ledger.
func (l *MemoryLedger) Events(ctx context.Context, after uint64, limit int) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if after >= uint64(len(l.log)) {
		return nil, nil
	}
	out := l.log[after:]
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return slices.Clone(out), nil
}

// Consume implements Ledger.
func (l *MemoryLedger) Consume(ctx context.Context, consumer string, limit int, fn func(context.Context, Event) error) (int, error) {
	// Take the consumer's turn: one Consume per name at a time, as a row
	// lock on the cursor does in PostgreSQL.
	for {
		l.mu.Lock()
		busy, ok := l.consuming[consumer]
		if !ok {
			l.consuming[consumer] = make(chan struct{})
			l.mu.Unlock()
			break
		}
		l.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	defer func() {
		l.mu.Lock()
		close(l.consuming[consumer])
		delete(l.consuming, consumer)
		l.mu.Unlock()
	}()
	l.mu.Lock()
	after := l.cursors[consumer]
	l.mu.Unlock()
	evs, err := l.Events(ctx, after, limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range evs {
		if err := fn(ctx, ev); err != nil {
			return n, err
		}
		l.mu.Lock()
		l.cursors[consumer] = ev.Seq
		l.mu.Unlock()
		n++
	}
	return n, nil
}

// Watch implements Watcher.
func (l *MemoryLedger) Watch(ctx context.Context) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	l.watchers[ch] = struct{}{}
	l.mu.Unlock()
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		defer func() {
			l.mu.Lock()
			delete(l.watchers, ch)
			l.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out, nil
}
