package gpconnect_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func TestAccessDocument(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()
	nhs := srv.Patients()[0]
	_, ok := srv.AddDocument(nhs, "Discharge summary", "application/pdf", []byte("%PDF-1.4 synthetic"), "2025-06-01")
	require.True(t, ok)

	meta, err := c.DocumentsMetadata(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(meta), "DocumentReference")

	p, err := c.FindDocumentsPatient(ctx, nhs)
	require.NoError(t, err)
	all, err := c.SearchDocuments(ctx, p.ID.Value, gpconnect.DocumentQuery{})
	require.NoError(t, err)
	require.Len(t, all.Documents, 2)
	require.NotNil(t, all.Patient)
	assert.Equal(t, nhs, all.Patient.NHSNumber())
	assert.Len(t, all.Organizations, 1)

	recent, err := c.SearchDocuments(ctx, p.ID.Value, gpconnect.DocumentQuery{CreatedFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	require.Len(t, recent.Documents, 1)
	doc := recent.Documents[0]
	assert.Equal(t, "Discharge summary", doc.Description.Value)

	bin, err := c.RetrieveDocument(ctx, doc.BinaryID())
	require.NoError(t, err)
	assert.Equal(t, "application/pdf", bin.ContentType.Value)
	data, err := bin.Data()
	require.NoError(t, err)
	assert.Equal(t, []byte("%PDF-1.4 synthetic"), data)

	_, err = c.RetrieveDocument(ctx, "no-such-binary")
	assert.ErrorIs(t, err, gpconnect.ErrNoRecordFound)
	_, err = c.SearchDocuments(ctx, "nobody", gpconnect.DocumentQuery{})
	assert.ErrorIs(t, err, gpconnect.ErrPatientNotFound)
	srv.SetConsent(nhs, false)
	_, err = c.SearchDocuments(ctx, p.ID.Value, gpconnect.DocumentQuery{})
	assert.ErrorIs(t, err, gpconnect.ErrNoPatientConsent)
	assert.Empty(t, srv.Rejections())

	// A search without the mandatory _include values is INVALID_PARAMETER.
	status, code := send(t, srv, http.MethodGet, "/Patient/"+p.ID.Value+"/DocumentReference", gpconnect.InteractionSearchDocuments, gpconnect.ScopePatientRead, nil, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Equal(t, "INVALID_PARAMETER", code)
}
