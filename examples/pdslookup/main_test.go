package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupAgainstTheFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"999 000 0069"}, &out))
	assert.Equal(t, "*** *** 0018 version 1, superseded *** *** 0069: update your records, practice A81001\n", out.String())

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"-family", "SMITH", "-birthdate", "1980-01-01"}, &out))
	assert.Contains(t, out.String(), "1 match(es)\n*** *** 0018 version 1, practice A81001, score 1.00")
	assert.NotContains(t, out.String(), "SMITH")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"9990000050"}, &out))
	assert.Contains(t, out.String(), "RESTRICTED")

	assert.ErrorContains(t, run(context.Background(), []string{"9990000085"}, &out), "RESOURCE_NOT_FOUND")
	assert.Error(t, run(context.Background(), []string{"123"}, &out))
	assert.Error(t, run(context.Background(), []string{"-env", "mars", "9990000018"}, &out))
}
