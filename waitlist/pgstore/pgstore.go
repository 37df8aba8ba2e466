// Package pgstore is a PostgreSQL waitlist.Store, so that several
// instances of a service can share one waiting list without ever booking a
// patient twice or one place for two. It is its own module (it needs
// github.com/jackc/pgx/v5), so nhskit's main module keeps its five
// dependencies.
//
// # What the database enforces
//
// The invariants of waitlist.Store are constraints, not only code: CHECK
// constraints on every status; foreign keys from offers to their entry
// and place; unique partial indexes allowing an entry one open offer and
// one accepted offer, and a place one accepted offer; and a deferred
// constraint trigger that an entry is 'offered' exactly when it has one
// open offer. A commit that breaks one fails with waitlist.ErrInvariant
// and writes nothing.
//
// Every commit is one transaction: rows are updated only where their
// version is the one read (UPDATE … WHERE version = $n), in id order so
// that concurrent commits lock rows in one order.
//
// # Events: one gap-free sequence in commit order
//
// A commit with events advances a one-row counter (log_head) as its last
// statement and numbers its events from it. The row lock is held until
// the transaction ends, so sequence numbers are given out in commit order
// and a rolled-back commit gives its numbers back: the log is 1, 2, 3, …
// with no gaps, and a reader of Events(after) never sees event n+1 before
// event n is visible. The price is that commits with events serialise on
// that row for the few statements after it; that, and fsync on commit,
// is what bounds throughput (README: transitions per second).
//
// Each commit also NOTIFYs the store's channel; [Store.Subscribe]
// delivers every event in order to a consumer, waking on notifications
// and polling in case one is missed, and [Store.Listen] reconnects after
// the connection drops.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhskit/nhskit/waitlist"
)

// Store is a waitlist.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	owned   bool // Connect made the pool; Close closes it
	schema  string
	q       string // quoted schema, with a dot
	channel string
}

