package erstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/nhsid"
)

// Service is a service the fake offers.
type Service struct {
	ID        string
	Name      string
	Specialty string // e.g. CARDIOLOGY
	// ClinicType is an eRS-ClinicType-1 code.
	ClinicType string
	// DirectlyBookable services have slots (A015) and take bookings (A016).
	DirectlyBookable bool
	// Provider is the ODS code of the organisation that runs it: its
	// users see its APPOINTMENT_SLOT_ISSUES worklist.
	Provider     nhsid.ODSCode
	LocationName string
	// IndicativeWaitDays is the indicative wait shown by A010.
	IndicativeWaitDays int
}

// Slot is a slot of a directly bookable service.
type Slot struct {
	ID         string
	Start, End time.Time
	// Clinician is the named clinician's SDS user id, or "".
	Clinician string
}

// Role is a user's roles at an organisation (A030).
type Role struct {
	UserID            string
	Organisation      nhsid.ODSCode
	BusinessFunctions []string
}

// PAS is how a service's patient administration system answers bookings.
type PAS int

// PAS behaviours.
const (
	PASOK      PAS = iota
	PASError       // 502 PAS_RESPONDED_WITH_ERROR
	PASTimeout     // 504 PAS_NOT_RESPONDING
)

// Option configures a Server.
type Option func(*Server)

// WithAppToken makes the fake require tokens: tok is an application-
// restricted token, which reaches only the endpoints the specification
// opens to unattended access. Combine with WithUserToken.
func WithAppToken(tok string) Option {
	return func(s *Server) { s.tokens[tok] = true }
}

// WithUserToken makes the fake require tokens: tok is a CIS2
// user-restricted token, which reaches every endpoint.
func WithUserToken(tok string) Option {
	return func(s *Server) { s.tokens[tok] = false }
}

// WithRateLimit answers 429 (with Retry-After 1) beyond rps requests per
// second, burst requests at once.
func WithRateLimit(rps float64, burst int) Option {
	return func(s *Server) { s.limiter = rate.NewLimiter(rate.Limit(rps), burst) }
}

// WithTLS serves HTTPS (use Client for a client that trusts it).
func WithTLS() Option { return func(s *Server) { s.tls = true } }

// Server is a stateful fake e-RS on loopback. Its URL is the FHIR base
// (give it to ers.Config.BaseURL). It is safe for concurrent use.
type Server struct {
	// URL is the FHIR base, e.g. http://127.0.0.1:PORT/FHIR.
	URL string
	// Faults injects failures in the fakes' common vocabulary.
	fake.Faults

	srv     *httptest.Server
	tls     bool
	tokens  map[string]bool // token -> application-restricted
	limiter *rate.Limiter

	mu           sync.Mutex
	services     map[string]*Service
	slots        map[string]map[string]*slotState // service -> slot id -> state
	referrals    map[string]*referral
	appointments map[string]*appointment
	binaries     map[string][]byte
	links        map[string]string // single-use object store link -> binary id
	locked       map[string]bool
	pas          map[string]PAS
	roles        []Role
	obo          []string
	advice       map[string]*advice
	nextUBRN     int
	nextAppt     int
	requests     int
}

type slotState struct {
	Slot
	booked bool
}

