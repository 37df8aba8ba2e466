// Package pds is a client for NHS England's Personal Demographics Service
// FHIR API: retrieve a patient by NHS number, trace one by demographics,
// verify an NHS number against them, update a record with JSON Patch,
// create a record (NHS number allocation), and list related people.
// spine/pds/pdstest is a fake PDS for tests.
//
// Retrieval and single-match search work with application-restricted
// access; updates, creations and searches returning several patients need
// a healthcare worker's CIS2 token:
//
//	client, err := pds.New(pds.Config{
//		BaseURL: spine.Integration.BaseURL + pds.BasePath,
//		Tokens: &spine.UserRestricted{
//			Client:  &spine.AppRestricted{APIKey: key, KeyID: kid, PrivateKey: pk, TokenURL: spine.Integration.TokenURL()},
//			IDToken: session.CIS2IDToken, // the signed-in worker's ID token
//		},
//		RoleID: roleProfileID,
//	})
//	p, err := client.Get(ctx, nhsNumber)
//	v, err := client.VerifyNHSNumber(ctx, nhsNumber, pds.Query{Family: "Smith", Given: []string{"Jane"}, BirthDate: dob})
//
// Requests are rate limited (5 per second by default, PDS's documented
// application limit; every attempt, retries included, takes a slot, handed
// out in order however many goroutines ask; Config.Limiter shares one limit
// between clients, as PDS counts it per application), retried on connection
// errors, 408, 429 and 502–504 with Retry-After honoured. Every call has
// one X-Request-ID that each of its attempts re-sends, so PDS recognises a
// re-sent update or creation and never applies it twice. A 401 renews the
// token once and re-sends. Errors are *spine.APIError values carrying the
// HTTP status, the Spine error code, the OperationOutcome and the request
// id; match them with errors.Is against the spine sentinels
// (spine.ErrResourceNotFound, spine.ErrInvalidResourceID,
// spine.ErrResourceVersionMismatch, spine.ErrTooManyMatches, …). Logs and
// errors carry NHS numbers masked and never names.
//
// # Facts relied on
//
// Sources: the PDS FHIR API specification, NHS England,
// and, where it says "the proxy's", the platform proxy's policies in the
// same repository (proxies/live/apiproxy/policies; read through the
// public code index, not in ../shared),
// https://digital.nhs.uk/developer/api-catalogue/personal-demographics-service-fhir,
// OpenAPI in github.com/NHSDigital/personal-demographics-service-api
// (commit f57f5839, read from ../shared/pds): "yaml" below is
// specification/personal-demographics.yaml, "search", "patch", "create"
// and "get" its components/paths/patient-*.yaml.
//
//	What PDS does                                            Source
//	-------------------------------------------------------  ---------------------------------------------
//	Base path /personal-demographics/FHIR/R4; GET, search,   yaml, paths
//	  PATCH and POST /Patient, GET RelatedPerson
//	X-Request-ID: required UUID, mirrored; "if you re-send   yaml, components.parameters.RequestID
//	  a failed request, use the same value"
//	NHSD-End-User-Organisation-ODS: mandatory for apps       yaml, NHSD-End-User-Organisation-ODS
//	  serving several organisations
//	5 transactions per second per application; 429          yaml "Rate limits"; search/patch 4XX tables
//	  TOO_MANY_REQUESTS beyond
//	408 UNABLE_TO_CALL_SERVICE: downstream did not answer    search, patch, create 4XX tables
//	  in time
//	503 SERVICE_UNAVAILABLE: re-send after Retry-After       patch, create '503'
//	  with the same X-Request-ID
//	Retrieval: 400 INVALID_RESOURCE_ID, 404                  get
//	  RESOURCE_NOT_FOUND / INVALIDATED_RESOURCE; superseded
//	  number answered with the current record; ETag W/"n"
//	Restricted patients: meta.security R, no address,        search "Restricted patients"
//	  telecom, contact, GP; left out of postcode and GP
//	  searches
//	Update: application/json-patch+json, {"patches": [...]}, patch; examples/requests/PatientPatch
//	  If-Match W/"n" (412 PRECONDITION_FAILED when missing
//	  or not of that form, 409 RESOURCE_VERSION_MISMATCH
//	  when stale)
//	Updates not allowed with application-restricted access   patch, access mode table; the proxy's
//	  (403 INVALID_METHOD, as the platform proxy answers)      RaiseFault.PatchMethodNotAllowedAppRestricted
//	A list item change must include the item's id (or url);  patch "you must always include the list id";
//	  removing one needs a test of it immediately before      "Removal"
//	value required for add, replace and test (so null is     patch "JSON Patch"
//	  sent, not dropped)
//	X-Sync-Wait changes how long an update waits before      patch "Overview"; the proxy's
//	  503; whole seconds (the proxy itself sets 29)           AssignMessage.AddSyncWaitHeader
//	Search: family and birthdate at least; fuzzy needs one   search "Non-fuzzy search", "Fuzzy search"
//	  of three combinations, no wildcards; wildcard not in
//	  the first two characters                               yaml parameters Family, Given
//	_max-results 1–50, default 50; application-restricted:  yaml MaxResults; search 4XX table;
//	  must be 1 (403 INVALID_VALUE otherwise)                 RaiseFault.MaxResultsInvalidAppRestricted
//	400 INVALID_SEARCH_DATA, MISSING_VALUE, INVALID_VALUE,   search 4XX table and example
//	  ADDITIONAL_PROPERTIES, UNSUPPORTED_SERVICE
//	Score 1.0 exact, best first; _exact-match returns only   search "Scoring", ExactMatch
//	  score 1; TOO_MANY_MATCHES on a completed (200) search
//	Create: POST /Patient, healthcare worker only; 201 with  create
//	  the record; 200 SINGLE_MATCH / MULTIPLE_MATCHES when
//	  the person may exist
//	Errors: OperationOutcome, details code in                yaml components.schemas.OperationOutcome
//	  https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode
//	The Node.js sandbox sends meta.versionId as a number      the sandbox's answers (the issue reporting it);
//	  (FHIR: a string); read as its string                     FHIR R4 Meta.versionId is an id
//
// VerifyNHSNumber is this package's flow, not a PDS operation: a
// non-fuzzy search on the demographics given with _exact-match and
// _max-results 1 (allowed in both access modes), verified only when one
// patient matches, with score 1, carrying the number with verification
// status 01 "number present and verified" (UK Core
// NHSNumberVerificationStatus).
package pds
