package spine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// ErrorCode is a Spine (or GP Connect) error code used as a sentinel: an
// *APIError matches it with errors.Is when its Code is the same.
type ErrorCode string

func (c ErrorCode) Error() string { return "spine: " + string(c) }

// HTTPStatus is an HTTP status used as a sentinel: an *APIError matches it
// with errors.Is when its StatusCode is the same, whatever its Code
// (errors.Is(err, spine.HTTPStatus(http.StatusForbidden))).
type HTTPStatus int

func (s HTTPStatus) Error() string {
	return "spine: status " + strconv.Itoa(int(s)) + " " + http.StatusText(int(s))
}

// Sentinels for the Spine error codes of the NHS API platform services.
const (
	ErrInvalidResourceID  = ErrorCode("INVALID_RESOURCE_ID")
	ErrResourceNotFound   = ErrorCode("RESOURCE_NOT_FOUND")
	ErrInvalidSearchData  = ErrorCode("INVALID_SEARCH_DATA")
	ErrTooManyMatches     = ErrorCode("TOO_MANY_MATCHES")
	ErrPreconditionFailed = ErrorCode("PRECONDITION_FAILED")
	ErrAccessDenied       = ErrorCode("ACCESS_DENIED")
	ErrTooManyRequests    = ErrorCode("TOO_MANY_REQUESTS")
	ErrInvalidValue       = ErrorCode("INVALID_VALUE")
	ErrMissingValue       = ErrorCode("MISSING_VALUE")
	ErrUnsupported        = ErrorCode("UNSUPPORTED_SERVICE")
	// PDS update and retrieval codes.
	ErrResourceVersionMismatch = ErrorCode("RESOURCE_VERSION_MISMATCH")
	ErrInvalidUpdate           = ErrorCode("INVALID_UPDATE")
	ErrInvalidatedResource     = ErrorCode("INVALIDATED_RESOURCE")
	ErrAdditionalProperties    = ErrorCode("ADDITIONAL_PROPERTIES")
	ErrServiceUnavailable      = ErrorCode("SERVICE_UNAVAILABLE")
)

// CodeSystem is the Spine error code system of OperationOutcome details.
const CodeSystem = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"

// Coding is one coding of an issue's details.
type Coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// Issue is one OperationOutcome issue.
type Issue struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Details  *struct {
		Coding []Coding `json:"coding"`
	} `json:"details,omitempty"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

// APIError is the error every NHS API platform and Spine client of this
// module (PDS, GP Connect, SDS) returns for an answer that is not a
// success. Find it with errors.As; match its code with errors.Is against an
// ErrorCode or HTTPStatus sentinel.
type APIError struct {
	StatusCode int
	// Code is the Spine or GP Connect error code, e.g. "RESOURCE_NOT_FOUND"
	// or "DUPLICATE_REJECTED", and Display its display text.
	Code    string
	Display string
	// IssueType is the first issue's code, e.g. "not-found".
	IssueType string
	// Diagnostics is the service's explanation; the services do not echo
	// the request's data in it, but log it with care.
	Diagnostics string
	// RequestID is the X-Request-ID sent with the last attempt (for GP
	// Connect also its Ssp-TraceID): quote it to the service desk.
	// CorrelationID is the X-Correlation-ID sent, if any; InteractionID the
	// Spine interaction (GP Connect), if any.
	RequestID     string
	CorrelationID string
	InteractionID string
	// Attempts counts the attempts made.
	Attempts int
	// Issues is every issue of the OperationOutcome; Body is the raw
	// answer (at most 64 KiB), never included in Error().
	Issues []Issue
	Body   []byte
}

func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = e.IssueType
	}
	if code == "" {
		code = http.StatusText(e.StatusCode)
	}
	s := "spine: "
	if e.InteractionID != "" {
		s += shortInteraction(e.InteractionID) + ": "
	}
	return fmt.Sprintf("%sstatus %d %s (request id %s)", s, e.StatusCode, code, e.RequestID)
}

// GoString is Error's text: %#v would otherwise print Body, the raw
// answer, which may echo what the request carried.
func (e *APIError) GoString() string { return e.Error() }

func shortInteraction(id string) string {
	const prefix = "urn:nhs:names:services:"
	if len(id) > len(prefix) && id[:len(prefix)] == prefix {
		return id[len(prefix):]
	}
	return id
}

// Is matches ErrorCode sentinels by Code and HTTPStatus sentinels by
// StatusCode.
func (e *APIError) Is(target error) bool {
	switch t := target.(type) {
	case ErrorCode:
		return e.Code != "" && string(t) == e.Code
	case HTTPStatus:
		return int(t) == e.StatusCode
	}
	return false
}

// ParseAPIError builds an *APIError from a failed answer: status, headers,
// body (an OperationOutcome, or the OAuth endpoint's error object) and the
// X-Request-ID that was sent. Clients and fakes of other platform APIs can
// use it too.
func ParseAPIError(status int, h http.Header, body []byte, requestID string) *APIError {
	e := &APIError{StatusCode: status, RequestID: requestID, Body: body}
	if e.RequestID == "" {
		e.RequestID = h.Get("X-Request-ID")
	}
	e.CorrelationID = h.Get("X-Correlation-ID")
	var oo struct {
		ResourceType string  `json:"resourceType"`
		Issue        []Issue `json:"issue"`
	}
	if json.Unmarshal(body, &oo) == nil && len(oo.Issue) > 0 {
		e.Issues = oo.Issue
		is := oo.Issue[0]
		e.IssueType, e.Diagnostics = is.Code, is.Diagnostics
		if is.Details != nil {
			for _, c := range is.Details.Coding {
				if c.Code != "" {
					e.Code, e.Display = c.Code, c.Display
					break
				}
			}
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
