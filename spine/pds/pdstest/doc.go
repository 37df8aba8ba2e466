// Package pdstest is a fake Personal Demographics Service FHIR API for
// tests: an httptest server on loopback that answers like PDS, seeded with
// synthetic patients.
//
//	srv := pdstest.NewServer()
//	defer srv.Close()
//	client, _ := pds.New(pds.Config{BaseURL: srv.URL})
//
// It follows NHS England's published specification (the OpenAPI in
// ../shared/pds; the facts and their sources are tabled in spine/pds's
// package documentation): required X-Request-ID (a UUID; 400
// MISSING_VALUE or INVALID_VALUE otherwise) mirrored back with
// X-Correlation-ID; 400 INVALID_RESOURCE_ID for an NHS number that fails
// modulus 11, 404 RESOURCE_NOT_FOUND and INVALIDATED_RESOURCE; superseded
// numbers answered with the current record; restricted patients
// (meta.security R) with their address, telecom and GP removed; ETag
// W/"n" and meta.versionId.
//
// PATCH takes a {"patches": [...]} JSON Patch body as
// application/json-patch+json; If-Match is required and must be W/"n"
// (412 PRECONDITION_FAILED otherwise) and current (409
// RESOURCE_VERSION_MISMATCH, issue code conflict); identifiers and meta
// are read-only (400 INVALID_UPDATE); a change inside a name, address or
// telecom item must name the item's id, and a removal must follow a test
// of it (400 INVALID_UPDATE: "you must always include the list id"); a
// patch that leaves the record invalid is refused (400 INVALID_VALUE; only
// errors the patch introduces count, as PDS's own example patient carries
// Extension-UKCore-OtherContactSystem as valueCoding where UK Core STU2
// has valueCodeableConcept). POST /Patient creates a record with a new NHS
// number in the 999 range (201), or answers 200 SINGLE_MATCH or
// MULTIPLE_MATCHES when patients with the same name, birth date, gender
// and postcode exist. A write re-sent with the same X-Request-ID, method,
// path and body gets the first answer again and is not applied twice; any
// other request reusing that id is refused (400 INVALID_VALUE) before
// anything else is checked.
//
// Search needs family and birthdate (400 MISSING_VALUE without a birth
// date, INVALID_SEARCH_DATA without a family name) or, fuzzy, one of the
// three combinations; a malformed date or an unknown gender is 400
// INVALID_VALUE; both postcode parameters together, a wildcard in the
// first two characters of a name, or any wildcard in a fuzzy search are
// 400 INVALID_SEARCH_DATA; unknown parameters 400 ADDITIONAL_PROPERTIES.
// Non-fuzzy searches look at current usual, nickname and temporary names
// and current addresses (all of them with _history); fuzzy ones also
// match Soundex homophones and transposed given and family names. A
// wildcard in a given name matches the start of the first given name
// only; later given names asked for but not recorded lower the score.
// Email and phone match exactly (email whatever its case). Results are
// best first; too many is a completed search carrying TOO_MANY_MATCHES.
//
// Scores: PDS does not publish its scoring. The fake scores 1 for an exact
// match and takes off 0.1657 for each wildcard (so the sandbox's wildcard
// scenario scores 0.8343, as the Node.js sandbox answers it:
// github.com/NHSDigital/personal-demographics-service-api,
// sandbox/src/services/patient-searcher.js), 0.05 for a
// birth date range, 0.1 for a match on a previous name or address, 0.25
// for each homophone or a transposition (0.75, the score of the
// sandbox's published search bundles), 0.1 for each later given name not recorded and,
// fuzzy, 0.1 for a death date or GP that does not match; a fuzzy match
// below 0.6 (two homophones) is not returned. With these rules the search
// scenarios the specification publishes for its sandbox give the results
// it lists, against the sandbox's own patients and a clock (WithClock)
// within their names' periods (2024-01-01 to 2025-12-31).
//
// Access modes: WithAuth makes the fake the token endpoint of
// application-restricted tokens (verifying the client's signed JWT
// assertion against a public key); WithUserTokens accepts a healthcare
// worker's tokens (an idptest.Server's Valid);
// WithApplicationRestricted treats requests without a user token as
// application-restricted. Application-restricted requests get at most one
// search result (_max-results other than 1 is 403 INVALID_VALUE, issue
// code token) and no updates or creations (403 INVALID_METHOD, issue code
// forbidden), with the displays and diagnostics of the platform proxy's
// own refusals (RaiseFault.MaxResultsInvalidAppRestricted,
// RaiseFault.PatchMethodNotAllowedAppRestricted and
// RaiseFault.PostMethodNotAllowed in the PDS repository's
// proxies/live/apiproxy). WithRateLimit answers 429 TOO_MANY_REQUESTS
// (issue code value, display "Too many requests", no Retry-After: the
// proxy's AssignMessage.Errors.AppSpikeArrestExceeded) beyond a rate, as
// the platform's spike arrest does; faults
// are injected with the methods every fake of this module shares:
// FailNext(n, status), Inject (a queue of 408s, 429s, 5xx, slow answers,
// dropped connections and answers lost after a write was applied),
// SetFaultRate (a seeded random schedule) and SetLatency. Like httptest,
// NewUnstartedServer returns it configured but not listening; Start or
// StartTLS start it, NewServer does both.
//
// Doubts: the specification says a search with too many matches is a
// completed search (200) carrying a TOO_MANY_MATCHES error but does not
// show its body; the fake returns a searchset Bundle whose one entry is
// that OperationOutcome (search.mode outcome), and the client accepts a
// bare OperationOutcome too. What PDS answers to a reused X-Request-ID on
// another request is not published: the fake's 400 INVALID_VALUE is its
// own choice. The sandbox's scenarios match an email whose period
// ended in 2022, so the fake does not check telecom periods. The sandbox
// answers each scenario with a fixed bundle (scores 0.75, 0.8343, 0.8976
// or 1 in its versions); the fake computes its scores by the rules above,
// which reproduce two of those figures.
package pdstest
