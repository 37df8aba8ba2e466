package gpconnect

import (
	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/spine"
)

// Sentinels for the Spine error codes a provider returns. A failed call's
// error is a *spine.APIError carrying the status, the code, the
// OperationOutcome, the request id (sent as both X-Request-ID and
// Ssp-TraceID) and the interaction id; match it with errors.Is.
const (
	ErrBadRequest              = spine.ErrorCode("BAD_REQUEST")
	ErrInvalidIdentifierSystem = spine.ErrorCode("INVALID_IDENTIFIER_SYSTEM")
	ErrInvalidIdentifierValue  = spine.ErrorCode("INVALID_IDENTIFIER_VALUE")
	ErrInvalidNHSNumber        = spine.ErrorCode("INVALID_NHS_NUMBER")
	ErrNoPatientConsent        = spine.ErrorCode("NO_PATIENT_CONSENT")
	ErrNonAuthoritative        = spine.ErrorCode("NON_AUTHORITATIVE")
	ErrPatientNotFound         = spine.ErrorCode("PATIENT_NOT_FOUND")
	ErrNoRecordFound           = spine.ErrorCode("NO_RECORD_FOUND")
	ErrOrganisationNotFound    = spine.ErrorCode("ORGANISATION_NOT_FOUND")
	ErrPractitionerNotFound    = spine.ErrorCode("PRACTITIONER_NOT_FOUND")
	ErrDuplicateRejected       = spine.ErrorCode("DUPLICATE_REJECTED")
	ErrInvalidResource         = spine.ErrorCode("INVALID_RESOURCE")
	ErrInvalidParameter        = spine.ErrorCode("INVALID_PARAMETER")
	ErrReferenceNotFound       = spine.ErrorCode("REFERENCE_NOT_FOUND")
	ErrInternalServerError     = spine.ErrorCode("INTERNAL_SERVER_ERROR")
	ErrNotImplemented          = spine.ErrorCode("NOT_IMPLEMENTED")
	// ErrFHIRConstraintViolation is the code of the 409 a provider sends to
	// an amend or cancel whose If-Match is not the current version.
	ErrFHIRConstraintViolation = spine.ErrorCode("FHIR_CONSTRAINT_VIOLATION")
	// ErrInvalidPatientDemographics is the answer to a registration whose
	// NHS number PDS does not hold or whose demographics do not verify
	// against it, or for a deceased or sensitive patient.
	ErrInvalidPatientDemographics = spine.ErrorCode("INVALID_PATIENT_DEMOGRAPHICS")
	// ErrSlotAlreadyBooked is DUPLICATE_REJECTED, the answer to a booking
	// whose slot stopped being free between search and booking.
	ErrSlotAlreadyBooked = ErrDuplicateRejected
	// ErrForbidden matches a 403, which the SSP sends without a Spine code
	// when it refuses the ASID or interaction id.
	ErrForbidden = spine.HTTPStatus(403)
	// ErrVersionConflict matches a 409 to an amend or cancel whose If-Match
	// names a version that is no longer current: read the appointment again.
	// (A 409 DUPLICATE_REJECTED to a booking matches it too, and also
	// ErrDuplicateRejected.)
	ErrVersionConflict = spine.HTTPStatus(409)
	// ErrPreconditionFailed matches a 412: an amend or cancel sent without a
	// well-formed If-Match.
	ErrPreconditionFailed = spine.HTTPStatus(412)
)

// NewOperationOutcome builds the OperationOutcome a provider returns for a
// Spine error code; gpconnecttest uses it, and so can a provider written in
// Go.
func NewOperationOutcome(issueType, code, display, diagnostics string) *stu3.OperationOutcome {
	return &stu3.OperationOutcome{
		Meta: &stu3.Meta{Profile: []stu3.URI{{Value: ProfileOperationOutcome}}},
		Issue: []stu3.OperationOutcomeIssue{{
			Severity: stu3.Code{Value: "error"},
			Code:     stu3.Code{Value: issueType},
			Details: &stu3.CodeableConcept{Coding: []stu3.Coding{{
				System: stu3.URI{Value: SystemSpineErrorCode}, Code: stu3.Code{Value: code}, Display: stu3.String{Value: display},
			}}},
			Diagnostics: stu3.String{Value: diagnostics},
		}},
	}
}
