package gpconnect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

// An appointment that carries what the client has no name for (a
// provider's extension with valueInteger and valueDateTime, which the old
// hand-written Extension type dropped, and a member STU3 does not define)
// is amended and cancelled without losing any of it: the PUT bodies carry
// it, and the fake, which compares every element of an amend with the
// stored appointment, accepts them.
func TestAmendKeepsWhatTheClientDoesNotKnow(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var puts [][]byte
	c := newClient(t, srv, func(cfg *gpconnect.Config) {
		hc := *srv.Client()
		base := hc.Transport
		hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPut && r.Body != nil {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					return nil, err
				}
				mu.Lock()
				puts = append(puts, b)
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			return base.RoundTrip(r)
		})
		cfg.HTTPClient = &hc
	})
	ctx := context.Background()

	// Book through the wire, as another consumer might, with the
	// provider-specific elements.
	p, err := c.FindPatient(ctx, srv.Patients()[0])
	require.NoError(t, err)
	start, end := tomorrowRange()
	res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end})
	require.NoError(t, err)
	a, err := gpconnect.NewAppointment(gpconnect.BookRequest{
		PatientID: p.ID.Value, Slots: res.Slots[:1], LocationID: "1", Description: "Review",
		Organization: gpconnect.BookingOrganization{Name: "Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	}, time.Now())
	require.NoError(t, err)
	const extURL = "https://provider.example/StructureDefinition/transport"
	a.Extension = append(a.Extension, stu3.Extension{URL: stu3.URI{Value: extURL}, Extension: []stu3.Extension{
		{URL: stu3.URI{Value: "seats"}, Value: &stu3.Integer{Value: 2, Set: true}},
		{URL: stu3.URI{Value: "pickup"}, Value: &stu3.DateTime{Value: "2030-01-01T08:15:00+00:00"}},
	}})
	body, err := stu3.Marshal(a)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	m["providerNote"] = map[string]any{"text": "ramp at the side door"}
	status, code := send(t, srv, http.MethodPost, "/Appointment", gpconnect.InteractionCreateAppointment, gpconnect.ScopePatientWrite, m, nil)
	require.Equal(t, http.StatusCreated, status, code)
	list, err := c.PatientAppointments(ctx, p.ID.Value, start, end)
	require.NoError(t, err)
	require.Len(t, list, 1)
	id := list[0].ID.Value

	kept := func(t *testing.T, what string, a *stu3.Appointment) {
		t.Helper()
		e := stu3.FindExtension(a.Extension, extURL)
		require.NotNil(t, e, "%s: the extension is lost", what)
		require.Len(t, e.Extension, 2, what)
		assert.Equal(t, &stu3.Integer{Value: 2, Set: true}, e.Extension[0].Value, what)
		assert.Equal(t, &stu3.DateTime{Value: "2030-01-01T08:15:00+00:00"}, e.Extension[1].Value, what)
		require.Len(t, a.Unknown, 1, "%s: the unknown member is lost", what)
		assert.Equal(t, "providerNote", a.Unknown[0].Name, what)
		assert.JSONEq(t, `{"text":"ramp at the side door"}`, string(a.Unknown[0].Value), what)
	}
	got, err := c.ReadAppointment(ctx, id)
	require.NoError(t, err)
	kept(t, "read", got)

	got.Comment.Value = "Bring the referral letter"
	amended, err := c.AmendAppointment(ctx, got)
	require.NoError(t, err, "the fake refuses an amend that drops an element")
	kept(t, "amended", amended)
	assert.Equal(t, "Bring the referral letter", amended.Comment.Value)

	// The fake does refuse an amend that drops the extension: that is a
	// change to the booking.
	dropped := *amended
	dropped.Extension = slices.DeleteFunc(slices.Clone(amended.Extension), func(e stu3.Extension) bool { return e.URL.Value == extURL })
	_, err = c.AmendAppointment(ctx, &dropped)
	assert.ErrorIs(t, err, gpconnect.ErrInvalidResource)

	cancelled, err := c.CancelAppointment(ctx, id, "Transport unavailable")
	require.NoError(t, err)
	kept(t, "cancelled", cancelled)
	assert.Equal(t, "Transport unavailable", cancelled.CancellationReason())

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, puts, 3)
	for i, put := range puts {
		assert.Contains(t, string(put), `"providerNote":{"text":"ramp at the side door"}`, "put %d", i)
		if i == 1 {
			assert.NotContains(t, string(put), `"valueInteger":2`, "put %d", i)
			continue
		}
		assert.Contains(t, string(put), `"valueInteger":2`, "put %d", i)
	}
}
