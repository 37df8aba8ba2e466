package gpconnecttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the diary is laid out in Europe/London on any machine

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
)

// Server is a fake GP practice.
type Server struct {
	// URL is the provider's FHIR service root, e.g.
	// http://127.0.0.1:41234/A81001/STU3/1, set by Start.
	URL string

	// Faults injects failures: FailNext, Inject, SetFaultRate, SetLatency.
	// A fault answers before the SSP's checks, as a failing SSP would.
	fake.Faults
	// ASID is the provider's ASID, which requests must carry in Ssp-To.
	ASID string
	// ODSCode is the practice's ODS code.
	ODSCode string

	srv    *httptest.Server
	cfg    config
	prefix string

	mu           sync.Mutex
	patients     map[string]*patient // by logical id
	byNHS        map[nhsid.NHSNumber]string
	schedules    []*stu3.Schedule
	practitioner map[string]*stu3.Practitioner
	locations    map[string]*stu3.Location
	org          *stu3.Organization
	slots        map[string]*stu3.Slot
	slotOrder    []string
	appts        map[string]*stu3.Appointment
	apptOrder    []string
	nextID       int
	rejections   []string
	pds          map[nhsid.NHSNumber]pdsRecord
	docs         []*document
}

type patient struct {
	res     stu3.Patient
	consent bool
}

// Shorthands for building STU3 resources.
func str(v string) stu3.String { return stu3.String{Value: v} }
func uri(v string) stu3.URI    { return stu3.URI{Value: v} }
func code(v string) stu3.Code  { return stu3.Code{Value: v} }

func ident(system, value string) stu3.Identifier {
	return stu3.Identifier{System: uri(system), Value: str(value)}
}

// at reads an instant the fake wrote or checked; one that does not parse
// is the zero time.
func at(i stu3.Instant) time.Time {
	t, _ := i.Time()
	return t
}

type config struct {
	ods, asid, name string
	now             func() time.Time
	consumerASIDs   map[string]bool
	diaryDays       int
	slotLength      time.Duration
}

// Option configures a Server.
type Option func(*config)

// WithODSCode sets the practice's ODS code (default A81001).
func WithODSCode(code string) Option { return func(c *config) { c.ods = code } }

// WithASID sets the provider's ASID (default 918999198993).
func WithASID(asid string) Option { return func(c *config) { c.asid = asid } }

// WithName sets the practice's name.
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithClock sets the clock used for JWT checks and the diary.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithConsumerASIDs restricts which consumer ASIDs (Ssp-From) are allowed,
// as the SSP's data sharing agreements do. By default any is allowed.
func WithConsumerASIDs(asids ...string) Option {
	return func(c *config) {
		c.consumerASIDs = map[string]bool{}
		for _, a := range asids {
			c.consumerASIDs[a] = true
		}
	}
}

// WithDiary sets how many days ahead the default diary covers (default 14)
// and the slot length (default 15 minutes). Zero days gives an empty diary.
func WithDiary(days int, slotLength time.Duration) Option {
	return func(c *config) {
		// A diary of no days is allowed; a slot of no length is not (it
		// would never end a session): the default 15 minutes stays.
		if days >= 0 {
			c.diaryDays = days
		}
		if slotLength > 0 {
			c.slotLength = slotLength
		}
	}
}

// London is Europe/London, in which the diary is laid out.
var London = mustLondon()

func mustLondon() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("gpconnecttest: Europe/London: " + err.Error()) // time/tzdata is embedded, so this cannot happen
	}
	return loc
}

// NewServer starts a fake practice on loopback over plain HTTP; see
// NewUnstartedServer.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// Start starts the fake on loopback over plain HTTP and sets URL.
func (s *Server) Start() {
	s.srv.Start()
	s.URL = s.srv.URL + s.prefix
}

// StartTLS starts the fake over HTTPS; Client trusts its certificate.
func (s *Server) StartTLS() {
	s.srv.StartTLS()
	s.URL = s.srv.URL + s.prefix
}

