// Package ers is a client of the NHS e-Referral Service (e-RS) FHIR API:
// the flow that turns a GP referral into a booked hospital outpatient
// appointment. A referrer searches services for a patient
// (SearchServices, A010), creates a referral from a shortlist
// (CreateReferral, A011; CreateReferralForTriage, A021) and gets its
// UBRN, attaches the letter (UploadFile, A020; MaintainReferralLetter,
// A012), reads free slots
// (Slots, A015, or SlotSource for the booking engine) and books one (Book,
// A016) or, when none can be had, defers booking to the provider (Defer,
// A016), whose APPOINTMENT_SLOT_ISSUES worklist (Worklist, A008) then holds
// the referral. The package also reads referrals with their versions
// (Referral, A005), the actions open to the user (AvailableActions, A029),
// appointments (Appointment, A038; CancelAppointment, A034), services
// (HealthcareService, A033/A037; HealthcareServices, A035), the user's
// roles (BusinessFunctions, A030), attachments (Attachment, A042),
// clinical information (ClinicalInformation, A007) and the R4
// ServiceRequest of a UBRN (ServiceRequests, A041), reference data
// (ReferenceData, A004), the patient letter (PatientLetter, A019); it
// changes shortlists (ChangeShortlist, A031), cancels referrals
// (CancelReferral, A036), and for providers accepts and rejects them
// (AcceptReferral, A013; RejectReferral, A014) and lists the clinicians a
// SERVICE_PROVIDER_CLINICIAN_ADMIN may act for (OnBehalfOfUsers, A040).
// Advice and guidance: CreateAdviceRequest (A044), AdviceWorklist (A023),
// AdviceVersion (A024), AdviceConversation (A025), SendAdviceResponse
// (A026), AdviceOverview (A043), ConvertAdviceToReferral (A027). Providers
// also record triage outcomes (RecordTriageOutcome, A028) and cancel a
// booking to rebook it later (CancelAppointmentActionLater, A022).
//
// It sends through the module's one client core (rate limit, retries,
// request ids, redacted logs) and fails with *Error, which wraps the
// *spine.APIError of the answer: match it with errors.Is against the STU3
// and R4 error code sentinels (ErrSlotNotAvailable, ErrNoRelationship,
// ErrRecForbidden, …), spine's HTTPStatus, or ErrVersionMismatch (409),
// ErrLocked (423), ErrRateLimited (429) and ErrPAS. A call e-RS would
// refuse (an endpoint closed to the access mode or the role, a malformed
// UBRN, a 21st shortlisted service, a deferral for a reason the rules do
// not allow) is refused before sending with *RefusedError. Package erstest
// is a stateful fake of the service for tests.
//
// # Facts relied on
//
// From NHS England's e-RS API specification
// (https://digital.nhs.uk/developer/api-catalogue/e-referral-service-fhir;
// NHSDigital/e-referrals-service-api, specification/e-referrals-service-api.yaml
// and components/{stu3,r4}/schemas/...):
//   - Base URLs: https://sandbox.api.service.nhs.uk/referrals/FHIR,
//     https://int.api.service.nhs.uk/referrals/FHIR,
//     https://api.service.nhs.uk/referrals/FHIR; STU3 paths under /STU3,
//     R4 under /R4 (e-referrals-service-api.yaml, servers and paths).
//   - Access modes: application-restricted (signed JWT) reaches only A004,
//     A005, A007, A008, A013, A024, A025, A028, A029, A033, A035, A036,
//     A037, A042 and A043; every endpoint is open to a CIS2
//     user-restricted token (info.description, "Access modes").
//   - The role is sent as NHSD-eRS-Business-Function and the organisation
//     as NHSD-End-User-Organisation-ODS, both taken from A030's
//     PractitionerRole bundle; NHSD-eRS-On-Behalf-Of-User-ID is sent with,
//     and only with, SERVICE_PROVIDER_CLINICIAN_ADMIN ("Role and
//     Organisation Validation", "On Behalf Of User"). The roles of each
//     endpoint are its "Pre-requisites" (endpoints/aNNN-*.yaml), e.g.
//     A010, A011, A015, A016: REFERRING_CLINICIAN or
//     REFERRING_CLINICIAN_ADMIN; A008 also the SERVICE_PROVIDER_* roles and
//     REFERRING_ADMIN. The R4 endpoints do not allow the role and
//     organisation headers from an application-restricted caller (r4
//     headers/request/*OnlyUserRestricted.yaml), so they are not sent
//     then.
//   - If-Match W/"n" carries the version on the updates (A012, A013,
//     A014, A022, A026, A028, A031, A032, A034, A036;
//     headers/request/IfMatch.yaml); 409 means the version is not the
//     current one (responses/Conflict.yaml); 423 means another user holds
//     the pessimistic lock: fetch the resource again and retry later
//     (responses/Locked.yaml).
//   - 429: the standard production limit is 10 requests per second per
//     application; back off and retry with exponentially increasing waits
//     (1 s, 2 s, 4 s) (responses/TooManyRequests.yaml).
//   - STU3 errors are eRS-OperationOutcome-1 with
//     issue.details.coding.system
//     https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1 (codes such as
//     NO_RELATIONSHIP, INVALID_STATE, SLOT_NOT_AVAILABLE, PAS_NOT_RESPONDING;
//     STU3-OperationOutcome.yaml and the responses/*/4xx, 5xx tables); R4
//     errors use https://fhir.nhs.uk/CodeSystem/http-error-codes with
//     REC_BAD_REQUEST, REC_FORBIDDEN, REC_NOT_FOUND, …
//     (r4/schemas/NHSDigital-OperationOutcome.yaml, r4/schemas/responses).
//   - A016: a booking is an Appointment with status booked, the slot, the
//     referral as ReferralRequest/{ubrn}/_history/{version} and the
//     service and patient as participants; a slot with a named clinician
//     is booked with a participant of type CON and the clinician's SDS
//     user id. A deferral has status proposed and an eRS-ReviewReason-1
//     reason. Defer only when the service has no slots, the slot is no
//     longer available, or no answer came within the 2 minute timeout.
//     502 PAS_RESPONDED_WITH_ERROR, 504 PAS_NOT_RESPONDING
//     (a016-book-or-defer-appointment.yaml, responses/bookOrDeferAppointment).
//   - A015: schedule.actor:HealthcareService, appointmentType (ROUTINE,
//     URGENT, TWO_WEEK_WAIT), status=free, _count 1–100, page from 1,
//     optional schedule.actor:Practitioner and header
//     NHSD-eRS-Comm-Rule-Org (the referral's
//     Extension-eRS-Commissioning-Rule-Org-1); pages may overlap or leave
//     gaps as slots are booked (a015-retrieve-appointment-slots.yaml,
//     queryParameters/*.yaml).
//   - A035 takes ids as _id=1,2 (at most 20, the shortlist's limit too);
//     A042 answers 307 with a short-lived URL of the file store; A020 takes
//     files up to 5 MiB with NHSD-eRS-File-Name and NHSD-eRS-Referral-Id
//     (a035, a042, a020 and the sandbox's routes).
//   - The documented known issues handled here: A015's
//     schedule.actor:Practitioner modifier (FHIR would use :identifier),
//     and single-object HealthcareService.type (A033) and
//     Appointment.participant.type (A016), read whether an object or an
//     array arrives and sent as the single object e-RS expects.
//   - A037 is HEAD /R4/HealthcareService/{id}, the version in the ETag and
//     no body; A036 answers an eRS-CancelReferral-Response-Parameters-1
//     holding updatedReferralRequest; A044 answers 200 (not 201) with
//     createdCommunicationRequest; A040 (_query=onBehalfOf) is asked as
//     SERVICE_PROVIDER_CLINICIAN_ADMIN without an on-behalf-of user, and its
//     Practitioner.identifier arrives as one object
//     (a037, a036, a044 and a040 endpoint files and their examples).
//   - Requests are FHIR Parameters read by name, but NHS England's sandbox
//     matches them against its examples as whole JSON values (lodash
//     isEqual in sandbox/src/routes/stu3/services/mockResponseProvider.js:
//     every member, arrays in order, object members in any order); this
//     client writes the parameters in the examples' order (see
//     SearchCriteria), which is why the conformance test can use the
//     sandbox at all.
//
// # Models
//
// Requests are built from, and STU3 answers decoded by, package fhir/stu3
// (R4 answers by package fhir), so every member e-RS sends is kept. e-RS's
// own answers depart from FHIR's JSON where the known issues above say,
// and send some values as empty strings, which FHIR forbids (the sandbox's
// A010 answer has an empty serviceName); such members are read as absent.
// The answer as e-RS sent it is kept in the Raw fields.
//
// Inferred, not stated by the specification: the reference data code
// systems (SPECIALTY, REFERRAL-CANCELLATION-REASON, …) are the API's own
// base URL followed by /STU3/CodeSystem/{type}; the examples write the base
// as "_baseUrl_" (ReferenceSystem takes the base to use).
//
// Choices made here: 429 on a GET or PUT is retried by the shared
// transport with its capped exponential backoff (from 200 ms, with
// jitter, Retry-After first) rather than the 1, 2, 4 s of the
// specification's example; POSTs, which the transport does not repeat,
// wait Config.Backoff (1, 2, 4 s by default). A021 (deprecated) is
// CreateReferralForTriage. Not covered: A006 and A032 (deprecated).
package ers
