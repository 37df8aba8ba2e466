// Package appointments benchmarks the appointment API through its
// http.Handler over real loopback HTTP: search and book throughput and
// p99 latency, with the ledger in memory and on PostgreSQL (set
// NHSKIT_PG_DSN; the PostgreSQL runs are skipped without it). There is no
// Go peer for this API; the in-memory ledger is the baseline the
// PostgreSQL figures are read against.
package appointments

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/appointments"
	"github.com/nhskit/nhskit/booking/pgstore"
)

var services = []string{"cardiology", "dermatology", "orthopaedics", "ent", "respiratory"}

var sites = []booking.LatLon{{Lat: 53.7960, Lon: -1.5479}, {Lat: 53.9590, Lon: -1.0815}, {Lat: 53.3811, Lon: -1.4701}, {Lat: 53.4808, Lon: -2.2426}}

// diary is 10,000 slots over eight weeks from 2030-03-04, weekdays
// 08:00-18:00 in Europe/London.
func diary(capacity int) []booking.Slot {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2030, 3, 4, 0, 0, 0, 0, booking.London)
	out := make([]booking.Slot, 10000)
	for i := range out {
		day := start.AddDate(0, 0, rng.IntN(56))
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, 1)
		}
		t := time.Date(day.Year(), day.Month(), day.Day(), 8+rng.IntN(10), 15*rng.IntN(4), 0, 0, booking.London)
		pos := sites[rng.IntN(len(sites))]
		out[i] = booking.Slot{ID: fmt.Sprintf("s%05d", i), Service: services[rng.IntN(len(services))], Start: t, End: t.Add(20 * time.Minute),
			Capacity: capacity, Position: &pos, Modality: booking.FaceToFace, Location: "Site " + strconv.Itoa(rng.IntN(4)), Source: "trust"}
	}
	return out
}

// newLedger returns the ledger under test, loaded with slots.
func newLedger(b *testing.B, kind string, slots []booking.Slot) booking.Ledger {
	ctx := context.Background()
	switch kind {
	case "memory":
		l := booking.NewMemoryLedger(nil)
		if _, err := l.AddSlots(ctx, slots...); err != nil {
			b.Fatal(err)
		}
		return l
	}
	dsn := os.Getenv("NHSKIT_PG_DSN")
	if dsn == "" {
		b.Skip("NHSKIT_PG_DSN not set")
	}
	l, err := pgstore.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	if err := l.Reset(ctx); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(slots); i += 1000 {
		if _, err := l.AddSlots(ctx, slots[i:min(i+1000, len(slots))]...); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

func serve(b *testing.B, l booking.Ledger) (*httptest.Server, *booking.Engine) {
	e := booking.NewEngine(nil)
	if err := e.Sync(context.Background(), l); err != nil {
		b.Fatal(err)
	}
	h, err := appointments.New(appointments.Config{Ledger: l, Engine: e,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Now:    func() time.Time { return time.Date(2030, 3, 4, 0, 0, 0, 0, booking.London) }})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	return srv, e
}

// measure runs op from 16 goroutines and reports requests per second and
// the 99th-percentile latency.
func measure(b *testing.B, op func(client *http.Client, i int64) error, client *http.Client) {
	var mu sync.Mutex
	var all []time.Duration
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t := time.Now()
			if err := op(client, n.Add(1)); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}

func do(c *http.Client, req *http.Request, want int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return nil
}

// BenchmarkSearch is "any Tuesday afternoon within an hour, ten best" for
// a patient in Leeds, through the handler.
func BenchmarkSearch(b *testing.B) {
	for _, kind := range []string{"memory", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			srv, _ := serve(b, newLedger(b, kind, diary(1)))
			url := srv.URL + "/api/appointments/available?service=cardiology&weekday=tue&partOfDay=afternoon&lat=53.80&lon=-1.55&maxTravelMinutes=60&limit=10"
			measure(b, func(c *http.Client, _ int64) error {
				req, _ := http.NewRequest("GET", url, nil)
				return do(c, req, http.StatusOK)
			}, srv.Client())
		})
	}
}

// BenchmarkBook books a new patient per request, with an Idempotency-Key
// as a careful client sends, spread over the 10,000 slots (capacity 1,000
// each, so none fills).
func BenchmarkBook(b *testing.B) {
	for _, kind := range []string{"memory", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			srv, _ := serve(b, newLedger(b, kind, diary(1000)))
			measure(b, func(c *http.Client, i int64) error {
				body := fmt.Sprintf(`{"slotId":"s%05d","patient":"p%d"}`, (i*7919)%10000, i)
				req, _ := http.NewRequest("POST", srv.URL+"/api/appointments/book", bytes.NewReader([]byte(body)))
				req.Header.Set("Idempotency-Key", "k"+strconv.FormatInt(i, 10))
				return do(c, req, http.StatusCreated)
			}, srv.Client())
		})
	}
}
