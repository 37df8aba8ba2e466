package gpconnect_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func requester() gpconnect.Requester {
	return gpconnect.Requester{
		Issuer:           "https://consumer.example.nhs.uk",
		Device:           gpconnect.Device{System: "https://consumer.example.nhs.uk/Id/device", Value: "hub-1", Model: "nhskit", Version: "0.1"},
		OrganizationODS:  "RR8",
		OrganizationName: "Leeds Teaching Hospitals Extended Access Hub",
		Practitioner: gpconnect.RequestingPractitioner{
			ID: "u1", SDSUserID: "111222333444", SDSRoleProfileID: "444555666777",
			LocalSystem: "https://consumer.example.nhs.uk/Id/user-guid", LocalID: "98ed4f78-814d-4266-8d5b-cde742f3093c",
			Family: "Booker", Given: []string{"Sam"},
		},
	}
}

func newClient(t *testing.T, srv *gpconnecttest.Server, mod ...func(*gpconnect.Config)) *gpconnect.Client {
	t.Helper()
	cfg := gpconnect.Config{
		BaseURL:      srv.URL,
		ConsumerASID: "200000000359",
		ProviderASID: srv.ASID,
		Requester:    requester(),
		HTTPClient:   srv.Client(),
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := gpconnect.New(cfg)
	require.NoError(t, err)
	return c
}

// timeOf parses an instant the fake sent.
func timeOf(t *testing.T, i stu3.Instant) time.Time {
	t.Helper()
	v, err := i.Time()
	require.NoError(t, err, "instant %q", i.Value)
	return v
}

func tomorrowRange() (time.Time, time.Time) {
	now := time.Now().In(gpconnecttest.London)
	start := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, gpconnecttest.London)
	return start, start.AddDate(0, 0, 13)
}

