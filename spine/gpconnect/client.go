package gpconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/internal/platform"
)

// Config configures a Client for one provider.
type Config struct {
	// BaseURL is the provider's FHIR service root URL, as SDS returns it
	// (e.g. https://provider.example/A81001/STU3/1). It is also the JWT
	// audience.
	BaseURL string
	// SSPURL, when set, is the Spine Secure Proxy base; requests then go to
	// SSPURL + "/" + BaseURL + path. Empty sends requests to BaseURL itself
	// (for a provider reached directly, or gpconnecttest).
	SSPURL string
	// ConsumerASID and ProviderASID fill Ssp-From and Ssp-To.
	ConsumerASID string
	ProviderASID string
	// Requester fills the JWT's requesting_* claims.
	Requester Requester

	// Now is the clock for JWT times (default time.Now).
	Now func() time.Time

	// HTTPClient carries TLS mutual authentication for the SSP; nil means
	// a default client. TLS 1.2 is the floor.
	HTTPClient *http.Client
	// Logger receives one record per attempt; nil means silent.
	Logger *slog.Logger
	// Limiter, when set, is the rate limit every attempt waits on; share
	// one between clients that spend one quota. When nil,
	// RequestsPerSecond and Burst make one for this client (no limit by
	// default).
	Limiter           *rate.Limiter
	RequestsPerSecond float64
	Burst             int
	// MaxAttempts caps attempts per call (default 4). Only reads are
	// retried: a booking, amendment or cancellation is sent once.
	MaxAttempts int
	// Timeout, when positive, bounds one call, every attempt and wait
	// included.
	Timeout time.Duration
}

// Client is a GP Connect consumer for one provider. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base string
	aud  string // the provider endpoint, the JWT audience
	http *httpx.Client
	now  func() time.Time
}

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("gpconnect: invalid config")

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if _, err := url.ParseRequestURI(cfg.BaseURL); err != nil || cfg.BaseURL == "" {
		return nil, fmt.Errorf("%w: base url is not an absolute url", ErrConfig)
	}
	if cfg.ConsumerASID == "" || cfg.ProviderASID == "" {
		return nil, fmt.Errorf("%w: consumer and provider asids are required", ErrConfig)
	}
	if err := cfg.Requester.Validate(); err != nil {
		return nil, err
	}
	if cfg.RequestsPerSecond < 0 || cfg.Burst < 0 || cfg.MaxAttempts < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: RequestsPerSecond, Burst, MaxAttempts and Timeout must not be negative", ErrConfig)
	}
	aud := strings.TrimRight(cfg.BaseURL, "/")
	base := aud
	if cfg.SSPURL != "" {
		base = strings.TrimRight(cfg.SSPURL, "/") + "/" + base
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		cfg:  cfg,
		base: base,
		aud:  aud,
		now:  now,
		http: platform.New(platform.Options{
			HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
			Limiter: cfg.Limiter, RequestsPerSecond: cfg.RequestsPerSecond, Burst: cfg.Burst,
			MaxAttempts: cfg.MaxAttempts, Timeout: cfg.Timeout,
		}),
	}, nil
}

// response is what a call returned besides its decoded result.
type response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	TraceID    string
}

