package booking

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAggregator(t *testing.T) {
	// On synctest's fake clock the search ends exactly at its Timeout,
	// whatever the late sources do.
	synctest.Test(t, testAggregator)
}

func testAggregator(t *testing.T) {
	var calls atomic.Int32
	now := monday
	a := &Aggregator{
		Timeout:   100 * time.Millisecond,
		Freshness: time.Minute,
		Now:       func() time.Time { return now },
		Sources: map[string]SlotSource{
			"trust-a": SlotSourceFunc(func(ctx context.Context, q Query) ([]Slot, error) {
				calls.Add(1)
				return []Slot{slot("a1", q.Service, 1, 9), slot("a2", q.Service, 0, 9)}, nil
			}),
			"practice-b": SlotSourceFunc(func(ctx context.Context, q Query) ([]Slot, error) {
				return nil, errors.New("connection refused")
			}),
			"slow-c": SlotSourceFunc(func(ctx context.Context, q Query) ([]Slot, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}),
			"stubborn-d": SlotSourceFunc(func(ctx context.Context, q Query) ([]Slot, error) {
				time.Sleep(300 * time.Millisecond) // ignores its context
				return []Slot{slot("d1", q.Service, 0, 8)}, nil
			}),
		},
	}
	q := Query{Service: "cardiology", From: monday, To: monday.AddDate(0, 0, 7)}
	start := time.Now()
	res := a.Search(context.Background(), q)
	assert.Equal(t, 100*time.Millisecond, time.Since(start), "late sources do not hold the search up")
	require.Len(t, res.Slots, 2)
	assert.Equal(t, "a2", res.Slots[0].ID, "sorted by start")
	assert.Equal(t, "trust-a", res.Slots[0].Source)
	failed := res.Failed()
	require.Len(t, failed, 3)
	byName := map[string]SourceReport{}
	for _, r := range res.Reports {
		byName[r.Source] = r
	}
	assert.True(t, byName["slow-c"].Late)
	assert.ErrorIs(t, byName["slow-c"].Err, ErrLate)
	assert.True(t, byName["stubborn-d"].Late)
	assert.False(t, byName["practice-b"].Late)
	assert.Equal(t, 2, byName["trust-a"].Slots)

	res = a.Search(context.Background(), q)
	assert.Equal(t, int32(1), calls.Load(), "a fresh answer is reused")
	for _, r := range res.Reports {
		if r.Source == "trust-a" {
			assert.True(t, r.Cached)
		}
	}
	now = now.Add(2 * time.Minute)
	a.Search(context.Background(), q)
	assert.Equal(t, int32(2), calls.Load(), "a stale answer is fetched again")

	// The abandoned stubborn sources finish on their own; the bubble ends
	// when they have.
	time.Sleep(time.Second)
	synctest.Wait()
}
