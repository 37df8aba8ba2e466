package spine

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Sentinel errors for the Spine error codes; match with errors.Is on an
// *APIError.
var (
	ErrInvalidResourceID  = &codeError{"INVALID_RESOURCE_ID"}
	ErrResourceNotFound   = &codeError{"RESOURCE_NOT_FOUND"}
	ErrInvalidSearchData  = &codeError{"INVALID_SEARCH_DATA"}
	ErrTooManyMatches     = &codeError{"TOO_MANY_MATCHES"}
	ErrPreconditionFailed = &codeError{"PRECONDITION_FAILED"}
	ErrAccessDenied       = &codeError{"ACCESS_DENIED"}
	ErrTooManyRequests    = &codeError{"TOO_MANY_REQUESTS"}
	ErrInvalidValue       = &codeError{"INVALID_VALUE"}
	ErrMissingValue       = &codeError{"MISSING_VALUE"}
	ErrUnsupported        = &codeError{"UNSUPPORTED_SERVICE"}
	// PDS update and retrieval codes.
	ErrResourceVersionMismatch = &codeError{"RESOURCE_VERSION_MISMATCH"}
	ErrInvalidUpdate           = &codeError{"INVALID_UPDATE"}
	ErrInvalidatedResource     = &codeError{"INVALIDATED_RESOURCE"}
	ErrAdditionalProperties    = &codeError{"ADDITIONAL_PROPERTIES"}
	ErrServiceUnavailable      = &codeError{"SERVICE_UNAVAILABLE"}
)

// CodeSystem is the Spine error code system of OperationOutcome details.
const CodeSystem = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"

type codeError struct{ code string }

func (e *codeError) Error() string { return "spine: " + e.code }

// Issue is one OperationOutcome issue.
type Issue struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Details  *struct {
		Coding []struct {
			System  string `json:"system"`
			Code    string `json:"code"`
			Display string `json:"display"`
		} `json:"coding"`
	} `json:"details,omitempty"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

// APIError is an NHS API platform error answer.
type APIError struct {
	StatusCode int
	Code       string // the Spine error code, e.g. "RESOURCE_NOT_FOUND"
	IssueType  string // OperationOutcome.issue.code, e.g. "not-found"
	// Diagnostics is the service's explanation; it never contains the
	// request's data (the services do not echo it), but log it with care.
	Diagnostics string
	RequestID   string
	// Issues is every issue of the OperationOutcome; Body is the raw
	// answer (at most 64 KiB).
	Issues []Issue
	Body   []byte
}

func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("spine: status %d %s (request id %s)", e.StatusCode, code, e.RequestID)
}

// Is matches the sentinels by Spine code.
func (e *APIError) Is(target error) bool {
	ce, ok := target.(*codeError)
	return ok && ce.code == e.Code
}

// ParseAPIError builds an *APIError from a failed answer; clients of the
// platform's other APIs use it too.
func ParseAPIError(status int, h http.Header, body []byte, requestID string) *APIError {
	return parseAPIError(status, h, body, requestID)
}

func parseAPIError(status int, h http.Header, body []byte, requestID string) *APIError {
	e := &APIError{StatusCode: status, RequestID: requestID, Body: body}
	if rid := h.Get("X-Request-ID"); rid != "" {
		e.RequestID = rid
	}
	var oo struct {
		ResourceType string  `json:"resourceType"`
		Issue        []Issue `json:"issue"`
	}
	if json.Unmarshal(body, &oo) == nil && len(oo.Issue) > 0 {
		e.Issues = oo.Issue
		is := oo.Issue[0]
		e.IssueType, e.Diagnostics = is.Code, is.Diagnostics
		if is.Details != nil && len(is.Details.Coding) > 0 {
			e.Code = is.Details.Coding[0].Code
		}
	}
	// The OAuth endpoint answers in its own shape.
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if e.Code == "" && json.Unmarshal(body, &oauth) == nil && oauth.Error != "" {
		e.Code, e.Diagnostics = oauth.Error, oauth.Description
	}
	return e
}
