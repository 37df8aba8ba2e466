package idptest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var clientKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func assertion(t *testing.T, s *Server, jti string, exp time.Duration) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS512, jwt.MapClaims{
		"iss": "api-key", "sub": "api-key", "aud": s.TokenURL, "jti": jti, "exp": time.Now().Add(exp).Unix(),
	})
	tok.Header["kid"] = "kid-1"
	signed, err := tok.SignedString(clientKey)
	require.NoError(t, err)
	return signed
}

func post(t *testing.T, s *Server, form url.Values) (int, map[string]string) {
	t.Helper()
	resp, err := http.PostForm(s.TokenURL, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestTokenEndpoint(t *testing.T) {
	s := NewServer()
	t.Cleanup(s.Close)
	s.RegisterClient("api-key", "kid-1", &clientKey.PublicKey)
	idToken, err := s.IDToken(User{Kind: CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
	require.NoError(t, err)
	exchange := func(jti string) url.Values {
		return url.Values{
			"grant_type": {grantTokenExchange}, "subject_token_type": {tokenTypeIDToken}, "subject_token": {idToken},
			"client_assertion_type": {assertionType}, "client_assertion": {assertion(t, s, jti, time.Minute)},
		}
	}
	status, ok := post(t, s, exchange("jti-1"))
	require.Equal(t, 200, status, ok)
	assert.Equal(t, "Bearer", ok["token_type"])
	assert.Equal(t, tokenTypeAccess, ok["issued_token_type"])
	assert.Equal(t, "599", ok["expires_in"])
	assert.True(t, s.Valid(ok["access_token"]))
	assert.NotEmpty(t, ok["refresh_token"])

	tests := []struct {
		name   string
		form   func() url.Values
		status int
		code   string
	}{
		{"reused jti", func() url.Values { return exchange("jti-1") }, 401, "invalid_client"},
		{"assertion too long-lived", func() url.Values {
			f := exchange("jti-2")
			f.Set("client_assertion", assertion(t, s, "jti-2b", 10*time.Minute))
			return f
		}, 401, "invalid_client"},
		{"wrong subject token type", func() url.Values {
			f := exchange("jti-3")
			f.Set("subject_token_type", tokenTypeAccess)
			return f
		}, 400, "invalid_request"},
		{"tampered id token", func() url.Values {
			f := exchange("jti-4")
			f.Set("subject_token", idToken[:len(idToken)-4]+"AAAA")
			return f
		}, 400, "invalid_request"},
		{"unknown grant", func() url.Values {
			f := exchange("jti-5")
			f.Set("grant_type", "password")
			return f
		}, 400, "unsupported_grant_type"},
		{"refresh token used twice", func() url.Values {
			f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ok["refresh_token"]},
				"client_assertion_type": {assertionType}, "client_assertion": {assertion(t, s, "jti-6", time.Minute)}}
			status, _ := post(t, s, f)
			require.Equal(t, 200, status)
			f.Set("client_assertion", assertion(t, s, "jti-7", time.Minute))
			return f
		}, 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, s, tt.form())
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.code, body["error"])
			assert.NotContains(t, body["error_description"], idToken)
		})
	}
	st := s.Stats()
	assert.Equal(t, Stats{Exchanges: 1, Refreshes: 1, Refused: len(tests)}, st)
}

// The ID tokens verify against the published JWKS, with the claims of
// their identity provider.
func TestIDTokenAndJWKS(t *testing.T) {
	s := NewServer()
	t.Cleanup(s.Close)
	resp, err := http.Get(s.URL + "/jwks")
	require.NoError(t, err)
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, N, E string } `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	require.Len(t, set.Keys, 1)
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	e, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}

	for _, u := range []User{
		{Kind: CIS2, Subject: "555254242106", RoleProfileID: "555254243107"},
		{Kind: NHSLogin, Subject: "nhs-login-1", NHSNumber: "9990000018"},
	} {
		raw, err := s.IDToken(u)
		require.NoError(t, err)
		tok, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return pub, nil },
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(s.URL), jwt.WithAudience(s.ClientID))
		require.NoError(t, err)
		c := tok.Claims.(jwt.MapClaims)
		assert.Equal(t, set.Keys[0].Kid, tok.Header["kid"])
		if u.Kind == CIS2 {
			assert.Equal(t, "555254243107", c["selected_roleid"])
		} else {
			assert.Equal(t, "P9", c["identity_proofing_level"])
			assert.Equal(t, "9990000018", c["nhs_number"])
		}
	}
	_, err = s.IDToken(User{})
	assert.Error(t, err)
	assert.False(t, strings.Contains(s.URL, "https"))
}

// A jti is remembered only while its assertion could still be accepted:
// reuse within that time is refused, and the fake forgets it afterwards,
// so a long test run does not grow the map without bound.
func TestJTIForgottenAfterExpiry(t *testing.T) {
	now := time.Now()
	s := NewServer(WithClock(func() time.Time { return now }))
	t.Cleanup(s.Close)
	s.RegisterClient("api-key", "kid-1", &clientKey.PublicKey)
	idToken, err := s.IDToken(User{Kind: CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
	require.NoError(t, err)
	form := func(jti string) url.Values {
		return url.Values{
			"grant_type": {grantTokenExchange}, "subject_token_type": {tokenTypeIDToken}, "subject_token": {idToken},
			"client_assertion_type": {assertionType}, "client_assertion": {assertion(t, s, jti, time.Minute)},
		}
	}
	status, _ := post(t, s, form("jti-a"))
	require.Equal(t, 200, status)
	status, body := post(t, s, form("jti-a"))
	assert.Equal(t, 401, status)
	assert.Equal(t, "invalid_client", body["error"])

	now = now.Add(2 * time.Minute) // jti-a's assertion has expired
	idToken, err = s.IDToken(User{Kind: CIS2, Subject: "555254242106", RoleProfileID: "555254243107"})
	require.NoError(t, err)
	assertionAt := func(jti string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS512, jwt.MapClaims{
			"iss": "api-key", "sub": "api-key", "aud": s.TokenURL, "jti": jti, "exp": now.Add(time.Minute).Unix(),
		})
		tok.Header["kid"] = "kid-1"
		signed, err := tok.SignedString(clientKey)
		require.NoError(t, err)
		return signed
	}
	f := form("unused")
	f.Set("client_assertion", assertionAt("jti-b"))
	status, _ = post(t, s, f)
	require.Equal(t, 200, status)
	s.mu.Lock()
	_, kept := s.jtis["jti-a"]
	n := len(s.jtis)
	s.mu.Unlock()
	assert.False(t, kept, "an expired assertion's jti is forgotten")
	assert.Equal(t, 1, n)
}
