package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhskit/nhskit/booking"
)

// Channel is the NOTIFY channel a commit signals, with its last sequence
// number as the payload.
const Channel = "nhskit_booking"

// migrations are applied in order, once each, and recorded in
// ledger_migrations; a released migration is never edited, only followed
// by a new one.
var migrations = [][]string{
	1: {
		`CREATE TABLE ledger_slots (
			id       text PRIMARY KEY CHECK (id <> ''),
			service  text NOT NULL CHECK (service <> ''),
			start_at timestamptz NOT NULL,
			end_at   timestamptz NOT NULL CHECK (end_at > start_at),
			capacity int NOT NULL CHECK (capacity >= 1),
			booked   int NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
			removed  boolean NOT NULL DEFAULT false,
			data     jsonb NOT NULL
		)`,
		`CREATE TABLE ledger_holds (
			id         text PRIMARY KEY,
			slot_id    text NOT NULL REFERENCES ledger_slots (id),
			expires_at timestamptz NOT NULL,
			released   boolean NOT NULL DEFAULT false,
			key        text UNIQUE
		)`,
		`CREATE INDEX ledger_holds_live ON ledger_holds (slot_id, expires_at) WHERE NOT released`,
		`CREATE TABLE ledger_bookings (
			id         text PRIMARY KEY,
			slot_id    text NOT NULL REFERENCES ledger_slots (id),
			request_id text NOT NULL CHECK (request_id <> ''),
			status     text NOT NULL CHECK (status IN ('booked', 'cancelled')),
			version    bigint NOT NULL CHECK (version >= 1),
			key        text UNIQUE,
			key_slot   text,
			created    timestamptz NOT NULL,
			updated    timestamptz NOT NULL
		)`,
		// A request is booked on a slot at most once.
		`CREATE UNIQUE INDEX ledger_bookings_once ON ledger_bookings (slot_id, request_id) WHERE status = 'booked'`,
		`CREATE TABLE ledger_seq (
			one  boolean PRIMARY KEY DEFAULT true CHECK (one),
			last bigint NOT NULL CHECK (last >= 0)
		)`,
		`INSERT INTO ledger_seq (one, last) VALUES (true, 0)`,
		`CREATE TABLE ledger_events (
			seq  bigint PRIMARY KEY CHECK (seq >= 1),
			data jsonb NOT NULL
		)`,
		`CREATE TABLE ledger_consumers (
			name   text PRIMARY KEY,
			cursor bigint NOT NULL DEFAULT 0
		)`,
	},
}

// Ledger is a booking.Ledger on PostgreSQL. It is safe for concurrent use,
// and any number of Ledgers (in one process or many) may share a database.
type Ledger struct {
	pool  *pgxpool.Pool
	owned bool
	// retries bounds the re-runs of a transaction PostgreSQL aborted for a
	// deadlock or a serialisation failure.
	retries int
}

var (
	_ booking.Ledger  = (*Ledger)(nil)
	_ booking.Watcher = (*Ledger)(nil)
)

// Open connects to dsn (pool settings such as pool_max_conns go in it) and
// applies the migrations the database lacks.
func Open(ctx context.Context, dsn string) (*Ledger, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connecting: %w", err)
	}
	l, err := OpenPool(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	l.owned = true
	return l, nil
}

