package pds_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
)

// recorder is a transport that keeps the headers of every attempt.
type recorder struct {
	mu      sync.Mutex
	headers []http.Header
}

func (r *recorder) client() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		r.mu.Lock()
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		return http.DefaultTransport.RoundTrip(req)
	})}
}

func (r *recorder) values(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, h := range r.headers {
		out = append(out, h.Get(name))
	}
	return out
}

// Every attempt of one call carries the same X-Request-ID (PDS: "if you
// re-send a failed request, use the same value"); each call a new one.
func TestRequestIDReusedAcrossRetries(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	rec := &recorder{}
	c := newClient(t, srv, func(cfg *pds.Config) { cfg.HTTPClient = rec.client() })
	srv.Inject(pdstest.Fault{Status: 503, RetryAfter: "0"}, pdstest.Fault{Status: 408}, pdstest.Fault{Status: 429, RetryAfter: "0"})
	_, err := c.Get(context.Background(), pdstest.AlexSmith)
	require.NoError(t, err)
	_, err = c.Get(context.Background(), pdstest.AlexSmith)
	require.NoError(t, err)
	ids := rec.values("X-Request-ID")
	require.Len(t, ids, 5)
	for _, id := range ids[1:4] {
		assert.Equal(t, ids[0], id)
	}
	assert.NotEqual(t, ids[0], ids[4])
}

// 408 UNABLE_TO_CALL_SERVICE is retried.
func TestRequestTimeoutRetried(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, nil)
	srv.Inject(pdstest.Fault{Status: 408})
	var r spine.Response
	_, err := c.Get(spine.WithResponse(context.Background(), &r), pdstest.AlexSmith)
	require.NoError(t, err)
	assert.Equal(t, 2, r.Attempts)

	srv.FailNext(10, 408)
	_, err = c.Get(context.Background(), pdstest.AlexSmith)
	assert.ErrorIs(t, err, spine.ErrorCode("UNABLE_TO_CALL_SERVICE"))
}

