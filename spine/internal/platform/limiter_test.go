package platform_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/sds"
)

// memService answers the three services from memory, with no network, so
// that the clients run inside a synctest bubble on its fake clock. It
// records when each request arrived and for which service.
type memService struct {
	mu      sync.Mutex
	arrived []time.Time
	by      map[string]int
}

func (m *memService) client() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		m.mu.Lock()
		m.arrived = append(m.arrived, time.Now())
		m.by[r.URL.Host]++
		m.mu.Unlock()
		rr := httptest.NewRecorder()
		rr.Header().Set("Content-Type", "application/fhir+json")
		switch {
		case r.URL.Host == "pds.test":
			id := strings.TrimPrefix(r.URL.Path, "/Patient/")
			rr.Header().Set("ETag", `W/"1"`)
			_, _ = io.WriteString(rr, `{"resourceType":"Patient","id":"`+id+`","meta":{"versionId":"1"}}`)
		case r.URL.Host == "sds.test" && strings.HasSuffix(r.URL.Path, "/Device"):
			_, _ = io.WriteString(rr, `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Device","identifier":[{"system":"https://fhir.nhs.uk/Id/nhsSpineASID","value":"918999198993"}]}}]}`)
		case r.URL.Host == "sds.test":
			_, _ = io.WriteString(rr, `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Endpoint","address":"https://gp.test/fhir"}}]}`)
		case r.URL.Host == "gp.test":
			_, _ = io.WriteString(rr, `{"resourceType":"CapabilityStatement"}`)
		default:
			rr.WriteHeader(http.StatusNotFound)
		}
		resp := rr.Result()
		resp.Request = r
		return resp, nil
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// One limiter shared by two PDS clients, an SDS client and a GP Connect
// client holds the application's 5 transactions per second in total: on
// synctest's fake clock the requests arrive exactly 200 ms apart, whichever
// client sends them, however many goroutines ask at once.
func TestSharedLimiterHoldsRateAcrossClients(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := &memService{by: map[string]int{}}
		hc := svc.client()
		shared := rate.NewLimiter(pds.DefaultRequestsPerSecond, 1)

		pdsA, err := pds.New(pds.Config{BaseURL: "https://pds.test", HTTPClient: hc, Limiter: shared})
		require.NoError(t, err)
		pdsB, err := pds.New(pds.Config{BaseURL: "https://pds.test", HTTPClient: hc, Limiter: shared})
		require.NoError(t, err)
		dir, err := sds.New(sds.Config{BaseURL: "https://sds.test", HTTPClient: hc, Limiter: shared, CacheLifetime: -1})
		require.NoError(t, err)
		gp, err := gpconnect.New(gpconnect.Config{
			BaseURL: "https://gp.test/fhir", ConsumerASID: "200000000359", ProviderASID: "918999198993",
			HTTPClient: hc, Limiter: shared,
			Requester: gpconnect.Requester{
				Issuer:           "https://consumer.example.nhs.uk",
				Device:           gpconnect.Device{System: "https://consumer.example.nhs.uk/Id/device", Value: "hub-1", Model: "nhskit", Version: "0.1"},
				OrganizationODS:  "RR8",
				OrganizationName: "Extended Access Hub",
				Practitioner: gpconnect.RequestingPractitioner{
					ID: "u1", SDSUserID: "111222333444", SDSRoleProfileID: "444555666777",
					LocalSystem: "https://consumer.example.nhs.uk/Id/user-guid", LocalID: "u1", Family: "Booker", Given: []string{"Sam"},
				},
			},
		})
		require.NoError(t, err)

		const perClient = 10 // SDS look-ups make two requests each
		ctx := context.Background()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, 4*perClient)
		for i := range perClient {
			n, ok := nhsid.TestNHSNumber(uint64(1 + i%7))
			require.True(t, ok)
			wg.Go(func() {
				if _, err := pdsA.Get(ctx, n); err != nil {
					errs <- err
				}
			})
			wg.Go(func() {
				if _, err := pdsB.Get(ctx, n); err != nil {
					errs <- err
				}
			})
			ods := nhsid.ODSCode("A810" + strconv.Itoa(10+i)) // distinct: look-ups of one key are made once
			wg.Go(func() {
				if _, err := dir.Lookup(ctx, ods, gpconnect.InteractionSearchSlots, ""); err != nil {
					errs <- err
				}
			})
			wg.Go(func() {
				if _, err := gp.Metadata(ctx); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		total := 5 * perClient
		assert.Equal(t, map[string]int{"pds.test": 2 * perClient, "sds.test": 2 * perClient, "gp.test": perClient}, svc.by)
		require.Len(t, svc.arrived, total)
		at := slices.Clone(svc.arrived)
		slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
		assert.Equal(t, start, at[0], "the first request goes at once")
		for i := 1; i < total; i++ {
			assert.Equal(t, 200*time.Millisecond, at[i].Sub(at[i-1]), "request %d", i)
		}
		// 50 requests at 5 per second with burst 1 take 9.8 s: the quota is
		// the application's, not each client's (four clients alone would
		// have finished in a quarter of the time).
		assert.Equal(t, time.Duration(total-1)*200*time.Millisecond, time.Since(start))
	})
}

// Each client's own limit, without a shared one, is 5 per second for PDS by
// default and none for SDS and GP Connect.
func TestDefaultLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := &memService{by: map[string]int{}}
		c, err := pds.New(pds.Config{BaseURL: "https://pds.test", HTTPClient: svc.client()})
		require.NoError(t, err)
		start := time.Now()
		for range 6 {
			_, err := c.Get(context.Background(), "9990000018")
			require.NoError(t, err)
		}
		assert.Equal(t, time.Second, time.Since(start), "six Gets at the default 5 per second")

		dir, err := sds.New(sds.Config{BaseURL: "https://sds.test", HTTPClient: svc.client(), CacheLifetime: -1})
		require.NoError(t, err)
		start = time.Now()
		for range 6 {
			_, err := dir.Lookup(context.Background(), "A81001", gpconnect.InteractionSearchSlots, "")
			require.NoError(t, err)
		}
		assert.Equal(t, time.Duration(0), time.Since(start))
	})
}
