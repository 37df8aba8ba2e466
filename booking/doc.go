// Package booking matches patients to appointment slots: ranked candidates
// for one request ([Engine.Match]), the best assignment of many requests at
// once ([Engine.Assign]), live holds, bookings and cancellations that
// return events ([Event]), and an [Aggregator] that gathers slots from many
// sources (trusts, GP practices through spine/gpconnect) with per-source
// timeouts. It is pure: no I/O, no clock except the one it is given, and
// deterministic for the same input.
//
// # Constraints and scoring
//
// Hard constraints are never broken: service, the request's earliest and
// latest times, remaining capacity (bookings and unexpired holds),
// accepted modalities, accessibility needs, the travel limit for
// face-to-face slots (a slot without a position cannot prove it is near,
// so it is left out when a limit is set), the minimum duration, excluded
// dates, and weekly windows when the request marks them required.
//
// A candidate's score is the sum of four parts, each in [0, 1] before its
// weight ([Weights], default wait 1, travel 1, preference 1, priority 2):
//
//   - wait: 1 for a slot at the request's earliest time, falling linearly
//     to 0 at its latest (or 90 days on when it has none);
//   - travel: 1 for no travel, falling to 0 at the request's limit (or one
//     hour), for face-to-face slots; remote slots score 1;
//   - preference: the share of stated preferences met (weekly windows when
//     not required, preferred sites, practitioners, modality), 1 when none
//     is stated;
//   - priority: 0.7 × clinical priority / 10 + 0.3 × time already waited /
//     18 weeks, so that Assign, which maximises the total, favours urgent
//     patients and long waits when they compete for a slot.
//
// The [Breakdown] of every candidate shows the four parts.
//
// # Assignment
//
// Assign maximises the total score over the requests (each in at most one
// pair, each slot within its remaining capacity): a linear program whose
// dual gives each slot a price. Bids place most requests first (the
// augmenting row reduction of Jonker and Volgenant); it adds the rest one
// at a time along shortest augmenting paths (Dijkstra on reduced costs over the slots, a
// full slot leading on through the requests it holds), the
// Jonker–Volgenant class of solvers on the sparse graph of candidate
// pairs, with capacities native. It keeps the prices dual-feasible and in
// complementary slackness with the assignment after every request, which
// makes the result optimal. The tests check every solved instance by that
// certificate, against exhaustive search on thousands of small instances
// and against the previous solver and a plain successive-shortest-path
// solver on random ones; [Engine.AssignGreedy] is the baseline whose gap
// the benchmarks report. [AssignOptions].MaxArcs bounds memory (8 bytes
// a candidate pair): beyond it [Engine.AssignReport] returns
// [ErrAssignTooLarge] instead of allocating, and [WithAssignCandidates]
// keeps each request's best few to solve larger problems within it.
//
// # A ledger many instances share
//
// An Engine's own Hold, Book, Cancel and Reschedule keep their state in the
// engine, which is right for one process only: two instances behind a load
// balancer, each with its own engine, would each think a place free. A
// service that runs more than one instance writes through a [Ledger]
// instead, which alone decides whether a place is free ([MemoryLedger] in
// one process; booking/pgstore on PostgreSQL, where the database enforces
// it), and each instance's engine follows the ledger ([Follow],
// [Engine.Sync], [Engine.Apply]) so that Match and Assign stay in memory
// and fast. The engine's view may lag the ledger by one notification; it
// only ranks slots, and a booking of a slot the view thought free fails
// with ErrNoCapacity from the ledger, never over-books.
//
// The ledger's log numbers events without gaps in commit order, so a
// follower that applied event n needs exactly n+1 next; [Ledger.Consume]
// gives each event to one consumer of a name across instances (the waiting
// list's offer on SlotReleased), and idempotency keys on Book and Hold make
// a redelivered event or a retried request change nothing twice.
//
// A [TravelTimer] takes a context and may fail (a routing service is a
// network call); [Engine.MatchContext] reports the failure, and a
// [BatchTravelTimer] answers all of a request's places in one call.
//
// # Facts relied on
//
//   - Weekly windows and dates are in Europe/London, which changes between
//     GMT (UTC+0) and BST (UTC+1) at 01:00 UTC on the last Sundays of March
//     and October (The Summer Time Order 2002, https://www.legislation.gov.uk/uksi/2002/262);
//     the package embeds time/tzdata so this holds on machines without
//     zoneinfo.
//   - The 18-week referral-to-treatment standard (NHS Constitution for
//     England, https://www.gov.uk/government/publications/the-nhs-constitution-for-england)
//     is the horizon at which the waited-time part of priority saturates.
//   - Travel defaults to great-circle distance (haversine, mean Earth radius
//     6,371 km) times 1.3 for roads, at 30 km/h; plug a routing service in
//     with [WithTravelTimer].
//   - Assignment: R. Jonker and A. Volgenant, "A shortest augmenting path
//     algorithm for dense and sparse linear assignment problems",
//     Computing 38 (1987) 325–340 (shortest augmenting paths with column
//     prices; LAPJVsp is its sparse form); an assignment is optimal when
//     a dual-feasible set of prices is in complementary slackness with it
//     (LP duality; R. K. Ahuja, T. L. Magnanti and J. B. Orlin, Network
//     Flows, Prentice Hall, 1993).
package booking
