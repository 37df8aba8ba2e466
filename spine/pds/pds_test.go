package pds_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
)

func newClient(t *testing.T, srv *pdstest.Server, mod func(*pds.Config)) *pds.Client {
	t.Helper()
	cfg := pds.Config{BaseURL: srv.URL, RequestsPerSecond: 1000, Burst: 100}
	if mod != nil {
		mod(&cfg)
	}
	c, err := pds.New(cfg)
	require.NoError(t, err)
	return c
}

func date(s string) time.Time {
	t, _ := time.Parse("2006-01-02", s)
	return t
}

func TestGet(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, nil)
	ctx := context.Background()

	p, err := c.Get(ctx, pdstest.AlexSmith)
	require.NoError(t, err)
	assert.Equal(t, pdstest.AlexSmith, p.NHSNumber)
	assert.False(t, p.Superseded)
	assert.False(t, p.Restricted)
	assert.Equal(t, 1, p.Version)
	assert.Equal(t, "SMITH", p.Name[0].Family.Value)
	ods, _ := p.GPPracticeODS()
	assert.Equal(t, "A81001", ods)

	p, err = c.Get(ctx, pdstest.SupersededNHSNumber)
	require.NoError(t, err)
	assert.True(t, p.Superseded)
	assert.Equal(t, pdstest.AlexSmith, p.NHSNumber)
	assert.Equal(t, pdstest.SupersededNHSNumber, p.Requested)

	p, err = c.Get(ctx, pdstest.RestrictedNHSNumber)
	require.NoError(t, err)
	assert.True(t, p.Restricted)
	assert.Empty(t, p.Address)

	// A 404: the error carries the request id that was sent, the
	// correlation id and the record of the call.
	var sent []string
	var sentMu sync.Mutex
	recording := newClient(t, srv, func(cfg *pds.Config) {
		cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sentMu.Lock()
			sent = append(sent, r.Header.Get("X-Request-ID"))
			sentMu.Unlock()
			return http.DefaultTransport.RoundTrip(r)
		})}
	})
	var rec spine.Response
	_, err = recording.Get(spine.WithResponse(spine.WithCorrelationID(ctx, "referral-42"), &rec), "9990000085")
	assert.ErrorIs(t, err, spine.ErrResourceNotFound)
	assert.ErrorIs(t, err, spine.HTTPStatus(404))
	var ae *spine.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 404, ae.StatusCode)
	assert.Equal(t, "RESOURCE_NOT_FOUND", ae.Code)
	require.Len(t, sent, 1)
	assert.Equal(t, sent[0], ae.RequestID, "the error carries the X-Request-ID that was sent")
	assert.Equal(t, "referral-42", ae.CorrelationID)
	assert.Equal(t, 1, ae.Attempts)
	assert.Equal(t, spine.Response{StatusCode: 404, Header: rec.Header, RequestID: sent[0], CorrelationID: "referral-42", Attempts: 1}, rec)
	assert.NotContains(t, err.Error(), "9990000085")
	assert.NotContains(t, err.Error(), "000 0085")

	_, err = c.Get(ctx, pdstest.InvalidatedNHSNumber)
	assert.ErrorIs(t, err, spine.ErrInvalidatedResource)
	_, err = c.Get(ctx, "9990000019")
	assert.ErrorIs(t, err, pds.ErrInvalidNHSNumber)
}

