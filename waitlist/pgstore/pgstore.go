// Package pgstore is a PostgreSQL waitlist.Store, so that several
// instances of a service can share one waiting list without ever booking a
// slot twice. It is its own module (it needs github.com/jackc/pgx/v5), so
// nhskit's main module keeps its five dependencies.
//
// Every write is a transaction: rows are updated only where their version
// is the one read (UPDATE … WHERE version = $n), and events are appended in
// the same transaction, so a commit is all or nothing and two writers never
// both win. Each commit that touches a slot NOTIFYs channel
// "nhskit_waitlist" with the slot id; Listen delivers those to other
// instances.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhskit/nhskit/waitlist"
)

// Channel is the NOTIFY channel.
const Channel = "nhskit_waitlist"

// migrations are applied in order, once each, tracked in
// nhskit_waitlist_migrations.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS waitlist_entries (
		id      text PRIMARY KEY,
		service text NOT NULL,
		status  text NOT NULL,
		version bigint NOT NULL,
		data    jsonb NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS waitlist_entries_waiting ON waitlist_entries (service) WHERE status = 'waiting'`,
	`CREATE TABLE IF NOT EXISTS waitlist_offers (
		id      text PRIMARY KEY,
		slot_id text NOT NULL,
		status  text NOT NULL,
		version bigint NOT NULL,
		data    jsonb NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS waitlist_offers_open ON waitlist_offers (slot_id) WHERE status = 'open'`,
	`CREATE INDEX IF NOT EXISTS waitlist_offers_slot ON waitlist_offers (slot_id)`,
	`CREATE TABLE IF NOT EXISTS waitlist_events (
		seq  bigserial PRIMARY KEY,
		data jsonb NOT NULL
	)`,
}

// Store is a waitlist.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ waitlist.Store = (*Store)(nil)

// Open connects to dsn and applies the schema migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connecting: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// One migrator at a time across instances.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(775533)`); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS nhskit_waitlist_migrations (n int PRIMARY KEY)`); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	for i, m := range migrations {
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM nhskit_waitlist_migrations WHERE n = $1)`, i+1).Scan(&done); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		if done {
			continue
		}
		if _, err := tx.Exec(ctx, m); err != nil {
			return fmt.Errorf("pgstore: migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO nhskit_waitlist_migrations (n) VALUES ($1)`, i+1); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
	}
	return tx.Commit(ctx)
}

// Reset empties the tables (for tests and simulations).
func (s *Store) Reset(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `TRUNCATE waitlist_entries, waitlist_offers, waitlist_events RESTART IDENTITY`)
	return err
}

func scanOne[T any](row pgx.Row, what, id string) (*T, error) {
	var raw []byte
	if err := row.Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("%w: %s %s", waitlist.ErrNotFound, what, id)
		}
		return nil, fmt.Errorf("pgstore: reading %s: %w", what, err)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("pgstore: decoding %s: %w", what, err)
	}
	return &v, nil
}

// Entry implements waitlist.Store.
func (s *Store) Entry(ctx context.Context, id string) (*waitlist.Entry, error) {
	return scanOne[waitlist.Entry](s.pool.QueryRow(ctx, `SELECT data FROM waitlist_entries WHERE id = $1`, id), "entry", id)
}

// Offer implements waitlist.Store.
func (s *Store) Offer(ctx context.Context, id string) (*waitlist.Offer, error) {
	return scanOne[waitlist.Offer](s.pool.QueryRow(ctx, `SELECT data FROM waitlist_offers WHERE id = $1`, id), "offer", id)
}

func queryAll[T any](ctx context.Context, s *Store, what, q string, args ...any) ([]*T, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: listing %s: %w", what, err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("pgstore: listing %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("pgstore: decoding %s: %w", what, err)
		}
		out = append(out, &v)
	}
	return out, rows.Err()
}

// Waiting implements waitlist.Store.
func (s *Store) Waiting(ctx context.Context, service string) ([]*waitlist.Entry, error) {
	return queryAll[waitlist.Entry](ctx, s, "entries", `SELECT data FROM waitlist_entries WHERE service = $1 AND status = 'waiting' ORDER BY id`, service)
}

// OpenOffers implements waitlist.Store.
func (s *Store) OpenOffers(ctx context.Context, slotID string) ([]*waitlist.Offer, error) {
	if slotID == "" {
		return queryAll[waitlist.Offer](ctx, s, "offers", `SELECT data FROM waitlist_offers WHERE status = 'open' ORDER BY id`)
	}
	return queryAll[waitlist.Offer](ctx, s, "offers", `SELECT data FROM waitlist_offers WHERE status = 'open' AND slot_id = $1 ORDER BY id`, slotID)
}

// SlotOffers implements waitlist.Store.
func (s *Store) SlotOffers(ctx context.Context, slotID string) ([]*waitlist.Offer, error) {
	return queryAll[waitlist.Offer](ctx, s, "offers", `SELECT data FROM waitlist_offers WHERE slot_id = $1 ORDER BY id`, slotID)
}

