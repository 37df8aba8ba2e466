package waitlist

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, London) }

func dueOf(t *testing.T, e *Entry, standard string) (time.Time, bool) {
	t.Helper()
	for _, d := range e.Deadlines() {
		if d.Standard == standard {
			return d.Due, true
		}
	}
	return time.Time{}, false
}

// The breach dates below were worked by hand from the rules: calendar
// days from the clock-start date in Europe/London.
func TestRTTBreachDates(t *testing.T) {
	cases := []struct {
		name  string
		start time.Time
		want  time.Time
	}{
		// 23:30 GMT on 24 November is 24 November in London; 126 days on:
		// 6 (rest of Nov) + 31 + 31 + 28 + 30 = 126 -> 30 March 2027. The
		// breach falls after the clock change, and 126 × 24 hours from
		// 23:30 GMT would land on 31 March in London.
		{"issue example", time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC), day(2027, 3, 30)},
		// 00:30 BST on 1 July is 23:30 UTC on 30 June, but 1 July in
		// London: 30 + 31 + 30 + 31 + 4 = 126 -> 4 November 2026.
		{"start in BST", time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC), day(2026, 11, 4)},
		// Across 29 February 2028: 1 Dec 2027 + 126 = 30 + 31 + 29 + 31 + 5 -> 5 April 2028.
		{"leap year", day(2027, 12, 1).Add(9 * time.Hour), day(2028, 4, 5)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &Entry{Referred: c.start}
			got, ok := e.RTTBreachDate()
			require.True(t, ok)
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.want.Format("2 Jan 2006"), e.RTTBreach(time.Time{}).In(London).Format("2 Jan 2006"))
			assert.Equal(t, c.want.AddDate(0, 0, 1), e.Breach(time.Time{}), "missed once the breach date is over")
		})
	}
}

func TestPatientDelaysDoNotMoveTheClock(t *testing.T) {
	e := &Entry{Referred: day(2026, 11, 24).Add(10 * time.Hour),
		Pauses: []Pause{{From: day(2026, 12, 1), To: day(2027, 1, 15)}}}
	got, _ := e.RTTBreachDate()
	assert.Equal(t, day(2027, 3, 30), got, "no patient-initiated pause since 1 October 2015")
}

func TestRTTClockStartsStopsRestartsAndNullifies(t *testing.T) {
	ref := day(2026, 11, 24).Add(10 * time.Hour)
	e := &Entry{Referred: ref, Clock: []ClockEvent{{At: ref, Kind: ClockStart}}}
	c := e.RTT()
	assert.True(t, c.Running)
	assert.Equal(t, ref, c.Start)

	// Active monitoring stops the clock: no RTT date while it lasts.
	e.Clock = append(e.Clock, ClockEvent{At: day(2027, 1, 5), Kind: ClockStopActiveMonitoring})
	require.NoError(t, e.ValidateClock())
	_, ok := e.RTTBreachDate()
	assert.False(t, ok)
	assert.Equal(t, ClockStopActiveMonitoring, e.RTT().Stop)

	// A decision to treat after active monitoring starts a new clock:
	// 2 March 2027 + 126 = 29 + 30 + 31 + 30 + 6 -> 6 July 2027.
	e.Clock = append(e.Clock, ClockEvent{At: day(2027, 3, 2).Add(14 * time.Hour), Kind: ClockRestart})
	require.NoError(t, e.ValidateClock())
	got, ok := e.RTTBreachDate()
	require.True(t, ok)
	assert.Equal(t, day(2027, 7, 6), got)

	// First definitive treatment stops it for good.
	e.Clock = append(e.Clock, ClockEvent{At: day(2027, 4, 1), Kind: ClockStopTreatment})
	_, ok = e.RTTBreachDate()
	assert.False(t, ok)

	// A first appointment not attended nullifies the clock; a new
	// referral starts a new one.
	d := &Entry{Referred: ref, Clock: []ClockEvent{{At: ref, Kind: ClockStart}, {At: day(2026, 12, 10), Kind: ClockNullifiedDNA}}}
	require.NoError(t, d.ValidateClock())
	assert.True(t, d.RTT().Nullified)
	_, ok = d.RTTBreachDate()
	assert.False(t, ok)
	d.Clock = append(d.Clock, ClockEvent{At: day(2027, 1, 4).Add(9 * time.Hour), Kind: ClockStart})
	got, _ = d.RTTBreachDate()
	assert.Equal(t, day(2027, 5, 10), got) // 27 + 28 + 31 + 30 + 10 = 126

	for _, bad := range [][]ClockEvent{
		{{At: ref, Kind: ClockStopTreatment}},
		{{At: ref, Kind: ClockStart}, {At: ref.Add(time.Hour), Kind: ClockRestart}},
		{{At: ref, Kind: ClockStart}, {At: ref.Add(-time.Hour), Kind: ClockStopNotTreating}},
		{{At: ref, Kind: "paused"}},
	} {
		err := (&Entry{Clock: bad}).ValidateClock()
		var ce *ClockError
		require.True(t, errors.As(err, &ce), "%v", bad)
	}
}

