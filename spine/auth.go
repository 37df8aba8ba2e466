package spine

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/internal/httpx"
)

// Token is an access token. Its String and LogValue hide the secret.
type Token struct {
	AccessToken string
	Expiry      time.Time
}

func (t Token) String() string {
	return "spine.Token{expires " + t.Expiry.UTC().Format(time.RFC3339) + "}"
}

// LogValue keeps the token out of logs.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// TokenSource gives the access token for the next request. AppRestricted
// implements it; user-restricted tokens (CIS2, NHS login) can be supplied
// by the caller's own implementation.
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// StaticToken is a TokenSource of a token obtained elsewhere.
type StaticToken string

// Token implements TokenSource.
func (s StaticToken) Token(context.Context) (Token, error) {
	return Token{AccessToken: string(s), Expiry: time.Now().Add(24 * time.Hour)}, nil
}

// ErrAuthConfig is wrapped when AppRestricted lacks what it needs.
var ErrAuthConfig = errors.New("spine: incomplete application-restricted auth config")

// AppRestricted gets access tokens with a signed JWT client assertion and
// caches them, refreshing a little before expiry; however many goroutines
// ask at once, one request goes to the token endpoint.
type AppRestricted struct {
	APIKey     string
	KeyID      string // the kid of the public key registered with the platform
	PrivateKey *rsa.PrivateKey
	TokenURL   string // e.g. Integration.TokenURL()
	// RefreshBefore is how long before expiry a new token is fetched
	// (default 30 s).
	RefreshBefore time.Duration
	Now           func() time.Time

	// The transport knobs, as on every client of this module: the caller's
	// *http.Client (TLS), a silent-by-default logger, a rate limit
	// (Limiter, shared, or RequestsPerSecond and Burst; none by default),
	// MaxAttempts per token request (default 4) and a Timeout bounding one
	// token request with its retries.
	HTTPClient        *http.Client
	Logger            *slog.Logger
	Limiter           *rate.Limiter
	RequestsPerSecond float64
	Burst             int
	MaxAttempts       int
	Timeout           time.Duration

	once   sync.Once
	client *httpx.Client
	mu     sync.Mutex
	cur    Token
	flight chan struct{} // closed when the fetch in flight ends
	err    error
}

func (a *AppRestricted) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Assertion builds the signed client assertion for now.
func (a *AppRestricted) Assertion(now time.Time) (string, error) {
	if a.APIKey == "" || a.KeyID == "" || a.PrivateKey == nil || a.TokenURL == "" {
		return "", ErrAuthConfig
	}
	claims := jwt.MapClaims{
		"iss": a.APIKey,
		"sub": a.APIKey,
		"aud": a.TokenURL,
		"jti": httpx.NewUUID(),
		"exp": now.Add(5 * time.Minute).Unix(),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS512, claims)
	t.Header["kid"] = a.KeyID
	s, err := t.SignedString(a.PrivateKey)
	if err != nil {
		return "", fmt.Errorf("spine: signing client assertion: %w", err)
	}
	return s, nil
}

// Token implements TokenSource.
func (a *AppRestricted) Token(ctx context.Context) (Token, error) {
	margin := a.RefreshBefore
	if margin <= 0 {
		margin = 30 * time.Second
	}
	for {
		a.mu.Lock()
		if a.cur.AccessToken != "" && a.now().Add(margin).Before(a.cur.Expiry) {
			t := a.cur
			a.mu.Unlock()
			return t, nil
		}
		if a.flight == nil {
			a.flight = make(chan struct{})
			flight := a.flight
			a.mu.Unlock()
			t, err := a.fetch(ctx)
			a.mu.Lock()
			a.cur, a.err, a.flight = t, err, nil
			a.mu.Unlock()
			close(flight)
			return t, err
		}
		flight := a.flight
		a.mu.Unlock()
		select {
		case <-flight:
			a.mu.Lock()
			err := a.err
			a.mu.Unlock()
			if err != nil {
				return Token{}, err
			}
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
}

// expiresIn reads expires_in, which the platform sends as a string; a
// number is accepted too.
type expiresIn int64

func (e *expiresIn) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("expires_in %q is not a number", s)
		}
		*e = expiresIn(n)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expires_in is neither a string nor a number")
	}
	*e = expiresIn(n)
	return nil
}

func (a *AppRestricted) fetch(ctx context.Context) (Token, error) {
	a.once.Do(func() {
		a.client = httpx.New(httpx.Config{
			HTTPClient: a.HTTPClient, Logger: a.Logger, Limiter: a.Limiter,
			RequestsPerSecond: a.RequestsPerSecond, Burst: a.Burst,
			MaxAttempts: a.MaxAttempts, Timeout: a.Timeout,
			CheckResponse: func(r *httpx.Response) error {
				e := ParseAPIError(r.StatusCode, r.Header, r.Body, r.RequestID)
				e.CorrelationID, e.Attempts = r.CorrelationID, r.Attempts
				return e
			},
		})
	})
	now := a.now()
	assertion, err := a.Assertion(now)
	if err != nil {
		return Token{}, err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	req := httpx.NewRequest(http.MethodPost, a.TokenURL, []byte(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RetrySafe = true // a token request has no side effect
	var body struct {
		AccessToken string    `json:"access_token"`
		ExpiresIn   expiresIn `json:"expires_in"`
		TokenType   string    `json:"token_type"`
	}
	if _, err := a.client.Do(ctx, req, &body); err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return Token{}, ae
		}
		return Token{}, fmt.Errorf("spine: token request: %w", err)
	}
	if body.AccessToken == "" || body.ExpiresIn <= 0 {
		return Token{}, errors.New("spine: token response lacks access_token or expires_in")
	}
	return Token{AccessToken: body.AccessToken, Expiry: now.Add(time.Duration(body.ExpiresIn) * time.Second)}, nil
}