// NewServer starts a fake e-RS.
func NewServer(opts ...Option) *Server {
	s := &Server{
		tokens:       map[string]bool{},
		services:     map[string]*Service{},
		slots:        map[string]map[string]*slotState{},
		referrals:    map[string]*referral{},
		advice:       map[string]*advice{},
		appointments: map[string]*appointment{},
		binaries:     map[string][]byte{},
		links:        map[string]string{},
		locked:       map[string]bool{},
		pas:          map[string]PAS{},
		nextUBRN:     900000000000,
		nextAppt:     80000,
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if s.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL + "/FHIR"
	return s
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Client returns an *http.Client for the server (one that trusts its
// certificate under WithTLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// AddService adds or replaces a service.
func (s *Server) AddService(svc Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := svc
	s.services[svc.ID] = &c
	if s.slots[svc.ID] == nil {
		s.slots[svc.ID] = map[string]*slotState{}
	}
}

// AddSlots adds free slots to a service.
func (s *Server) AddSlots(serviceID string, slots ...Slot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots[serviceID] == nil {
		s.slots[serviceID] = map[string]*slotState{}
	}
	for _, sl := range slots {
		s.slots[serviceID][sl.ID] = &slotState{Slot: sl}
	}
}

// FreeSlots counts a service's free slots.
func (s *Server) FreeSlots(serviceID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sl := range s.slots[serviceID] {
		if !sl.booked {
			n++
		}
	}
	return n
}

// AddRole gives a user roles at an organisation (A030's answer).
func (s *Server) AddRole(r Role) {
	s.mu.Lock()
	s.roles = append(s.roles, r)
	s.mu.Unlock()
}

// Lock holds the pessimistic lock on a referral, as another user updating
// it would: updates answer 423 until Unlock.
func (s *Server) Lock(ubrn string) {
	s.mu.Lock()
	s.locked[ubrn] = true
	s.mu.Unlock()
}

// Unlock releases Lock.
func (s *Server) Unlock(ubrn string) {
	s.mu.Lock()
	delete(s.locked, ubrn)
	s.mu.Unlock()
}

// SetPAS sets how a service's PAS answers bookings.
func (s *Server) SetPAS(serviceID string, p PAS) {
	s.mu.Lock()
	s.pas[serviceID] = p
	s.mu.Unlock()
}

// ReferralState returns a referral's e-RS state (NOT_BOOKED, BOOKED,
// DEFERRED_TO_PROVIDER, CANCELLED) and version, or false.
func (s *Server) ReferralState(ubrn string) (string, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.referrals[ubrn]
	if !ok {
		return "", 0, false
	}
	return r.State, r.Version, true
}

// Requests counts the requests served (faults included).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ---- routing -------------------------------------------------------------

type route struct {
	method, prefix, suffix string
	ep                     endpoint
	handle                 func(s *Server, w http.ResponseWriter, r *http.Request, id string)
}

var routes = []route{
	{"GET", "/FHIR/R4/PractitionerRole", "", a030, (*Server).businessFunctions},
	{"POST", "/FHIR/STU3/HealthcareService/$ers.searchHealthcareServicesForPatient", "", a010, (*Server).searchServices},
	{"GET", "/FHIR/R4/HealthcareService/", "", a033, (*Server).getService},
	{"HEAD", "/FHIR/R4/HealthcareService/", "", a037, (*Server).getService},
	{"GET", "/FHIR/R4/HealthcareService", "", a035, (*Server).searchServicesByID},
	{"POST", "/FHIR/STU3/ReferralRequest/$ers.createReferral", "", a011, (*Server).createReferral},
	{"POST", "/FHIR/STU3/ReferralRequest/$ers.createReferralAndSendForTriage", "", a021, (*Server).createReferralForTriage},
	{"POST", "/FHIR/STU3/ReferralRequest/$ers.fetchworklist", "", a008, (*Server).worklist},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.cancelReferral", a036, (*Server).cancelReferral},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.maintainReferralLetter", a012, (*Server).maintainLetter},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.generateCRI", a007, (*Server).clinicalInfo},
	{"GET", "/FHIR/STU3/ReferralRequest/", "", a005, (*Server).getReferral},
	{"GET", "/FHIR/STU3/Slot", "", a015, (*Server).slotSearch},
	{"POST", "/FHIR/STU3/Appointment", "", a016, (*Server).bookOrDefer},
	{"GET", "/FHIR/STU3/Appointment/", "", a038, (*Server).getAppointment},
	{"PUT", "/FHIR/STU3/Appointment/", "", a034, (*Server).updateAppointment},
	{"GET", "/FHIR/STU3/Task", "", a029, (*Server).availableActions},
	{"GET", "/FHIR/STU3/CodeSystem/", "", a004, (*Server).codeSystem},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.generatePatientLetter", a019, (*Server).patientLetter},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.changeShortlist", a031, (*Server).changeShortlist},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.acceptReferral", a013, (*Server).acceptReferral},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.cancelAppointmentActionLater", a022, (*Server).actionLater},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.recordReviewOutcome", a028, (*Server).triageOutcome},
	{"POST", "/FHIR/STU3/ReferralRequest/$ers.createFromCommunicationRequestActionLater", "", a027, (*Server).convertAdvice},
	{"POST", "/FHIR/STU3/ReferralRequest/", "/$ers.rejectReferral", a014, (*Server).rejectReferral},
	{"GET", "/FHIR/R4/Practitioner", "", a040, (*Server).oboUsers},
	{"POST", "/FHIR/STU3/CommunicationRequest/$ers.createAdviceAndGuidance", "", a044, (*Server).createAdvice},
	{"POST", "/FHIR/STU3/CommunicationRequest/$ers.fetchworklist", "", a023, (*Server).adviceWorklist},
	{"POST", "/FHIR/STU3/CommunicationRequest/", "/$ers.generateCRI", a043, (*Server).adviceOverview},
	{"POST", "/FHIR/STU3/CommunicationRequest/", "/$ers.sendCommunicationToRequester", a026, (*Server).adviceResponse},
	{"GET", "/FHIR/STU3/Communication", "", a025, (*Server).conversation},
	{"GET", "/FHIR/STU3/CommunicationRequest/", "", a024, (*Server).getAdvice},
	{"POST", "/FHIR/STU3/Binary", "", a020, (*Server).upload},
	{"GET", "/FHIR/R4/Binary/", "", a042, (*Server).attachment},
	{"GET", "/FHIR/R4/ServiceRequest", "", a041, (*Server).serviceRequests},
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	if id := r.Header.Get("X-Request-ID"); id != "" {
		w.Header().Set("X-Request-ID", id)
	}
	if id := r.Header.Get("X-Correlation-ID"); id != "" {
		w.Header().Set("X-Correlation-ID", id)
	}
	if strings.HasPrefix(r.URL.Path, "/ObjectStore/") {
		s.objectStore(w, r)
		return
	}
	r4 := strings.HasPrefix(r.URL.Path, "/FHIR/R4/")
	fault, done := s.Serve(w, r, func(w http.ResponseWriter, status int) {
		writeStatus(w, r4, status)
	})
	if done {
		return
	}
	if fault.DropAfter {
		// Serve the request, then close the connection instead of
		// answering: the change is made and the client never learns it.
		s.route(httptest.NewRecorder(), r, r4)
		fake.Drop(w)
		return
	}
	s.route(w, r, r4)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, r4 bool) {
	if s.limiter != nil && !s.limiter.Allow() {
		w.Header().Set("Retry-After", "1")
		writeOO(w, r4, http.StatusTooManyRequests, "throttled", "TOO_MANY_REQUESTS", "rate limit exceeded")
		return
	}
	for _, rt := range routes {
		if r.Method != rt.method {
			continue
		}
		id, ok := match(r.URL.Path, rt.prefix, rt.suffix)
		if !ok {
			continue
		}
		if !s.authorise(w, r, rt.ep) {
			return
		}
		rt.handle(s, w, r, id)
		return
	}
	writeOO(w, r4, http.StatusNotFound, "not-found", codeFor(r4, http.StatusNotFound), "no such endpoint")
}

