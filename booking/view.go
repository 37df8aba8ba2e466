package booking

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Seq is the sequence number of the last ledger event the engine has
// applied (0 before any).
func (e *Engine) Seq() uint64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.seq
}

// Load replaces the engine's slots, holds and bookings with a ledger's
// snapshot, so that Match and Assign see the ledger's availability.
func (e *Engine) Load(snap Snapshot) {
	fresh := NewEngine(snap.Slots)
	for _, u := range snap.Usage {
		i, ok := fresh.byID[u.SlotID]
		if !ok {
			continue
		}
		st := fresh.slots[i]
		st.booked = slices.Clone(u.Booked)
		for _, h := range u.Holds {
			if st.holds == nil {
				st.holds = map[string]time.Time{}
			}
			st.holds[h.ID] = h.Expires
			fresh.holdSlot[h.ID] = i
		}
		fresh.refresh(st)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.slots, e.byID, e.byService = fresh.slots, fresh.byID, fresh.byService
	e.positions, e.posIndex, e.holdSlot = fresh.positions, fresh.posIndex, fresh.holdSlot
	e.seq = snap.Seq
}

// Apply brings the engine's view up to date with ledger events, which must
// follow on from Seq without a gap (ErrGap otherwise: Load a snapshot
// instead). Events already applied are skipped, so overlapping reads of
// the log are harmless.
func (e *Engine) Apply(events ...Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range events {
		ev := &events[i]
		if ev.Seq <= e.seq {
			continue
		}
		if ev.Seq != e.seq+1 {
			return fmt.Errorf("booking: event %d after %d: %w", ev.Seq, e.seq, ErrGap)
		}
		e.applyLocked(ev)
		e.seq = ev.Seq
	}
	return nil
}

func (e *Engine) applyLocked(ev *Event) {
	if ev.Kind == SlotAdded {
		if _, ok := e.byID[ev.SlotID]; ok || checkSlot(&ev.Slot) != nil {
			return
		}
		st := &slotState{Slot: ev.Slot}
		pos := int32(len(e.slots))
		e.slots = append(e.slots, st)
		e.byID[st.ID] = int(pos)
		idx := e.byService[st.Service]
		en := e.newEntry(st, pos)
		at, _ := slices.BinarySearchFunc(idx, en.start, func(x entry, t int64) int {
			if x.start > t {
				return 1
			}
			return -1
		})
		e.byService[st.Service] = slices.Insert(idx, at, en)
		return
	}
	i, ok := e.byID[ev.SlotID]
	if !ok {
		return
	}
	st := e.slots[i]
	switch ev.Kind {
	case SlotRemoved:
		if k := e.entryIndex(st); k >= 0 {
			e.byService[st.Service] = slices.Delete(e.byService[st.Service], k, k+1)
		}
		for h := range st.holds {
			delete(e.holdSlot, h)
		}
		st.booked, st.holds, st.removed = nil, nil, true
		delete(e.byID, st.ID)
		return
	case HoldPlaced:
		if st.holds == nil {
			st.holds = map[string]time.Time{}
		}
		st.holds[ev.HoldID] = ev.Expires
		e.holdSlot[ev.HoldID] = i
	case HoldReleased:
		delete(st.holds, ev.HoldID)
		delete(e.holdSlot, ev.HoldID)
	case Booked:
		if ev.HoldID != "" {
			delete(st.holds, ev.HoldID)
			delete(e.holdSlot, ev.HoldID)
		}
		st.booked = append(st.booked, ev.RequestID)
	case Cancelled:
		if k := slices.Index(st.booked, ev.RequestID); k >= 0 {
			st.booked = slices.Delete(st.booked, k, k+1)
		}
	}
	e.pruneHolds(st, e.cfg.now())
	e.refresh(st)
}

// Sync reads the ledger's log from the engine's Seq and applies it, loading
// a snapshot first when the engine has seen nothing or fell behind a gap.
func (e *Engine) Sync(ctx context.Context, l Ledger) error {
	if e.Seq() == 0 {
		snap, err := l.Snapshot(ctx)
		if err != nil {
			return err
		}
		e.Load(snap)
	}
	for {
		evs, err := l.Events(ctx, e.Seq(), 1000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		if err := e.Apply(evs...); err != nil {
			snap, serr := l.Snapshot(ctx)
			if serr != nil {
				return serr
			}
			e.Load(snap)
		}
	}
}

// Follow keeps e in step with l until ctx ends: it syncs at once, then
// whenever the ledger says it changed (when it is a Watcher) and at least
// every poll (default one second). Errors (a ledger briefly unreachable)
// go to onErr, when set, and the next round tries again; Follow returns
// ctx's error.
func Follow(ctx context.Context, l Ledger, e *Engine, poll time.Duration, onErr func(error)) error {
	if poll <= 0 {
		poll = time.Second
	}
	var wake <-chan struct{}
	if w, ok := l.(Watcher); ok {
		if ch, err := w.Watch(ctx); err == nil {
			wake = ch
		} else if onErr != nil {
			onErr(err)
		}
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := e.Sync(ctx, l); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case _, ok := <-wake:
			if !ok {
				wake = nil
			}
		}
	}
}
