package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/spine"
)

// BasePath is NHS Notify's base path on the API platform environments:
// BaseURL is spine.Integration.BaseURL + BasePath.
const BasePath = "/comms"

// Paths are the routes of the four operations under BaseURL. The zero
// value means the public API's ([APIPaths]).
type Paths struct {
	Messages       string // POST to create, GET Messages + "/" + id to read
	MessageBatches string
	NHSAppAccounts string
}

// APIPaths are the routes of the public API (behind BasePath).
var APIPaths = Paths{
	Messages:       "/v1/messages",
	MessageBatches: "/v1/message-batches",
	NHSAppAccounts: "/channels/nhsapp/accounts",
}

// SandboxBackendPaths are the routes of NHS England's sandbox backend
// (the Node.js application of github.com/NHSDigital/communications-manager-api,
// sandbox/), which the API platform's proxy serves under /comms with the
// public paths. Use them with BaseURL set to a locally started sandbox,
// e.g. http://127.0.0.1:9100.
var SandboxBackendPaths = Paths{
	Messages:       "/api/v1/messages",
	MessageBatches: "/api/v1/send",
	NHSAppAccounts: "/api/channels/nhsapp/accounts",
}

// Config configures a Client.
type Config struct {
	// BaseURL is the API base: spine.Integration.BaseURL + BasePath, or a
	// notifytest server's URL.
	BaseURL string
	// Paths overrides the routes (SandboxBackendPaths for NHS England's
	// sandbox run locally); zero means APIPaths.
	Paths Paths
	// Tokens gives the bearer token (spine.AppRestricted); nil sends
	// none (the sandbox is open access).
	Tokens spine.TokenSource

	// HTTPClient is the caller's client (TLS, proxies); nil means a
	// default one. TLS 1.2 is the floor.
	HTTPClient *http.Client
	// Logger receives one record per attempt, NHS numbers masked; nil
	// means silent.
	Logger *slog.Logger
	// Limiter, when set, is the rate limit every attempt waits on (share
	// one between clients of one application); else RequestsPerSecond and
	// Burst make one for this client (default: no client-side limit; the
	// service answers 429 with Retry-After, which is honoured).
	Limiter           *rate.Limiter
	RequestsPerSecond float64
	Burst             int
	// MaxAttempts caps attempts per call, the first included (default 4).
	MaxAttempts int
	// Timeout, when positive, bounds one call, every attempt and wait
	// included.
	Timeout time.Duration
	// UserAgent is sent before nhskit's own product token when set.
	UserAgent string
}

// ErrConfig is returned by New for an unusable Config.
var ErrConfig = errors.New("notify: invalid config")

// Client is an NHS Notify API client. It is safe for concurrent use.
type Client struct {
	base   string
	paths  Paths
	tokens spine.TokenSource
	http   *httpx.Client
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL must be an absolute URL", ErrConfig)
	}
	if cfg.RequestsPerSecond < 0 || cfg.Burst < 0 || cfg.MaxAttempts < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: RequestsPerSecond, Burst, MaxAttempts and Timeout must not be negative", ErrConfig)
	}
	p := cfg.Paths
	if p == (Paths{}) {
		p = APIPaths
	}
	if p.Messages == "" || p.MessageBatches == "" || p.NHSAppAccounts == "" {
		return nil, fmt.Errorf("%w: Paths must name every route or none", ErrConfig)
	}
	return &Client{
		base:   strings.TrimSuffix(cfg.BaseURL, "/"),
		paths:  p,
		tokens: cfg.Tokens,
		http: httpx.New(httpx.Config{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
			Limiter: cfg.Limiter, RequestsPerSecond: cfg.RequestsPerSecond, Burst: cfg.Burst,
			MaxAttempts: cfg.MaxAttempts, Timeout: cfg.Timeout, UserAgent: cfg.UserAgent,
			CheckResponse: checkResponse,
		}),
	}, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*httpx.Request, error) {
	req := httpx.NewRequest(method, c.base+path, body)
	req.Header.Set("Accept", "application/vnd.api+json")
	if body != nil {
		// Both media types are accepted; plain JSON is also what the
		// sandbox backend parses.
		req.Header.Set("Content-Type", "application/json")
	}
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("notify: access token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	return req, nil
}

func (c *Client) do(ctx context.Context, req *httpx.Request, v any) (*httpx.Response, error) {
	resp, err := c.http.Do(ctx, req, v)
	if err != nil {
		var ne *Error
		if errors.As(err, &ne) {
			return resp, ne
		}
		return resp, fmt.Errorf("notify: %w", err)
	}
	return resp, nil
}
