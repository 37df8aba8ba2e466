package pdstest

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
)

// Server is a fake PDS FHIR API on loopback. Requests go to
// URL + "/Patient/{nhsNumber}"; with WithAuth it is also the token endpoint
// at TokenURL.
type Server struct {
	// URL is the FHIR base, e.g. http://127.0.0.1:43121, set by Start.
	URL string
	// TokenURL is URL + "/oauth2/token".
	TokenURL string

	// Faults injects failures: FailNext, Inject, SetFaultRate, SetLatency.
	fake.Faults

	srv *httptest.Server

	mu         sync.Mutex
	patients   map[string]*record
	related    map[string][]json.RawMessage
	superseded map[string]string // old NHS number -> new
	invalid    map[string]bool   // invalidated and not superseded
	replies    map[string]reply  // X-Request-ID -> reply, for write de-duplication
	tokens     map[string]time.Time
	jtis       map[string]bool
	stats      Stats

	auth       *authConfig
	userTokens func(accessToken string) bool
	appMode    bool // requests without a user token are application-restricted
	limiter    *rate.Limiter
	clock      func() time.Time
	nextNHS    int64 // the next candidate for a new NHS number
}

type record struct {
	doc     map[string]any
	version int
}

// reply is the answer to a write, kept under its X-Request-ID with what
// identifies the request, so that only the same request re-sent gets it
// again.
type reply struct {
	method, path string
	body         []byte // the request's body
	status       int
	header       http.Header
	answer       []byte
}

type authConfig struct {
	key    *rsa.PublicKey
	kid    string
	apiKey string
}

