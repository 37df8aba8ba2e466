package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	rel := filepath.Join(dir, "release")
	store := filepath.Join(dir, "s.db")
	var out, errw strings.Builder
	ctx := context.Background()
	require.NoError(t, run(ctx, &out, &errw, []string{"generate", rel, "500"}))
	require.NoError(t, run(ctx, &out, &errw, []string{"import", rel, store}))
	assert.Contains(t, errw.String(), "sct2_Concept_Snapshot")
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"children", store, "138875005"}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.NotEmpty(t, lines)
	child := strings.Fields(lines[0])[0]
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"isa", store, child, "138875005"}))
	assert.Contains(t, out.String(), ": true")
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"term", store, "138875005", "en-US"}))
	assert.Contains(t, out.String(), "SNOMED CT Concept")
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"search", store, "SNOMED", "CT"}))
	assert.Contains(t, out.String(), "138875005 |SNOMED CT Concept|")
	out.Reset()
	errw.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"ecl", store, "<! 138875005 : 363698007 = *"}))
	assert.Contains(t, errw.String(), "concepts")
	assert.NotEmpty(t, out.String())
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"ecl", store, "^ 447562003"}))
	mapped := strings.Fields(out.String())[0]
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"map", store, mapped}))
	assert.Contains(t, out.String(), "group 1 priority 1")
	assert.Error(t, run(ctx, &out, &errw, []string{"ecl", store, "<< AND"}))
	assert.ErrorIs(t, run(ctx, &out, &errw, []string{"bogus", store}), errUsage)
	assert.Error(t, run(ctx, &out, &errw, []string{"isa", store, "x", "1"}))
}
