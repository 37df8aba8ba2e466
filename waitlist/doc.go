// Package waitlist runs priority-scored waiting lists that fill cancelled
// slots. Entries carry the patient's clinical priority, referral, RTT
// clock events, decision to treat, cancer pathway and booking
// preferences; [Entry.Deadlines] gives the standards each is held to and
// [ScoreAt] ranks them with a documented, explained score; when the
// booking engine releases a slot, [List.OnSlotReleased] offers it to the
// best entries that can take it, holding the place; [List.Accept] books
// it, and [List.Decline] and [List.ExpireDue] cascade it to the next.
// Every change is an [Event] with who, what, when and why, and [Replay]
// rebuilds the state from the log. All time comes from the configured
// clock. The package does no I/O: notifications go through the caller's
// [Notifier], storage through a [Store] ([MemoryStore] here; package
// storetest is the conformance and stress suite any other store must
// pass).
//
// # Deadlines
//
// Dates are counted in calendar days in Europe/London from the local
// date of the clock start (a clock started at 23:30 GMT on 24 November
// 2026 reaches 18 weeks on 30 March 2027, after the change to BST); a
// deadline is missed once its date is over. P1a and P1b count hours from
// the listing. The RTT clock follows the entry's [ClockEvent]s: starts,
// restarts (a new clock after active monitoring, say), stops (first
// definitive treatment, active monitoring, a decision not to treat, the
// patient declining treatment) and nullification when the patient does
// not attend their first appointment. Patient-requested delays
// ([Entry.Pauses]) and declined offers are recorded and never move it.
//
// # Score
//
// A score has a band and a total. Band 1 holds the entries past a
// clinical target (a P1a, P1b or P2 date, the urgent grading's date, or
// a cancer standard's); everyone else is in band 0, and every band-1
// entry outranks every band-0 entry, so no routine patient, however long
// they wait, overtakes an overdue clinically urgent one.
//
// Within a band the total ranks: total = 4 × clinical + 2 × breach +
// 2 × aging ([DefaultWeights]), where clinical is 1 for P1a, 0.95 for
// P1b, 0.75 for P2, urgent and a running cancer pathway, 0.5 for P3 and
// 0.25 for P4 and routine; breach is the share of the time from the
// start of the wait to the earliest deadline already waited (0 to 2);
// aging is years waited, unbounded. Aging is what prevents starvation
// within a band: a score never falls as the wait grows, and a routine
// patient who has waited a year (total at least 7) outranks anyone newly
// listed who is not overdue (at most 4), which the property tests check
// on random entries. Ties go to the longer wait, then the smaller id.
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
// With a shared [booking.Ledger] (Config.Ledger) places are held and
// booked in it, so instances with engines of their own never double-book
// a slot: the ledger alone decides capacity. A release event from the
// ledger names its place by the event's sequence number, so every
// instance that sees it records one place. Once an accept has committed
// the booking stands: the place is "booking" until the ledger confirms
// it (the offer id is the ledger's idempotency key), and RunPending
// retries the confirmation until it does. Without a ledger the List
// books on its own engine, and an engine that refuses (another instance
// held the place) is logged, not undone.
//
// A slot's owner may take a place back while it is on offer (a trust's
// PAS books or blocks the slot; booking/siufeed reports it):
// [List.WithdrawSlot] withdraws the open offers, returns their entries to
// the list and lets the holds go. An accept whose place the ledger can
// then never book (the slot is full or gone) is undone once, in one
// commit (offer withdrawn, entry waiting, place unfilled), and Accept
// returns ErrNotOpen, rather than RunPending retrying it for ever.
//
// # Facts relied on
//
//   - Referral to treatment: the consultant-led RTT rules suite, NHS
//     England (October 2022 edition, https://www.gov.uk/government/publications/right-to-start-consultant-led-treatment-within-18-weeks/referral-to-treatment-consultant-led-waiting-times-rules-suite-october-2022):
//     patients have the right to start consultant-led treatment within a
//     maximum of 18 weeks from referral; clocks start on referral and
//     stop on first definitive treatment, active monitoring, a decision
//     not to treat, or the patient declining treatment; a new clock
//     starts, for example, when active monitoring ends and treatment is
//     decided on, or for the second of a bilateral procedure; a clock
//     may be nullified when the patient does not attend a first
//     appointment that was clearly communicated.
//   - The patient-initiated pause was removed by the NHS Commissioning
//     Board and CCGs (Responsibilities and Standing Rules) (Amendment)
//     (No.2) Regulations 2015 from 1 October 2015; delays the patient
//     chooses may be recorded locally but do not affect the RTT clock
//     (https://www.gov.uk/government/publications/right-to-start-consultant-led-treatment-within-18-weeks).
//   - Cancer waiting times since 1 October 2023 (NHS England,
//     https://www.england.nhs.uk/clinically-led-review-nhs-access-standards/cancer/):
//     the 28-day Faster Diagnosis Standard (urgent suspected cancer,
//     screening and breast symptomatic referrals: diagnosis or ruling
//     out within 28 days of referral), the 31-day standard (decision to
//     treat to treatment, first and subsequent treatments), and the
//     62-day standard (referral to first treatment for urgent suspected
//     cancer and screening referrals, or from a consultant upgrade).
//   - Surgical prioritisation (Federation of Surgical Specialty
//     Associations and the surgical royal colleges, adopted by NHS
//     England, https://cms.rcseng.ac.uk/coronavirus/surgical-prioritisation-guidance/):
//     P1a emergency within 24 hours, P1b urgent within 72 hours, P2
//     within 4 weeks, P3 within 3 months, P4 may wait longer; they grade
//     the operation, so they count from the decision to treat.
//   - National elective access policy (NHS England,
//     https://www.england.nhs.uk/long-read/national-elective-access-policy):
//     local access policies apply the RTT rules. Whether a declined offer
//     was "reasonable" depends on the notice it gave; the notice is
//     Config.ReasonableNotice (default 21 days), to be set from the
//     trust's own policy: the figure was not checked against the policy's
//     current text.
//   - The "urgent" grading's four weeks (UrgentTarget) is a convention
//     for PAS systems that send only urgent/routine, not a national rule.
//   - Reminders are at the same local clock time in Europe/London, which
//     moves between GMT and BST on the last Sundays of March and October.
package waitlist