// NewUnstartedServer returns a fake practice, not yet listening, with a default diary: two clinicians'
// schedules at one surgery, weekday sessions 09:00–12:00 and 14:00–17:00 in
// Europe/London, from tomorrow for 14 days, and a few registered synthetic
// patients (NHS numbers from nhsid.TestNHSNumber).
func NewUnstartedServer(opts ...Option) *Server {
	cfg := config{ods: "A81001", asid: "918999198993", name: "Riverside Medical Practice", now: time.Now, diaryDays: 14, slotLength: 15 * time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		ASID:         cfg.asid,
		ODSCode:      cfg.ods,
		cfg:          cfg,
		prefix:       "/" + cfg.ods + "/STU3/1",
		patients:     map[string]*patient{},
		byNHS:        map[nhsid.NHSNumber]string{},
		practitioner: map[string]*stu3.Practitioner{},
		locations:    map[string]*stu3.Location{},
		slots:        map[string]*stu3.Slot{},
		appts:        map[string]*stu3.Appointment{},
		pds:          map[nhsid.NHSNumber]pdsRecord{},
		nextID:       1,
	}
	s.org = &stu3.Organization{
		ID:         stu3.ID{Value: "1"},
		Identifier: []stu3.Identifier{ident(gpconnect.SystemODSCode, cfg.ods)},
		Name:       str(cfg.name),
		Telecom:    []stu3.ContactPoint{{System: code("phone"), Value: str("0300 303 5678"), Use: code("work")}},
	}
	s.seed()
	mux := http.NewServeMux()
	mux.HandleFunc(s.prefix+"/", s.handle)
	s.srv = httptest.NewUnstartedServer(mux)
	return s
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Client returns an *http.Client for the server (one that trusts its
// certificate after StartTLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) id() string {
	s.nextID++
	return strconv.Itoa(s.nextID)
}

func (s *Server) seed() {
	s.locations["1"] = &stu3.Location{
		ID: stu3.ID{Value: "1"}, Name: str(s.cfg.name + " Surgery"),
		Address:              &stu3.Address{Line: stu3.Strings("1 River Street"), City: str("Leeds"), PostalCode: str("LS1 4AP")},
		ManagingOrganization: stu3.NewReference("Organization", "1"),
		Position:             &stu3.LocationPosition{Latitude: stu3.DecimalOfFloat(53.7960), Longitude: stu3.DecimalOfFloat(-1.5479)},
	}
	s.practitioner["1"] = &stu3.Practitioner{ID: stu3.ID{Value: "1"},
		Identifier: []stu3.Identifier{ident(gpconnect.SystemSDSUserID, "G13579135")},
		Name:       []stu3.HumanName{{Family: str("Okafor"), Given: stu3.Strings("Ada"), Prefix: stu3.Strings("Dr")}}}
	s.practitioner["2"] = &stu3.Practitioner{ID: stu3.ID{Value: "2"},
		Identifier: []stu3.Identifier{ident(gpconnect.SystemSDSUserID, "G24680246")},
		Name:       []stu3.HumanName{{Family: str("Patel"), Given: stu3.Strings("Ravi"), Prefix: stu3.Strings("Dr")}}}

	if s.cfg.diaryDays > 0 {
		now := s.cfg.now().In(London)
		first := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, London)
		for _, pr := range []string{"1", "2"} {
			channel := "In-person"
			if pr == "2" {
				channel = "Telephone"
			}
			sch := s.addSchedule(pr, "1", "General GP Appointment")
			for d := 0; d < s.cfg.diaryDays; d++ {
				day := first.AddDate(0, 0, d)
				if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
					continue
				}
				for _, session := range [][2]int{{9, 12}, {14, 17}} {
					start := time.Date(day.Year(), day.Month(), day.Day(), session[0], 0, 0, 0, London)
					end := time.Date(day.Year(), day.Month(), day.Day(), session[1], 0, 0, 0, London)
					for t := start; t.Before(end); t = t.Add(s.cfg.slotLength) {
						s.addSlot(sch, t, t.Add(s.cfg.slotLength), channel)
					}
				}
			}
		}
	}
	// The practice's patients are the synthetic population pdstest serves
	// too, so a test can trace a patient in PDS and then book at their
	// practice.
	for _, p := range fake.People() {
		s.addPatient(p.NHSNumber, p.Family, p.Given[0], p.BirthDate)
		s.pds[p.NHSNumber] = pdsRecord{family: p.Family, given: p.Given[0], birthDate: p.BirthDate, sensitive: p.Restricted}
		s.addDocument(s.byNHS[p.NHSNumber], "Outpatient letter", "text/plain", []byte("Synthetic outpatient letter for a test patient."), "2024-03-01")
	}
}

func (s *Server) addSchedule(practitionerID, locationID, serviceType string) *stu3.Schedule {
	sch := &stu3.Schedule{
		ID:          stu3.ID{Value: strconv.Itoa(len(s.schedules) + 1)},
		Meta:        &stu3.Meta{Profile: []stu3.URI{uri(gpconnect.ProfileSchedule)}},
		ServiceType: []stu3.CodeableConcept{{Text: str(serviceType)}},
		Actor: []stu3.Reference{
			*stu3.NewReference("Location", locationID),
			*stu3.NewReference("Practitioner", practitionerID),
		},
	}
	s.schedules = append(s.schedules, sch)
	return sch
}

func (s *Server) addSlot(sch *stu3.Schedule, start, end time.Time, channel string) *stu3.Slot {
	sl := &stu3.Slot{
		ID:          stu3.ID{Value: "s" + strconv.Itoa(len(s.slotOrder)+1)},
		Meta:        &stu3.Meta{VersionID: stu3.ID{Value: "1"}, Profile: []stu3.URI{uri(gpconnect.ProfileSlot)}},
		Extension:   []stu3.Extension{{URL: uri(gpconnect.ExtDeliveryChannel), Value: &stu3.Code{Value: channel}}},
		ServiceType: sch.ServiceType,
		Schedule:    stu3.NewReference("Schedule", sch.ID.Value),
		Status:      code("free"),
		Start:       stu3.InstantOf(start),
		End:         stu3.InstantOf(end),
	}
	s.slots[sl.ID.Value] = sl
	s.slotOrder = append(s.slotOrder, sl.ID.Value)
	return sl
}

