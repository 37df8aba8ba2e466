// Package fake is what the fakes of national services (pdstest,
// gpconnecttest, sdstest, and meshtest, notifytest and erstest as they
// adopt it) share, so that they behave alike without importing one
// another: one fault-injection vocabulary, and one synthetic population.
//
// A fake embeds Faults, which gives it these methods:
//
//	FailNext(n, status)               the next n requests answer status
//	Inject(faults...)                 the next requests answer these faults, one each
//	SetFaultRate(rate, seed, kinds...) a seeded random fraction of requests fail
//	SetLatency(d)                     every request waits d before it is served
//	Injected()                        how many faults were served
//
// and calls Serve at the top of its handler, passing a function that writes
// the service's own error body for a status.
package fake

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault is one injected failure.
type Fault struct {
	// Status answers with this status and the service's error body for it
	// (429, 500, 503…), with RetryAfter as the Retry-After header when set.
	Status     int
	RetryAfter string
	// Delay waits before answering (or before serving the request, when
	// the fault has no Status and no Drop).
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// DropAfter serves the request and then closes the connection instead
	// of answering, so that the client never learns it succeeded. Only
	// fakes of services that change state honour it (pdstest's PATCH).
	DropAfter bool
}

// Faults is the fault schedule of a fake. The zero value injects nothing;
// it is safe for concurrent use.
type Faults struct {
	mu       sync.Mutex
	queue    []Fault
	rate     float64
	kinds    []Fault
	rnd      *rand.Rand
	latency  time.Duration
	injected int
}

// FailNext makes the next n requests answer status (with Retry-After 0 for
// 429 and 503, so that clients retry at once).
func (f *Faults) FailNext(n, status int) {
	ra := ""
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		ra = "0"
	}
	faults := make([]Fault, n)
	for i := range faults {
		faults[i] = Fault{Status: status, RetryAfter: ra}
	}
	f.Inject(faults...)
}

// Inject queues faults for the next requests, one each.
func (f *Faults) Inject(faults ...Fault) {
	f.mu.Lock()
	f.queue = append(f.queue, faults...)
	f.mu.Unlock()
}

// SetFaultRate answers a fraction rate of requests with one of kinds
// (default: 503 with Retry-After 0), chosen by a generator seeded with seed
// so that a run can be repeated. A rate of 0 turns it off.
func (f *Faults) SetFaultRate(rate float64, seed uint64, kinds ...Fault) {
	if len(kinds) == 0 {
		kinds = []Fault{{Status: http.StatusServiceUnavailable, RetryAfter: "0"}}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate, f.kinds = rate, kinds
	f.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// SetLatency makes every request wait d before it is served.
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	f.latency = d
	f.mu.Unlock()
}

// Injected counts the faults served.
func (f *Faults) Injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected
}

// Next returns the fault for the request about to be served, if any, and
// the latency to apply.
func (f *Faults) Next() (Fault, time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) > 0 {
		x := f.queue[0]
		f.queue = f.queue[1:]
		f.injected++
		return x, f.latency, true
	}
	if f.rnd != nil && f.rate > 0 && f.rnd.Float64() < f.rate {
		f.injected++
		return f.kinds[f.rnd.IntN(len(f.kinds))], f.latency, true
	}
	return Fault{}, f.latency, false
}

// Serve applies the schedule to one request: it waits the latency and the
// fault's delay (ending early when the request is cancelled), and answers
// an injected Status with writeError or drops the connection. It returns
// the fault drawn, and true when the request has been answered and the
// handler must stop.
func (f *Faults) Serve(w http.ResponseWriter, r *http.Request, writeError func(w http.ResponseWriter, status int)) (Fault, bool) {
	x, latency, faulty := f.Next()
	if !sleep(r.Context(), latency+x.Delay) {
		return x, true
	}
	if !faulty || x.DropAfter {
		return x, false
	}
	if x.Drop {
		Drop(w)
		return x, true
	}
	if x.Status == 0 {
		return x, false
	}
	if x.RetryAfter != "" {
		w.Header().Set("Retry-After", x.RetryAfter)
	}
	writeError(w, x.Status)
	return x, true
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Drop closes the connection under w without an answer.
func Drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
