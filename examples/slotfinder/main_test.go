package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)))
	s := out.String()
	assert.Contains(t, s, "RHQ  unavailable")
	assert.Contains(t, s, "booked ")
	assert.NotContains(t, s, "York and Scarborough  ", "York is more than 45 minutes from Headingley")
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "travel") && strings.Contains(line, "score") {
			assert.Contains(t, line, "Tue 1", "only Tuesday afternoon slots")
		}
	}
}