// Stats counts what the fake has seen.
type Stats struct {
	Requests      int // every request, token requests included
	TokenRequests int
	Patches       int // PATCHes applied (a replayed duplicate is not counted)
	Creates       int // patients created by POST /Patient
	Faults        int // requests answered by an injected fault
	// First and Last are when the first and the latest API request (token
	// requests aside) arrived, for measuring a client's rate.
	First, Last time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithAuth makes the fake require a bearer token on every request and act
// as the token endpoint: it verifies the client's signed JWT assertion
// (RS512, the kid, iss and sub equal to apiKey, aud the token URL, exp at
// most five minutes ahead, jti not reused) against key.
func WithAuth(key *rsa.PublicKey, kid, apiKey string) Option {
	return func(s *Server) { s.auth = &authConfig{key: key, kid: kid, apiKey: apiKey} }
}

// WithUserTokens makes the fake accept, besides its own
// application-restricted tokens (WithAuth), the bearer tokens valid
// reports as a healthcare worker's (user-restricted, CIS2) token; an
// idptest.Server's Valid method is one. Without WithAuth, a request with
// no token or one valid refuses is then 401 ACCESS_DENIED.
func WithUserTokens(valid func(accessToken string) bool) Option {
	return func(s *Server) { s.userTokens = valid }
}

// WithApplicationRestricted makes requests that carry no user token
// application-restricted even without WithAuth: search returns at most one
// patient (_max-results other than 1 is 403 INVALID_VALUE) and updates
// and creations are refused (403 ACCESS_DENIED).
func WithApplicationRestricted() Option { return func(s *Server) { s.appMode = true } }

// WithClock sets the fake's clock: token expiry, the search's "today"
// (which names and addresses are current) and Stats' times. The published
// sandbox patients' periods run from 2024-01-01 to 2025-12-31, so a fake
// serving them answers searches as the sandbox does with a clock in that
// span.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// WithRateLimit makes the fake answer 429 TOO_MANY_REQUESTS beyond rps
// requests per second (token requests aside), as the platform's spike
// arrest does: without Retry-After.
func WithRateLimit(rps float64) Option {
	return func(s *Server) { s.limiter = rate.NewLimiter(rate.Limit(rps), 1) }
}

// WithoutSeed starts the fake with no patients.
func WithoutSeed() Option { return func(s *Server) { s.patients = map[string]*record{} } }

// NewServer starts a fake PDS on loopback over plain HTTP, seeded with
// synthetic patients (see Seed) unless WithoutSeed is given.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a fake PDS that is not yet listening: set up
// patients and faults, then call Start or StartTLS.
func NewUnstartedServer(opts ...Option) *Server {
	s := &Server{
		related:    map[string][]json.RawMessage{},
		superseded: map[string]string{},
		invalid:    map[string]bool{},
		replies:    map[string]reply{},
		tokens:     map[string]time.Time{},
		jtis:       map[string]bool{},
		clock:      time.Now,
		nextNHS:    999010000,
	}
	for _, o := range opts {
		o(s)
	}
	if s.patients == nil {
		s.patients = map[string]*record{}
		for _, p := range Seed() {
			s.AddPatient(p)
		}
		s.superseded[string(SupersededNHSNumber)] = string(AlexSmith)
		s.invalid[string(InvalidatedNHSNumber)] = true
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	return s
}

// Start starts the fake on loopback over plain HTTP and sets URL.
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

// Close shuts the fake down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client that trusts the fake (after StartTLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// TLSConfig is the fake's TLS configuration (nil without TLS).
func (s *Server) TLSConfig() *tls.Config { return s.srv.TLS }

// AddPatient stores a patient under its NHS number (its id, or else its
// NHS number identifier) at its meta.versionId (default 1), replacing any
// with that number.
func (s *Server) AddPatient(p *fhir.Patient) {
	data, err := fhir.Marshal(p)
	if err != nil {
		panic("pdstest: " + err.Error())
	}
	if err := s.AddPatientJSON(data); err != nil {
		panic("pdstest: " + err.Error())
	}
}

// AddPatientJSON stores a Patient given as FHIR JSON (a PDS example, say).
func (s *Server) AddPatientJSON(data []byte) error {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc["resourceType"] != "Patient" {
		return fmt.Errorf("pdstest: not a Patient")
	}
	id, _ := doc["id"].(string)
	if id == "" {
		if ids, ok := doc["identifier"].([]any); ok {
			for _, x := range ids {
				if m, ok := x.(map[string]any); ok && m["system"] == fhir.NHSNumberSystem {
					id, _ = m["value"].(string)
				}
			}
		}
	}
	if !nhsid.NHSNumber(id).Valid() {
		return fmt.Errorf("pdstest: patient has no valid NHS number")
	}
	doc["id"] = id
	meta, _ := doc["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		doc["meta"] = meta
	}
	version, err := strconv.Atoi(fmt.Sprint(meta["versionId"]))
	if err != nil || version < 1 {
		version = 1
	}
	meta["versionId"] = strconv.Itoa(version)
	s.mu.Lock()
	s.patients[id] = &record{doc: doc, version: version}
	s.mu.Unlock()
	return nil
}

// Patient returns the stored patient (as FHIR JSON) and its version.
func (s *Server) Patient(nhs nhsid.NHSNumber) ([]byte, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.patients[string(nhs)]
	if !ok {
		return nil, 0, false
	}
	b, _ := json.Marshal(r.doc)
	return b, r.version, true
}

// Supersede makes old a superseded number whose retrieval returns new.
func (s *Server) Supersede(old, new nhsid.NHSNumber) {
	s.mu.Lock()
	s.superseded[string(old)] = string(new)
	s.mu.Unlock()
}

// AddRelatedPerson adds a RelatedPerson (FHIR JSON) to a patient.
func (s *Server) AddRelatedPerson(nhs nhsid.NHSNumber, relatedPerson []byte) {
	s.mu.Lock()
	s.related[string(nhs)] = append(s.related[string(nhs)], append(json.RawMessage(nil), relatedPerson...))
	s.mu.Unlock()
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Faults = s.Faults.Injected()
	return st
}

// Fault is an injected failure: a Status (answered with PDS's
// OperationOutcome for it), a Retry-After, a Delay, a dropped connection,
// or DropAfter, which applies a PATCH and then drops the connection so the
// client never hears that it succeeded. Queue faults with Inject, FailNext
// or SetFaultRate, the methods every fake of this module shares.
type Fault = fake.Fault

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var displays = map[string]string{
	"INVALID_RESOURCE_ID":       "Resource Id is invalid",
	"RESOURCE_NOT_FOUND":        "Resource not found",
	"INVALIDATED_RESOURCE":      "Resource that has been marked as invalid was requested",
	"MISSING_VALUE":             "Required value is missing",
	"INVALID_VALUE":             "Provided value is invalid",
	"INVALID_SEARCH_DATA":       "Search data is invalid",
	"ADDITIONAL_PROPERTIES":     "Additional properties",
	"ACCESS_DENIED":             "Access Denied - Unauthorised",
	"PRECONDITION_FAILED":       "Required condition was not fulfilled",
	"RESOURCE_VERSION_MISMATCH": "Resource version mismatch",
	"INVALID_UPDATE":            "Update is invalid",
	"TOO_MANY_REQUESTS":         "Too many requests",
	"SINGLE_MATCH":              "Single match found",
	"MULTIPLE_MATCHES":          "Multiple matches found",
	"VALIDATION_ERROR":          "Validation error",
	"TOO_MANY_MATCHES":          "Too Many Matches",
	"SERVICE_UNAVAILABLE":       "Service unavailable",
	"UNSUPPORTED_SERVICE":       "Unsupported Service",
	"SERVER_ERROR":              "Failed to generate response",
}

func outcome(severity, issueType, code, diagnostics string) []byte {
	return outcomeDisplay(severity, issueType, code, displays[code], diagnostics)
}

func outcomeDisplay(severity, issueType, code, display, diagnostics string) []byte {
	issue := map[string]any{
		"severity": severity,
		"code":     issueType,
		"details": map[string]any{"coding": []any{map[string]any{
			"system": spine.CodeSystem, "version": "1", "code": code, "display": display,
		}}},
	}
	if diagnostics != "" {
		issue["diagnostics"] = diagnostics
	}
	b, _ := json.Marshal(map[string]any{"resourceType": "OperationOutcome", "issue": []any{issue}})
	return b
}

type responseWriter struct {
	http.ResponseWriter
	r *http.Request
}

func (w responseWriter) error(status int, issueType, code, diagnostics string) {
	w.send(status, outcome("error", issueType, code, diagnostics))
}

// errorDisplay answers with an OperationOutcome whose display is not the
// code's usual one (the platform proxy's own refusals).
func (w responseWriter) errorDisplay(status int, issueType, code, display, diagnostics string) {
	w.send(status, outcomeDisplay("error", issueType, code, display, diagnostics))
}

func (w responseWriter) send(status int, body []byte) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) serve(hw http.ResponseWriter, r *http.Request) {
	w := responseWriter{hw, r}
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	if r.URL.Path == "/oauth2/token" && s.auth != nil {
		s.token(w, r)
		return
	}
	s.mu.Lock()
	now := s.clock()
	if s.stats.First.IsZero() {
		s.stats.First = now
	}
	s.stats.Last = now
	s.mu.Unlock()
	if id := r.Header.Get("X-Request-ID"); id != "" {
		w.Header().Set("X-Request-ID", id)
	}
	if id := r.Header.Get("X-Correlation-ID"); id != "" {
		w.Header().Set("X-Correlation-ID", id)
	}
	f, done := s.Faults.Serve(w, r, func(hw http.ResponseWriter, status int) { faultError(responseWriter{hw, r}, status) })
	if done {
		return
	}
	if s.limiter != nil && !s.limiter.Allow() {
		tooManyRequests(w)
		return
	}
	rid := r.Header.Get("X-Request-ID")
	switch {
	case rid == "":
		w.error(http.StatusBadRequest, "required", "MISSING_VALUE", "Invalid request with error - X-Request-ID header must be supplied to access this resource")
		return
	case !uuidPattern.MatchString(rid):
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+rid+"' in header 'X-Request-ID'")
		return
	}
	appRestricted, ok := s.accessMode(r)
	if !ok {
		w.error(http.StatusUnauthorized, "forbidden", "ACCESS_DENIED", "Access token missing, invalid or expired, or calling application not configured for this operation")
		return
	}
	if e := r.Header.Get("NHSD-End-User-Organisation-ODS"); e != "" && !nhsid.ODSCode(e).Valid() {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+e+"' in header 'NHSD-End-User-Organisation-ODS'")
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - the body could not be read")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if s.replay(w, r, body) {
		return
	}
	if r.Method == http.MethodPatch || r.Method == http.MethodPost {
		if appRestricted && len(parts) >= 1 && parts[0] == "Patient" {
			// The platform proxy's refusals (RaiseFault.PatchMethodNotAllowedAppRestricted
			// and RaiseFault.PostMethodNotAllowed).
			display := "Cannot update resource with application-restricted access token"
			if r.Method == http.MethodPost {
				display = "Cannot update resource without Healthcare Worker access token"
			}
			w.errorDisplay(http.StatusForbidden, "forbidden", "INVALID_METHOD", display, "Your app has insufficient permissions to use this method. Please contact support.")
			return
		}
	}
	switch {
	case len(parts) == 1 && parts[0] == "Patient" && r.Method == http.MethodGet:
		s.search(w, r, appRestricted)
	case len(parts) == 1 && parts[0] == "Patient" && r.Method == http.MethodPost:
		s.create(w, r, f.DropAfter)
	case len(parts) == 2 && parts[0] == "Patient" && r.Method == http.MethodGet:
		s.get(w, parts[1])
	case len(parts) == 2 && parts[0] == "Patient" && r.Method == http.MethodPatch:
		s.patch(w, r, parts[1], f, f.DropAfter)
	case len(parts) == 3 && parts[0] == "Patient" && parts[2] == "RelatedPerson" && r.Method == http.MethodGet:
		s.relatedPeople(w, parts[1])
	case len(parts) >= 1 && parts[0] == "Patient":
		w.Header().Set("Allow", "GET, PATCH, POST")
		w.error(http.StatusMethodNotAllowed, "not-supported", "UNSUPPORTED_SERVICE", "Method not supported")
	default:
		w.error(http.StatusNotFound, "not-supported", "UNSUPPORTED_SERVICE", "Invalid request")
	}
}

