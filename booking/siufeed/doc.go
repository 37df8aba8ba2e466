// Package siufeed keeps a booking ledger in step with a trust's PAS from
// the SIU scheduling messages the PAS already sends, so that the booking
// engine and the waiting list see the trust's slots and bookings as they
// change. Feed.Handler plugs into an hl7v2/mllp Server:
//
//   - S24 (slot opened) adds a slot to the ledger, its id built from the
//     sender (MSH-4) and the filler's id (SCH-2); S23 (slot blocked)
//     removes it, withdrawing any waiting-list offer of it.
//   - S12 (new booking) books the opened slot at the appointment's place
//     (the first AIL, else the first AIP) and time (TQ1, SCH-11 or the
//     resources; hl7v2.SIU.Timing). An appointment outside the opened
//     slots gets a slot of its own, which is never offered to the waiting
//     list. When a waiting-list offer holds the place, the PAS's booking
//     stands: the offer is withdrawn (waitlist.List.WithdrawSlot) and the
//     booking made.
//   - S13 (reschedule), and S14, S18 and S19 when the time or place
//     changed, move the booking (booking.Ledger.Reschedule); S15, S16 and
//     S17 (cancellation, discontinuation, deletion) cancel it. Either
//     releases the place it left, and the feed hands each release to the
//     waiting list, which offers it, before the message is acknowledged.
//   - S20, S21 and S22 (a service or resource taken off an appointment)
//     and S26 (no-show) change no slot and are acknowledged.
//
// The feed is also a booking.SlotSource: an Aggregator searching across
// trusts and practices gets this trust's free opened slots from it.
//
// A message is applied once: a control id (MSH-10) seen before from the
// same sending application and facility (MSH-3, MSH-4) answers
// with the first outcome, and the ledger's own idempotency (a booking's
// key is the filler appointment id; a cancelled booking stays cancelled)
// covers a resend after a restart. What the feed knows (its slots, and the
// bookings by filler id) it rebuilds from the ledger's log when it starts,
// so nothing lives only in memory: with booking/pgstore as the ledger a
// restarted feed carries on where the last one stopped. One feed (one
// MLLP connection) per trust keeps messages in their order.
//
// Package siufeedtest generates a synthetic trust day of SIU messages
// with the PAS's book at its end, for tests and benchmarks.
//
// # Facts relied on
//
//   - HL7 v2.5.1 chapter 10 (https://www.hl7.eu/HL7v2x/v251/std251/ch10.html):
//     the SIU trigger events and their meanings as listed above; SCH-2 is
//     the filler (PAS) appointment id, permanent for the appointment, so
//     it keys the booking across S12, S13, S15; S23 and S24 carry the
//     blocked or opened time in the same structure.
//   - HL7 v2.5.1 chapter 2 (https://www.hl7.eu/HL7v2x/v251/std251/ch02.html),
//     original-mode acknowledgement: AA the message was processed; AE an
//     error in the message's content; AR a rejection of a message the
//     receiver does not take (type, event) or for a reason unrelated to
//     its content, which a resend may get past. ERR carries the location
//     and an HL7 table 0357 code: 100 segment sequence error, 101 required
//     field missing, 102 data type error, 200 unsupported message type,
//     201 unsupported event code, 207 application internal error. In
//     enhanced mode (MSH-15 valued) the commit acknowledgement CA says the
//     message is stored, CE that it could not be.
package siufeed