func TestUpdate(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, nil)
	ctx := context.Background()
	p, err := c.Get(ctx, pdstest.OctaviaTestington)
	require.NoError(t, err)
	up, err := c.Update(ctx, p.NHSNumber, p.Version,
		pds.Patch{Op: "test", Path: "/gender", Value: "female"},
		pds.Patch{Op: "test", Path: "/address/0/id", Value: p.Address[0].ID},
		pds.Patch{Op: "replace", Path: "/address/0/postalCode", Value: "LS2 9JT"})
	require.NoError(t, err)
	assert.Equal(t, p.Version+1, up.Version)
	assert.Equal(t, "LS2 9JT", up.Address[0].PostalCode.Value)

	_, err = c.Update(ctx, p.NHSNumber, p.Version, pds.Patch{Op: "test", Path: "/telecom/0/id", Value: "T1"}, pds.Patch{Op: "remove", Path: "/telecom/0"})
	assert.ErrorIs(t, err, spine.ErrResourceVersionMismatch)
	_, err = c.Update(ctx, p.NHSNumber, up.Version, pds.Patch{Op: "remove", Path: "/telecom/0"})
	assert.ErrorIs(t, err, spine.ErrInvalidUpdate, "a list item is removed only after a test of its id")
	_, err = c.Update(ctx, p.NHSNumber, up.Version, pds.Patch{Op: "replace", Path: "/identifier/0/value", Value: "9990000026"})
	assert.ErrorIs(t, err, spine.ErrInvalidUpdate)
}

func TestSearch(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, nil)
	ctx := context.Background()
	ms, err := c.Search(ctx, pds.Query{Family: "SMITH", BirthDate: date("1980-01-01")})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, pdstest.AlexSmith, ms[0].NHSNumber)
	assert.Equal(t, 1.0, ms[0].Score)

	ms, err = c.Search(ctx, pds.Query{Family: "TESTINGTON", Given: []string{"Oct*"}, BirthDateFrom: date("1978-01-01"), BirthDateTo: date("1978-12-31"), History: true})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Less(t, ms[0].Score, 1.0)

	ms, err = c.Search(ctx, pds.Query{Family: "NOBODY", BirthDate: date("1980-01-01")})
	require.NoError(t, err)
	assert.Empty(t, ms)

	for i, n := range []string{"9990000085", "9990000093"} {
		p := pdstest.Seed()[0]
		p.ID.Value = n
		p.Identifier[0].Value.Value = n
		p.Name[0].Given[0].Value = []string{"Alexa", "Alexis"}[i]
		srv.AddPatient(p)
	}
	_, err = c.Search(ctx, pds.Query{Family: "SMITH", BirthDate: date("1980-01-01"), MaxResults: 1})
	assert.ErrorIs(t, err, pds.ErrTooManyMatches)

	_, err = c.Search(ctx, pds.Query{Family: "SMITH"})
	assert.ErrorIs(t, err, pds.ErrQuery)
	_, err = c.Search(ctx, pds.Query{Family: "SMITH", BirthDate: date("1980-01-01"), MaxResults: 51})
	assert.ErrorIs(t, err, pds.ErrQuery)
	_, err = c.Search(ctx, pds.Query{Family: "SM*", Given: []string{"A"}, BirthDate: date("1980-01-01"), FuzzyMatch: true})
	assert.ErrorIs(t, err, spine.ErrInvalidSearchData)
}

func TestRelatedPeople(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	srv.AddRelatedPerson(pdstest.AlexSmith, []byte(`{"resourceType":"RelatedPerson","id":"rp1","patient":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}},"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"SPS"}]}]}`))
	c := newClient(t, srv, nil)
	people, err := c.RelatedPeople(context.Background(), pdstest.AlexSmith)
	require.NoError(t, err)
	require.Len(t, people, 1)
	assert.Equal(t, "SPS", people[0].Relationship[0].Coding[0].Code.Value)
	people, err = c.RelatedPeople(context.Background(), pdstest.SamJones)
	require.NoError(t, err)
	assert.Empty(t, people)
}