var _ waitlist.Store = (*Store)(nil)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,47}$`)

// Open uses pool (the caller keeps it and closes it) and the tables of
// schema, creating the schema and applying the migrations not yet
// applied. Schema names are lower-case letters, digits and underscores;
// "" means "nhskit_waitlist".
func Open(ctx context.Context, pool *pgxpool.Pool, schema string) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: a connection pool is required")
	}
	if schema == "" {
		schema = "nhskit_waitlist"
	}
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("pgstore: schema name %q: use lower-case letters, digits and underscores (at most 48)", schema)
	}
	s := &Store{pool: pool, schema: schema, q: pgx.Identifier{schema}.Sanitize() + ".", channel: schema + "_events"}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Connect opens a pool on dsn and the store on it; Close closes both.
func Connect(ctx context.Context, dsn, schema string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connecting: %w", err)
	}
	s, err := Open(ctx, pool, schema)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Close closes the pool if Connect opened it.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// Channel is the NOTIFY channel of the store's schema.
func (s *Store) Channel() string { return s.channel }

// migrations are applied in order, once each, tracked in the schema's
// migrations table. {s} is the quoted schema with its dot.
var migrations = []string{
	`CREATE TABLE {s}entries (
		id      text PRIMARY KEY,
		service text NOT NULL,
		status  text NOT NULL CHECK (status IN ('waiting', 'offered', 'booked', 'removed')),
		version bigint NOT NULL CHECK (version > 0),
		data    jsonb NOT NULL
	)`,
	`CREATE INDEX entries_waiting ON {s}entries (service) WHERE status = 'waiting'`,
	`CREATE TABLE {s}places (
		id      text PRIMARY KEY,
		slot_id text NOT NULL,
		status  text NOT NULL CHECK (status IN ('pending', 'offering', 'booked', 'unfilled')),
		version bigint NOT NULL CHECK (version > 0),
		data    jsonb NOT NULL
	)`,
	`CREATE INDEX places_pending ON {s}places (id) WHERE status = 'pending'`,
	`CREATE TABLE {s}offers (
		id       text PRIMARY KEY,
		entry_id text NOT NULL REFERENCES {s}entries (id),
		place_id text REFERENCES {s}places (id),
		slot_id  text NOT NULL,
		status   text NOT NULL CHECK (status IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')),
		version  bigint NOT NULL CHECK (version > 0),
		data     jsonb NOT NULL
	)`,
	`CREATE UNIQUE INDEX offers_one_open_per_entry ON {s}offers (entry_id) WHERE status = 'open'`,
	`CREATE UNIQUE INDEX offers_one_booking_per_entry ON {s}offers (entry_id) WHERE status = 'accepted'`,
	`CREATE UNIQUE INDEX offers_one_accept_per_place ON {s}offers (place_id) WHERE status = 'accepted'`,
	`CREATE INDEX offers_open ON {s}offers (slot_id) WHERE status = 'open'`,
	`CREATE INDEX offers_slot ON {s}offers (slot_id)`,
	`CREATE INDEX offers_entry ON {s}offers (entry_id)`,
	`CREATE FUNCTION {s}check_offered() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE
		eid text;
		st  text;
		n   int;
	BEGIN
		IF TG_TABLE_NAME = 'entries' THEN eid := NEW.id; ELSE eid := NEW.entry_id; END IF;
		SELECT status INTO st FROM {s}entries WHERE id = eid;
		IF NOT FOUND THEN RETURN NULL; END IF;
		SELECT count(*) INTO n FROM {s}offers WHERE entry_id = eid AND status = 'open';
		IF (st = 'offered') <> (n = 1) THEN
			RAISE EXCEPTION 'entry % is % with % open offers', eid, st, n
				USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_offered_iff_open_offer';
		END IF;
		RETURN NULL;
	END $$`,
	`CREATE CONSTRAINT TRIGGER entries_offered AFTER INSERT OR UPDATE ON {s}entries
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {s}check_offered()`,
	`CREATE CONSTRAINT TRIGGER offers_offered AFTER INSERT OR UPDATE ON {s}offers
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {s}check_offered()`,
	`CREATE TABLE {s}events (
		seq  bigint PRIMARY KEY CHECK (seq > 0),
		data jsonb NOT NULL
	)`,
	`CREATE TABLE {s}log_head (
		one bool PRIMARY KEY DEFAULT true CHECK (one),
		seq bigint NOT NULL
	)`,
	`INSERT INTO {s}log_head (seq) VALUES (0)`,
	// Places accepted whose booking in the ledger is not yet confirmed.
	`ALTER TABLE {s}places DROP CONSTRAINT places_status_check,
		ADD CONSTRAINT places_status_check CHECK (status IN ('pending', 'offering', 'booking', 'booked', 'unfilled'))`,
	`CREATE INDEX places_booking ON {s}places (id) WHERE status = 'booking'`,
}

func (s *Store) sql(q string) string { return strings.ReplaceAll(q, "{s}", s.q) }

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// One migrator at a time across instances, per schema.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(775533, hashtext($1))`, s.schema); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	for _, q := range []string{`CREATE SCHEMA IF NOT EXISTS ` + strings.TrimSuffix(s.q, "."),
		`CREATE TABLE IF NOT EXISTS {s}migrations (n int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`} {
		if _, err := tx.Exec(ctx, s.sql(q)); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
	}
	var done int
	if err := tx.QueryRow(ctx, s.sql(`SELECT coalesce(max(n), 0) FROM {s}migrations`)).Scan(&done); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if done > len(migrations) {
		return fmt.Errorf("pgstore: schema %s is at migration %d, newer than this code (%d)", s.schema, done, len(migrations))
	}
	for i := done; i < len(migrations); i++ {
		if _, err := tx.Exec(ctx, s.sql(migrations[i])); err != nil {
			return fmt.Errorf("pgstore: migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(ctx, s.sql(`INSERT INTO {s}migrations (n) VALUES ($1)`), i+1); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
	}
	return tx.Commit(ctx)
}

// Reset empties the tables (for tests and simulations).
func (s *Store) Reset(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, s.sql(`TRUNCATE {s}offers, {s}places, {s}entries, {s}events`)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, s.sql(`UPDATE {s}log_head SET seq = 0`)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Drop removes the store's schema and everything in it.
func (s *Store) Drop(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+strings.TrimSuffix(s.q, ".")+` CASCADE`)
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
	return scanOne[waitlist.Entry](s.pool.QueryRow(ctx, s.sql(`SELECT data FROM {s}entries WHERE id = $1`), id), "entry", id)
}

// Offer implements waitlist.Store.
func (s *Store) Offer(ctx context.Context, id string) (*waitlist.Offer, error) {
	return scanOne[waitlist.Offer](s.pool.QueryRow(ctx, s.sql(`SELECT data FROM {s}offers WHERE id = $1`), id), "offer", id)
}

// Place implements waitlist.Store.
func (s *Store) Place(ctx context.Context, id string) (*waitlist.Place, error) {
	return scanOne[waitlist.Place](s.pool.QueryRow(ctx, s.sql(`SELECT data FROM {s}places WHERE id = $1`), id), "place", id)
}

func queryAll[T any](ctx context.Context, s *Store, what, q string, args ...any) ([]*T, error) {
	rows, err := s.pool.Query(ctx, s.sql(q), args...)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: listing %s: %w", what, err)
	}
	return out, nil
}

