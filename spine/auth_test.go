package spine

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

// tokenServer verifies the client assertion the way the platform does and
// counts requests.
func tokenServer(t *testing.T, expiresIn any) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(20 * time.Millisecond) // widen the race window
		if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "grant_type is invalid"})
			return
		}
		tok, err := jwt.Parse(r.PostForm.Get("client_assertion"), func(tk *jwt.Token) (any, error) {
			if tk.Header["kid"] != "test-1" {
				return nil, errors.New("unknown kid")
			}
			return &testKey.PublicKey, nil
		}, jwt.WithValidMethods([]string{"RS512"}), jwt.WithAudience(srv.URL+"/oauth2/token"), jwt.WithExpirationRequired())
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "Invalid JWT signature"})
			return
		}
		c := tok.Claims.(jwt.MapClaims)
		exp, _ := c.GetExpirationTime()
		if c["iss"] != "api-key" || c["sub"] != "api-key" || c["jti"] == "" || time.Until(exp.Time) > 5*time.Minute {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "bad claims"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-123", "expires_in": expiresIn, "token_type": "Bearer"})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestAppRestrictedSingleFlight(t *testing.T) {
	for _, exp := range []any{"599", 599} {
		srv, n := tokenServer(t, exp)
		a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL + "/oauth2/token"}
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		for range 1000 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk, err := a.Token(context.Background())
				if err == nil && tk.AccessToken != "tok-123" {
					err = errors.New("wrong token")
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		assert.Equal(t, int64(1), n.Load(), "one token request for 1000 callers (expires_in %v)", exp)
	}
}

func TestAppRestrictedRefreshBeforeExpiry(t *testing.T) {
	srv, n := tokenServer(t, "60")
	now := time.Now().Add(-40 * time.Second) // the fake checks exp against the real clock
	a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL + "/oauth2/token",
		Now: func() time.Time { return now }}
	_, err := a.Token(context.Background())
	require.NoError(t, err)
	now = now.Add(20 * time.Second)
	_, err = a.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), n.Load())
	now = now.Add(15 * time.Second) // within 30 s of expiry
	_, err = a.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), n.Load())
}

func TestAppRestrictedErrors(t *testing.T) {
	srv, _ := tokenServer(t, "599")
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: other, TokenURL: srv.URL + "/oauth2/token", MaxAttempts: 1}
	var rec Response
	_, err = a.Token(WithResponse(WithCorrelationID(context.Background(), "corr-7"), &rec))
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	assert.Equal(t, "invalid_request", ae.Code)
	assert.ErrorIs(t, err, ErrorCode("invalid_request"))
	assert.NotEmpty(t, ae.RequestID)
	assert.Equal(t, rec.RequestID, ae.RequestID)
	assert.Equal(t, "corr-7", ae.CorrelationID)
	assert.Equal(t, 1, rec.Attempts)
	assert.NotContains(t, err.Error(), "tok-")

	_, err = (&AppRestricted{APIKey: "k"}).Token(context.Background())
	assert.ErrorIs(t, err, ErrAuthConfig)

	bad, _ := tokenServer(t, "soon")
	a = &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: bad.URL + "/oauth2/token"}
	_, err = a.Token(context.Background())
	assert.ErrorContains(t, err, "expires_in")
}

func TestTokenHidesSecret(t *testing.T) {
	tk := Token{AccessToken: "secret-value", Expiry: time.Unix(0, 0)}
	assert.NotContains(t, tk.String(), "secret")
	assert.NotContains(t, tk.LogValue().String(), "secret")
}

