// Package httpx is the one HTTP transport that every nhskit client (spine,
// spine/pds, spine/gpconnect, mesh) sends through. It wraps the caller's
// *http.Client with:
//
//   - a client-side token-bucket rate limit ([golang.org/x/time/rate]),
//     waited for with each attempt's context;
//   - retries with capped exponential backoff and full jitter on connection
//     errors and on 408, 429, 502, 503 and 504, built on
//     [github.com/hashicorp/go-retryablehttp]; Retry-After is honoured in
//     both of its forms; a request that is not idempotent is retried only
//     when the caller marks it safe; attempts and total time are capped, and
//     a wait that would outlive the context's deadline is not started;
//   - a fresh X-Request-ID (UUID version 4 from crypto/rand) on every
//     attempt, unless the caller set one, which is then kept on every
//     attempt (PDS de-duplicates a re-sent request by it);
//     X-Correlation-ID from the context, and a User-Agent of
//     nhskit/<version>;
//   - a [log/slog] record per attempt (method, path, status, attempt,
//     latency) in which NHS numbers in the path are masked and query values
//     and bodies never appear;
//   - Do(ctx, req, v) in go-github's shape: the body is read (bounded) and
//     decoded into v; a non-2xx answer goes to the client's CheckResponse
//     hook, which turns it into the service's typed error (*spine.APIError,
//     *mesh.APIError), or else to a [*StatusError];
//   - a [Response] record for every call (status, headers, attempts, request
//     and correlation ids, time waited on the rate limiter), returned with
//     the error too and handed to a recorder set with [WithRecorder], which
//     is how the public clients give it to their callers;
//   - an optional Timeout bounding one call, all attempts included;
//   - credentials through an [AuthorizeFunc] (Config.Authorize or
//     Request.Authorize): set before the first attempt and, when the
//     service answers 401, renewed once and the request sent once more
//     ([ErrNotRenewed] hands the 401 back; a failure to get credentials
//     wraps [ErrCredentials]).
//
// # Facts relied on
//
//   - Retry-After is either a number of seconds or an HTTP-date (RFC 9110
//     section 10.2.3, https://www.rfc-editor.org/rfc/rfc9110#field.retry-after).
//   - Idempotent methods are GET, HEAD, OPTIONS, TRACE, PUT and DELETE (RFC
//     9110 section 9.2.2); POST and PATCH are retried here only with an
//     idempotency key or an explicit mark from the caller.
//   - UUID version 4: 122 random bits, version nibble 0100 in octet 6 and
//     variant bits 10 in octet 8 (RFC 9562 section 5.4,
//     https://www.rfc-editor.org/rfc/rfc9562#section-5.4).
//   - NHS API platform requests carry X-Request-ID (a UUID, unique per
//     request) and may carry X-Correlation-ID, which the platform echoes
//     (https://digital.nhs.uk/developer/api-catalogue/personal-demographics-service-fhir).
//   - 408 is retried: PDS answers 408 UNABLE_TO_CALL_SERVICE when "the
//     downstream domain processing has not completed within the configured
//     timeout period" (PDS OpenAPI, 4XX tables of every endpoint).
//   - A 401 means the request was refused before it was processed
//     (RFC 9110 section 15.5.2; on the NHS API platform, "Access token
//     missing, invalid or expired"), so re-sending it once with new
//     credentials is safe for any method.
//   - NHS APIs require TLS 1.2 or later; TLS 1.2 is the floor set here when
//     the caller's transport is an *http.Transport without a higher one.
package httpx