// Waiting implements waitlist.Store.
func (s *Store) Waiting(ctx context.Context, service string) ([]*waitlist.Entry, error) {
	return queryAll[waitlist.Entry](ctx, s, "entries", `SELECT data FROM {s}entries WHERE service = $1 AND status = 'waiting' ORDER BY id`, service)
}

// OpenOffers implements waitlist.Store.
func (s *Store) OpenOffers(ctx context.Context, slotID string) ([]*waitlist.Offer, error) {
	if slotID == "" {
		return queryAll[waitlist.Offer](ctx, s, "offers", `SELECT data FROM {s}offers WHERE status = 'open' ORDER BY id`)
	}
	return queryAll[waitlist.Offer](ctx, s, "offers", `SELECT data FROM {s}offers WHERE status = 'open' AND slot_id = $1 ORDER BY id`, slotID)
}

// SlotOffers implements waitlist.Store.
func (s *Store) SlotOffers(ctx context.Context, slotID string) ([]*waitlist.Offer, error) {
	return queryAll[waitlist.Offer](ctx, s, "offers", `SELECT data FROM {s}offers WHERE slot_id = $1 ORDER BY id`, slotID)
}

// EntryOffers implements waitlist.Store.
func (s *Store) EntryOffers(ctx context.Context, entryID string) ([]*waitlist.Offer, error) {
	return queryAll[waitlist.Offer](ctx, s, "offers", `SELECT data FROM {s}offers WHERE entry_id = $1 ORDER BY id`, entryID)
}

