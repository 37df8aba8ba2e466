// Package ers_test measures the per-call overhead of spine/ers (local role
// and input checks, request headers, httpx with its rate limiter and retry
// wrapper, typed decoding) against a bare net/http request decoded with
// encoding/json, both against the same erstest fake on loopback: a
// referral read (A005) and a page of 20 slots (A015).
//
//	cd bench && go test -run='^$' -bench=Referral -benchmem -count=8 -benchtime=1000x ./ers/
//	cd bench && go test -run='^$' -bench=Slots -benchmem -count=8 -benchtime=500x ./ers/
package ers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/ers"
	"github.com/nhskit/nhskit/spine/ers/erstest"
)

const patient nhsid.NHSNumber = "9990000018"

func setup(b *testing.B) (*erstest.Server, *ers.Client, string) {
	b.Helper()
	f := erstest.NewServer()
	b.Cleanup(f.Close)
	f.AddService(erstest.Service{ID: "11000", Name: "Leeds Cardiology", Specialty: "CARDIOLOGY", DirectlyBookable: true, Provider: "RR8"})
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 40 {
		s := start.Add(time.Duration(i) * 30 * time.Minute)
		f.AddSlots("11000", erstest.Slot{ID: "s" + string(rune('A'+i/26)) + string(rune('a'+i%26)), Start: s, End: s.Add(30 * time.Minute)})
	}
	f.AddReferral(erstest.Referral{UBRN: "900000000042", Version: 3, Patient: patient, Specialty: "CARDIOLOGY", Services: []string{"11000"}, Referrer: "A81001"})
	// An effectively unlimited rate: the benchmark measures overhead.
	c, err := ers.New(ers.Config{BaseURL: f.URL, BusinessFunction: ers.ReferringClinician, Organisation: "A81001", RequestsPerSecond: 1e9, Burst: 1000})
	if err != nil {
		b.Fatal(err)
	}
	return f, c, f.URL
}

func bare(b *testing.B, hc *http.Client, url string, v any) http.Header {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("NHSD-eRS-Business-Function", "REFERRING_CLINICIAN")
	req.Header.Set("NHSD-End-User-Organisation-ODS", "A81001")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		b.Fatal(err)
	}
	return resp.Header
}

func BenchmarkReferral(b *testing.B) {
	_, c, base := setup(b)
	ctx := context.Background()
	b.Run("nhskit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := c.Referral(ctx, "900000000042")
			if err != nil {
				b.Fatal(err)
			}
			if r.Version != 3 || r.Patient != patient {
				b.Fatalf("version %d", r.Version)
			}
		}
	})
	b.Run("nethttp+json", func(b *testing.B) {
		hc := &http.Client{}
		b.ReportAllocs()
		for b.Loop() {
			var r struct {
				ID   string `json:"id"`
				Meta struct {
					VersionID string `json:"versionId"`
				} `json:"meta"`
				Extension []json.RawMessage `json:"extension"`
				Subject   struct {
					Identifier struct{ Value string } `json:"identifier"`
				} `json:"subject"`
			}
			h := bare(b, hc, base+"/STU3/ReferralRequest/900000000042", &r)
			if r.Meta.VersionID != "3" || h.Get("ETag") != `W/"3"` || r.Subject.Identifier.Value != string(patient) {
				b.Fatal("unexpected referral")
			}
		}
	})
}

func BenchmarkSlots(b *testing.B) {
	_, c, base := setup(b)
	ctx := context.Background()
	b.Run("nhskit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := c.SlotsPage(ctx, ers.SlotQuery{ServiceID: "11000", Priority: ers.Routine, PageSize: 20, Page: 1})
			if err != nil {
				b.Fatal(err)
			}
			if len(p.Slots) != 20 || p.Next != 2 {
				b.Fatalf("%d slots", len(p.Slots))
			}
		}
	})
	b.Run("nethttp+json", func(b *testing.B) {
		hc := &http.Client{}
		url := base + "/STU3/Slot?schedule.actor%3AHealthcareService=11000&appointmentType=ROUTINE&status=free&_count=20&page=1&_include=Slot%3Aschedule"
		b.ReportAllocs()
		for b.Loop() {
			var bundle struct {
				Entry []struct {
					Resource struct {
						ResourceType string `json:"resourceType"`
						ID           string `json:"id"`
						Start, End   time.Time
					} `json:"resource"`
				} `json:"entry"`
			}
			bare(b, hc, url, &bundle)
			n := 0
			for _, e := range bundle.Entry {
				if e.Resource.ResourceType == "Slot" {
					n++
				}
			}
			if n != 20 {
				b.Fatalf("%d slots", n)
			}
		}
	})
}
