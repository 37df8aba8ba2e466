// Package notify is a client for NHS Notify, NHS England's service for
// messaging patients through the NHS App, email, text message and letter:
// send a message or a batch under a routing plan (which channels, in which
// order, with fall-back), read a message's status and the status of each
// of its channels, read the recipient's responses to an NHS App message,
// list a GP practice's NHS App accounts, and receive the signed message
// and channel status callbacks ([CallbackHandler]) and the mutual-TLS
// recipient response callbacks ([ResponseHandler]).
// spine/notify/notifytest is a fake NHS Notify for tests.
//
//	client, err := notify.New(notify.Config{
//		BaseURL: spine.Integration.BaseURL + notify.BasePath,
//		Tokens:  &spine.AppRestricted{APIKey: key, KeyID: kid, PrivateKey: pk, TokenURL: spine.Integration.TokenURL()},
//	})
//	st, err := client.Send(ctx, notify.Message{RoutingPlanID: plan, Reference: ref,
//		Recipient: notify.Recipient{NHSNumber: nhs}, Personalisation: map[string]string{"date": "3 March"}})
//
// Every call goes through the module's client core (internal/httpx):
// rate limit (Config.Limiter, shared between clients of one application),
// retries of connection failures, 429 and 502–504 with Retry-After
// honoured. A send is retried only because NHS Notify de-duplicates by
// messageReference (messageBatchReference for a batch): a repeat is
// answered 422 CM_DUPLICATE_REQUEST and never sent twice, so a caller who
// retries with the same reference gets at most one message to the
// patient, and can read ErrDuplicateRequest as "already accepted".
//
// Errors are *Error values wrapping the module's *spine.APIError (status,
// first error code, request and correlation ids), with every JSON:API
// error (code, title, detail, source pointer or header) and the
// Retry-After; match them with errors.Is against this package's CM_
// sentinels (ErrDuplicateRequest, ErrNoSuchRoutingPlan, ErrRetryTooEarly,
// ErrQuota, ErrInvalidNHSNumber, …) or spine.HTTPStatus. Errors and logs
// never carry a recipient's NHS number unmasked, their contact details or
// the personalisation.
//
// # Facts relied on
//
// From NHS England's NHS Notify API specification (OpenAPI of
// github.com/NHSDigital/communications-manager-api, read from
// ../shared/notify/specification; https://digital.nhs.uk/developer/api-catalogue/nhs-notify):
//
//   - Base URLs https://{sandbox.,int.,}api.service.nhs.uk/comms; POST
//     /v1/messages (201, JSON:API document of type Message), POST
//     /v1/message-batches (201, MessageBatch), GET /v1/messages/{id} (id a
//     KSUID), GET /channels/nhsapp/accounts?ods-organisation-code=&page=
//     (pages with links self, next, last). Application-restricted, signed
//     JWT authentication, as for PDS.
//   - Request and response bodies are application/vnd.api+json or
//     application/json, charset utf-8 or none (415 and 406 otherwise).
//   - messageReference (and messageBatchReference) de-duplicate: a repeat
//     is 422 CM_DUPLICATE_REQUEST; a repeat while the first is still
//     processed is 425 CM_RETRY_TOO_EARLY with Retry-After (at least
//     300 s); too many requests is 429 CM_QUOTA with Retry-After (at least
//     5 s); an unknown routing plan is 404 CM_NO_SUCH_ROUTING_PLAN; a
//     validation failure is 400 with up to 100 errors (CM_MISSING_VALUE,
//     CM_INVALID_VALUE, CM_INVALID_NHS_NUMBER, CM_DUPLICATE_VALUE,
//     CM_TOO_FEW_ITEMS, CM_ODS_CODE_REQUIRED, CM_CANNOT_SET_ODS_CODE,
//     CM_CANNOT_SET_CONTACT_DETAILS) each with a JSON Pointer.
//   - A batch holds at most 45,000 messages and 5.2 MB (413 otherwise).
//   - Message statuses created, pending_enrichment, enriched, sending,
//     delivered, failed; channel types nhsapp, email, sms, letter; channel
//     statuses created, sending, delivered, failed, skipped; supplier
//     statuses as the SupplierStatus enum lists.
//   - Callbacks (documentation/APIDescription.md, "Receive a callback";
//     callbacks/*.yaml): POSTed with the API key in x-api-key (answer 401
//     when missing or invalid) and an HMAC-SHA256 of the body in
//     x-hmac-sha256-signature under the secret "APPLICATION_ID.API_KEY"
//     (answer 403 when invalid); 202 accepts. The body is {"data": [...]}
//     of MessageStatus or ChannelStatus items, each with
//     meta.idempotencyKey for de-duplicating redeliveries; delivery is
//     retried for 2 hours and may be out of order.
//   - The global free-text routing plans 00000000-0000-0000-0000-00000000000{1..7}
//     (NHS App; email; SMS; NHS App then email, twice; NHS App then SMS,
//     twice).
//
// Recipient responses are newer than the ../shared snapshot; from the
// same repository's later specification
// (https://github.com/NHSDigital/communications-manager-api,
// specification/endpoints/get_responses.yaml, documentation/GetResponses.md,
// callbacks/recipient_response.yaml, schemas/components/RecipientResponse.yaml):
//
//   - GET /v1/messages/{id}/responses lists a message's NHS App keyword
//     responses (type Response: id a UUID, messageId, code, authoredAt,
//     timestamp, channel nhsapp), paged by an opaque cursor taken from
//     links.next; 400 CM_INVALID_VALUE (source.parameter messageId) for an
//     id that is not a KSUID; kept 9 months; the sandbox answers Prefer
//     code=400, 403 and 503.
//   - The recipient response callback (type RecipientResponse:
//     messageId, messageReference, cascadeType, channel, channelStatus,
//     code, responseId, authoredAt, timestamp; links.recipientResponse;
//     meta.idempotencyKey) is authenticated with mutual TLS, not an API
//     key or signature. Free-text responses are not supported.
//
// From NHS England's sandbox (../shared/notify/sandbox, the backend behind
// the API platform's sandbox proxy): its routes are /api/v1/messages,
// /api/v1/send and /api/channels/nhsapp/accounts (SandboxBackendPaths),
// it parses only Content-Type application/json, answers a batch with 200
// and a bare {requestId, routingPlan, messages} object, and errors as
// {message, errors} without codes; the client reads both shapes.
package notify