// 1,000 concurrent Gets through one client make one token request. The
// rate they are sent at is asserted on a fake clock, in
// spine/internal/platform's shared limiter test.
func TestConcurrentGetsOneToken(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	srv := pdstest.NewServer(pdstest.WithAuth(&key.PublicKey, "kid-1", "api-key"))
	defer srv.Close()
	tokens := &spine.AppRestricted{APIKey: "api-key", KeyID: "kid-1", PrivateKey: key, TokenURL: srv.TokenURL}
	c := newClient(t, srv, func(cfg *pds.Config) { cfg.Tokens = tokens; cfg.RequestsPerSecond = 1e6; cfg.Burst = 1000 })

	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nhs := []nhsid.NHSNumber{pdstest.AlexSmith, pdstest.SamJones, pdstest.OctaviaTestington}[i%3]
			if _, err := c.Get(context.Background(), nhs); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assert.Equal(t, 1, srv.Stats().TokenRequests, "one token request for 1,000 Gets")
	assert.Equal(t, n+1, srv.Stats().Requests)

	// Without a token the fake refuses.
	bare := newClient(t, srv, nil)
	_, err = bare.Get(context.Background(), pdstest.AlexSmith)
	assert.ErrorIs(t, err, spine.ErrAccessDenied)
}

// 30% of answers are 429, 503 or dropped connections: every Get still
// succeeds within its context and within the retry cap, and an Update whose
// answer is lost is applied once.
func TestFaultsAreRetriedSafely(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	srv.SetFaultRate(0.3, 42,
		pdstest.Fault{Status: 429, RetryAfter: "0"},
		pdstest.Fault{Status: 503, RetryAfter: "0"},
		pdstest.Fault{Drop: true})
	var logs bytes.Buffer
	const maxAttempts = 10
	c := newClient(t, srv, func(cfg *pds.Config) {
		cfg.MaxAttempts = maxAttempts
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const gets = 200
	for i := 0; i < gets; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Get(ctx, pdstest.SamJones)
		cancel()
		require.NoError(t, err, "get %d", i)
	}
	st := srv.Stats()
	t.Logf("%d Gets: %d requests, %d faults", gets, st.Requests, st.Faults)
	assert.Greater(t, st.Faults, gets/5, "the schedule injected faults")
	assert.LessOrEqual(t, st.Requests, gets*maxAttempts)

	srv.SetFaultRate(0, 0)
	p, err := c.Get(context.Background(), pdstest.SamJones)
	require.NoError(t, err)
	srv.Inject(pdstest.Fault{DropAfter: true})
	up, err := c.Update(context.Background(), p.NHSNumber, p.Version,
		pds.Patch{Op: "replace", Path: "/address/0/id", Value: p.Address[0].ID},
		pds.Patch{Op: "replace", Path: "/address/0/postalCode", Value: "BD1 2AB"})
	require.NoError(t, err)
	assert.Equal(t, p.Version+1, up.Version)
	assert.Equal(t, 1, srv.Stats().Patches, "the lost answer's PATCH was not applied again")

	for _, secret := range []string{string(pdstest.SamJones), "JONES", "Sam", "BD1"} {
		assert.False(t, strings.Contains(logs.String(), secret), "the logs hold %q", secret)
	}
	assert.True(t, strings.Contains(logs.String(), "path=/Patient/******0026"), "the NHS number is logged masked")
}

func TestErrorsAndLogsHideIdentity(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	var logs bytes.Buffer
	c := newClient(t, srv, func(cfg *pds.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := c.Search(context.Background(), pds.Query{Family: "SMITH", Given: []string{"Alex"}, BirthDate: date("1980-01-01"), Postcode: "LS1 4AP"})
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "9990000085")
	require.Error(t, err)
	for _, secret := range []string{"SMITH", "Alex", "LS1", "9990000085", "1980-01-01"} {
		assert.False(t, strings.Contains(logs.String(), secret), "the logs hold %q", secret)
		assert.NotContains(t, err.Error(), secret)
	}
	var ae *spine.APIError
	assert.True(t, errors.As(err, &ae))
}

func TestConfig(t *testing.T) {
	_, err := pds.New(pds.Config{BaseURL: "not a url"})
	assert.ErrorIs(t, err, pds.ErrConfig)
	_, err = pds.New(pds.Config{BaseURL: "https://x", EndUserOrganisationODS: "bad code"})
	assert.ErrorIs(t, err, pds.ErrConfig)
	_, err = pds.New(pds.Config{BaseURL: "https://x", RequestsPerSecond: -1})
	assert.ErrorIs(t, err, pds.ErrConfig)
}

// A context that ends while a request waits for its turn under the rate
// limit ends the request.
func TestRateLimitWaitHonoursContext(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, func(cfg *pds.Config) { cfg.RequestsPerSecond = 1; cfg.Burst = 1 })
	_, err := c.Get(context.Background(), pdstest.AlexSmith)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Get(ctx, pdstest.AlexSmith)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, srv.Stats().Requests, "the second Get never reached the fake")
}

