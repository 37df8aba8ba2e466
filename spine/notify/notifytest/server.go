package notifytest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/notify"
)

// Routing plan ids the fake knows from the start. The first five are the
// sandbox's valid plans; the others trigger the sandbox's error scenarios.
const (
	PlanA = "b838b13c-f98c-4def-93f0-515d4e4f4ee1"
	PlanB = "49e43b98-70cb-47a9-a55e-fe70c9a6f77c"
	PlanC = "b402cd20-b62a-4357-8e02-2952959531c8"
	PlanD = "936e9d45-15de-4a95-bb36-ae163c33ae53"
	PlanE = "9ba00d23-cd6f-4aca-8688-00abc85a7980"

	// PlanInvalidConfig answers 400 (an unusable routing configuration).
	PlanInvalidConfig = "4ead415a-c033-4b39-9b05-326ac237a3be"
	// PlanServerError answers 500 CM_INTERNAL_SERVER_ERROR.
	PlanServerError = "3bb82e6a-9873-4683-b2b9-fdf33c9ba86f"
	// PlanTooEarly answers 425 CM_RETRY_TOO_EARLY.
	PlanTooEarly = "d895ade5-0029-4fc3-9fb5-86e1e5370854"
	// PlanMissingTemplates answers 500 CM_MISSING_ROUTING_PLAN_TEMPLATE.
	PlanMissingTemplates = "c8857ccf-06ec-483f-9b3a-7fc732d9ad48"
	// PlanDuplicateTemplates answers 500 CM_ROUTING_PLAN_DUPLICATE_TEMPLATES.
	PlanDuplicateTemplates = "a3a4e55d-7a21-45a6-9286-8eb595c872a8"
	// PlanMissingNHSAppTemplate answers 500 CM_MISSING_ROUTING_PLAN_TEMPLATE.
	PlanMissingNHSAppTemplate = "aeb16ab8-cb9c-4d23-92e9-87c78119175c"

	// The global free-text plans (NHS App; email; text message; NHS App
	// then email; NHS App then text message).
	PlanFreeTextNHSApp        = "00000000-0000-0000-0000-000000000001"
	PlanFreeTextEmail         = "00000000-0000-0000-0000-000000000002"
	PlanFreeTextSMS           = "00000000-0000-0000-0000-000000000003"
	PlanFreeTextNHSAppEmail   = "00000000-0000-0000-0000-000000000004"
	PlanFreeTextNHSAppEmail4h = "00000000-0000-0000-0000-000000000005"
	PlanFreeTextNHSAppSMS     = "00000000-0000-0000-0000-000000000006"
	PlanFreeTextNHSAppSMS4h   = "00000000-0000-0000-0000-000000000007"
)

// ODS codes with the sandbox's NHS App accounts scenarios.
const (
	// ODSPaged has 80 accounts over 8 pages of 10.
	ODSPaged = "T00001"
	// ODSNotFound answers 404, ODSTooManyRequests 429, ODSBadGateway 502.
	ODSNotFound        = "T00404"
	ODSTooManyRequests = "T00429"
	ODSBadGateway      = "T00502"
)

// Authorization header values that trigger the sandbox's account
// scenarios when the fake checks no tokens (as the open sandbox does).
const (
	AuthBanned            = "banned"
	AuthNoDefaultODS      = "noDefaultOds"
	AuthNoODSChange       = "noOdsChange"
	AuthNoContactOverride = "notAllowedContactDetailOverride"
)

// AccountsPageSize is how many NHS App accounts a page holds.
const AccountsPageSize = 10

// Plan is a routing plan: its channels in the order they are tried.
type Plan struct {
	ID       string
	Name     string
	Version  string
	Channels []notify.ChannelType
	// Status and Code, when set, make every send with the plan fail so.
	Status int
	Code   string
}

type message struct {
	doc      notify.Status
	nhs      nhsid.NHSNumber
	current  int       // index of the channel being tried
	since    time.Time // when the current step started
	outcomes map[notify.ChannelType]notify.ChannelStatus
	// responses are the recipient's keyword answers, oldest first.
	responses []notify.Response
}

type callback struct {
	body []byte
	uri  string
}

// Stats counts what the fake has seen.
type Stats struct {
	Requests, TokenRequests      int
	Messages, Batches            int // accepted
	Duplicates                   int // 422 answers to a repeated reference
	CallbacksSent, CallbacksLost int // delivered (2xx); refused or failed, kept for redelivery
	Faults                       int
}

// Server is a fake NHS Notify API on loopback.
type Server struct {
	// URL is the API base (a client's BaseURL), ending in /comms.
	URL string
	// TokenURL is the token endpoint (with WithAuth).
	TokenURL string

	// Faults injects failures: FailNext, Inject, SetFaultRate, SetLatency.
	fake.Faults

	// EnrichAfter and AttemptFor drive Advance: a message is enriched
	// (its channels created, the first one sending) EnrichAfter after it
	// was created, and each channel attempt ends AttemptFor after it
	// started, delivered or failed as SetOutcome says.
	EnrichAfter time.Duration
	AttemptFor  time.Duration

	srv *httptest.Server

	mu       sync.Mutex
	now      time.Time
	plans    map[string]*Plan
	messages map[string]*message
	byRef    map[string]string // messageReference -> id
	batches  map[string]string // messageBatchReference -> id
	accounts map[string][]notify.NHSAppAccount
	outcomes map[string]map[notify.ChannelType]notify.ChannelStatus
	queue    []callback
	stats    Stats

	cb     *callbackConfig
	rcb    *responseCallbacks
	auth   *authConfig
	tokens map[string]time.Time
	jtis   map[string]bool
}

