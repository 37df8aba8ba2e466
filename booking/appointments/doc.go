// Package appointments is the appointment API as an http.Handler a team
// mounts in its own service: search, book, reschedule and cancel over a
// shared booking.Ledger, in plain JSON for app developers and in FHIR R4
// for systems that speak it. Any number of instances may serve it over one
// ledger (booking/pgstore): the ledger alone decides whether a place is
// free, and each instance's booking.Engine, following the ledger, ranks
// the slots.
//
// # JSON
//
//	GET    /api/appointments/available   ranked slots for a flexible request
//	POST   /api/appointments/book        book (Idempotency-Key)
//	PUT    /api/appointments/{id}/reschedule   move (If-Match)
//	DELETE /api/appointments/{id}        cancel (If-Match)
//	GET    /appointments/{id}            read (also /api/appointments/{id}; ETag, If-None-Match)
//	GET    /api/openapi.json             the OpenAPI 3.1 document of the above
//
// A search takes a service, a date window (from, to), weekdays and a part
// of the day ("any Tuesday afternoon": weekday=tue&partOfDay=afternoon) or
// weekly windows ("Tue 13:00-17:00"), modalities, a place name, and a
// patient position with a travel limit that the engine's TravelTimer
// checks. Results are ranked by the engine's score, with its four parts
// shown, and paged by an opaque cursor tied to the search that made it.
// Errors are RFC 9457 problem details (application/problem+json) with
// stable types under [ProblemBase] and, for invalid requests, one entry
// per bad field (a JSON pointer into the body, or the parameter's name).
//
// A booking retried with the same Idempotency-Key books once and answers
// 201 with the same appointment (and Idempotent-Replayed: true) on any
// instance, because the key is kept by the ledger, scoped to the caller; a
// key reused for another slot or patient is 422. The replay is the first
// answer (version 1, on the slot first booked) even if the appointment has
// changed since; a GET shows it as it stands. Reschedule and cancel take
// the ETag as If-Match
// and answer 412 when the appointment changed since it was read.
//
// # FHIR
//
//	GET  /fhir/Slot?start=ge{date}&end=le{date}&status=free[&_include=Slot:schedule][&service-type=…][&_count=…]
//	POST /fhir/Appointment
//	GET  /fhir/Appointment/{id}
//	PUT  /fhir/Appointment/{id}          amend (another slot) or cancel (status cancelled)
//
// # Hooks
//
// Authentication, authorisation and rate limiting are functions in
// [Config] (Authenticate, Authorize, Limit), so a service plugs in its own
// (CIS2 or NHS login tokens, a golang.org/x/time/rate limiter per
// principal). Every change is recorded in the ledger's log with who
// (Event.Actor), what (Kind), when (At) and why (Reason); [Replay]
// rebuilds appointments from it, and Config.Audit receives each change as
// it is committed. A cancellation writes Cancelled and SlotReleased in
// the same ledger transaction; [Consume] hands each SlotReleased to one
// instance's waiting-list hook, and [Webhooks] sends events out signed
// as waitlist/webhook signs them, retrying with backoff and keeping what
// fails in a dead-letter list.
//
// # Aggregation
//
// An [Aggregator] in Config.Sources asks trusts' and practices'
// booking.SlotSources on each search, each with its own timeout and
// circuit breaker; fresh answers are cached ([Cache], in process by
// default) and a failing source's last answer is served labelled with its
// age. The search result says, per source, whether its slots are fresh,
// cached, failed, late or skipped (breaker open), and is marked partial
// when any are missing.
//
// # Facts relied on
//
//   - Problem details: media type application/problem+json and members
//     type, title, status, detail, instance, with extension members
//     allowed (RFC 9457, https://www.rfc-editor.org/rfc/rfc9457).
//   - Idempotency-Key request header for POST, a key per request; the
//     same key with a different payload is an error (IETF draft
//     draft-ietf-httpapi-idempotency-key-header).
//   - ETag, If-Match (412 Precondition Failed when it does not match) and
//     If-None-Match (304 Not Modified) (RFC 9110 sections 8.8.3, 13.1.1,
//     13.1.2, 15.4.5, 15.5.13).
//   - OpenAPI 3.1.0 document structure (https://spec.openapis.org/oas/v3.1.0).
//   - GP Connect Appointment Management (https://nhsconnect.github.io/gpconnect/,
//     as summarised in spine/gpconnect's doc): free slots are searched with
//     GET [base]/Slot, start with the ge prefix and end with le, status=free
//     and _include=Slot:schedule; an appointment is created with POST
//     [base]/Appointment (201 with a Location header; a slot no longer free
//     is 409), read with GET [base]/Appointment/[id], and amended or
//     cancelled with PUT [base]/Appointment/[id] (cancel sets status
//     cancelled with a cancellation reason); description is at most 100
//     characters; errors are OperationOutcomes.
//   - Booking and Referral Standard, Appointment Management Foundation
//     (NHS England, https://simplifier.net/guide/nhsbookingandreferralstandard,
//     Core 1.3.1 "Standard Pattern - Appointments"): view, book, update,
//     cancel, reschedule through /Appointment and /Appointment/{id}, slots
//     from a Slot search, the Appointment following UK Core Appointment
//     with status booked, one slot reference and the patient as an
//     accepted participant; a modifying operation reads before it writes.
//   - Webhook signatures as in waitlist/webhook: HMAC-SHA256 of
//     "timestamp.body", sent as t=…,v1=… (Standard Webhooks style).
//
// The FHIR face sends R4 (UK Core shapes) even for GP Connect clients,
// which speak STU3: spine/gpconnect converts between the two.
package appointments
