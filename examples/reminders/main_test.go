package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWeek(t *testing.T) {
	var out strings.Builder
	p := Defaults
	p.PerDay, p.Days, p.Runs = 12, 2, 3000
	require.NoError(t, run(&out, p))
	s := out.String()
	rate := func(label string) float64 {
		m := regexp.MustCompile(label + `:\s+[0-9.]+ did not attend a week \(([0-9.]+)%\)`).FindStringSubmatch(s)
		require.NotNil(t, m, s)
		f, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		return f
	}
	without, with := rate("without reminders"), rate("with reminders")
	assert.InDelta(t, 100*p.DNA, without, 1.0, s)
	assert.Less(t, with, without, s)
	assert.InDelta(t, 100*p.DNA*p.RR, with, 1.2, s)
	assert.Contains(t, s, "24 of 24 patients reminded")
}

func TestNoReminderEffect(t *testing.T) {
	var out strings.Builder
	p := Defaults
	p.PerDay, p.Days, p.Runs, p.RR, p.ReplyCancel = 6, 1, 10, 1, 0
	require.NoError(t, run(&out, p))
	assert.Contains(t, out.String(), "0 places released")
}
