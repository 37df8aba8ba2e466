// Package spine holds what every NHS API platform client shares:
// environments and their base URLs, application-restricted authentication
// with a signed JWT ([AppRestricted], a [TokenSource] that caches the access
// token and refreshes it once however many goroutines ask, on a fetch of
// its own that no one caller's context cancels), user-restricted access
// for a healthcare worker signed in with CIS2 or a citizen signed in with
// NHS login ([UserRestricted]: token exchange, refresh, [ErrSignInAgain]),
// renewal of a token an API refused ([Renewer]: the clients renew once on
// a 401 and re-send), and
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
//   - A new assertion (jti, iat, exp) for every token request, retries
//     included: the platform refuses a reused jti ("Non-unique jti").
//   - User-restricted, separate authentication and authorisation
//     (https://digital.nhs.uk/developer/guides-and-documentation/security-and-authorisation/user-restricted-restful-apis-cis2-separate-authentication-and-authorisation
//     and https://digital.nhs.uk/developer/guides-and-documentation/security-and-authorisation/user-restricted-restful-apis-nhs-login-separate-authentication-and-authorisation):
//     the healthcare worker authenticates with CIS2 (smartcard or a modern
//     alternative), the citizen with NHS login; the application signs the user in with
//     the identity provider (OIDC) and exchanges their ID token at
//     <base>/oauth2/token with grant_type
//     urn:ietf:params:oauth:grant-type:token-exchange, subject_token_type
//     urn:ietf:params:oauth:token-type:id_token, subject_token and the
//     signed client assertion (RFC 8693 section 2.1,
//     https://www.rfc-editor.org/rfc/rfc8693); the answer adds
//     issued_token_type urn:ietf:params:oauth:token-type:access_token.
//     Healthcare worker access (CIS2) is what PDS asks for updates and for
//     more than one search result.
//   - Environments: sandbox https://sandbox.api.service.nhs.uk (no
//     authentication), integration https://int.api.service.nhs.uk,
//     production https://api.service.nhs.uk.
//   - Errors are FHIR OperationOutcomes whose issue[0].details.coding[0].code
//     is a Spine error code (INVALID_RESOURCE_ID, RESOURCE_NOT_FOUND,
//     INVALID_SEARCH_DATA, TOO_MANY_MATCHES, PRECONDITION_FAILED,
//     ACCESS_DENIED, TOO_MANY_REQUESTS, …), with the request's X-Request-ID
//     echoed back.
//
// Doubts: for the separate pattern, whether and how the platform issues a
// refresh token is not settled by what was read; [UserRestricted] uses
// one when the answer carries it (grant_type refresh_token, with the
// client assertion) and otherwise exchanges the ID token again. A 400
// from the token endpoint (other than invalid_client) is taken as the
// user's grant refused, hence [ErrSignInAgain].
package spine
