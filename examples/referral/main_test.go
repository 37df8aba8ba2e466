package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	t.Log(s)
	assert.Contains(t, s, "booked: appointment")
	assert.Contains(t, s, "Tue 8 Dec 14:30", "the Tuesday afternoon slot in Bradford wins")
	assert.Contains(t, s, "deferred to the provider")
	assert.Contains(t, s, "APPOINTMENT_SLOT_ISSUES")
	assert.Contains(t, s, "referral now BOOKED")
	assert.Contains(t, s, "*** *** 0026", "NHS numbers print masked")
	assert.NotContains(t, s, "9990000026")
}
