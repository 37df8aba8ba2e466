// Package platform builds the HTTP core of every NHS API platform and
// Spine client in this module from the knobs their Configs share, with a
// CheckResponse that turns a failed answer into a *spine.APIError.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
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
	// Tokens, when set, puts a bearer token on every request and renews
	// it once when the service answers 401 (see Authorize).
	Tokens spine.TokenSource
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
		Authorize:         Authorize(o.Tokens),
	})
}

// Authorize returns the httpx AuthorizeFunc that sets ts's token as the
// bearer token, and on a 401 renews it when ts is a spine.Renewer (else
// the 401 is the answer). It returns nil for a nil ts.
func Authorize(ts spine.TokenSource) httpx.AuthorizeFunc {
	if ts == nil {
		return nil
	}
	return func(ctx context.Context, h http.Header, renew bool) error {
		var tok spine.Token
		var err error
		if renew {
			r, ok := ts.(spine.Renewer)
			if !ok {
				return httpx.ErrNotRenewed
			}
			stale, _ := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
			tok, err = r.Renew(ctx, spine.Token{AccessToken: stale})
		} else {
			tok, err = ts.Token(ctx)
		}
		if err != nil {
			return fmt.Errorf("access token: %w", err)
		}
		h.Set("Authorization", "Bearer "+tok.AccessToken)
		return nil
	}
}

// CheckResponse is the httpx CheckResponse of the platform clients: the
// answer becomes a *spine.APIError carrying the ids that were sent.
func CheckResponse(r *httpx.Response) error {
	e := spine.ParseAPIError(r.StatusCode, r.Header, r.Body, r.RequestID)
	e.CorrelationID = r.CorrelationID
	e.Attempts = r.Attempts
	return e
}
