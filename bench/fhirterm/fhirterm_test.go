// Package fhirterm measures snomed/fhirterm: each FHIR operation through
// the handler (request parsing, the store, the FHIR model and JSON) side
// by side with the same question asked of the store's Go API in the same
// run, so that the HTTP + FHIR cost is visible. NHSKIT_SNOMED_STORE names
// a store (a real release or the UK-Monolith-size synthetic one):
//
//	go run ./examples/snomed generate /tmp/uk 1150000
//	go run ./examples/snomed import /tmp/uk /tmp/uk.db
//	cd bench && NHSKIT_SNOMED_STORE=/tmp/uk.db go test -run='^$' -bench=. -benchtime=2000x -count=3 ./fhirterm/
//
// Without it a small synthetic release is generated. Each benchmark
// reports the median (p50-ns) beside the mean.
package fhirterm

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/fhirterm"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

const finding = 404684003

var shared struct {
	once sync.Once
	path string
	s    *snomed.Store
	h    *fhirterm.Handler
	ids  []snomed.ID // active clinical findings, shuffled
	qs   []string    // two-word prefixes of their terms
	err  error
}

func setup(b *testing.B) {
	b.Helper()
	shared.once.Do(func() {
		path := os.Getenv("NHSKIT_SNOMED_STORE")
		if path == "" {
			dir, err := os.MkdirTemp("", "nhskit-fhirterm-bench-")
			if err != nil {
				shared.err = err
				return
			}
			if _, shared.err = snomedtest.Generate(dir, snomedtest.Config{Concepts: 5000, Seed: 1}); shared.err != nil {
				return
			}
			path = filepath.Join(dir, "store.db")
			if shared.err = snomed.Import(context.Background(), dir, path); shared.err != nil {
				return
			}
		}
		shared.path = path
		if shared.s, shared.err = snomed.Open(path); shared.err != nil {
			return
		}
		shared.s.PrepareSearch()
		shared.h = fhirterm.New(shared.s)
		ids := shared.s.Descendants(finding)
		rng := rand.New(rand.NewPCG(1, 2))
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		shared.ids = ids[:min(len(ids), 4096)]
		for _, c := range shared.ids {
			t, _ := shared.s.PreferredTerm(c, "en-GB")
			w := strings.Fields(t)
			if len(w) >= 2 && len(w[0]) >= 3 && len(w[1]) >= 3 {
				shared.qs = append(shared.qs, strings.ToLower(w[0][:3]+" "+w[1][:3]))
			}
			if len(shared.qs) == 500 {
				break
			}
		}
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
}

// timed runs op b.N times and reports the median.
func timed(b *testing.B, op func(i int)) {
	b.Helper()
	lat := make([]time.Duration, 0, 1<<16)
	i := 0
	for b.Loop() {
		t0 := time.Now()
		op(i)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
		i++
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	}
}

// serve sends one GET through the handler, in process, and checks the
// status.
func serve(b *testing.B, h http.Handler, target string) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
	}
}

func id(c snomed.ID) string { return fmt.Sprint(uint64(c)) }

func BenchmarkLookup(b *testing.B) {
	setup(b)
	s, ids := shared.s, shared.ids
	b.Run("store", func(b *testing.B) {
		timed(b, func(i int) {
			c := ids[i%len(ids)]
			s.Concept(c)
			s.PreferredTerm(c, "en-GB")
			s.Descriptions(c)
			s.Parents(c)
			s.Children(c)
			s.Relationships(c)
		})
	})
	b.Run("fhir", func(b *testing.B) {
		timed(b, func(i int) {
			serve(b, shared.h, "/CodeSystem/$lookup?system=http://snomed.info/sct&code="+id(ids[i%len(ids)]))
		})
	})
}

func BenchmarkSubsumes(b *testing.B) {
	setup(b)
	s, ids := shared.s, shared.ids
	b.Run("store", func(b *testing.B) {
		timed(b, func(i int) {
			x, y := ids[i%len(ids)], ids[(i*7+1)%len(ids)]
			_ = s.IsA(x, y) || s.IsA(y, x)
		})
	})
	b.Run("fhir", func(b *testing.B) {
		timed(b, func(i int) {
			serve(b, shared.h, "/CodeSystem/$subsumes?system=http://snomed.info/sct&codeA="+id(ids[i%len(ids)])+"&codeB="+id(ids[(i*7+1)%len(ids)]))
		})
	})
}

