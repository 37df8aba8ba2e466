package mesh

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors, matched with errors.Is on an *APIError.
var (
	ErrAuth                 = errors.New("mesh: authentication refused")
	ErrUnknownRecipient     = errors.New("mesh: unregistered recipient")
	ErrUnregisteredWorkflow = errors.New("mesh: workflow id not registered for the recipient")
	ErrMessageGone          = errors.New("mesh: message no longer available (acknowledged or expired)")
	ErrNotFound             = errors.New("mesh: message does not exist")
	ErrTooLarge             = errors.New("mesh: message or chunk too large")
	ErrBadRequest           = errors.New("mesh: request refused as malformed")
	ErrChecksum             = errors.New("mesh: downloaded content does not match its checksum")
)

// APIError is MESH's answer to a failed request: the HTTP status and the
// JSON error body's event, code and description.
type APIError struct {
	Op          string
	StatusCode  int
	Event       string // errorEvent: SEND, RECEIVE, TRANSFER…
	Code        string // errorCode: "12" unregistered recipient, "17" workflow, …
	Description string
	MessageID   string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("mesh: %s: status %d", e.Op, e.StatusCode)
	if e.Code != "" {
		s += " code " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is maps statuses and codes to the sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.StatusCode == http.StatusForbidden || e.StatusCode == http.StatusUnauthorized
	case ErrUnknownRecipient:
		return e.Code == "12" || e.Code == "EPL-151"
	case ErrUnregisteredWorkflow:
		return e.Code == "17"
	case ErrMessageGone:
		return e.StatusCode == http.StatusGone
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.Code == "20"
	case ErrTooLarge:
		return e.StatusCode == http.StatusRequestEntityTooLarge
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	}
	return false
}

func parseAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, StatusCode: status}
	var b struct {
		Event       string `json:"errorEvent"`
		Code        string `json:"errorCode"`
		Description string `json:"errorDescription"`
		MessageID   string `json:"messageID"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Event, e.Code, e.Description, e.MessageID = b.Event, b.Code, b.Description, b.MessageID
	}
	return e
}
