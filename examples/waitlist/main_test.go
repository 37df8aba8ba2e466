package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSimulation(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out, 1, 300))
	s := out.String()
	assert.Contains(t, s, "refilled with waitlist:")
	assert.NotContains(t, s, "refilled with waitlist:    0 of")
}