// BenchmarkValidateCode: is a concept in << 404684003? Half the codes are
// clinical findings, half are not.
func BenchmarkValidateCode(b *testing.B) {
	setup(b)
	s := shared.s
	all := s.ActiveConcepts()
	rng := rand.New(rand.NewPCG(3, 4))
	codes := make([]snomed.ID, 2048)
	for i := range codes {
		if i%2 == 0 {
			codes[i] = shared.ids[i%len(shared.ids)]
		} else {
			codes[i] = all[rng.IntN(len(all))]
		}
	}
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		timed(b, func(i int) {
			if _, err := ecl.Contains(ctx, s, "<< 404684003", codes[i%len(codes)]); err != nil {
				b.Fatal(err)
			}
		})
	})
	vs := url.QueryEscape("http://snomed.info/sct?fhir_vs=ecl/" + url.PathEscape("<< 404684003"))
	b.Run("fhir", func(b *testing.B) {
		timed(b, func(i int) {
			serve(b, shared.h, "/ValueSet/$validate-code?url="+vs+"&system=http://snomed.info/sct&code="+id(codes[i%len(codes)]))
		})
	})
}

// BenchmarkExpandFilter: autocomplete, a two-word prefix filter inside
// << 404684003, 20 results.
func BenchmarkExpandFilter(b *testing.B) {
	setup(b)
	s, qs := shared.s, shared.qs
	b.Run("store", func(b *testing.B) {
		timed(b, func(i int) {
			s.Search(qs[i%len(qs)], snomed.SearchOptions{Limit: 20, Roots: []snomed.ID{finding}})
		})
	})
	vs := url.QueryEscape("http://snomed.info/sct?fhir_vs=ecl/" + url.PathEscape("<< 404684003"))
	b.Run("fhir", func(b *testing.B) {
		timed(b, func(i int) {
			serve(b, shared.h, "/ValueSet/$expand?count=20&url="+vs+"&filter="+url.QueryEscape(qs[i%len(qs)]))
		})
	})
	exact := fhirterm.New(s, fhirterm.WithExactTotals())
	b.Run("fhir-exact-total", func(b *testing.B) {
		timed(b, func(i int) {
			serve(b, exact, "/ValueSet/$expand?count=20&url="+vs+"&filter="+url.QueryEscape(qs[i%len(qs)]))
		})
	})
}

// BenchmarkThroughput: a mix of the four operations over real HTTP on
// loopback from GOMAXPROCS×4 clients; reports requests per second.
func BenchmarkThroughput(b *testing.B) {
	setup(b)
	srv := httptest.NewServer(shared.h)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	vs := url.QueryEscape("http://snomed.info/sct?fhir_vs=ecl/" + url.PathEscape("<< 404684003"))
	ids, qs := shared.ids, shared.qs
	var n atomic.Int64
	b.SetParallelism(4)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			c := id(ids[i%len(ids)])
			var target string
			switch i % 4 {
			case 0:
				target = "/CodeSystem/$lookup?system=http://snomed.info/sct&code=" + c
			case 1:
				target = "/CodeSystem/$subsumes?system=http://snomed.info/sct&codeA=" + c + "&codeB=" + id(ids[(i*7+1)%len(ids)])
			case 2:
				target = "/ValueSet/$validate-code?url=" + vs + "&system=http://snomed.info/sct&code=" + c
			case 3:
				target = "/ValueSet/$expand?count=20&url=" + vs + "&filter=" + url.QueryEscape(qs[i%len(qs)])
			}
			resp, err := client.Get(srv.URL + target)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("%s: %d", target, resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "req/s")
}

// BenchmarkOpenSearch: Open a store and answer its first search, with the
// search index side file in place (written by an earlier search).
func BenchmarkOpenSearch(b *testing.B) {
	setup(b)
	q := shared.qs[0]
	for b.Loop() {
		s, err := snomed.Open(shared.path)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Search(q, snomed.SearchOptions{Limit: 10})) == 0 {
			b.Fatal("no hits")
		}
		s.Close()
	}
}