// tooManyRequests answers 429 as the platform's proxy does: issue code
// value, and no Retry-After of its own (an injected Fault may set one).
func tooManyRequests(w responseWriter) {
	w.error(http.StatusTooManyRequests, "value", "TOO_MANY_REQUESTS", "")
}

// replay answers a write whose X-Request-ID was seen before: the same
// request (method, path and body) gets the first answer again and changes
// nothing; another request with that id is refused. It reports whether it
// answered.
func (s *Server) replay(w responseWriter, r *http.Request, body []byte) bool {
	rid := r.Header.Get("X-Request-ID")
	s.mu.Lock()
	prev, seen := s.replies[rid]
	s.mu.Unlock()
	if !seen {
		return false
	}
	if prev.method != r.Method || prev.path != r.URL.Path || !bytes.Equal(prev.body, body) {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - 'X-Request-ID' has already been used for a different request")
		return true
	}
	for k, v := range prev.header {
		w.Header()[k] = v
	}
	w.send(prev.status, prev.answer)
	return true
}

// remember keeps a write's answer under its X-Request-ID; the caller holds
// s.mu.
func (s *Server) remember(r *http.Request, body []byte, status int, header http.Header, answer []byte) {
	s.replies[r.Header.Get("X-Request-ID")] = reply{method: r.Method, path: r.URL.Path, body: body, status: status, header: header, answer: answer}
}