// do sends one GP Connect request with a fresh JWT and the SSP headers.
func (c *Client) do(ctx context.Context, method, path, interaction, scope string, body stu3.Resource, ifMatch string) (*response, error) {
	claims, err := NewClaims(&c.cfg.Requester, c.aud, scope, c.now())
	if err != nil {
		return nil, err
	}
	token, err := claims.Token()
	if err != nil {
		return nil, fmt.Errorf("gpconnect: building jwt: %w", err)
	}
	var raw []byte
	if body != nil {
		if raw, err = stu3.Marshal(body); err != nil {
			return nil, fmt.Errorf("gpconnect: encoding request: %w", err)
		}
	}
	req := httpx.NewRequest(method, c.base+path, raw)
	// One id for the SSP's trace and the platform's request id, kept on
	// every attempt.
	trace := httpx.NewUUID()
	req.Header.Set("X-Request-ID", trace)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", ContentTypeFHIRJSON)
	if raw != nil {
		req.Header.Set("Content-Type", ContentTypeFHIRJSON+";charset=utf-8")
	}
	req.Header.Set(HeaderTraceID, trace)
	req.Header.Set(HeaderFrom, c.cfg.ConsumerASID)
	req.Header.Set(HeaderTo, c.cfg.ProviderASID)
	req.Header.Set(HeaderInteractionID, interaction)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}

	resp, err := c.http.Do(ctx, req, nil)
	if err != nil {
		var ae *spine.APIError
		if errors.As(err, &ae) {
			ae.InteractionID = interaction
			return nil, ae
		}
		return nil, fmt.Errorf("gpconnect: %s: %w", shortInteraction(interaction), err)
	}
	return &response{StatusCode: resp.StatusCode, Header: resp.Header, Body: resp.Body, TraceID: trace}, nil
}

// decode reads a response body as a T (*stu3.Appointment, *stu3.Bundle,
// ...). A body that is not STU3 JSON gives the *stu3.DecodeError with the
// element's path; one of another type says which it is.
func decode[T stu3.Resource](resp *response, interaction string, want string) (T, error) {
	var zero T
	r, err := stu3.Unmarshal(resp.Body)
	if err != nil {
		return zero, fmt.Errorf("gpconnect: %s: decoding %s: %w", shortInteraction(interaction), want, err)
	}
	v, ok := r.(T)
	if !ok {
		return zero, fmt.Errorf("gpconnect: %s: decoding %s: the body is a %s", shortInteraction(interaction), want, r.ResourceType())
	}
	return v, nil
}

// entries returns the resources of b that are a *T, as values, in order.
func entries[T any, P interface {
	*T
	stu3.Resource
}](b *stu3.Bundle) []T {
	var out []T
	for _, r := range stu3.Resources[P](b) {
		out = append(out, *r)
	}
	return out
}

