package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunAgainstFake(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), &out, options{mailbox: "X26TRUST1", to: "X26GP0001", workflow: "W", compress: true}))
	assert.Contains(t, out.String(), ": accepted")
}
