package pdstest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenEndpoint(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	srv := NewServer(WithAuth(&key.PublicKey, "kid-1", "api-key"))
	defer srv.Close()

	n := 0
	assertion := func(mod func(h map[string]any, c jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod)) string {
		n++
		c := jwt.MapClaims{"iss": "api-key", "sub": "api-key", "aud": srv.TokenURL,
			"jti": "jti-" + string(rune('a'+n)), "exp": time.Now().Add(4 * time.Minute).Unix()}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS512, c)
		tok.Header["kid"] = "kid-1"
		k := key
		if mod != nil {
			var m jwt.SigningMethod
			k, m = mod(tok.Header, c)
			tok.Method = m
			tok.Header["alg"] = m.Alg()
		}
		s, err := tok.SignedString(k)
		require.NoError(t, err)
		return s
	}
	post := func(form url.Values) (int, map[string]string) {
		resp, err := http.PostForm(srv.TokenURL, form)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	form := func(a string) url.Values {
		return url.Values{"grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
	}

	status, ok := post(form(assertion(nil)))
	require.Equal(t, 200, status, "%v", ok)
	assert.Equal(t, "599", ok["expires_in"])
	assert.Equal(t, "Bearer", ok["token_type"])
	require.NotEmpty(t, ok["access_token"])

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		desc   string
	}{
		{"wrong key", form(assertion(func(map[string]any, jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			return other, jwt.SigningMethodRS512
		})), 401, "signature"},
		{"RS256", form(assertion(func(map[string]any, jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			return key, jwt.SigningMethodRS256
		})), 401, "signature"},
		{"wrong kid", form(assertion(func(h map[string]any, _ jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			h["kid"] = "kid-2"
			return key, jwt.SigningMethodRS512
		})), 401, "signature"},
		{"wrong audience", form(assertion(func(_ map[string]any, c jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			c["aud"] = "https://elsewhere.example/oauth2/token"
			return key, jwt.SigningMethodRS512
		})), 401, "claims"},
		{"iss is not the API key", form(assertion(func(_ map[string]any, c jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			c["iss"] = "someone"
			return key, jwt.SigningMethodRS512
		})), 401, "claims"},
		{"expired", form(assertion(func(_ map[string]any, c jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			c["exp"] = time.Now().Add(-time.Minute).Unix()
			return key, jwt.SigningMethodRS512
		})), 401, "claims"},
		{"exp too far ahead", form(assertion(func(_ map[string]any, c jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			c["exp"] = time.Now().Add(10 * time.Minute).Unix()
			return key, jwt.SigningMethodRS512
		})), 400, "5 minutes"},
		{"no exp", form(assertion(func(_ map[string]any, c jwt.MapClaims) (*rsa.PrivateKey, jwt.SigningMethod) {
			delete(c, "exp")
			return key, jwt.SigningMethodRS512
		})), 401, "claims"},
		{"grant type", url.Values{"grant_type": {"password"}}, 400, "client_credentials"},
		{"assertion type", url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"x"}}, 400, "client_assertion_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := post(tc.form)
			assert.Equal(t, tc.status, status)
			assert.Contains(t, out["error_description"], tc.desc)
			assert.Empty(t, out["access_token"])
		})
	}

	// A jti may not be used twice.
	a := assertion(nil)
	status, _ = post(form(a))
	require.Equal(t, 200, status)
	status, out := post(form(a))
	assert.Equal(t, 400, status)
	assert.Contains(t, out["error_description"], "jti")

	// The API wants the token.
	get := func(bearer string) (*http.Response, []byte) {
		h := map[string]string{}
		if bearer != "" {
			h["Authorization"] = "Bearer " + bearer
		}
		return call(t, "GET", srv.URL+"/Patient/"+string(AlexSmith), nil, h)
	}
	resp, body := get("")
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, "ACCESS_DENIED", spineCode(t, body))
	resp, body = get(strings.Repeat("x", 32))
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, "ACCESS_DENIED", spineCode(t, body))
	resp, _ = get(ok["access_token"])
	assert.Equal(t, 200, resp.StatusCode)
}
