package booking

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Query asks a source for slots of a service in a time range.
type Query struct {
	Service  string
	From, To time.Time
}

func (q Query) key() string {
	return q.Service + "\x00" + q.From.UTC().Format(time.RFC3339Nano) + "\x00" + q.To.UTC().Format(time.RFC3339Nano)
}

// SlotSource is anything that offers slots: a trust's PAS, a GP practice
// through GP Connect, an e-RS service.
type SlotSource interface {
	Slots(ctx context.Context, q Query) ([]Slot, error)
}

// SlotSourceFunc adapts a function to SlotSource.
type SlotSourceFunc func(ctx context.Context, q Query) ([]Slot, error)

// Slots implements SlotSource.
func (f SlotSourceFunc) Slots(ctx context.Context, q Query) ([]Slot, error) { return f(ctx, q) }

// Aggregator queries many sources at once. A source that fails or is late
// does not fail the search: the result says which, and carries what the
// others returned.
type Aggregator struct {
	// Sources by name; the name is set as Slot.Source when a slot has none.
	Sources map[string]SlotSource
	// Timeout bounds each source (default 5s).
	Timeout time.Duration
	// Freshness is how long a source's answer is reused for the same query
	// (default 0: no cache).
	Freshness time.Duration
	// Now is the cache's clock (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cacheEntry
}

type cacheEntry struct {
	slots []Slot
	at    time.Time
}

// SourceReport says how one source answered.
type SourceReport struct {
	Source  string
	Slots   int
	Err     error // nil when the source answered
	Late    bool  // it did not answer within Timeout
	Cached  bool  // the answer came from the cache
	Latency time.Duration
}

// Result is what a search found.
type Result struct {
	Slots   []Slot         // from every source that answered, by start time
	Reports []SourceReport // one per source, by name
}

// Failed returns the reports of sources that did not answer.
func (r Result) Failed() []SourceReport {
	var out []SourceReport
	for _, rep := range r.Reports {
		if rep.Err != nil {
			out = append(out, rep)
		}
	}
	return out
}

// ErrLate is the error of a source that missed its timeout.
var ErrLate = errors.New("booking: source did not answer in time")

// Search asks every source concurrently and waits at most Timeout for each.
func (a *Aggregator) Search(ctx context.Context, q Query) Result {
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	names := make([]string, 0, len(a.Sources))
	for n := range a.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	reports := make([]SourceReport, len(names))
	answers := make([][]Slot, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		if a.Freshness > 0 {
			a.mu.Lock()
			ce, ok := a.cache[name+"\x00"+q.key()]
			a.mu.Unlock()
			if ok && now().Sub(ce.at) < a.Freshness {
				reports[i] = SourceReport{Source: name, Slots: len(ce.slots), Cached: true}
				answers[i] = ce.slots
				continue
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			sctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			type answer struct {
				slots []Slot
				err   error
			}
			ch := make(chan answer, 1)
			go func() {
				s, err := a.Sources[name].Slots(sctx, q)
				ch <- answer{s, err}
			}()
			var ans answer
			late := false
			select {
			case ans = <-ch:
				if errors.Is(ans.err, context.DeadlineExceeded) && sctx.Err() != nil && ctx.Err() == nil {
					late = true
					ans.err = ErrLate
				}
			case <-sctx.Done():
				// A source that ignores its context is abandoned.
				late = ctx.Err() == nil
				ans.err = ErrLate
				if !late {
					ans.err = ctx.Err()
				}
			}
			rep := SourceReport{Source: name, Latency: time.Since(start), Late: late}
			if ans.err != nil {
				rep.Err = fmt.Errorf("booking: source %s: %w", name, ans.err)
				reports[i] = rep
				return
			}
			for k := range ans.slots {
				if ans.slots[k].Source == "" {
					ans.slots[k].Source = name
				}
			}
			rep.Slots = len(ans.slots)
			reports[i] = rep
			answers[i] = ans.slots
			if a.Freshness > 0 {
				a.mu.Lock()
				if a.cache == nil {
					a.cache = map[string]cacheEntry{}
				}
				a.cache[name+"\x00"+q.key()] = cacheEntry{slots: ans.slots, at: now()}
				a.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var res Result
	res.Reports = reports
	for _, s := range answers {
		res.Slots = append(res.Slots, s...)
	}
	sort.SliceStable(res.Slots, func(i, j int) bool { return res.Slots[i].Start.Before(res.Slots[j].Start) })
	return res
}