type callbackConfig struct {
	messageURL, channelURL string
	appID, apiKey          string
	client                 *http.Client
}

type responseCallbacks struct {
	url    string
	client *http.Client
}

type authConfig struct {
	key    *rsa.PublicKey
	kid    string
	apiKey string
}

// Option configures a Server.
type Option func(*Server)

// WithAuth makes the fake require a bearer token and act as the token
// endpoint (at TokenURL): it checks the signed JWT client assertion
// (RS512, kid, iss = sub = apiKey, aud = TokenURL, exp at most 5 minutes
// ahead, jti not reused) against key.
func WithAuth(key *rsa.PublicKey, kid, apiKey string) Option {
	return func(s *Server) { s.auth = &authConfig{key: key, kid: kid, apiKey: apiKey} }
}

// WithCallbacks makes the fake POST signed message status callbacks to
// messageURL and channel status callbacks to channelURL (either may be
// empty) as messages move, with x-api-key apiKey and the signature under
// "appID.apiKey". client nil means http.DefaultClient.
func WithCallbacks(messageURL, channelURL, appID, apiKey string, client *http.Client) Option {
	return func(s *Server) {
		if client == nil {
			client = http.DefaultClient
		}
		s.cb = &callbackConfig{messageURL, channelURL, appID, apiKey, client}
	}
}

// WithResponseCallbacks makes the fake POST recipient response callbacks
// to url when Respond records a response. NHS Notify authenticates them
// with mutual TLS: client must present a certificate the receiver trusts
// (its Transport's TLSClientConfig.Certificates), and no API key or
// signature is sent.
func WithResponseCallbacks(url string, client *http.Client) Option {
	return func(s *Server) {
		if client == nil {
			client = http.DefaultClient
		}
		s.rcb = &responseCallbacks{url: url, client: client}
	}
}

// WithStart sets the fake's clock (default: the real time at start).
func WithStart(t time.Time) Option { return func(s *Server) { s.now = t } }

// NewServer starts a fake NHS Notify on loopback over plain HTTP.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a fake that is not yet listening.
func NewUnstartedServer(opts ...Option) *Server {
	s := &Server{
		EnrichAfter: 30 * time.Second,
		AttemptFor:  5 * time.Minute,
		plans:       map[string]*Plan{},
		messages:    map[string]*message{},
		byRef:       map[string]string{},
		batches:     map[string]string{},
		accounts:    map[string][]notify.NHSAppAccount{},
		outcomes:    map[string]map[notify.ChannelType]notify.ChannelStatus{},
		tokens:      map[string]time.Time{},
		jtis:        map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.now.IsZero() {
		s.now = time.Now().UTC().Truncate(time.Millisecond)
	}
	both := []notify.ChannelType{notify.NHSApp, notify.SMS}
	for i, id := range []string{PlanA, PlanB, PlanC, PlanD, PlanE} {
		s.AddPlan(Plan{ID: id, Name: "sandbox plan " + string(rune('A'+i)), Channels: both})
	}
	for _, p := range []Plan{
		{ID: PlanFreeTextNHSApp, Channels: []notify.ChannelType{notify.NHSApp}},
		{ID: PlanFreeTextEmail, Channels: []notify.ChannelType{notify.Email}},
		{ID: PlanFreeTextSMS, Channels: []notify.ChannelType{notify.SMS}},
		{ID: PlanFreeTextNHSAppEmail, Channels: []notify.ChannelType{notify.NHSApp, notify.Email}},
		{ID: PlanFreeTextNHSAppEmail4h, Channels: []notify.ChannelType{notify.NHSApp, notify.Email}},
		{ID: PlanFreeTextNHSAppSMS, Channels: []notify.ChannelType{notify.NHSApp, notify.SMS}},
		{ID: PlanFreeTextNHSAppSMS4h, Channels: []notify.ChannelType{notify.NHSApp, notify.SMS}},
		{ID: PlanInvalidConfig, Status: 400, Code: string(notify.ErrInvalidValue)},
		{ID: PlanServerError, Status: 500, Code: string(notify.ErrInternalServerError)},
		{ID: PlanTooEarly, Status: 425, Code: string(notify.ErrRetryTooEarly)},
		{ID: PlanMissingTemplates, Status: 500, Code: string(notify.ErrMissingTemplate)},
		{ID: PlanDuplicateTemplates, Status: 500, Code: string(notify.ErrDuplicateTemplates)},
		{ID: PlanMissingNHSAppTemplate, Status: 500, Code: string(notify.ErrMissingTemplate)},
	} {
		p.Name = "global plan"
		s.AddPlan(p)
	}
	s.accounts[ODSPaged] = syntheticAccounts(80, 0)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	return s
}

// syntheticAccounts returns n accounts with valid NHS numbers of the 999
// test range, from the skip-th on; the first has notifications on.
func syntheticAccounts(n, skip int) []notify.NHSAppAccount {
	var out []notify.NHSAppAccount
	for i := 9990000000; len(out) < n; i++ {
		nhs := nhsid.NHSNumber(strconv.Itoa(i))
		if !nhs.Valid() {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, notify.NHSAppAccount{NHSNumber: nhs, NotificationsEnabled: len(out) == 0})
	}
	return out
}

// Start starts the fake over plain HTTP and sets URL.
func (s *Server) Start() { s.srv.Start(); s.started() }

// StartTLS starts the fake over HTTPS; Client trusts it.
func (s *Server) StartTLS() { s.srv.StartTLS(); s.started() }

func (s *Server) started() {
	s.URL = s.srv.URL + notify.BasePath
	s.TokenURL = s.srv.URL + "/oauth2/token"
}

// Close shuts the fake down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client that trusts the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// TLSConfig is the fake's TLS configuration (nil without TLS).
func (s *Server) TLSConfig() *tls.Config { return s.srv.TLS }

// AddPlan adds or replaces a routing plan.
func (s *Server) AddPlan(p Plan) {
	if p.Version == "" {
		p.Version = "1"
	}
	s.mu.Lock()
	s.plans[p.ID] = &p
	s.mu.Unlock()
}

// SetNHSAppAccounts sets a practice's NHS App accounts (served in pages of
// AccountsPageSize). A valid ODS code without accounts set gets two.
func (s *Server) SetNHSAppAccounts(ods string, accounts ...notify.NHSAppAccount) {
	s.mu.Lock()
	s.accounts[strings.ToUpper(ods)] = append([]notify.NHSAppAccount(nil), accounts...)
	s.mu.Unlock()
}

// SetOutcome makes every attempt on channel for the NHS number end with
// status (ChannelDelivered, the default, or ChannelFailed) when Advance
// resolves it.
func (s *Server) SetOutcome(nhs nhsid.NHSNumber, channel notify.ChannelType, status notify.ChannelStatus) {
	s.mu.Lock()
	if s.outcomes[string(nhs)] == nil {
		s.outcomes[string(nhs)] = map[notify.ChannelType]notify.ChannelStatus{}
	}
	s.outcomes[string(nhs)][channel] = status
	s.mu.Unlock()
}

// Now is the fake's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Faults = s.Faults.Injected()
	return st
}

