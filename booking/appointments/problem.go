package appointments

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// ProblemBase prefixes every problem type this package sends; the types
// are stable, so clients may switch on them.
const ProblemBase = "https://nhskit.github.io/problems/"

// Problem types.
const (
	ProblemValidation      = ProblemBase + "validation"
	ProblemNotFound        = ProblemBase + "not-found"
	ProblemSlotUnavailable = ProblemBase + "slot-unavailable"
	ProblemAlreadyBooked   = ProblemBase + "already-booked"
	ProblemConflict        = ProblemBase + "conflict"
	ProblemPrecondition    = ProblemBase + "precondition-failed"
	ProblemKeyReused       = ProblemBase + "idempotency-key-reused"
	ProblemUnauthenticated = ProblemBase + "unauthenticated"
	ProblemForbidden       = ProblemBase + "forbidden"
	ProblemRateLimited     = ProblemBase + "rate-limited"
	ProblemUnavailable     = ProblemBase + "unavailable"
	ProblemMethod          = ProblemBase + "method-not-allowed"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`

	cause error // logged, never sent
}

// FieldError is one invalid field of a request: a JSON pointer into the
// body (RFC 6901) or the query parameter's name.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func invalid(errs ...FieldError) *Problem {
	return &Problem{Type: ProblemValidation, Title: "request is invalid", Status: http.StatusUnprocessableEntity, Errors: errs}
}

// problemOf maps a ledger error to its problem; the detail names ids only,
// never patient details.
func problemOf(err error) *Problem {
	var p *Problem
	var ie *booking.InputError
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, booking.ErrUnknownSlot):
		return &Problem{Type: ProblemNotFound, Title: "slot not found", Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, booking.ErrUnknownBooking):
		return &Problem{Type: ProblemNotFound, Title: "appointment not found", Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, booking.ErrNoCapacity), errors.Is(err, booking.ErrHoldExpired):
		return &Problem{Type: ProblemSlotUnavailable, Title: "slot is no longer free", Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, booking.ErrAlreadyBooked):
		return &Problem{Type: ProblemAlreadyBooked, Title: "patient already booked on that slot", Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, booking.ErrNotActive), errors.Is(err, booking.ErrSameSlot):
		return &Problem{Type: ProblemConflict, Title: "appointment cannot change that way", Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, booking.ErrVersionMismatch):
		return &Problem{Type: ProblemPrecondition, Title: "appointment changed since it was read", Status: http.StatusPreconditionFailed, Detail: err.Error()}
	case errors.Is(err, booking.ErrKeyReused):
		return &Problem{Type: ProblemKeyReused, Title: "idempotency key already used for another request", Status: http.StatusUnprocessableEntity, Detail: err.Error()}
	case errors.Is(err, booking.ErrEmptyID):
		return invalid(FieldError{Field: "/patient", Detail: "required"})
	case errors.As(err, &ie):
		return invalid(FieldError{Field: "/", Detail: ie.Kind + ": " + ie.Err.Error()})
	}
	// Anything else is the ledger failing (database down, ctx ended): the
	// request may be retried, with the same Idempotency-Key.
	return &Problem{Type: ProblemUnavailable, Title: "booking ledger unavailable", Status: http.StatusServiceUnavailable, cause: err}
}

func retryAfter(w http.ResponseWriter, d time.Duration) {
	s := int(d.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(s))
}
