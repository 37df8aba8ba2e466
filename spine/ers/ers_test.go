package ers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/internal/fake"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/ers"
	"github.com/nhskit/nhskit/spine/ers/erstest"
)

const patient nhsid.NHSNumber = "9990000018"

var monday = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func slotAt(id string, day, hour int, clinician string) erstest.Slot {
	start := monday.AddDate(0, 0, day).Add(time.Duration(hour-9) * time.Hour)
	return erstest.Slot{ID: id, Start: start, End: start.Add(30 * time.Minute), Clinician: clinician}
}

// newFake has a directly bookable cardiology service with three slots
// (one with a named clinician), one with none, and an indirectly bookable
// one.
func newFake(t *testing.T, opts ...erstest.Option) *erstest.Server {
	t.Helper()
	f := erstest.NewServer(opts...)
	t.Cleanup(f.Close)
	f.AddService(erstest.Service{ID: "11000", Name: "Leeds Cardiology", Specialty: "CARDIOLOGY", ClinicType: "HEART_FAILURE", DirectlyBookable: true, Provider: "RR8", LocationName: "Leeds General", IndicativeWaitDays: 12})
	f.AddService(erstest.Service{ID: "12000", Name: "Wakefield Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RXF"})
	f.AddService(erstest.Service{ID: "13000", Name: "Bradford Cardiology", Specialty: "CARDIOLOGY", Provider: "RAE"})
	f.AddService(erstest.Service{ID: "14000", Name: "Leeds Dermatology", Specialty: "DERMATOLOGY", DirectlyBookable: true, Provider: "RR8"})
	f.AddSlots("11000", slotAt("1", 1, 14, ""), slotAt("2", 1, 15, "021600556514"), slotAt("3", 2, 10, ""))
	f.AddRole(erstest.Role{UserID: "021600556514", Organisation: "A81001", BusinessFunctions: []string{"REFERRING_CLINICIAN"}})
	return f
}

func newClient(t *testing.T, f *erstest.Server, mod ...func(*ers.Config)) *ers.Client {
	t.Helper()
	cfg := ers.Config{
		BaseURL: f.URL, HTTPClient: f.Client(),
		BusinessFunction: ers.ReferringClinician, Organisation: "A81001",
		Backoff: func(int) time.Duration { return time.Millisecond },
		// The default is e-RS's 10 per second; tests go faster.
		RequestsPerSecond: 1000, Burst: 100,
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := ers.New(cfg)
	require.NoError(t, err)
	return c
}

func criteria(c *ers.Client) ers.SearchCriteria {
	sp := c.Specialty("CARDIOLOGY")
	return ers.SearchCriteria{Priority: ers.Routine, Specialty: &sp}
}

func createReferral(t *testing.T, c *ers.Client, services ...string) *ers.Referral {
	t.Helper()
	r, err := c.CreateReferral(context.Background(), ers.NewReferral{Patient: patient, Criteria: criteria(c), Services: services})
	require.NoError(t, err)
	return r
}

func TestNewRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]ers.Config{
		"no base":          {},
		"relative base":    {BaseURL: "/FHIR"},
		"bad ODS":          {BaseURL: "http://x", Organisation: "a-1"},
		"negative rate":    {BaseURL: "http://x", RequestsPerSecond: -1},
		"obo without spca": {BaseURL: "http://x", BusinessFunction: ers.ReferringClinician, OnBehalfOfUserID: "1"},
		"spca without obo": {BaseURL: "http://x", BusinessFunction: ers.ServiceProviderClinicianAdmin},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ers.New(cfg)
			assert.ErrorIs(t, err, ers.ErrConfig)
		})
	}
}

func TestBusinessFunctions(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	roles, err := c.BusinessFunctions(context.Background())
	require.NoError(t, err)
	require.Len(t, roles, 1)
	assert.Equal(t, ers.Role{UserID: "021600556514", Organisation: "A81001", BusinessFunctions: []ers.BusinessFunction{ers.ReferringClinician}}, roles[0])
}