// Message returns a stored message's status.
func (s *Server) Message(id string) (notify.Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok {
		return notify.Status{}, false
	}
	return copyStatus(m.doc), true
}

// MessageByReference returns the message sent with a reference.
func (s *Server) MessageByReference(ref string) (notify.Status, bool) {
	s.mu.Lock()
	id, ok := s.byRef[ref]
	s.mu.Unlock()
	if !ok {
		return notify.Status{}, false
	}
	return s.Message(id)
}

// Messages returns every stored message, oldest first.
func (s *Server) Messages() []notify.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]notify.Status, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, copyStatus(m.doc))
	}
	sortStatuses(out)
	return out
}

func copyStatus(st notify.Status) notify.Status {
	st.Channels = append([]notify.Channel(nil), st.Channels...)
	st.Metadata = append([]notify.Lookup(nil), st.Metadata...)
	return st
}

// ksuid returns a new KSUID: 4 bytes of seconds since 2014-05-13 16:53:20
// UTC and 16 random bytes, base62 in 27 characters.
func ksuid(now time.Time) string {
	var b [20]byte
	ts := uint32(now.Unix() - 1400000000)
	b[0], b[1], b[2], b[3] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
	_, _ = rand.Read(b[4:])
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b[:])
	out := make([]byte, 27)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := 26; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return string(out)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- HTTP ----

type apiError struct {
	status    int
	code      string
	title     string
	detail    string
	pointer   string
	header    string
	parameter string
}