// accessMode tells the access mode of a request, and whether it is
// authorised at all.
func (s *Server) accessMode(r *http.Request) (appRestricted, ok bool) {
	tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if bearer && s.userTokens != nil && s.userTokens(tok) {
		return false, true
	}
	if s.auth != nil {
		return true, s.authorised(r)
	}
	if s.userTokens != nil {
		return false, false
	}
	return s.appMode, true
}

// faultError answers an injected status with PDS's body for it.
func faultError(w responseWriter, status int) {
	switch status {
	case http.StatusTooManyRequests:
		tooManyRequests(w)
	case http.StatusRequestTimeout:
		w.error(status, "timeout", "UNABLE_TO_CALL_SERVICE", "The downstream domain processing has not completed within the configured timeout period.")
	case http.StatusServiceUnavailable:
		w.error(status, "timeout", "SERVICE_UNAVAILABLE", "The downstream domain processing has not completed within the configured timeout period. Using the same 'X-Request-ID' header, retry your request after the time specified by the 'Retry-After' response header.")
	default:
		w.error(status, "exception", "SERVER_ERROR", "")
	}
}

func (s *Server) token(w responseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.TokenRequests++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	oauthError := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		oauthError(http.StatusBadRequest, "invalid_request", "body is not form-encoded")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be 'client_credentials'")
		return
	}
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		oauthError(http.StatusBadRequest, "invalid_request", "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'")
		return
	}
	tok, err := jwt.Parse(r.PostForm.Get("client_assertion"), func(t *jwt.Token) (any, error) {
		if t.Header["kid"] != s.auth.kid {
			return nil, fmt.Errorf("unknown kid")
		}
		return s.auth.key, nil
	}, jwt.WithValidMethods([]string{"RS512"}), jwt.WithAudience(s.TokenURL), jwt.WithExpirationRequired(),
		jwt.WithIssuer(s.auth.apiKey), jwt.WithSubject(s.auth.apiKey))
	if err != nil {
		oauthError(http.StatusUnauthorized, "invalid_request", "Invalid JWT signature or claims")
		return
	}
	claims := tok.Claims.(jwt.MapClaims)
	exp, _ := claims.GetExpirationTime()
	jti, _ := claims["jti"].(string)
	if exp.Sub(s.clock()) > 5*time.Minute+5*time.Second {
		oauthError(http.StatusBadRequest, "invalid_request", "Invalid exp claim in JWT - more than 5 minutes in future")
		return
	}
	s.mu.Lock()
	reused := jti == "" || s.jtis[jti]
	s.jtis[jti] = true
	s.mu.Unlock()
	if reused {
		oauthError(http.StatusBadRequest, "invalid_request", "Non-unique jti claim in JWT")
		return
	}
	access := fhir.NewUUID()[len("urn:uuid:"):]
	s.mu.Lock()
	s.tokens[access] = s.clock().Add(599 * time.Second)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"access_token": access, "expires_in": "599", "token_type": "Bearer",
		"issued_at": strconv.FormatInt(s.clock().UnixMilli(), 10),
	})
}

