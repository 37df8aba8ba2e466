// Package webhook delivers waitlist notifications to an HTTPS endpoint the
// caller runs (an SMS gateway, an NHS App integration), signed so that the
// receiver can prove they came from us and are fresh, and verifies such
// deliveries on the receiving side.
//
// Each delivery is a POST of the notification as JSON with headers
//
//	Nhskit-Event-Id:  the notification's event id (receivers de-duplicate on it)
//	Nhskit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// the same scheme as widely used webhook signatures (a timestamp bound into
// the MAC defeats replay; RFC 2104 HMAC with SHA-256, FIPS 180-4).
// Verification compares MACs in constant time (crypto/hmac.Equal) and
// rejects timestamps outside a tolerance (default five minutes).
//
// A Notifier or Handler without a secret refuses to run ([ErrNoSecret]).
// Bodies carry the entry id and a masked NHS number, and no phone number
// or email address unless the Notifier opts in (IncludeContact). Both
// sides remember a bounded number of event ids (DefaultDedup, oldest
// forgotten first) to drop duplicates.
package webhook
