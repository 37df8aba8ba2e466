// Package waitlist runs priority-scored waiting lists that fill cancelled
// slots. Entries carry the patient's clinical priority, referral and RTT
// clock (with pauses), breach dates and booking preferences; [ScoreAt]
// ranks them with a documented, explained score; when the booking engine
// releases a slot, [List.OnSlotReleased] offers it to the best entries that
// can take it, holding the place; [List.Accept] books it through the
// engine, and [List.Decline] and [List.ExpireDue] cascade it to the next.
// Every change is an [Event] with who, what, when and why, and [Replay]
// rebuilds the state from the log. All time comes from the configured
// clock. The package does no I/O: notifications go through the caller's
// [Notifier], storage through a [Store] ([MemoryStore] here; package
// storetest is the conformance suite any other store must pass).
//
// # Score
//
// score = 4 × clinical + 2 × breach + 2 × aging ([DefaultWeights]), where
// clinical is 1 for P1, 0.75 for P2 and urgent, 0.5 for P3 and 0.25 for P4
// and routine; breach is the share of the time from clock start to the
// breach date already waited (0 to 2, so overdue patients keep rising);
// aging is years waited, unbounded, so that no routine patient starves (a
// routine patient waiting a year outranks a new P3). Ties go to the
// longer wait, then the smaller id.
//
// # Concurrency and durability
//
// Entries, offers and released places carry versions; a Store writes a
// record only when the stored version is the one read (compare-and-set),
// and a commit is all or nothing. The store itself refuses a commit that
// would give an entry two open offers or two bookings, a place two
// accepted offers, or leave an entry Offered without an open offer (or
// the reverse), so that no interleaving of any number of instances, each
// with its own engine, can book one patient twice or one place for two.
// Accepting an offer withdraws the other offers of the same place in the
// same commit; declining, expiring and removing write the place too, so
// concurrent closes of its offers serialise on it.
//
// A released place is recorded before anything is offered (status
// pending). A commit that closes the last open offer of a place puts it
// back to pending in that same commit. Pending places are an outbox:
// [List.RunPending] (called by [List.ExpireDue]) offers them until each
// is on offer, booked, or unfilled with the reason, so a change that
// committed is reported as done even when its cascade fails, and the
// cascade happens later. The events of a store form one gap-free
// sequence in commit order (Event.Seq), which [Replay] checks.
//
// Once an accept has committed the booking stands; the engine is told
// after. An engine that disagrees (another instance held the place) is
// logged: engines kept in step across instances are the shared booking
// ledger's work, not the waiting list's.
//
// # Facts relied on
//
//   - Referral to treatment: 18 weeks from the clock start, with the clock
//     paused for patient-initiated pauses (NHS England, Referral to
//     treatment consultant-led waiting times rules,
//     https://www.england.nhs.uk/rtt/ and the national elective access
//     policy, https://www.england.nhs.uk/long-read/national-elective-access-policy).
//   - Cancer: 62 days from urgent suspected cancer referral to first
//     treatment (NHS England cancer waiting times standards,
//     https://www.england.nhs.uk/cancer/).
//   - Surgical prioritisation (Federation of Surgical Specialty
//     Associations, adopted by NHS England, 2020; summarised at
//     https://www.nature.com/articles/s41591-020-0874-8/tables/3): P1a
//     within 24 hours, P1b within 72 hours, P2 within a month, P3 within
//     three months (10–12 weeks without harm), P4 more than three months.
//   - Reminders are at the same local clock time in Europe/London, which
//     moves between GMT and BST on the last Sundays of March and October.
package waitlist
