package booking

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var monday = time.Date(2026, 11, 30, 0, 0, 0, 0, London) // a Monday

func at(day, hour, min int) time.Time {
	return time.Date(monday.Year(), monday.Month(), monday.Day()+day, hour, min, 0, 0, London)
}

func slot(id, svc string, day, hour int) Slot {
	return Slot{ID: id, Service: svc, Start: at(day, hour, 0), End: at(day, hour, 30), Modality: FaceToFace}
}

func TestMatchHardConstraints(t *testing.T) {
	leeds := LatLon{53.7960, -1.5479}
	york := LatLon{53.9590, -1.0815}
	slots := []Slot{
		slot("mon9", "cardiology", 0, 9),
		slot("tue14", "cardiology", 1, 14),
		slot("tue15-york", "cardiology", 1, 15),
		slot("wed10-video", "cardiology", 2, 10),
		slot("thu9-derm", "dermatology", 3, 9),
		slot("fri9-step", "cardiology", 4, 9),
	}
	slots[0].Position, slots[1].Position, slots[5].Position = &leeds, &leeds, &leeds
	slots[2].Position = &york
	slots[3].Modality = Video
	slots[5].Accessibility = []string{"step-free", "hearing-loop"}
	e := NewEngine(slots)
	require.NoError(t, e.Err())
	ids := func(cs []Candidate) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.SlotID)
		}
		return out
	}
	base := Request{ID: "r", Service: "cardiology", Earliest: monday, Latest: monday.AddDate(0, 0, 7)}

	all := e.Match(base, 0)
	assert.ElementsMatch(t, []string{"mon9", "tue14", "tue15-york", "wed10-video", "fri9-step"}, ids(all))

	r := base
	r.Windows = []Window{{Weekday: time.Tuesday, From: 12 * 60, To: 17 * 60}}
	r.WindowsRequired = true
	assert.ElementsMatch(t, []string{"tue14", "tue15-york"}, ids(e.Match(r, 0)))

	r.Origin, r.MaxTravel = &leeds, 45*time.Minute
	assert.Equal(t, []string{"tue14"}, ids(e.Match(r, 0)), "York is more than 45 minutes from Leeds")

	r = base
	r.Modalities = []Modality{Video, Telephone}
	assert.Equal(t, []string{"wed10-video"}, ids(e.Match(r, 0)))

	r = base
	r.Accessibility = []string{"step-free"}
	assert.Equal(t, []string{"fri9-step"}, ids(e.Match(r, 0)))

	r = base
	r.ExcludedDates = []time.Time{at(0, 12, 0), at(1, 0, 0)}
	assert.ElementsMatch(t, []string{"wed10-video", "fri9-step"}, ids(e.Match(r, 0)))

	r = base
	r.Duration = 45 * time.Minute
	assert.Empty(t, e.Match(r, 0))

	r = base
	r.Earliest, r.Latest = at(1, 0, 0), at(2, 0, 0)
	assert.ElementsMatch(t, []string{"tue14", "tue15-york"}, ids(e.Match(r, 0)))

	// Invalid requests have no candidates.
	r = base
	r.Latest = r.Earliest.Add(-time.Hour)
	assert.Nil(t, e.Match(r, 0))
	assert.ErrorIs(t, ValidateRequest(&r), ErrBadRequestTime)
}

func TestMatchRankingAndBreakdown(t *testing.T) {
	slots := []Slot{slot("late", "c", 6, 9), slot("early", "c", 0, 9), slot("mid", "c", 3, 9)}
	slots[2].Site = "RRK02"
	e := NewEngine(slots)
	r := Request{ID: "r", Service: "c", Earliest: monday, Latest: monday.AddDate(0, 0, 7), Priority: 5}
	cs := e.Match(r, 2)
	require.Len(t, cs, 2)
	assert.Equal(t, "early", cs[0].SlotID, "sooner is better with no preferences")
	for _, c := range cs {
		b := c.Breakdown
		assert.InDelta(t, c.Score, b.Wait+b.Travel+b.Preference+b.Priority, 1e-9)
		assert.InDelta(t, DefaultWeights.Priority*0.7*0.5, b.Priority, 1e-9)
	}
	r.PreferredSites = []string{"RRK02"}
	e2 := NewEngine(slots, WithWeights(Weights{Wait: 0.1, Preference: 5}))
	assert.Equal(t, "mid", e2.Match(r, 1)[0].SlotID, "a strongly weighted preference wins")
}