func TestSearchCreateBook(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()

	services, err := c.SearchServices(ctx, ers.ServiceSearch{Patient: patient, Criteria: criteria(c)})
	require.NoError(t, err)
	require.Len(t, services, 3)
	assert.Equal(t, "11000", services[0].ID)
	assert.Equal(t, "Leeds Cardiology", services[0].Name)
	assert.True(t, services[0].DirectlyBookable())
	assert.Equal(t, nhsid.ODSCode("RR8"), services[0].Location)
	assert.Equal(t, 12, services[0].IndicativeWaitDay)
	assert.False(t, services[2].DirectlyBookable())

	ref := createReferral(t, c, "11000", "12000")
	assert.True(t, ers.ValidUBRN(ref.UBRN))
	assert.Equal(t, 1, ref.Version)
	assert.Equal(t, "NOT_BOOKED", ref.State)
	assert.Equal(t, []string{"11000", "12000"}, ref.Shortlist)
	assert.Equal(t, patient, ref.Patient)

	actions, err := c.AvailableActions(ctx, ref.UBRN, ref.Version)
	require.NoError(t, err)
	assert.Contains(t, actions, ers.Action{Code: "CREATE_APPOINTMENT"})

	var slots []ers.Slot
	for s, err := range c.Slots(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, PageSize: 2, CommissioningRuleOrg: ref.CommissioningRuleOrg}) {
		require.NoError(t, err)
		slots = append(slots, s)
	}
	require.Len(t, slots, 3, "three slots over two pages")
	assert.Equal(t, "021600556514", slots[1].Clinician, "named clinician from the schedule")
	assert.Equal(t, "11000", slots[0].ServiceID)

	named, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, NamedClinician: "021600556514"})
	require.NoError(t, err)
	require.Len(t, named.Slots, 1)
	assert.Equal(t, "2", named.Slots[0].ID)

	// The slot with a named clinician is booked with the clinician as a
	// participant (type sent as one object, as e-RS expects).
	appt, err := c.Book(ctx, ers.Booking{UBRN: ref.UBRN, Version: ref.Version, ServiceID: "11000", Patient: patient, Slot: slots[1]})
	require.NoError(t, err)
	assert.Equal(t, "booked", appt.Status.Value)
	assert.True(t, ers.AppointmentStart(appt).Equal(slots[1].Start))
	require.Len(t, appt.Participant, 3)
	require.Len(t, appt.Participant[2].Type, 1, "single-object participant.type read")
	assert.Equal(t, "CON", appt.Participant[2].Type[0].Coding[0].Code.Value)
	assert.Equal(t, 2, f.FreeSlots("11000"), "the slot is consumed")

	got, err := c.Referral(ctx, ref.UBRN)
	require.NoError(t, err)
	assert.Equal(t, "BOOKED", got.State)
	assert.Equal(t, 2, got.Version)
	old, err := c.ReferralVersion(ctx, ref.UBRN, 1)
	require.NoError(t, err)
	assert.Equal(t, "NOT_BOOKED", old.State, "history keeps version 1")

	// Cancel the appointment: the slot is free again.
	a, err := c.Appointment(ctx, appt.ID.Value, 0)
	require.NoError(t, err)
	cancelled, err := c.CancelAppointment(ctx, a, "", "PATIENT_ILL", "")
	require.NoError(t, err)
	assert.Equal(t, "cancelled", cancelled.Status.Value)
	assert.Equal(t, 3, f.FreeSlots("11000"))
	_, err = c.CancelAppointment(ctx, a, "", "PATIENT_ILL", "")
	assert.ErrorIs(t, err, ers.ErrVersionMismatch, "a stale appointment version is a 409")
}

func TestBookTakenSlotThenDefer(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	r1 := createReferral(t, c, "11000")
	r2 := createReferral(t, c, "11000")
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	require.NoError(t, err)
	slot := page.Slots[0]
	_, err = c.Book(ctx, ers.Booking{UBRN: r1.UBRN, Version: r1.Version, ServiceID: "11000", Patient: patient, Slot: slot})
	require.NoError(t, err)

	_, err = c.Book(ctx, ers.Booking{UBRN: r2.UBRN, Version: r2.Version, ServiceID: "11000", Patient: patient, Slot: slot})
	require.ErrorIs(t, err, ers.ErrSlotNotAvailable)
	var ae *spine.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusUnprocessableEntity, ae.StatusCode)
	reason, ok := ers.DeferReasonFor(err)
	require.True(t, ok)
	assert.Equal(t, ers.DeferSlotGone, reason)

	// NO_SLOTS_AT_SERVICE is refused while slots remain.
	_, err = c.Defer(ctx, ers.Deferral{UBRN: r2.UBRN, Version: r2.Version, ServiceID: "11000", Patient: patient, Reason: ers.DeferNoSlots})
	assert.ErrorIs(t, err, ers.ErrSlotsCurrentlyAvailable)

	_, err = c.Defer(ctx, ers.Deferral{UBRN: r2.UBRN, Version: r2.Version, ServiceID: "11000", Patient: patient, Reason: reason, SlotID: slot.ID, Comment: "slot taken"})
	require.NoError(t, err)

	provider := newClient(t, f, func(cfg *ers.Config) {
		cfg.BusinessFunction, cfg.Organisation = ers.ServiceProviderClinician, "RR8"
	})
	var items []ers.WorklistItem
	for it, err := range provider.Worklist(ctx, ers.WorklistQuery{ListType: ers.AppointmentSlotIssues}) {
		require.NoError(t, err)
		items = append(items, it)
	}
	require.Len(t, items, 1)
	assert.Equal(t, r2.UBRN, items[0].UBRN)
	assert.Equal(t, ers.DeferSlotGone, items[0].Reason)
	assert.Equal(t, patient, items[0].Patient)
	assert.Equal(t, "*** *** 0018", items[0].Patient.String(), "the patient prints masked")

	other := newClient(t, f, func(cfg *ers.Config) {
		cfg.BusinessFunction, cfg.Organisation = ers.ServiceProviderClinician, "RXF"
	})
	n := 0
	for _, err := range other.Worklist(ctx, ers.WorklistQuery{ListType: ers.AppointmentSlotIssues}) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "another provider's worklist does not hold it")
}

func TestDeferNoSlots(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	r := createReferral(t, c, "12000")
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "12000", Priority: ers.Routine})
	require.NoError(t, err)
	assert.Empty(t, page.Slots)
	a, err := c.Defer(ctx, ers.Deferral{UBRN: r.UBRN, Version: r.Version, ServiceID: "12000", Patient: patient, Reason: ers.DeferNoSlots})
	require.NoError(t, err)
	assert.Equal(t, "proposed", a.Status.Value)
	ubrn, v := ers.AppointmentReferral(a)
	assert.Equal(t, r.UBRN, ubrn)
	assert.Equal(t, 2, v)
	state, _, _ := f.ReferralState(r.UBRN)
	assert.Equal(t, "DEFERRED_TO_PROVIDER", state)
}

