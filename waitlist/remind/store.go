package remind

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// Errors of a Store.
var (
	// ErrNotFound: no reminder has that id.
	ErrNotFound = errors.New("remind: no such reminder")
	// ErrLeaseLost: the caller's claim on the reminder ended (its lease
	// expired and another instance claimed it, or it was cancelled), so
	// the outcome was not recorded.
	ErrLeaseLost = errors.New("remind: lease lost")
)

// Outcome is the result of sending a claimed reminder.
type Outcome struct {
	// Status is Sent, Failed, Skipped, or Scheduled to try again at
	// RetryAt.
	Status    Status
	MessageID string
	RetryAt   time.Time
	Error     string
	At        time.Time
}

// Store keeps reminders durably. Every method is atomic; implementations
// shared by several instances (waitlist/remind/pgstore) keep these
// promises across them. remindtest checks an implementation.
type Store interface {
	// Replace makes rs the scheduled reminders of the appointment: its
	// scheduled reminders not in rs (by ID) are cancelled, those in rs
	// already stored keep their state (a cancelled one is scheduled
	// again, as rs gives it: an appointment moved back to its first
	// time), and the others are added.
	Replace(ctx context.Context, appointmentID string, rs []Reminder, now time.Time) error
	// CancelAppointment cancels the appointment's scheduled reminders,
	// claimed ones included, and returns how many.
	CancelAppointment(ctx context.Context, appointmentID string, now time.Time) (int, error)
	// Claim leases to owner, until now+lease, up to limit scheduled
	// reminders due at now that no live lease holds, earliest due first,
	// and counts an attempt on each. One reminder is leased to one owner
	// at a time.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Reminder, error)
	// Finish records the outcome of a reminder owner has claimed and
	// ends the lease. It is ErrLeaseLost, and changes nothing, when the
	// lease expired before now, another owner holds the reminder, or it is
	// no longer scheduled; except that a Sent outcome is always recorded
	// (the message went, whatever happened meanwhile).
	Finish(ctx context.Context, id, owner string, out Outcome) error
	// Get returns one reminder (ErrNotFound).
	Get(ctx context.Context, id string) (Reminder, error)
	// List returns the appointment's reminders, earliest due first.
	List(ctx context.Context, appointmentID string) ([]Reminder, error)
}

// MemoryStore is a Store in memory, for one process. The zero value is
// not usable; call NewMemoryStore.
type MemoryStore struct {
	mu sync.Mutex
	rs map[string]*Reminder
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{rs: map[string]*Reminder{}} }

func clone(r *Reminder) Reminder {
	c := *r
	c.Personalisation = maps.Clone(r.Personalisation)
	return c
}

// Replace implements Store.
func (m *MemoryStore) Replace(ctx context.Context, appointmentID string, rs []Reminder, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := map[string]bool{}
	for _, r := range rs {
		keep[r.ID] = true
		if old, ok := m.rs[r.ID]; ok && old.Status != Cancelled {
			continue
		}
		c := clone(&r)
		c.AppointmentID, c.Status, c.Updated = appointmentID, Scheduled, now
		c.Attempts, c.Owner, c.LeaseUntil = 0, "", time.Time{}
		m.rs[r.ID] = &c
	}
	for _, r := range m.rs {
		if r.AppointmentID == appointmentID && r.Status == Scheduled && !keep[r.ID] {
			r.Status, r.Updated, r.Owner, r.LeaseUntil = Cancelled, now, "", time.Time{}
		}
	}
	return nil
}

// CancelAppointment implements Store.
func (m *MemoryStore) CancelAppointment(ctx context.Context, appointmentID string, now time.Time) (int, error) {
	return m.cancel(ctx, appointmentID, now)
}

func (m *MemoryStore) cancel(ctx context.Context, appointmentID string, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.rs {
		if r.AppointmentID == appointmentID && r.Status == Scheduled {
			r.Status, r.Updated, r.Owner, r.LeaseUntil = Cancelled, now, "", time.Time{}
			n++
		}
	}
	return n, nil
}

// Claim implements Store.
func (m *MemoryStore) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Reminder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []*Reminder
	for _, r := range m.rs {
		if r.Status == Scheduled && !r.Due.After(now) && !r.LeaseUntil.After(now) {
			due = append(due, r)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].Due.Equal(due[j].Due) {
			return due[i].Due.Before(due[j].Due)
		}
		return due[i].ID < due[j].ID
	})
	if len(due) > limit {
		due = due[:limit]
	}
	out := make([]Reminder, len(due))
	for i, r := range due {
		r.Owner, r.LeaseUntil, r.Attempts, r.Updated = owner, now.Add(lease), r.Attempts+1, now
		out[i] = clone(r)
	}
	return out, nil
}

// Finish implements Store.
func (m *MemoryStore) Finish(ctx context.Context, id, owner string, out Outcome) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rs[id]
	if !ok {
		return ErrNotFound
	}
	if out.Status != Sent && (r.Owner != owner || r.Status != Scheduled || r.LeaseUntil.Before(out.At)) {
		return ErrLeaseLost
	}
	r.Status, r.MessageID, r.LastError, r.Updated = out.Status, out.MessageID, out.Error, out.At
	r.Owner, r.LeaseUntil = "", time.Time{}
	if out.Status == Scheduled {
		r.Due = out.RetryAt
	}
	return nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, id string) (Reminder, error) {
	if err := ctx.Err(); err != nil {
		return Reminder{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rs[id]
	if !ok {
		return Reminder{}, ErrNotFound
	}
	return clone(r), nil
}

// List implements Store.
func (m *MemoryStore) List(ctx context.Context, appointmentID string) ([]Reminder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Reminder
	for _, r := range m.rs {
		if r.AppointmentID == appointmentID {
			out = append(out, clone(r))
		}
	}
	slices.SortFunc(out, func(a, b Reminder) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return cmpString(a.ID, b.ID)
	})
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
