package spine

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
// (signed JWT, application-restricted) and UserRestricted (a CIS2 or NHS
// login user's token, by token exchange) implement it.
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// Renewer is a TokenSource that can replace a token the service refused.
// When an API answers 401, the clients of this module call Renew with the
// refused token once and re-send the request with the new one; however
// many calls were refused at once, one new token is fetched.
type Renewer interface {
	TokenSource
	// Renew drops stale, if it is still the cached token, and returns a
	// fresh one.
	Renew(ctx context.Context, stale Token) (Token, error)
}

// StaticToken is a TokenSource of a token obtained elsewhere. Its String
// and LogValue hide the token, so a Config holding it can be printed.
type StaticToken string

func (s StaticToken) String() string { return "spine.StaticToken{***}" }

// GoString hides the token from %#v.
func (s StaticToken) GoString() string { return s.String() }

// LogValue keeps the token out of logs.
func (s StaticToken) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Token implements TokenSource.
func (s StaticToken) Token(context.Context) (Token, error) {
	return Token{AccessToken: string(s), Expiry: time.Now().Add(24 * time.Hour)}, nil
}

// ErrAuthConfig is wrapped when AppRestricted lacks what it needs.
var ErrAuthConfig = errors.New("spine: incomplete application-restricted auth config")

// AppRestricted gets access tokens with a signed JWT client assertion and
// caches them, refreshing a little before expiry; however many goroutines
// ask at once, one request goes to the token endpoint. That request runs on
// its own (bounded by Timeout, default 30 s), not on the context of the
// caller that started it, and each caller waits only as long as its own
// context allows. A refresh that fails while the cached token is still
// valid leaves that token in use (and is tried again after a few seconds).
// Every attempt of a token request, retries included, carries a new
// assertion (jti, iat, exp), as the platform refuses a reused jti.
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
	cache  tokenCache
}

// String names the source without its secrets (the API key, the cached
// token), so that a Config holding it can be printed.
func (a *AppRestricted) String() string {
	if a == nil {
		return "spine.AppRestricted(nil)"
	}
	return "spine.AppRestricted{kid " + a.KeyID + ", token url " + a.TokenURL + "}"
}

// GoString hides the secrets from %#v.
func (a *AppRestricted) GoString() string { return a.String() }

// LogValue keeps the API key and the cached token out of logs.
func (a *AppRestricted) LogValue() slog.Value { return slog.StringValue(a.String()) }

func (a *AppRestricted) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *AppRestricted) configured() error {
	if a.APIKey == "" || a.KeyID == "" || a.PrivateKey == nil || a.TokenURL == "" {
		return ErrAuthConfig
	}
	return nil
}

