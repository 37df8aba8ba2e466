package gpconnect_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir/stu3"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func TestFoundationsReads(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()

	found, err := c.FindPatient(ctx, srv.Patients()[0])
	require.NoError(t, err)
	p, err := c.ReadPatient(ctx, found.ID.Value)
	require.NoError(t, err)
	assert.Equal(t, found.NHSNumber(), p.NHSNumber())
	_, err = c.ReadPatient(ctx, "nobody")
	assert.ErrorIs(t, err, gpconnect.ErrPatientNotFound)

	pr, err := c.ReadPractitioner(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, "Okafor", pr.Name[0].Family.Value)
	_, err = c.ReadPractitioner(ctx, "99")
	assert.ErrorIs(t, err, gpconnect.ErrPractitionerNotFound)
	byID, err := c.SearchPractitioners(ctx, "G13579135")
	require.NoError(t, err)
	require.Len(t, byID, 1)
	assert.Equal(t, "1", byID[0].ID.Value)
	none, err := c.SearchPractitioners(ctx, "G00000000")
	require.NoError(t, err)
	assert.Empty(t, none)

	org, err := c.ReadOrganization(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, nhsid.ODSCode(srv.ODSCode), org.ODSCode())
	_, err = c.ReadOrganization(ctx, "2")
	assert.ErrorIs(t, err, gpconnect.ErrOrganisationNotFound)
	orgs, err := c.SearchOrganizations(ctx, nhsid.ODSCode(srv.ODSCode))
	require.NoError(t, err)
	assert.Len(t, orgs, 1)
	orgs, err = c.SearchOrganizations(ctx, "Z99999")
	require.NoError(t, err)
	assert.Empty(t, orgs)

	loc, err := c.ReadLocation(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, "Organization/1", loc.ManagingOrganization.Reference.Value)
	_, err = c.ReadLocation(ctx, "9")
	assert.ErrorIs(t, err, gpconnect.ErrNoRecordFound)
	assert.Empty(t, srv.Rejections())

	// A search in another identifier system is a 400, as a provider answers.
	status, code := send(t, srv, http.MethodGet, "/Practitioner?identifier=https://example.org/id|1", gpconnect.InteractionSearchPractitioner, gpconnect.ScopeOrganizationRead, nil, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "INVALID_IDENTIFIER_SYSTEM", code)
}

func TestRegisterPatient(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()
	nhs, ok := nhsid.TestNHSNumber(700)
	require.True(t, ok)
	srv.AddPDSRecord(nhs, "TEMPLE", "Robin", "1990-04-02")
	born := time.Date(1990, 4, 2, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name string
		req  gpconnect.RegisterRequest
		want error
	}{
		{"not on PDS", gpconnect.RegisterRequest{NHSNumber: mustTestNHS(t, 701), Family: "Temple", Given: []string{"Robin"}, BirthDate: born}, gpconnect.ErrInvalidPatientDemographics},
		{"demographics do not verify", gpconnect.RegisterRequest{NHSNumber: nhs, Family: "Other", Given: []string{"Robin"}, BirthDate: born.AddDate(1, 1, 0)}, gpconnect.ErrInvalidPatientDemographics},
		{"already registered", gpconnect.RegisterRequest{NHSNumber: srv.Patients()[0], Family: "Smith", Given: []string{"Alex"}, BirthDate: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}, gpconnect.ErrDuplicateRejected},
		{"no birth date", gpconnect.RegisterRequest{NHSNumber: nhs, Family: "Temple", Given: []string{"Robin"}}, gpconnect.ErrRegisterRequest},
		{"bad nhs number", gpconnect.RegisterRequest{NHSNumber: "9990000019", Family: "Temple", Given: []string{"Robin"}, BirthDate: born}, gpconnect.ErrRegisterRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RegisterPatient(ctx, tt.req)
			assert.ErrorIs(t, err, tt.want)
		})
	}

	// Two of three birth date parts, the family name's first three letters
	// and the given name's initial verify.
	p, err := c.RegisterPatient(ctx, gpconnect.RegisterRequest{
		NHSNumber: nhs, Family: "Templeton", Given: []string{"R"}, BirthDate: born.AddDate(0, 0, 3), Gender: "female",
		Address: &stu3.Address{Line: stu3.Strings("4 Park Row"), City: stu3.String{Value: "Leeds"}, PostalCode: stu3.String{Value: "LS1 5HD"}},
	})
	require.NoError(t, err)
	assert.Equal(t, nhs, p.NHSNumber())
	assert.Contains(t, srv.Patients(), nhs)
	found, err := c.FindPatient(ctx, nhs)
	require.NoError(t, err)
	assert.Equal(t, p.ID.Value, found.ID.Value)
	_, err = c.RegisterPatient(ctx, gpconnect.RegisterRequest{NHSNumber: nhs, Family: "Temple", Given: []string{"Robin"}, BirthDate: born})
	assert.ErrorIs(t, err, gpconnect.ErrDuplicateRejected)
	assert.Empty(t, srv.Rejections())
}

func mustTestNHS(t *testing.T, seq uint64) nhsid.NHSNumber {
	t.Helper()
	n, ok := nhsid.TestNHSNumber(seq)
	require.True(t, ok)
	return n
}