func (s *Server) addPatient(nhs nhsid.NHSNumber, family, given, birthDate string) string {
	id := "p" + strconv.Itoa(len(s.patients)+1)
	s.patients[id] = &patient{consent: true, res: stu3.Patient{
		ID:         stu3.ID{Value: id},
		Meta:       &stu3.Meta{VersionID: stu3.ID{Value: "1"}},
		Identifier: []stu3.Identifier{ident(gpconnect.SystemNHSNumber, string(nhs))},
		Name:       []stu3.HumanName{{Use: code("official"), Family: str(family), Given: stu3.Strings(given)}},
		Gender:     code("unknown"),
		BirthDate:  stu3.Date{Value: birthDate},
	}}
	s.byNHS[nhs] = id
	return id
}

// AddPatient registers a patient at the practice and returns its logical
// id. birthDate is YYYY-MM-DD.
func (s *Server) AddPatient(nhs nhsid.NHSNumber, family, given, birthDate string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byNHS[nhs]; ok {
		return id
	}
	return s.addPatient(nhs, family, given, birthDate)
}

// Patients returns the NHS numbers of the registered patients, sorted.
func (s *Server) Patients() []nhsid.NHSNumber {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]nhsid.NHSNumber, 0, len(s.byNHS))
	for n := range s.byNHS {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// SetConsent records whether the patient consents to share their record;
// without consent the structured record answers 403 NO_PATIENT_CONSENT.
func (s *Server) SetConsent(nhs nhsid.NHSNumber, consent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byNHS[nhs]; ok {
		s.patients[id].consent = consent
	}
}

// AddSlots adds a schedule for an existing practitioner ("1" or "2") at
// the surgery with n consecutive slots from start, and returns their ids.
func (s *Server) AddSlots(practitionerID string, start time.Time, length time.Duration, n int, channel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sch := s.addSchedule(practitionerID, "1", "General GP Appointment")
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		t := start.Add(time.Duration(i) * length)
		ids = append(ids, s.addSlot(sch, t, t.Add(length), channel).ID.Value)
	}
	return ids
}

// FreeSlots counts the slots that are free.
func (s *Server) FreeSlots() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sl := range s.slots {
		if sl.Status.Value == "free" {
			n++
		}
	}
	return n
}

// Bookings counts appointments by status.
func (s *Server) Bookings() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, a := range s.appts {
		out[a.Status.Value]++
	}
	return out
}

// Rejections lists, in order, why requests were refused by the SSP or JWT
// checks (not business errors such as a slot already booked). A test that
// expects its client to be well behaved asserts it is empty.
func (s *Server) Rejections() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejections...)
}

func (s *Server) reject(w http.ResponseWriter, status int, issue, code, display, why string) {
	s.mu.Lock()
	s.rejections = append(s.rejections, why)
	s.mu.Unlock()
	writeError(w, status, issue, code, display, why)
}

func writeError(w http.ResponseWriter, status int, issue, code, display, diagnostics string) {
	var oo *stu3.OperationOutcome
	if code == "" {
		// The SSP's own errors carry no Spine code.
		oo = &stu3.OperationOutcome{Issue: []stu3.OperationOutcomeIssue{{
			Severity: stu3.Code{Value: "error"}, Code: stu3.Code{Value: issue}, Diagnostics: stu3.String{Value: diagnostics},
		}}}
	} else {
		oo = gpconnect.NewOperationOutcome(issue, code, display, diagnostics)
	}
	writeResource(w, status, oo)
}

// writeResource writes a FHIR resource with fhir/stu3's codec.
func writeResource(w http.ResponseWriter, status int, r stu3.Resource) {
	b, err := stu3.Marshal(r)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, b)
}

// writeJSON writes a document the fake builds as plain JSON (the
// CapabilityStatements).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, b)
}

// writeBody writes a FHIR JSON response body.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", gpconnect.ContentTypeFHIRJSON+";charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// route is an operation: its interaction id, the scope its JWT needs and
// its handler.
type route struct {
	interaction string
	write       bool
	patient     bool // patient/* rather than organization/* scope
	handle      func(w http.ResponseWriter, r *http.Request, rest string)
}