func TestCancerStandards(t *testing.T) {
	// Urgent suspected cancer referral received 3 November 2026:
	// FDS 3 Nov + 28 -> 1 December; 62-day 27 + 31 + 4 -> 4 January 2027.
	e := &Entry{Priority: Routine, Referred: day(2026, 11, 3).Add(11 * time.Hour),
		Cancer: CancerPathway{Route: UrgentSuspectedCancer, Start: day(2026, 11, 3).Add(11 * time.Hour)}}
	fds, ok := dueOf(t, e, "cancer 28-day faster diagnosis")
	require.True(t, ok)
	assert.Equal(t, day(2026, 12, 1), fds)
	d62, _ := dueOf(t, e, "cancer 62-day")
	assert.Equal(t, day(2027, 1, 4), d62)
	assert.Equal(t, day(2026, 12, 2), e.Breach(time.Time{}), "the FDS comes first")

	// Diagnosed, decision to treat 10 December: 31-day 21 + 10 -> 10 January 2027.
	e.Cancer.Diagnosed = day(2026, 11, 20)
	e.Cancer.DecisionToTreat = day(2026, 12, 10).Add(15 * time.Hour)
	_, ok = dueOf(t, e, "cancer 28-day faster diagnosis")
	assert.False(t, ok, "the FDS is met once diagnosed")
	d31, _ := dueOf(t, e, "cancer 31-day")
	assert.Equal(t, day(2027, 1, 10), d31)
	assert.Equal(t, day(2027, 1, 5), e.Breach(time.Time{}), "62-day before the 31-day here")

	// A consultant upgrade starts the 62-day clock at the upgrade and has
	// no FDS: 5 January 2027 + 62 = 26 + 28 + 8 -> 8 March 2027.
	u := &Entry{Cancer: CancerPathway{Route: ConsultantUpgrade, Start: day(2027, 1, 5).Add(16 * time.Hour)}}
	_, ok = dueOf(t, u, "cancer 28-day faster diagnosis")
	assert.False(t, ok)
	d62, _ = dueOf(t, u, "cancer 62-day")
	assert.Equal(t, day(2027, 3, 8), d62)

	// Breast symptomatic: FDS only. Ruled out: nothing.
	b := &Entry{Cancer: CancerPathway{Route: BreastSymptomatic, Start: day(2026, 11, 3)}}
	_, ok = dueOf(t, b, "cancer 62-day")
	assert.False(t, ok)
	b.Cancer.RuledOut = true
	assert.Empty(t, b.Deadlines())
}

func TestSurgicalPrioritiesCountFromListing(t *testing.T) {
	listed := time.Date(2026, 12, 1, 10, 0, 0, 0, London)
	referred := day(2026, 6, 1)
	mk := func(p Priority) *Entry { return &Entry{Priority: p, Referred: referred, Listed: listed} }
	d, _ := dueOf(t, mk(P1a), "P1a 24 hours")
	assert.Equal(t, time.Date(2026, 12, 2, 10, 0, 0, 0, London), d)
	d, _ = dueOf(t, mk(P1b), "P1b 72 hours")
	assert.Equal(t, time.Date(2026, 12, 4, 10, 0, 0, 0, London), d)
	d, _ = dueOf(t, mk(P2), "P2 4 weeks")
	assert.Equal(t, day(2026, 12, 29), d, "4 weeks from listing, not from the June referral")
	d, _ = dueOf(t, mk(P3), "P3 3 months")
	assert.Equal(t, day(2027, 3, 1), d)
	end := &Entry{Priority: P3, Referred: referred, Listed: day(2026, 11, 30).Add(9 * time.Hour)}
	d, _ = dueOf(t, end, "P3 3 months")
	assert.Equal(t, day(2027, 2, 28), d, "30 November + 3 months is the end of February")
	for _, s := range []string{"P1a 24 hours", "P1b 72 hours", "P2 4 weeks", "P3 3 months"} {
		_, ok := dueOf(t, mk(P4), s)
		assert.False(t, ok, "P4 has no surgical date")
	}
	unlisted := &Entry{Priority: P1a, Referred: referred}
	_, ok := dueOf(t, unlisted, "P1a 24 hours")
	assert.False(t, ok, "no decision to treat, no surgical date")
	assert.NotEqual(t, mk(P1a).Priority, mk(P1b).Priority)
	assert.Equal(t, "P1a", P1a.String())
	assert.Equal(t, "P1b", P1b.String())
	assert.Equal(t, "P2", P2.String())
}