// match reports whether path is prefix+id+suffix (id without "/" unless a
// _history follows) or, for an exact route (no trailing "/"), prefix.
func match(path, prefix, suffix string) (string, bool) {
	if !strings.HasSuffix(prefix, "/") {
		return "", path == prefix
	}
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok || rest == "" {
		return "", false
	}
	if suffix != "" {
		id, ok := strings.CutSuffix(rest, suffix)
		if !ok || strings.Contains(id, "/") {
			return "", false
		}
		return id, true
	}
	if strings.Contains(rest, "$") {
		return "", false
	}
	return rest, true
}

// authorise applies the token, access mode and role checks of the
// endpoint, as e-RS does, and answers the refusal itself.
func (s *Server) authorise(w http.ResponseWriter, r *http.Request, ep endpoint) bool {
	app := false
	if len(s.tokens) > 0 {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		isApp, known := s.tokens[tok]
		if !ok || !known {
			writeOO(w, ep.r4, http.StatusUnauthorized, "login", codeFor(ep.r4, http.StatusUnauthorized), "missing or invalid access token")
			return false
		}
		app = isApp
	}
	if app {
		if !ep.app {
			writeOO(w, ep.r4, http.StatusForbidden, "forbidden", codeFor(ep.r4, http.StatusForbidden), "endpoint is not available to application-restricted access")
			return false
		}
		// The R4 specification: the role and organisation headers are
		// "not allowed for application-restricted access" (the status
		// e-RS answers is not published; 400 is assumed).
		if ep.r4 && (r.Header.Get("NHSD-eRS-Business-Function") != "" || r.Header.Get("NHSD-End-User-Organisation-ODS") != "" || r.Header.Get("NHSD-eRS-On-Behalf-Of-User-ID") != "") {
			writeOO(w, true, http.StatusBadRequest, "invalid", "REC_BAD_REQUEST", "role and organisation headers are not allowed for application-restricted access")
			return false
		}
		return true
	}
	if len(ep.roles) == 0 {
		return true
	}
	bf := r.Header.Get("NHSD-eRS-Business-Function")
	obo := r.Header.Get("NHSD-eRS-On-Behalf-Of-User-ID")
	switch {
	case bf == "" || r.Header.Get("NHSD-End-User-Organisation-ODS") == "":
		writeOO(w, ep.r4, http.StatusBadRequest, "required", codeFor(ep.r4, http.StatusBadRequest), "NHSD-eRS-Business-Function and NHSD-End-User-Organisation-ODS are required")
		return false
	case !slices.Contains(ep.roles, bf):
		writeOO(w, ep.r4, http.StatusForbidden, "forbidden", codeFor(ep.r4, http.StatusForbidden), "business function not allowed on this endpoint")
		return false
	case (bf == "SERVICE_PROVIDER_CLINICIAN_ADMIN") != (obo != ""):
		writeOO(w, ep.r4, http.StatusForbidden, "forbidden", codeFor(ep.r4, http.StatusForbidden), "on-behalf-of user id goes with, and only with, SERVICE_PROVIDER_CLINICIAN_ADMIN")
		return false
	}
	return true
}

