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
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/waitlist/remind"
)

// Store is a remind.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	owned bool
	q     string // quoted schema with its dot
	name  string
}

var _ remind.Store = (*Store)(nil)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,47}$`)

// Open uses pool (the caller keeps and closes it) and the tables of
// schema, creating them if need be. Schema names are lower-case letters,
// digits and underscores; "" means "nhskit_remind".
func Open(ctx context.Context, pool *pgxpool.Pool, schema string) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: a connection pool is required")
	}
	if schema == "" {
		schema = "nhskit_remind"
	}
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("pgstore: schema name %q: use lower-case letters, digits and underscores (at most 48)", schema)
	}
	s := &Store{pool: pool, q: `"` + schema + `".`, name: schema}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Connect opens a pool on dsn and the store in schema; Close closes both.
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

// Drop drops the store's schema and everything in it (for tests).
func (s *Store) Drop(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS "`+s.name+`" CASCADE`)
	return err
}

func (s *Store) sql(q string) string { return strings.ReplaceAll(q, "{s}", s.q) }

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// One migrator at a time across instances.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "nhskit_remind:"+s.name); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	for _, q := range []string{
		`CREATE SCHEMA IF NOT EXISTS "` + s.name + `"`,
		`CREATE TABLE IF NOT EXISTS {s}reminders (
			id              text PRIMARY KEY,
			appointment_id  text NOT NULL,
			start_at        timestamptz NOT NULL,
			due             timestamptz NOT NULL,
			nhs_number      text NOT NULL,
			routing_plan_id text NOT NULL,
			personalisation jsonb NOT NULL DEFAULT '{}',
			status          text NOT NULL CHECK (status IN ('scheduled', 'sent', 'failed', 'cancelled', 'skipped')),
			attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
			message_id      text NOT NULL DEFAULT '',
			last_error      text NOT NULL DEFAULT '',
			owner           text NOT NULL DEFAULT '',
			lease_until     timestamptz,
			updated         timestamptz NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS reminders_appointment ON {s}reminders (appointment_id)`,
		`CREATE INDEX IF NOT EXISTS reminders_due ON {s}reminders (due, id) WHERE status = 'scheduled'`,
	} {
		if _, err := tx.Exec(ctx, s.sql(q)); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	return nil
}

const columns = `id, appointment_id, start_at, due, nhs_number, routing_plan_id, personalisation, status,
	attempts, message_id, last_error, owner, lease_until, updated`

func scan(row pgx.Row) (remind.Reminder, error) {
	var r remind.Reminder
	var nhs, status string
	var pers []byte
	var lease *time.Time
	err := row.Scan(&r.ID, &r.AppointmentID, &r.Start, &r.Due, &nhs, &r.RoutingPlanID, &pers, &status,
		&r.Attempts, &r.MessageID, &r.LastError, &r.Owner, &lease, &r.Updated)
	if err != nil {
		return r, err
	}
	r.NHSNumber, r.Status = nhsid.NHSNumber(nhs), remind.Status(status)
	if lease != nil {
		r.LeaseUntil = *lease
	}
	if len(pers) > 0 && string(pers) != "{}" {
		if err := json.Unmarshal(pers, &r.Personalisation); err != nil {
			return r, fmt.Errorf("personalisation: %w", err)
		}
	}
	return r, nil
}