// Assertion builds the signed client assertion for now.
func (a *AppRestricted) Assertion(now time.Time) (string, error) {
	if err := a.configured(); err != nil {
		return "", err
	}
	claims := jwt.MapClaims{
		"iss": a.APIKey,
		"sub": a.APIKey,
		"aud": a.TokenURL,
		"jti": httpx.NewUUID(),
		"iat": now.Unix(),
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
	return a.cache.get(ctx, a.settings(), "", a.fetch)
}

// Renew implements Renewer.
func (a *AppRestricted) Renew(ctx context.Context, stale Token) (Token, error) {
	return a.cache.get(ctx, a.settings(), stale.AccessToken, a.fetch)
}

func (a *AppRestricted) settings() cacheSettings {
	return cacheSettings{logger: a.Logger, now: a.now, margin: a.RefreshBefore, timeout: a.Timeout}
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

func (a *AppRestricted) httpClient() *httpx.Client {
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
	return a.client
}

func (a *AppRestricted) fetch(ctx context.Context) (Token, error) {
	if err := a.configured(); err != nil {
		return Token{}, err
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	body, err := a.post(ctx, form)
	if err != nil {
		return Token{}, err
	}
	return body.token(a.now())
}

// maxExpiresIn is the largest expires_in (seconds) a time.Duration holds.
const maxExpiresIn = expiresIn(math.MaxInt64 / int64(time.Second))

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken           string    `json:"access_token"`
	ExpiresIn             expiresIn `json:"expires_in"`
	TokenType             string    `json:"token_type"`
	IssuedTokenType       string    `json:"issued_token_type"`
	RefreshToken          string    `json:"refresh_token"`
	RefreshTokenExpiresIn expiresIn `json:"refresh_token_expires_in"`
}

func (b *tokenResponse) token(now time.Time) (Token, error) {
	if b.AccessToken == "" || b.ExpiresIn <= 0 {
		return Token{}, errors.New("spine: token response lacks access_token or expires_in")
	}
	if b.ExpiresIn > maxExpiresIn {
		return Token{}, errors.New("spine: token response's expires_in is out of range")
	}
	return Token{AccessToken: b.AccessToken, Expiry: now.Add(time.Duration(b.ExpiresIn) * time.Second)}, nil
}

// post sends form to the token endpoint with a client assertion that is
// new for every attempt.
func (a *AppRestricted) post(ctx context.Context, form url.Values) (*tokenResponse, error) {
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	req := httpx.NewRequest(http.MethodPost, a.TokenURL, nil)
	req.GetBody = func() (io.Reader, error) {
		assertion, err := a.Assertion(a.now())
		if err != nil {
			return nil, err
		}
		f := maps.Clone(form)
		f.Set("client_assertion", assertion)
		return strings.NewReader(f.Encode()), nil
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RetrySafe = true // a token request has no side effect
	var body tokenResponse
	if _, err := a.httpClient().Do(ctx, req, &body); err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, ae
		}
		return nil, fmt.Errorf("spine: token request: %w", err)
	}
	return &body, nil
}

// tokenCache is the single-flight cache of a token source.
type tokenCache struct {
	mu       sync.Mutex
	cur      Token
	flight   *flight
	failedAt time.Time
}

type flight struct {
	done chan struct{}
	tok  Token
	err  error
	rec  *httpx.Response // the last token request's record, for WithResponse
}

type cacheSettings struct {
	logger  *slog.Logger // nil: silent
	now     func() time.Time
	margin  time.Duration // refresh this long before expiry (default 30 s)
	timeout time.Duration // bounds one fetch (default 30 s)
}

// retryFailedRefresh is how long a token still valid is used, without a
// new attempt, after a refresh failed.
const retryFailedRefresh = 5 * time.Second

// get returns the cached token, or fetches one. stale, when not empty, is
// a token the service refused: it is dropped if it is still cached.
func (c *tokenCache) get(ctx context.Context, s cacheSettings, stale string, fetch func(context.Context) (Token, error)) (Token, error) {
	if ctx == nil {
		return Token{}, errors.New("spine: nil context")
	}
	margin := s.margin
	if margin <= 0 {
		margin = 30 * time.Second
	}
	c.mu.Lock()
	if stale != "" && c.cur.AccessToken == stale {
		c.cur = Token{}
	}
	now := s.now()
	if c.cur.AccessToken != "" && now.Add(margin).Before(c.cur.Expiry) {
		t := c.cur
		c.mu.Unlock()
		return t, nil
	}
	if c.flight == nil && c.valid(now) && now.Sub(c.failedAt) < retryFailedRefresh {
		t := c.cur
		c.mu.Unlock()
		return t, nil
	}
	f := c.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.flight = f
		go c.run(ctx, s, f, fetch)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
	if f.rec != nil {
		httpx.Record(ctx, f.rec)
	}
	if f.err != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.valid(s.now()) {
			// The early refresh failed: the token is still good.
			if s.logger != nil {
				s.logger.LogAttrs(ctx, slog.LevelWarn, "token refresh failed; the current token stays in use",
					slog.Time("expires", c.cur.Expiry), slog.String("error", f.err.Error()))
			}
			return c.cur, nil
		}
		return Token{}, f.err
	}
	return f.tok, nil
}

func (c *tokenCache) valid(now time.Time) bool {
	return c.cur.AccessToken != "" && now.Before(c.cur.Expiry)
}

// run fetches a token for every caller waiting on f, on a context of its
// own: the values of the caller that started it (a correlation id), none
// of its deadline; the record of the exchange is handed to each waiter's
// own recorder when it is done.
func (c *tokenCache) run(ctx context.Context, s cacheSettings, f *flight, fetch func(context.Context) (Token, error)) {
	timeout := s.timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	fctx := httpx.WithRecorder(context.WithoutCancel(ctx), func(r *httpx.Response) { f.rec = r })
	fctx, cancel := context.WithTimeout(fctx, timeout)
	defer cancel()
	tok, err := fetch(fctx)
	c.mu.Lock()
	if err == nil {
		c.cur = tok
	} else {
		c.failedAt = s.now()
	}
	f.tok, f.err = tok, err
	c.flight = nil
	c.mu.Unlock()
	close(f.done)
}
