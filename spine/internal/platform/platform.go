// Package platform builds the HTTP core of every NHS API platform and
// Spine client in this module from the knobs their Configs share, with a
// CheckResponse that turns a failed answer into a *spine.APIError.
package platform

import (
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/spine"
)

// Options are the transport knobs every public client Config carries under
// the same names.
type Options struct {
	HTTPClient        *http.Client
	Logger            *slog.Logger
	Limiter           *rate.Limiter
	RequestsPerSecond float64
	Burst             int
	MaxAttempts       int
	Timeout           time.Duration
	UserAgent         string
}

// New returns the client core for o.
func New(o Options) *httpx.Client {
	return httpx.New(httpx.Config{
		HTTPClient:        o.HTTPClient,
		Logger:            o.Logger,
		Limiter:           o.Limiter,
		RequestsPerSecond: o.RequestsPerSecond,
		Burst:             o.Burst,
		MaxAttempts:       o.MaxAttempts,
		Timeout:           o.Timeout,
		UserAgent:         o.UserAgent,
		CheckResponse:     CheckResponse,
	})
}

// CheckResponse is the httpx CheckResponse of the platform clients: the
// answer becomes a *spine.APIError carrying the ids that were sent.
func CheckResponse(r *httpx.Response) error {
	e := spine.ParseAPIError(r.StatusCode, r.Header, r.Body, r.RequestID)
	e.CorrelationID = r.CorrelationID
	e.Attempts = r.Attempts
	return e
}
