package notify

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/spine"
)

// Sentinels for NHS Notify's documented error codes: an error of this
// package matches one with errors.Is when its Code is the same (or any of
// its errors' codes, for a 400 listing several). They are spine.ErrorCode
// values, so spine's own sentinels and spine.HTTPStatus match too.
const (
	ErrMissingValue        = spine.ErrorCode("CM_MISSING_VALUE")
	ErrNullValue           = spine.ErrorCode("CM_NULL_VALUE")
	ErrInvalidValue        = spine.ErrorCode("CM_INVALID_VALUE")
	ErrInvalidNHSNumber    = spine.ErrorCode("CM_INVALID_NHS_NUMBER")
	ErrDuplicateValue      = spine.ErrorCode("CM_DUPLICATE_VALUE")
	ErrTooFewItems         = spine.ErrorCode("CM_TOO_FEW_ITEMS")
	ErrODSCodeRequired     = spine.ErrorCode("CM_ODS_CODE_REQUIRED")
	ErrCannotSetODSCode    = spine.ErrorCode("CM_CANNOT_SET_ODS_CODE")
	ErrCannotSetContact    = spine.ErrorCode("CM_CANNOT_SET_CONTACT_DETAILS")
	ErrInvalidRequest      = spine.ErrorCode("CM_INVALID_REQUEST")
	ErrDenied              = spine.ErrorCode("CM_DENIED")
	ErrForbidden           = spine.ErrorCode("CM_FORBIDDEN")
	ErrServiceBan          = spine.ErrorCode("CM_SERVICE_BAN")
	ErrNotFound            = spine.ErrorCode("CM_NOT_FOUND")
	ErrNoSuchRoutingPlan   = spine.ErrorCode("CM_NO_SUCH_ROUTING_PLAN")
	ErrNotAllowed          = spine.ErrorCode("CM_NOT_ALLOWED")
	ErrNotAcceptable       = spine.ErrorCode("CM_NOT_ACCEPTABLE")
	ErrTimeout             = spine.ErrorCode("CM_TIMEOUT")
	ErrTooLarge            = spine.ErrorCode("CM_TOO_LARGE")
	ErrTooManyItems        = spine.ErrorCode("CM_TOO_MANY_ITEMS")
	ErrUnsupportedMedia    = spine.ErrorCode("CM_UNSUPPORTED_MEDIA")
	ErrDuplicateRequest    = spine.ErrorCode("CM_DUPLICATE_REQUEST")
	ErrRetryTooEarly       = spine.ErrorCode("CM_RETRY_TOO_EARLY")
	ErrQuota               = spine.ErrorCode("CM_QUOTA")
	ErrInternalServerError = spine.ErrorCode("CM_INTERNAL_SERVER_ERROR")
	ErrMissingTemplate     = spine.ErrorCode("CM_MISSING_ROUTING_PLAN_TEMPLATE")
	ErrDuplicateTemplates  = spine.ErrorCode("CM_ROUTING_PLAN_DUPLICATE_TEMPLATES")
	ErrBadGateway          = spine.ErrorCode("CM_BAD_GATEWAY")
	ErrServiceUnavailable  = spine.ErrorCode("CM_SERVICE_UNAVAILABLE")
)

