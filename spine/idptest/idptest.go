package idptest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The token exchange identifiers (RFC 8693) the token endpoint accepts.
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeIDToken   = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
	assertionType      = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// Kind is the identity provider a user signed in with.
type Kind int

// The kinds.
const (
	CIS2     Kind = iota // NHS CIS2 Authentication: a healthcare worker
	NHSLogin             // NHS login: a citizen
)

// User is a synthetic signed-in user.
type User struct {
	Kind Kind
	// Subject is the ID token's sub: for CIS2 the user's UUID (SDS user
	// id), for NHS login their NHS login id.
	Subject string
	// RoleProfileID is a CIS2 user's selected role (selected_roleid).
	RoleProfileID string
	// NHSNumber is an NHS login user's NHS number (999 range in tests);
	// ProofingLevel their identity proofing level (default P9).
	NHSNumber     string
	ProofingLevel string
}

// Stats counts the token endpoint's work.
type Stats struct {
	Exchanges int // ID tokens exchanged for access tokens
	Refreshes int // access tokens got with a refresh token
	Refused   int // token requests refused
}

// Server is a fake identity provider and API platform token endpoint.
type Server struct {
	// URL is the issuer of the ID tokens it mints; its JWKS is at
	// URL + "/jwks" and its OpenID configuration at
	// URL + "/.well-known/openid-configuration".
	URL string
	// TokenURL is the platform's token endpoint: URL + "/oauth2/token".
	TokenURL string
	// ClientID is the audience of the ID tokens it mints (the calling
	// application's client id at the identity provider).
	ClientID string

	srv *httptest.Server
	key *rsa.PrivateKey
	kid string

	clock                        func() time.Time
	idTTL, accessTTL, refreshTTL time.Duration
	mu                           sync.Mutex
	clients                      map[string]client // by api key
	access                       map[string]issued
	refresh                      map[string]issued
	jtis                         map[string]time.Time // jti -> the assertion's exp, forgotten after it
	stats                        Stats
}

type client struct {
	kid string
	key *rsa.PublicKey
}

type issued struct {
	user    User
	client  string
	expires time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the fake's clock (token lifetimes and checks).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// WithLifetimes sets how long ID tokens, access tokens and refresh tokens
// last (defaults: 1 hour, 599 s and 12 hours); zero keeps a default.
func WithLifetimes(idToken, accessToken, refreshToken time.Duration) Option {
	return func(s *Server) {
		if idToken > 0 {
			s.idTTL = idToken
		}
		if accessToken > 0 {
			s.accessTTL = accessToken
		}
		if refreshToken > 0 {
			s.refreshTTL = refreshToken
		}
	}
}

// NewServer starts a fake on loopback over plain HTTP, with a new RSA key
// for its ID tokens.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a fake that is not yet listening: register
// clients, then call Start or StartTLS.
func NewUnstartedServer(opts ...Option) *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("idptest: " + err.Error())
	}
	s := &Server{
		ClientID: "nhskit-test-client",
		key:      key, kid: "idptest-1",
		clock: time.Now, idTTL: time.Hour, accessTTL: 599 * time.Second, refreshTTL: 12 * time.Hour,
		clients: map[string]client{}, access: map[string]issued{}, refresh: map[string]issued{}, jtis: map[string]time.Time{},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.configuration)
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("/oauth2/token", s.token)
	s.srv = httptest.NewUnstartedServer(mux)
	return s
}

// Start starts the fake on loopback over plain HTTP and sets URL and
// TokenURL.
func (s *Server) Start() {
	s.srv.Start()
	s.started()
}

// StartTLS starts the fake over HTTPS; Client trusts its certificate.
func (s *Server) StartTLS() {
	s.srv.StartTLS()
	s.started()
}

func (s *Server) started() {
	s.URL = s.srv.URL
	s.TokenURL = s.URL + "/oauth2/token"
}

// Client returns an HTTP client that trusts the fake (after StartTLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the fake down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// RegisterClient registers an application with the token endpoint: its
// API key, and the kid and public key its client assertions are signed
// with.
func (s *Server) RegisterClient(apiKey, kid string, key *rsa.PublicKey) {
	s.mu.Lock()
	s.clients[apiKey] = client{kid: kid, key: key}
	s.mu.Unlock()
}

// IDToken mints a signed (RS256) ID token for u, as the identity provider
// gives the application after the user signs in.
func (s *Server) IDToken(u User) (string, error) {
	if u.Subject == "" {
		return "", errors.New("idptest: a user needs a subject")
	}
	now := s.clock()
	claims := jwt.MapClaims{
		"iss": s.URL, "aud": s.ClientID, "sub": u.Subject,
		"iat": now.Unix(), "exp": now.Add(s.idTTL).Unix(), "jti": newID(),
	}
	switch u.Kind {
	case CIS2:
		claims["id_assurance_level"] = "3"
		claims["authentication_assurance_level"] = "3"
		if u.RoleProfileID != "" {
			claims["selected_roleid"] = u.RoleProfileID
		}
	case NHSLogin:
		level := u.ProofingLevel
		if level == "" {
			level = "P9"
		}
		claims["identity_proofing_level"] = level
		if u.NHSNumber != "" {
			claims["nhs_number"] = u.NHSNumber
		}
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	return t.SignedString(s.key)
}

// Valid reports whether accessToken is an unexpired access token this
// fake issued; pass it to pdstest.WithUserTokens.
func (s *Server) Valid(accessToken string) bool {
	_, ok := s.UserOf(accessToken)
	return ok
}

// UserOf returns the user an unexpired access token was issued for.
func (s *Server) UserOf(accessToken string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.access[accessToken]
	if !ok || !s.clock().Before(is.expires) {
		return User{}, false
	}
	return is.user, true
}

// RevokeAccessTokens makes every access token issued so far invalid (the
// refresh tokens still work).
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	clear(s.access)
	s.mu.Unlock()
}