func (s *Server) match(r *http.Request, rest string) (*route, bool) {
	switch {
	case r.Method == http.MethodGet && rest == "/metadata":
		switch r.Header.Get(gpconnect.HeaderInteractionID) {
		case gpconnect.InteractionStructuredMetadata:
			return &route{interaction: gpconnect.InteractionStructuredMetadata, handle: s.structuredMetadata}, true
		case gpconnect.InteractionDocumentsMetadata:
			return &route{interaction: gpconnect.InteractionDocumentsMetadata, handle: s.documentsMetadata}, true
		}
		return &route{interaction: gpconnect.InteractionMetadata, handle: s.metadata}, true
	case r.Method == http.MethodGet && rest == "/Patient":
		if r.Header.Get(gpconnect.HeaderInteractionID) == gpconnect.InteractionDocumentsSearchPatient {
			return &route{interaction: gpconnect.InteractionDocumentsSearchPatient, patient: true, handle: s.searchPatient}, true
		}
		return &route{interaction: gpconnect.InteractionSearchPatient, patient: true, handle: s.searchPatient}, true
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "/Patient/") && strings.HasSuffix(rest, "/DocumentReference"):
		return &route{interaction: gpconnect.InteractionSearchDocuments, patient: true, handle: s.searchDocuments}, true
	case r.Method == http.MethodGet && oneSegment(rest, "/Binary/"):
		return &route{interaction: gpconnect.InteractionRetrieveDocument, patient: true, handle: s.retrieveDocument}, true
	case r.Method == http.MethodPost && rest == "/Patient/$gpc.registerpatient":
		return &route{interaction: gpconnect.InteractionRegisterPatient, write: true, patient: true, handle: s.registerPatient}, true
	case r.Method == http.MethodGet && rest == "/Practitioner":
		return &route{interaction: gpconnect.InteractionSearchPractitioner, handle: s.searchPractitioner}, true
	case r.Method == http.MethodGet && rest == "/Organization":
		return &route{interaction: gpconnect.InteractionSearchOrganization, handle: s.searchOrganization}, true
	case r.Method == http.MethodGet && oneSegment(rest, "/Patient/"):
		return &route{interaction: gpconnect.InteractionReadPatient, patient: true, handle: s.readPatient}, true
	case r.Method == http.MethodGet && oneSegment(rest, "/Practitioner/"):
		return &route{interaction: gpconnect.InteractionReadPractitioner, handle: s.readPractitioner}, true
	case r.Method == http.MethodGet && oneSegment(rest, "/Organization/"):
		return &route{interaction: gpconnect.InteractionReadOrganization, handle: s.readOrganization}, true
	case r.Method == http.MethodGet && oneSegment(rest, "/Location/"):
		return &route{interaction: gpconnect.InteractionReadLocation, handle: s.readLocation}, true
	case r.Method == http.MethodGet && rest == "/Slot":
		return &route{interaction: gpconnect.InteractionSearchSlots, handle: s.searchSlots}, true
	case r.Method == http.MethodPost && rest == "/Appointment":
		return &route{interaction: gpconnect.InteractionCreateAppointment, write: true, patient: true, handle: s.book}, true
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "/Appointment/"):
		return &route{interaction: gpconnect.InteractionReadAppointment, patient: true, handle: s.readAppointment}, true
	case r.Method == http.MethodPut && strings.HasPrefix(rest, "/Appointment/"):
		if r.Header.Get(gpconnect.HeaderInteractionID) == gpconnect.InteractionCancelAppointment {
			return &route{interaction: gpconnect.InteractionCancelAppointment, write: true, patient: true, handle: s.cancel}, true
		}
		return &route{interaction: gpconnect.InteractionAmendAppointment, write: true, patient: true, handle: s.amend}, true
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "/Patient/") && strings.HasSuffix(rest, "/Appointment"):
		return &route{interaction: gpconnect.InteractionPatientAppointments, patient: true, handle: s.patientAppointments}, true
	case r.Method == http.MethodPost && rest == "/Patient/$gpc.getstructuredrecord":
		return &route{interaction: gpconnect.InteractionStructuredRecord, patient: true, handle: s.structuredRecord}, true
	}
	return nil, false
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if _, done := s.Faults.Serve(w, r, func(w http.ResponseWriter, status int) {
		switch status {
		case http.StatusInternalServerError:
			writeError(w, status, "exception", "INTERNAL_SERVER_ERROR", "Internal server error", "injected fault")
		default:
			writeError(w, status, "transient", "", "", http.StatusText(status))
		}
	}); done {
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, s.prefix)
	rt, ok := s.match(r, rest)
	if !ok {
		if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodPut {
			w.Header().Set("Allow", "GET, POST, PUT")
			writeError(w, http.StatusMethodNotAllowed, "not-supported", "", "", "method not allowed")
			return
		}
		writeError(w, http.StatusNotImplemented, "not-supported", "NOT_IMPLEMENTED", "FHIR resource or operation not implemented at server", "no such operation")
		return
	}
	// The SSP's checks.
	h := r.Header
	switch {
	case !uuidRE.MatchString(h.Get(gpconnect.HeaderTraceID)):
		s.reject(w, http.StatusBadRequest, "invalid", "", "", "Ssp-TraceID is missing or not a UUID")
		return
	case h.Get(gpconnect.HeaderFrom) == "":
		s.reject(w, http.StatusBadRequest, "invalid", "", "", "Ssp-From is missing")
		return
	case s.cfg.consumerASIDs != nil && !s.cfg.consumerASIDs[h.Get(gpconnect.HeaderFrom)]:
		s.reject(w, http.StatusForbidden, "forbidden", "", "", "consumer ASID has no agreement with this provider")
		return
	case h.Get(gpconnect.HeaderTo) != s.ASID:
		s.reject(w, http.StatusForbidden, "forbidden", "", "", "Ssp-To is not this provider's ASID")
		return
	case h.Get(gpconnect.HeaderInteractionID) != rt.interaction:
		s.reject(w, http.StatusForbidden, "forbidden", "", "", "Ssp-InteractionID does not match the operation")
		return
	}
	if acc := h.Get("Accept"); acc != "" && !strings.Contains(acc, "json") {
		s.reject(w, http.StatusUnsupportedMediaType, "not-supported", "", "", "only application/fhir+json is supported")
		return
	}
	// The provider's JWT checks.
	auth := h.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		s.reject(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "missing bearer token")
		return
	}
	claims, err := gpconnect.ParseToken(token, s.cfg.now())
	if errors.Is(err, gpconnect.ErrJWTResource) {
		s.reject(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", err.Error())
		return
	}
	if err != nil {
		s.reject(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", err.Error())
		return
	}
	if claims.Audience != s.URL {
		s.reject(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "jwt aud is not this provider's endpoint")
		return
	}
	wantScope := "organization/*."
	if rt.patient {
		wantScope = "patient/*."
	}
	if rt.write {
		wantScope += "write"
	} else {
		wantScope += "read"
	}
	if claims.BaseScope() != wantScope {
		s.reject(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "jwt requested_scope "+claims.RequestedScope+" does not fit the operation, want "+wantScope)
		return
	}
	rt.handle(w, r, rest)
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"resourceType": "CapabilityStatement",
		"version":      "1.2.7",
		"name":         "GP Connect",
		"status":       "active",
		"date":         "2026-11-01",
		"kind":         "capability",
		"fhirVersion":  "3.0.1",
		"format":       []string{"application/fhir+json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"resource": []any{
				map[string]any{"type": "Patient", "interaction": []any{map[string]string{"code": "read"}, map[string]string{"code": "search-type"}}},
				map[string]any{"type": "Practitioner", "interaction": []any{map[string]string{"code": "read"}, map[string]string{"code": "search-type"}}},
				map[string]any{"type": "Organization", "interaction": []any{map[string]string{"code": "read"}, map[string]string{"code": "search-type"}}},
				map[string]any{"type": "Location", "interaction": []any{map[string]string{"code": "read"}}},
				map[string]any{"type": "Slot", "interaction": []any{map[string]string{"code": "search-type"}}},
				map[string]any{"type": "Appointment", "interaction": []any{map[string]string{"code": "read"}, map[string]string{"code": "create"}, map[string]string{"code": "update"}}},
			},
			"operation": []any{map[string]string{"name": "gpc.registerpatient"}, map[string]string{"name": "gpc.getstructuredrecord"}},
		}},
	})
}

