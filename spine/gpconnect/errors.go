package gpconnect

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Sentinel errors for the Spine error codes a provider returns; match with
// errors.Is on an *Error.
var (
	ErrBadRequest              = &codeError{"BAD_REQUEST"}
	ErrInvalidIdentifierSystem = &codeError{"INVALID_IDENTIFIER_SYSTEM"}
	ErrInvalidIdentifierValue  = &codeError{"INVALID_IDENTIFIER_VALUE"}
	ErrInvalidNHSNumber        = &codeError{"INVALID_NHS_NUMBER"}
	ErrNoPatientConsent        = &codeError{"NO_PATIENT_CONSENT"}
	ErrNonAuthoritative        = &codeError{"NON_AUTHORITATIVE"}
	ErrPatientNotFound         = &codeError{"PATIENT_NOT_FOUND"}
	ErrNoRecordFound           = &codeError{"NO_RECORD_FOUND"}
	ErrOrganisationNotFound    = &codeError{"ORGANISATION_NOT_FOUND"}
	ErrPractitionerNotFound    = &codeError{"PRACTITIONER_NOT_FOUND"}
	ErrDuplicateRejected       = &codeError{"DUPLICATE_REJECTED"}
	ErrInvalidResource         = &codeError{"INVALID_RESOURCE"}
	ErrInvalidParameter        = &codeError{"INVALID_PARAMETER"}
	ErrReferenceNotFound       = &codeError{"REFERENCE_NOT_FOUND"}
	ErrInternalServerError     = &codeError{"INTERNAL_SERVER_ERROR"}
	ErrNotImplemented          = &codeError{"NOT_IMPLEMENTED"}
	// ErrSlotAlreadyBooked is matched by a DUPLICATE_REJECTED answer to a
	// booking: the slot stopped being free between search and booking.
	ErrSlotAlreadyBooked = &codeError{"SLOT_ALREADY_BOOKED"}
	// ErrForbidden is matched by a 403 without a Spine code: the SSP
	// refused the ASID or interaction id.
	ErrForbidden = &codeError{"FORBIDDEN"}
)

type codeError struct{ code string }

func (e *codeError) Error() string { return "gpconnect: " + e.code }

// Error is a provider's (or the SSP's) error answer.
type Error struct {
	StatusCode  int
	IssueType   string // OperationOutcome.issue.code, e.g. "duplicate"
	Code        string // the Spine error code, e.g. "DUPLICATE_REJECTED"
	Display     string
	Diagnostics string
	Interaction string
	TraceID     string // the Ssp-TraceID of the request
	// Outcome is the OperationOutcome as received, when there was one.
	Outcome *OperationOutcome
	booking bool
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = e.IssueType
	}
	return fmt.Sprintf("gpconnect: %s: status %d %s (trace %s)", shortInteraction(e.Interaction), e.StatusCode, code, e.TraceID)
}

// Is matches the sentinels by Spine code.
func (e *Error) Is(target error) bool {
	ce, ok := target.(*codeError)
	if !ok {
		return false
	}
	switch {
	case ce.code == e.Code:
		return true
	case ce == ErrSlotAlreadyBooked:
		return e.booking && e.Code == ErrDuplicateRejected.code
	case ce == ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	}
	return false
}

func shortInteraction(id string) string {
	const prefix = "urn:nhs:names:services:gpconnect:fhir:"
	if len(id) > len(prefix) && id[:len(prefix)] == prefix {
		return id[len(prefix):]
	}
	return id
}

// parseError builds an *Error from a failed response body.
func parseError(status int, body []byte, interaction, traceID string) *Error {
	e := &Error{StatusCode: status, Interaction: interaction, TraceID: traceID}
	var oo OperationOutcome
	if json.Unmarshal(body, &oo) == nil && oo.ResourceType == "OperationOutcome" && len(oo.Issue) > 0 {
		e.Outcome = &oo
		is := oo.Issue[0]
		e.IssueType = is.Code
		e.Diagnostics = is.Diagnostics
		if is.Details != nil {
			for _, c := range is.Details.Coding {
				if c.Code != "" {
					e.Code, e.Display = c.Code, c.Display
					break
				}
			}
		}
	}
	return e
}

// NewOperationOutcome builds the OperationOutcome a provider returns for a
// Spine error code; gpconnecttest uses it, and so can a provider written in
// Go.
func NewOperationOutcome(issueType, code, display, diagnostics string) *OperationOutcome {
	return &OperationOutcome{
		ResourceType: "OperationOutcome",
		Meta:         &Meta{Profile: []string{ProfileOperationOutcome}},
		Issue: []Issue{{
			Severity: "error",
			Code:     issueType,
			Details: &CodeableConcept{Coding: []Coding{{
				System: SystemSpineErrorCode, Code: code, Display: display,
			}}},
			Diagnostics: diagnostics,
		}},
	}
}
