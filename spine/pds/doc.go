// Package pds is a client for NHS England's Personal Demographics Service
// FHIR API: retrieve a patient by NHS number, trace one by demographics,
// update their record with JSON Patch, and list their related people.
// spine/pds/pdstest is a fake PDS for tests.
//
//	client, err := pds.New(pds.Config{
//		BaseURL: spine.Integration.BaseURL + pds.BasePath,
//		Tokens:  &spine.AppRestricted{APIKey: key, KeyID: kid, PrivateKey: pk, TokenURL: spine.Integration.TokenURL()},
//	})
//	p, err := client.Get(ctx, nhsNumber)
//
// Requests are rate limited (5 per second by default, PDS's documented
// application limit; every attempt, retries included, takes a slot, handed
// out in order however many goroutines ask; Config.Limiter shares one limit
// between clients, as PDS counts it per application), retried on connection
// errors, 429 and 502–504 with Retry-After honoured; a GET is always safe
// to retry, and an Update is re-sent only with the same X-Request-ID,
// which PDS uses to recognise a repeated request, so it is never applied
// twice. Errors are *spine.APIError values carrying the HTTP status, the
// Spine error code, the OperationOutcome and the request id; match them
// with errors.Is against the spine sentinels (spine.ErrResourceNotFound,
// spine.ErrInvalidResourceID, spine.ErrResourceVersionMismatch,
// spine.ErrTooManyMatches, …). Logs and errors carry NHS numbers masked and
// never names.
//
// # Facts relied on
//
// From the PDS FHIR API specification (NHS England,
// https://digital.nhs.uk/developer/api-catalogue/personal-demographics-service-fhir,
// OpenAPI in github.com/NHSDigital/personal-demographics-service-api, read
// from ../shared/pds):
//
//   - Base path /personal-demographics/FHIR/R4 on the API platform
//     environments; GET /Patient/{id}, GET /Patient (search), PATCH
//     /Patient/{id}, GET /Patient/{id}/RelatedPerson.
//   - X-Request-ID is mandatory, a UUID, mirrored back, and PDS uses it to
//     de-duplicate repeated requests: a re-sent request must reuse it.
//     X-Correlation-ID is optional and mirrored. NHSD-End-User-Organisation-ODS
//     is mandatory for applications serving several organisations;
//     NHSD-Session-URID carries the user role for healthcare worker access.
//   - The default rate limit is 5 transactions per second per application
//     (specification/personal-demographics.yaml, "Rate limits"; higher
//     limits by request at onboarding); beyond it, 429 TOO_MANY_REQUESTS
//     (https://digital.nhs.uk/developer/guides-and-documentation/reference-guide#rate-limits). A 503 SERVICE_UNAVAILABLE asks for a
//     re-send after Retry-After with the same X-Request-ID.
//   - Retrieval: 400 INVALID_RESOURCE_ID for an invalid NHS number, 404
//     RESOURCE_NOT_FOUND, 404 INVALIDATED_RESOURCE; a superseded NHS number
//     returns the superseding record, recognisable by its different id;
//     restricted patients carry meta.security code R and come without
//     their location data. The version is the ETag, W/"n".
//   - Update: Content-Type application/json-patch+json, body
//     {"patches": [...]} of RFC 6902 operations, If-Match W/"n" required
//     (412 PRECONDITION_FAILED when missing, 409 RESOURCE_VERSION_MISMATCH
//     when stale), 400 INVALID_UPDATE for a malformed or refused patch.
//   - Search: family, given, gender, birthdate (eq/ge/le, two values for a
//     range), death-date, address-postalcode, general-practitioner, email,
//     phone, _fuzzy-match, _exact-match, _history, _max-results (1–50; 1
//     for application-restricted access). The minimum is family and birth
//     date; a fuzzy search needs one of three combinations. Results carry
//     a score (1.0 exact) best first; too many matches is TOO_MANY_MATCHES
//     on a completed (200) search.
//   - Errors are OperationOutcomes whose issue details code is the Spine
//     error code (system https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode).
package pds
