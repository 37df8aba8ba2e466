package main

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSimulation(t *testing.T) {
	var out strings.Builder
	p := Defaults
	p.Patients = 300
	require.NoError(t, run(&out, p))
	s := out.String()
	assert.Contains(t, s, "with the waiting list:")
	assert.Contains(t, s, "with the usual process:")
	assert.NotContains(t, s, "with the waiting list:       0 of")
}

// The starting waits reproduce the two published figures they are
// fitted to.
func TestStartingWaitsMatchTheSource(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, within := 200_000, 0
	var ws []float64
	for range n {
		w := waitDraw(rng, Defaults).Hours() / (7 * 24)
		ws = append(ws, w)
		if w <= 18 {
			within++
		}
	}
	assert.InDelta(t, Defaults.Within18, float64(within)/float64(n), 0.005)
	sum := 0
	for _, w := range ws {
		if w <= Defaults.MedianWeeks {
			sum++
		}
	}
	assert.InDelta(t, 0.5, float64(sum)/float64(n), 0.005)
	assert.InDelta(t, 0.21, invNorm(0.583), 0.01)
	assert.False(t, math.IsNaN(invNorm(0.5)))
}

// Reminders cut DNA by the trial figure, and only reach patients booked
// before the reminder time.
func TestRemindersEffect(t *testing.T) {
	start := time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)
	var early, late []visit
	for range 100_000 {
		early = append(early, visit{booked: start.AddDate(0, 0, -21)})
		late = append(late, visit{booked: start.Add(-2 * time.Hour)})
	}
	for i := range early {
		early[i].slot.Start, late[i].slot.Start = start, start
	}
	_, dnaEarly := attend(Defaults, early, 1)
	_, dnaLate := attend(Defaults, late, 1)
	assert.InDelta(t, Defaults.DNA*Defaults.ReminderRR, float64(dnaEarly)/1e5, 0.003)
	assert.InDelta(t, Defaults.DNA, float64(dnaLate)/1e5, 0.003, "booked two hours before: no reminder")
}
