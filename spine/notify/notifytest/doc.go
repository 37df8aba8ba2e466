// Package notifytest is a fake NHS Notify API for tests, started on
// loopback like httptest.Server: NewServer, URL (a client's BaseURL),
// Client, Close.
//
// It follows the published specification (see package notify's facts)
// and answers as NHS England's sandbox does for the sandbox's scenarios:
// the sandbox's five routing plans and the global free-text plans are
// known, the routing plans that trigger 400, 425 and 500 answer so
// (PlanTooEarly, PlanServerError, …), the ODS codes T00001 (8 pages of NHS
// App accounts), T00404, T00429 and T00502 answer as in the sandbox, and
// without WithAuth the Authorization values "banned", "noDefaultOds",
// "noOdsChange" and "notAllowedContactDetailOverride" trigger the service
// ban and the ODS-code and contact-details refusals, and a "Prefer:
// code=…" header (401, 403, 404, 408, 422_message, 422_batch, 425, 429,
// 500, 502, 503, 504) answers that error, as the sandbox environment's
// documentation describes. Where the sandbox is
// stateless the fake is not: it stores messages, answers a repeated
// messageReference 422 CM_DUPLICATE_REQUEST, validates NHS numbers
// (modulus 11) and answers errors as the public API's JSON:API documents.
// Its synthetic NHS App accounts are in the 999 test range.
//
// Messages move on the fake's clock: Advance(d) enriches a message
// EnrichAfter after it was created and ends each channel attempt
// AttemptFor after it started, delivered unless SetOutcome says the
// channel fails for that NHS number, in which case the routing plan's next
// channel is tried. Deliver and Fail move one message at once. With
// WithCallbacks every status change is POSTed, signed as NHS Notify signs
// it, to the subscriber's message and channel status URLs; a callback the
// receiver refuses stays queued for the next FlushCallbacks, and Redeliver
// repeats one, as NHS Notify may.
//
// Respond records a recipient's keyword response to an NHS App message:
// GET /v1/messages/{id}/responses pages through them (cursor paging, 10 a
// page), and WithResponseCallbacks POSTs the recipient response callback
// with the *http.Client the test gives, which carries the client
// certificate of mutual TLS. An unknown message id answers 404 (the
// specification does not say; the fake's choice).
//
// Faults are injected with the methods every fake of this module shares
// (FailNext, Inject, SetFaultRate, SetLatency), answered with NHS Notify's
// error bodies; WithAuth makes it check bearer tokens and serve the token
// endpoint, verifying the signed JWT client assertion.
package notifytest
