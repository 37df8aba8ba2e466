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
	require.NoError(t, run(context.Background(), &out, 7))
	s := out.String()
	assert.Contains(t, s, "A81001")
	assert.Contains(t, s, "B82002")
	assert.Contains(t, s, "booked appointment")
	assert.Contains(t, s, "*** *** ")
}
