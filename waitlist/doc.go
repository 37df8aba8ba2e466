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
// # Concurrency
//
// Offers and entries carry versions; a Store writes only when the stored
// version is the one read (compare-and-set), and a commit is all or
// nothing. Accepting an offer withdraws every other offer of the same
// place in the same commit, so of any number of concurrent accepts of one
// offer or of competing offers, exactly one books.
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
