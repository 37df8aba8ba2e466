package remindtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/waitlist/remind"
)

// T0 is the clock the tests start at.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func reminder(appt string, i int, due time.Time) remind.Reminder {
	return remind.Reminder{ID: fmt.Sprintf("%s.%d", appt, i), AppointmentID: appt, Start: due.Add(48 * time.Hour),
		Due: due, NHSNumber: "9990000018", RoutingPlanID: "plan", Personalisation: map[string]string{"k": "v"},
		Status: remind.Scheduled}
}

// TestStore runs the conformance tests on stores made by newStore, each
// empty.
func TestStore(t *testing.T, newStore func(t *testing.T) remind.Store) {
	ctx := context.Background()
	t.Run("replace and list", func(t *testing.T) {
		st := newStore(t)
		a := []remind.Reminder{reminder("a", 0, T0.Add(time.Hour)), reminder("a", 1, T0.Add(2*time.Hour))}
		require.NoError(t, st.Replace(ctx, "a", a, T0))
		got, err := st.List(ctx, "a")
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, "a.0", got[0].ID)
		assert.Equal(t, remind.Scheduled, got[0].Status)
		assert.Equal(t, map[string]string{"k": "v"}, got[0].Personalisation)
		assert.Equal(t, "9990000018", string(got[0].NHSNumber))
		assert.True(t, got[0].Due.Equal(T0.Add(time.Hour)))

		// A reschedule: a.1 stays, a.0 goes, a.2 comes.
		require.NoError(t, st.Replace(ctx, "a", []remind.Reminder{a[1], reminder("a", 2, T0.Add(3*time.Hour))}, T0))
		got, err = st.List(ctx, "a")
		require.NoError(t, err)
		require.Len(t, got, 3)
		status := map[string]remind.Status{}
		for _, r := range got {
			status[r.ID] = r.Status
		}
		assert.Equal(t, map[string]remind.Status{"a.0": remind.Cancelled, "a.1": remind.Scheduled, "a.2": remind.Scheduled}, status)
		// Moved back: a.0 is scheduled again.
		back := reminder("a", 0, T0.Add(90*time.Minute))
		require.NoError(t, st.Replace(ctx, "a", []remind.Reminder{back}, T0))
		r0, err := st.Get(ctx, "a.0")
		require.NoError(t, err)
		assert.Equal(t, remind.Scheduled, r0.Status)
		assert.True(t, r0.Due.Equal(back.Due))
		r1, err := st.Get(ctx, "a.1")
		require.NoError(t, err)
		assert.Equal(t, remind.Cancelled, r1.Status)
		_, err = st.Get(ctx, "nope")
		assert.ErrorIs(t, err, remind.ErrNotFound)
		empty, err := st.List(ctx, "nope")
		require.NoError(t, err)
		assert.Empty(t, empty)
	})
	t.Run("claim, lease and finish", func(t *testing.T) {
		st := newStore(t)
		require.NoError(t, st.Replace(ctx, "b", []remind.Reminder{
			reminder("b", 0, T0), reminder("b", 1, T0.Add(time.Minute)), reminder("b", 2, T0.Add(time.Hour)),
		}, T0))
		got, err := st.Claim(ctx, "one", T0.Add(time.Minute), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 2, "the not-yet-due one stays")
		assert.Equal(t, "b.0", got[0].ID)
		assert.Equal(t, 1, got[0].Attempts)
		assert.Equal(t, "one", got[0].Owner)
		again, err := st.Claim(ctx, "two", T0.Add(90*time.Second), time.Minute, 10)
		require.NoError(t, err)
		assert.Empty(t, again, "leased")

		require.NoError(t, st.Finish(ctx, "b.0", "one", remind.Outcome{Status: remind.Sent, MessageID: "m1", At: T0.Add(90 * time.Second)}))
		r, err := st.Get(ctx, "b.0")
		require.NoError(t, err)
		assert.Equal(t, remind.Sent, r.Status)
		assert.Equal(t, "m1", r.MessageID)

		// b.1's lease ends; another owner takes it; the first owner's
		// late failure report is refused.
		stolen, err := st.Claim(ctx, "two", T0.Add(3*time.Minute), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, stolen, 1)
		assert.Equal(t, 2, stolen[0].Attempts)
		err = st.Finish(ctx, "b.1", "one", remind.Outcome{Status: remind.Scheduled, RetryAt: T0.Add(time.Hour), At: T0.Add(3 * time.Minute)})
		assert.ErrorIs(t, err, remind.ErrLeaseLost)
		require.NoError(t, st.Finish(ctx, "b.1", "two", remind.Outcome{Status: remind.Scheduled, RetryAt: T0.Add(10 * time.Minute), Error: "503", At: T0.Add(3 * time.Minute)}))
		r, err = st.Get(ctx, "b.1")
		require.NoError(t, err)
		assert.Equal(t, remind.Scheduled, r.Status)
		assert.True(t, r.Due.Equal(T0.Add(10*time.Minute)))
		assert.Equal(t, "503", r.LastError)
		none, err := st.Claim(ctx, "two", T0.Add(5*time.Minute), time.Minute, 10)
		require.NoError(t, err)
		assert.Empty(t, none, "retry not yet due")
		// A Sent outcome stands even after the lease was lost.
		late, err := st.Claim(ctx, "three", T0.Add(10*time.Minute), time.Minute, 1)
		require.NoError(t, err)
		require.Len(t, late, 1)
		require.NoError(t, st.Finish(ctx, "b.1", "two", remind.Outcome{Status: remind.Sent, At: T0.Add(10 * time.Minute)}))
		r, _ = st.Get(ctx, "b.1")
		assert.Equal(t, remind.Sent, r.Status)
		assert.ErrorIs(t, st.Finish(ctx, "b.1", "three", remind.Outcome{Status: remind.Failed, At: T0.Add(10 * time.Minute)}), remind.ErrLeaseLost)
		assert.ErrorIs(t, st.Finish(ctx, "zzz", "three", remind.Outcome{Status: remind.Failed, At: T0}), remind.ErrNotFound)
	})
	t.Run("cancel", func(t *testing.T) {
		st := newStore(t)
		require.NoError(t, st.Replace(ctx, "c", []remind.Reminder{reminder("c", 0, T0), reminder("c", 1, T0.Add(time.Hour))}, T0))
		claimed, err := st.Claim(ctx, "one", T0, time.Minute, 1)
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		n, err := st.CancelAppointment(ctx, "c", T0)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.ErrorIs(t, st.Finish(ctx, "c.0", "one", remind.Outcome{Status: remind.Failed, At: T0}), remind.ErrLeaseLost)
		got, err := st.Claim(ctx, "one", T0.Add(2*time.Hour), time.Minute, 10)
		require.NoError(t, err)
		assert.Empty(t, got)
		n, err = st.CancelAppointment(ctx, "c", T0)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
	t.Run("concurrent claims", func(t *testing.T) {
		st := newStore(t)
		const appts, per = 20, 3
		for a := range appts {
			var rs []remind.Reminder
			for i := range per {
				rs = append(rs, reminder(fmt.Sprint("d", a), i, T0.Add(time.Duration(a*per+i)*time.Second)))
			}
			require.NoError(t, st.Replace(ctx, fmt.Sprint("d", a), rs, T0))
		}
		var mu sync.Mutex
		claims := map[string]int{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprint("w", w)
				for {
					got, err := st.Claim(ctx, owner, T0.Add(time.Hour), time.Hour, 4)
					if !assert.NoError(t, err) || len(got) == 0 {
						return
					}
					for _, r := range got {
						mu.Lock()
						claims[r.ID]++
						mu.Unlock()
						assert.NoError(t, st.Finish(ctx, r.ID, owner, remind.Outcome{Status: remind.Sent, At: T0.Add(time.Hour)}))
					}
				}
			}()
		}
		wg.Wait()
		assert.Len(t, claims, appts*per)
		for id, n := range claims {
			assert.Equal(t, 1, n, id)
		}
	})
}