func TestAppointmentLifecycle(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()

	meta, err := c.Metadata(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(meta), `"CapabilityStatement"`)

	nhs := srv.Patients()[0]
	pat, err := c.FindPatient(ctx, nhs)
	require.NoError(t, err)
	assert.Equal(t, nhs, pat.NHSNumber())

	start, end := tomorrowRange()
	res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end, OrgODSCode: "RR8"})
	require.NoError(t, err)
	require.NotEmpty(t, res.Slots)
	free := srv.FreeSlots()
	assert.Len(t, res.Slots, free)
	first := res.Slots[0]
	loc := res.LocationOf(&first)
	require.NotNil(t, loc)
	require.NotNil(t, res.PractitionerOf(&first))
	assert.Equal(t, "In-person", first.DeliveryChannel())
	assert.Len(t, res.Organizations, 1)

	// Book two adjacent slots as one appointment.
	second := res.Slots[1]
	require.True(t, timeOf(t, second.Start).Equal(timeOf(t, first.End)))
	appt, err := c.BookAppointment(ctx, gpconnect.BookRequest{
		PatientID: pat.ID.Value, NHSNumber: nhs, Slots: []stu3.Slot{first, second}, LocationID: loc.ID.Value,
		PractitionerID: res.PractitionerOf(&first).ID.Value,
		Description:    "Blood pressure review", Comment: "Prefers mornings",
		Organization: gpconnect.BookingOrganization{Name: "Leeds Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	})
	require.NoError(t, err)
	assert.NotEmpty(t, appt.ID.Value)
	assert.Equal(t, "booked", appt.Status.Value)
	assert.True(t, timeOf(t, appt.End).Equal(timeOf(t, second.End)))
	assert.Equal(t, free-2, srv.FreeSlots())
	require.NotNil(t, appt.BookingOrganization())
	assert.Equal(t, "Leeds Hub", appt.BookingOrganization().Name.Value)

	got, err := c.ReadAppointment(ctx, appt.ID.Value)
	require.NoError(t, err)
	assert.Equal(t, "Blood pressure review", got.Description.Value)

	got.Description.Value = "BP review (amended)"
	amended, err := c.AmendAppointment(ctx, got)
	require.NoError(t, err)
	assert.Equal(t, "BP review (amended)", amended.Description.Value)
	assert.Equal(t, "2", amended.Meta.VersionID.Value)

	list, err := c.PatientAppointments(ctx, pat.ID.Value, start, end)
	require.NoError(t, err)
	require.Len(t, list, 1)

	cancelled, err := c.CancelAppointment(ctx, appt.ID.Value, "Patient recovered")
	require.NoError(t, err)
	assert.Equal(t, "cancelled", cancelled.Status.Value)
	assert.Equal(t, "Patient recovered", cancelled.CancellationReason())
	assert.Equal(t, free, srv.FreeSlots(), "cancelling frees the slots")

	_, err = c.CancelAppointment(ctx, appt.ID.Value, "again")
	assert.ErrorIs(t, err, gpconnect.ErrInvalidResource)

	assert.Empty(t, srv.Rejections(), "every request carried a valid JWT and SSP headers")
}

func TestConcurrentBookingOneWins(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	start, end := tomorrowRange()

	const consumers = 8
	sent := &sentIDs{}
	clients := make([]*gpconnect.Client, consumers)
	for i := range clients {
		clients[i] = newClient(t, srv, func(cfg *gpconnect.Config) { cfg.HTTPClient = sent.wrap(srv.Client()) })
	}
	res, err := clients[0].SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end})
	require.NoError(t, err)
	slot := res.Slots[3]
	pats := srv.Patients()

	var wg sync.WaitGroup
	errs := make([]error, consumers)
	for i := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[i]
			p, err := c.FindPatient(ctx, pats[i%len(pats)])
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = c.BookAppointment(ctx, gpconnect.BookRequest{
				PatientID: p.ID.Value, Slots: []stu3.Slot{slot}, LocationID: "1",
				Description: "Review", Organization: gpconnect.BookingOrganization{Name: "Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
			})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, gpconnect.ErrSlotAlreadyBooked)
		assert.ErrorIs(t, err, gpconnect.ErrDuplicateRejected)
		var ae *spine.APIError
		require.True(t, errors.As(err, &ae))
		assert.Equal(t, http.StatusConflict, ae.StatusCode)
		assert.Equal(t, "DUPLICATE_REJECTED", ae.Code)
		assert.Equal(t, gpconnect.InteractionCreateAppointment, ae.InteractionID)
		// The error carries the id the refused request was sent with, as
		// both X-Request-ID and Ssp-TraceID.
		assert.True(t, sent.has(ae.RequestID), "request id %q was not sent", ae.RequestID)
	}
	assert.Equal(t, 1, ok, "exactly one booking succeeds")
	assert.Equal(t, map[string]int{"booked": 1}, srv.Bookings())
	assert.Empty(t, srv.Rejections())
}

func TestProviderErrors(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()

	unknown, ok := nhsid.TestNHSNumber(900)
	require.True(t, ok)
	_, err := c.FindPatient(ctx, unknown)
	assert.ErrorIs(t, err, gpconnect.ErrPatientNotFound)

	_, err = c.ReadAppointment(ctx, "does-not-exist")
	assert.ErrorIs(t, err, gpconnect.ErrNoRecordFound)

	_, err = c.GetStructuredRecord(ctx, gpconnect.StructuredQuery{NHSNumber: unknown, Allergies: &gpconnect.AllergiesQuery{}})
	assert.ErrorIs(t, err, gpconnect.ErrPatientNotFound)

	nhs := srv.Patients()[1]
	srv.SetConsent(nhs, false)
	_, err = c.GetStructuredRecord(ctx, gpconnect.StructuredQuery{NHSNumber: nhs, Allergies: &gpconnect.AllergiesQuery{}})
	assert.ErrorIs(t, err, gpconnect.ErrNoPatientConsent)
	assert.NotContains(t, err.Error(), string(nhs))

	// Booking a slot that does not exist.
	p, err := c.FindPatient(ctx, srv.Patients()[0])
	require.NoError(t, err)
	_, err = c.BookAppointment(ctx, gpconnect.BookRequest{
		PatientID: p.ID.Value, LocationID: "1", Description: "x",
		Slots:        []stu3.Slot{{ID: stu3.ID{Value: "nope"}, Start: stu3.InstantOf(time.Now().Add(48 * time.Hour)), End: stu3.InstantOf(time.Now().Add(49 * time.Hour))}},
		Organization: gpconnect.BookingOrganization{Name: "Hub", ODSCode: "RR8", Phone: "1"},
	})
	assert.ErrorIs(t, err, gpconnect.ErrReferenceNotFound)
	assert.Empty(t, srv.Rejections())
}

