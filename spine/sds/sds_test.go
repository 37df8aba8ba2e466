package sds_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/nhsid"
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

// 20 cold look-ups at once make one Device and one Endpoint search per
// distinct key; a caller that gives up does not fail the others.
func TestLookupSingleFlight(t *testing.T) {
	srv := sdstest.NewServer()
	t.Cleanup(srv.Close)
	keys := []nhsid.ODSCode{"A81001", "B82002", "C83003", "D84004"}
	for i, ods := range keys {
		srv.Add(sds.Endpoint{ODSCode: ods, Interaction: structured, Address: "https://gp.example/" + string(ods), ASID: "91899919899" + strconv.Itoa(i), PartyKey: string(ods) + "-1"})
	}
	srv.SetLatency(50 * time.Millisecond)
	c, err := sds.New(sds.Config{BaseURL: srv.URL})
	require.NoError(t, err)

	impatient, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err = c.Lookup(impatient, keys[0], structured, "")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ods := keys[i%len(keys)]
			ep, err := c.Lookup(context.Background(), ods, structured, "")
			if assert.NoError(t, err) {
				assert.Equal(t, "https://gp.example/"+string(ods), ep.Address)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 2*len(keys), srv.Requests(), "one Device and one Endpoint search per key")
}

// The cache keeps at most CacheSize entries, dropping the least recently
// used.
func TestLookupCacheBounded(t *testing.T) {
	srv := sdstest.NewServer()
	t.Cleanup(srv.Close)
	for _, ods := range []nhsid.ODSCode{"A81001", "B82002", "C83003"} {
		srv.Add(sds.Endpoint{ODSCode: ods, Interaction: structured, Address: "https://gp.example/" + string(ods), ASID: "918999198993"})
	}
	c, err := sds.New(sds.Config{BaseURL: srv.URL, CacheSize: 2})
	require.NoError(t, err)
	ctx := context.Background()
	look := func(ods nhsid.ODSCode) {
		_, err := c.Lookup(ctx, ods, structured, "")
		require.NoError(t, err)
	}
	look("A81001")
	look("B82002")
	look("A81001") // A is now the most recently used
	assert.Equal(t, 4, srv.Requests())
	look("C83003") // evicts B
	assert.Equal(t, 6, srv.Requests())
	look("A81001")
	assert.Equal(t, 6, srv.Requests(), "A stayed")
	look("B82002")
	assert.Equal(t, 8, srv.Requests(), "B was evicted")

	_, err = sds.New(sds.Config{CacheSize: -1})
	assert.ErrorIs(t, err, sds.ErrConfig)
}

// The Endpoint search is narrowed by the party key the Device search gave:
// an organisation with two endpoints but one accredited system for the
// interaction resolves.
func TestEndpointSearchUsesDevicePartyKey(t *testing.T) {
	var queries []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/fhir+json")
		party := ""
		for _, id := range r.URL.Query()["identifier"] {
			if v, ok := strings.CutPrefix(id, sds.SystemPartyKey+"|"); ok {
				party = v
			}
		}
		if strings.HasSuffix(r.URL.Path, "/Device") {
			_, _ = io.WriteString(w, `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Device","identifier":[{"system":"`+sds.SystemASID+`","value":"918999198993"},{"system":"`+sds.SystemPartyKey+`","value":"A81001-2"}]}}]}`)
			return
		}
		entries := []string{}
		for _, pk := range []string{"A81001-1", "A81001-2"} {
			if party == "" || party == pk {
				entries = append(entries, `{"resource":{"resourceType":"Endpoint","address":"https://gp.example/`+pk+`","identifier":[{"system":"`+sds.SystemPartyKey+`","value":"`+pk+`"}]}}`)
			}
		}
		_, _ = io.WriteString(w, `{"resourceType":"Bundle","entry":[`+strings.Join(entries, ",")+`]}`)
	}))
	t.Cleanup(srv.Close)
	c, err := sds.New(sds.Config{BaseURL: srv.URL})
	require.NoError(t, err)
	ep, err := c.Lookup(context.Background(), "A81001", structured, "")
	require.NoError(t, err)
	assert.Equal(t, "https://gp.example/A81001-2", ep.Address)
	assert.Equal(t, "A81001-2", ep.PartyKey)
	require.Len(t, queries, 2)
	assert.Contains(t, queries[1], url.QueryEscape(sds.SystemPartyKey+"|A81001-2"))
}

// A Config printed with any verb, or logged, never shows its API key.
func TestConfigHidesAPIKey(t *testing.T) {
	cfg := sds.Config{BaseURL: "https://sandbox.api.service.nhs.uk/spine-directory/FHIR/R4", APIKey: "key-secret-123"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "sds", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg), buf.String()} {
		assert.NotContains(t, s, "key-secret-123")
		assert.Contains(t, s, "api key ***")
	}
	assert.Contains(t, fmt.Sprint(sds.Config{}), "api key unset")
}
