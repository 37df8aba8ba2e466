package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstartRuns(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), &out, time.Now()))
	s := out.String()
	assert.Contains(t, s, "*** *** 0018")
	assert.NotContains(t, s, "9990000018", "the tour never prints an unmasked NHS number")
	assert.NotContains(t, s, "999 000 0018")
	assert.NotContains(t, s, "SMITH", "nor a patient's name")
	assert.Regexp(t, `\d+ \|[a-z ]+\d+\| in << \d+ : 363698007 = \* \(\d+ concepts\); ICD-10 [A-Z]\d\d\.\d`, s)
	assert.Contains(t, s, "appointment ")
	assert.Contains(t, s, "MSA|AA|REF-0001")
	assert.True(t, strings.HasSuffix(s, "done\n"))
}