func TestStructuredRecord(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	nhs := srv.Patients()[0]
	yes := true
	b, err := c.GetStructuredRecord(context.Background(), gpconnect.StructuredQuery{
		NHSNumber:     nhs,
		Allergies:     &gpconnect.AllergiesQuery{IncludeResolved: true},
		Medications:   &gpconnect.MedicationsQuery{From: time.Now().AddDate(-1, 0, 0), IncludeIssues: &yes},
		Problems:      []gpconnect.ProblemsQuery{{Status: "active"}},
		Immunisations: &gpconnect.ImmunisationsQuery{},
	})
	// Problems with a medication date filter is a forbidden combination.
	require.ErrorIs(t, err, gpconnect.ErrStructuredQuery)
	assert.Nil(t, b)

	b, err = c.GetStructuredRecord(context.Background(), gpconnect.StructuredQuery{
		NHSNumber:     nhs,
		Allergies:     &gpconnect.AllergiesQuery{IncludeResolved: true},
		Medications:   &gpconnect.MedicationsQuery{IncludeIssues: &yes},
		Problems:      []gpconnect.ProblemsQuery{{Status: "active", Significance: "major"}},
		Immunisations: &gpconnect.ImmunisationsQuery{},
	})
	require.NoError(t, err)
	counts := gpconnect.Count(b)
	assert.Equal(t, 1, counts["Patient"])
	assert.Equal(t, 4, counts["List"])
	assert.Equal(t, 1, counts["AllergyIntolerance"])
	assert.Equal(t, 1, counts["MedicationStatement"])
	assert.Equal(t, 1, counts["Condition"])
	assert.Equal(t, 1, counts["Immunization"])
	assert.Empty(t, srv.Rejections())
}

func TestSSPChecks(t *testing.T) {
	srv := gpconnecttest.NewServer(gpconnecttest.WithConsumerASIDs("200000000359"))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	wrongTo := newClient(t, srv, func(c *gpconnect.Config) { c.ProviderASID = "999999999999" })
	_, err := wrongTo.Metadata(ctx)
	assert.ErrorIs(t, err, gpconnect.ErrForbidden)

	unknownFrom := newClient(t, srv, func(c *gpconnect.Config) { c.ConsumerASID = "123" })
	_, err = unknownFrom.Metadata(ctx)
	assert.ErrorIs(t, err, gpconnect.ErrForbidden)

	// A client whose clock is 10 minutes slow sends an expired token.
	slow := newClient(t, srv, func(c *gpconnect.Config) { c.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) } })
	_, err = slow.Metadata(ctx)
	assert.ErrorIs(t, err, gpconnect.ErrBadRequest)

	// A client aimed at the right server under another base URL spelling
	// sends the wrong audience.
	other := newClient(t, srv, func(c *gpconnect.Config) { c.BaseURL = srv.URL + "/" })
	_, err = other.Metadata(ctx)
	assert.NoError(t, err, "a trailing slash is not part of the audience")

	assert.Len(t, srv.Rejections(), 3)
}