// Places implements waitlist.Store.
func (s *Store) Places(ctx context.Context, status waitlist.PlaceStatus) ([]*waitlist.Place, error) {
	return queryAll[waitlist.Place](ctx, s, "places", `SELECT data FROM {s}places WHERE status = $1 ORDER BY id`, string(status))
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Commit implements waitlist.Store: one transaction, versions compared on
// every row, events numbered from the log head, and a NOTIFY.
func (s *Store) Commit(ctx context.Context, b waitlist.Batch) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	// Rows are written in id order, entries, then places, then offers (an
	// offer's foreign keys need both), so concurrent commits take their
	// row locks in one order.
	entries := slices.Clone(b.Entries)
	slices.SortFunc(entries, func(a, b *waitlist.Entry) int { return strings.Compare(a.ID, b.ID) })
	places := slices.Clone(b.Places)
	slices.SortFunc(places, func(a, b *waitlist.Place) int { return strings.Compare(a.ID, b.ID) })
	offers := slices.Clone(b.Offers)
	slices.SortFunc(offers, func(a, b *waitlist.Offer) int { return strings.Compare(a.ID, b.ID) })
	byEntry := map[string]*waitlist.Entry{}
	for _, e := range entries {
		c := *e
		c.Version = e.Version + 1
		byEntry[c.ID] = &c
		data, err := json.Marshal(&c)
		if err != nil {
			return fmt.Errorf("pgstore: encoding entry %s: %w", e.ID, err)
		}
		if err := s.write(ctx, tx, "entries", "entry", e.ID, e.Version, data,
			`INSERT INTO {s}entries (id, service, status, version, data) VALUES ($1, $2, $3, 1, $4)`,
			`UPDATE {s}entries SET service = $2, status = $3, version = $5 + 1, data = $4 WHERE id = $1 AND version = $5`,
			e.Service, string(c.Status)); err != nil {
			return err
		}
	}
	byPlace := map[string]*waitlist.Place{}
	for _, p := range places {
		c := *p
		c.Version = p.Version + 1
		byPlace[c.ID] = &c
		data, err := json.Marshal(&c)
		if err != nil {
			return fmt.Errorf("pgstore: encoding place %s: %w", p.ID, err)
		}
		if err := s.write(ctx, tx, "places", "place", p.ID, p.Version, data,
			`INSERT INTO {s}places (id, slot_id, status, version, data) VALUES ($1, $2, $3, 1, $4)`,
			`UPDATE {s}places SET slot_id = $2, status = $3, version = $5 + 1, data = $4 WHERE id = $1 AND version = $5`,
			p.Slot.ID, string(c.Status)); err != nil {
			return err
		}
	}
	byOffer := map[string]*waitlist.Offer{}
	for _, o := range offers {
		c := *o
		c.Version = o.Version + 1
		byOffer[c.ID] = &c
		data, err := json.Marshal(&c)
		if err != nil {
			return fmt.Errorf("pgstore: encoding offer %s: %w", o.ID, err)
		}
		if o.Version == 0 {
			_, err = tx.Exec(ctx, s.sql(`INSERT INTO {s}offers (id, entry_id, place_id, slot_id, status, version, data) VALUES ($1, $2, $3, $4, $5, 1, $6)`),
				o.ID, o.EntryID, nullable(o.PlaceID), o.SlotID, string(o.Status), data)
			if err != nil {
				return mapErr("offer", o.ID, err)
			}
			continue
		}
		// Entry and place are fixed at creation: an update that moves them
		// matches no row and is reported below.
		tag, err := tx.Exec(ctx, s.sql(`UPDATE {s}offers SET status = $2, version = $3 + 1, data = $4
			WHERE id = $1 AND version = $3 AND entry_id = $5 AND place_id IS NOT DISTINCT FROM $6`),
			o.ID, string(o.Status), o.Version, data, o.EntryID, nullable(o.PlaceID))
		if err != nil {
			return mapErr("offer", o.ID, err)
		}
		if tag.RowsAffected() != 1 {
			return s.missed(ctx, tx, "offers", "offer", o.ID, o.Version)
		}
	}
	if len(b.Events) > 0 {
		// Last, so the log head's row lock is held as briefly as possible.
		var last int64
		if err := tx.QueryRow(ctx, s.sql(`UPDATE {s}log_head SET seq = seq + $1 RETURNING seq`), len(b.Events)).Scan(&last); err != nil {
			return mapErr("log", "head", err)
		}
		seqs := make([]int64, len(b.Events))
		datas := make([]string, len(b.Events))
		for i, ev := range b.Events {
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
			if ev.Place != nil {
				if p, ok := byPlace[ev.Place.ID]; ok {
					ev.Place = p
				}
			}
			ev.Seq = last - int64(len(b.Events)) + int64(i) + 1
			data, err := json.Marshal(&ev)
			if err != nil {
				return fmt.Errorf("pgstore: encoding event: %w", err)
			}
			seqs[i], datas[i] = ev.Seq, string(data)
		}
		if _, err := tx.Exec(ctx, s.sql(`INSERT INTO {s}events (seq, data) SELECT * FROM unnest($1::bigint[], $2::jsonb[])`), seqs, datas); err != nil {
			return mapErr("event", "", err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, fmt.Sprint(last)); err != nil {
			return fmt.Errorf("pgstore: notify: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return mapErr("commit", "", err)
	}
	for _, e := range b.Entries {
		e.Version++
	}
	for _, p := range b.Places {
		p.Version++
	}
	for _, o := range b.Offers {
		o.Version++
	}
	return nil
}

// write inserts (expect 0) or updates a row where its version is expect.
// The statements take $1 id, $2 key, $3 status, $4 data, $5 expect.
func (s *Store) write(ctx context.Context, tx pgx.Tx, table, what, id string, expect int64, data []byte, insert, update string, key, status string) error {
	if expect == 0 {
		if _, err := tx.Exec(ctx, s.sql(insert), id, key, status, data); err != nil {
			return mapErr(what, id, err)
		}
		return nil
	}
	tag, err := tx.Exec(ctx, s.sql(update), id, key, status, data, expect)
	if err != nil {
		return mapErr(what, id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return s.missed(ctx, tx, table, what, id, expect)
}

// missed says why an update matched no row.
func (s *Store) missed(ctx context.Context, tx pgx.Tx, table, what, id string, expect int64) error {
	var cur int64
	err := tx.QueryRow(ctx, s.sql(`SELECT version FROM {s}`+table+` WHERE id = $1`), id).Scan(&cur)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %s %s", waitlist.ErrNotFound, what, id)
	case err != nil:
		return mapErr(what, id, err)
	case cur == expect:
		return fmt.Errorf("%w: %s %s cannot move to another entry or place", waitlist.ErrInvariant, what, id)
	}
	return fmt.Errorf("%w: %s %s is at version %d, not %d", waitlist.ErrConflict, what, id, cur, expect)
}

// mapErr maps the database's refusals onto the store's errors: a
// duplicate primary key is ErrExists; any other unique, check or foreign
// key violation is ErrInvariant; a deadlock or serialisation failure,
// which the database resolves by aborting one transaction, is a lost
// compare-and-set, ErrConflict.
func mapErr(what, id string, err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("pgstore: %s %s: %w", what, id, err)
	}
	switch {
	case pe.Code == "23505" && strings.HasSuffix(pe.ConstraintName, "_pkey"):
		return fmt.Errorf("%w: %s %s", waitlist.ErrExists, what, id)
	case pe.Code == "23505" || pe.Code == "23514" || pe.Code == "23503" || pe.Code == "23502":
		return fmt.Errorf("%w: %s %s: %s (%s)", waitlist.ErrInvariant, what, id, pe.ConstraintName, pe.Message)
	case pe.Code == "40P01" || pe.Code == "40001":
		return fmt.Errorf("%w: %s %s: %w", waitlist.ErrConflict, what, id, err)
	}
	return fmt.Errorf("pgstore: %s %s: %w", what, id, err)
}

// Events implements waitlist.Store.
func (s *Store) Events(ctx context.Context, after int64) ([]waitlist.Event, error) {
	rows, err := s.pool.Query(ctx, s.sql(`SELECT seq, data FROM {s}events WHERE seq > $1 ORDER BY seq`), after)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: events: %w", err)
	}
	return out, nil
}

// Listen calls fn with the last sequence number of every commit with
// events, in this or another instance, until ctx is done. When the
// connection drops it reconnects (backing off from 100 ms to 5 s) and
// calls fn with 0, meaning "notifications may have been missed: read the
// log". It returns nil when ctx is done.
func (s *Store) Listen(ctx context.Context, fn func(seq int64)) error {
	backoff := 100 * time.Millisecond
	for first := true; ; first = false {
		if !first {
			fn(0)
		}
		err := s.listenOnce(ctx, fn, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return nil
		}
		_ = err // the connection dropped: reconnect
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, fn func(int64), connected func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// A connection left listening must not go back to the pool.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var seq int64
		_, _ = fmt.Sscan(n.Payload, &seq)
		fn(seq)
	}
}

// Subscribe calls fn with every event after seq, in order and each once,
// from this or any instance, until ctx is done or fn fails. It wakes on
// notifications and polls every poll (default 1 s) as well, so a lost
// notification delays an event but never loses it. It returns fn's
// error, or nil when ctx is done.
func (s *Store) Subscribe(ctx context.Context, after int64, poll time.Duration, fn func(waitlist.Event) error) error {
	if poll <= 0 {
		poll = time.Second
	}
	wake := make(chan struct{}, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_ = s.Listen(lctx, func(int64) {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	}()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		evs, err := s.Events(ctx, after)
		if err == nil {
			for _, ev := range evs {
				if ev.Seq != after+1 {
					return fmt.Errorf("pgstore: subscribe: event %d after %d", ev.Seq, after)
				}
				if err := fn(ev); err != nil {
					return err
				}
				after = ev.Seq
			}
		} else if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-t.C:
		}
	}
}