func TestLocalRefusals(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	before := f.Requests()
	twentyOne := make([]string, 21)
	for i := range twentyOne {
		twentyOne[i] = string(rune('1'+i%9)) + "000" + string(rune('0'+i/9))
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"bad NHS number", func() error {
			_, err := c.SearchServices(ctx, ers.ServiceSearch{Patient: "9990000019", Criteria: criteria(c)})
			return err
		}, ers.ErrInvalidInput},
		{"bad priority", func() error {
			_, err := c.SearchServices(ctx, ers.ServiceSearch{Patient: patient, Criteria: ers.SearchCriteria{Priority: "SOON"}})
			return err
		}, ers.ErrInvalidInput},
		{"21 services", func() error {
			_, err := c.HealthcareServices(ctx, twentyOne...)
			return err
		}, ers.ErrInvalidInput},
		{"duplicate shortlist", func() error {
			_, err := c.CreateReferral(ctx, ers.NewReferral{Patient: patient, Criteria: criteria(c), Services: []string{"11000", "11000"}})
			return err
		}, ers.ErrDuplicateService},
		{"bad UBRN", func() error { _, err := c.Referral(ctx, "12345"); return err }, ers.ErrInvalidInput},
		{"page size", func() error {
			_, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, PageSize: 101})
			return err
		}, ers.ErrInvalidInput},
		{"defer reason", func() error {
			_, err := c.Defer(ctx, ers.Deferral{UBRN: "000000070000", Version: 1, ServiceID: "11000", Patient: patient, Reason: "PATIENT_PREFERS"})
			return err
		}, ers.ErrDeferNotAllowed},
		{"slot gone without slot", func() error {
			_, err := c.Defer(ctx, ers.Deferral{UBRN: "000000070000", Version: 1, ServiceID: "11000", Patient: patient, Reason: ers.DeferSlotGone})
			return err
		}, ers.ErrInvalidInput},
		{"attachment id", func() error { _, err := c.Attachment(ctx, "../etc/passwd"); return err }, ers.ErrInvalidInput},
		{"file name", func() error {
			_, err := c.UploadFile(ctx, "000000070000", "../l\u00e9tter.pdf", "application/pdf", []byte("x"))
			return err
		}, ers.ErrInvalidInput},
		{"file too large", func() error {
			_, err := c.UploadFile(ctx, "000000070000", "a.pdf", "application/pdf", make([]byte, ers.MaxFileBytes+1))
			return err
		}, ers.ErrFileSizeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.ErrorIs(t, err, tt.want)
			var re *ers.RefusedError
			assert.ErrorAs(t, err, &re)
		})
	}
	assert.Equal(t, before, f.Requests(), "nothing was sent")
}

func TestRolesAndAccessModes(t *testing.T) {
	f := newFake(t, erstest.WithAppToken("app-token"), erstest.WithUserToken("user-token"))
	ctx := context.Background()

	// Refused locally: a provider role on a referrer's endpoint.
	provider := newClient(t, f, func(cfg *ers.Config) {
		cfg.Tokens, cfg.BusinessFunction = spine.StaticToken("user-token"), ers.ServiceProviderClinician
	})
	_, err := provider.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	assert.ErrorIs(t, err, ers.ErrRoleNotAllowed)

	// Refused locally: application-restricted access to a user-only endpoint.
	app := newClient(t, f, func(cfg *ers.Config) {
		cfg.Tokens, cfg.Access = spine.StaticToken("app-token"), ers.AppRestricted
	})
	_, err = app.SearchServices(ctx, ers.ServiceSearch{Patient: patient, Criteria: criteria(app)})
	assert.ErrorIs(t, err, ers.ErrUserRestrictedOnly)
	// …but reaching the ones open to it, without the role headers R4 does
	// not allow them (configured here, not sent).
	app = newClient(t, f, func(cfg *ers.Config) {
		cfg.Tokens, cfg.Access = spine.StaticToken("app-token"), ers.AppRestricted
	})
	svc, err := app.HealthcareService(ctx, "11000")
	require.NoError(t, err)
	assert.Equal(t, "Leeds Cardiology", svc.Name)
	require.NotEmpty(t, svc.Types, "single-object HealthcareService.type read")
	assert.Equal(t, "HEART_FAILURE", svc.Types[0].Code.Value)

	// The fake refuses what the client was told not to check: a wrong
	// token, and an app token on a user-only endpoint (client believes it
	// is user-restricted).
	bad := newClient(t, f, func(cfg *ers.Config) { cfg.Tokens = spine.StaticToken("nope") })
	_, err = bad.Referral(ctx, "000000070000")
	assert.ErrorIs(t, err, spine.HTTPStatus(http.StatusUnauthorized))
	lying := newClient(t, f, func(cfg *ers.Config) { cfg.Tokens = spine.StaticToken("app-token") })
	_, err = lying.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	assert.ErrorIs(t, err, ers.ErrForbidden)

	// A SERVICE_PROVIDER_CLINICIAN_ADMIN acts on behalf of a clinician.
	spca, err := provider.WithBusinessFunction(ers.ServiceProviderClinicianAdmin, "RR8", "021600556514")
	require.NoError(t, err)
	for _, err := range spca.Worklist(ctx, ers.WorklistQuery{ListType: ers.AwaitingBooking}) {
		require.NoError(t, err)
	}
	_, err = provider.WithBusinessFunction(ers.ServiceProviderClinicianAdmin, "RR8", "")
	assert.ErrorIs(t, err, ers.ErrConfig)
}