func TestWindowsAcrossClockChange(t *testing.T) {
	// 2026-03-29 is the spring clock change; 2026-10-25 the autumn one.
	w, err := ParseWindow("Tuesday afternoon")
	require.NoError(t, err)
	before := time.Date(2026, 3, 24, 14, 0, 0, 0, London)
	after := time.Date(2026, 3, 31, 14, 0, 0, 0, London)
	assert.True(t, w.Contains(before, before.Add(30*time.Minute)))
	assert.True(t, w.Contains(after, after.Add(30*time.Minute)))
	assert.Equal(t, 13, after.UTC().Hour(), "14:00 BST is 13:00 UTC")
	// A slot stored in UTC at 12:30 UTC is 13:30 local in summer (inside)
	// and 12:30 local in winter (inside too), but 11:30 UTC is 11:30 in
	// winter (outside).
	winter := time.Date(2026, 11, 24, 11, 30, 0, 0, time.UTC)
	assert.False(t, w.Contains(winter, winter.Add(30*time.Minute)))
	summer := time.Date(2026, 7, 7, 11, 30, 0, 0, time.UTC)
	assert.True(t, w.Contains(summer, summer.Add(30*time.Minute)))
}

func TestParseWindow(t *testing.T) {
	good := map[string]Window{
		"Tue 13:00-17:00":  {time.Tuesday, 13 * 60, 17 * 60},
		"monday 9:00-9:30": {time.Monday, 9 * 60, 9*60 + 30},
		"FRI morning":      {time.Friday, 8 * 60, 12 * 60},
		"sat 20:00-24:00":  {time.Saturday, 20 * 60, 24 * 60},
	}
	for s, want := range good {
		got, err := ParseWindow(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "Tue", "Tu 9:00-10:00", "Tuesdays 9:00-10:00", "Tue 10:00-09:00", "Tue 25:00-26:00", "Tue 9-10", "Xyz 9:00-10:00", "Tue 9:60-10:00", "Tue 24:30-24:45"} {
		_, err := ParseWindow(s)
		assert.ErrorIs(t, err, ErrBadWindow, s)
	}
}

func TestBadInput(t *testing.T) {
	slots := []Slot{
		slot("ok", "c", 0, 9),
		{ID: "backwards", Service: "c", Start: at(0, 10, 0), End: at(0, 9, 0)},
		{ID: "neg", Service: "c", Start: at(0, 10, 0), End: at(0, 11, 0), Capacity: -1},
		{ID: "", Service: "c", Start: at(0, 10, 0), End: at(0, 11, 0)},
		slot("ok", "c", 1, 9),
		{ID: "nosvc", Start: at(0, 10, 0), End: at(0, 11, 0)},
	}
	e := NewEngine(slots)
	err := e.Err()
	require.Error(t, err)
	var list ErrorList
	require.True(t, errors.As(err, &list))
	require.Len(t, list, 5)
	assert.ErrorIs(t, err, ErrBadTimes)
	assert.ErrorIs(t, err, ErrBadCapacity)
	assert.ErrorIs(t, err, ErrEmptyID)
	assert.ErrorIs(t, err, ErrDuplicateID)
	assert.ErrorIs(t, err, ErrEmptyService)
	assert.Equal(t, 1, list[0].Index)
	assert.Equal(t, 1, e.Len(), "only the valid slot is kept, and the rest are reported")
	_, err = NewEngineChecked(slots)
	assert.Error(t, err)

	reqs := []Request{{ID: "a", Service: "c"}, {ID: "a", Service: "c"}, {ID: "b"}, {ID: "w", Service: "c", Windows: []Window{{Weekday: 1, From: 600, To: 500}}}}
	err = ValidateRequests(reqs)
	assert.ErrorIs(t, err, ErrDuplicateID)
	assert.ErrorIs(t, err, ErrEmptyService)
	assert.ErrorIs(t, err, ErrBadWindow)
}

func TestLiveChanges(t *testing.T) {
	now := monday.Add(-24 * time.Hour)
	clock := func() time.Time { return now }
	e := NewEngine([]Slot{slot("a", "c", 0, 9)}, WithClock(clock))
	r := Request{ID: "r1", Service: "c", Earliest: monday, Latest: monday.AddDate(0, 0, 7)}

	evs, err := e.Add(slot("b", "c", 0, 8))
	require.NoError(t, err)
	assert.Equal(t, SlotAdded, evs[0].Kind)
	assert.Equal(t, "b", e.Match(r, 1)[0].SlotID, "a new earlier slot is found without rebuilding")
	_, err = e.Add(slot("b", "c", 0, 8))
	assert.ErrorIs(t, err, ErrDuplicateID)

	hold, _, err := e.Hold("b", 10*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 0, e.Available("b"))
	assert.Equal(t, "a", e.Match(r, 1)[0].SlotID, "a held slot is not offered")
	_, err = e.Book("b", "r2", "")
	assert.ErrorIs(t, err, ErrNoCapacity)

	now = now.Add(11 * time.Minute) // the hold lapses
	assert.Equal(t, 1, e.Available("b"))
	_, err = e.Book("b", "r1", hold)
	assert.ErrorIs(t, err, ErrHoldExpired)

	hold, _, err = e.Hold("b", 10*time.Minute)
	require.NoError(t, err)
	ev, err := e.Book("b", "r1", hold)
	require.NoError(t, err)
	assert.Equal(t, Booked, ev.Kind)
	assert.Equal(t, 0, ev.Free)
	_, err = e.Book("b", "r1", "")
	assert.ErrorIs(t, err, ErrAlreadyBooked)

	evs, err = e.Reschedule("r1", "b", "a", "")
	require.NoError(t, err)
	require.Len(t, evs, 3)
	assert.Equal(t, []EventKind{Booked, Cancelled, SlotReleased}, []EventKind{evs[0].Kind, evs[1].Kind, evs[2].Kind})
	assert.Equal(t, []string{"r1"}, e.Bookings("a"))
	assert.Empty(t, e.Bookings("b"))

	evs, err = e.Cancel("a", "r1")
	require.NoError(t, err)
	assert.Equal(t, SlotReleased, evs[1].Kind)
	assert.Equal(t, "a", evs[1].Slot.ID)
	_, err = e.Cancel("a", "r1")
	assert.ErrorIs(t, err, ErrNotBooked)

	_, err = e.Book("a", "r9", "")
	require.NoError(t, err)
	evs, err = e.Remove("a")
	require.NoError(t, err)
	assert.Equal(t, Cancelled, evs[0].Kind)
	assert.Equal(t, "r9", evs[0].RequestID)
	assert.Equal(t, SlotRemoved, evs[1].Kind)
	assert.Equal(t, -1, e.Available("a"))
	_, err = e.Book("a", "r1", "")
	assert.ErrorIs(t, err, ErrUnknownSlot)

	h2, _, err := e.Hold("b", time.Minute)
	require.NoError(t, err)
	_, err = e.ReleaseHold(h2)
	require.NoError(t, err)
	_, err = e.ReleaseHold(h2)
	assert.ErrorIs(t, err, ErrHoldExpired)
}

func TestNeverDoubleBooked(t *testing.T) {
	s := slot("x", "c", 0, 9)
	s.Capacity = 3
	e := NewEngine([]Slot{s})
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				if h, _, err := e.Hold("x", time.Minute); err == nil {
					if _, err := e.Book("x", fmt.Sprint("r", i), h); err == nil {
						ok.Add(1)
					}
				}
				return
			}
			if _, err := e.Book("x", fmt.Sprint("r", i), ""); err == nil {
				ok.Add(1)
			}
			_ = e.Match(Request{ID: "m", Service: "c", Earliest: monday}, 5)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(3), ok.Load())
	assert.Len(t, e.Bookings("x"), 3)
	assert.Equal(t, 0, e.Available("x"))
}