// Commit implements waitlist.Store: one transaction, versions compared on
// every row, events appended, and a NOTIFY per slot touched.
func (s *Store) Commit(ctx context.Context, entries []*waitlist.Entry, offers []*waitlist.Offer, events []waitlist.Event) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	// Rows are written in id order, offers after entries, so concurrent
	// commits take their row locks in one order and cannot deadlock.
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b *waitlist.Entry) int { return strings.Compare(a.ID, b.ID) })
	offers = slices.Clone(offers)
	slices.SortFunc(offers, func(a, b *waitlist.Offer) int { return strings.Compare(a.ID, b.ID) })
	newEntries := make([]waitlist.Entry, len(entries))
	for i, e := range entries {
		c := *e
		c.Version = e.Version + 1
		newEntries[i] = c
		data, err := json.Marshal(&c)
		if err != nil {
			return err
		}
		if err := write(ctx, tx, "waitlist_entries", "entry", e.ID, e.Version, data,
			`INSERT INTO waitlist_entries (id, service, status, version, data) VALUES ($1, $2, $3, $4, $5)`,
			`UPDATE waitlist_entries SET service = $2, status = $3, version = $4, data = $5 WHERE id = $1 AND version = $6`,
			e.Service, string(c.Status)); err != nil {
			return err
		}
	}
	newOffers := make([]waitlist.Offer, len(offers))
	slots := map[string]bool{}
	for i, o := range offers {
		c := *o
		c.Version = o.Version + 1
		newOffers[i] = c
		slots[o.SlotID] = true
		data, err := json.Marshal(&c)
		if err != nil {
			return err
		}
		if err := write(ctx, tx, "waitlist_offers", "offer", o.ID, o.Version, data,
			`INSERT INTO waitlist_offers (id, slot_id, status, version, data) VALUES ($1, $2, $3, $4, $5)`,
			`UPDATE waitlist_offers SET slot_id = $2, status = $3, version = $4, data = $5 WHERE id = $1 AND version = $6`,
			o.SlotID, string(c.Status)); err != nil {
			return err
		}
	}
	byEntry := map[string]*waitlist.Entry{}
	for i := range newEntries {
		byEntry[newEntries[i].ID] = &newEntries[i]
	}
	byOffer := map[string]*waitlist.Offer{}
	for i := range newOffers {
		byOffer[newOffers[i].ID] = &newOffers[i]
	}
	for _, ev := range events {
		// Events carry the state after the commit, as the memory store's do.
		if ev.Entry != nil {
			if e, ok := byEntry[ev.Entry.ID]; ok {
				ev.Entry = e
			}
		}
		if ev.Offer != nil {
			if o, ok := byOffer[ev.Offer.ID]; ok {
				ev.Offer = o
			}
		}
		if ev.SlotID != "" {
			slots[ev.SlotID] = true
		}
		ev.Seq = 0
		data, err := json.Marshal(&ev)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO waitlist_events (data) VALUES ($1)`, data); err != nil {
			return fmt.Errorf("pgstore: appending event: %w", err)
		}
	}
	for slot := range slots {
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, slot); err != nil {
			return fmt.Errorf("pgstore: notify: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return conflictOr(fmt.Errorf("pgstore: commit: %w", err))
	}
	for i, e := range entries {
		e.Version = newEntries[i].Version
	}
	for i, o := range offers {
		o.Version = newOffers[i].Version
	}
	return nil
}

// write inserts (expect 0) or updates a row where its version is expect.
func write(ctx context.Context, tx pgx.Tx, table, what, id string, expect int64, data []byte, insert, update string, key, status string) error {
	if expect == 0 {
		_, err := tx.Exec(ctx, insert, id, key, status, int64(1), data)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
			return fmt.Errorf("%w: %s %s", waitlist.ErrExists, what, id)
		}
		if err != nil {
			return fmt.Errorf("pgstore: inserting %s: %w", what, err)
		}
		return nil
	}
	tag, err := tx.Exec(ctx, update, id, key, status, expect+1, data, expect)
	if err != nil {
		return conflictOr(fmt.Errorf("pgstore: updating %s: %w", what, err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var cur int64
	err = tx.QueryRow(ctx, `SELECT version FROM `+table+` WHERE id = $1`, id).Scan(&cur)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s %s", waitlist.ErrNotFound, what, id)
	}
	if err != nil {
		return fmt.Errorf("pgstore: updating %s: %w", what, err)
	}
	return fmt.Errorf("%w: %s %s is at version %d, not %d", waitlist.ErrConflict, what, id, cur, expect)
}

// conflictOr reports a deadlock or serialization failure, which the
// database resolves by aborting one transaction, as a version conflict:
// the caller's compare-and-set lost and nothing was written.
func conflictOr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
		return fmt.Errorf("%w: %w", waitlist.ErrConflict, err)
	}
	return err
}

// Events implements waitlist.Store.
func (s *Store) Events(ctx context.Context, after int64) ([]waitlist.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, data FROM waitlist_events WHERE seq > $1 ORDER BY seq`, after)
	if err != nil {
		return nil, fmt.Errorf("pgstore: events: %w", err)
	}
	defer rows.Close()
	var out []waitlist.Event
	for rows.Next() {
		var seq int64
		var raw []byte
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, fmt.Errorf("pgstore: events: %w", err)
		}
		var ev waitlist.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("pgstore: decoding event %d: %w", seq, err)
		}
		ev.Seq = seq
		out = append(out, ev)
	}
	return out, rows.Err()
}

// Listen calls fn with the slot id of every commit that touched a slot, in
// this or another instance, until ctx is done.
func (s *Store) Listen(ctx context.Context, fn func(slotID string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: listen: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `LISTEN `+Channel); err != nil {
		return fmt.Errorf("pgstore: listen: %w", err)
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pgstore: listen: %w", err)
		}
		fn(n.Payload)
	}
}
