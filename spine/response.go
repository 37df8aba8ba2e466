package spine

import (
	"context"
	"net/http"
	"time"

	"github.com/nhskit/nhskit/internal/httpx"
)

// Response is the record of one HTTP exchange a client made: what NHS
// service desks ask for when something goes wrong. Ask for it with
// WithResponse.
type Response struct {
	// StatusCode is 0 when no answer arrived (a connection failure).
	StatusCode int
	Header     http.Header
	// RequestID is the X-Request-ID of the last attempt; CorrelationID the
	// X-Correlation-ID sent, if any.
	RequestID     string
	CorrelationID string
	// Attempts counts the attempts, retries included; RateLimitWait is the
	// time spent waiting for the client-side rate limit.
	Attempts      int
	RateLimitWait time.Duration
}

// WithResponse returns a context that makes every client call of this
// module (pds, gpconnect, sds, the token source) fill *r with the record of
// its last HTTP exchange, whether the call succeeded or not. A call that
// makes several requests (an SDS look-up, a GP Connect cancellation) leaves
// the last one's record. r must not be read while the call runs.
func WithResponse(ctx context.Context, r *Response) context.Context {
	return httpx.WithRecorder(ctx, func(rec *httpx.Response) {
		*r = Response{
			StatusCode:    rec.StatusCode,
			Header:        rec.Header,
			RequestID:     rec.RequestID,
			CorrelationID: rec.CorrelationID,
			Attempts:      rec.Attempts,
			RateLimitWait: rec.RateLimitWait,
		}
	})
}

// WithCorrelationID returns a context whose requests carry id as
// X-Correlation-ID, so that one business transaction can be traced across
// several calls and services; the platform echoes it back.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return httpx.WithCorrelationID(ctx, id)
}
