// Package pds_test measures a PDS retrieval through spine/pds (request
// headers, httpx with its rate limiter and retry wrapper, typed decoding,
// ETag, superseded and restricted checks) against a bare net/http GET
// decoded with samply/golang-fhir-models, both against the same pdstest
// fake on loopback.
//
//	cd bench && go test -run '^$' -bench . -benchmem ./pds
package pds_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	samply "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/nhskit/nhskit/spine/pds"
	"github.com/nhskit/nhskit/spine/pds/pdstest"
)

func BenchmarkGet(b *testing.B) {
	srv := pdstest.NewServer()
	defer srv.Close()
	nhs := pdstest.AlexSmith
	ctx := context.Background()

	b.Run("nhskit", func(b *testing.B) {
		// An effectively unlimited rate: the benchmark measures overhead.
		c, err := pds.New(pds.Config{BaseURL: srv.URL, RequestsPerSecond: 1e9, Burst: 1000})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			p, err := c.Get(ctx, nhs)
			if err != nil {
				b.Fatal(err)
			}
			if p.NHSNumber != nhs || p.Version < 1 {
				b.Fatalf("got %s version %d", p.NHSNumber.Masked(), p.Version)
			}
		}
	})

	b.Run("nethttp+samply", func(b *testing.B) {
		hc := &http.Client{}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/Patient/"+string(nhs), nil)
			req.Header.Set("Accept", "application/fhir+json")
			req.Header.Set("X-Request-ID", fmt.Sprintf("60e1b1d5-0000-4000-8000-%012d", i))
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			p, err := samply.UnmarshalPatient(body)
			if err != nil {
				b.Fatal(err)
			}
			if p.Id == nil || *p.Id != string(nhs) || resp.Header.Get("ETag") == "" {
				b.Fatal("unexpected patient")
			}
		}
	})
}
