// Package pgstore is a PostgreSQL remind.Store, so that several instances
// of a service share one set of reminders and each reminder is sent once
// however many run and whichever dies. It is its own module (it needs
// github.com/jackc/pgx/v5), so nhskit's main module keeps its five
// dependencies.
//
// Claim is one statement: an UPDATE of the rows chosen by a sub-select
// with FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on one
// another and never take the same row; the lease (owner, lease_until) is
// written in the same statement, and a row is claimable again only once
// its lease has ended. Finish updates a row only while the caller's lease
// holds (WHERE owner = $owner AND lease_until >= $at), except a Sent
// outcome, which always stands. Replace and CancelAppointment are one
// transaction each, locking the appointment's rows.
//
// # Facts relied on
//
// From PostgreSQL's documentation (https://www.postgresql.org/docs/15/sql-select.html,
// "The Locking Clause"): with SKIP LOCKED, rows that cannot be locked at
// once are skipped rather than waited for, so concurrent claimers each get
// rows no other holds; FOR UPDATE locks the chosen rows until the
// transaction ends (here the one UPDATE statement), so two claims never
// both see a row as free. A backend killed with SIGKILL loses its
// connection and its transaction rolls back; a lease already committed
// outlives it, which is why leases expire.
package pgstore
