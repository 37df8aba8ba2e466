package booking

import (
	"context"
	"errors"
	"time"
)

// Ledger is the shared record of slots, holds and bookings. Every service
// instance that books writes through one Ledger, and the Ledger alone
// decides whether a place is free, so a slot is never booked beyond its
// capacity whatever the interleaving of instances. Engines keep a read-only
// view of it for Match and Assign (see [Engine.Apply] and [Follow]).
//
// Every change appends events to the ledger's log in the same atomic step
// as the change itself, numbered 1, 2, 3, … without gaps in commit order
// ([Event.Seq]), so a reader of [Ledger.Events] never misses one. A method
// that fails changes nothing and appends nothing.
//
// Implementations: [MemoryLedger] (one process) and
// github.com/nhskit/nhskit/booking/pgstore (PostgreSQL, many processes).
// Both pass the same conformance tests.
type Ledger interface {
	// AddSlots puts new slots in; each must be valid (ValidateSlots) and
	// have an id not yet in the ledger (ErrDuplicateID).
	AddSlots(ctx context.Context, slots ...Slot) ([]Event, error)
	// RemoveSlot takes a slot out: its bookings are cancelled (one
	// Cancelled event each) and its holds dropped.
	RemoveSlot(ctx context.Context, slotID string, actor, reason string) ([]Event, error)

	// Hold reserves one place on a slot until ttl from now (ttl must be
	// positive: ErrBadTTL). A hold with a Key already used returns the
	// first hold and no events, so a retried offer holds one place.
	Hold(ctx context.Context, in HoldInput) (Hold, []Event, error)
	// ReleaseHold gives a held place back before it lapses
	// (ErrHoldExpired when it already has or never existed).
	ReleaseHold(ctx context.Context, holdID string) ([]Event, error)

	// Book books a request onto a slot, using a hold when HoldID is set
	// (the hold must be live and on that slot). A Book with a Key already
	// used for the same slot and request returns the first booking and no
	// events; with another slot or request it is ErrKeyReused.
	Book(ctx context.Context, in BookInput) (Booking, []Event, error)
	// Reschedule moves a booking to another slot atomically: either both
	// the new place is taken and the old one released, or nothing changes.
	// The booking keeps its id and its Version grows.
	Reschedule(ctx context.Context, in RescheduleInput) (Booking, []Event, error)
	// Cancel cancels a booking; the events are Cancelled then SlotReleased
	// (the place a waiting list may offer).
	Cancel(ctx context.Context, in CancelInput) (Booking, []Event, error)

	// Booking returns one booking by id (ErrUnknownBooking).
	Booking(ctx context.Context, id string) (Booking, error)
	// Snapshot returns every slot and its live holds and bookings, and
	// the sequence number of the last event they include.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Events returns up to limit events with Seq > after, in order.
	Events(ctx context.Context, after uint64, limit int) ([]Event, error)
	// Consume hands the events after the named consumer's cursor to fn, in
	// order, and moves the cursor past each event fn accepts. Consumers of
	// the same name on many instances take turns, so each event goes to
	// one of them; an event whose fn failed, or whose cursor move was lost
	// with a crash, is handed out again, so fn must be idempotent by
	// Event.Seq (a Hold keyed by it is). Consume returns how many events
	// were accepted.
	Consume(ctx context.Context, consumer string, limit int, fn func(context.Context, Event) error) (int, error)
}

// Watcher is implemented by ledgers that can say when their log grows, so
// that followers need not poll often. Each receive on the channel means
// "there may be new events"; the channel closes when ctx ends.
type Watcher interface {
	Watch(ctx context.Context) (<-chan struct{}, error)
}

// HoldInput asks for a hold.
type HoldInput struct {
	SlotID string
	TTL    time.Duration
	// Key makes the hold idempotent (empty: none).
	Key    string
	Actor  string
	Reason string
}

// Hold is one held place.
type Hold struct {
	ID      string
	SlotID  string
	Expires time.Time
	Key     string
}

// BookInput asks for a booking.
type BookInput struct {
	SlotID    string
	RequestID string // who the place is for; opaque to the ledger
	HoldID    string // optional: book the place this hold keeps
	// Key makes Book idempotent across retries and instances (empty: none).
	Key    string
	Actor  string // who asked, for the audit trail
	Reason string
}

// RescheduleInput asks to move a booking.
type RescheduleInput struct {
	BookingID string
	ToSlot    string
	HoldID    string // optional, on ToSlot
	// IfVersion, when not 0, must equal the booking's Version
	// (ErrVersionMismatch otherwise): optimistic concurrency for If-Match.
	IfVersion int64
	Actor     string
	Reason    string
}

// CancelInput asks to cancel a booking.
type CancelInput struct {
	BookingID string
	IfVersion int64 // as in RescheduleInput
	Actor     string
	Reason    string
}

// BookingStatus is where a booking stands.
type BookingStatus string

// Booking statuses.
const (
	StatusBooked    BookingStatus = "booked"
	StatusCancelled BookingStatus = "cancelled"
)

// Booking is one appointment in a ledger.
type Booking struct {
	ID        string
	SlotID    string
	RequestID string
	Status    BookingStatus
	// Version starts at 1 and grows by one with every change (an ETag).
	Version int64
	Key     string // the idempotency key it was made with
	Created time.Time
	Updated time.Time
}

// SlotUsage is what is taken on one slot.
type SlotUsage struct {
	SlotID string
	Booked []string // request ids
	Holds  []Hold   // live holds only
}

// Snapshot is a ledger's state at one point of its log.
type Snapshot struct {
	Seq   uint64
	Slots []Slot
	Usage []SlotUsage // slots with bookings or holds
}

// Ledger errors, besides ErrUnknownSlot, ErrNoCapacity, ErrHoldExpired,
// ErrAlreadyBooked and ErrDuplicateID.
var (
	ErrBadTTL          = errors.New("hold ttl must be positive")
	ErrUnknownBooking  = errors.New("unknown booking")
	ErrVersionMismatch = errors.New("booking version does not match")
	ErrKeyReused       = errors.New("idempotency key already used for another request")
	ErrNotActive       = errors.New("booking is cancelled")
	ErrSameSlot        = errors.New("booking is already on that slot")
	ErrGap             = errors.New("events are not contiguous with the engine's view")
)