func bundle(entries ...stu3.Resource) *stu3.Bundle {
	b := &stu3.Bundle{
		ID:   stu3.ID{Value: strconv.FormatInt(time.Now().UnixNano(), 36)},
		Meta: &stu3.Meta{Profile: []stu3.URI{uri(gpconnect.ProfileSearchsetBundle)}},
		Type: code("searchset"),
	}
	for _, e := range entries {
		b.Entry = append(b.Entry, stu3.BundleEntry{Resource: e})
	}
	return b
}

func (s *Server) searchPatient(w http.ResponseWriter, r *http.Request, _ string) {
	ids := r.URL.Query()["identifier"]
	if len(ids) != 1 {
		writeError(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "exactly one identifier parameter is required")
		return
	}
	system, value, _ := strings.Cut(ids[0], "|")
	if system != gpconnect.SystemNHSNumber {
		writeError(w, http.StatusBadRequest, "value", "INVALID_IDENTIFIER_SYSTEM", "Invalid identifier system", "identifier system must be "+gpconnect.SystemNHSNumber)
		return
	}
	if !nhsid.NHSNumber(value).Valid() {
		writeError(w, http.StatusBadRequest, "value", "INVALID_NHS_NUMBER", "Invalid NHS number", "NHS number fails the modulus 11 check")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byNHS[nhsid.NHSNumber(value)]; ok {
		writeResource(w, http.StatusOK, bundle(&s.patients[id].res))
		return
	}
	writeResource(w, http.StatusOK, bundle())
}

// prefixed returns the single value of param with the given prefix.
func prefixedDate(q url.Values, param, prefix string) (time.Time, string) {
	vs := q[param]
	if len(vs) != 1 {
		return time.Time{}, param + " must be given exactly once"
	}
	v, ok := strings.CutPrefix(vs[0], prefix)
	if !ok {
		return time.Time{}, param + " must use the " + prefix + " prefix"
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, London); err == nil {
		return t, ""
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, ""
	}
	return time.Time{}, param + " is not a date or dateTime"
}

func (s *Server) searchSlots(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	start, problem := prefixedDate(q, "start", "ge")
	var end time.Time
	if problem == "" {
		end, problem = prefixedDate(q, "end", "le")
	}
	if problem == "" && q.Get("status") != "free" {
		problem = "status must be free"
	}
	if problem == "" && !contains(q["_include"], "Slot:schedule") {
		problem = "_include=Slot:schedule is required"
	}
	if problem == "" && len(q["end"]) == 1 && len(q["end"][0]) == len("le2006-01-02") {
		end = end.AddDate(0, 0, 1) // a date end includes the whole day
	}
	if problem == "" && (end.Before(start) || end.Sub(start) > (gpconnect.MaxSlotSearchPeriodDays+1)*24*time.Hour) {
		problem = "search period must be forward and at most 14 days"
	}
	if problem == "" {
		for _, f := range q["searchFilter"] {
			system, _, _ := strings.Cut(f, "|")
			if system != gpconnect.SystemOrganisationType && system != gpconnect.SystemODSCode {
				problem = "unknown searchFilter system"
			}
		}
	}
	if problem != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", problem)
		return
	}
	recurse := q["_include:recurse"]
	s.mu.Lock()
	defer s.mu.Unlock()
	var entries []stu3.Resource
	usedSchedules := map[string]bool{}
	for _, id := range s.slotOrder {
		sl := s.slots[id]
		if sl.Status.Value != "free" || at(sl.Start).Before(start) || at(sl.End).After(end) || !at(sl.Start).After(s.cfg.now()) {
			continue
		}
		entries = append(entries, sl)
		usedSchedules[sl.Schedule.TargetID("Schedule")] = true
	}
	pracs, locs := map[string]bool{}, map[string]bool{}
	for _, sch := range s.schedules {
		if !usedSchedules[sch.ID.Value] {
			continue
		}
		entries = append(entries, sch)
		for i := range sch.Actor {
			if id := sch.Actor[i].TargetID("Practitioner"); id != "" && contains(recurse, "Schedule:actor:Practitioner") {
				pracs[id] = true
			}
			if id := sch.Actor[i].TargetID("Location"); id != "" && contains(recurse, "Schedule:actor:Location") {
				locs[id] = true
			}
		}
	}
	for _, id := range sortedKeys(pracs) {
		entries = append(entries, s.practitioner[id])
	}
	for _, id := range sortedKeys(locs) {
		entries = append(entries, s.locations[id])
	}
	if len(locs) > 0 && contains(recurse, "Location:managingOrganization") {
		entries = append(entries, s.org)
	}
	writeResource(w, http.StatusOK, bundle(entries...))
}

