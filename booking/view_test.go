package booking

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHoldTTLMustBePositive(t *testing.T) {
	e := NewEngine([]Slot{slot("a", "c", 0, 9)})
	for _, ttl := range []time.Duration{0, -time.Minute} {
		_, _, err := e.Hold("a", ttl)
		assert.ErrorIs(t, err, ErrBadTTL, "ttl %v", ttl)
	}
	assert.Equal(t, 1, e.Available("a"), "a refused hold takes no place")
}

func TestMemoryLedgerHoldLapses(t *testing.T) {
	now := monday
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := NewMemoryLedger(clock)
	ctx := context.Background()
	_, err := l.AddSlots(ctx, slot("a", "c", 3, 9))
	require.NoError(t, err)
	h, _, err := l.Hold(ctx, HoldInput{SlotID: "a", TTL: 10 * time.Minute})
	require.NoError(t, err)
	e := NewEngine(nil, WithClock(clock))
	require.NoError(t, e.Sync(ctx, l))
	assert.Equal(t, 0, e.Available("a"))

	mu.Lock()
	now = now.Add(10 * time.Minute) // expiry is exclusive
	mu.Unlock()
	assert.Equal(t, 1, e.Available("a"), "the engine's view lapses the hold by its own clock")
	_, _, err = l.Book(ctx, BookInput{SlotID: "a", RequestID: "r1", HoldID: h.ID})
	assert.ErrorIs(t, err, ErrHoldExpired)
	_, err = l.ReleaseHold(ctx, h.ID)
	assert.ErrorIs(t, err, ErrHoldExpired)
	_, _, err = l.Book(ctx, BookInput{SlotID: "a", RequestID: "r1"})
	assert.NoError(t, err)
}

func TestLedgerCancelledContext(t *testing.T) {
	l := NewMemoryLedger(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.AddSlots(ctx, slot("a", "c", 0, 9))
	assert.ErrorIs(t, err, context.Canceled)
	_, _, err = l.Book(ctx, BookInput{SlotID: "a", RequestID: "r"})
	assert.ErrorIs(t, err, context.Canceled)
	evs, err := l.Events(context.Background(), 0, 0)
	require.NoError(t, err)
	assert.Empty(t, evs)
}

func TestApplyRejectsGap(t *testing.T) {
	e := NewEngine(nil)
	require.NoError(t, e.Apply(Event{Seq: 1, Kind: SlotAdded, SlotID: "a", Slot: slot("a", "c", 0, 9)}))
	err := e.Apply(Event{Seq: 3, Kind: Booked, SlotID: "a", RequestID: "r"})
	assert.ErrorIs(t, err, ErrGap)
	assert.Equal(t, 1, e.Available("a"), "nothing after the gap is applied")
	require.NoError(t, e.Apply(Event{Seq: 1, Kind: SlotAdded}), "an event already applied is skipped")
	assert.Equal(t, uint64(1), e.Seq())
}

func TestFollowWakesOnChange(t *testing.T) {
	l := NewMemoryLedger(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := NewEngine(nil)
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, l, e, time.Hour, nil) }()
	_, err := l.AddSlots(context.Background(), slot("a", "c", 0, 9))
	require.NoError(t, err)
	// The poll is an hour, so only the watch can bring the slot in.
	require.Eventually(t, func() bool { return e.Available("a") == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

type fakeTimer struct {
	mu      sync.Mutex
	calls   int
	batches int
	fail    error
	batch   bool
}

func (f *fakeTimer) TravelTime(_ context.Context, a, b LatLon) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return 0, f.fail
	}
	return Haversine{}.TravelTime(context.Background(), a, b)
}

type batchTimer struct{ *fakeTimer }

func (b batchTimer) TravelTimes(ctx context.Context, from LatLon, to []LatLon) ([]time.Duration, error) {
	b.mu.Lock()
	b.batches++
	fail := b.fail
	b.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	out := make([]time.Duration, len(to))
	for i, p := range to {
		out[i], _ = Haversine{}.TravelTime(ctx, from, p)
	}
	return out, nil
}

func TestTravelTimerErrorsAndBatch(t *testing.T) {
	leeds, york := LatLon{53.7960, -1.5479}, LatLon{53.9590, -1.0815}
	mk := func(id string, p LatLon, h int) Slot {
		s := slot(id, "c", 1, h)
		s.Position = &p
		return s
	}
	slots := []Slot{mk("l1", leeds, 9), mk("l2", leeds, 10), mk("y1", york, 11)}
	req := Request{ID: "r", Service: "c", Earliest: monday, Origin: &leeds, MaxTravel: 2 * time.Hour}

	ft := &fakeTimer{}
	e := NewEngine(slots, WithTravelTimer(ft))
	got, err := e.MatchContext(context.Background(), req, 0)
	require.NoError(t, err)
	assert.Len(t, got, 3)
	assert.Equal(t, 2, ft.calls, "one estimate per distinct place")

	bt := batchTimer{&fakeTimer{}}
	e = NewEngine(slots, WithTravelTimer(bt))
	got, err = e.MatchContext(context.Background(), req, 0)
	require.NoError(t, err)
	assert.Len(t, got, 3)
	assert.Equal(t, 1, bt.batches)
	assert.Equal(t, 0, bt.calls, "the batch answers every place")

	down := errors.New("routing service down")
	for _, tt := range []TravelTimer{&fakeTimer{fail: down}, batchTimer{&fakeTimer{fail: down}}} {
		e = NewEngine(slots, WithTravelTimer(tt))
		got, err = e.MatchContext(context.Background(), req, 0)
		assert.ErrorIs(t, err, down)
		assert.Empty(t, got, "a travel limit that cannot be checked excludes the slot")
		noLimit := req
		noLimit.MaxTravel = 0
		got, err = e.MatchContext(context.Background(), noLimit, 0)
		assert.ErrorIs(t, err, down)
		assert.Len(t, got, 3, "without a limit the slots stay, and the error is reported")
		assert.Len(t, e.Match(noLimit, 0), 3)
	}
	_, err = e.MatchContext(context.Background(), Request{Service: "c"}, 1)
	assert.ErrorIs(t, err, ErrEmptyID)
}
