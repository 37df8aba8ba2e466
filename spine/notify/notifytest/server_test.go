package notifytest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKSUID(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a, b := ksuid(now), ksuid(now)
	assert.Regexp(t, `^[0-9A-Za-z]{27}$`, a)
	assert.NotEqual(t, a, b)
	assert.Less(t, ksuid(now.Add(-time.Hour))[:5], a[:6], "ids sort by time")
}

func TestTokenEndpoint(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	srv := NewServer(WithAuth(&key.PublicKey, "kid-1", "api-key"))
	defer srv.Close()
	n := 0
	assertion := func(kid, iss string, exp time.Duration, jti string) string {
		n++
		if jti == "" {
			jti = "jti-" + string(rune('a'+n))
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS512, jwt.MapClaims{"iss": iss, "sub": iss, "aud": srv.TokenURL,
			"jti": jti, "exp": time.Now().Add(exp).Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	post := func(a string) int {
		resp, err := http.PostForm(srv.TokenURL, url.Values{"grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}})
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		if resp.StatusCode == 200 {
			assert.Equal(t, "599", out["expires_in"])
			assert.NotEmpty(t, out["access_token"])
		} else {
			assert.NotEmpty(t, out["error"])
		}
		return resp.StatusCode
	}
	assert.Equal(t, 200, post(assertion("kid-1", "api-key", 4*time.Minute, "")))
	assert.Equal(t, 401, post(assertion("kid-2", "api-key", 4*time.Minute, "")))
	assert.Equal(t, 401, post(assertion("kid-1", "other", 4*time.Minute, "")))
	assert.Equal(t, 400, post(assertion("kid-1", "api-key", 10*time.Minute, "")))
	assert.Equal(t, 401, post(assertion("kid-1", "api-key", -time.Minute, "")))
	assert.Equal(t, 200, post(assertion("kid-1", "api-key", 4*time.Minute, "same")))
	assert.Equal(t, 400, post(assertion("kid-1", "api-key", 4*time.Minute, "same")), "jti reused")
	assert.Equal(t, 7, srv.Stats().TokenRequests)
}

func TestPrefer(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		code   string
		status int
		want   string
		retry  string
	}{
		{"401", 401, "CM_DENIED", ""},
		{"403", 403, "CM_FORBIDDEN", ""},
		{"404", 404, "CM_NOT_FOUND", ""},
		{"408", 408, "CM_TIMEOUT", ""},
		{"422_message", 422, "CM_DUPLICATE_REQUEST", ""},
		{"422_batch", 422, "CM_DUPLICATE_REQUEST", ""},
		{"425", 425, "CM_RETRY_TOO_EARLY", "300"},
		{"429", 429, "CM_QUOTA", "5"},
		{"500", 500, "CM_INTERNAL_SERVER_ERROR", ""},
		{"502", 502, "CM_BAD_GATEWAY", ""},
		{"503", 503, "CM_SERVICE_UNAVAILABLE", "5"},
		{"504", 504, "CM_TIMEOUT", ""},
		{"999", 404, "CM_NOT_FOUND", ""}, // not a scenario: the path's own answer
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		req.Header.Set("Prefer", "code="+tc.code)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body struct {
			Errors []struct {
				Code string `json:"code"`
			} `json:"errors"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.code)
		require.Len(t, body.Errors, 1)
		assert.Equal(t, tc.want, body.Errors[0].Code, tc.code)
		assert.Equal(t, tc.retry, resp.Header.Get("Retry-After"), tc.code)
	}
}
