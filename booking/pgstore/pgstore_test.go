package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/ledgertest"
)

func TestConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) booking.Ledger {
		l := open(t)
		if err := l.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func TestMigrationsVersioned(t *testing.T) {
	l := open(t)
	ctx := context.Background()
	if err := l.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := l.pool.QueryRow(ctx, `SELECT max(n) FROM ledger_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != Version() {
		t.Fatalf("schema version %d, want %d", n, Version())
	}
	// A database from newer code is refused, not silently used.
	if _, err := l.pool.Exec(ctx, `INSERT INTO ledger_migrations (n) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	defer l.pool.Exec(ctx, `DELETE FROM ledger_migrations WHERE n = 999`)
	if _, err := Open(ctx, dsn(t)); err == nil {
		t.Fatal("opened a database of schema version 999")
	}
}

func TestSchemaRefusesOverCapacity(t *testing.T) {
	l := open(t)
	ctx := context.Background()
	if err := l.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddSlots(ctx, ledgertest.Slots("sc", 1, 1)...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Book(ctx, booking.BookInput{SlotID: "sc-000", RequestID: "r1"}); err != nil {
		t.Fatal(err)
	}
	// Whatever the code does, the database itself refuses a second booking
	// counted on a capacity-1 slot.
	_, err := l.pool.Exec(ctx, `UPDATE ledger_slots SET booked = booked + 1 WHERE id = 'sc-000'`)
	if pgCode(err) != "23514" {
		t.Fatalf("over-capacity update: %v, want check_violation", err)
	}
	_, err = l.pool.Exec(ctx, `INSERT INTO ledger_bookings (id, slot_id, request_id, status, version, created, updated)
		VALUES ('x', 'sc-000', 'r1', 'booked', 1, now(), now())`)
	if pgCode(err) != "23505" {
		t.Fatalf("second live booking of one request: %v, want unique_violation", err)
	}
}

func TestNULIsAnInputError(t *testing.T) {
	l := open(t)
	ctx := context.Background()
	if err := l.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddSlots(ctx, ledgertest.Slots("nu", 1, 1)...); err != nil {
		t.Fatal(err)
	}
	var ie *booking.InputError
	_, _, err := l.Book(ctx, booking.BookInput{SlotID: "nu-000", RequestID: "r", Key: "a\x00b"})
	if !errors.As(err, &ie) {
		t.Fatalf("NUL in a key: %v, want an InputError", err)
	}
	_, _, err = l.Hold(ctx, booking.HoldInput{SlotID: "nu-000", TTL: time.Minute, Reason: "x\x00"})
	if !errors.As(err, &ie) {
		t.Fatalf("NUL in a reason: %v, want an InputError", err)
	}
}
