// Package pdstest is a fake Personal Demographics Service FHIR API for
// tests: an httptest server on loopback that answers like PDS, seeded with
// synthetic patients.
//
//	srv := pdstest.NewServer()
//	defer srv.Close()
//	client, _ := pds.New(pds.Config{BaseURL: srv.URL})
//
// It follows NHS England's published specification (the OpenAPI in
// ../shared/pds): required X-Request-ID (a UUID; 400 MISSING_VALUE or
// INVALID_VALUE otherwise) mirrored back with X-Correlation-ID; 400
// INVALID_RESOURCE_ID for an NHS number that fails modulus 11, 404
// RESOURCE_NOT_FOUND and INVALIDATED_RESOURCE; superseded numbers answered
// with the current record; restricted patients (meta.security R) with
// their address, telecom and GP removed; ETag W/"n" and meta.versionId;
// PATCH with a {"patches": [...]} JSON Patch body and
// application/json-patch+json, If-Match required (412 PRECONDITION_FAILED)
// and checked (409 RESOURCE_VERSION_MISMATCH), identifiers and meta
// read-only (400 INVALID_UPDATE), a patch that leaves the record invalid
// refused (400 INVALID_VALUE; only errors the patch introduces count, as
// PDS's own example patient carries Extension-UKCore-OtherContactSystem as
// valueCoding where UK Core STU2 has valueCodeableConcept), a re-sent request with the same
// X-Request-ID answered again without being applied twice; search with
// the minimum parameters (family and birthdate; the three fuzzy
// combinations), eq/ge/le dates, wildcards, Soundex for fuzzy matching,
// scores, _exact-match, _history, _max-results 1–50 and TOO_MANY_MATCHES;
// unknown parameters 400 ADDITIONAL_PROPERTIES. Every error body is an
// OperationOutcome with the Spine error code.
//
// Options make it check signed-JWT application-restricted auth (it is then
// also the token endpoint, verifying the client's assertion against a
// public key), rate-limit like the platform's spike arrest (429
// TOO_MANY_REQUESTS with Retry-After), and inject faults with the methods
// every fake of this module shares: FailNext(n, status), Inject (a queue of
// 429s, 5xx, slow answers, dropped connections and answers lost after a
// PATCH was applied), SetFaultRate (a seeded random schedule) and
// SetLatency. Like httptest, NewUnstartedServer returns it configured but
// not listening; Start or StartTLS start it, NewServer does both.
//
// Doubt: the specification says a search with too many matches is a
// completed search (200) carrying a TOO_MANY_MATCHES error but does not
// show its body; the fake returns a searchset Bundle whose one entry is
// that OperationOutcome (search.mode outcome), and the client accepts a
// bare OperationOutcome too.
package pdstest