// ---- error bodies --------------------------------------------------------

const (
	stu3ErrorSystem = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1"
	r4ErrorSystem   = "https://fhir.nhs.uk/CodeSystem/http-error-codes"
)

func codeFor(r4 bool, status int) string {
	if r4 {
		switch status {
		case 400:
			return "REC_BAD_REQUEST"
		case 401:
			return "ACCESS_DENIED"
		case 403:
			return "REC_FORBIDDEN"
		case 404:
			return "REC_NOT_FOUND"
		case 429:
			return "TOO_MANY_REQUESTS"
		case 503:
			return "REC_UNAVAILABLE"
		}
		return "REC_SERVER_ERROR"
	}
	switch status {
	case 400:
		return "INVALID_VALUE"
	case 401:
		return "NO_ACCESS"
	case 403:
		return "FORBIDDEN"
	case 404:
		return "REFERENCE_NOT_FOUND"
	case 409:
		return "INVALID_STATE"
	case 423:
		return "LOCKED"
	case 429:
		return "TOO_MANY_REQUESTS"
	case 503:
		return "SERVICE_UNAVAILABLE"
	}
	return "INTERNAL_SERVER_ERROR"
}

func writeStatus(w http.ResponseWriter, r4 bool, status int) {
	writeOO(w, r4, status, "exception", codeFor(r4, status), http.StatusText(status))
}