// RevokeRefreshTokens makes every refresh token issued so far invalid.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	clear(s.refresh)
	s.mu.Unlock()
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) configuration(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": s.URL, "jwks_uri": s.URL + "/jwks", "token_endpoint": s.TokenURL,
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"grant_types_supported":                 []string{grantTokenExchange, "refresh_token"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	b64 := base64.RawURLEncoding.EncodeToString
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": b64(s.key.N.Bytes()), "e": b64(big.NewInt(int64(s.key.E)).Bytes()),
	}}})
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, code, desc string) {
		s.mu.Lock()
		s.stats.Refused++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		refuse(http.StatusMethodNotAllowed, "invalid_request", "method must be POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, "invalid_request", "body is not form-encoded")
		return
	}
	apiKey, err := s.checkAssertion(r)
	if err != nil {
		refuse(http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	now := s.clock()
	var user User
	switch r.PostForm.Get("grant_type") {
	case grantTokenExchange:
		if r.PostForm.Get("subject_token_type") != tokenTypeIDToken {
			refuse(http.StatusBadRequest, "invalid_request", "subject_token_type must be "+tokenTypeIDToken)
			return
		}
		user, err = s.checkIDToken(r.PostForm.Get("subject_token"))
		if err != nil {
			refuse(http.StatusBadRequest, "invalid_request", "invalid subject_token: "+err.Error())
			return
		}
		s.mu.Lock()
		s.stats.Exchanges++
		s.mu.Unlock()
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		s.mu.Lock()
		is, ok := s.refresh[old]
		valid := ok && is.client == apiKey && now.Before(is.expires)
		if valid {
			delete(s.refresh, old) // refresh tokens are used once
			s.stats.Refreshes++
		}
		s.mu.Unlock()
		if !valid {
			refuse(http.StatusBadRequest, "invalid_grant", "refresh_token is invalid or expired")
			return
		}
		user = is.user
	default:
		refuse(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be "+grantTokenExchange+" or refresh_token")
		return
	}
	access, refresh := newID(), newID()
	s.mu.Lock()
	s.access[access] = issued{user: user, client: apiKey, expires: now.Add(s.accessTTL)}
	s.refresh[refresh] = issued{user: user, client: apiKey, expires: now.Add(s.refreshTTL)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"access_token": access, "expires_in": strconv.Itoa(int(s.accessTTL / time.Second)),
		"token_type": "Bearer", "issued_token_type": tokenTypeAccess,
		"refresh_token": refresh, "refresh_token_expires_in": strconv.Itoa(int(s.refreshTTL / time.Second)),
	})
}

// checkAssertion verifies the signed JWT client assertion as the platform
// does and returns the client's API key.
func (s *Server) checkAssertion(r *http.Request) (string, error) {
	if r.PostForm.Get("client_assertion_type") != assertionType {
		return "", errors.New("client_assertion_type must be " + assertionType)
	}
	var apiKey string
	tok, err := jwt.Parse(r.PostForm.Get("client_assertion"), func(t *jwt.Token) (any, error) {
		iss, _ := t.Claims.GetIssuer()
		s.mu.Lock()
		c, ok := s.clients[iss]
		s.mu.Unlock()
		if !ok || t.Header["kid"] != c.kid {
			return nil, errors.New("unknown client or kid")
		}
		apiKey = iss
		return c.key, nil
	}, jwt.WithValidMethods([]string{"RS512"}), jwt.WithAudience(s.TokenURL), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.clock))
	if err != nil {
		return "", errors.New("invalid client assertion")
	}
	claims := tok.Claims.(jwt.MapClaims)
	if sub, _ := claims.GetSubject(); sub != apiKey {
		return "", errors.New("client assertion sub must be the api key")
	}
	if exp, _ := claims.GetExpirationTime(); exp.Sub(s.clock()) > 5*time.Minute+5*time.Second {
		return "", errors.New("client assertion exp is more than 5 minutes ahead")
	}
	jti, _ := claims["jti"].(string)
	exp, _ := claims.GetExpirationTime()
	now := s.clock()
	s.mu.Lock()
	// An assertion past its exp is refused anyway, so a jti need only be
	// remembered until then: forgetting expired ones bounds the map by the
	// assertions of the last five minutes.
	for k, until := range s.jtis {
		if now.After(until) {
			delete(s.jtis, k)
		}
	}
	_, reused := s.jtis[jti]
	reused = reused || jti == ""
	if !reused {
		s.jtis[jti] = exp.Time
	}
	s.mu.Unlock()
	if reused {
		return "", errors.New("non-unique jti claim in client assertion")
	}
	return apiKey, nil
}

// checkIDToken verifies an ID token this fake minted and returns its user.
func (s *Server) checkIDToken(raw string) (User, error) {
	tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(s.URL), jwt.WithAudience(s.ClientID),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.clock))
	if err != nil {
		return User{}, errors.New("not a valid, unexpired id token of this provider")
	}
	c := tok.Claims.(jwt.MapClaims)
	u := User{}
	u.Subject, _ = c.GetSubject()
	if v, ok := c["selected_roleid"].(string); ok {
		u.RoleProfileID = v
	}
	if v, ok := c["identity_proofing_level"].(string); ok {
		u.Kind, u.ProofingLevel = NHSLogin, v
		u.NHSNumber, _ = c["nhs_number"].(string)
	}
	return u, nil
}