func TestVersionConflictAndLock(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	r := createReferral(t, c, "11000")
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	require.NoError(t, err)

	_, err = c.Book(ctx, ers.Booking{UBRN: r.UBRN, Version: r.Version + 1, ServiceID: "11000", Patient: patient, Slot: page.Slots[0]})
	require.ErrorIs(t, err, ers.ErrVersionMismatch)
	assert.ErrorIs(t, err, spine.HTTPStatus(http.StatusConflict))

	f.Lock(r.UBRN)
	_, err = c.CancelReferral(ctx, r.UBRN, r.Version, "", "RAISED_IN_ERROR", "")
	require.ErrorIs(t, err, ers.ErrLocked)

	// RetryLocked re-reads and retries; the lock is released meanwhile.
	var calls atomic.Int32
	err = c.RetryLocked(ctx, r.UBRN, func(ctx context.Context, cur *ers.Referral) error {
		if calls.Add(1) == 2 {
			f.Unlock(r.UBRN)
		}
		_, err := c.CancelReferral(ctx, cur.UBRN, cur.Version, "", "RAISED_IN_ERROR", "")
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, int32(2), calls.Load(), "the locked attempt, then the one after the lock went")
	state, _, _ := f.ReferralState(r.UBRN)
	assert.Equal(t, "CANCELLED", state)

	f.Lock(r.UBRN)
	err = c.RetryLocked(ctx, r.UBRN, func(ctx context.Context, cur *ers.Referral) error {
		_, err := c.CancelReferral(ctx, cur.UBRN, cur.Version, "", "RAISED_IN_ERROR", "")
		return err
	})
	assert.ErrorIs(t, err, ers.ErrLocked, "gives up after MaxAttempts")
}

func TestRateLimit429(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	r := createReferral(t, c, "12000")
	// POST (not retried by the transport): retried here after the backoff.
	f.FailNext(2, http.StatusTooManyRequests)
	_, err := c.Defer(ctx, ers.Deferral{UBRN: r.UBRN, Version: r.Version, ServiceID: "12000", Patient: patient, Reason: ers.DeferNoSlots})
	require.NoError(t, err)
	// GET: retried by the transport.
	f.FailNext(2, http.StatusTooManyRequests)
	_, err = c.Referral(ctx, r.UBRN)
	require.NoError(t, err)
	// Past MaxAttempts: ErrRateLimited.
	f.FailNext(10, http.StatusTooManyRequests)
	_, err = c.Referral(ctx, r.UBRN)
	assert.ErrorIs(t, err, ers.ErrRateLimited)
}

func TestFakeRateLimit(t *testing.T) {
	f := newFake(t, erstest.WithRateLimit(1, 1))
	c := newClient(t, f, func(cfg *ers.Config) { cfg.RequestsPerSecond = 1000; cfg.Burst = 100; cfg.MaxAttempts = 1 })
	ctx := context.Background()
	var limited int
	for range 5 {
		if _, err := c.HealthcareService(ctx, "11000"); errors.Is(err, ers.ErrRateLimited) {
			limited++
		}
	}
	assert.GreaterOrEqual(t, limited, 3)
}

func TestPASErrors(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	require.NoError(t, err)
	for _, tt := range []struct {
		pas        erstest.PAS
		code       error
		deferrable bool
	}{
		{erstest.PASError, ers.ErrPASRespondedWithError, false},
		{erstest.PASTimeout, ers.ErrPASNotResponding, true},
	} {
		r := createReferral(t, c, "11000")
		f.SetPAS("11000", tt.pas)
		_, err := c.Book(ctx, ers.Booking{UBRN: r.UBRN, Version: r.Version, ServiceID: "11000", Patient: patient, Slot: page.Slots[0]})
		require.ErrorIs(t, err, tt.code)
		assert.ErrorIs(t, err, ers.ErrPAS)
		reason, ok := ers.DeferReasonFor(err)
		assert.Equal(t, tt.deferrable, ok)
		if ok {
			assert.Equal(t, ers.DeferBookingProblem, reason)
		}
	}
	assert.Equal(t, 3, f.FreeSlots("11000"), "a failed booking consumes nothing")
}

func TestLettersAndAttachments(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	r := createReferral(t, c, "11000")
	bin, err := c.UploadFile(ctx, r.UBRN, "letter.pdf", "application/pdf", []byte("%PDF-1.4 letter"))
	require.NoError(t, err)
	assert.Regexp(t, `^Binary/[0-9a-f-]{36}$`, bin)
	r2, err := c.MaintainReferralLetter(ctx, r.UBRN, r.Version, ers.Letter{Binary: bin, Description: "referral letter"})
	require.NoError(t, err)
	assert.Equal(t, r.Version+1, r2.Version)
	_, err = c.MaintainReferralLetter(ctx, r.UBRN, r2.Version, ers.Letter{Binary: "Binary/0b0f0c0d-7ed1-4587-8fce-889c8685eb54"})
	assert.ErrorIs(t, err, ers.ErrReferenceNotFound)

	id := bin[len("Binary/"):]
	att, err := c.Attachment(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 letter", string(att.Data))
	// Each A042 call gets a fresh single-use link.
	att2, err := c.Attachment(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, att.Data, att2.Data)
	_, err = c.Attachment(ctx, "0b0f0c0d-7ed1-4587-8fce-889c8685eb54")
	assert.ErrorIs(t, err, ers.ErrRecNotFound)

	pdf, err := c.ClinicalInformation(ctx, r.UBRN)
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "%PDF")

	srs, err := c.ServiceRequests(ctx, r.UBRN)
	require.NoError(t, err)
	require.Len(t, srs, 1)
	assert.Equal(t, r.UBRN, srs[0].UBRN)
	assert.Equal(t, "referral", srs[0].Category)
}

func TestHealthcareServices(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	got, err := c.HealthcareServices(context.Background(), "11000", "13000", "99999")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, nhsid.ODSCode("RAE"), got[1].ProvidedBy)
	_, err = c.HealthcareService(context.Background(), "99999")
	assert.ErrorIs(t, err, ers.ErrRecNotFound)
}

func TestFaultsAndContext(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, func(cfg *ers.Config) { cfg.MaxAttempts = 2 })
	f.Inject(fake.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "0"}, fake.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "0"})
	_, err := c.HealthcareService(context.Background(), "11000")
	assert.ErrorIs(t, err, spine.HTTPStatus(http.StatusServiceUnavailable))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.HealthcareService(ctx, "11000")
	assert.ErrorIs(t, err, context.Canceled)
	//nolint:staticcheck // a nil context is refused, not a panic
	_, err = c.HealthcareService(nil, "11000") //lint:ignore SA1012 testing the refusal
	assert.Error(t, err)
}

