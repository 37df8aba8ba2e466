package appointments

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
)

func byName(sts []SourceStatus) map[string]SourceStatus {
	out := map[string]SourceStatus{}
	for _, s := range sts {
		out[s.Name] = s
	}
	return out
}

// TestAggregatorTimeoutsCacheBreaker runs in a synctest bubble: time is
// fake, so the slow trust's minute costs nothing and the checks are exact.
func TestAggregatorTimeoutsCacheBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := booking.Query{Service: "cardiology", From: monday, To: monday.AddDate(0, 0, 14)}
		good := booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
			return fixture()[:3], nil
		})
		var slowCalls, downCalls atomic.Int32
		slow := booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
			slowCalls.Add(1)
			select {
			case <-time.After(time.Minute):
				return fixture()[3:4], nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		})
		var down atomic.Bool
		flaky := booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
			downCalls.Add(1)
			if down.Load() {
				return nil, errors.New("trust feed 503")
			}
			return fixture()[5:6], nil
		})
		a := &Aggregator{Sources: map[string]booking.SlotSource{"practice": good, "slow-trust": slow, "flaky-trust": flaky},
			Timeout: 2 * time.Second, Fresh: 10 * time.Second, Failures: 2, Cooldown: time.Minute}

		start := time.Now()
		res := a.Search(context.Background(), q)
		assert.Equal(t, 2*time.Second, time.Since(start), "the slow source costs its timeout, no more")
		st := byName(res.Statuses)
		assert.Equal(t, "fresh", st["practice"].Status)
		assert.Equal(t, "late", st["slow-trust"].Status)
		assert.Equal(t, "fresh", st["flaky-trust"].Status)
		assert.True(t, res.Partial)
		assert.Len(t, res.Slots, 4)

		// Within Fresh the answers come from the cache, with their age.
		time.Sleep(5 * time.Second)
		res = a.Search(context.Background(), q)
		st = byName(res.Statuses)
		assert.Equal(t, "cached", st["practice"].Status)
		assert.InDelta(t, 7, st["practice"].AgeSeconds, 1e-9, "answered at 0 s; asked at 2 s + 5 s")
		assert.Equal(t, "late", st["slow-trust"].Status, "no answer cached: asked again")
		assert.Equal(t, int32(2), slowCalls.Load())

		// The slow trust has failed twice: its breaker is open, and the
		// search no longer waits for it.
		time.Sleep(10 * time.Second)
		down.Store(true)
		start = time.Now()
		res = a.Search(context.Background(), q)
		assert.Zero(t, time.Since(start), "no source waited on")
		st = byName(res.Statuses)
		assert.Equal(t, "open", st["slow-trust"].Status)
		assert.Equal(t, int32(2), slowCalls.Load())
		// The flaky trust failed: its last answer is served, labelled stale.
		assert.Equal(t, "failed", st["flaky-trust"].Status)
		assert.Equal(t, 1, st["flaky-trust"].Slots)
		assert.InDelta(t, 19, st["flaky-trust"].AgeSeconds, 1e-9)
		assert.Equal(t, "fresh", st["practice"].Status)

		// After the cooldown one probe goes through; the source recovered.
		time.Sleep(time.Minute)
		slow2 := booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
			slowCalls.Add(1)
			return fixture()[3:4], nil
		})
		a.Sources["slow-trust"] = slow2
		res = a.Search(context.Background(), q)
		st = byName(res.Statuses)
		assert.Equal(t, "fresh", st["slow-trust"].Status)
		assert.Equal(t, int32(3), slowCalls.Load())
	})
}

func TestSearchThroughSourcesAddsToLedger(t *testing.T) {
	practice := booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
		return []booking.Slot{{ID: "gp-1", Service: q.Service, Start: at(2, 9), End: at(2, 9).Add(10 * time.Minute), Modality: booking.Telephone}}, nil
	})
	broken := booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
		return nil, errors.New("down")
	})
	e := newEnv(t, func(c *Config) {
		c.Sources = &Aggregator{Sources: map[string]booking.SlotSource{"gp-practice": practice, "trust-z": broken}}
	})
	r := e.do("GET", "/api/appointments/available?service=cardiology&modality=telephone", availT, nil)
	require.Equal(t, 200, r.status, "%s", r.body)
	var res SearchResult
	r.json(t, &res)
	require.Len(t, res.Results, 1)
	assert.Equal(t, "gp-1", res.Results[0].Slot.ID)
	assert.Equal(t, "gp-practice", res.Results[0].Slot.Source)
	assert.True(t, res.Partial)
	st := byName(res.Sources)
	assert.Equal(t, "failed", st["trust-z"].Status)
	// The practice's slot is in the ledger now, so it can be booked, once.
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "gp-1", "patient": "p1"})
	assert.Equal(t, 201, r.status)
	r = e.do("POST", "/api/appointments/book", bookT, map[string]string{"slotId": "gp-1", "patient": "p2"})
	assert.Equal(t, 409, r.status)
}