// bruteForce returns the best total (in score units) by trying every
// assignment.
func bruteForce(reqs []Request, cands [][]Candidate, capacity map[string]int) int64 {
	best := int64(0)
	var rec func(i int, total int64)
	rec = func(i int, total int64) {
		if i == len(reqs) {
			best = max(best, total)
			return
		}
		rec(i+1, total) // request i unassigned
		for _, c := range cands[i] {
			if capacity[c.SlotID] > 0 {
				capacity[c.SlotID]--
				rec(i+1, total+int64(math.Round(c.Score*scoreScale)))
				capacity[c.SlotID]++
			}
		}
	}
	rec(0, 0)
	return best
}

func TestAssignOptimalAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	worseGreedy := 0
	for iter := range n {
		nSlots, nReqs := 1+rng.IntN(5), 1+rng.IntN(6)
		var slots []Slot
		for i := range nSlots {
			s := slot(fmt.Sprint("s", i), []string{"a", "b"}[rng.IntN(2)], rng.IntN(7), 8+rng.IntN(9))
			s.Capacity = rng.IntN(3)
			if rng.IntN(3) == 0 {
				s.Site = "P"
			}
			slots = append(slots, s)
		}
		var reqs []Request
		for i := range nReqs {
			r := Request{ID: fmt.Sprint("r", i), Service: []string{"a", "b"}[rng.IntN(2)], Earliest: monday.Add(-time.Duration(rng.IntN(100)) * time.Hour), Priority: rng.IntN(11)}
			if rng.IntN(2) == 0 {
				r.Latest = monday.AddDate(0, 0, 2+rng.IntN(6))
			}
			if rng.IntN(3) == 0 {
				r.PreferredSites = []string{"P"}
			}
			r.Referred = r.Earliest.Add(-time.Duration(rng.IntN(3000)) * time.Hour)
			reqs = append(reqs, r)
		}
		e := NewEngine(slots)
		cands := make([][]Candidate, len(reqs))
		capacity := map[string]int{}
		for i := range reqs {
			cands[i] = e.Match(reqs[i], 0)
		}
		for _, s := range slots {
			capacity[s.ID] = e.Available(s.ID)
		}
		want := bruteForce(reqs, cands, capacity)
		pairs := e.Assign(reqs)
		got := int64(math.Round(TotalScore(pairs) * scoreScale))
		require.Equal(t, want, got, "instance %d", iter)

		// The pairs are feasible: capacity held, one slot per request.
		used := map[string]int{}
		seen := map[string]bool{}
		for _, p := range pairs {
			require.False(t, seen[p.RequestID])
			seen[p.RequestID] = true
			used[p.SlotID]++
			require.LessOrEqual(t, used[p.SlotID], capacity[p.SlotID])
		}
		g := int64(math.Round(TotalScore(e.AssignGreedy(reqs)) * scoreScale))
		require.LessOrEqual(t, g, got)
		if g < got {
			worseGreedy++
		}
	}
	t.Logf("greedy was suboptimal on %d of %d instances", worseGreedy, n)
	assert.Positive(t, worseGreedy, "the instances include ones where greedy is not optimal")
}