func TestPatchValueNull(t *testing.T) {
	tests := []struct {
		p    pds.Patch
		want string
	}{
		{pds.Patch{Op: "replace", Path: "/address/0/period/end", Value: nil}, `{"op":"replace","path":"/address/0/period/end","value":null}`},
		{pds.Patch{Op: "add", Path: "/gender", Value: "male"}, `{"op":"add","path":"/gender","value":"male"}`},
		{pds.Patch{Op: "test", Path: "/name/0/id", Value: "N1"}, `{"op":"test","path":"/name/0/id","value":"N1"}`},
		{pds.Patch{Op: "remove", Path: "/gender", Value: "ignored"}, `{"op":"remove","path":"/gender"}`},
		{pds.Patch{Op: "move", Path: "/a", From: "/b"}, `{"op":"move","path":"/a","from":"/b"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.p)
		require.NoError(t, err)
		assert.JSONEq(t, tt.want, string(b))
	}
}

// A 401 renews the token once and re-sends; one token request however many
// calls were refused at once.
func TestRenewTokenOn401(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	srv := pdstest.NewServer(pdstest.WithAuth(&key.PublicKey, "kid-1", "api-key"))
	defer srv.Close()
	tokens := &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: key, TokenURL: srv.TokenURL}
	c := newClient(t, srv, func(cfg *pds.Config) { cfg.Tokens = tokens })
	_, err = c.Get(context.Background(), pdstest.AlexSmith)
	require.NoError(t, err)
	srv.RevokeTokens()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Get(context.Background(), pdstest.SamJones)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 2, srv.Stats().TokenRequests)

	// A static token cannot be renewed: the 401 is the answer.
	static := newClient(t, srv, func(cfg *pds.Config) { cfg.Tokens = spine.StaticToken("revoked") })
	_, err = static.Get(context.Background(), pdstest.AlexSmith)
	assert.ErrorIs(t, err, spine.ErrAccessDenied)
}

// The end-user organisation can be set per call; X-Sync-Wait goes with
// writes.
func TestPerCallOrganisationAndSyncWait(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	rec := &recorder{}
	c := newClient(t, srv, func(cfg *pds.Config) {
		cfg.HTTPClient = rec.client()
		cfg.EndUserOrganisationODS = "A81001"
		cfg.SyncWait = 25 * time.Second
	})
	ctx := context.Background()
	p, err := c.Get(ctx, pdstest.AlexSmith)
	require.NoError(t, err)
	_, err = c.Get(pds.WithEndUserOrganisation(ctx, "B82002"), pdstest.AlexSmith)
	require.NoError(t, err)
	_, err = c.Update(ctx, p.NHSNumber, p.Version, pds.Patch{Op: "replace", Path: "/gender", Value: "other"})
	require.NoError(t, err)
	assert.Equal(t, []string{"A81001", "B82002", "A81001"}, rec.values("NHSD-End-User-Organisation-ODS"))
	assert.Equal(t, []string{"", "", "25"}, rec.values("X-Sync-Wait"))

	_, err = c.Get(pds.WithEndUserOrganisation(ctx, "not ods"), pdstest.AlexSmith)
	assert.ErrorIs(t, err, pds.ErrConfig)
	_, err = pds.New(pds.Config{BaseURL: srv.URL, SyncWait: -time.Second})
	assert.ErrorIs(t, err, pds.ErrConfig)
}

// The Node.js sandbox sends meta.versionId as a number: a successful
// write is still a success.
func TestNumericVersionID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/fhir+json")
		_, _ = io.WriteString(w, `{"resourceType":"Patient","id":"9990000018","meta":{"versionId":3},"gender":"other"}`)
	}))
	defer srv.Close()
	c, err := pds.New(pds.Config{BaseURL: srv.URL})
	require.NoError(t, err)
	p, err := c.Update(context.Background(), pdstest.AlexSmith, 2, pds.Patch{Op: "replace", Path: "/gender", Value: "other"})
	require.NoError(t, err)
	assert.Equal(t, 3, p.Version)
	assert.Equal(t, "other", p.Gender.Value)
}

func TestCreate(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, nil)
	ctx := context.Background()
	p := &fhir.Patient{
		Name:      []fhir.HumanName{{Use: fhir.Code{Value: "usual"}, Family: fhir.String{Value: "Edwards"}, Given: []fhir.String{{Value: "Jane"}}}},
		Gender:    fhir.Code{Value: "female"},
		BirthDate: fhir.Date{Value: "1982-07-10"},
		Address:   []fhir.Address{{Use: fhir.Code{Value: "home"}, Line: []fhir.String{{Value: "1 Trevelyan Square"}}, PostalCode: fhir.String{Value: "LS1 6AE"}}},
		Extension: []fhir.Extension{{URL: fhir.URI{Value: "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-RegisteringAuthority"},
			Extension: []fhir.Extension{{URL: fhir.URI{Value: "organisationIdentifier"}, Value: &fhir.String{Value: "RGS"}}}}},
	}
	srv.Inject(pdstest.Fault{DropAfter: true}) // created, but the answer is lost: the re-send gets it
	created, err := c.Create(ctx, p)
	require.NoError(t, err)
	assert.True(t, created.NHSNumber.Valid())
	assert.True(t, strings.HasPrefix(string(created.NHSNumber), "999"))
	assert.Equal(t, 1, created.Version)
	assert.Equal(t, 1, srv.Stats().Creates, "created once")

	_, err = c.Create(ctx, p)
	var ae *spine.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 200, ae.StatusCode)
	assert.ErrorIs(t, err, pds.ErrSingleMatch)

	app := newClient(t, pdstestApp(t), nil)
	_, err = app.Create(ctx, p)
	assert.ErrorIs(t, err, spine.HTTPStatus(http.StatusForbidden))
	assert.ErrorIs(t, err, pds.ErrInvalidMethod)
}

func pdstestApp(t *testing.T) *pdstest.Server {
	srv := pdstest.NewServer(pdstest.WithApplicationRestricted())
	t.Cleanup(srv.Close)
	return srv
}

func TestVerifyNHSNumber(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, nil)
	ctx := context.Background()
	raw, _, _ := srv.Patient(pdstest.OctaviaTestington)
	var rec fhir.Patient
	require.NoError(t, fhir.UnmarshalInto(raw, &rec))
	bd, _ := time.Parse("2006-01-02", rec.BirthDate.Value)
	q := pds.Query{Family: rec.Name[0].Family.Value, Given: []string{rec.Name[0].Given[0].Value}, Gender: rec.Gender.Value, BirthDate: bd, Postcode: rec.Address[0].PostalCode.Value}

	v, err := c.VerifyNHSNumber(ctx, pdstest.OctaviaTestington, q)
	require.NoError(t, err)
	assert.True(t, v.Verified, v.Reason)
	assert.Equal(t, "01", v.Status)

	v, err = c.VerifyNHSNumber(ctx, pdstest.AlexSmith, q)
	require.NoError(t, err)
	assert.False(t, v.Verified)
	assert.Equal(t, pds.ReasonOtherNumber, v.Reason)

	other := q
	other.BirthDate = bd.AddDate(0, 0, 1)
	v, err = c.VerifyNHSNumber(ctx, pdstest.OctaviaTestington, other)
	require.NoError(t, err)
	assert.Equal(t, pds.ReasonNoMatch, v.Reason)

	// A twin with the same details: several matches, nothing verified.
	twin := rec
	twin.ID = fhir.ID{Value: "9990000085"}
	require.NoError(t, twin.SetNHSNumber("9990000085", fhir.NHSNumberVerified))
	srv.AddPatient(&twin)
	v, err = c.VerifyNHSNumber(ctx, pdstest.OctaviaTestington, q)
	require.NoError(t, err)
	assert.Equal(t, pds.ReasonSeveral, v.Reason)

	_, err = c.VerifyNHSNumber(ctx, pdstest.OctaviaTestington, pds.Query{Family: "Te*", BirthDate: bd})
	assert.ErrorIs(t, err, pds.ErrQuery)
	_, err = c.VerifyNHSNumber(ctx, "9990000019", q)
	assert.ErrorIs(t, err, pds.ErrInvalidNHSNumber)
}

// 1,000 Gets at the default 5 per second take 999 intervals of 200 ms on a
// fake clock, within 5%.
func TestDefaultRateOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		body := []byte(`{"resourceType":"Patient","id":"9990000018","meta":{"versionId":"1"}}`)
		var mu sync.Mutex
		var first, last time.Time
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			last = now
			mu.Unlock()
			rr := httptest.NewRecorder()
			rr.Header().Set("ETag", `W/"1"`)
			_, _ = rr.Write(body)
			resp := rr.Result()
			resp.Request = r
			return resp, nil
		})}
		c, err := pds.New(pds.Config{BaseURL: "https://pds.test", HTTPClient: hc})
		require.NoError(t, err)
		const n = 1000
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Get(context.Background(), nhsid.NHSNumber("9990000018"))
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		want := time.Duration(n-1) * time.Second / pds.DefaultRequestsPerSecond
		got := last.Sub(first)
		assert.InEpsilon(t, float64(want), float64(got), 0.05, "1,000 Gets took %v, want %v", got, want)
	})
}