func contains(vs []string, want string) bool {
	for _, v := range vs {
		if v == want {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// decodeAppointment decodes an Appointment body with fhir/stu3's codec,
// which keeps every element, known to the model or not.
func decodeAppointment(w http.ResponseWriter, r *http.Request) (*stu3.Appointment, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	var res stu3.Resource
	if err == nil {
		res, err = stu3.Unmarshal(body)
	}
	a, ok := res.(*stu3.Appointment)
	if err != nil || !ok {
		writeError(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "body is not an Appointment resource")
		return nil, false
	}
	return a, true
}

// validateAppointment checks the GPConnect-Appointment-1 rules shared by
// book and amend.
func (s *Server) validateAppointment(a *stu3.Appointment) string {
	start, errStart := a.Start.Time()
	end, errEnd := a.End.Time()
	switch {
	case a.Meta == nil || !slices.ContainsFunc(a.Meta.Profile, func(u stu3.URI) bool { return u.Value == gpconnect.ProfileAppointment }):
		return "meta.profile must include " + gpconnect.ProfileAppointment
	case len(a.Reason) > 0:
		return "Appointment.reason must not be sent"
	case a.Description.Value == "":
		return "description is required"
	case len([]rune(a.Description.Value)) > gpconnect.MaxDescriptionLength:
		return "description longer than 100 characters"
	case len([]rune(a.Comment.Value)) > gpconnect.MaxCommentLength:
		return "comment longer than 500 characters"
	case errStart != nil || errEnd != nil || !end.After(start):
		return "start and end are required and end must follow start"
	case a.Created.Value == "":
		return "created is required"
	case a.ParticipantID("Patient") == "" || a.ParticipantID("Location") == "":
		return "a patient and a location participant are required"
	case len(a.Slot) == 0:
		return "at least one slot is required"
	}
	org := a.BookingOrganization()
	if org == nil || org.Name.Value == "" || len(org.Telecom) == 0 {
		return "the booking organisation extension must reference a contained Organization with name and telecom"
	}
	if !org.ODSCode().Valid() {
		return "the booking organisation must carry its ODS code (" + gpconnect.SystemODSCode + ")"
	}
	if org.OrgType() == "" {
		return "the booking organisation must carry its type (" + gpconnect.SystemOrganisationType + ")"
	}
	return ""
}

func (s *Server) book(w http.ResponseWriter, r *http.Request, _ string) {
	a, ok := decodeAppointment(w, r)
	if !ok {
		return
	}
	if a.ID.Value != "" {
		writeError(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "a resource to create must not have an id")
		return
	}
	if a.Status.Value != "booked" {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "status must be booked")
		return
	}
	if why := s.validateAppointment(a); why != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", why)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.patients[a.ParticipantID("Patient")]; !ok {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "REFERENCE_NOT_FOUND", "Referenced resource not found.", "patient participant not found")
		return
	}
	if _, ok := s.locations[a.ParticipantID("Location")]; !ok {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "REFERENCE_NOT_FOUND", "Referenced resource not found.", "location participant not found")
		return
	}
	if pid := a.ParticipantID("Practitioner"); pid != "" {
		if _, ok := s.practitioner[pid]; !ok {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "REFERENCE_NOT_FOUND", "Referenced resource not found.", "practitioner participant not found")
			return
		}
	}
	var slots []*stu3.Slot
	for i := range a.Slot {
		sl, ok := s.slots[a.Slot[i].TargetID("Slot")]
		if !ok {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "REFERENCE_NOT_FOUND", "Referenced resource not found.", "slot not found")
			return
		}
		slots = append(slots, sl)
	}
	sort.Slice(slots, func(i, j int) bool { return at(slots[i].Start).Before(at(slots[j].Start)) })
	for i, sl := range slots {
		if i > 0 && !at(sl.Start).Equal(at(slots[i-1].End)) {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "slots are not adjacent")
			return
		}
	}
	if !at(a.Start).Equal(at(slots[0].Start)) || !at(a.End).Equal(at(slots[len(slots)-1].End)) {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "start and end do not match the slots")
		return
	}
	if !at(slots[0].Start).After(s.cfg.now()) {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "appointments can only be booked in the future")
		return
	}
	for _, sl := range slots {
		if sl.Status.Value != "free" {
			writeError(w, http.StatusConflict, "duplicate", "DUPLICATE_REJECTED", "Create would lead to creation of a duplicate resource", "one or more slots are no longer free")
			return
		}
	}
	for _, sl := range slots {
		sl.Status.Value = "busy"
		sl.Meta.VersionID.Value = bump(sl.Meta.VersionID.Value)
	}
	a.ID.Value = s.id()
	a.Meta.VersionID.Value = "1"
	a.Meta.LastUpdated = stu3.InstantOf(s.cfg.now().UTC().Truncate(time.Second))
	s.appts[a.ID.Value] = a
	s.apptOrder = append(s.apptOrder, a.ID.Value)
	w.Header().Set("Location", s.URL+"/Appointment/"+a.ID.Value+"/_history/1")
	w.Header().Set("ETag", gpconnect.ETag("1"))
	writeResource(w, http.StatusCreated, a)
}

