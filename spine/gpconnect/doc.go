// Package gpconnect is a GP Connect consumer: it books appointments into a
// GP practice's diary and reads the structured GP record through the Spine
// Secure Proxy (SSP), speaking FHIR STU3 as GP Connect does. Every
// resource it sends or returns is a package fhir/stu3 type (*stu3.Slot,
// *stu3.Appointment, *stu3.Patient, …), read and written by that package's
// lossless codec: elements and extensions the client has no name for are
// kept (in Unknown, or as extensions with any value type), so an
// appointment read, amended and sent back loses nothing a provider put in
// it. Times are stu3.Instant values as the provider wrote them
// (Instant.Time parses one; a slot search refuses a bundle whose slots'
// times do not parse, and [FreeSlot] carries them parsed). The STU3
// resources convert to nhskit's R4 types with [PatientToR4],
// [PractitionerToR4], [OrganizationToR4], [LocationToR4], [ScheduleToR4],
// [SlotToR4] and [AppointmentToR4], and [PatientFromR4] converts a patient
// traced in PDS.
//
// A [Client] is aimed at one provider (a practice's FHIR base, found with
// package spine/sds) and sends every request with a fresh unsigned JWT
// ([Claims]) and the SSP headers. [Client.SearchFreeSlots],
// [Client.BookAppointment], [Client.ReadAppointment],
// [Client.AmendAppointment], [Client.CancelAppointment] and
// [Client.PatientAppointments] are Appointment Management (amend and
// cancel send If-Match with the version read, so a concurrent change gives
// [ErrVersionConflict] instead of being overwritten; [SlotQuery.Daily]
// narrows a search to a time of day); [Client.ReadPatient],
// [Client.ReadPractitioner], [Client.SearchPractitioners],
// [Client.ReadOrganization], [Client.SearchOrganizations],
// [Client.ReadLocation] and [Client.RegisterPatient] are Foundations;
// [Client.GetStructuredRecord] and [Client.StructuredMetadata] are Access
// Record Structured, with [Walk] to visit the returned bundle;
// [Client.FindDocumentsPatient], [Client.SearchDocuments] and
// [Client.RetrieveDocument] are Access Document. Structured record and
// Access Document have their own endpoints in SDS: make a Client per
// endpoint. [SlotSource] makes a practice a source of
// booking.Slot values for the booking aggregator. Errors from the provider
// or the SSP are *spine.APIError values carrying the status, the Spine error
// code, the OperationOutcome, the interaction id and the request id (sent
// as both X-Request-ID and Ssp-TraceID), matched with errors.Is against the
// sentinels ([ErrDuplicateRejected] and so on). Reads are retried on 429
// and 502-504 (Config.MaxAttempts); a booking, amendment or cancellation is
// sent once. Config.Limiter shares one rate limit between clients.
//
// Package gpconnecttest is a fake practice to test against.
//
// # Facts relied on
//
// From the GP Connect specification (https://nhsconnect.github.io/gpconnect/,
// repository nhsconnect/gpconnect):
//
//   - Interaction ids (development_fhir_operation_guidance, integration_interaction_ids):
//     read metadata urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1 (GET [base]/metadata);
//     search free slots …:rest:search:slot-1 (GET [base]/Slot);
//     read appointment …:rest:read:appointment-1 (GET [base]/Appointment/[id]);
//     create appointment …:rest:create:appointment-1 (POST [base]/Appointment);
//     amend appointment …:rest:update:appointment-1 (PUT [base]/Appointment/[id]);
//     cancel appointment …:rest:cancel:appointment-1 (PUT [base]/Appointment/[id]);
//     patient appointments …:rest:search:patient_appointments-1 (GET [base]/Patient/[id]/Appointment);
//     patient search …:rest:search:patient-1 (GET [base]/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|[nhs]);
//     structured record urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1
//     (POST [base]/Patient/$gpc.getstructuredrecord).
//   - SSP (integration_spine_secure_proxy): the request URL is the SSP base
//     followed by the provider's full service root URL
//     (https://[ssp]/https://[provider]/[fhir_base]/[request]); headers
//     Ssp-TraceID (a UUID), Ssp-From (consumer ASID), Ssp-To (provider
//     ASID) and Ssp-InteractionID.
//   - JWT (integration_cross_organisation_audit_and_provenance, 1.x): a new
//     token per request, unsigned with header {"alg":"none","typ":"JWT"}
//     and an empty signature (the token ends with "."), sent as
//     "Authorization: Bearer"; claims iss, sub (= requesting_practitioner.id),
//     aud (the provider's service root URL), iat, exp = iat + 5 minutes,
//     reason_for_request "directcare", requested_scope "patient/*.read",
//     "patient/*.write", "organization/*.read" or "organization/*.write",
//     optionally followed by " conf/N" or " conf/R"; requesting_device (an
//     identifier, model and version), requesting_organization (name and an
//     ODS code identifier, https://fhir.nhs.uk/Id/ods-organization-code) and
//     requesting_practitioner (id, name, and three identifiers: the SDS
//     user id https://fhir.nhs.uk/Id/sds-user-id and SDS role profile id
//     https://fhir.nhs.uk/Id/sds-role-profile-id, each "UNK" for a user
//     not logged on with a smartcard, and a consumer-defined local user
//     identifier). requested_record is not a 1.x claim and is not sent.
//     The page warns providers that the role profile id and local
//     identifier are not always present, so ParseToken accepts a token
//     without them; the provider acceptance tests
//     (nhsconnect/gpconnect-provider-testing, JWT.feature) accept a token
//     issued 200 seconds in the future (the fake allows [MaxClockSkew], 5
//     minutes) and refuse exp other than iat + 300 with 400.
//   - Resource contention (development_fhir_api_guidance, "Managing
//     resource contention"; appointments_use_case_amend_an_appointment and
//     _cancel_an_appointment): servers return ETag W/"<versionId>"; an
//     update SHALL carry If-Match with it; a version that does not match is
//     409 Conflict with FHIR_CONSTRAINT_VIOLATION (AppointmentAmend.feature
//     and AppointmentCancel.feature in the provider tests send If-Match
//     "invalidEtag" and expect 409; a cancel that also changes the comment,
//     description or participants is 422 INVALID_RESOURCE; an empty
//     cancellation reason is 422 INVALID_PARAMETER). The fake answers a missing
//     If-Match with 412 Precondition Failed, so that a consumer that omits
//     it is caught; [ErrPreconditionFailed] matches that. An amend may change only description and comment (else
//     422 INVALID_RESOURCE), and only future appointments.
//   - Free slot search (appointments_use_case_search_for_free_slots): start
//     with the ge prefix and end with the le prefix, each once; status=free
//     and _include=Slot:schedule are required; _include:recurse for
//     Schedule:actor:Practitioner, Schedule:actor:Location and
//     Location:managingOrganization; searchFilter carries the booking
//     organisation's type
//     (https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1|…)
//     and ODS code; a period longer than two weeks is an error.
//   - Booking (appointments_use_case_book_an_appointment): the Appointment
//     carries meta.profile GPConnect-Appointment-1, status "booked", start,
//     end, one or more slots, created, a patient and a location participant,
//     description (at most 100 characters) and comment (at most 500), and the
//     booking organisation extension
//     (https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1)
//     referencing a contained CareConnect-GPC-Organization-1 with name,
//     telecom, its ODS code identifier and its type
//     (GPConnect-OrganisationType-1);
//     Appointment.reason must not be sent; success is 201 with a Location
//     header; slots that are no longer free give 409 DUPLICATE_REJECTED.
//     The page's example request body is the shape (and element order)
//     TestBookedAppointmentWireJSON checks a booking against.
//   - Errors (development_fhir_error_handling_guidance): an OperationOutcome
//     with issue.code from the FHIR issue-type value set and the Spine
//     error code in issue.details.coding
//     (https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1):
//     400 BAD_REQUEST, INVALID_IDENTIFIER_SYSTEM, INVALID_IDENTIFIER_VALUE,
//     INVALID_NHS_NUMBER; 403 NO_PATIENT_CONSENT, NON_AUTHORITATIVE;
//     404 PATIENT_NOT_FOUND, ORGANISATION_NOT_FOUND, PRACTITIONER_NOT_FOUND,
//     NO_RECORD_FOUND; 409 DUPLICATE_REJECTED; 422 INVALID_RESOURCE,
//     INVALID_PARAMETER, REFERENCE_NOT_FOUND; 500 INTERNAL_SERVER_ERROR;
//     501 NOT_IMPLEMENTED.
//   - Structured record parameters (accessrecord_structured_development_fhir_operation):
//     patientNHSNumber (valueIdentifier); includeAllergies
//     (includeResolvedAllergies); includeMedication (includePrescriptionIssues,
//     medicationSearchFromDate as valueDate); includeConsultations
//     (consultationSearchPeriod, includeNumberOfMostRecent as
//     valuePositiveInt); includeProblems (filterStatus, filterSignificance);
//     includeImmunisations (includeNotGiven, includeStatus);
//     includeUncategorisedData (uncategorisedDataSearchPeriod);
//     includeInvestigations (investigationSearchPeriod); includeReferrals
//     (referralSearchPeriod); includeDiaryEntries (diaryEntriesSearchDate,
//     today or later). Not permitted with consultations:
//     medicationSearchFromDate, uncategorisedDataSearchPeriod,
//     filterSignificance, filterStatus, referralSearchPeriod,
//     diaryEntriesSearchDate, includeNotGiven, includeStatus (INVALID_PARAMETER);
//     with problems the same less the two problem filters;
//     consultationSearchPeriod with includeNumberOfMostRecent is
//     INVALID_RESOURCE. Dates are whole dates; period and search dates are
//     not after today. The structured endpoint's CapabilityStatement is
//     read with urn:nhs:names:services:gpconnect:structured:fhir:rest:read:metadata-1.
//   - Foundations (development_fhir_operation_guidance,
//     foundations_use_case_*): read patient, practitioner, organisation and
//     location (…:rest:read:patient-1, practitioner-1, organization-1,
//     location-1: GET [base]/{type}/[id]); practitioner search by
//     sds-user-id and organisation search by ODS code (…:rest:search:
//     practitioner-1, organization-1); register patient
//     (…:fhir:operation:gpc.registerpatient-1, POST
//     [base]/Patient/$gpc.registerpatient with one registerPatient
//     parameter holding a CareConnect-GPC-Patient-1 with NHS number, one
//     official name and birth date; answered with a searchset Bundle;
//     errors INVALID_RESOURCE, INVALID_PATIENT_DEMOGRAPHICS,
//     DUPLICATE_REJECTED; the provider verifies the NHS number against PDS
//     by exact birth date, or two of its three parts with the first three
//     letters of the family name and the given name's initial).
//   - Access Document (access_documents_development_search_patient_documents,
//     _retrieve_patient_documents): …:documents:fhir:rest:read:metadata-1,
//     …:documents:fhir:rest:search:patient-1,
//     …:documents:fhir:rest:search:documentreference-1 (GET
//     [base]/Patient/[id]/DocumentReference with _include
//     DocumentReference:subject:Patient, :custodian:Organization,
//     :author:Organization, :author:Practitioner and
//     _revinclude:recurse=PractitionerRole:practitioner, all required, else
//     INVALID_PARAMETER; created with ge/le) and
//     …:documents:fhir:rest:read:binary-1 (GET [base]/Binary/[id];
//     NO_RECORD_FOUND).
//   - Slot search by time of day: the free slot search takes only start
//     and end bounds, so SlotQuery.Daily filters the returned slots by
//     their time of day in Europe/London.
//
// The issue asked that filterSignificance be allowed with consultations
// (only filterStatus forbidden). The specification's "Not permitted
// parameter combinations" lists both includeProblems.filterSignificance
// and includeProblems.filterStatus as MUST NOT with consultations, so both
// are refused here and by the fake.
//
// The issue that asked for this package names the double-booking error
// SLOT_ALREADY_BOOKED; the specification's wire code is DUPLICATE_REJECTED
// (409). The fake sends the specification's code, and the client maps it to
// [ErrSlotAlreadyBooked] as well as [ErrDuplicateRejected] when the request
// was a booking.
package gpconnect
