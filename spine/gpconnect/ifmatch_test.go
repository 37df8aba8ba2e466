package gpconnect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/internal/httpx"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

// send makes one well-formed GP Connect request to the fake (valid JWT and
// SSP headers) with extra headers, for requests the client would never
// send. It returns the status and the Spine error code, if any.
func send(t *testing.T, srv *gpconnecttest.Server, method, path, interaction, scope string, body any, hdr map[string]string) (int, string) {
	t.Helper()
	var rd *bytes.Reader
	if r, ok := body.(stu3.Resource); ok {
		b, err := stu3.Marshal(r)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+unsigned(t, claimsMap(t, srv.URL, scope, time.Now())))
	req.Header.Set("Content-Type", gpconnect.ContentTypeFHIRJSON)
	req.Header.Set(gpconnect.HeaderTraceID, httpx.NewUUID())
	req.Header.Set(gpconnect.HeaderFrom, "200000000359")
	req.Header.Set(gpconnect.HeaderTo, srv.ASID)
	req.Header.Set(gpconnect.HeaderInteractionID, interaction)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if r, err := stu3.Unmarshal(raw); err == nil {
		if oo, ok := r.(*stu3.OperationOutcome); ok && len(oo.Issue) > 0 && oo.Issue[0].Details != nil && len(oo.Issue[0].Details.Coding) > 0 {
			return resp.StatusCode, oo.Issue[0].Details.Coding[0].Code.Value
		}
	}
	return resp.StatusCode, ""
}

// bookOne books the first free slot for the first patient.
func bookOne(t *testing.T, srv *gpconnecttest.Server, c *gpconnect.Client) *stu3.Appointment {
	t.Helper()
	ctx := context.Background()
	p, err := c.FindPatient(ctx, srv.Patients()[0])
	require.NoError(t, err)
	start, end := tomorrowRange()
	res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end})
	require.NoError(t, err)
	a, err := c.BookAppointment(ctx, gpconnect.BookRequest{
		PatientID: p.ID.Value, Slots: res.Slots[:1], LocationID: "1", Description: "Review",
		Organization: gpconnect.BookingOrganization{Name: "Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
	})
	require.NoError(t, err)
	return a
}

func TestAmendAndCancelSendIfMatch(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()
	booked := bookOne(t, srv, c)
	require.Equal(t, "1", booked.Meta.VersionID.Value)

	// Two users hold version 1; the first amends it.
	mine, err := c.ReadAppointment(ctx, booked.ID.Value)
	require.NoError(t, err)
	theirs, err := c.ReadAppointment(ctx, booked.ID.Value)
	require.NoError(t, err)
	mine.Comment.Value = "Wheelchair access"
	amended, err := c.AmendAppointment(ctx, mine)
	require.NoError(t, err)
	assert.Equal(t, "2", amended.Meta.VersionID.Value)

	// The second user's amend and cancel name a stale version: 409.
	theirs.Description.Value = "Overwrites the comment"
	_, err = c.AmendAppointment(ctx, theirs)
	assert.ErrorIs(t, err, gpconnect.ErrVersionConflict)
	assert.ErrorIs(t, err, gpconnect.ErrFHIRConstraintViolation)
	_, err = c.CancelAppointmentVersion(ctx, theirs, "Patient request")
	assert.ErrorIs(t, err, gpconnect.ErrVersionConflict)
	got, err := c.ReadAppointment(ctx, booked.ID.Value)
	require.NoError(t, err)
	assert.Equal(t, "Wheelchair access", got.Comment.Value, "the stale writes changed nothing")
	assert.Equal(t, "booked", got.Status.Value)

	// An amend without a version is refused before sending.
	noVersion := *got
	noVersion.Meta = nil
	_, err = c.AmendAppointment(ctx, &noVersion)
	assert.ErrorIs(t, err, gpconnect.ErrBookRequest)

	// The current version cancels.
	cancelled, err := c.CancelAppointmentVersion(ctx, got, "Patient request")
	require.NoError(t, err)
	assert.Equal(t, "cancelled", cancelled.Status.Value)
	assert.Equal(t, "3", cancelled.Meta.VersionID.Value)
	assert.Empty(t, srv.Rejections())
}

