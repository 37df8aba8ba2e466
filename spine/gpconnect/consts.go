package gpconnect

import "github.com/nhskit/nhskit/fhir/stu3"

// Interaction ids, sent as Ssp-InteractionID.
const (
	InteractionMetadata            = "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1"
	InteractionSearchPatient       = "urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1"
	InteractionReadPatient         = "urn:nhs:names:services:gpconnect:fhir:rest:read:patient-1"
	InteractionReadPractitioner    = "urn:nhs:names:services:gpconnect:fhir:rest:read:practitioner-1"
	InteractionSearchPractitioner  = "urn:nhs:names:services:gpconnect:fhir:rest:search:practitioner-1"
	InteractionReadOrganization    = "urn:nhs:names:services:gpconnect:fhir:rest:read:organization-1"
	InteractionSearchOrganization  = "urn:nhs:names:services:gpconnect:fhir:rest:search:organization-1"
	InteractionReadLocation        = "urn:nhs:names:services:gpconnect:fhir:rest:read:location-1"
	InteractionRegisterPatient     = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.registerpatient-1"
	InteractionSearchSlots         = "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"
	InteractionReadAppointment     = "urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1"
	InteractionCreateAppointment   = "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1"
	InteractionAmendAppointment    = "urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1"
	InteractionCancelAppointment   = "urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1"
	InteractionPatientAppointments = "urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1"
	InteractionStructuredRecord    = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"
	// Access Document: its own endpoint's metadata and patient search, then
	// document search (GET [base]/Patient/[id]/DocumentReference) and
	// retrieval (GET [base]/Binary/[id]).
	InteractionDocumentsMetadata      = "urn:nhs:names:services:gpconnect:documents:fhir:rest:read:metadata-1"
	InteractionDocumentsSearchPatient = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:patient-1"
	InteractionSearchDocuments        = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:documentreference-1"
	InteractionRetrieveDocument       = "urn:nhs:names:services:gpconnect:documents:fhir:rest:read:binary-1"
	// InteractionStructuredMetadata reads the Access Record Structured
	// endpoint's CapabilityStatement (GET [structured_base]/metadata).
	InteractionStructuredMetadata = "urn:nhs:names:services:gpconnect:structured:fhir:rest:read:metadata-1"
)

// SSP header names.
const (
	HeaderTraceID       = "Ssp-TraceID"
	HeaderFrom          = "Ssp-From"
	HeaderTo            = "Ssp-To"
	HeaderInteractionID = "Ssp-InteractionID"
)

// Identifier systems.
const (
	SystemNHSNumber        = stu3.SystemNHSNumber
	SystemODSCode          = stu3.SystemODSCode
	SystemSDSUserID        = "https://fhir.nhs.uk/Id/sds-user-id"
	SystemSDSRoleProfileID = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	SystemOrganisationType = stu3.SystemOrganisationType
	SystemSpineErrorCode   = "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1"
)

// Profiles and extensions.
const (
	ProfileAppointment      = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1"
	ProfileSlot             = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Slot-1"
	ProfileSchedule         = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Schedule-1"
	ProfileOrganization     = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1"
	ProfileOperationOutcome = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"
	ProfileSearchsetBundle  = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Searchset-Bundle-1"
	ProfilePatient          = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"
	ExtBookingOrganisation  = stu3.ExtBookingOrganisation
	ExtCancellationReason   = stu3.ExtCancellationReason
	ExtDeliveryChannel      = stu3.ExtDeliveryChannel
	ExtPractitionerRole     = stu3.ExtPractitionerRole
	ContentTypeFHIRJSON     = "application/fhir+json"
	MaxDescriptionLength    = 100
	MaxCommentLength        = 500
	MaxSlotSearchPeriodDays = 14
	// OrgTypeGPPractice is the GPConnect-OrganisationType-1 code for a GP
	// practice, sent in searchFilter.
	OrgTypeGPPractice = "gp-practice"
)

// Requested scopes a JWT may carry.
const (
	ScopePatientRead       = "patient/*.read"
	ScopePatientWrite      = "patient/*.write"
	ScopeOrganizationRead  = "organization/*.read"
	ScopeOrganizationWrite = "organization/*.write"
)