// RevokeTokens makes every access token the fake issued invalid, as the
// platform does when it revokes them early: the next request with one is
// 401 ACCESS_DENIED.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

func (s *Server) authorised(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.clock().Before(exp)
}

// lookup resolves an NHS number: superseded numbers give the current
// record.
func (s *Server) lookup(w responseWriter, id string) (*record, bool) {
	if !nhsid.NHSNumber(id).Valid() {
		w.error(http.StatusBadRequest, "value", "INVALID_RESOURCE_ID", "Invalid resource ID")
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < 5; i++ {
		next, ok := s.superseded[id]
		if !ok {
			break
		}
		id = next
	}
	if s.invalid[id] {
		w.error(http.StatusNotFound, "not-found", "INVALIDATED_RESOURCE", "Resource that has been marked as invalid was requested - invalidated resource: "+id)
		return nil, false
	}
	r, ok := s.patients[id]
	if !ok {
		w.error(http.StatusNotFound, "not-found", "RESOURCE_NOT_FOUND", "")
		return nil, false
	}
	return r, true
}

// view is what PDS returns of a record: a restricted patient's location
// data (address, telecom, GP, pharmacy) is removed.
func view(r *record) map[string]any {
	doc := deepCopy(r.doc).(map[string]any)
	if restricted(doc) {
		for _, k := range []string{"address", "telecom", "generalPractitioner", "contact"} {
			delete(doc, k)
		}
		var exts []any
		if es, ok := doc["extension"].([]any); ok {
			for _, e := range es {
				if m, ok := e.(map[string]any); ok {
					if u, _ := m["url"].(string); strings.Contains(u, "NominatedPharmacy") || strings.Contains(u, "PreferredDispenserOrganization") || strings.Contains(u, "MedicalApplianceSupplier") {
						continue
					}
				}
				exts = append(exts, e)
			}
			if len(exts) == 0 {
				delete(doc, "extension")
			} else {
				doc["extension"] = exts
			}
		}
	}
	return doc
}

func restricted(doc map[string]any) bool {
	meta, _ := doc["meta"].(map[string]any)
	sec, _ := meta["security"].([]any)
	for _, x := range sec {
		if m, ok := x.(map[string]any); ok && m["code"] == "R" {
			return true
		}
	}
	return false
}

func (s *Server) get(w responseWriter, id string) {
	rec, ok := s.lookup(w, id)
	if !ok {
		return
	}
	s.mu.Lock()
	body, _ := json.Marshal(view(rec))
	version := rec.version
	s.mu.Unlock()
	w.Header().Set("ETag", `W/"`+strconv.Itoa(version)+`"`)
	w.send(http.StatusOK, body)
}

var ifMatchPattern = regexp.MustCompile(`^W/"([0-9]+)"$`)

func (s *Server) patch(w responseWriter, r *http.Request, id string, f Fault, dropAfter bool) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json-patch+json") {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - '"+ct+"' in header 'Content-Type'")
		return
	}
	im := r.Header.Get("If-Match")
	if im == "" {
		w.error(http.StatusPreconditionFailed, "structure", "PRECONDITION_FAILED", "Invalid request with error - If-Match header must be supplied to update this resource")
		return
	}
	m := ifMatchPattern.FindStringSubmatch(im)
	if m == nil {
		w.error(http.StatusPreconditionFailed, "structure", "PRECONDITION_FAILED", "Invalid request with error - If-Match header must be of the form W/\"<version>\"")
		return
	}
	var body struct {
		Patches []patchOp `json:"patches"`
	}
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || len(body.Patches) == 0 {
		w.error(http.StatusBadRequest, "structure", "INVALID_UPDATE", "Invalid update with error - the body must be {\"patches\": [...]}")
		return
	}
	if !nhsid.NHSNumber(id).Valid() {
		w.error(http.StatusBadRequest, "value", "INVALID_RESOURCE_ID", "Invalid resource ID")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.invalid[id] {
		w.error(http.StatusNotFound, "not-found", "INVALIDATED_RESOURCE", "")
		return
	}
	if _, sup := s.superseded[id]; sup {
		w.error(http.StatusBadRequest, "structure", "INVALID_UPDATE", "Invalid update with error - the NHS number has been superseded")
		return
	}
	rec, ok := s.patients[id]
	if !ok {
		w.error(http.StatusNotFound, "not-found", "RESOURCE_NOT_FOUND", "")
		return
	}
	if want, _ := strconv.Atoi(m[1]); want != rec.version {
		w.error(http.StatusConflict, "conflict", "RESOURCE_VERSION_MISMATCH", "Invalid update with error - This resource has changed since you last read. Please re-read and try again with the new version number.")
		return
	}
	for _, op := range body.Patches {
		for _, p := range []string{op.Path, op.From} {
			if p == "/id" || p == "/resourceType" || strings.HasPrefix(p, "/meta") || strings.HasPrefix(p, "/identifier") {
				w.error(http.StatusBadRequest, "structure", "INVALID_UPDATE", "Invalid update with error - Update unsupported for resource - '"+strings.TrimPrefix(p, "/")+"'")
				return
			}
		}
	}
	if err := listIDs(rec.doc, body.Patches); err != nil {
		w.error(http.StatusBadRequest, "structure", "INVALID_UPDATE", "Invalid update with error - "+err.Error())
		return
	}
	doc := deepCopy(rec.doc).(map[string]any)
	if err := applyPatch(doc, body.Patches); err != nil {
		w.error(http.StatusBadRequest, "structure", "INVALID_UPDATE", "Invalid update with error - "+err.Error())
		return
	}
	// The patch must not make the record invalid: an error the stored
	// record already had (PDS's own examples carry a few that a strict UK
	// Core check reports) is not the patch's fault.
	before := invalidities(rec.doc)
	var err error
	for _, e := range invalidities(doc) {
		if !slices.Contains(before, e) {
			err = errors.New(e)
			break
		}
	}
	if err != nil {
		w.error(http.StatusBadRequest, "value", "INVALID_VALUE", "Invalid value - "+err.Error())
		return
	}
	rec.version++
	doc["meta"].(map[string]any)["versionId"] = strconv.Itoa(rec.version)
	rec.doc = doc
	s.stats.Patches++
	out, _ := json.Marshal(view(rec))
	h := http.Header{"Etag": {`W/"` + strconv.Itoa(rec.version) + `"`}}
	s.remember(r, raw, http.StatusOK, h, out)
	if dropAfter {
		fake.Drop(w)
		return
	}
	w.Header().Set("ETag", h.Get("Etag"))
	w.send(http.StatusOK, out)
}

func (s *Server) relatedPeople(w responseWriter, id string) {
	if _, ok := s.lookup(w, id); !ok {
		return
	}
	s.mu.Lock()
	people := s.related[id]
	s.mu.Unlock()
	var entries []any
	for _, p := range people {
		var doc map[string]any
		_ = json.Unmarshal(p, &doc)
		entries = append(entries, map[string]any{"fullUrl": s.URL + "/Patient/" + id + "/RelatedPerson/" + fmt.Sprint(doc["id"]), "resource": doc})
	}
	b := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	body, _ := json.Marshal(b)
	w.send(http.StatusOK, body)
}

// invalidities lists the errors fhir.Validate finds in a patient document,
// each as "expression: diagnostics"; a document that does not decode is one.
func invalidities(doc map[string]any) []string {
	data, _ := json.Marshal(doc)
	res, err := fhir.Unmarshal(data)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	if oo := fhir.Validate(res); oo != nil {
		for _, is := range oo.Issue {
			if is.Severity.Value == fhir.SeverityError {
				expr := ""
				if len(is.Expression) > 0 {
					expr = is.Expression[0].Value
				}
				out = append(out, expr+": "+is.Diagnostics.Value)
			}
		}
	}
	return out
}
