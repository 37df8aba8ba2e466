// Package booking benchmarks nhskit/booking on synthetic NHS-like diaries:
// NewEngine on 1,000,000 slots, Match among them, and Assign of 5,000
// requests to 50,000 slots, with the greedy baseline's total beside the
// optimal one. There is no Go peer library for slot matching; the greedy
// assignment is the baseline.
package booking

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
)

var services = []string{"cardiology", "dermatology", "orthopaedics", "ent", "gynaecology", "urology", "ophthalmology", "neurology", "respiratory", "gastro"}

var sites = []booking.LatLon{{Lat: 53.7960, Lon: -1.5479}, {Lat: 53.9590, Lon: -1.0815}, {Lat: 53.3811, Lon: -1.4701}, {Lat: 53.4808, Lon: -2.2426}, {Lat: 53.7457, Lon: -0.3367}}

// diary makes n slots spread over services, sites and the 52 weeks from
// start, on weekdays 08:00–18:00 in Europe/London.
func diary(n int, start time.Time, seed uint64) []booking.Slot {
	rng := rand.New(rand.NewPCG(seed, 7))
	slots := make([]booking.Slot, n)
	for i := range slots {
		day := start.AddDate(0, 0, rng.IntN(364))
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, 1)
		}
		t := time.Date(day.Year(), day.Month(), day.Day(), 8+rng.IntN(10), 15*rng.IntN(4), 0, 0, booking.London)
		site := rng.IntN(len(sites))
		slots[i] = booking.Slot{
			ID:           fmt.Sprintf("s%07d", i),
			Service:      services[rng.IntN(len(services))],
			Start:        t,
			End:          t.Add(20 * time.Minute),
			Site:         fmt.Sprintf("SITE%d", site),
			Position:     &sites[site],
			Practitioner: fmt.Sprintf("P%03d", rng.IntN(200)),
			Modality:     []booking.Modality{booking.FaceToFace, booking.FaceToFace, booking.Video, booking.Telephone}[rng.IntN(4)],
		}
	}
	return slots
}

func request(rng *rand.Rand, i int, start time.Time, weeks int) booking.Request {
	from := start.AddDate(0, 0, rng.IntN(7*weeks))
	return booking.Request{
		ID:        fmt.Sprintf("r%05d", i),
		Service:   services[rng.IntN(len(services))],
		Earliest:  from,
		Latest:    from.AddDate(0, 0, 42),
		Priority:  rng.IntN(11),
		Referred:  from.Add(-time.Duration(rng.IntN(20*7*24)) * time.Hour),
		Origin:    &sites[rng.IntN(len(sites))],
		MaxTravel: 90 * time.Minute,
		Windows:   []booking.Window{{Weekday: time.Weekday(1 + rng.IntN(5)), From: 12 * 60, To: 17 * 60}},
	}
}

var start = time.Date(2027, 1, 4, 0, 0, 0, 0, booking.London)

func BenchmarkNewEngine1M(b *testing.B) {
	slots := diary(1_000_000, start, 1)
	b.ReportAllocs()
	for b.Loop() {
		e := booking.NewEngine(slots)
		if e.Err() != nil {
			b.Fatal(e.Err())
		}
	}
}

func BenchmarkMatch1M(b *testing.B) {
	e := booking.NewEngine(diary(1_000_000, start, 1))
	rng := rand.New(rand.NewPCG(3, 4))
	reqs := make([]booking.Request, 1024)
	for i := range reqs {
		reqs[i] = request(rng, i, start, 40)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = e.Match(reqs[i%len(reqs)], 10)
		i++
	}
}

