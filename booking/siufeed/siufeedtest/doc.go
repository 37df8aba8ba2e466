// Package siufeedtest generates a day of a trust PAS's SIU feed: the
// clinics' slots opened (S24), then bookings (S12), reschedules (S13),
// modifications (S14), cancellations (S15), deletions (S17), blocked
// slots (S23), resource changes (S20) and no-shows (S26) in a random but
// seeded order, with some messages resent (as a sender does when an
// acknowledgement is lost), some appointments made outside the opened
// slots, and a few messages a receiver must refuse. Alongside the
// messages it keeps what the PAS's book looks like after each one, so a
// test can check a receiver's final state against it. All patients are
// synthetic (NHS numbers in the 999 test range, no names).
//
// # Facts relied on
//
// The messages follow HL7 v2.5.1 chapter 10 (https://www.hl7.eu/HL7v2x/v251/std251/ch10.html)
// as hl7v2's doc lists it: structure SIU_S12, the filler's id in SCH-2,
// the filler status in SCH-25 (table 0278), the time in TQ1-6 to TQ1-8,
// the clinic in AIL-3 and the consultant in AIP-3. NHS numbers come from
// nhsid.TestNHSNumber (the 999 range NHS England reserves for testing).
package siufeedtest
