// Package erstest is a stateful fake of the NHS e-Referral Service FHIR
// API for tests, started like httptest.Server: NewServer returns it
// listening on loopback, its URL the FHIR base to give ers.Config.BaseURL.
//
// Unlike NHS England's sandbox, which answers only its example requests
// and keeps nothing, the fake remembers: services (AddService) with
// directly bookable slots (AddSlots); referrals created by A011 with UBRNs
// and versions (ETag W/"n", history under _history); bookings (A016) that
// consume a slot and refuse a taken one with 422 SLOT_NOT_AVAILABLE;
// deferrals that obey the rules (NO_SLOTS_AT_SERVICE only when the service
// has no free slot, SLOT_NOT_AVAILABLE only for a slot that is gone) and
// put the referral on the provider's APPOINTMENT_SLOT_ISSUES worklist
// (A008), from which BookDeferred books it as the provider's own system
// would; cancellations that free the slot; uploaded files (A020) fetched
// through A042's 307 to a single-use link; advice and guidance requests
// (A044) with their conversation, the provider's answer (A026) and
// conversion to a referral (A027); triage outcomes (A028) and provider
// cancellations to rebook later (A022).
//
// It checks what e-RS checks: a stale If-Match or referral version answers
// 409, a referral held with Lock answers 423, WithRateLimit answers 429
// with Retry-After, the business function of each endpoint
// (NHSD-eRS-Business-Function, with NHSD-eRS-On-Behalf-Of-User-ID only for
// SERVICE_PROVIDER_CLINICIAN_ADMIN) answers 403 when not allowed, and with
// WithAppToken and WithUserToken a missing token answers 401 and an
// application-restricted one reaches only the endpoints the specification
// opens to it. SetPAS makes a service's PAS answer 502
// PAS_RESPONDED_WITH_ERROR or 504 PAS_NOT_RESPONDING. Errors are STU3
// eRS-OperationOutcome-1 (eRS-APIErrorCode-1 codes) on STU3 paths and R4
// NHSDigital-OperationOutcome (REC_* codes) on R4 paths. The embedded
// Faults (FailNext, Inject, SetFaultRate, SetLatency) inject failures in
// the vocabulary every fake of this module shares; a DropAfter fault
// serves the request and closes the connection without an answer, so a
// test can lose a booking's answer after the slot was taken.
//
// # Facts relied on
//
// The e-RS API specification (NHSDigital/e-referrals-service-api,
// specification/components/{stu3,r4}/schemas: endpoints/aNNN-*.yaml for
// roles and access modes, responses/Conflict.yaml, Locked.yaml,
// TooManyRequests.yaml, bookOrDeferAppointment/422Response.yaml for the
// error codes of A016, STU3-OperationOutcome.yaml and
// NHSDigital-OperationOutcome.yaml for the error bodies, the known issues
// of A033/A035 (HealthcareService.type is one object) and A005/A016
// (Appointment.participant.type is one object), which the fake
// reproduces) and NHS England's sandbox (the 400 INVALID_VALUE for a page
// past the last in A015; A020's accepted content types and 5 MiB limit;
// A042's 307 to the object store).
package erstest