func TestParseAPIError(t *testing.T) {
	body := []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",
	"details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","version":"1","code":"RESOURCE_NOT_FOUND","display":"Resource not found"}]}}]}`)
	h := http.Header{"X-Request-Id": {"60E0B220-8136-4CA5-AE46-1D97EF59D068"}}
	err := error(ParseAPIError(404, h, body, ""))
	assert.ErrorIs(t, err, ErrResourceNotFound)
	assert.NotErrorIs(t, err, ErrTooManyMatches)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "not-found", ae.IssueType)
	assert.Equal(t, "60E0B220-8136-4CA5-AE46-1D97EF59D068", ae.RequestID)
	assert.Equal(t, "spine: status 404 RESOURCE_NOT_FOUND (request id 60E0B220-8136-4CA5-AE46-1D97EF59D068)", ae.Error())

	plain := ParseAPIError(502, http.Header{}, []byte("<html>bad gateway</html>"), "r1")
	assert.Equal(t, "", plain.Code)
	assert.Contains(t, plain.Error(), "Bad Gateway")
}

// scriptedTokenServer answers token requests with the given statuses in
// turn (200 is a token "tok-<n>" valid for expiresIn seconds) and refuses a
// reused jti as the platform does. It records the jtis and iats it saw.
type scriptedTokenServer struct {
	mu       sync.Mutex
	statuses []int
	jtis     []string
	delay    time.Duration
	n        int
}

func (s *scriptedTokenServer) start(t *testing.T, expiresIn string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		tok, _, err := jwt.NewParser().ParseUnverified(r.PostForm.Get("client_assertion"), jwt.MapClaims{})
		require.NoError(t, err)
		jti, _ := tok.Claims.(jwt.MapClaims)["jti"].(string)
		s.mu.Lock()
		reused := slices.Contains(s.jtis, jti)
		s.jtis = append(s.jtis, jti)
		st := http.StatusOK
		if s.n < len(s.statuses) {
			st = s.statuses[s.n]
		}
		s.n++
		n := s.n
		delay := s.delay
		s.mu.Unlock()
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		if reused {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "Non-unique jti claim in JWT"})
			return
		}
		if st != http.StatusOK {
			w.WriteHeader(st)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "server_error"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + strconv.Itoa(n), "expires_in": expiresIn, "token_type": "Bearer"})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A retried token request carries a new assertion: the platform refuses a
// reused jti.
func TestAppRestrictedNewAssertionPerAttempt(t *testing.T) {
	s := &scriptedTokenServer{statuses: []int{503, 502, 200}}
	srv := s.start(t, "599")
	a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL}
	tok, err := a.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "tok-3", tok.AccessToken)
	require.Len(t, s.jtis, 3)
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(s.jtis))), 3, "a new jti for every attempt")
}

// The shared fetch does not run on the context of the caller that started
// it: that caller giving up does not fail the others.
func TestAppRestrictedFetchDetachedFromFirstCaller(t *testing.T) {
	s := &scriptedTokenServer{delay: 200 * time.Millisecond}
	srv := s.start(t, "599")
	a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL}
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	errs := make(chan error, 2)
	go func() { _, err := a.Token(short); errs <- err }()
	time.Sleep(5 * time.Millisecond)
	go func() {
		tok, err := a.Token(context.Background())
		if err == nil && tok.AccessToken != "tok-1" {
			err = errors.New("wrong token " + tok.AccessToken)
		}
		errs <- err
	}()
	first, second := <-errs, <-errs
	assert.ErrorIs(t, first, context.DeadlineExceeded, "the impatient caller gives up on its own deadline")
	assert.NoError(t, second, "the patient caller gets the token")
	assert.Equal(t, 1, s.n)
}

// A failed early refresh keeps the token that is still valid; once it has
// really expired, the failure is returned.
func TestAppRestrictedFailedEarlyRefreshKeepsToken(t *testing.T) {
	s := &scriptedTokenServer{statuses: []int{200, 400, 400, 400}}
	srv := s.start(t, "60")
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL, Now: clock, MaxAttempts: 1, Logger: logger}
	tok, err := a.Token(context.Background())
	require.NoError(t, err)
	advance(40 * time.Second) // within 30 s of expiry: refresh, which fails
	again, err := a.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok, again)
	assert.Contains(t, logs.String(), "token refresh failed")
	assert.NotContains(t, logs.String(), tok.AccessToken)
	assert.Equal(t, 2, s.n)
	again, err = a.Token(context.Background()) // soon after the failure: no new attempt
	require.NoError(t, err)
	assert.Equal(t, tok, again)
	assert.Equal(t, 2, s.n)
	advance(25 * time.Second) // expired
	_, err = a.Token(context.Background())
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Renew replaces a refused token once, however many callers report it.
func TestAppRestrictedRenew(t *testing.T) {
	s := &scriptedTokenServer{}
	srv := s.start(t, "599")
	a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL}
	old, err := a.Token(context.Background())
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := a.Renew(context.Background(), old)
			assert.NoError(t, err)
			assert.Equal(t, "tok-2", tok.AccessToken)
		}()
	}
	wg.Wait()
	assert.Equal(t, 2, s.n)
	var _ Renewer = a
}

// An expires_in too large for a time.Duration is refused, rather than
// overflowing into an expiry in the past (which would fetch a token for
// every call).
func TestAppRestrictedExpiresInRange(t *testing.T) {
	for _, exp := range []any{"9223372036854775807", "9300000000"} {
		srv, _ := tokenServer(t, exp)
		a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL + "/oauth2/token"}
		tk, err := a.Token(context.Background())
		assert.ErrorContains(t, err, "expires_in", "expires_in %v gave a token expiring %s", exp, tk.Expiry)
	}
}

// A StaticToken in a Config that is printed or logged does not show the
// token.
// %#v of an APIError, which prints every field by default, leaves out
// Body: the raw answer may echo what the request carried.
func TestAPIErrorGoStringOmitsBody(t *testing.T) {
	e := ParseAPIError(404, http.Header{}, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"echo 9990000018"}]}`), "req-1")
	s := fmt.Sprintf("%#v", e)
	assert.NotContains(t, s, "9990000018")
	assert.Contains(t, s, "req-1")
	assert.Equal(t, e.Error(), s)
}