// OpenPool uses a pool the caller made (and closes), applying the
// migrations the database lacks. The pool needs at least two connections
// when Consume's callback books through the same Ledger.
func OpenPool(ctx context.Context, pool *pgxpool.Pool) (*Ledger, error) {
	l := &Ledger{pool: pool, retries: 8}
	if err := l.migrate(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Close closes the pool when Open made it.
func (l *Ledger) Close() {
	if l.owned {
		l.pool.Close()
	}
}

// Version is the number of the last migration.
func Version() int { return len(migrations) - 1 }

func (l *Ledger) migrate(ctx context.Context) error {
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// One migrator at a time across instances.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('nhskit_booking_migrate'))`); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ledger_migrations (n int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(n), 0) FROM ledger_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if have > Version() {
		return fmt.Errorf("pgstore: database schema is version %d, this code knows %d", have, Version())
	}
	for n := have + 1; n <= Version(); n++ {
		for i, stmt := range migrations[n] {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("pgstore: migration %d statement %d: %w", n, i+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_migrations (n) VALUES ($1)`, n); err != nil {
			return fmt.Errorf("pgstore: migration %d: %w", n, err)
		}
	}
	return tx.Commit(ctx)
}

// Reset empties the ledger (for tests and demonstrations).
func (l *Ledger) Reset(ctx context.Context) error {
	_, err := l.pool.Exec(ctx, `TRUNCATE ledger_events, ledger_consumers, ledger_holds, ledger_bookings, ledger_slots`)
	if err == nil {
		_, err = l.pool.Exec(ctx, `UPDATE ledger_seq SET last = 0`)
	}
	if err != nil {
		return fmt.Errorf("pgstore: reset: %w", err)
	}
	return nil
}

func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// errNUL is what PostgreSQL's text type cannot hold.
var errNUL = errors.New("contains a NUL byte")

// checkText refuses ids and keys PostgreSQL text cannot store, as input
// errors rather than database failures.
func checkText(kind string, vals ...string) error {
	for _, v := range vals {
		if strings.IndexByte(v, 0) >= 0 {
			return &booking.InputError{Kind: kind, Err: errNUL} // the value may be free text: not echoed
		}
	}
	return nil
}

// errReplay ends a transaction whose idempotency key turned out to be
// taken by a concurrent twin: the caller reads what the twin did.
var errReplay = errors.New("pgstore: idempotency key taken concurrently")

// change is one write transaction's working state.
type change struct {
	tx     pgx.Tx
	now    time.Time
	events []booking.Event
}

// run executes fn in a transaction that ends by numbering and storing
// fn's events and signalling listeners, retrying when PostgreSQL aborts it
// for a deadlock or serialisation failure.
func (l *Ledger) run(ctx context.Context, fn func(c *change) error) ([]booking.Event, error) {
	for attempt := 0; ; attempt++ {
		evs, err := l.runOnce(ctx, fn)
		code := pgCode(err)
		if (code == "40P01" || code == "40001") && attempt < l.retries && ctx.Err() == nil {
			continue
		}
		return evs, err
	}
}

func (l *Ledger) runOnce(ctx context.Context, fn func(c *change) error) ([]booking.Event, error) {
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	c := &change{tx: tx}
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&c.now); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := fn(c); err != nil {
		return nil, err
	}
	if len(c.events) > 0 {
		// The sequence row is locked last and held to commit, so numbers
		// are handed out in commit order with no gaps: a rolled-back
		// transaction never took one that a later commit skips. Numbering,
		// storing and signalling are one statement, so the lock is held
		// for that round trip and the commit only.
		data := make([]string, len(c.events))
		for i := range c.events {
			b, err := json.Marshal(&c.events[i])
			if err != nil {
				return nil, fmt.Errorf("pgstore: encoding event: %w", err)
			}
			data[i] = string(b)
		}
		var last uint64
		var stored int
		err := tx.QueryRow(ctx, `WITH s AS (UPDATE ledger_seq SET last = last + $1 RETURNING last),
			ins AS (INSERT INTO ledger_events (seq, data)
				SELECT s.last - $1 + t.ord, t.data FROM s, unnest($2::jsonb[]) WITH ORDINALITY AS t(data, ord) RETURNING 1)
			SELECT s.last, (SELECT count(*) FROM ins), pg_notify($3, s.last::text) FROM s`,
			len(c.events), data, Channel).Scan(&last, &stored, nil)
		if err != nil {
			return nil, fmt.Errorf("pgstore: storing events: %w", err)
		}
		if stored != len(c.events) {
			return nil, fmt.Errorf("pgstore: stored %d of %d events", stored, len(c.events))
		}
		first := last - uint64(len(c.events)) + 1
		for i := range c.events {
			c.events[i].Seq = first + uint64(i)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("pgstore: commit: %w", err)
	}
	return c.events, nil
}

// slotRow is a slot locked for the rest of the transaction.
type slotRow struct {
	slot     booking.Slot
	capacity int
	booked   int
	held     int  // live holds, when known
	heldOK   bool // held was counted in this transaction and kept up to date
}

// lock takes a slot's row lock: every change of a slot's bookings or holds
// goes through it, so they are serialised per slot while different slots
// proceed in parallel.
func (c *change) lock(ctx context.Context, id string) (*slotRow, error) {
	var r slotRow
	var data []byte
	var removed bool
	err := c.tx.QueryRow(ctx, `SELECT data, capacity, booked, removed FROM ledger_slots WHERE id = $1 FOR UPDATE`, id).
		Scan(&data, &r.capacity, &r.booked, &removed)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && removed) {
		return nil, fmt.Errorf("booking: slot %q: %w", id, booking.ErrUnknownSlot)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: slot %q: %w", id, err)
	}
	if err := json.Unmarshal(data, &r.slot); err != nil {
		return nil, fmt.Errorf("pgstore: slot %q: decoding: %w", id, err)
	}
	return &r, nil
}

// free is the places left on a locked slot: capacity less bookings and
// live holds.
func (c *change) free(ctx context.Context, r *slotRow) (int, error) {
	if !r.heldOK {
		if err := c.tx.QueryRow(ctx, `SELECT count(*) FROM ledger_holds WHERE slot_id = $1 AND NOT released AND expires_at > $2`, r.slot.ID, c.now).Scan(&r.held); err != nil {
			return 0, fmt.Errorf("pgstore: counting holds: %w", err)
		}
		r.heldOK = true
	}
	return r.capacity - r.booked - r.held, nil
}

func (c *change) event(kind booking.EventKind, r *slotRow, actor, reason string) *booking.Event {
	c.events = append(c.events, booking.Event{Kind: kind, SlotID: r.slot.ID, At: c.now, Slot: r.slot, Actor: actor, Reason: reason})
	return &c.events[len(c.events)-1]
}

// settle sets Free on the events about r after the change.
func (c *change) settle(ctx context.Context, r *slotRow) error {
	f, err := c.free(ctx, r)
	if err != nil {
		return err
	}
	for i := range c.events {
		if c.events[i].SlotID == r.slot.ID {
			c.events[i].Free = f
		}
	}
	return nil
}

func capacity(s *booking.Slot) int {
	if s.Capacity == 0 {
		return 1
	}
	return s.Capacity
}

// AddSlots implements booking.Ledger.
func (l *Ledger) AddSlots(ctx context.Context, slots ...booking.Slot) ([]booking.Event, error) {
	if err := booking.ValidateSlots(slots); err != nil {
		return nil, err
	}
	return l.run(ctx, func(c *change) error {
		for i := range slots {
			s := slots[i]
			data, err := json.Marshal(&s)
			if err != nil {
				return fmt.Errorf("pgstore: encoding slot %q: %w", s.ID, err)
			}
			tag, err := c.tx.Exec(ctx, `INSERT INTO ledger_slots (id, service, start_at, end_at, capacity, data)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
				s.ID, s.Service, s.Start, s.End, capacity(&s), data)
			if err != nil {
				return fmt.Errorf("pgstore: adding slot %q: %w", s.ID, err)
			}
			if tag.RowsAffected() == 0 {
				return &booking.InputError{Kind: "slot", Index: i, ID: s.ID, Err: booking.ErrDuplicateID}
			}
			ev := c.event(booking.SlotAdded, &slotRow{slot: s}, "", "")
			ev.Free = capacity(&s)
		}
		return nil
	})
}