func bump(v string) string {
	n, _ := strconv.Atoi(v)
	return strconv.Itoa(n + 1)
}

func (s *Server) readAppointment(w http.ResponseWriter, r *http.Request, rest string) {
	id := strings.TrimPrefix(rest, "/Appointment/")
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.appts[id]
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "NO_RECORD_FOUND", "No record found", "no appointment with that id")
		return
	}
	w.Header().Set("ETag", gpconnect.ETag(a.Meta.VersionID.Value))
	writeResource(w, http.StatusOK, a)
}

// ifMatchVersion reads the version id from an If-Match header: W/"23" or
// "23".
func ifMatchVersion(h string) (string, bool) {
	h = strings.TrimPrefix(strings.TrimSpace(h), "W/")
	if len(h) < 3 || h[0] != '"' || h[len(h)-1] != '"' || strings.Contains(h[1:len(h)-1], `"`) {
		return "", false
	}
	return h[1 : len(h)-1], true
}

// sameBooking reports whether in keeps everything an amend may not change
// (and, for a cancel, the description and comment too): every element,
// whether the models know it or not (unknown elements and extensions
// included), is compared as JSON, leaving out meta, the status and the
// cancellation reason extension, and for an amend the description and
// comment.
func sameBooking(in, cur *stu3.Appointment, cancel bool) bool {
	strip := func(a *stu3.Appointment) []byte {
		c := *a
		c.Meta, c.Status = nil, stu3.Code{}
		c.Extension = slices.DeleteFunc(slices.Clone(a.Extension), func(e stu3.Extension) bool {
			return e.URL.Value == gpconnect.ExtCancellationReason
		})
		if !cancel {
			c.Description, c.Comment = stu3.String{}, stu3.String{}
		}
		b, err := stu3.Marshal(&c)
		if err != nil {
			return nil
		}
		return b
	}
	a, b := strip(in), strip(cur)
	return a != nil && bytes.Equal(a, b)
}