func TestStaticTokenHidesSecret(t *testing.T) {
	cfg := struct{ Tokens TokenSource }{StaticToken("secret-value")}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(StaticToken("secret-value"))} {
		assert.NotContains(t, s, "secret")
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "tokens", StaticToken("secret-value"))
	assert.NotContains(t, buf.String(), "secret")
	tk, err := StaticToken("secret-value").Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "secret-value", tk.AccessToken)
}

// A token source that holds a token, printed with %v or %+v (alone or in
// a Config) or logged, shows neither the cached token nor the API key.
func TestTokenSourcesHideSecrets(t *testing.T) {
	srv, _ := tokenServer(t, "599")
	a := &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL + "/oauth2/token"}
	_, err := a.Token(context.Background())
	require.NoError(t, err)
	u := &UserRestricted{Client: a}
	u.refreshToken = "refresh-secret"
	u.cache.cur = Token{AccessToken: "tok-123", Expiry: time.Now().Add(time.Hour)}
	for _, ts := range []TokenSource{a, u} {
		cfg := struct{ Tokens TokenSource }{ts}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "tokens", ts)
		for _, s := range []string{fmt.Sprint(ts), fmt.Sprintf("%+v", ts), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), buf.String()} {
			assert.NotContains(t, s, "tok-123")
			assert.NotContains(t, s, "refresh-secret")
			assert.NotContains(t, s, "api-key")
		}
	}
}

// A refresh_token_expires_in too large for a time.Duration keeps the
// refresh token without an expiry, rather than one in the past (which
// would drop it unused and exchange the ID token again).
func TestUserRestrictedRefreshExpiresInRange(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-1", "expires_in": "599",
			"refresh_token": "ref-1", "refresh_token_expires_in": "9300000000"})
	}))
	defer srv.Close()
	now := time.Now()
	u := &UserRestricted{
		Client:  &AppRestricted{APIKey: "api-key", KeyID: "test-1", PrivateKey: testKey, TokenURL: srv.URL, Now: func() time.Time { return now }},
		IDToken: func(context.Context) (string, error) { return "id-token", nil },
	}
	_, err := u.Token(context.Background())
	require.NoError(t, err)
	u.mu.Lock()
	defer u.mu.Unlock()
	assert.Equal(t, "ref-1", u.refreshToken)
	assert.True(t, u.refreshExpiry.IsZero() || u.refreshExpiry.After(now), "refresh expiry %s", u.refreshExpiry)
}