// Two clients race to book the last slot, round after round: one wins,
// the other gets SLOT_NOT_AVAILABLE and takes the deferral path onto the
// provider's worklist, from which the provider books it into the next slot
// that frees.
func TestRaceForLastSlot(t *testing.T) {
	f := newFake(t)
	f.AddService(erstest.Service{ID: "15000", Name: "Last Slot Clinic", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RR8"})
	ctx := context.Background()
	clients := []*ers.Client{newClient(t, f), newClient(t, f)}
	for round := range 10 {
		last := slotAt(fmt.Sprintf("last-%d", round), 3+round, 14, "")
		f.AddSlots("15000", last)
		refs := []*ers.Referral{createReferral(t, clients[0], "15000"), createReferral(t, clients[1], "15000")}
		slot := ers.Slot{ID: last.ID, Start: last.Start, End: last.End}

		errs := make([]error, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = clients[i].Book(ctx, ers.Booking{UBRN: refs[i].UBRN, Version: refs[i].Version, ServiceID: "15000", Patient: patient, Slot: slot})
			}()
		}
		close(start)
		wg.Wait()
		winner := slices.IndexFunc(errs, func(e error) bool { return e == nil })
		require.NotEqual(t, -1, winner, "round %d: one wins", round)
		loser := 1 - winner
		require.ErrorIs(t, errs[loser], ers.ErrSlotNotAvailable, "round %d", round)
		reason, ok := ers.DeferReasonFor(errs[loser])
		require.True(t, ok)
		_, err := clients[loser].Defer(ctx, ers.Deferral{UBRN: refs[loser].UBRN, Version: refs[loser].Version, ServiceID: "15000", Patient: patient, Reason: reason, SlotID: last.ID})
		require.NoError(t, err)
		assert.Zero(t, f.FreeSlots("15000"), "round %d: the slot is booked once", round)

		// The waiting-list path: a slot frees and the provider books the
		// deferred referral into it.
		freed := slotAt(fmt.Sprintf("freed-%d", round), 3+round, 16, "")
		f.AddSlots("15000", freed)
		require.True(t, f.BookDeferred(refs[loser].UBRN, freed.ID))
		for i := range 2 {
			state, _, _ := f.ReferralState(refs[i].UBRN)
			assert.Equal(t, "BOOKED", state, "round %d, client %d", round, i)
		}
	}
}

func TestParseTestdata(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		return b
	}
	p, err := ers.ParseSlotBundle(read("slots.json"))
	require.NoError(t, err)
	require.Len(t, p.Slots, 1)
	assert.Equal(t, ers.Slot{ID: "1", Start: time.Date(2026, 12, 8, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 8, 14, 30, 0, 0, time.UTC),
		ScheduleID: "s", ServiceID: "11000", Clinician: "021600556514", Status: "free"}, p.Slots[0])
	assert.Equal(t, 2, p.Total)
	assert.Equal(t, 1, p.Next)

	items, err := ers.ParseWorklist(read("worklist.json"))
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, "900000000001", items[0].UBRN)
	assert.Equal(t, ers.DeferNoSlots, items[0].Reason)
	assert.Equal(t, 2026, items[0].PathwayStart.Year())

	r, err := ers.ParseReferral(read("referral.json"))
	require.NoError(t, err)
	assert.Equal(t, 3, r.Version)
	assert.Equal(t, nhsid.ODSCode("R69"), r.CommissioningRuleOrg)
	assert.Equal(t, []string{"11000"}, r.Shortlist)

	for _, bad := range []string{`{`, `{"resourceType":"Patient"}`, `{"resourceType":"ReferralRequest","meta":{"versionId":"-1"}}`} {
		_, err := ers.ParseReferral([]byte(bad))
		assert.Error(t, err, bad)
	}
	_, err = ers.ParseWorklist([]byte(`{"resourceType":"List","entry":[{"item":{"reference":"Patient/1"}}]}`))
	assert.ErrorContains(t, err, "entry[0]")
	_, err = ers.ParseSlotBundle([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Slot","start":"soon"}}]}`))
	assert.ErrorContains(t, err, "entry[0]")
}

// TestSingleObjectParticipantType: e-RS's Appointment.participant.type is
// one object (a known issue of A016); it is read as FHIR's array whether an
// object or an array arrives, and sent as the object e-RS expects.
func TestSingleObjectParticipantType(t *testing.T) {
	a, err := ers.ParseAppointment([]byte(`{"resourceType":"Appointment","status":"booked","participant":[{"type":{"coding":[{"code":"CON"}]},"status":"accepted"}]}`))
	require.NoError(t, err)
	require.Len(t, a.Participant[0].Type, 1)
	assert.Equal(t, "CON", a.Participant[0].Type[0].Coding[0].Code.Value)
	b, err := ers.ParseAppointment([]byte(`{"resourceType":"Appointment","status":"booked","participant":[{"type":[{"coding":[{"code":"CON"}]},{"coding":[{"code":"ATND"}]}],"status":"accepted"}]}`))
	require.NoError(t, err)
	assert.Len(t, b.Participant[0].Type, 2)
	_, err = ers.ParseAppointment([]byte(`{"resourceType":"Appointment","participant":[{"type":"CON"}]}`))
	assert.ErrorIs(t, err, stu3.ErrType, "neither an object nor an array")
	_, err = ers.ParseAppointment([]byte(`{"resourceType":"Appointment","participant":[{"type":{"coding":[{"code":"CON"}]}`))
	assert.Error(t, err, "truncated")

	// Book sends the clinician participant's type as one object.
	f := newFake(t)
	var sent []byte
	c := newClient(t, f, func(cfg *ers.Config) {
		cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/STU3/Appointment") {
				sent, _ = io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(sent))
			}
			return http.DefaultTransport.RoundTrip(r)
		})}
	})
	ctx := context.Background()
	ref := createReferral(t, c, "11000")
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, NamedClinician: "021600556514"})
	require.NoError(t, err)
	require.Len(t, page.Slots, 1)
	_, err = c.Book(ctx, ers.Booking{UBRN: ref.UBRN, Version: ref.Version, ServiceID: "11000", Patient: patient, Slot: page.Slots[0]})
	require.NoError(t, err)
	var body struct {
		Participant []map[string]json.RawMessage `json:"participant"`
	}
	require.NoError(t, json.Unmarshal(sent, &body), "%s", sent)
	require.Len(t, body.Participant, 3)
	assert.JSONEq(t, `{"coding":[{"system":"http://hl7.org/fhir/ValueSet/encounter-participant-type","code":"CON"}]}`, string(body.Participant[2]["type"]))
	assert.NotContains(t, body.Participant[0], "type")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestReferenceDataLetterShortlistOBO(t *testing.T) {
	f := newFake(t)
	f.AddOnBehalfOfUser("021600556514")
	c := newClient(t, f)
	ctx := context.Background()
	cs, err := c.ReferenceData(ctx, "REFERRAL-CANCELLATION-REASON")
	require.NoError(t, err)
	assert.Contains(t, cs, ers.Concept{Code: "RAISED_IN_ERROR", Display: "Raised in error", EffectiveFrom: "2004-06-01"})
	_, err = c.ReferenceData(ctx, "../Slot")
	assert.ErrorIs(t, err, ers.ErrInvalidInput)
	_, err = c.ReferenceData(ctx, "NOTHING")
	assert.ErrorIs(t, err, spine.HTTPStatus(http.StatusNotFound))

	r := createReferral(t, c, "11000")
	pdf, err := c.PatientLetter(ctx, r.UBRN)
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "%PDF")

	r2, err := c.ChangeShortlist(ctx, r.UBRN, r.Version, ers.ShortlistChange{Criteria: criteria(c), Services: []string{"12000", "13000"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"12000", "13000"}, r2.Shortlist)
	assert.Equal(t, r.Version+1, r2.Version)
	_, err = c.ChangeShortlist(ctx, r.UBRN, r.Version, ers.ShortlistChange{Criteria: criteria(c), Services: []string{"11000"}})
	assert.ErrorIs(t, err, ers.ErrVersionMismatch)
	_, err = c.ChangeShortlist(ctx, r.UBRN, r2.Version, ers.ShortlistChange{Criteria: criteria(c), Services: []string{"99999"}})
	assert.ErrorIs(t, err, ers.ErrReferenceNotFound)

	users, err := c.OnBehalfOfUsers(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"021600556514"}, users)
	spca, err := c.WithBusinessFunction(ers.ServiceProviderClinicianAdmin, "RR8", users[0])
	require.NoError(t, err)
	_, err = spca.Referral(ctx, r.UBRN)
	require.NoError(t, err)
}

