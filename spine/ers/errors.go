package ers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/nhskit/nhskit/spine"
)

// Error is a failed e-RS call: the *spine.APIError of the answer (status,
// error code, OperationOutcome, request id) and the endpoint called.
// errors.Is matches the ErrorCode sentinels below (and spine's), the
// HTTPStatus sentinels, and ErrVersionMismatch, ErrLocked,
// ErrRateLimited and ErrPAS by status.
type Error struct {
	Endpoint string
	*spine.APIError
}

func (e *Error) Error() string { return "ers: " + e.Endpoint + ": " + e.APIError.Error() }

// Unwrap gives the *spine.APIError, so errors.As finds it too.
func (e *Error) Unwrap() error { return e.APIError }

// Is matches the status sentinels of this package.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrVersionMismatch:
		return e.StatusCode == http.StatusConflict
	case ErrLocked:
		return e.StatusCode == http.StatusLocked
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrPAS:
		return e.Code == string(ErrPASRespondedWithError) || e.Code == string(ErrPASNotResponding)
	}
	return false
}

// Status sentinels.
var (
	// ErrVersionMismatch: 409, the version sent (If-Match, or the
	// referral's _history in A016) is not the current one; read the
	// resource again.
	ErrVersionMismatch = errors.New("ers: version mismatch")
	// ErrLocked: 423, another user or system is updating the resource;
	// read it again and retry later.
	ErrLocked = errors.New("ers: resource locked")
	// ErrRateLimited: 429 after every retry.
	ErrRateLimited = errors.New("ers: rate limited")
	// ErrPAS: the provider's patient administration system answered with
	// an error (502 PAS_RESPONDED_WITH_ERROR) or not in time (504
	// PAS_NOT_RESPONDING) during a booking.
	ErrPAS = errors.New("ers: provider PAS failed")
)

// STU3 error codes (https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1),
// matched with errors.Is. The list is the union of the codes in the
// specification's response tables.
const (
	ErrNoRelationship              = spine.ErrorCode("NO_RELATIONSHIP")
	ErrInvalidState                = spine.ErrorCode("INVALID_STATE")
	ErrInvalidRequestState         = spine.ErrorCode("INVALID_REQUEST_STATE")
	ErrSlotNotAvailable            = spine.ErrorCode("SLOT_NOT_AVAILABLE")
	ErrInappropriateSlot           = spine.ErrorCode("INAPPROPRIATE_SLOT")
	ErrSlotsCurrentlyAvailable     = spine.ErrorCode("SLOTS_CURRENTLY_AVAILABLE")
	ErrThisSlotIsAvailable         = spine.ErrorCode("THIS_SLOT_IS_AVAILABLE")
	ErrUnableToConfirmAppointment  = spine.ErrorCode("UNABLE_TO_CONFIRM_APPOINTMENT")
	ErrUnableToCancelAppointment   = spine.ErrorCode("UNABLE_TO_CANCEL_APPOINTMENT")
	ErrPASRespondedWithError       = spine.ErrorCode("PAS_RESPONDED_WITH_ERROR")
	ErrPASNotResponding            = spine.ErrorCode("PAS_NOT_RESPONDING")
	ErrReferenceNotFound           = spine.ErrorCode("REFERENCE_NOT_FOUND")
	ErrInvalidCode                 = spine.ErrorCode("INVALID_CODE")
	ErrInappropriateValue          = spine.ErrorCode("INAPPROPRIATE_VALUE")
	ErrPatientError                = spine.ErrorCode("PATIENT_ERROR")
	ErrDuplicateService            = spine.ErrorCode("DUPLICATE_SERVICE")
	ErrTooManyItems                = spine.ErrorCode("TOO_MANY_ITEMS")
	ErrShortlistedServiceNotInList = spine.ErrorCode("SHORTLISTED_SERVICE_NOT_IN_RESULTS")
	ErrNoAccess                    = spine.ErrorCode("NO_ACCESS")
	ErrForbidden                   = spine.ErrorCode("FORBIDDEN")
	ErrMissingHeader               = spine.ErrorCode("MISSING_HEADER")
	ErrMissingParameter            = spine.ErrorCode("MISSING_PARAMETER")
	ErrFileSizeError               = spine.ErrorCode("FILE_SIZE_ERROR")
	ErrThreatsFound                = spine.ErrorCode("THREATS_FOUND")
	ErrNoChangesDetected           = spine.ErrorCode("NO_CHANGES_DETECTED")
	// ErrSandbox is the sandbox's answer to a request that matches none of
	// its examples.
	ErrSandbox = spine.ErrorCode("SANDBOX_ERROR")
)

// R4 error codes (https://fhir.nhs.uk/CodeSystem/http-error-codes).
const (
	ErrRecBadRequest  = spine.ErrorCode("REC_BAD_REQUEST")
	ErrRecForbidden   = spine.ErrorCode("REC_FORBIDDEN")
	ErrRecNotFound    = spine.ErrorCode("REC_NOT_FOUND")
	ErrRecNotAccept   = spine.ErrorCode("REC_NOT_ACCEPTABLE")
	ErrRecUnsupported = spine.ErrorCode("REC_UNSUPPORTED_MEDIA_TYPE")
	ErrRecServerError = spine.ErrorCode("REC_SERVER_ERROR")
	ErrRecUnavailable = spine.ErrorCode("REC_UNAVAILABLE")
)

// Why a request was refused before it was sent.
var (
	ErrUserRestrictedOnly = errors.New("endpoint needs a CIS2 user-restricted token")
	ErrNoBusinessFunction = errors.New("no business function configured")
	ErrRoleNotAllowed     = errors.New("business function not allowed on this endpoint")
	ErrInvalidInput       = errors.New("invalid input")
	// ErrDeferNotAllowed: a deferral whose reason is not one of the three
	// the specification allows.
	ErrDeferNotAllowed = errors.New("deferral reason not allowed")
)

// RefusedError is returned, without any request being sent, for a call
// e-RS would refuse: the wrong access mode or role, or input that breaks a
// documented rule (Field says which).
type RefusedError struct {
	Endpoint string
	Role     BusinessFunction
	Field    string
	Err      error
}

func (e *RefusedError) Error() string {
	s := "ers: " + e.Endpoint + " refused before sending: " + e.Err.Error()
	if e.Role != "" {
		s += " (" + string(e.Role) + ")"
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s
}

// Unwrap gives the reason sentinel.
func (e *RefusedError) Unwrap() error { return e.Err }

func refused(ep Endpoint, field string, format string, args ...any) error {
	return &RefusedError{Endpoint: ep.ID, Field: field + " " + fmt.Sprintf(format, args...), Err: ErrInvalidInput}
}
