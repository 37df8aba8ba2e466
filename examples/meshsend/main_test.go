package main

import (
	"context"
	"os"
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

// TestRunAgainstSandbox sends through NHS England's MESH sandbox (started
// by .ci/run) and expects the delivered send to be reported as such.
func TestRunAgainstSandbox(t *testing.T) {
	base := os.Getenv("NHSKIT_MESH_SANDBOX_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_MESH_SANDBOX_URL is not set")
		}
		t.Skip("NHSKIT_MESH_SANDBOX_URL not set")
	}
	var out strings.Builder
	err := run(context.Background(), &out, options{url: base, mailbox: "X26ABC3", password: "password", sharedKey: "TestKey",
		to: "X26ABC3", workflow: "TEST_WORKFLOW2", compress: true})
	require.NoError(t, err)
	assert.Contains(t, out.String(), ": accepted")
}