// RemoveSlot implements booking.Ledger.
func (l *Ledger) RemoveSlot(ctx context.Context, slotID, actor, reason string) ([]booking.Event, error) {
	return l.run(ctx, func(c *change) error {
		r, err := c.lock(ctx, slotID)
		if err != nil {
			return err
		}
		rows, err := c.tx.Query(ctx, `UPDATE ledger_bookings SET status = 'cancelled', version = version + 1, updated = $2
			WHERE slot_id = $1 AND status = 'booked' RETURNING id, request_id`, slotID, c.now)
		if err != nil {
			return fmt.Errorf("pgstore: removing slot %q: %w", slotID, err)
		}
		type cancelled struct{ id, req string }
		gone, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (cancelled, error) {
			var x cancelled
			return x, row.Scan(&x.id, &x.req)
		})
		if err != nil {
			return fmt.Errorf("pgstore: removing slot %q: %w", slotID, err)
		}
		slices.SortFunc(gone, func(a, b cancelled) int { return compare(a.id, b.id) })
		for _, g := range gone {
			ev := c.event(booking.Cancelled, r, actor, reason)
			ev.BookingID, ev.RequestID = g.id, g.req
		}
		if _, err := c.tx.Exec(ctx, `UPDATE ledger_holds SET released = true WHERE slot_id = $1 AND NOT released`, slotID); err != nil {
			return fmt.Errorf("pgstore: removing slot %q: %w", slotID, err)
		}
		if _, err := c.tx.Exec(ctx, `UPDATE ledger_slots SET removed = true, booked = 0 WHERE id = $1`, slotID); err != nil {
			return fmt.Errorf("pgstore: removing slot %q: %w", slotID, err)
		}
		c.event(booking.SlotRemoved, r, actor, reason)
		return nil
	})
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (l *Ledger) holdByKey(ctx context.Context, key string) (booking.Hold, bool, error) {
	h := booking.Hold{Key: key}
	err := l.pool.QueryRow(ctx, `SELECT id, slot_id, expires_at, released FROM ledger_holds WHERE key = $1`, key).
		Scan(&h.ID, &h.SlotID, &h.Expires, new(bool))
	if errors.Is(err, pgx.ErrNoRows) {
		return booking.Hold{}, false, nil
	}
	if err != nil {
		return booking.Hold{}, false, fmt.Errorf("pgstore: hold key: %w", err)
	}
	return h, true, nil
}