// TestMatchLatencyDistribution reports the median and p95 of Match on the
// 1M-slot engine; it runs only when NHSKIT_BENCH_MATCH=1.
func TestMatchLatencyDistribution(t *testing.T) {
	if os.Getenv("NHSKIT_BENCH_MATCH") != "1" {
		t.Skip("set NHSKIT_BENCH_MATCH=1 to measure the Match latency distribution")
	}
	e := booking.NewEngine(diary(1_000_000, start, 1))
	rng := rand.New(rand.NewPCG(3, 4))
	var d []time.Duration
	for i := range 2000 {
		r := request(rng, i, start, 40)
		t0 := time.Now()
		_ = e.Match(r, 10)
		d = append(d, time.Since(t0))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	t.Logf("Match on 1,000,000 slots: median %v, p95 %v, max %v", d[len(d)/2], d[len(d)*95/100], d[len(d)-1])
}

func assignInstance() (*booking.Engine, []booking.Request) {
	e := booking.NewEngine(diary(50_000, start, 2), booking.WithAssignCandidates(assignK))
	rng := rand.New(rand.NewPCG(5, 6))
	reqs := make([]booking.Request, 5000)
	for i := range reqs {
		reqs[i] = request(rng, i, start, 40)
	}
	return e, reqs
}

// assignK is how many candidates each request brings to Assign in the
// benchmark; 0 would be every feasible pair.
const assignK = 0

func BenchmarkAssign5kx50k(b *testing.B) {
	e, reqs := assignInstance()
	b.ReportAllocs()
	var pairs []booking.Pair
	cpu := cpuTime()
	for b.Loop() {
		pairs = e.Assign(reqs)
	}
	reportCPU(b, cpu)
	greedy := e.AssignGreedy(reqs)
	b.ReportMetric(float64(len(pairs)), "pairs")
	b.ReportMetric(booking.TotalScore(pairs), "optimal-score")
	b.ReportMetric(booking.TotalScore(greedy), "greedy-score")
	b.ReportMetric(float64(len(greedy)), "greedy-pairs")
}

func BenchmarkAssignGreedy5kx50k(b *testing.B) {
	e, reqs := assignInstance()
	b.ReportAllocs()
	for b.Loop() {
		_ = e.AssignGreedy(reqs)
	}
}

// contended makes nReq requests for nSlot slots of one service at one
// site over eight weeks: every request can take most slots, and there
// are more requests than places (or as many), so the assignment has to
// trade requests off against each other everywhere.
func contended(nReq, nSlot int) (*booking.Engine, []booking.Request) {
	rng := rand.New(rand.NewPCG(11, uint64(nReq)))
	slots := make([]booking.Slot, nSlot)
	for i := range slots {
		day := start.AddDate(0, 0, rng.IntN(56))
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, 1)
		}
		t := time.Date(day.Year(), day.Month(), day.Day(), 8+rng.IntN(10), 15*rng.IntN(4), 0, 0, booking.London)
		slots[i] = booking.Slot{ID: fmt.Sprintf("c%05d", i), Service: "cardiology", Start: t, End: t.Add(20 * time.Minute),
			Site: "SITE0", Position: &sites[0], Modality: booking.FaceToFace}
	}
	reqs := make([]booking.Request, nReq)
	for i := range reqs {
		from := start.AddDate(0, 0, rng.IntN(14))
		reqs[i] = booking.Request{ID: fmt.Sprintf("r%05d", i), Service: "cardiology", Earliest: from, Latest: from.AddDate(0, 0, 56),
			Priority: rng.IntN(11), Referred: from.Add(-time.Duration(rng.IntN(40*7*24)) * time.Hour)}
	}
	return booking.NewEngine(slots, booking.WithClock(func() time.Time { return start.AddDate(0, 0, -1) })), reqs
}

func benchContended(b *testing.B, nReq, nSlot int) {
	e, reqs := contended(nReq, nSlot)
	var pairs []booking.Pair
	cpu := cpuTime()
	for b.Loop() {
		pairs = e.Assign(reqs)
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(len(pairs)), "pairs")
	b.ReportMetric(booking.TotalScore(pairs), "optimal-score")
}

func BenchmarkAssignContended4kx1k(b *testing.B)  { benchContended(b, 4000, 1000) }
func BenchmarkAssignContended2kx2k(b *testing.B)  { benchContended(b, 2000, 2000) }
func BenchmarkAssignContended1kx250(b *testing.B) { benchContended(b, 1000, 250) }

// BenchmarkAssign50kx500k assigns 50,000 requests to 500,000 slots with
// 20 candidates a request: the scale the candidate limit is for.
func BenchmarkAssign50kx500k(b *testing.B) {
	e := booking.NewEngine(diary(500_000, start, 3), booking.WithAssignCandidates(20))
	rng := rand.New(rand.NewPCG(7, 8))
	reqs := make([]booking.Request, 50_000)
	for i := range reqs {
		reqs[i] = request(rng, i, start, 40)
	}
	var res booking.AssignResult
	cpu := cpuTime()
	for b.Loop() {
		var err error
		if res, err = e.AssignReport(reqs, booking.AssignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(len(res.Pairs)), "pairs")
	b.ReportMetric(booking.TotalScore(res.Pairs), "optimal-score")
}

// cpuTime is the CPU time (user and system) the process has used. On the
// shared benchmark machine a run gets a fraction of a core, so wall time
// (ns/op) varies with the load while CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU seconds per operation since from, the
// garbage collector's included.
func reportCPU(b *testing.B, from time.Duration) {
	b.ReportMetric((cpuTime()-from).Seconds()/float64(b.N), "cpu-s/op")
}