func TestAssignPrefersPriority(t *testing.T) {
	e := NewEngine([]Slot{slot("only", "c", 0, 9)})
	reqs := []Request{
		{ID: "routine", Service: "c", Earliest: monday, Priority: 1},
		{ID: "urgent", Service: "c", Earliest: monday, Priority: 9},
	}
	pairs := e.Assign(reqs)
	require.Len(t, pairs, 1)
	assert.Equal(t, "urgent", pairs[0].RequestID)
	reqs[0].Referred = monday.Add(-RTTHorizon)
	reqs[1].Priority = 1
	pairs = e.Assign(reqs)
	require.Len(t, pairs, 1)
	assert.Equal(t, "routine", pairs[0].RequestID, "at equal priority the longer wait wins")
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"Tue 13:00-17:00", "mon morning", "sat 20:00-24:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			if !errors.Is(err, ErrBadWindow) {
				t.Fatalf("error %v does not wrap ErrBadWindow", err)
			}
			return
		}
		if w.From < 0 || w.To > 24*60 || w.To <= w.From {
			t.Fatalf("bad window %+v from %q", w, s)
		}
		back, err := ParseWindow(w.String())
		if err != nil || back != w {
			t.Fatalf("%q: %+v does not round trip through %q", s, w, w.String())
		}
	})
}
