package sds_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/sds"
	"github.com/nhskit/nhskit/spine/sds/sdstest"
)

const structured = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"

func TestLookup(t *testing.T) {
	srv := sdstest.NewServer(sdstest.WithAPIKey("key-1"))
	t.Cleanup(srv.Close)
	srv.Add(sds.Endpoint{ODSCode: "A81001", Interaction: structured, Address: "https://gp.example/A81001/STU3/1", ASID: "918999198993", PartyKey: "A81001-0000001"})
	srv.Add(sds.Endpoint{ODSCode: "B82002", Interaction: structured, Address: "https://gp.example/B82002/STU3/1", ASID: "100000000001", PartyKey: "B82002-1"})
	srv.Add(sds.Endpoint{ODSCode: "B82002", Interaction: structured, Address: "https://gp2.example/B82002/STU3/1", ASID: "100000000002", PartyKey: "B82002-2"})

	now := time.Now()
	clock := func() time.Time { return now }
	c, err := sds.New(sds.Config{BaseURL: srv.URL, APIKey: "key-1", CacheLifetime: time.Minute, Now: clock})
	require.NoError(t, err)
	ctx := context.Background()

	ep, err := c.Lookup(ctx, "A81001", structured, "")
	require.NoError(t, err)
	assert.Equal(t, "https://gp.example/A81001/STU3/1", ep.Address)
	assert.Equal(t, "918999198993", ep.ASID)
	assert.Equal(t, "A81001-0000001", ep.PartyKey)
	assert.Equal(t, 2, srv.Requests())

	_, err = c.Lookup(ctx, "A81001", structured, "")
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests(), "second lookup is served from the cache")

	now = now.Add(2 * time.Minute)
	_, err = c.Lookup(ctx, "A81001", structured, "")
	require.NoError(t, err)
	assert.Equal(t, 4, srv.Requests(), "expired entries are fetched again")

	_, err = c.Lookup(ctx, "B82002", structured, "")
	assert.ErrorIs(t, err, sds.ErrAmbiguous)
	ep, err = c.Lookup(ctx, "B82002", structured, "B82002-2")
	require.NoError(t, err)
	assert.Equal(t, "100000000002", ep.ASID)

	_, err = c.Lookup(ctx, "C83003", structured, "")
	assert.ErrorIs(t, err, sds.ErrNotFound)
	_, err = c.Lookup(ctx, "c83-003", structured, "")
	assert.ErrorIs(t, err, sds.ErrInvalid)

	bad, err := sds.New(sds.Config{BaseURL: srv.URL, APIKey: "wrong"})
	require.NoError(t, err)
	var rec spine.Response
	_, err = bad.Lookup(spine.WithResponse(ctx, &rec), "A81001", structured, "")
	var ae *spine.APIError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, 401, ae.StatusCode)
	assert.Equal(t, "forbidden", ae.IssueType)
	assert.ErrorIs(t, err, spine.HTTPStatus(401))
	require.NotEmpty(t, rec.RequestID)
	assert.Equal(t, rec.RequestID, ae.RequestID, "the error carries the request id that was sent")
	assert.Equal(t, 401, rec.StatusCode)
	assert.NotContains(t, err.Error(), "wrong", "the api key never appears in errors")
	assert.NotContains(t, err.Error(), "httpx")
}

// SDS answers that fail are retried within MaxAttempts; the last failure is
// a *spine.APIError with the request id that was sent.
func TestLookupRetriesAndFails(t *testing.T) {
	srv := sdstest.NewUnstartedServer()
	srv.Add(sds.Endpoint{ODSCode: "A81001", Interaction: "urn:x", Address: "https://gp.example/A81001/STU3/1", ASID: "918999198993"})
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := sds.New(sds.Config{BaseURL: srv.URL, HTTPClient: srv.Client(), MaxAttempts: 2, CacheLifetime: -1})
	require.NoError(t, err)
	ctx := context.Background()

	srv.FailNext(1, 503)
	ep, err := c.Lookup(ctx, "A81001", "urn:x", "")
	require.NoError(t, err, "one 503 is retried")
	assert.Equal(t, "918999198993", ep.ASID)
	assert.Equal(t, 3, srv.Requests())

	srv.FailNext(2, 503)
	var rec spine.Response
	_, err = c.Lookup(spine.WithResponse(ctx, &rec), "A81001", "urn:x", "")
	var ae *spine.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.StatusCode)
	assert.Equal(t, 2, ae.Attempts)
	assert.Equal(t, rec.RequestID, ae.RequestID)
	assert.ErrorIs(t, err, spine.HTTPStatus(503))
}
