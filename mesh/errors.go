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
	ErrMissingData          = errors.New("mesh: message has no content")
	ErrLocked               = errors.New("mesh: message finalised, no more chunks accepted")
	ErrChecksum             = errors.New("mesh: downloaded content does not match its checksum")
	// ErrLocalIDAmbiguous is returned when tracking by local id finds more
	// than one message (MESH answers 300) or one that is not this send's,
	// so whether the send arrived cannot be told.
	ErrLocalIDAmbiguous = errors.New("mesh: local id matches another message")
)

// APIError is MESH's answer to a failed request: the HTTP status and the
// error body's event, code and description, read from the v2 body
// (detail[{event, code, msg}]) or the v1 one (errorEvent, errorCode,
// errorDescription).
type APIError struct {
	Op          string
	StatusCode  int
	Event       string // SEND, RECEIVE, TRANSFER, COLLECT…
	Code        string // "12" unregistered recipient, "17" workflow, "02" no data, …
	Description string
	MessageID   string
	RequestID   string // the X-Request-ID nhskit sent with the last attempt
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
	case ErrMissingData:
		return e.Code == "02"
	case ErrLocked:
		return e.StatusCode == http.StatusLocked
	case ErrLocalIDAmbiguous:
		return e.StatusCode == http.StatusMultipleChoices
	}
	return false
}

// parseAPIError reads whichever error body MESH sent: v2, v1, or a bare
// {"detail": "..."} / {"message": "..."} from the web framework.
func parseAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, StatusCode: status}
	var b struct {
		// v1
		Event       string `json:"errorEvent"`
		Code        string `json:"errorCode"`
		Description string `json:"errorDescription"`
		MessageIDv1 string `json:"messageID"`
		// v2
		MessageID string          `json:"message_id"`
		Detail    json.RawMessage `json:"detail"`
		Message   string          `json:"message"`
	}
	if json.Unmarshal(body, &b) != nil {
		return e
	}
	e.Event, e.Code, e.Description = b.Event, b.Code, b.Description
	e.MessageID = b.MessageIDv1
	if b.MessageID != "" {
		e.MessageID = b.MessageID
	}
	if len(b.Detail) > 0 {
		var items []struct {
			Event string `json:"event"`
			Code  string `json:"code"`
			Msg   string `json:"msg"`
		}
		var s string
		switch {
		case json.Unmarshal(b.Detail, &items) == nil && len(items) > 0:
			e.Event, e.Code, e.Description = items[0].Event, items[0].Code, items[0].Msg
		case json.Unmarshal(b.Detail, &s) == nil:
			e.Description = s
		}
	}
	if e.Description == "" {
		e.Description = b.Message
	}
	return e
}