func TestSlotQueryRefusedBeforeSending(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	start, _ := tomorrowRange()
	_, err := c.SearchFreeSlots(context.Background(), gpconnect.SlotQuery{Start: start, End: start.AddDate(0, 0, 15)})
	assert.ErrorIs(t, err, gpconnect.ErrSlotQuery)
	_, err = c.SearchFreeSlots(context.Background(), gpconnect.SlotQuery{Start: start, End: start.AddDate(0, 0, -1)})
	assert.ErrorIs(t, err, gpconnect.ErrSlotQuery)
}

func TestBookRequestValidation(t *testing.T) {
	now := time.Now()
	slot := stu3.Slot{ID: stu3.ID{Value: "1"}, Start: stu3.InstantOf(now), End: stu3.InstantOf(now.Add(time.Hour)), Schedule: stu3.NewReference("Schedule", "1")}
	base := gpconnect.BookRequest{PatientID: "p", Slots: []stu3.Slot{slot}, LocationID: "1", Description: "d",
		Organization: gpconnect.BookingOrganization{Name: "n", ODSCode: "RR8", Phone: "1"}}
	tests := []struct {
		name string
		mod  func(*gpconnect.BookRequest)
	}{
		{"no patient", func(r *gpconnect.BookRequest) { r.PatientID = "" }},
		{"no slots", func(r *gpconnect.BookRequest) { r.Slots = nil }},
		{"no location", func(r *gpconnect.BookRequest) { r.LocationID = "" }},
		{"no description", func(r *gpconnect.BookRequest) { r.Description = "" }},
		{"long description", func(r *gpconnect.BookRequest) { r.Description = strings.Repeat("é", 101) }},
		{"long comment", func(r *gpconnect.BookRequest) { r.Comment = strings.Repeat("x", 501) }},
		{"no org phone", func(r *gpconnect.BookRequest) { r.Organization.Phone = "" }},
		{"no org ods code", func(r *gpconnect.BookRequest) { r.Organization.ODSCode = "" }},
		{"bad org ods code", func(r *gpconnect.BookRequest) { r.Organization.ODSCode = "rr-8" }},
		{"gap between slots", func(r *gpconnect.BookRequest) {
			s2 := slot
			s2.ID.Value = "2"
			s2.Start, s2.End = stu3.InstantOf(now.Add(time.Hour+time.Minute)), stu3.InstantOf(now.Add(2*time.Hour))
			r.Slots = append(r.Slots, s2)
		}},
		{"slots from two schedules", func(r *gpconnect.BookRequest) {
			s2 := slot
			s2.ID.Value = "2"
			s2.Start, s2.End = slot.End, stu3.InstantOf(now.Add(2*time.Hour))
			s2.Schedule = stu3.NewReference("Schedule", "2")
			r.Slots = append(r.Slots, s2)
		}},
		{"slot without an id", func(r *gpconnect.BookRequest) { r.Slots = []stu3.Slot{slot}; r.Slots[0].ID.Value = "" }},
		{"slot with a bad start", func(r *gpconnect.BookRequest) {
			r.Slots = []stu3.Slot{slot}
			r.Slots[0].Start.Value = "2026-06-01"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.mod(&r)
			_, err := gpconnect.NewAppointment(r, time.Now())
			assert.ErrorIs(t, err, gpconnect.ErrBookRequest)
		})
	}
	a, err := gpconnect.NewAppointment(base, time.Now())
	require.NoError(t, err)
	assert.Nil(t, a.Reason)
	org := a.BookingOrganization()
	require.NotNil(t, org)
	assert.Equal(t, nhsid.ODSCode("RR8"), org.ODSCode())
	assert.Equal(t, gpconnect.OrgTypeGPPractice, org.OrgType(), "the type defaults to gp-practice")
	assert.Equal(t, []stu3.URI{{Value: gpconnect.ProfileAppointment}}, a.Meta.Profile)
}