// Hold implements booking.Ledger.
func (l *Ledger) Hold(ctx context.Context, in booking.HoldInput) (booking.Hold, []booking.Event, error) {
	if in.TTL <= 0 {
		return booking.Hold{}, nil, fmt.Errorf("booking: hold on %q for %v: %w", in.SlotID, in.TTL, booking.ErrBadTTL)
	}
	if err := checkText("hold", in.SlotID, in.Key, in.Actor, in.Reason); err != nil {
		return booking.Hold{}, nil, err
	}
	replay := func() (booking.Hold, []booking.Event, error) {
		h, ok, err := l.holdByKey(ctx, in.Key)
		if err != nil || !ok {
			return booking.Hold{}, nil, err
		}
		if h.SlotID != in.SlotID {
			return booking.Hold{}, nil, fmt.Errorf("booking: hold key on %q: %w", in.SlotID, booking.ErrKeyReused)
		}
		return h, nil, nil
	}
	if in.Key != "" {
		if h, evs, err := replay(); err != nil || h.ID != "" {
			return h, evs, err
		}
	}
	var h booking.Hold
	evs, err := l.run(ctx, func(c *change) error {
		r, err := c.lock(ctx, in.SlotID)
		if err != nil {
			return err
		}
		f, err := c.free(ctx, r)
		if err != nil {
			return err
		}
		if f <= 0 {
			return fmt.Errorf("booking: hold on %q: %w", in.SlotID, booking.ErrNoCapacity)
		}
		h = booking.Hold{ID: newID("hold-"), SlotID: in.SlotID, Expires: c.now.Add(in.TTL), Key: in.Key}
		var key any
		if in.Key != "" {
			key = in.Key
		}
		if _, err := c.tx.Exec(ctx, `INSERT INTO ledger_holds (id, slot_id, expires_at, key) VALUES ($1, $2, $3, $4)`, h.ID, h.SlotID, h.Expires, key); err != nil {
			if pgCode(err) == "23505" {
				return errReplay
			}
			return fmt.Errorf("pgstore: hold on %q: %w", in.SlotID, err)
		}
		r.held++
		ev := c.event(booking.HoldPlaced, r, in.Actor, in.Reason)
		ev.HoldID, ev.Expires = h.ID, h.Expires
		return c.settle(ctx, r)
	})
	if errors.Is(err, errReplay) {
		return replay()
	}
	if err != nil {
		return booking.Hold{}, nil, err
	}
	return h, evs, nil
}