// writeOO writes an STU3 eRS-OperationOutcome-1 or an R4
// NHSDigital-OperationOutcome.
func writeOO(w http.ResponseWriter, r4 bool, status int, issueCode, code, diagnostics string) {
	system, meta := stu3ErrorSystem, map[string]any{"profile": []string{"https://fhir.nhs.uk/STU3/StructureDefinition/eRS-OperationOutcome-1"}}
	if r4 {
		system, meta = r4ErrorSystem, map[string]any{"lastUpdated": time.Now().UTC().Format(time.RFC3339)}
		if code == "TOO_MANY_REQUESTS" || code == "ACCESS_DENIED" {
			system = "https://fhir.nhs.uk/CodeSystem/NHSD-API-ErrorOrWarningCode"
		}
	}
	oo := map[string]any{
		"resourceType": "OperationOutcome",
		"meta":         meta,
		"issue": []any{map[string]any{
			"severity":    "error",
			"code":        issueCode,
			"details":     map[string]any{"coding": []any{map[string]string{"system": system, "code": code, "display": strings.ReplaceAll(strings.ToLower(code), "_", " ")}}},
			"diagnostics": diagnostics,
		}},
	}
	writeJSON(w, status, oo)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func unprocessable(w http.ResponseWriter, code, diagnostics string) {
	issue := "business-rule"
	switch code {
	case "INVALID_VALUE", "MISSING_VALUE", "INVALID_CODE":
		issue = "value"
	}
	writeOO(w, false, http.StatusUnprocessableEntity, issue, code, diagnostics)
}

func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
	if err != nil || json.Unmarshal(b, v) != nil {
		writeOO(w, false, http.StatusBadRequest, "structure", "INVALID_FHIR_STRUCTURE", "request body is not a valid FHIR resource")
		return false
	}
	return true
}

// versionOf reads If-Match W/"n".
func versionOf(r *http.Request) (int, bool) {
	v := r.Header.Get("If-Match")
	v, ok := strings.CutPrefix(v, `W/"`)
	if !ok {
		return 0, false
	}
	v, ok = strings.CutSuffix(v, `"`)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Referral seeds a referral, as if created earlier (AddReferral).
type Referral struct {
	UBRN     string
	Version  int // default 1
	Patient  nhsid.NHSNumber
	Priority string // default ROUTINE
	// Specialty is e.g. CARDIOLOGY; Services the shortlist.
	Specialty string
	Services  []string
	// Referrer is the referring organisation's ODS code, whose
	// AWAITING_BOOKING worklist holds the referral.
	Referrer nhsid.ODSCode
	// CommissioningRuleOrg defaults to Referrer.
	CommissioningRuleOrg nhsid.ODSCode
	// DeferredTo, when set, is a shortlisted service the referral has been
	// deferred to (NO_SLOTS_AT_SERVICE): it is on that provider's
	// APPOINTMENT_SLOT_ISSUES worklist.
	DeferredTo string
}

// AddReferral adds an unbooked referral; versions below Version have no
// history.
func (s *Server) AddReferral(r Referral) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := &referral{
		UBRN: r.UBRN, State: "NOT_BOOKED",
		Patient: string(r.Patient), Priority: r.Priority, Specialty: r.Specialty,
		Services: slices.Clone(r.Services), Referrer: string(r.Referrer), CommOrg: string(r.CommissioningRuleOrg),
	}
	if ref.Priority == "" {
		ref.Priority = "ROUTINE"
	}
	if ref.CommOrg == "" {
		ref.CommOrg = ref.Referrer
	}
	s.referrals[r.UBRN] = ref
	if r.DeferredTo != "" {
		a := &appointment{ID: strconv.Itoa(s.nextAppt), Status: "proposed", UBRN: r.UBRN, Service: r.DeferredTo, Patient: ref.Patient, Reason: "NO_SLOTS_AT_SERVICE"}
		s.nextAppt++
		s.appointments[a.ID] = a
		ref.State, ref.Appointment, ref.DeferredTo, ref.DeferReason = "DEFERRED_TO_PROVIDER", a.ID, r.DeferredTo, a.Reason
	}
	for ref.Version < max(r.Version, 1) {
		s.bump(ref)
	}
}

// TakeSlot books a slot outside the API (another system took it); it
// returns false when the slot is unknown or already taken.
func (s *Server) TakeSlot(serviceID, slotID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.slots[serviceID][slotID]
	if st == nil || st.booked {
		return false
	}
	st.booked = true
	return true
}

// AddAttachment stores a file as if uploaded with A020, under id (a UUID).
func (s *Server) AddAttachment(id string, data []byte) {
	s.mu.Lock()
	s.binaries[id] = slices.Clone(data)
	s.mu.Unlock()
}

// AddOnBehalfOfUser lets a SERVICE_PROVIDER_CLINICIAN_ADMIN act for the
// clinician with this SDS user id (A040's answer).
func (s *Server) AddOnBehalfOfUser(userID string) {
	s.mu.Lock()
	s.obo = append(s.obo, userID)
	s.mu.Unlock()
}
