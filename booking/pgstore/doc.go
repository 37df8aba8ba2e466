// Package pgstore is a booking.Ledger on PostgreSQL, so that any number of
// service instances share one record of slots, holds and bookings and a
// slot is never booked beyond its capacity. It is its own module (it needs
// github.com/jackc/pgx/v5), so nhskit's main module keeps its dependency
// list.
//
// # How the database enforces capacity
//
// Every change to a slot's bookings or holds first takes that slot's row
// lock (SELECT … FOR UPDATE), counts bookings and live holds, and writes
// under the lock; a reschedule locks its two slots in id order, and a
// booking's own row is locked after its slots, so changes never deadlock
// (PostgreSQL's deadlock and serialisation aborts, 40P01 and 40001, are
// retried anyway). Row locks were chosen over SERIALIZABLE because writers
// of different slots never wait for or abort each other, and writers of
// one slot queue instead of failing and retrying. Behind the code the
// schema itself refuses the impossible: CHECK (booked <= capacity) on the
// slot's booking counter, a unique partial index allowing one live booking
// per request and slot, unique idempotency keys, CHECKs on status and
// version, and foreign keys from holds and bookings to slots.
//
// # The log
//
// The events of a change are stored in its transaction and numbered from a
// single counter row that is locked last and held until commit, so numbers
// follow commit order with no gaps (a rolled-back change takes none):
// followers that read Events(after) never miss a late commit. That row is
// the one point every write passes through; it is held only for the last
// statements of a transaction. Each commit NOTIFYs channel nhskit_booking,
// and Watch turns that into wake-ups for booking.Follow, reconnecting when
// the connection drops. Consume keeps each consumer's cursor in a row
// locked for the call.
//
// # What limits throughput
//
// The event-sequence row is held from a change's last statement through
// its commit, so commits are serialised: with fsync on, every booking
// waits for the WAL flush of the ones before it (bench/appointments: about
// 126–191 bookings/s through the handler on a 2-core machine, 272–601
// with fsync off, against 3,300–4,200 in memory). Changes to different
// slots otherwise run in parallel. A commit-ordered cursor that needs no
// shared counter (transaction ids read against pg_snapshot_xmin) would
// lift this limit at the cost of a more subtle reader.
//
// # Schema versions
//
// Open applies, under an advisory lock, the migrations recorded as missing
// in ledger_migrations; a database newer than the code is an error.
//
// # Facts relied on
//
//   - READ COMMITTED takes a new snapshot for each statement, so a
//     statement run after a row lock is granted sees the work of the
//     transaction that held it (PostgreSQL 15 manual, 13.2.1 Read Committed
//     Isolation Level, https://www.postgresql.org/docs/15/transaction-iso.html).
//   - NOTIFY is delivered at commit, not at all on rollback, and not to
//     sessions that were not listening when it was sent (PostgreSQL 15
//     manual, NOTIFY, https://www.postgresql.org/docs/15/sql-notify.html).
//   - SQLSTATE 23505 is unique_violation, 23514 check_violation, 40001
//     serialization_failure, 40P01 deadlock_detected (PostgreSQL 15 manual,
//     Appendix A, https://www.postgresql.org/docs/15/errcodes-appendix.html).
package pgstore