func TestAdviceAndGuidance(t *testing.T) {
	f := newFake(t)
	f.AddService(erstest.Service{ID: "11014", Name: "Cardiology Advice", Specialty: "CARDIOLOGY", Provider: "RR8"})
	c := newClient(t, f)
	ctx := context.Background()
	_, err := c.CreateAdviceRequest(ctx, ers.AdviceRequest{Patient: patient, Criteria: criteria(c), ServiceID: "11014"})
	assert.ErrorIs(t, err, ers.ErrInvalidInput, "no question")
	bin, err := c.UploadFile(ctx, "900000000000", "ecg.pdf", "application/pdf", []byte("%PDF ecg"))
	require.NoError(t, err)
	a, err := c.CreateAdviceRequest(ctx, ers.AdviceRequest{Patient: patient, Criteria: criteria(c), ServiceID: "11014", Request: "Is this ECG a concern?", ConversionAuthorised: true,
		Attachments: []ers.Letter{{Binary: bin, Description: "ECG"}}})
	require.NoError(t, err)
	assert.True(t, ers.ValidUBRN(a.UBRN))
	assert.True(t, a.ConversionAuthorised)
	assert.Equal(t, patient, a.Patient)

	provider := newClient(t, f, func(cfg *ers.Config) { cfg.BusinessFunction, cfg.Organisation = ers.ServiceProviderClinician, "RR8" })
	var items []ers.AdviceItem
	for it, err := range provider.AdviceWorklist(ctx) {
		require.NoError(t, err)
		items = append(items, it)
	}
	require.Len(t, items, 1)
	assert.Equal(t, a.UBRN, items[0].UBRN)
	assert.Equal(t, "PROVIDER_RESPONSE_REQUIRED", items[0].Category)
	got, err := provider.AdviceVersion(ctx, a.UBRN, 1)
	require.NoError(t, err)
	assert.Equal(t, "CARDIOLOGY", got.Specialty)
	pdf, err := provider.AdviceOverview(ctx, a.UBRN)
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "%PDF")
	for _, err := range c.AdviceWorklist(ctx) {
		assert.ErrorIs(t, err, ers.ErrRoleNotAllowed, "a referrer has no advice worklist")
	}

	_, err = provider.SendAdviceResponse(ctx, a.UBRN, a.Version, ers.AdviceResponse{Outcome: "MAYBE", Guidance: "x"})
	assert.ErrorIs(t, err, ers.ErrInvalidInput)
	updated, err := provider.SendAdviceResponse(ctx, a.UBRN, a.Version, ers.AdviceResponse{Outcome: ers.RequireFurtherInformation, Guidance: "Please send the blood results", UpdatedPriority: ers.Urgent})
	require.NoError(t, err)
	assert.Equal(t, a.Version+1, updated.Version)
	assert.Equal(t, ers.Urgent, updated.Priority)
	_, err = provider.SendAdviceResponse(ctx, a.UBRN, a.Version, ers.AdviceResponse{Outcome: ers.RequireFurtherInformation, Guidance: "again"})
	assert.ErrorIs(t, err, ers.ErrVersionMismatch)
	msgs, err := c.AdviceConversation(ctx, a.UBRN, updated.Version)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.Equal(t, "REQUESTER", msgs[0].SentBy)
	assert.Equal(t, "Is this ECG a concern?", msgs[0].Text)
	assert.Equal(t, "RESPONDER", msgs[1].SentBy)
	n := 0
	for _, err := range provider.AdviceWorklist(ctx) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "answered requests leave the provider's worklist")
}

