// Package spine holds what every NHS API platform client shares:
// environments and their base URLs, application-restricted authentication
// with a signed JWT ([AppRestricted], a [TokenSource] that caches the access
// token and refreshes it once however many goroutines ask), and
// [*APIError], the one error type of the PDS, GP Connect and SDS clients,
// matched with errors.Is against [ErrorCode] and [HTTPStatus] sentinels.
//
// [WithResponse] hands the caller the record of any call (status, headers,
// attempts, request and correlation ids, time waited for the rate limit),
// and [WithCorrelationID] sets the X-Correlation-ID of the calls made with
// a context. Every client's Config takes the same transport knobs:
// HTTPClient, Logger, Limiter (a *rate.Limiter shared by the clients that
// spend one application's quota), RequestsPerSecond, Burst, MaxAttempts and
// Timeout.
//
// # Facts relied on
//
// From NHS England's "Application-restricted RESTful APIs - signed JWT
// authentication" (https://digital.nhs.uk/developer/guides-and-documentation/security-and-authorisation/application-restricted-restful-apis-signed-jwt-authentication)
// and the API catalogue:
//
//   - The client assertion is a JWT signed RS512 with the key id in the
//     kid header; claims iss and sub are the application's API key, aud is
//     the token endpoint URL, jti is unique per assertion, exp is at most 5
//     minutes ahead.
//   - It is POSTed form-encoded to <base>/oauth2/token with
//     grant_type=client_credentials,
//     client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
//     and client_assertion=<jwt>; the answer is JSON with access_token,
//     expires_in (seconds, sent as a string, e.g. "599") and token_type
//     "Bearer".
//   - Environments: sandbox https://sandbox.api.service.nhs.uk (no
//     authentication), integration https://int.api.service.nhs.uk,
//     production https://api.service.nhs.uk.
//   - Errors are FHIR OperationOutcomes whose issue[0].details.coding[0].code
//     is a Spine error code (INVALID_RESOURCE_ID, RESOURCE_NOT_FOUND,
//     INVALID_SEARCH_DATA, TOO_MANY_MATCHES, PRECONDITION_FAILED,
//     ACCESS_DENIED, TOO_MANY_REQUESTS, …), with the request's X-Request-ID
//     echoed back.
package spine