// changeAppointment applies an amend or a cancel. It needs If-Match with
// the current version (412 without one, 409 when it names another version
// or is malformed, checked before the body so a stale cancel is 409
// whatever it changes); only the fields the
// operation may change are taken from the request, and a request that
// changes anything else is 422 INVALID_RESOURCE.
func (s *Server) changeAppointment(w http.ResponseWriter, r *http.Request, rest string, cancel bool) {
	id := strings.TrimPrefix(rest, "/Appointment/")
	in, ok := decodeAppointment(w, r)
	if !ok {
		return
	}
	if in.ID.Value != id {
		writeError(w, http.StatusBadRequest, "invalid", "BAD_REQUEST", "Bad request", "resource id does not match the url")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.appts[id]
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "NO_RECORD_FOUND", "No record found", "no appointment with that id")
		return
	}
	ifMatch := r.Header.Get("If-Match")
	if strings.TrimSpace(ifMatch) == "" {
		writeError(w, http.StatusPreconditionFailed, "invalid", "", "", `If-Match with the appointment's current ETag (W/"<versionId>") is required`)
		return
	}
	// Any If-Match that does not name the current version, a malformed one
	// included, is a conflict: the provider acceptance tests send
	// "invalidEtag" and expect 409.
	if version, ok := ifMatchVersion(ifMatch); !ok || version != cur.Meta.VersionID.Value {
		w.Header().Set("ETag", gpconnect.ETag(cur.Meta.VersionID.Value))
		writeError(w, http.StatusConflict, "conflict", "FHIR_CONSTRAINT_VIOLATION", "FHIR constraint violated", "If-Match does not name the current version "+cur.Meta.VersionID.Value)
		return
	}
	if cur.Status.Value == "cancelled" {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "appointment is already cancelled")
		return
	}
	if !at(cur.Start).After(s.cfg.now()) {
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "only future appointments can be amended or cancelled")
		return
	}
	if !sameBooking(in, cur, cancel) {
		what := "only the description and comment may change"
		if cancel {
			what = "a cancellation may change only the status and the cancellation reason"
		}
		writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", what)
		return
	}
	next := *cur
	next.Meta = &stu3.Meta{Profile: cur.Meta.Profile, VersionID: stu3.ID{Value: bump(cur.Meta.VersionID.Value)}, LastUpdated: stu3.InstantOf(s.cfg.now().UTC().Truncate(time.Second))}
	if cancel {
		if in.Status.Value != "cancelled" || stu3.FindExtension(in.Extension, gpconnect.ExtCancellationReason) == nil {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "a cancellation sets status cancelled and the cancellation reason extension")
			return
		}
		if in.CancellationReason() == "" {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", "the cancellation reason is empty")
			return
		}
		next.Status = code("cancelled")
		next.Extension = append(slices.Clone(cur.Extension), stu3.Extension{URL: uri(gpconnect.ExtCancellationReason), Value: &stu3.String{Value: in.CancellationReason()}})
		for i := range cur.Slot {
			if sl, ok := s.slots[cur.Slot[i].TargetID("Slot")]; ok {
				sl.Status = code("free")
				sl.Meta.VersionID.Value = bump(sl.Meta.VersionID.Value)
			}
		}
	} else {
		if in.Status.Value != "booked" {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", "amend cannot change the status; use cancel")
			return
		}
		if why := s.validateAppointment(in); why != "" {
			writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", "Submitted resource is not valid.", why)
			return
		}
		next.Description, next.Comment = in.Description, in.Comment
	}
	s.appts[id] = &next
	w.Header().Set("ETag", gpconnect.ETag(next.Meta.VersionID.Value))
	writeResource(w, http.StatusOK, &next)
}

func (s *Server) amend(w http.ResponseWriter, r *http.Request, rest string) {
	s.changeAppointment(w, r, rest, false)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, rest string) {
	s.changeAppointment(w, r, rest, true)
}

func (s *Server) patientAppointments(w http.ResponseWriter, r *http.Request, rest string) {
	pid := strings.TrimSuffix(strings.TrimPrefix(rest, "/Patient/"), "/Appointment")
	var from, to time.Time
	for _, v := range r.URL.Query()["start"] {
		switch {
		case strings.HasPrefix(v, "ge"):
			from, _ = time.ParseInLocation(time.DateOnly, v[2:], London)
		case strings.HasPrefix(v, "le"):
			to, _ = time.ParseInLocation(time.DateOnly, v[2:], London)
			to = to.AddDate(0, 0, 1)
		default:
			writeError(w, http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", "Submitted parameter is not valid.", "start must use the ge or le prefix")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.patients[pid]; !ok {
		writeError(w, http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", "Patient record not found", "no patient with that id")
		return
	}
	var entries []stu3.Resource
	for _, id := range s.apptOrder {
		a := s.appts[id]
		start := at(a.Start)
		if a.ParticipantID("Patient") != pid || (!from.IsZero() && start.Before(from)) || (!to.IsZero() && !start.Before(to)) {
			continue
		}
		entries = append(entries, a)
	}
	writeResource(w, http.StatusOK, bundle(entries...))
}
