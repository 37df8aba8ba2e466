package spine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// ErrSignInAgain is wrapped when a UserRestricted source can give no more
// tokens: the user's ID token is gone or refused and the refresh token is
// spent or refused. Send the user through CIS2 (or NHS login) again.
var ErrSignInAgain = errors.New("spine: the user must sign in again")

// The OAuth 2.0 token exchange identifiers (RFC 8693 section 3) the API
// platform uses for the separate authentication and authorisation pattern.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeIDToken       = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
)

// UserRestricted gets user-restricted access tokens for a signed-in
// healthcare worker (NHS CIS2 Authentication) or citizen (NHS login): the
// API platform's separate authentication and authorisation pattern. The
// application signs the user in with the identity provider itself (OIDC)
// and hands their ID token to IDToken; UserRestricted exchanges it at the
// platform's token endpoint (RFC 8693: subject_token the ID token,
// subject_token_type id_token, authenticated with a signed JWT client
// assertion) for an access token, caches it like AppRestricted does
// (single flight, detached from any one caller, early refresh that keeps a
// still-valid token), refreshes it with the refresh token the platform
// issued and, once that is spent, exchanges a fresh ID token. When neither
// works the error wraps ErrSignInAgain.
type UserRestricted struct {
	// Client is the application's registration with the platform: its
	// APIKey, KeyID and PrivateKey sign the client assertion, TokenURL is
	// the token endpoint, and its transport knobs (HTTPClient, Logger,
	// Limiter, MaxAttempts, Timeout, Now) are used for the token requests.
	Client *AppRestricted
	// IDToken returns the signed-in user's current ID token (a JWT from
	// CIS2 Authentication or NHS login). It is called for the first
	// exchange and whenever the refresh token no longer works; an error
	// from it is wrapped with ErrSignInAgain.
	IDToken func(ctx context.Context) (string, error)
	// RefreshBefore is how long before expiry a new token is fetched
	// (default 30 s).
	RefreshBefore time.Duration

	mu            sync.Mutex
	refreshToken  string
	refreshExpiry time.Time // zero: no expiry given
	cache         tokenCache
}

// String names the source without its secrets (the API key, the cached
// access and refresh tokens), so that a Config holding it can be printed.
func (u *UserRestricted) String() string {
	if u == nil || u.Client == nil {
		return "spine.UserRestricted{}"
	}
	return "spine.UserRestricted{kid " + u.Client.KeyID + ", token url " + u.Client.TokenURL + "}"
}

// GoString hides the secrets from %#v.
func (u *UserRestricted) GoString() string { return u.String() }

// LogValue keeps the API key and the cached tokens out of logs.
func (u *UserRestricted) LogValue() slog.Value { return slog.StringValue(u.String()) }

// Token implements TokenSource.
func (u *UserRestricted) Token(ctx context.Context) (Token, error) {
	return u.cache.get(ctx, u.settings(), "", u.fetch)
}

// Renew implements Renewer.
func (u *UserRestricted) Renew(ctx context.Context, stale Token) (Token, error) {
	return u.cache.get(ctx, u.settings(), stale.AccessToken, u.fetch)
}

func (u *UserRestricted) settings() cacheSettings {
	s := cacheSettings{now: time.Now, margin: u.RefreshBefore}
	if u.Client != nil {
		s.now, s.timeout, s.logger = u.Client.now, u.Client.Timeout, u.Client.Logger
	}
	return s
}

// refusal reports whether err is the token endpoint refusing the user's
// grant (a 400, but not invalid_client: the application's own assertion),
// as against a failure to ask or a fault of the application.
func refusal(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && ae.Code != "invalid_client"
}

func (u *UserRestricted) fetch(ctx context.Context) (Token, error) {
	if u.Client == nil || u.IDToken == nil {
		return Token{}, fmt.Errorf("%w: UserRestricted needs a Client and an IDToken", ErrAuthConfig)
	}
	if err := u.Client.configured(); err != nil {
		return Token{}, err
	}
	u.mu.Lock()
	refresh, refreshExpiry := u.refreshToken, u.refreshExpiry
	u.mu.Unlock()
	now := u.Client.now()
	if refresh != "" && (refreshExpiry.IsZero() || now.Before(refreshExpiry)) {
		body, err := u.Client.post(ctx, url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {refresh},
			"client_id":     {u.Client.APIKey},
		})
		switch {
		case err == nil:
			return u.keep(body, now)
		case !refusal(err):
			return Token{}, err
		}
		// The refresh token is spent or refused: exchange a new ID token.
	}
	u.mu.Lock()
	u.refreshToken, u.refreshExpiry = "", time.Time{}
	u.mu.Unlock()
	idToken, err := u.IDToken(ctx)
	if err != nil {
		return Token{}, fmt.Errorf("%w: no id token: %w", ErrSignInAgain, err)
	}
	body, err := u.Client.post(ctx, url.Values{
		"grant_type":         {GrantTypeTokenExchange},
		"subject_token_type": {TokenTypeIDToken},
		"subject_token":      {idToken},
	})
	if err != nil {
		if refusal(err) {
			return Token{}, fmt.Errorf("%w: the token exchange was refused: %w", ErrSignInAgain, err)
		}
		return Token{}, err
	}
	return u.keep(body, now)
}

// keep stores the refresh token of an answer and returns its access token.
func (u *UserRestricted) keep(body *tokenResponse, now time.Time) (Token, error) {
	tok, err := body.token(now)
	if err != nil {
		return Token{}, err
	}
	if body.RefreshToken != "" {
		u.mu.Lock()
		u.refreshToken, u.refreshExpiry = body.RefreshToken, time.Time{}
		if body.RefreshTokenExpiresIn > 0 && body.RefreshTokenExpiresIn <= maxExpiresIn {
			u.refreshExpiry = now.Add(time.Duration(body.RefreshTokenExpiresIn) * time.Second)
		}
		u.mu.Unlock()
	}
	return tok, nil
}