func TestJWT(t *testing.T) {
	r := requester()
	now := time.Unix(1_800_000_000, 0)
	claims, err := gpconnect.NewClaims(&r, "https://provider.example/A81001/STU3/1", gpconnect.ScopePatientRead, now)
	require.NoError(t, err)
	tok, err := claims.Token()
	require.NoError(t, err)

	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	assert.Empty(t, parts[2], "unsigned: the signature is empty and the token ends with a dot")
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"alg":"none","typ":"JWT"}`, string(hdr))
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	assert.Equal(t, "directcare", m["reason_for_request"])
	assert.Equal(t, float64(1_800_000_300), m["exp"])
	assert.Equal(t, "https://provider.example/A81001/STU3/1", m["aud"], "aud is a single string")
	assert.Equal(t, "u1", m["sub"])

	back, err := gpconnect.ParseToken(tok, now.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, claims.RequestingOrganization.ODSCode(), back.RequestingOrganization.ODSCode())

	_, err = gpconnect.ParseToken(tok, now.Add(6*time.Minute))
	assert.ErrorIs(t, err, gpconnect.ErrInvalidRequester, "expired")
	_, err = gpconnect.ParseToken(tok, now.Add(-6*time.Minute))
	assert.ErrorIs(t, err, gpconnect.ErrInvalidRequester, "issued in the future")

	_, err = gpconnect.NewClaims(&r, "aud", "patient/*.delete", now)
	assert.ErrorIs(t, err, gpconnect.ErrInvalidRequester)

	bad := requester()
	bad.Practitioner.LocalID = ""
	_, err = gpconnect.NewClaims(&bad, "aud", gpconnect.ScopePatientRead, now)
	assert.ErrorIs(t, err, gpconnect.ErrInvalidRequester, "the local user identifier is required")
	bad = requester()
	bad.OrganizationODS = "rr-8"
	_, err = gpconnect.NewClaims(&bad, "aud", gpconnect.ScopePatientRead, now)
	assert.ErrorIs(t, err, gpconnect.ErrInvalidRequester)

	// A signed token is refused: GP Connect tokens are unsigned.
	_, err = gpconnect.ParseToken("eyJhbGciOiJIUzI1NiJ9.e30.sig", now)
	assert.ErrorIs(t, err, gpconnect.ErrInvalidRequester)
	_, err = gpconnect.ParseToken("not a token", now)
	assert.ErrorIs(t, err, gpconnect.ErrInvalidRequester)
}

func FuzzParseToken(f *testing.F) {
	r := requester()
	c, _ := gpconnect.NewClaims(&r, "https://p", gpconnect.ScopePatientRead, time.Unix(1_800_000_000, 0))
	tok, _ := c.Token()
	f.Add(tok)
	f.Add("a.b.")
	// requesting_device of another resourceType, and a payload that is an array.
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyZXF1ZXN0aW5nX2RldmljZSI6eyJyZXNvdXJjZVR5cGUiOiJYIn19.")
	f.Add("eyJhbGciOiJub25lIn0.W10.")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := gpconnect.ParseToken(s, time.Unix(1_800_000_060, 0))
		if err == nil && (c == nil || c.Subject == "" || c.RequestingPractitioner == nil || c.Subject != c.RequestingPractitioner.ID.Value) {
			t.Fatalf("accepted a token without a subject matching requesting_practitioner.id")
		}
	})
}

func TestFreeSlotsSplitsLongRanges(t *testing.T) {
	srv := gpconnecttest.NewServer(gpconnecttest.WithDiary(30, 30*time.Minute))
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	start, _ := tomorrowRange()
	slots, err := c.FreeSlots(context.Background(), start, start.AddDate(0, 0, 30), "RR8")
	require.NoError(t, err)
	assert.Len(t, slots, srv.FreeSlots(), "a 30-day range is searched in 14-day windows without loss or duplicates")
	fs := slots[0]
	assert.Equal(t, nhsid.ODSCode("A81001"), fs.OrganizationODS)
	assert.True(t, fs.HasPosition)
	assert.Equal(t, "Dr Ada Okafor", fs.PractitionerName)
	assert.Equal(t, "General GP Appointment", fs.ServiceType)
	assert.Empty(t, srv.Rejections())
}

func TestSlotSourceWithAggregator(t *testing.T) {
	a := gpconnecttest.NewServer(gpconnecttest.WithODSCode("A81001"), gpconnecttest.WithASID("918999198993"))
	b := gpconnecttest.NewServer(gpconnecttest.WithODSCode("B82002"), gpconnecttest.WithASID("918999198994"))
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	srcA := &gpconnect.SlotSource{Client: newClient(t, a), Name: "A81001", BookingODS: "RR8"}
	srcB := &gpconnect.SlotSource{Client: newClient(t, b), Name: "B82002", BookingODS: "RR8"}
	agg := &booking.Aggregator{Sources: map[string]booking.SlotSource{"A81001": srcA, "B82002": srcB}}
	start, _ := tomorrowRange()
	res := agg.Search(context.Background(), booking.Query{Service: "gp", From: start, To: start.AddDate(0, 0, 7)})
	require.Empty(t, res.Failed())
	bySource := map[string]int{}
	for _, s := range res.Slots {
		bySource[s.Source]++
		require.True(t, s.Start.Before(start.AddDate(0, 0, 7)))
	}
	assert.Positive(t, bySource["A81001"])
	assert.Equal(t, bySource["A81001"], bySource["B82002"], "the two default diaries are alike")

	e := booking.NewEngine(res.Slots)
	require.NoError(t, e.Err())
	leeds := booking.LatLon{Lat: 53.80, Lon: -1.55}
	cands := e.Match(booking.Request{ID: "r", Service: "gp", Earliest: start, Origin: &leeds, MaxTravel: 30 * time.Minute,
		Modalities: []booking.Modality{booking.Telephone}}, 3)
	require.Len(t, cands, 3)
	fs, ok := srcA.Lookup(cands[0].SlotID)
	if !ok {
		fs, ok = srcB.Lookup(cands[0].SlotID)
	}
	require.True(t, ok)
	assert.Equal(t, "Telephone", fs.DeliveryChannel)
	assert.Empty(t, a.Rejections())
	assert.Empty(t, b.Rejections())
}

// sentIDs records the X-Request-ID of every request whose Ssp-TraceID is
// the same id.
type sentIDs struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *sentIDs) wrap(hc *http.Client) *http.Client {
	c := *hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if id := r.Header.Get("X-Request-ID"); id != "" && id == r.Header.Get(gpconnect.HeaderTraceID) {
			s.mu.Lock()
			if s.ids == nil {
				s.ids = map[string]bool{}
			}
			s.ids[id] = true
			s.mu.Unlock()
		}
		return base.RoundTrip(r)
	})
	return &c
}

func (s *sentIDs) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return id != "" && s.ids[id]
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The fake's shape and fault vocabulary: over TLS, a read is retried past
// a 503, and a booking refused with 500 is not re-sent.
func TestFakeTLSAndFaults(t *testing.T) {
	srv := gpconnecttest.NewUnstartedServer()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "https://"))
	c := newClient(t, srv, func(cfg *gpconnect.Config) { cfg.MaxAttempts = 2 })
	ctx := context.Background()

	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err := c.Metadata(ctx)
	require.NoError(t, err, "a read is retried")

	p, err := c.FindPatient(ctx, srv.Patients()[0])
	require.NoError(t, err)
	start, end := tomorrowRange()
	res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end})
	require.NoError(t, err)
	before := srv.Injected()
	srv.FailNext(2, http.StatusInternalServerError)
	_, err = c.BookAppointment(ctx, gpconnect.BookRequest{
		PatientID: p.ID.Value, Slots: res.Slots[:1], LocationID: "1",
		Description: "Review", Organization: gpconnect.BookingOrganization{Name: "Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	})
	var ae *spine.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusInternalServerError, ae.StatusCode)
	assert.ErrorIs(t, err, gpconnect.ErrInternalServerError)
	assert.Equal(t, 1, ae.Attempts, "a booking is sent once")
	assert.Equal(t, before+1, srv.Injected())
	assert.Equal(t, map[string]int{}, srv.Bookings())
}