// Metadata returns the provider's CapabilityStatement as JSON.
func (c *Client) Metadata(ctx context.Context) (json.RawMessage, error) {
	resp, err := c.do(ctx, http.MethodGet, "/metadata", InteractionMetadata, ScopeOrganizationRead, nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// FindPatient returns the provider's Patient for an NHS number, or an
// error matching ErrPatientNotFound when the practice does not hold one.
func (c *Client) FindPatient(ctx context.Context, nhs nhsid.NHSNumber) (*stu3.Patient, error) {
	return c.findPatient(ctx, nhs, InteractionSearchPatient)
}

func (c *Client) findPatient(ctx context.Context, nhs nhsid.NHSNumber, interaction string) (*stu3.Patient, error) {
	if !nhs.Valid() {
		return nil, fmt.Errorf("gpconnect: find patient: %w", nhsid.ErrNHSNumberCheckDigit)
	}
	q := url.Values{"identifier": {SystemNHSNumber + "|" + string(nhs)}}
	resp, err := c.do(ctx, http.MethodGet, "/Patient?"+q.Encode(), interaction, ScopePatientRead, nil, "")
	if err != nil {
		return nil, err
	}
	b, err := decode[*stu3.Bundle](resp, interaction, "bundle")
	if err != nil {
		return nil, err
	}
	if ps := stu3.Resources[*stu3.Patient](b); len(ps) > 0 {
		return ps[0], nil
	}
	return nil, &spine.APIError{
		StatusCode: http.StatusOK, Code: string(ErrPatientNotFound), IssueType: "not-found",
		RequestID: resp.TraceID, InteractionID: interaction, Body: resp.Body,
	}
}

// SlotQuery is a free slot search.
type SlotQuery struct {
	// Start and End bound the search (at most 14 days apart). A bound at
	// midnight is sent as a date, as the specification's examples do;
	// any other as a dateTime with its offset.
	Start, End time.Time
	// OrgType and OrgODSCode are the booking organisation's type
	// (default gp-practice) and ODS code, sent in searchFilter so the
	// provider returns only slots that organisation may book.
	OrgType    string
	OrgODSCode nhsid.ODSCode
	// Daily, when set, keeps only slots within a time of day on every
	// day of the search (say 08:00 to 10:30 for patients who can only come
	// before work). The provider's search has no time-of-day parameter, so
	// the window is applied to the slots it returns.
	Daily *DailyWindow
}

// DailyWindow is a time of day: a slot is kept when it starts at or after
// From and ends at or before To, both measured from midnight of the slot's
// day in Location (default Europe/London, where GP practices keep their
// diaries).
type DailyWindow struct {
	From, To time.Duration
	Location *time.Location
}

func (d *DailyWindow) check() error {
	if d.From < 0 || d.To > 24*time.Hour || d.To <= d.From {
		return fmt.Errorf("%w: daily window must satisfy 0 <= From < To <= 24h", ErrSlotQuery)
	}
	if d.Location == nil {
		if _, err := london(); err != nil {
			return fmt.Errorf("%w: daily window: no Location given and Europe/London is not available: %w", ErrSlotQuery, err)
		}
	}
	return nil
}

// contains reports whether a slot from start to end lies inside the window
// on its day.
func (d *DailyWindow) contains(start, end time.Time) bool {
	loc := d.Location
	if loc == nil {
		loc, _ = london()
	}
	start, end = start.In(loc), end.In(loc)
	midnight := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	return start.Sub(midnight) >= d.From && end.Sub(midnight) <= d.To
}

var london = sync.OnceValues(func() (*time.Location, error) { return time.LoadLocation("Europe/London") })

// boundary formats a search bound: a date when t is midnight in its
// location (as the specification's examples send), else a dateTime.
func boundary(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// ErrSlotQuery is wrapped when a SlotQuery is refused before sending.
var ErrSlotQuery = errors.New("gpconnect: invalid slot query")

// SlotSearchResult is a free slot search's slots with the resources they
// refer to, indexed by logical id.
// Every slot has a start and end that parse as instants (the search
// refuses a bundle with one that does not).
type SlotSearchResult struct {
	Slots         []stu3.Slot
	Schedules     map[string]*stu3.Schedule
	Practitioners map[string]*stu3.Practitioner
	Locations     map[string]*stu3.Location
	Organizations map[string]*stu3.Organization
}

// ScheduleOf returns the schedule of s, or nil.
func (r *SlotSearchResult) ScheduleOf(s *stu3.Slot) *stu3.Schedule {
	return r.Schedules[s.Schedule.TargetID("Schedule")]
}

// LocationOf returns the location of s's schedule, or nil.
func (r *SlotSearchResult) LocationOf(s *stu3.Slot) *stu3.Location {
	if sch := r.ScheduleOf(s); sch != nil {
		for i := range sch.Actor {
			if id := sch.Actor[i].TargetID("Location"); id != "" {
				return r.Locations[id]
			}
		}
	}
	return nil
}

// PractitionerOf returns the practitioner of s's schedule, or nil.
func (r *SlotSearchResult) PractitionerOf(s *stu3.Slot) *stu3.Practitioner {
	if sch := r.ScheduleOf(s); sch != nil {
		for i := range sch.Actor {
			if id := sch.Actor[i].TargetID("Practitioner"); id != "" {
				return r.Practitioners[id]
			}
		}
	}
	return nil
}

// slotTimes parses a slot's start and end.
func slotTimes(s *stu3.Slot) (start, end time.Time, err error) {
	if start, err = s.Start.Time(); err != nil {
		return start, end, fmt.Errorf("slot start: %w", err)
	}
	if end, err = s.End.Time(); err != nil {
		return start, end, fmt.Errorf("slot end: %w", err)
	}
	return start, end, nil
}

// SearchFreeSlots searches the provider's free slots with every _include
// the specification defines.
func (c *Client) SearchFreeSlots(ctx context.Context, q SlotQuery) (*SlotSearchResult, error) {
	if q.End.Before(q.Start) {
		return nil, fmt.Errorf("%w: end before start", ErrSlotQuery)
	}
	days := q.End.Sub(q.Start).Hours() / 24
	if days > MaxSlotSearchPeriodDays {
		return nil, fmt.Errorf("%w: period of %.1f days exceeds %d", ErrSlotQuery, days, MaxSlotSearchPeriodDays)
	}
	orgType := q.OrgType
	if orgType == "" {
		orgType = OrgTypeGPPractice
	}
	v := url.Values{}
	if q.Daily != nil {
		if err := q.Daily.check(); err != nil {
			return nil, err
		}
	}
	v.Set("start", "ge"+boundary(q.Start))
	v.Set("end", "le"+boundary(q.End))
	v.Set("status", "free")
	v.Set("_include", "Slot:schedule")
	v.Add("_include:recurse", "Schedule:actor:Practitioner")
	v.Add("_include:recurse", "Schedule:actor:Location")
	v.Add("_include:recurse", "Location:managingOrganization")
	v.Add("searchFilter", SystemOrganisationType+"|"+orgType)
	if q.OrgODSCode != "" {
		v.Add("searchFilter", SystemODSCode+"|"+string(q.OrgODSCode))
	}
	resp, err := c.do(ctx, http.MethodGet, "/Slot?"+v.Encode(), InteractionSearchSlots, ScopeOrganizationRead, nil, "")
	if err != nil {
		return nil, err
	}
	b, err := decode[*stu3.Bundle](resp, InteractionSearchSlots, "bundle")
	if err != nil {
		return nil, err
	}
	res := &SlotSearchResult{
		Schedules:     map[string]*stu3.Schedule{},
		Practitioners: map[string]*stu3.Practitioner{},
		Locations:     map[string]*stu3.Location{},
		Organizations: map[string]*stu3.Organization{},
	}
	for i, e := range b.Entry {
		switch r := e.Resource.(type) {
		case *stu3.Slot:
			start, end, err := slotTimes(r)
			if err != nil {
				return nil, fmt.Errorf("gpconnect: search slots: bundle entry %d: %w", i, err)
			}
			if q.Daily == nil || q.Daily.contains(start, end) {
				res.Slots = append(res.Slots, *r)
			}
		case *stu3.Schedule:
			res.Schedules[r.ID.Value] = r
		case *stu3.Practitioner:
			res.Practitioners[r.ID.Value] = r
		case *stu3.Location:
			res.Locations[r.ID.Value] = r
		case *stu3.Organization:
			res.Organizations[r.ID.Value] = r
		}
	}
	return res, nil
}

// BookingOrganization is the organisation making a booking, contained in
// the Appointment as a CareConnect-GPC-Organization-1 with its ODS code
// identifier, its type, name and telephone.
type BookingOrganization struct {
	Name    string
	ODSCode nhsid.ODSCode // required
	// Type is a GPConnect-OrganisationType-1 code (default gp-practice),
	// the same value a free slot search sends in searchFilter.
	Type  string
	Phone string
}

// BookRequest is what BookAppointment needs. Slots must be adjacent free
// slots from one schedule, from a free slot search.
type BookRequest struct {
	PatientID      string // the provider's logical id, from FindPatient
	NHSNumber      nhsid.NHSNumber
	Slots          []stu3.Slot
	LocationID     string
	PractitionerID string // optional
	Description    string // at most 100 characters
	Comment        string // at most 500 characters
	Organization   BookingOrganization
}

// ErrBookRequest is wrapped when a BookRequest is refused before sending.
var ErrBookRequest = errors.New("gpconnect: invalid booking")

// NewAppointment builds the GPConnect-Appointment-1 resource for r.
func NewAppointment(r BookRequest, created time.Time) (*stu3.Appointment, error) {
	switch {
	case r.PatientID == "":
		return nil, fmt.Errorf("%w: patient id is required", ErrBookRequest)
	case len(r.Slots) == 0:
		return nil, fmt.Errorf("%w: at least one slot is required", ErrBookRequest)
	case r.LocationID == "":
		return nil, fmt.Errorf("%w: location id is required", ErrBookRequest)
	case r.Description == "":
		return nil, fmt.Errorf("%w: description is required", ErrBookRequest)
	case utf8.RuneCountInString(r.Description) > MaxDescriptionLength:
		return nil, fmt.Errorf("%w: description longer than %d characters", ErrBookRequest, MaxDescriptionLength)
	case utf8.RuneCountInString(r.Comment) > MaxCommentLength:
		return nil, fmt.Errorf("%w: comment longer than %d characters", ErrBookRequest, MaxCommentLength)
	case r.Organization.Name == "" || r.Organization.Phone == "":
		return nil, fmt.Errorf("%w: booking organisation name and telephone are required", ErrBookRequest)
	case !r.Organization.ODSCode.Valid():
		return nil, fmt.Errorf("%w: booking organisation ods code is required (1 to 9 upper-case letters and digits)", ErrBookRequest)
	}
	orgType := r.Organization.Type
	if orgType == "" {
		orgType = OrgTypeGPPractice
	}
	refs := make([]stu3.Reference, 0, len(r.Slots))
	var prevEnd time.Time
	for i := range r.Slots {
		s := &r.Slots[i]
		if s.ID.Value == "" {
			return nil, fmt.Errorf("%w: slot %d has no id", ErrBookRequest, i)
		}
		start, end, err := slotTimes(s)
		if err != nil {
			return nil, fmt.Errorf("%w: slot %d: %w", ErrBookRequest, i, err)
		}
		if i > 0 && !start.Equal(prevEnd) {
			return nil, fmt.Errorf("%w: slots %d and %d are not adjacent", ErrBookRequest, i-1, i)
		}
		if i > 0 && scheduleRef(s) != scheduleRef(&r.Slots[0]) {
			return nil, fmt.Errorf("%w: slots come from different schedules", ErrBookRequest)
		}
		prevEnd = end
		refs = append(refs, *stu3.NewReference("Slot", s.ID.Value))
	}
	org := &stu3.Organization{
		ID:         stu3.ID{Value: "1"},
		Meta:       &stu3.Meta{Profile: []stu3.URI{{Value: ProfileOrganization}}},
		Identifier: []stu3.Identifier{{System: stu3.URI{Value: SystemODSCode}, Value: stu3.String{Value: string(r.Organization.ODSCode)}}},
		Type: []stu3.CodeableConcept{{Coding: []stu3.Coding{{
			System: stu3.URI{Value: SystemOrganisationType}, Code: stu3.Code{Value: orgType},
		}}}},
		Name: stu3.String{Value: r.Organization.Name},
		Telecom: []stu3.ContactPoint{{
			System: stu3.Code{Value: "phone"}, Value: stu3.String{Value: r.Organization.Phone}, Use: stu3.Code{Value: "work"},
		}},
	}
	a := &stu3.Appointment{
		Meta:      &stu3.Meta{Profile: []stu3.URI{{Value: ProfileAppointment}}},
		Contained: []stu3.Resource{org},
		Extension: []stu3.Extension{{
			URL:   stu3.URI{Value: ExtBookingOrganisation},
			Value: &stu3.Reference{Reference: stu3.String{Value: "#1"}},
		}},
		Status:      stu3.Code{Value: "booked"},
		Description: stu3.String{Value: r.Description},
		// Start and end are the slots' own, as the provider wrote them.
		Start:   r.Slots[0].Start,
		End:     r.Slots[len(r.Slots)-1].End,
		Slot:    refs,
		Created: stu3.DateTimeOf(created),
		Comment: stu3.String{Value: r.Comment},
		Participant: []stu3.AppointmentParticipant{
			{Actor: stu3.NewReference("Patient", r.PatientID), Status: stu3.Code{Value: "accepted"}},
			{Actor: stu3.NewReference("Location", r.LocationID), Status: stu3.Code{Value: "accepted"}},
		},
	}
	if r.PractitionerID != "" {
		a.Participant = append(a.Participant, stu3.AppointmentParticipant{
			Actor: stu3.NewReference("Practitioner", r.PractitionerID), Status: stu3.Code{Value: "accepted"},
		})
	}
	return a, nil
}

func scheduleRef(s *stu3.Slot) string {
	if s.Schedule == nil {
		return ""
	}
	return s.Schedule.Reference.Value
}

// BookAppointment books r and returns the provider's Appointment. If the
// slots were taken meanwhile the error matches ErrSlotAlreadyBooked (and
// ErrDuplicateRejected). A booking is never retried: a lost response is
// resolved with PatientAppointments, not by booking again.
func (c *Client) BookAppointment(ctx context.Context, r BookRequest) (*stu3.Appointment, error) {
	a, err := NewAppointment(r, c.now())
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/Appointment", InteractionCreateAppointment, ScopePatientWrite, a, "")
	if err != nil {
		return nil, err
	}
	return decode[*stu3.Appointment](resp, InteractionCreateAppointment, "appointment")
}

// ReadAppointment returns one appointment by logical id. Its
// Meta.VersionID is the version AmendAppointment and
// CancelAppointmentVersion send in If-Match (taken from the ETag when the
// provider sends no meta.versionId).
func (c *Client) ReadAppointment(ctx context.Context, id string) (*stu3.Appointment, error) {
	resp, err := c.do(ctx, http.MethodGet, "/Appointment/"+url.PathEscape(id), InteractionReadAppointment, ScopePatientRead, nil, "")
	if err != nil {
		return nil, err
	}
	return decodeVersioned(resp, InteractionReadAppointment)
}

// decodeVersioned decodes an Appointment and fills Meta.VersionID from the
// ETag when the body has none.
func decodeVersioned(resp *response, interaction string) (*stu3.Appointment, error) {
	a, err := decode[*stu3.Appointment](resp, interaction, "appointment")
	if err != nil {
		return nil, err
	}
	if v, ok := parseETag(resp.Header.Get("ETag")); ok && (a.Meta == nil || a.Meta.VersionID.Value == "") {
		if a.Meta == nil {
			a.Meta = &stu3.Meta{}
		}
		a.Meta.VersionID.Value = v
	}
	return a, nil
}

// ETag returns the weak entity tag for a version id, as If-Match carries
// it: W/"23".
func ETag(versionID string) string { return `W/"` + versionID + `"` }

// parseETag reads the version id from W/"23" (or "23").
func parseETag(tag string) (string, bool) {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.Contains(tag[1:len(tag)-1], `"`) {
		return "", false
	}
	return tag[1 : len(tag)-1], true
}

func versionOf(a *stu3.Appointment) string {
	if a.Meta == nil {
		return ""
	}
	return a.Meta.VersionID.Value
}

// AmendAppointment sends a changed appointment: only description and
// comment may change. It sends a.Meta.VersionID (from ReadAppointment or
// PatientAppointments) in If-Match, as the specification requires; when
// the appointment changed since it was read the error matches
// ErrVersionConflict (409), and the caller reads it again.
func (c *Client) AmendAppointment(ctx context.Context, a *stu3.Appointment) (*stu3.Appointment, error) {
	if a.ID.Value == "" {
		return nil, fmt.Errorf("%w: amend needs the appointment id", ErrBookRequest)
	}
	if versionOf(a) == "" {
		return nil, fmt.Errorf("%w: amend needs the appointment's meta.versionId for If-Match", ErrBookRequest)
	}
	if utf8.RuneCountInString(a.Description.Value) > MaxDescriptionLength || utf8.RuneCountInString(a.Comment.Value) > MaxCommentLength {
		return nil, fmt.Errorf("%w: description or comment too long", ErrBookRequest)
	}
	resp, err := c.do(ctx, http.MethodPut, "/Appointment/"+url.PathEscape(a.ID.Value), InteractionAmendAppointment, ScopePatientWrite, a, ETag(versionOf(a)))
	if err != nil {
		return nil, err
	}
	return decodeVersioned(resp, InteractionAmendAppointment)
}

// CancelAppointment reads the appointment's current version, marks it
// cancelled with reason and sends it back with that version in If-Match,
// returning the provider's cancelled appointment.
func (c *Client) CancelAppointment(ctx context.Context, id, reason string) (*stu3.Appointment, error) {
	if reason == "" {
		return nil, fmt.Errorf("%w: a cancellation reason is required", ErrBookRequest)
	}
	a, err := c.ReadAppointment(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.CancelAppointmentVersion(ctx, a, reason)
}

// CancelAppointmentVersion cancels the version of the appointment the
// caller holds (a from ReadAppointment or PatientAppointments), changing
// nothing but the status and the cancellation reason. If the appointment
// changed since then the error matches ErrVersionConflict. a is not
// modified.
func (c *Client) CancelAppointmentVersion(ctx context.Context, a *stu3.Appointment, reason string) (*stu3.Appointment, error) {
	switch {
	case reason == "":
		return nil, fmt.Errorf("%w: a cancellation reason is required", ErrBookRequest)
	case a.ID.Value == "":
		return nil, fmt.Errorf("%w: cancel needs the appointment id", ErrBookRequest)
	case versionOf(a) == "":
		return nil, fmt.Errorf("%w: cancel needs the appointment's meta.versionId for If-Match", ErrBookRequest)
	}
	cancelled := *a
	cancelled.Status = stu3.Code{Value: "cancelled"}
	exts := make([]stu3.Extension, 0, len(a.Extension)+1)
	for _, e := range a.Extension {
		if e.URL.Value != ExtCancellationReason {
			exts = append(exts, e)
		}
	}
	cancelled.Extension = append(exts, stu3.Extension{URL: stu3.URI{Value: ExtCancellationReason}, Value: &stu3.String{Value: reason}})
	resp, err := c.do(ctx, http.MethodPut, "/Appointment/"+url.PathEscape(a.ID.Value), InteractionCancelAppointment, ScopePatientWrite, &cancelled, ETag(versionOf(a)))
	if err != nil {
		return nil, err
	}
	return decodeVersioned(resp, InteractionCancelAppointment)
}

// PatientAppointments returns a patient's appointments starting in
// [start, end].
func (c *Client) PatientAppointments(ctx context.Context, patientID string, start, end time.Time) ([]stu3.Appointment, error) {
	v := url.Values{}
	v.Add("start", "ge"+start.Format(time.DateOnly))
	v.Add("start", "le"+end.Format(time.DateOnly))
	resp, err := c.do(ctx, http.MethodGet, "/Patient/"+url.PathEscape(patientID)+"/Appointment?"+v.Encode(), InteractionPatientAppointments, ScopePatientRead, nil, "")
	if err != nil {
		return nil, err
	}
	b, err := decode[*stu3.Bundle](resp, InteractionPatientAppointments, "bundle")
	if err != nil {
		return nil, err
	}
	return entries[stu3.Appointment](b), nil
}

func shortInteraction(id string) string {
	const prefix = "urn:nhs:names:services:gpconnect:fhir:"
	if len(id) > len(prefix) && id[:len(prefix)] == prefix {
		return id[len(prefix):]
	}
	return id
}