func TestAcceptReject(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	r := createReferral(t, c, "11000")
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	require.NoError(t, err)
	_, err = c.Book(ctx, ers.Booking{UBRN: r.UBRN, Version: r.Version, ServiceID: "11000", Patient: patient, Slot: page.Slots[0]})
	require.NoError(t, err)
	provider := newClient(t, f, func(cfg *ers.Config) { cfg.BusinessFunction, cfg.Organisation = ers.ServiceProviderClinician, "RR8" })
	_, err = c.AcceptReferral(ctx, r.UBRN, 2)
	assert.ErrorIs(t, err, ers.ErrRoleNotAllowed, "a referrer cannot accept")
	acc, err := provider.AcceptReferral(ctx, r.UBRN, 2)
	require.NoError(t, err)
	assert.Equal(t, 3, acc.Version)
	_, err = provider.RejectReferral(ctx, r.UBRN, 3, "", "SERVICE_INAPPROPRIATE", "")
	assert.ErrorIs(t, err, ers.ErrInvalidInput, "a comment is required")
	rej, err := provider.RejectReferral(ctx, r.UBRN, 3, "", "SERVICE_INAPPROPRIATE", "wrong clinic")
	require.NoError(t, err)
	assert.Equal(t, "REJECTED", rej.State)
	assert.Equal(t, 3, f.FreeSlots("11000"), "the rejected booking's slot is free again")

	// A seeded deferral is on the provider's worklist.
	f.AddReferral(erstest.Referral{UBRN: "900000000077", Patient: patient, Services: []string{"12000"}, DeferredTo: "12000"})
	other := newClient(t, f, func(cfg *ers.Config) { cfg.BusinessFunction, cfg.Organisation = ers.ServiceProviderClinician, "RXF" })
	n := 0
	for it, err := range other.Worklist(ctx, ers.WorklistQuery{ListType: ers.AppointmentSlotIssues, ServiceID: "12000"}) {
		require.NoError(t, err)
		assert.Equal(t, "900000000077", it.UBRN)
		n++
	}
	assert.Equal(t, 1, n)
}

// Nothing logged by a whole flow carries an NHS number.
func TestLogsCarryNoNHSNumber(t *testing.T) {
	f := newFake(t)
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, f, func(cfg *ers.Config) { cfg.Logger = logger })
	ctx := context.Background()
	services, err := c.SearchServices(ctx, ers.ServiceSearch{Patient: patient, Criteria: criteria(c)})
	require.NoError(t, err)
	r := createReferral(t, c, services[0].ID)
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: services[0].ID, Priority: ers.Routine})
	require.NoError(t, err)
	_, err = c.Book(ctx, ers.Booking{UBRN: r.UBRN, Version: r.Version, ServiceID: services[0].ID, Patient: patient, Slot: page.Slots[0]})
	require.NoError(t, err)
	_, err = c.Book(ctx, ers.Booking{UBRN: r.UBRN, Version: r.Version, ServiceID: services[0].ID, Patient: patient, Slot: page.Slots[0]})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), string(patient))
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, buf.String(), "the flow was logged")
	assert.NotContains(t, buf.String(), string(patient))
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

func TestCreateReferralForTriage(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	_, err := c.CreateReferralForTriage(ctx, ers.NewReferral{Patient: patient, Criteria: criteria(c), Services: []string{"11000"}})
	assert.ErrorIs(t, err, ers.ErrInappropriateValue, "a directly bookable service does not triage")
	r, err := c.CreateReferralForTriage(ctx, ers.NewReferral{Patient: patient, Criteria: criteria(c), Services: []string{"13000"}})
	require.NoError(t, err)
	assert.Equal(t, "SENT_FOR_TRIAGE", r.State)
	_, err = c.Defer(ctx, ers.Deferral{UBRN: r.UBRN, Version: r.Version, ServiceID: "13000", Patient: patient, Reason: ers.DeferTriage})
	assert.ErrorIs(t, err, ers.ErrInvalidState, "already with the triage service")
}

