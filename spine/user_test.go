package spine_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/idptest"
)

var userKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newUserSource(t *testing.T) (*idptest.Server, *spine.UserRestricted, *fakeClock, *int) {
	t.Helper()
	clock := &fakeClock{now: time.Now()}
	idp := idptest.NewServer(idptest.WithClock(clock.Now))
	t.Cleanup(idp.Close)
	idp.RegisterClient("api-key", "kid-1", &userKey.PublicKey)
	calls := new(int)
	var mu sync.Mutex
	u := &spine.UserRestricted{
		Client: &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: userKey, TokenURL: idp.TokenURL, Now: clock.Now, MaxAttempts: 1},
		IDToken: func(context.Context) (string, error) {
			mu.Lock()
			*calls++
			mu.Unlock()
			return idp.IDToken(idptest.User{Kind: idptest.CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
		},
	}
	return idp, u, clock, calls
}

func TestUserRestrictedExchangeAndRefresh(t *testing.T) {
	idp, u, clock, idTokens := newUserSource(t)
	ctx := context.Background()
	tok, err := u.Token(ctx)
	require.NoError(t, err)
	user, ok := idp.UserOf(tok.AccessToken)
	require.True(t, ok)
	assert.Equal(t, "555254243107", user.RoleProfileID)
	assert.Equal(t, idptest.Stats{Exchanges: 1}, idp.Stats())

	again, err := u.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, tok, again, "cached")

	// Near expiry the refresh token gives a new access token, with no new
	// ID token.
	clock.Add(580 * time.Second)
	fresh, err := u.Token(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
	assert.Equal(t, idptest.Stats{Exchanges: 1, Refreshes: 1}, idp.Stats())
	assert.Equal(t, 1, *idTokens)

	// A refused token is renewed once, however many callers report it.
	idp.RevokeAccessTokens()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			r, err := u.Renew(ctx, fresh)
			assert.NoError(t, err)
			assert.True(t, idp.Valid(r.AccessToken))
		})
	}
	wg.Wait()
	assert.Equal(t, 2, idp.Stats().Refreshes)

	// The refresh token spent: a new ID token is exchanged.
	idp.RevokeRefreshTokens()
	clock.Add(590 * time.Second)
	_, err = u.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, idp.Stats().Exchanges)
	assert.Equal(t, 2, *idTokens)
	var _ spine.Renewer = u
}

func TestUserRestrictedSignInAgain(t *testing.T) {
	tests := []struct {
		name   string
		idTok  func(idp *idptest.Server, clock *fakeClock) (string, error)
		signIn bool
	}{
		{"no id token", func(*idptest.Server, *fakeClock) (string, error) { return "", errors.New("signed out") }, true},
		{"expired id token", func(idp *idptest.Server, clock *fakeClock) (string, error) {
			tok, err := idp.IDToken(idptest.User{Subject: "555254242106"})
			clock.Add(2 * time.Hour)
			return tok, err
		}, true},
		{"junk id token", func(*idptest.Server, *fakeClock) (string, error) { return "not.a.jwt", nil }, true},
		{"nhs login", func(idp *idptest.Server, _ *fakeClock) (string, error) {
			return idp.IDToken(idptest.User{Kind: idptest.NHSLogin, Subject: "nhs-login-1", NHSNumber: "9990000018"})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp, u, clock, _ := newUserSource(t)
			u.IDToken = func(context.Context) (string, error) { return tt.idTok(idp, clock) }
			tok, err := u.Token(context.Background())
			if !tt.signIn {
				require.NoError(t, err)
				user, _ := idp.UserOf(tok.AccessToken)
				assert.Equal(t, idptest.NHSLogin, user.Kind)
				assert.Equal(t, "P9", user.ProofingLevel)
				return
			}
			require.ErrorIs(t, err, spine.ErrSignInAgain)
			assert.NotContains(t, err.Error(), "not.a.jwt")
		})
	}
	// A wrong client key is not the user's fault.
	idp, u, _, _ := newUserSource(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	u.Client.PrivateKey = other
	_, err = u.Token(context.Background())
	var ae *spine.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 401, ae.StatusCode)
	assert.NotErrorIs(t, err, spine.ErrSignInAgain)
	assert.Equal(t, 1, idp.Stats().Refused)
	_, err = (&spine.UserRestricted{}).Token(context.Background())
	assert.ErrorIs(t, err, spine.ErrAuthConfig)
}

// Over TLS, with the caller's *http.Client.
func TestUserRestrictedTLS(t *testing.T) {
	idp := idptest.NewUnstartedServer()
	idp.StartTLS()
	t.Cleanup(idp.Close)
	idp.RegisterClient("api-key", "kid-1", &userKey.PublicKey)
	u := &spine.UserRestricted{
		Client: &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: userKey, TokenURL: idp.TokenURL, HTTPClient: idp.Client()},
		IDToken: func(context.Context) (string, error) {
			return idp.IDToken(idptest.User{Kind: idptest.NHSLogin, Subject: "nhs-login-7", NHSNumber: "9990000018", ProofingLevel: "P5"})
		},
	}
	tok, err := u.Token(context.Background())
	require.NoError(t, err)
	user, ok := idp.UserOf(tok.AccessToken)
	require.True(t, ok)
	assert.Equal(t, idptest.User{Kind: idptest.NHSLogin, Subject: "nhs-login-7", NHSNumber: "9990000018", ProofingLevel: "P5"}, user)
}
