package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstartRuns(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out))
	s := out.String()
	assert.Contains(t, s, "*** *** 0018")
	assert.NotContains(t, s, "999 000 0018", "the tour must never print an unmasked NHS number")
	assert.True(t, strings.HasSuffix(s, "done\n"))
}