func TestProviderActions(t *testing.T) {
	f := newFake(t)
	f.AddService(erstest.Service{ID: "11014", Name: "Cardiology Advice", Specialty: "CARDIOLOGY", Provider: "RR8"})
	c := newClient(t, f)
	provider := newClient(t, f, func(cfg *ers.Config) { cfg.BusinessFunction, cfg.Organisation = ers.ServiceProviderClinician, "RR8" })
	ctx := context.Background()

	// A022: the provider cancels a booking to rebook it later.
	r := createReferral(t, c, "11000")
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	require.NoError(t, err)
	_, err = c.Book(ctx, ers.Booking{UBRN: r.UBRN, Version: r.Version, ServiceID: "11000", Patient: patient, Slot: page.Slots[0]})
	require.NoError(t, err)
	_, err = provider.CancelAppointmentActionLater(ctx, r.UBRN, 2, ers.ActionLater{})
	assert.ErrorIs(t, err, ers.ErrInvalidInput, "comments are required")
	later, err := provider.CancelAppointmentActionLater(ctx, r.UBRN, 2, ers.ActionLater{Comments: "clinic closed; please rebook", Priority: ers.Urgent})
	require.NoError(t, err)
	assert.Equal(t, "DEFERRED_TO_PROVIDER", later.State)
	assert.Equal(t, ers.Urgent, later.Priority)
	assert.Equal(t, 3, f.FreeSlots("11000"))

	// A028: triage.
	tr, err := c.CreateReferralForTriage(ctx, ers.NewReferral{Patient: patient, Criteria: criteria(c), Services: []string{"13000"}})
	require.NoError(t, err)
	done, err := provider.RecordTriageOutcome(ctx, tr.UBRN, tr.Version, ers.TriageOutcome{Priority: ers.Urgent, Outcome: ers.ReviewAcceptBookLater, Comments: "book soon"})
	require.NoError(t, err)
	assert.Equal(t, "DEFERRED_TO_PROVIDER", done.State)
	_, err = provider.RecordTriageOutcome(ctx, tr.UBRN, done.Version, ers.TriageOutcome{Outcome: ers.ReviewReturnWithAdvice, Comments: "again"})
	assert.ErrorIs(t, err, ers.ErrInvalidState, "triaged once")

	// A027: an authorised advice request becomes a referral, once.
	adv, err := c.CreateAdviceRequest(ctx, ers.AdviceRequest{Patient: patient, Criteria: criteria(c), ServiceID: "11014", Request: "Refer?", ConversionAuthorised: true})
	require.NoError(t, err)
	ref, err := provider.ConvertAdviceToReferral(ctx, ers.Conversion{UBRN: adv.UBRN, Version: adv.Version, Guidance: "referring on", Priority: ers.Routine})
	require.NoError(t, err)
	assert.Equal(t, []string{"11014"}, ref.Shortlist)
	assert.Equal(t, "NOT_BOOKED", ref.State)
	_, err = provider.ConvertAdviceToReferral(ctx, ers.Conversion{UBRN: adv.UBRN, Version: adv.Version, Guidance: "again", Priority: ers.Routine})
	assert.ErrorIs(t, err, ers.ErrVersionMismatch)
	notAuth, err := c.CreateAdviceRequest(ctx, ers.AdviceRequest{Patient: patient, Criteria: criteria(c), ServiceID: "11014", Request: "Advice only"})
	require.NoError(t, err)
	_, err = provider.ConvertAdviceToReferral(ctx, ers.Conversion{UBRN: notAuth.UBRN, Version: notAuth.Version, Guidance: "x", Priority: ers.Routine})
	assert.ErrorIs(t, err, ers.ErrInvalidState, "not authorised to convert")
}

// renewing is a spine.Renewer whose first token the fake refuses.
type renewing struct {
	mu      sync.Mutex
	current string
	renewed int
}

func (r *renewing) Token(context.Context) (spine.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return spine.Token{AccessToken: r.current, Expiry: time.Now().Add(time.Hour)}, nil
}

func (r *renewing) Renew(_ context.Context, stale spine.Token) (spine.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if stale.AccessToken == r.current {
		r.current = "fresh"
		r.renewed++
	}
	return spine.Token{AccessToken: r.current, Expiry: time.Now().Add(time.Hour)}, nil
}

func TestRenewTokenOn401(t *testing.T) {
	f := newFake(t, erstest.WithUserToken("fresh"))
	ts := &renewing{current: "expired"}
	c := newClient(t, f, func(cfg *ers.Config) { cfg.Tokens = ts })
	ctx := context.Background()
	// A POST that is not otherwise retried: a 401 means it was not
	// processed, so it is sent again once with the renewed token.
	r, err := c.CreateReferral(ctx, ers.NewReferral{Patient: patient, Criteria: criteria(c), Services: []string{"11000"}})
	require.NoError(t, err)
	assert.True(t, ers.ValidUBRN(r.UBRN))
	assert.Equal(t, 1, ts.renewed)

	// A source that cannot renew: the 401 is the answer.
	static := newClient(t, f, func(cfg *ers.Config) { cfg.Tokens = spine.StaticToken("expired") })
	_, err = static.Referral(ctx, r.UBRN)
	assert.ErrorIs(t, err, spine.HTTPStatus(http.StatusUnauthorized))

	_, err = ers.New(ers.Config{BaseURL: f.URL, Tokens: &spine.UserRestricted{}, Access: ers.AppRestricted})
	assert.ErrorIs(t, err, ers.ErrConfig)
}

// A booking whose answer is lost is not sent again: the caller reads the
// referral to learn that it happened, and the slot is booked once.
func TestLostBookingAnswer(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f)
	ctx := context.Background()
	r := createReferral(t, c, "11000")
	page, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine})
	require.NoError(t, err)
	before := f.Requests()
	f.Inject(fake.Fault{DropAfter: true})
	_, err = c.Book(ctx, ers.Booking{UBRN: r.UBRN, Version: r.Version, ServiceID: "11000", Patient: patient, Slot: page.Slots[0]})
	require.Error(t, err)
	var ae *spine.APIError
	assert.False(t, errors.As(err, &ae), "no answer arrived")
	assert.Equal(t, before+1, f.Requests(), "sent once, not retried")
	got, err := c.Referral(ctx, r.UBRN)
	require.NoError(t, err)
	assert.Equal(t, "BOOKED", got.State, "the booking happened")
	assert.Equal(t, 2, f.FreeSlots("11000"))
}