// ReleaseHold implements booking.Ledger.
func (l *Ledger) ReleaseHold(ctx context.Context, holdID string) ([]booking.Event, error) {
	var slotID string
	err := l.pool.QueryRow(ctx, `SELECT slot_id FROM ledger_holds WHERE id = $1`, holdID).Scan(&slotID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("booking: %s: %w", holdID, booking.ErrHoldExpired)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: hold %s: %w", holdID, err)
	}
	return l.run(ctx, func(c *change) error {
		r, err := c.lock(ctx, slotID)
		if err != nil {
			if errors.Is(err, booking.ErrUnknownSlot) {
				return fmt.Errorf("booking: %s: %w", holdID, booking.ErrHoldExpired)
			}
			return err
		}
		tag, err := c.tx.Exec(ctx, `UPDATE ledger_holds SET released = true WHERE id = $1 AND NOT released AND expires_at > $2`, holdID, c.now)
		if err != nil {
			return fmt.Errorf("pgstore: hold %s: %w", holdID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("booking: %s: %w", holdID, booking.ErrHoldExpired)
		}
		r.heldOK = false
		c.event(booking.HoldReleased, r, "", "").HoldID = holdID
		return c.settle(ctx, r)
	})
}

// take claims a place on a locked slot, from a hold or from free capacity,
// and counts it as booked (the CHECK on booked is the last guard).
func (c *change) take(ctx context.Context, r *slotRow, holdID string) error {
	if holdID != "" {
		tag, err := c.tx.Exec(ctx, `UPDATE ledger_holds SET released = true WHERE id = $1 AND slot_id = $2 AND NOT released AND expires_at > $3`, holdID, r.slot.ID, c.now)
		if err != nil {
			return fmt.Errorf("pgstore: hold %s: %w", holdID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("booking: %s on %q: %w", holdID, r.slot.ID, booking.ErrHoldExpired)
		}
		r.heldOK = false
	} else {
		f, err := c.free(ctx, r)
		if err != nil {
			return err
		}
		if f <= 0 {
			return fmt.Errorf("booking: %q: %w", r.slot.ID, booking.ErrNoCapacity)
		}
	}
	if _, err := c.tx.Exec(ctx, `UPDATE ledger_slots SET booked = booked + 1 WHERE id = $1`, r.slot.ID); err != nil {
		if pgCode(err) == "23514" {
			return fmt.Errorf("booking: %q: %w", r.slot.ID, booking.ErrNoCapacity)
		}
		return fmt.Errorf("pgstore: booking %q: %w", r.slot.ID, err)
	}
	r.booked++
	return nil
}

func (c *change) bookedOn(ctx context.Context, slotID, requestID string) (bool, error) {
	var n int
	if err := c.tx.QueryRow(ctx, `SELECT count(*) FROM ledger_bookings WHERE slot_id = $1 AND request_id = $2 AND status = 'booked'`, slotID, requestID).Scan(&n); err != nil {
		return false, fmt.Errorf("pgstore: %w", err)
	}
	return n > 0, nil
}

const bookingCols = `id, slot_id, request_id, status, version, coalesce(key, ''), created, updated`

func scanBooking(row pgx.Row) (booking.Booking, error) {
	var b booking.Booking
	var status string
	err := row.Scan(&b.ID, &b.SlotID, &b.RequestID, &status, &b.Version, &b.Key, &b.Created, &b.Updated)
	b.Status = booking.BookingStatus(status)
	return b, err
}

// Book implements booking.Ledger.
func (l *Ledger) Book(ctx context.Context, in booking.BookInput) (booking.Booking, []booking.Event, error) {
	if in.RequestID == "" {
		return booking.Booking{}, nil, &booking.InputError{Kind: "request", ID: in.RequestID, Err: booking.ErrEmptyID}
	}
	if err := checkText("request", in.SlotID, in.RequestID, in.HoldID, in.Key, in.Actor, in.Reason); err != nil {
		return booking.Booking{}, nil, err
	}
	replay := func() (booking.Booking, bool, error) {
		var b booking.Booking
		var status, keySlot string
		err := l.pool.QueryRow(ctx, `SELECT id, slot_id, request_id, status, version, key, key_slot, created, updated
			FROM ledger_bookings WHERE key = $1`, in.Key).
			Scan(&b.ID, &b.SlotID, &b.RequestID, &status, &b.Version, &b.Key, &keySlot, &b.Created, &b.Updated)
		b.Status = booking.BookingStatus(status)
		if errors.Is(err, pgx.ErrNoRows) {
			return booking.Booking{}, false, nil
		}
		if err != nil {
			return booking.Booking{}, false, fmt.Errorf("pgstore: idempotency key: %w", err)
		}
		if keySlot != in.SlotID || b.RequestID != in.RequestID {
			return booking.Booking{}, false, fmt.Errorf("booking: key for %q: %w", in.SlotID, booking.ErrKeyReused)
		}
		return b, true, nil
	}
	if in.Key != "" {
		if b, ok, err := replay(); err != nil || ok {
			return b, nil, err
		}
	}
	var b booking.Booking
	evs, err := l.run(ctx, func(c *change) error {
		r, err := c.lock(ctx, in.SlotID)
		if err != nil {
			return err
		}
		// A second live booking of the request on this slot is refused by
		// the unique index ledger_bookings_once when it is inserted.
		if err := c.take(ctx, r, in.HoldID); err != nil {
			return err
		}
		b = booking.Booking{ID: newID("bk-"), SlotID: in.SlotID, RequestID: in.RequestID, Status: booking.StatusBooked,
			Version: 1, Key: in.Key, Created: c.now, Updated: c.now}
		var key, keySlot any
		if in.Key != "" {
			key, keySlot = in.Key, in.SlotID
		}
		if _, err := c.tx.Exec(ctx, `INSERT INTO ledger_bookings (id, slot_id, request_id, status, version, key, key_slot, created, updated)
			VALUES ($1, $2, $3, 'booked', 1, $4, $5, $6, $6)`, b.ID, b.SlotID, b.RequestID, key, keySlot, c.now); err != nil {
			if pgCode(err) == "23505" {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.ConstraintName == "ledger_bookings_once" {
					return fmt.Errorf("booking: request on %q: %w", in.SlotID, booking.ErrAlreadyBooked)
				}
				return errReplay
			}
			return fmt.Errorf("pgstore: booking %q: %w", in.SlotID, err)
		}
		ev := c.event(booking.Booked, r, in.Actor, in.Reason)
		ev.BookingID, ev.RequestID, ev.HoldID = b.ID, b.RequestID, in.HoldID
		return c.settle(ctx, r)
	})
	if errors.Is(err, errReplay) {
		if in.Key == "" {
			return booking.Booking{}, nil, fmt.Errorf("booking: request on %q: %w", in.SlotID, booking.ErrAlreadyBooked)
		}
		got, ok, err := replay()
		if err == nil && !ok {
			err = fmt.Errorf("booking: request on %q: %w", in.SlotID, booking.ErrAlreadyBooked)
		}
		return got, nil, err
	}
	if err != nil {
		return booking.Booking{}, nil, err
	}
	return b, evs, nil
}

// current reads a booking without locking it, to learn which slots to lock.
func (l *Ledger) current(ctx context.Context, id string, ifVersion int64) (booking.Booking, error) {
	b, err := scanBooking(l.pool.QueryRow(ctx, `SELECT `+bookingCols+` FROM ledger_bookings WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("booking: %q: %w", id, booking.ErrUnknownBooking)
	}
	if err != nil {
		return b, fmt.Errorf("pgstore: booking %q: %w", id, err)
	}
	return b, check(b, ifVersion)
}

func check(b booking.Booking, ifVersion int64) error {
	if ifVersion != 0 && ifVersion != b.Version {
		return fmt.Errorf("booking: %q is version %d, not %d: %w", b.ID, b.Version, ifVersion, booking.ErrVersionMismatch)
	}
	if b.Status != booking.StatusBooked {
		return fmt.Errorf("booking: %q: %w", b.ID, booking.ErrNotActive)
	}
	return nil
}

// errMoved restarts a change whose booking moved between the unlocked
// read and the lock.
var errMoved = errors.New("pgstore: booking moved while locking")

// lockBooking locks a booking after its slots (the one lock order every
// change uses, so that they cannot deadlock) and checks it is still where
// the unlocked read saw it.
func (c *change) lockBooking(ctx context.Context, id, slotID string, ifVersion int64) (booking.Booking, error) {
	b, err := scanBooking(c.tx.QueryRow(ctx, `SELECT `+bookingCols+` FROM ledger_bookings WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return b, fmt.Errorf("pgstore: booking %q: %w", id, err)
	}
	if b.SlotID != slotID && b.Status == booking.StatusBooked {
		return b, errMoved
	}
	return b, check(b, ifVersion)
}

// Reschedule implements booking.Ledger.
func (l *Ledger) Reschedule(ctx context.Context, in booking.RescheduleInput) (booking.Booking, []booking.Event, error) {
	for {
		before, err := l.current(ctx, in.BookingID, in.IfVersion)
		if err != nil {
			return booking.Booking{}, nil, err
		}
		if before.SlotID == in.ToSlot {
			return booking.Booking{}, nil, fmt.Errorf("booking: %q to %q: %w", in.BookingID, in.ToSlot, booking.ErrSameSlot)
		}
		var b booking.Booking
		evs, err := l.run(ctx, func(c *change) error {
			ids := []string{before.SlotID, in.ToSlot}
			slices.Sort(ids)
			rows := map[string]*slotRow{}
			for _, id := range ids {
				r, err := c.lock(ctx, id)
				if err != nil && !(id == before.SlotID && errors.Is(err, booking.ErrUnknownSlot)) {
					return err
				}
				rows[id] = r
			}
			from, to := rows[before.SlotID], rows[in.ToSlot]
			cur, err := c.lockBooking(ctx, in.BookingID, before.SlotID, in.IfVersion)
			if err != nil {
				return err
			}
			if from == nil { // removed: RemoveSlot cancelled the booking
				return fmt.Errorf("booking: %q: %w", in.BookingID, booking.ErrNotActive)
			}
			if dup, err := c.bookedOn(ctx, in.ToSlot, cur.RequestID); err != nil {
				return err
			} else if dup {
				return fmt.Errorf("booking: request on %q: %w", in.ToSlot, booking.ErrAlreadyBooked)
			}
			if err := c.take(ctx, to, in.HoldID); err != nil {
				return err
			}
			if _, err := c.tx.Exec(ctx, `UPDATE ledger_slots SET booked = booked - 1 WHERE id = $1`, from.slot.ID); err != nil {
				return fmt.Errorf("pgstore: releasing %q: %w", from.slot.ID, err)
			}
			from.booked--
			if _, err := c.tx.Exec(ctx, `UPDATE ledger_bookings SET slot_id = $2, version = version + 1, updated = $3 WHERE id = $1`, cur.ID, to.slot.ID, c.now); err != nil {
				return fmt.Errorf("pgstore: moving %q: %w", cur.ID, err)
			}
			bk := c.event(booking.Booked, to, in.Actor, in.Reason)
			bk.BookingID, bk.RequestID, bk.HoldID = cur.ID, cur.RequestID, in.HoldID
			cn := c.event(booking.Cancelled, from, in.Actor, in.Reason)
			cn.BookingID, cn.RequestID = cur.ID, cur.RequestID
			c.event(booking.SlotReleased, from, in.Actor, in.Reason)
			b = cur
			b.SlotID, b.Version, b.Updated = to.slot.ID, cur.Version+1, c.now
			if err := c.settle(ctx, to); err != nil {
				return err
			}
			return c.settle(ctx, from)
		})
		if errors.Is(err, errMoved) {
			continue
		}
		if err != nil {
			return booking.Booking{}, nil, err
		}
		return b, evs, nil
	}
}

// Cancel implements booking.Ledger.
func (l *Ledger) Cancel(ctx context.Context, in booking.CancelInput) (booking.Booking, []booking.Event, error) {
	for {
		before, err := l.current(ctx, in.BookingID, in.IfVersion)
		if err != nil {
			return booking.Booking{}, nil, err
		}
		var b booking.Booking
		evs, err := l.run(ctx, func(c *change) error {
			r, err := c.lock(ctx, before.SlotID)
			if errors.Is(err, booking.ErrUnknownSlot) {
				r = nil
			} else if err != nil {
				return err
			}
			cur, err := c.lockBooking(ctx, in.BookingID, before.SlotID, in.IfVersion)
			if err != nil {
				return err
			}
			if r == nil {
				return fmt.Errorf("booking: %q: %w", in.BookingID, booking.ErrNotActive)
			}
			if _, err := c.tx.Exec(ctx, `UPDATE ledger_slots SET booked = booked - 1 WHERE id = $1`, r.slot.ID); err != nil {
				return fmt.Errorf("pgstore: releasing %q: %w", r.slot.ID, err)
			}
			r.booked--
			if _, err := c.tx.Exec(ctx, `UPDATE ledger_bookings SET status = 'cancelled', version = version + 1, updated = $2 WHERE id = $1`, cur.ID, c.now); err != nil {
				return fmt.Errorf("pgstore: cancelling %q: %w", cur.ID, err)
			}
			cn := c.event(booking.Cancelled, r, in.Actor, in.Reason)
			cn.BookingID, cn.RequestID = cur.ID, cur.RequestID
			c.event(booking.SlotReleased, r, in.Actor, in.Reason)
			b = cur
			b.Status, b.Version, b.Updated = booking.StatusCancelled, cur.Version+1, c.now
			return c.settle(ctx, r)
		})
		if errors.Is(err, errMoved) {
			continue
		}
		if err != nil {
			return booking.Booking{}, nil, err
		}
		return b, evs, nil
	}
}

// Booking implements booking.Ledger.
func (l *Ledger) Booking(ctx context.Context, id string) (booking.Booking, error) {
	b, err := scanBooking(l.pool.QueryRow(ctx, `SELECT `+bookingCols+` FROM ledger_bookings WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("booking: %q: %w", id, booking.ErrUnknownBooking)
	}
	if err != nil {
		return b, fmt.Errorf("pgstore: booking %q: %w", id, err)
	}
	return b, nil
}

// Snapshot implements booking.Ledger; it reads in one REPEATABLE READ
// transaction, so the slots, holds, bookings and sequence number agree.
func (l *Ledger) Snapshot(ctx context.Context) (booking.Snapshot, error) {
	var snap booking.Snapshot
	tx, err := l.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var now time.Time
	if err := tx.QueryRow(ctx, `SELECT last, now() FROM ledger_seq`).Scan(&snap.Seq, &now); err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT data FROM ledger_slots WHERE NOT removed ORDER BY start_at, id`)
	if err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	snap.Slots, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (booking.Slot, error) {
		var s booking.Slot
		var data []byte
		if err := row.Scan(&data); err != nil {
			return s, err
		}
		return s, json.Unmarshal(data, &s)
	})
	if err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	usage := map[string]*booking.SlotUsage{}
	var order []string
	use := func(id string) *booking.SlotUsage {
		u, ok := usage[id]
		if !ok {
			u = &booking.SlotUsage{SlotID: id}
			usage[id] = u
			order = append(order, id)
		}
		return u
	}
	rows, err = tx.Query(ctx, `SELECT slot_id, request_id FROM ledger_bookings WHERE status = 'booked' ORDER BY slot_id, created, id`)
	if err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	var slot, req string
	if _, err := pgx.ForEachRow(rows, []any{&slot, &req}, func() error {
		u := use(slot)
		u.Booked = append(u.Booked, req)
		return nil
	}); err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT id, slot_id, expires_at, coalesce(key, '') FROM ledger_holds WHERE NOT released AND expires_at > $1 ORDER BY slot_id, id`, now)
	if err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	var h booking.Hold
	if _, err := pgx.ForEachRow(rows, []any{&h.ID, &h.SlotID, &h.Expires, &h.Key}, func() error {
		u := use(h.SlotID)
		u.Holds = append(u.Holds, h)
		return nil
	}); err != nil {
		return snap, fmt.Errorf("pgstore: snapshot: %w", err)
	}
	for _, id := range order {
		snap.Usage = append(snap.Usage, *usage[id])
	}
	return snap, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func events(ctx context.Context, q querier, after uint64, limit int) ([]booking.Event, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := q.Query(ctx, `SELECT seq, data FROM ledger_events WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(after), lim)
	if err != nil {
		return nil, fmt.Errorf("pgstore: events: %w", err)
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (booking.Event, error) {
		var ev booking.Event
		var seq int64
		var data []byte
		if err := row.Scan(&seq, &data); err != nil {
			return ev, err
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			return ev, fmt.Errorf("event %d: %w", seq, err)
		}
		ev.Seq = uint64(seq)
		return ev, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: events: %w", err)
	}
	return evs, nil
}

// Events implements booking.Ledger.
func (l *Ledger) Events(ctx context.Context, after uint64, limit int) ([]booking.Event, error) {
	return events(ctx, l.pool, after, limit)
}

// Consume implements booking.Ledger. The consumer's cursor row is locked
// for the call, so consumers of one name on many instances take turns; the
// cursor moves in the same transaction, and a crash before its commit
// hands the events out again.
func (l *Ledger) Consume(ctx context.Context, consumer string, limit int, fn func(context.Context, booking.Event) error) (int, error) {
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("pgstore: consume: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `INSERT INTO ledger_consumers (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, consumer); err != nil {
		return 0, fmt.Errorf("pgstore: consume: %w", err)
	}
	var cursor int64
	if err := tx.QueryRow(ctx, `SELECT cursor FROM ledger_consumers WHERE name = $1 FOR UPDATE`, consumer).Scan(&cursor); err != nil {
		return 0, fmt.Errorf("pgstore: consume: %w", err)
	}
	evs, err := events(ctx, tx, uint64(cursor), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	var fnErr error
	for _, ev := range evs {
		if fnErr = fn(ctx, ev); fnErr != nil {
			break
		}
		cursor = int64(ev.Seq)
		n++
	}
	if n > 0 {
		if _, err := tx.Exec(ctx, `UPDATE ledger_consumers SET cursor = $2 WHERE name = $1`, consumer, cursor); err != nil {
			return 0, fmt.Errorf("pgstore: consume: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("pgstore: consume: %w", err)
	}
	return n, fnErr
}

// Watch implements booking.Watcher with LISTEN on one pooled connection.
// When the connection drops it reconnects with backoff and signals once on
// reconnecting, since notifications sent meanwhile were lost.
func (l *Ledger) Watch(ctx context.Context) (<-chan struct{}, error) {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(out)
		backoff := 50 * time.Millisecond
		for ctx.Err() == nil {
			err := l.listen(ctx, signal)
			if ctx.Err() != nil {
				return
			}
			_ = err
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			signal()
		}
	}()
	return out, nil
}

func (l *Ledger) listen(ctx context.Context, signal func()) error {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection must not go back to the pool for other work.
	defer func() {
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+Channel); err != nil {
		return err
	}
	signal()
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		signal()
	}
}