// A request that keeps failing is sent exactly MaxAttempts times and ends
// in the last answer's typed error.
func TestRetryCap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault pdstest.Fault
		is    error
	}{
		{"503", pdstest.Fault{Status: 503, RetryAfter: "0"}, nil},
		{"429", pdstest.Fault{Status: 429, RetryAfter: "0"}, spine.ErrTooManyRequests},
		{"dropped", pdstest.Fault{Drop: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := pdstest.NewServer()
			defer srv.Close()
			srv.Inject(tc.fault, tc.fault, tc.fault, tc.fault, tc.fault)
			c := newClient(t, srv, func(cfg *pds.Config) { cfg.MaxAttempts = 3 })
			_, err := c.Get(context.Background(), pdstest.SamJones)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Equal(t, 3, srv.Stats().Requests, "sent exactly MaxAttempts times")
			assert.NotContains(t, err.Error(), string(pdstest.SamJones))
			// The two faults left are used up by the next request, which then succeeds.
			_, err = c.Get(context.Background(), pdstest.SamJones)
			require.NoError(t, err)
			assert.Equal(t, 6, srv.Stats().Requests)
		})
	}
}

// Updates under a 30% fault schedule that includes answers
// lost after the PATCH was applied: every successful Update is applied
// exactly once, and a conflicting one is refused, never merged.
func TestUpdatesUnderFaultsAppliedOnce(t *testing.T) {
	srv := pdstest.NewServer()
	defer srv.Close()
	srv.SetFaultRate(0.3, 7,
		pdstest.Fault{Status: 503, RetryAfter: "0"},
		pdstest.Fault{Status: 429, RetryAfter: "0"},
		pdstest.Fault{Drop: true},
		pdstest.Fault{DropAfter: true})
	c := newClient(t, srv, func(cfg *pds.Config) { cfg.MaxAttempts = 10 })
	ctx := context.Background()
	const updates = 20
	applied := 0
	for i := 0; i < updates; i++ {
		p, err := c.Get(ctx, pdstest.AlexSmith)
		require.NoError(t, err)
		up, err := c.Update(ctx, p.NHSNumber, p.Version,
			pds.Patch{Op: "test", Path: "/name/0/id", Value: p.Name[0].ID},
			pds.Patch{Op: "add", Path: "/name/0/given/-", Value: "G" + string(rune('a'+i))})
		require.NoError(t, err, "update %d", i)
		assert.Equal(t, p.Version+1, up.Version, "update %d", i)
		applied++
		// A stale version is refused.
		_, err = c.Update(ctx, p.NHSNumber, p.Version, pds.Patch{Op: "test", Path: "/name/0/id", Value: p.Name[0].ID}, pds.Patch{Op: "remove", Path: "/name/0/given/0"})
		require.ErrorIs(t, err, spine.ErrResourceVersionMismatch)
	}
	st := srv.Stats()
	t.Logf("%d updates: %d requests, %d faults", updates, st.Requests, st.Faults)
	assert.Equal(t, applied, st.Patches, "each update applied once")
	raw, version, ok := srv.Patient(pdstest.AlexSmith)
	require.True(t, ok)
	assert.Equal(t, 1+updates, version)
	for i := 0; i < updates; i++ {
		assert.Equal(t, 1, strings.Count(string(raw), `"G`+string(rune('a'+i))+`"`), "given name %d once", i)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