// ErrorDetail is one entry of a JSON:API error answer.
type ErrorDetail struct {
	ID     string `json:"id,omitempty"`
	Code   string `json:"code,omitempty"`
	Status string `json:"status,omitempty"`
	Title  string `json:"title,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Pointer is the JSON Pointer (RFC 6901) of the offending member of
	// the request, e.g. /data/attributes/recipient/nhsNumber; Header the
	// offending header, e.g. Authorization; Parameter the offending path
	// or query parameter, e.g. messageId.
	Pointer   string `json:"-"`
	Header    string `json:"-"`
	Parameter string `json:"-"`
}

// Error is the error of every call that NHS Notify answered with a
// failure. It wraps the *spine.APIError of the module's one error model
// (errors.As finds either), adding the JSON:API error list and the
// server's Retry-After.
type Error struct {
	*spine.APIError
	// Errors is every error of the answer, in order (up to 100 for a
	// validation failure).
	Errors []ErrorDetail
	// RetryAfter is the server's Retry-After (425 and 429), zero if none.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.StatusCode)
	}
	s := fmt.Sprintf("notify: status %d %s", e.StatusCode, code)
	if len(e.Errors) > 0 {
		if p := e.Errors[0].Pointer; p != "" {
			s += " at " + p
		} else if h := e.Errors[0].Header; h != "" {
			s += " in header " + h
		} else if p := e.Errors[0].Parameter; p != "" {
			s += " in parameter " + p
		}
		if len(e.Errors) > 1 {
			s += fmt.Sprintf(" (and %d more)", len(e.Errors)-1)
		}
	}
	return s + " (request id " + e.RequestID + ")"
}

// Unwrap returns the *spine.APIError.
func (e *Error) Unwrap() error { return e.APIError }

// Is matches an error code against every listed error, so a 400 with
// several validation errors matches each of their codes.
func (e *Error) Is(target error) bool {
	if c, ok := target.(spine.ErrorCode); ok {
		for _, d := range e.Errors {
			if d.Code == string(c) {
				return true
			}
		}
	}
	return false
}

type errorBody struct {
	Errors []struct {
		ID     string `json:"id"`
		Code   string `json:"code"`
		Status any    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Source struct {
			Pointer   string `json:"pointer"`
			Header    string `json:"header"`
			Parameter string `json:"parameter"`
		} `json:"source"`
		// The sandbox backend's own shape (the proxy turns it into
		// JSON:API): field and message instead of source and detail.
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	// The sandbox backend's top-level message.
	Message string `json:"message"`
}

// ParseError builds the *Error for a failed answer. It reads the public
// API's JSON:API error list and the sandbox backend's {message, errors}
// body alike; a body of neither shape leaves only the status. notifytest
// and other fakes can use it.
func ParseError(status int, h map[string][]string, body []byte, requestID string) *Error {
	hh := httpHeader(h)
	ae := &spine.APIError{StatusCode: status, RequestID: requestID, Body: body}
	if ae.RequestID == "" {
		ae.RequestID = hh.get("X-Request-ID")
	}
	ae.CorrelationID = hh.get("X-Correlation-ID")
	e := &Error{APIError: ae}
	var b errorBody
	if json.Unmarshal(body, &b) == nil {
		for _, x := range b.Errors {
			d := ErrorDetail{ID: x.ID, Code: x.Code, Title: x.Title, Detail: x.Detail,
				Pointer: x.Source.Pointer, Header: x.Source.Header, Parameter: x.Source.Parameter}
			switch s := x.Status.(type) {
			case string:
				d.Status = s
			case float64:
				d.Status = strconv.Itoa(int(s))
			}
			if d.Pointer == "" {
				d.Pointer = x.Field
			}
			if d.Detail == "" {
				d.Detail = x.Message
			}
			e.Errors = append(e.Errors, d)
		}
		ae.Diagnostics = b.Message
	}
	if len(e.Errors) > 0 {
		ae.Code, ae.Display = e.Errors[0].Code, e.Errors[0].Title
		if ae.Diagnostics == "" {
			ae.Diagnostics = e.Errors[0].Detail
		}
	}
	if ra := hh.get("Retry-After"); ra != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && n >= 0 && n <= maxRetryAfterSeconds {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}

// maxRetryAfterSeconds is the largest Retry-After read: more seconds
// would overflow a time.Duration.
const maxRetryAfterSeconds = int(math.MaxInt64 / int64(time.Second))

type httpHeader map[string][]string

func (h httpHeader) get(k string) string {
	for name, vs := range h {
		if strings.EqualFold(name, k) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

func checkResponse(r *httpx.Response) error {
	e := ParseError(r.StatusCode, r.Header, r.Body, r.RequestID)
	e.CorrelationID = r.CorrelationID
	e.Attempts = r.Attempts
	return e
}