func TestFakeAmendCancelRules(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	booked := bookOne(t, srv, c)
	path := "/Appointment/" + booked.ID.Value
	cancelOf := func(a stu3.Appointment) *stu3.Appointment {
		a.Status = stu3.Code{Value: "cancelled"}
		a.Extension = append(append([]stu3.Extension(nil), a.Extension...), stu3.Extension{URL: stu3.URI{Value: gpconnect.ExtCancellationReason}, Value: &stu3.String{Value: "r"}})
		return &a
	}
	changed := cancelOf(*booked)
	changed.Description.Value = "Also changed"
	emptyReason := cancelOf(*booked)
	emptyReason.Extension[len(emptyReason.Extension)-1].Value = &stu3.String{}
	noReason := *booked
	noReason.Status = stu3.Code{Value: "cancelled"}
	withType := withElement(t, cancelOf(*booked), "type", map[string]any{"text": "RANDOM TYPE TEXT"})
	withPriority := withElement(t, booked, "priority", 1)
	moreParticipants := cancelOf(*booked)
	moreParticipants.Participant = append(append([]stu3.AppointmentParticipant(nil), booked.Participant...),
		stu3.AppointmentParticipant{Actor: stu3.NewReference("Practitioner", "2"), Status: stu3.Code{Value: "accepted"}})
	tests := []struct {
		name        string
		interaction string
		body        any
		ifMatch     string
		status      int
		code        string
	}{
		{"amend without If-Match", gpconnect.InteractionAmendAppointment, booked, "", 412, ""},
		{"amend with a malformed If-Match", gpconnect.InteractionAmendAppointment, booked, "invalidEtag", 409, "FHIR_CONSTRAINT_VIOLATION"},
		{"amend with a stale version", gpconnect.InteractionAmendAppointment, booked, `W/"0"`, 409, "FHIR_CONSTRAINT_VIOLATION"},
		{"cancel without If-Match", gpconnect.InteractionCancelAppointment, cancelOf(*booked), "", 412, ""},
		{"cancel that changes the description", gpconnect.InteractionCancelAppointment, changed, `W/"1"`, 422, "INVALID_RESOURCE"},
		{"stale cancel that changes the description", gpconnect.InteractionCancelAppointment, changed, `W/"0"`, 409, "FHIR_CONSTRAINT_VIOLATION"},
		{"cancel with an empty reason", gpconnect.InteractionCancelAppointment, emptyReason, `W/"1"`, 422, "INVALID_PARAMETER"},
		{"cancel without the reason extension", gpconnect.InteractionCancelAppointment, &noReason, `W/"1"`, 422, "INVALID_RESOURCE"},
		{"cancel that sets the type text", gpconnect.InteractionCancelAppointment, withType, `W/"1"`, 422, "INVALID_RESOURCE"},
		{"amend that sets the priority", gpconnect.InteractionAmendAppointment, withPriority, `W/"1"`, 422, "INVALID_RESOURCE"},
		{"cancel that adds a participant", gpconnect.InteractionCancelAppointment, moreParticipants, `W/"1"`, 422, "INVALID_RESOURCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.ifMatch != "" {
				hdr["If-Match"] = tt.ifMatch
			}
			status, code := send(t, srv, http.MethodPut, path, tt.interaction, gpconnect.ScopePatientWrite, tt.body, hdr)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.code, code)
		})
	}
	got, err := c.ReadAppointment(context.Background(), booked.ID.Value)
	require.NoError(t, err)
	assert.Equal(t, "1", got.Meta.VersionID.Value, "no refused request changed the appointment")
}

func TestFakeRefusesBookingOrganisationWithoutODSOrType(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()
	p, err := c.FindPatient(ctx, srv.Patients()[0])
	require.NoError(t, err)
	start, end := tomorrowRange()
	res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end})
	require.NoError(t, err)
	for _, strip := range []string{"identifier", "type"} {
		t.Run(strip, func(t *testing.T) {
			a, err := gpconnect.NewAppointment(gpconnect.BookRequest{
				PatientID: p.ID.Value, Slots: res.Slots[:1], LocationID: "1", Description: "Review",
				Organization: gpconnect.BookingOrganization{Name: "Hub", ODSCode: "RR8", Phone: "0113 000 0000"},
			}, time.Now())
			require.NoError(t, err)
			org := a.Contained[0].(*stu3.Organization)
			switch strip {
			case "identifier":
				org.Identifier = nil
			case "type":
				org.Type = nil
			}
			status, code := send(t, srv, http.MethodPost, "/Appointment", gpconnect.InteractionCreateAppointment, gpconnect.ScopePatientWrite, a, nil)
			assert.Equal(t, http.StatusUnprocessableEntity, status)
			assert.Equal(t, "INVALID_RESOURCE", code)
		})
	}
	assert.Equal(t, map[string]int{}, srv.Bookings())
}

// withElement returns a as a JSON object with one more element.
func withElement(t *testing.T, a *stu3.Appointment, name string, v any) map[string]any {
	t.Helper()
	b, err := stu3.Marshal(a)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	m[name] = v
	return m
}
