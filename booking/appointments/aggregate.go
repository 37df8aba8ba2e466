package appointments

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/nhskit/nhskit/booking"
)

// Cache keeps sources' answers between searches. Implementations must be
// safe for concurrent use; MemoryCache is the in-process default, and a
// shared cache (Redis, memcached) fits the same two methods.
type Cache interface {
	Get(key string) (slots []booking.Slot, at time.Time, ok bool)
	Put(key string, slots []booking.Slot, at time.Time)
}

// MemoryCache is a Cache in process memory, holding at most Max answers
// (default 1024; the oldest goes first).
type MemoryCache struct {
	Max int

	mu    sync.Mutex
	items map[string]cached
}

type cached struct {
	slots []booking.Slot
	at    time.Time
}

// Get implements Cache.
func (c *MemoryCache) Get(key string) ([]booking.Slot, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	return it.slots, it.at, ok
}

// Put implements Cache.
func (c *MemoryCache) Put(key string, slots []booking.Slot, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]cached{}
	}
	limit := c.Max
	if limit <= 0 {
		limit = 1024
	}
	if _, ok := c.items[key]; !ok && len(c.items) >= limit {
		oldest := ""
		for k, v := range c.items {
			if oldest == "" || v.at.Before(c.items[oldest].at) {
				oldest = k
			}
		}
		delete(c.items, oldest)
	}
	c.items[key] = cached{slots: slots, at: at}
}

// Aggregator asks many sources (trust feeds, GP practices through
// spine/gpconnect) for slots at once. Each source has its own timeout and
// circuit breaker, so one slow or failing trust does not slow every
// search; an answer is reused while fresh, and when a source fails its
// last answer is served, labelled with its age.
type Aggregator struct {
	Sources map[string]booking.SlotSource
	// Timeout bounds each source per search (default 2 s).
	Timeout time.Duration
	// Fresh is how long an answer is served from the cache without asking
	// again (default 30 s; negative: always ask).
	Fresh time.Duration
	// Cache keeps answers (default a MemoryCache).
	Cache Cache
	// Failures in a row open a source's breaker (default 3); while open
	// the source is not asked for Cooldown (default 30 s), after which one
	// search tries it again.
	Failures int
	Cooldown time.Duration
	Now      func() time.Time

	once     sync.Once
	mu       sync.Mutex
	breakers map[string]*breaker
}

type breaker struct {
	fails     int
	openUntil time.Time
	probing   bool
}

// AggregateResult is what a search of the sources found.
type AggregateResult struct {
	Slots    []booking.Slot
	Statuses []SourceStatus // one per source, by name
	Partial  bool           // some source's slots are missing or stale
}

// errLate marks a source that missed its timeout.
var errLate = errors.New("appointments: source did not answer in time")

func (a *Aggregator) init() {
	a.once.Do(func() {
		if a.Timeout <= 0 {
			a.Timeout = 2 * time.Second
		}
		if a.Fresh == 0 {
			a.Fresh = 30 * time.Second
		}
		if a.Cache == nil {
			a.Cache = &MemoryCache{}
		}
		if a.Failures <= 0 {
			a.Failures = 3
		}
		if a.Cooldown <= 0 {
			a.Cooldown = 30 * time.Second
		}
		if a.Now == nil {
			a.Now = time.Now
		}
		a.breakers = map[string]*breaker{}
	})
}

// admit reports whether a source may be asked now; an open breaker lets
// one probe through once its cooldown is over.
func (a *Aggregator) admit(name string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.breakers[name]
	if b == nil || b.fails < a.Failures {
		return true
	}
	if now.Before(b.openUntil) || b.probing {
		return false
	}
	b.probing = true
	return true
}

func (a *Aggregator) record(name string, ok bool, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.breakers[name]
	if b == nil {
		b = &breaker{}
		a.breakers[name] = b
	}
	b.probing = false
	if ok {
		b.fails = 0
		return
	}
	b.fails++
	if b.fails >= a.Failures {
		b.openUntil = now.Add(a.Cooldown)
	}
}

// Search asks every source concurrently, each for at most Timeout.
func (a *Aggregator) Search(ctx context.Context, q booking.Query) AggregateResult {
	a.init()
	names := make([]string, 0, len(a.Sources))
	for n := range a.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	statuses := make([]SourceStatus, len(names))
	answers := make([][]booking.Slot, len(names))
	key := q.Service + "\x00" + q.From.UTC().Format(time.RFC3339) + "\x00" + q.To.UTC().Format(time.RFC3339)
	var wg sync.WaitGroup
	for i, name := range names {
		now := a.Now()
		ck := name + "\x00" + key
		cachedSlots, at, have := a.Cache.Get(ck)
		stale := func(status string) {
			statuses[i] = SourceStatus{Name: name, Status: status}
			if have {
				answers[i] = cachedSlots
				statuses[i].Slots = len(cachedSlots)
				statuses[i].AgeSeconds = now.Sub(at).Seconds()
			}
		}
		if have && a.Fresh > 0 && now.Sub(at) < a.Fresh {
			stale("cached")
			continue
		}
		if !a.admit(name, now) {
			stale("open")
			continue
		}
		wg.Go(func() {
			slots, err := a.ask(ctx, a.Sources[name], q)
			done := a.Now()
			a.record(name, err == nil, done)
			if err != nil {
				if errors.Is(err, errLate) {
					stale("late")
				} else {
					stale("failed")
				}
				return
			}
			for k := range slots {
				if slots[k].Source == "" {
					slots[k].Source = name
				}
			}
			a.Cache.Put(ck, slots, done)
			answers[i] = slots
			statuses[i] = SourceStatus{Name: name, Status: "fresh", Slots: len(slots)}
		})
	}
	wg.Wait()
	res := AggregateResult{Statuses: statuses}
	for i, s := range answers {
		res.Slots = append(res.Slots, s...)
		if st := statuses[i].Status; st == "failed" || st == "late" || st == "open" {
			res.Partial = true
		}
	}
	sort.SliceStable(res.Slots, func(i, j int) bool { return res.Slots[i].Start.Before(res.Slots[j].Start) })
	return res
}

// ask calls one source, abandoning it (not waiting) when it ignores its
// context past the timeout.
func (a *Aggregator) ask(ctx context.Context, src booking.SlotSource, q booking.Query) ([]booking.Slot, error) {
	sctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	type answer struct {
		slots []booking.Slot
		err   error
	}
	ch := make(chan answer, 1)
	go func() {
		s, err := src.Slots(sctx, q)
		ch <- answer{s, err}
	}()
	select {
	case ans := <-ch:
		if ans.err != nil && sctx.Err() != nil && ctx.Err() == nil {
			return nil, errLate
		}
		return ans.slots, ans.err
	case <-sctx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errLate
	}
}