func collect(rows pgx.Rows) ([]remind.Reminder, error) {
	defer rows.Close()
	var out []remind.Reminder
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Replace implements remind.Store.
func (s *Store) Replace(ctx context.Context, appointmentID string, rs []remind.Reminder, now time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: replace: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, s.sql(`SELECT 1 FROM {s}reminders WHERE appointment_id = $1 FOR UPDATE`), appointmentID); err != nil {
		return fmt.Errorf("pgstore: replace: %w", err)
	}
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.ID)
		pers, err := json.Marshal(r.Personalisation)
		if err != nil {
			return fmt.Errorf("pgstore: replace: %w", err)
		}
		if r.Personalisation == nil {
			pers = []byte("{}")
		}
		if _, err := tx.Exec(ctx, s.sql(`INSERT INTO {s}reminders
			(id, appointment_id, start_at, due, nhs_number, routing_plan_id, personalisation, status, updated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8)
			ON CONFLICT (id) DO UPDATE SET status = 'scheduled', appointment_id = EXCLUDED.appointment_id,
				start_at = EXCLUDED.start_at, due = EXCLUDED.due, nhs_number = EXCLUDED.nhs_number,
				routing_plan_id = EXCLUDED.routing_plan_id, personalisation = EXCLUDED.personalisation,
				attempts = 0, message_id = '', last_error = '', owner = '', lease_until = NULL, updated = EXCLUDED.updated
			WHERE {s}reminders.status = 'cancelled'`),
			r.ID, appointmentID, r.Start, r.Due, string(r.NHSNumber), r.RoutingPlanID, pers, now); err != nil {
			return fmt.Errorf("pgstore: replace: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, s.sql(`UPDATE {s}reminders SET status = 'cancelled', owner = '', lease_until = NULL, updated = $3
		WHERE appointment_id = $1 AND status = 'scheduled' AND NOT (id = ANY($2))`), appointmentID, ids, now); err != nil {
		return fmt.Errorf("pgstore: replace: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: replace: %w", err)
	}
	return nil
}

// CancelAppointment implements remind.Store.
func (s *Store) CancelAppointment(ctx context.Context, appointmentID string, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, s.sql(`UPDATE {s}reminders SET status = 'cancelled', owner = '', lease_until = NULL, updated = $2
		WHERE appointment_id = $1 AND status = 'scheduled'`), appointmentID, now)
	if err != nil {
		return 0, fmt.Errorf("pgstore: cancel: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Claim implements remind.Store.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]remind.Reminder, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, s.sql(`UPDATE {s}reminders SET owner = $1, lease_until = $3, attempts = attempts + 1, updated = $2
		WHERE id IN (
			SELECT id FROM {s}reminders
			WHERE status = 'scheduled' AND due <= $2 AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY due, id LIMIT $4
			FOR UPDATE SKIP LOCKED)
		RETURNING `+columns), owner, now, now.Add(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim: %w", err)
	}
	slices.SortFunc(out, func(a, b remind.Reminder) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Finish implements remind.Store.
func (s *Store) Finish(ctx context.Context, id, owner string, out remind.Outcome) error {
	tag, err := s.pool.Exec(ctx, s.sql(`UPDATE {s}reminders SET status = $3, message_id = $4, last_error = $5, updated = $6,
		owner = '', lease_until = NULL, due = CASE WHEN $3 = 'scheduled' THEN $7 ELSE due END
		WHERE id = $1 AND ($3 = 'sent' OR (owner = $2 AND status = 'scheduled' AND lease_until >= $6))`),
		id, owner, string(out.Status), out.MessageID, out.Error, out.At, out.RetryAt)
	if err != nil {
		return fmt.Errorf("pgstore: finish: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var one int
	err = s.pool.QueryRow(ctx, s.sql(`SELECT 1 FROM {s}reminders WHERE id = $1`), id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return remind.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("pgstore: finish: %w", err)
	}
	return remind.ErrLeaseLost
}

// Get implements remind.Store.
func (s *Store) Get(ctx context.Context, id string) (remind.Reminder, error) {
	r, err := scan(s.pool.QueryRow(ctx, s.sql(`SELECT `+columns+` FROM {s}reminders WHERE id = $1`), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return remind.Reminder{}, remind.ErrNotFound
	}
	if err != nil {
		return remind.Reminder{}, fmt.Errorf("pgstore: get: %w", err)
	}
	return r, nil
}

// List implements remind.Store.
func (s *Store) List(ctx context.Context, appointmentID string) ([]remind.Reminder, error) {
	rows, err := s.pool.Query(ctx, s.sql(`SELECT `+columns+` FROM {s}reminders WHERE appointment_id = $1 ORDER BY due, id`), appointmentID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list: %w", err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list: %w", err)
	}
	return out, nil
}