func writeErrors(w http.ResponseWriter, errs ...apiError) {
	items := make([]map[string]any, len(errs))
	for i, e := range errs {
		it := map[string]any{
			"id":     "rrt-" + randomHex(8),
			"code":   e.code,
			"links":  map[string]string{"about": "https://digital.nhs.uk/developer/api-catalogue/nhs-notify"},
			"status": strconv.Itoa(e.status),
			"title":  e.title,
			"detail": e.detail,
		}
		switch {
		case e.pointer != "":
			it["source"] = map[string]string{"pointer": e.pointer}
		case e.header != "":
			it["source"] = map[string]string{"header": e.header}
		case e.parameter != "":
			it["source"] = map[string]string{"parameter": e.parameter}
		}
		items[i] = it
	}
	writeJSON(w, errs[0].status, map[string]any{"errors": items})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/vnd.api+json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// statusError is the body the fake answers for an injected status.
func statusError(status int) apiError {
	switch status {
	case http.StatusTooManyRequests:
		return apiError{status, string(notify.ErrQuota), "Too many requests", "You have made too many requests. Re-send the request after the time (in seconds) specified `Retry-After` header.", "", "", ""}
	case http.StatusServiceUnavailable:
		return apiError{status, string(notify.ErrServiceUnavailable), "The service is currently unavailable", "The service is currently not able to process this request, try again later.", "", "", ""}
	case http.StatusBadGateway:
		return apiError{status, string(notify.ErrBadGateway), "Unable to call service", "A downstream service is not responding.", "", "", ""}
	case http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return apiError{status, string(notify.ErrTimeout), "Unable to call service", "The downstream service has not responded within the configured timeout period.", "", "", ""}
	case http.StatusUnauthorized:
		return apiError{status, string(notify.ErrDenied), "Access denied", "Access token missing, invalid or expired, or calling application not configured for this operation.", "", "Authorization", ""}
	case http.StatusForbidden:
		return apiError{status, string(notify.ErrForbidden), "Forbidden", "Client not recognised or not yet onboarded.", "", "", ""}
	case http.StatusNotFound:
		return apiError{status, string(notify.ErrNotFound), "Resource not found", "The resource at the requested URI was not found.", "", "", ""}
	default:
		return apiError{status, string(notify.ErrInternalServerError), "Error processing request", "There was an internal error whilst processing this request.", "", "", ""}
	}
}

var ksuidPattern = regexp.MustCompile(`^[0-9A-Za-z]{27}$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	if r.URL.Path == "/oauth2/token" && s.auth != nil {
		s.token(w, r)
		return
	}
	for _, h := range []string{"X-Request-ID", "X-Correlation-ID"} {
		if v := r.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	f, done := s.Faults.Serve(w, r, func(w http.ResponseWriter, status int) { writeErrors(w, statusError(status)) })
	if done {
		return
	}
	if f.DropAfter {
		// Serve the request, then close the connection instead of
		// answering: the client never learns that it succeeded.
		s.route(httptest.NewRecorder(), r)
		fake.Drop(w)
		return
	}
	s.route(w, r)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	if s.auth == nil && preferred(w, r) {
		return
	}
	if !negotiate(w, r) {
		return
	}
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, notify.BasePath), "/")
	switch {
	case path == "/v1/messages":
		if allow(w, r, http.MethodPost) {
			s.createMessage(w, r)
		}
	case path == "/v1/message-batches":
		if allow(w, r, http.MethodPost) {
			s.createBatch(w, r)
		}
	case strings.HasPrefix(path, "/v1/messages/") && strings.HasSuffix(path, "/responses") && strings.Count(path, "/") == 4:
		if allow(w, r, http.MethodGet) {
			s.responses(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/v1/messages/"), "/responses"))
		}
	case strings.HasPrefix(path, "/v1/messages/") && strings.Count(path, "/") == 3:
		if allow(w, r, http.MethodGet) {
			s.getMessage(w, strings.TrimPrefix(path, "/v1/messages/"))
		}
	case path == "/channels/nhsapp/accounts":
		if allow(w, r, http.MethodGet) {
			s.nhsAppAccounts(w, r)
		}
	default:
		writeErrors(w, statusError(http.StatusNotFound))
	}
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeErrors(w, apiError{http.StatusMethodNotAllowed, string(notify.ErrNotAllowed), "Method not allowed", "The method at the requested URI was not allowed.", "", "", ""})
	return false
}

// negotiate checks Accept and, on a POST, Content-Type as the API does:
// both media types, charset utf-8 or none.
func negotiate(w http.ResponseWriter, r *http.Request) bool {
	ok := func(v string, wild bool) (typeOK, charsetOK bool) {
		mt, params, err := mime.ParseMediaType(v)
		if err != nil {
			return false, true
		}
		typeOK = mt == "application/json" || mt == "application/vnd.api+json" || (wild && mt == "*/*")
		cs, has := params["charset"]
		return typeOK, !has || strings.EqualFold(cs, "utf-8")
	}
	if a := r.Header.Get("Accept"); a != "" {
		good := false
		for _, part := range strings.Split(a, ",") {
			t, cs := ok(strings.TrimSpace(part), true)
			if t && !cs {
				writeErrors(w, apiError{http.StatusUnsupportedMediaType, string(notify.ErrUnsupportedMedia), "Unsupported media", "Invalid content-type, this API only supports application/vnd.api+json or application/json.", "", "Accept", ""})
				return false
			}
			good = good || t
		}
		if !good {
			writeErrors(w, apiError{http.StatusNotAcceptable, string(notify.ErrNotAcceptable), "Not acceptable", "This service can only generate application/vnd.api+json or application/json.", "", "Accept", ""})
			return false
		}
		if strings.Contains(a, "application/json") && !strings.Contains(a, "vnd.api+json") {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	if r.Method == http.MethodPost {
		t, cs := ok(r.Header.Get("Content-Type"), false)
		if !t {
			writeErrors(w, apiError{http.StatusUnsupportedMediaType, string(notify.ErrUnsupportedMedia), "Unsupported media", "Invalid content-type, this API only supports application/vnd.api+json or application/json.", "", "Content-Type", ""})
			return false
		}
		if !cs {
			writeErrors(w, apiError{http.StatusNotAcceptable, string(notify.ErrNotAcceptable), "Not acceptable", "This service can only generate application/vnd.api+json or application/json.", "", "Content-Type", ""})
			return false
		}
	}
	return true
}

// ---- authentication ----

func (s *Server) authorised(w http.ResponseWriter, r *http.Request) bool {
	a := r.Header.Get("Authorization")
	if s.auth == nil {
		if a == AuthBanned {
			writeErrors(w, apiError{http.StatusForbidden, string(notify.ErrServiceBan), "Service ban in effect", "Request rejected because client service ban is in effect.", "", "", ""})
			return false
		}
		return true
	}
	tok, found := strings.CutPrefix(a, "Bearer ")
	s.mu.Lock()
	exp, known := s.tokens[tok]
	now := time.Now()
	s.mu.Unlock()
	if !found || !known || now.After(exp) {
		writeErrors(w, statusError(http.StatusUnauthorized))
		return false
	}
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.TokenRequests++
	s.mu.Unlock()
	oauthError := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(http.StatusMethodNotAllowed, "invalid_request", "method not allowed")
		return
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
	var claims jwt.MapClaims
	_, err := jwt.ParseWithClaims(r.PostForm.Get("client_assertion"), &claims, func(t *jwt.Token) (any, error) {
		if t.Header["kid"] != s.auth.kid {
			return nil, fmt.Errorf("unknown kid")
		}
		return s.auth.key, nil
	}, jwt.WithValidMethods([]string{"RS512"}), jwt.WithAudience(s.TokenURL), jwt.WithExpirationRequired())
	if err != nil {
		oauthError(http.StatusUnauthorized, "invalid_request", "Invalid JWT: signature, kid, audience or expiry")
		return
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	jti, _ := claims["jti"].(string)
	exp, _ := claims.GetExpirationTime()
	switch {
	case iss != s.auth.apiKey || sub != s.auth.apiKey:
		oauthError(http.StatusUnauthorized, "invalid_request", "Invalid iss/sub claims in JWT")
		return
	case jti == "":
		oauthError(http.StatusBadRequest, "invalid_request", "Missing jti claim in JWT")
		return
	case exp.After(time.Now().Add(5*time.Minute + 5*time.Second)):
		oauthError(http.StatusBadRequest, "invalid_request", "Invalid exp claim in JWT - more than 5 minutes in future")
		return
	}
	s.mu.Lock()
	if s.jtis[jti] {
		s.mu.Unlock()
		oauthError(http.StatusBadRequest, "invalid_request", "Non-unique jti claim in JWT")
		return
	}
	s.jtis[jti] = true
	tok := randomHex(16)
	s.tokens[tok] = time.Now().Add(599 * time.Second)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "expires_in": "599", "token_type": "Bearer", "issued_at": strconv.FormatInt(time.Now().UnixMilli(), 10)})
}

// ---- reading requests ----

// maxBody is the API's payload limit (5.2 MB).
const maxBody = 5_200_000

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeErrors(w, statusError(http.StatusBadRequest))
		return nil, false
	}
	if len(b) > maxBody {
		writeErrors(w, apiError{http.StatusRequestEntityTooLarge, string(notify.ErrTooLarge), "Request too large", "Request message was larger than the service limit", "", "", ""})
		return nil, false
	}
	return b, true
}

func invalid(code, title, detail, pointer string) apiError {
	return apiError{http.StatusBadRequest, code, title, detail, pointer, "", ""}
}

func missing(pointer string) apiError {
	return invalid(string(notify.ErrMissingValue), "Missing property", "The property at the specified location is required, but was not present in the request.", pointer)
}

func badValue(pointer string) apiError {
	return invalid(string(notify.ErrInvalidValue), "Invalid value", "The property at the specified location does not allow this value.", pointer)
}

type rawMessage struct {
	MessageReference *string         `json:"messageReference"`
	BillingReference json.RawMessage `json:"billingReference"`
	Recipient        *struct {
		NHSNumber      *string         `json:"nhsNumber"`
		ContactDetails json.RawMessage `json:"contactDetails"`
	} `json:"recipient"`
	Originator *struct {
		ODSCode *string `json:"odsCode"`
	} `json:"originator"`
	Personalisation json.RawMessage `json:"personalisation"`
}

// checkMessage validates one message at pointer p and returns its errors.
func checkMessage(m *rawMessage, p, auth string) []apiError {
	var errs []apiError
	switch {
	case m.MessageReference == nil:
		errs = append(errs, missing(p+"/messageReference"))
	case *m.MessageReference == "":
		errs = append(errs, badValue(p+"/messageReference"))
	}
	switch {
	case m.Recipient == nil:
		errs = append(errs, missing(p+"/recipient"))
	case m.Recipient.NHSNumber == nil && m.Recipient.ContactDetails == nil:
		errs = append(errs, missing(p+"/recipient/nhsNumber"))
	case m.Recipient.NHSNumber != nil && !nhsid.NHSNumber(*m.Recipient.NHSNumber).Valid():
		errs = append(errs, invalid(string(notify.ErrInvalidNHSNumber), "Invalid nhs number", "The value provided in this nhsNumber field is not a valid NHS number.", p+"/recipient/nhsNumber"))
	}
	if m.Recipient != nil && len(m.Recipient.ContactDetails) > 0 && string(m.Recipient.ContactDetails) != "null" {
		if auth == AuthNoContactOverride {
			errs = append(errs, invalid(string(notify.ErrCannotSetContact), "Cannot set contact details", "Client is not allowed to provide alternative contact details.", p+"/recipient/contactDetails"))
		} else {
			errs = append(errs, checkContact(m.Recipient.ContactDetails, p+"/recipient/contactDetails")...)
		}
	}
	hasODS := m.Originator != nil && m.Originator.ODSCode != nil && *m.Originator.ODSCode != ""
	switch {
	case !hasODS && auth == AuthNoDefaultODS:
		errs = append(errs, invalid(string(notify.ErrODSCodeRequired), "Originator odsCode must be provided", "An originator with odsCode must be provided, as your account does not have a default ODS code.", p+"/originator/odsCode"))
	case hasODS && auth == AuthNoODSChange:
		errs = append(errs, invalid(string(notify.ErrCannotSetODSCode), "Cannot set ODS code", "Your account is not permitted to set originator ODS codes.", p+"/originator/odsCode"))
	}
	if len(m.Personalisation) > 0 && m.Personalisation[0] != '{' {
		errs = append(errs, badValue(p+"/personalisation"))
	}
	return errs
}

type envelope struct {
	Data *struct {
		Type       *string         `json:"type"`
		Attributes json.RawMessage `json:"attributes"`
	} `json:"data"`
}

// decodeEnvelope reads {"data": {"type": wantType, "attributes": {...}}}.
func decodeEnvelope(w http.ResponseWriter, body []byte, wantType string, attrs any) bool {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		writeErrors(w, badValue("/"))
		return false
	}
	switch {
	case env.Data == nil:
		writeErrors(w, missing("/data"))
		return false
	case env.Data.Type == nil:
		writeErrors(w, missing("/data/type"))
		return false
	case *env.Data.Type != wantType:
		writeErrors(w, badValue("/data/type"))
		return false
	case len(env.Data.Attributes) == 0 || string(env.Data.Attributes) == "null":
		writeErrors(w, missing("/data/attributes"))
		return false
	}
	if err := json.Unmarshal(env.Data.Attributes, attrs); err != nil {
		writeErrors(w, badValue("/data/attributes"))
		return false
	}
	return true
}

// plan returns the routing plan or writes its error.
func (s *Server) plan(w http.ResponseWriter, id *string) (*Plan, bool) {
	if id == nil {
		writeErrors(w, missing("/data/attributes/routingPlanId"))
		return nil, false
	}
	s.mu.Lock()
	p := s.plans[*id]
	s.mu.Unlock()
	if p == nil {
		writeErrors(w, apiError{http.StatusNotFound, string(notify.ErrNoSuchRoutingPlan), "No such routing plan", "The routing plan specified either does not exist or is not in a usable state.", "/data/attributes/routingPlan", "", ""})
		return nil, false
	}
	if p.Status != 0 {
		e := apiError{p.Status, p.Code, "Routing plan unusable", "The routing plan specified cannot be used.", "/data/attributes/routingPlanId", "", ""}
		switch p.Status {
		case http.StatusTooEarly:
			w.Header().Set("Retry-After", "300")
			e.title, e.pointer = "Retried too early", ""
			e.detail = "You have retried this request too early, the previous request is still being processed. Re-send the request after the time (in seconds) specified `Retry-After` header."
		case http.StatusInternalServerError:
			e.title, e.pointer = "Templates missing", ""
			e.detail = "The templates required to use the routing plan were not found."
		}
		writeErrors(w, e)
		return nil, false
	}
	return p, true
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var a struct {
		RoutingPlanID *string `json:"routingPlanId"`
		rawMessage
	}
	if !decodeEnvelope(w, body, "Message", &a) {
		return
	}
	if errs := checkMessage(&a.rawMessage, "/data/attributes", r.Header.Get("Authorization")); len(errs) > 0 {
		writeErrors(w, errs...)
		return
	}
	p, ok := s.plan(w, a.RoutingPlanID)
	if !ok {
		return
	}
	s.mu.Lock()
	if _, dup := s.byRef[*a.MessageReference]; dup {
		s.stats.Duplicates++
		s.mu.Unlock()
		writeErrors(w, apiError{http.StatusUnprocessableEntity, string(notify.ErrDuplicateRequest), "Duplicate message request", "Request exists with identical messageReference", "/data/attributes/messageReference", "", ""})
		return
	}
	m := s.store(p, &a.rawMessage, "")
	s.stats.Messages++
	doc := m.doc
	s.mu.Unlock()
	w.Header().Set("Location", s.URL+"/v1/messages/"+doc.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
		"type": "Message", "id": doc.ID,
		"attributes": map[string]any{
			"messageReference": doc.Reference, "messageStatus": "created",
			"timestamps":  map[string]string{"created": stamp(doc.Timestamps.Created)},
			"routingPlan": planJSON(doc.RoutingPlan),
		},
		"links": map[string]string{"self": s.URL + "/v1/messages/" + doc.ID},
	}})
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func planJSON(p notify.RoutingPlan) map[string]string {
	return map[string]string{"id": p.ID, "name": p.Name, "version": p.Version, "createdDate": stamp(p.CreatedDate)}
}

// store records a new message; s.mu must be held.
func (s *Server) store(p *Plan, m *rawMessage, batchID string) *message {
	id := ksuid(s.now)
	nhs := ""
	if m.Recipient.NHSNumber != nil {
		nhs = *m.Recipient.NHSNumber
	}
	msg := &message{
		doc: notify.Status{
			ID: id, Reference: *m.MessageReference, Status: notify.StatusCreated,
			Timestamps:  notify.Timestamps{Created: s.now},
			RoutingPlan: notify.RoutingPlan{ID: p.ID, Name: p.Name, Version: p.Version, CreatedDate: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)},
			BatchID:     batchID,
			Self:        s.URL + "/v1/messages/" + id,
		},
		nhs:      nhsid.NHSNumber(nhs),
		since:    s.now,
		outcomes: s.outcomes[nhs],
	}
	for i, c := range p.Channels {
		msg.doc.Channels = append(msg.doc.Channels, notify.Channel{Type: c, CascadeType: "primary", CascadeOrder: i + 1,
			RoutingPlan: notify.RoutingPlan{ID: p.ID, Version: p.Version, Type: "original"}})
	}
	s.messages[id] = msg
	s.byRef[msg.doc.Reference] = id
	return msg
}

func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var a struct {
		RoutingPlanID         *string       `json:"routingPlanId"`
		MessageBatchReference *string       `json:"messageBatchReference"`
		Messages              *[]rawMessage `json:"messages"`
	}
	if !decodeEnvelope(w, body, "MessageBatch", &a) {
		return
	}
	var errs []apiError
	if a.MessageBatchReference == nil || *a.MessageBatchReference == "" {
		errs = append(errs, missing("/data/attributes/messageBatchReference"))
	}
	switch {
	case a.Messages == nil:
		errs = append(errs, missing("/data/attributes/messages"))
	case len(*a.Messages) == 0:
		errs = append(errs, invalid(string(notify.ErrTooFewItems), "Too few items", "The property at the specified location contains too few items.", "/data/attributes/messages"))
	case len(*a.Messages) > notify.MaxBatchMessages:
		writeErrors(w, apiError{http.StatusRequestEntityTooLarge, string(notify.ErrTooManyItems), "Too many items", "Request contains more than the maximum of messages.", "/data/attributes/messages", "", ""})
		return
	}
	if a.Messages != nil {
		seen := map[string]bool{}
		auth := r.Header.Get("Authorization")
		for i := range *a.Messages {
			m := &(*a.Messages)[i]
			p := "/data/attributes/messages/" + strconv.Itoa(i)
			errs = append(errs, checkMessage(m, p, auth)...)
			if m.MessageReference != nil && *m.MessageReference != "" {
				if seen[*m.MessageReference] {
					errs = append(errs, invalid(string(notify.ErrDuplicateValue), "Duplicate value", "The property at the specified location is a duplicate, duplicated values are not allowed.", p+"/messageReference"))
				}
				seen[*m.MessageReference] = true
			}
		}
	}
	if len(errs) > 0 {
		if len(errs) > 100 {
			errs = errs[:100]
		}
		writeErrors(w, errs...)
		return
	}
	p, ok := s.plan(w, a.RoutingPlanID)
	if !ok {
		return
	}
	s.mu.Lock()
	if _, dup := s.batches[*a.MessageBatchReference]; dup {
		s.stats.Duplicates++
		s.mu.Unlock()
		writeErrors(w, apiError{http.StatusUnprocessableEntity, string(notify.ErrDuplicateRequest), "Duplicate batch request", "Request exists with identical messageBatchReference", "/data/attributes/messageBatchReference", "", ""})
		return
	}
	batchID := ksuid(s.now)
	s.batches[*a.MessageBatchReference] = batchID
	items := make([]map[string]string, 0, len(*a.Messages))
	for i := range *a.Messages {
		m := &(*a.Messages)[i]
		id := s.byRef[*m.MessageReference]
		if id == "" { // a reference already used alone is not sent twice
			id = s.store(p, m, batchID).doc.ID
			s.stats.Messages++
		}
		items = append(items, map[string]string{"messageReference": *m.MessageReference, "id": id})
	}
	s.stats.Batches++
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
		"type": "MessageBatch", "id": batchID,
		"attributes": map[string]any{
			"messageBatchReference": *a.MessageBatchReference,
			"routingPlan":           planJSON(notify.RoutingPlan{ID: p.ID, Name: p.Name, Version: p.Version, CreatedDate: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)}),
			"messages":              items,
		},
	}})
}

func (s *Server) getMessage(w http.ResponseWriter, id string) {
	s.mu.Lock()
	m, ok := s.messages[id]
	var doc notify.Status
	if ok {
		doc = copyStatus(m.doc)
	}
	s.mu.Unlock()
	if !ok || !ksuidPattern.MatchString(id) {
		writeErrors(w, apiError{http.StatusNotFound, string(notify.ErrNotFound), "Resource not found", "The resource at the requested URI was not found.", "", "", ""})
		return
	}
	writeJSON(w, http.StatusOK, messageJSON(doc))
}

func messageJSON(d notify.Status) map[string]any {
	attrs := map[string]any{
		"messageReference": d.Reference,
		"messageStatus":    d.Status,
		"routingPlan":      planJSON(d.RoutingPlan),
	}
	ts := map[string]string{"created": stamp(d.Timestamps.Created)}
	put := func(k string, t time.Time) {
		if !t.IsZero() {
			ts[k] = stamp(t)
		}
	}
	put("enriched", d.Timestamps.Enriched)
	put("delivered", d.Timestamps.Delivered)
	put("failed", d.Timestamps.Failed)
	attrs["timestamps"] = ts
	if d.StatusDescription != "" {
		attrs["messageStatusDescription"] = d.StatusDescription
	}
	if d.FailureReasonCode != "" {
		attrs["messageFailureReasonCode"] = d.FailureReasonCode
	}
	if !d.Timestamps.Enriched.IsZero() {
		var chans []map[string]any
		for _, c := range d.Channels {
			cts := map[string]string{"created": stamp(c.Timestamps.Created)}
			if !c.Timestamps.Delivered.IsZero() {
				cts["delivered"] = stamp(c.Timestamps.Delivered)
			}
			if !c.Timestamps.Failed.IsZero() {
				cts["failed"] = stamp(c.Timestamps.Failed)
			}
			ch := map[string]any{"type": c.Type, "retryCount": c.RetryCount, "cascadeType": c.CascadeType,
				"cascadeOrder": c.CascadeOrder, "channelStatus": c.Status, "timestamps": cts,
				"routingPlan": map[string]string{"id": c.RoutingPlan.ID, "version": c.RoutingPlan.Version, "type": c.RoutingPlan.Type}}
			if c.SupplierStatus != "" {
				ch["supplierStatus"] = c.SupplierStatus
			}
			if c.StatusDescription != "" {
				ch["channelStatusDescription"] = c.StatusDescription
			}
			chans = append(chans, ch)
		}
		attrs["channels"] = chans
		attrs["metadata"] = []map[string]any{{"queriedAt": stamp(d.Timestamps.Enriched), "version": "1", "source": "pds", "labels": channelNames(d.Channels)}}
	}
	data := map[string]any{"type": "Message", "id": d.ID, "attributes": attrs, "links": map[string]string{"self": d.Self}}
	if d.BatchID != "" {
		data["relationships"] = map[string]any{"messageBatch": map[string]any{"data": map[string]string{"type": "MessageBatch", "id": d.BatchID}}}
	}
	return map[string]any{"data": data}
}

func channelNames(cs []notify.Channel) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c.Type)
	}
	return out
}

var odsPattern = regexp.MustCompile(`^[A-Za-z]\d{5}$|^[A-Za-z]\d[A-Za-z]\d[A-Za-z]$`)

func (s *Server) nhsAppAccounts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw := q.Get("ods-organisation-code")
	bad := func(detail string) {
		writeErrors(w, apiError{http.StatusBadRequest, string(notify.ErrInvalidRequest), "Invalid Request", detail, "", "", ""})
	}
	if raw == "" {
		bad("Missing ODS Code")
		return
	}
	ods := strings.ToUpper(raw)
	switch ods {
	case ODSBadGateway:
		writeErrors(w, statusError(http.StatusBadGateway))
		return
	case ODSNotFound:
		writeErrors(w, apiError{http.StatusNotFound, string(notify.ErrNotFound), "Resource not found", "Report not found", "", "", ""})
		return
	case ODSTooManyRequests:
		writeErrors(w, apiError{http.StatusTooManyRequests, string(notify.ErrQuota), "Too many requests", "This endpoint is currently receiving a high volume of requests and is being rate limited.", "", "", ""})
		return
	}
	if !odsPattern.MatchString(ods) && ods != "X26" {
		bad("Invalid ODS Code")
		return
	}
	page := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			bad("page must be a positive non-zero integer")
			return
		}
		page = n
	}
	s.mu.Lock()
	all, ok := s.accounts[ods]
	s.mu.Unlock()
	if !ok {
		all = syntheticAccounts(2, 80)
	}
	last := max(1, (len(all)+AccountsPageSize-1)/AccountsPageSize)
	if page > last {
		writeErrors(w, apiError{http.StatusNotFound, string(notify.ErrNotFound), "Resource not found", "Report not found", "", "", ""})
		return
	}
	from := (page - 1) * AccountsPageSize
	to := min(len(all), from+AccountsPageSize)
	link := func(n int) string {
		return s.URL + "/channels/nhsapp/accounts?ods-organisation-code=" + ods + "&page=" + strconv.Itoa(n)
	}
	links := map[string]string{"last": link(last), "self": link(page)}
	if page < last {
		links["next"] = link(page + 1)
	}
	accounts := all[from:to]
	if accounts == nil {
		accounts = []notify.NHSAppAccount{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data":  map[string]any{"id": ods, "type": "NhsAppAccounts", "attributes": map[string]any{"accounts": accounts}},
		"links": links,
	})
}

// bodyReader is a fresh reader for each callback attempt.
func bodyReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Fault is an injected failure: a Status (answered with NHS Notify's error
// body for it), a Retry-After, a Delay, a dropped connection, or
// DropAfter, which actions a request (a message is created) and then drops
// the connection so that the client never hears it succeeded.
type Fault = fake.Fault

// preferred answers the error a "Prefer: code=…" header asks for, as the
// sandbox environment does (401, 403, 404, 408, 422_message, 422_batch,
// 425, 429, 500, 502, 503, 504), and reports whether it did.
func preferred(w http.ResponseWriter, r *http.Request) bool {
	v, ok := strings.CutPrefix(strings.TrimSpace(r.Header.Get("Prefer")), "code=")
	if !ok {
		return false
	}
	switch v {
	case "422_message":
		writeErrors(w, apiError{http.StatusUnprocessableEntity, string(notify.ErrDuplicateRequest), "Duplicate message request", "Request exists with identical messageReference", "/data/attributes/messageReference", "", ""})
	case "422_batch":
		writeErrors(w, apiError{http.StatusUnprocessableEntity, string(notify.ErrDuplicateRequest), "Duplicate batch request", "Request exists with identical messageBatchReference", "/data/attributes/messageBatchReference", "", ""})
	case "425":
		w.Header().Set("Retry-After", "300")
		writeErrors(w, apiError{http.StatusTooEarly, string(notify.ErrRetryTooEarly), "Retried too early", "You have retried this request too early, the previous request is still being processed. Re-send the request after the time (in seconds) specified `Retry-After` header.", "", "", ""})
	case "429", "503":
		w.Header().Set("Retry-After", "5")
		n, _ := strconv.Atoi(v)
		writeErrors(w, statusError(n))
	case "400":
		writeErrors(w, apiError{status: http.StatusBadRequest, code: string(notify.ErrInvalidValue), title: "Invalid value",
			detail: "The message ID provided is not a valid KSUID.", parameter: "messageId"})
	case "401", "403", "404", "408", "500", "502", "504":
		n, _ := strconv.Atoi(v)
		writeErrors(w, statusError(n))
	default:
		return false
	}
	return true
}

// checkContact validates overriding contact details: sms and email
// strings; an address object whose lines are at most 5 strings and whose
// postcode is a string; a name object of strings.
func checkContact(raw json.RawMessage, p string) []apiError {
	var cd map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cd); err != nil {
		return []apiError{badValue(p)}
	}
	isString := func(v json.RawMessage) bool {
		var s string
		return len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil
	}
	isNull := func(v json.RawMessage) bool { return string(v) == "null" || string(v) == `""` || len(v) == 0 }
	var errs []apiError
	for _, k := range []string{"sms", "email"} {
		if v, ok := cd[k]; ok && !isNull(v) && !isString(v) {
			errs = append(errs, badValue(p+"/"+k))
		}
	}
	if v, ok := cd["address"]; ok && !isNull(v) {
		var a map[string]json.RawMessage
		if json.Unmarshal(v, &a) != nil {
			errs = append(errs, badValue(p+"/address"))
		} else {
			var lines []string
			if l, ok := a["lines"]; ok && (json.Unmarshal(l, &lines) != nil || len(lines) > 5) {
				errs = append(errs, badValue(p+"/address"))
			} else if pc, ok := a["postcode"]; ok && !isString(pc) {
				errs = append(errs, badValue(p+"/address"))
			}
		}
	}
	if v, ok := cd["name"]; ok && !isNull(v) {
		var n map[string]json.RawMessage
		if json.Unmarshal(v, &n) != nil {
			errs = append(errs, badValue(p+"/name"))
		} else {
			for _, k := range []string{"prefix", "firstName", "middleNames", "lastName", "suffix"} {
				if f, ok := n[k]; ok && !isString(f) {
					errs = append(errs, badValue(p+"/name"))
					break
				}
			}
		}
	}
	return errs
}