// randomEntry draws an entry waiting since up to ten years before now.
func randomEntry(r *rand.Rand, now time.Time, prios []Priority) *Entry {
	p := prios[r.IntN(len(prios))]
	start := now.Add(-time.Duration(r.Int64N(int64(10 * 365 * 24 * time.Hour))))
	return &Entry{Priority: p, Referred: start, Listed: start.Add(time.Duration(r.Int64N(int64(time.Hour) + 1)))}
}

// No routine patient, however long they have waited, outranks a
// clinically urgent patient who is overdue.
func TestPropertyOverdueUrgentOutranksEveryRoutine(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 1))
	now := day(2027, 6, 1).Add(12 * time.Hour)
	for range 5000 {
		routine := randomEntry(r, now, []Priority{P3, P4, Routine})
		urgent := randomEntry(r, now, []Priority{P1a, P1b, P2, Urgent})
		su, sr := ScoreAt(urgent, now, DefaultWeights), ScoreAt(routine, now, DefaultWeights)
		if now.Before(urgent.Breach(now)) {
			continue // not overdue yet
		}
		require.Equal(t, 1, su.Band, "overdue %v", urgent.Priority)
		require.True(t, before(urgent, routine, su, sr), "routine %v waiting %v outranks overdue %v", routine.Priority, now.Sub(routine.Referred), urgent.Priority)
	}
	// The case the issue names: a routine patient at 104 weeks against an
	// overdue P1b.
	old := &Entry{Priority: Routine, Referred: now.AddDate(0, 0, -104*7)}
	p1 := &Entry{Priority: P1b, Referred: now.AddDate(0, 0, -5), Listed: now.AddDate(0, 0, -4)}
	assert.True(t, before(p1, old, ScoreAt(p1, now, DefaultWeights), ScoreAt(old, now, DefaultWeights)))
}

// Within a band, waiting longer never lowers a score, and a routine
// patient who has waited a year outranks anyone newly listed who is not
// overdue: nobody starves.
func TestPropertyAgingWithinABand(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 2))
	now := day(2027, 6, 1).Add(12 * time.Hour)
	all := []Priority{P1a, P1b, P2, P3, P4, Urgent, Routine}
	for range 5000 {
		e := randomEntry(r, now, all)
		a := ScoreAt(e, now, DefaultWeights)
		later := now.Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour))))
		b := ScoreAt(e, later, DefaultWeights)
		if a.Band == b.Band {
			require.GreaterOrEqual(t, b.Total, a.Total, "%v", e.Priority)
		} else {
			require.Greater(t, b.Band, a.Band, "a band is only ever left upwards")
		}
		fresh := &Entry{Priority: all[r.IntN(len(all))], Referred: now, Listed: now}
		oldRoutine := &Entry{Priority: Routine, Referred: now.AddDate(-1, 0, 0).Add(-time.Duration(r.Int64N(int64(5 * 365 * 24 * time.Hour))))}
		sf, so := ScoreAt(fresh, now, DefaultWeights), ScoreAt(oldRoutine, now, DefaultWeights)
		require.Zero(t, sf.Band)
		require.True(t, before(oldRoutine, fresh, so, sf), "a fresh %v outranks a routine patient waiting %v", fresh.Priority, now.Sub(oldRoutine.Referred))
	}
}

func TestDeclinesAreRecordedAndNeverMoveTheClock(t *testing.T) {
	l, eng, _, st, _ := setup(t, 1)
	ctx := t.Context()
	e := entry("a", 1, P3, 30)
	require.NoError(t, l.Add(ctx, e, "clerk"))
	before, _ := e.RTTBreachDate()
	evs, err := eng.Cancel("clinic-1", "someone-else")
	require.NoError(t, err)
	offers, err := l.OnSlotReleased(ctx, evs[1])
	require.NoError(t, err)
	_, err = l.Decline(ctx, offers[0].ID, "patient")
	require.NoError(t, err)
	got, err := st.Entry(ctx, "a")
	require.NoError(t, err)
	require.Len(t, got.Declines, 1)
	assert.False(t, got.Declines[0].Reasonable, "two days' notice is not a reasonable offer")
	assert.Zero(t, got.ReasonableDeclines())
	after, _ := got.RTTBreachDate()
	assert.Equal(t, before, after)
}

func TestAddRejectsABadClockOrPriority(t *testing.T) {
	l, _, _, _, _ := setup(t, 1)
	e := entry("x", 1, P2, 3)
	e.Clock = []ClockEvent{{At: t0, Kind: ClockStopTreatment}}
	var ce *ClockError
	assert.True(t, errors.As(l.Add(t.Context(), e, "clerk"), &ce))
	f := entry("y", 2, Priority(42), 3)
	assert.Error(t, l.Add(t.Context(), f, "clerk"))
}
