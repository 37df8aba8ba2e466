package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
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
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"search", "-root", child, "-n", "3", store, "SNOMED"}))
	assert.Equal(t, "no match\n", out.String(), "the root is not below its child")
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"search", "-n", "1", store, "snomed", "ct"}))
	assert.Equal(t, 1, strings.Count(out.String(), "\n"))
	assert.ErrorIs(t, run(ctx, &out, &errw, []string{"search", "-bogus", "1", store, "x"}), errUsage)

	s, err := snomed.Open(store)
	require.NoError(t, err)
	opcs := s.RefsetMembers(snomed.OPCS410Refset)
	require.NotEmpty(t, opcs)
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"map", store, fmt.Sprint(opcs[0]), "opcs4.10"}))
	assert.Equal(t, s.Maps(opcs[0], snomed.OPCS410Refset)[0].Target, strings.Fields(out.String())[4])
	var inactive snomed.ID
	for _, c := range s.Concepts() {
		if con, _ := s.Concept(c); !con.Active {
			inactive = c
			break
		}
	}
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"history", store, fmt.Sprint(inactive)}))
	assert.Contains(t, out.String(), "is inactive")
	assert.Contains(t, out.String(), "now: ")
	assert.Error(t, run(ctx, &out, &errw, []string{"ecl", store, "<< AND"}))
	assert.ErrorIs(t, run(ctx, &out, &errw, []string{"bogus", store}), errUsage)
	assert.Error(t, run(ctx, &out, &errw, []string{"isa", store, "x", "1"}))
}

// The expression the issue names prints findings whose finding site is in
// the pulmonary valve, each with its en-GB term, and each really is one.
func TestFindingSiteExpression(t *testing.T) {
	dir := t.TempDir()
	rel, store := filepath.Join(dir, "release"), filepath.Join(dir, "s.db")
	var out, errw strings.Builder
	ctx := context.Background()
	require.NoError(t, run(ctx, &out, &errw, []string{"generate", rel, "20000"}))
	require.NoError(t, run(ctx, &out, &errw, []string{"import", rel, store}))
	out.Reset()
	require.NoError(t, run(ctx, &out, &errw, []string{"ecl", store, "<< 404684003 : 363698007 = << 39057004"}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.NotEmpty(t, lines[0])
	s, err := snomed.Open(store)
	require.NoError(t, err)
	defer s.Close()
	for _, l := range lines {
		m := regexp.MustCompile(`^(\d+) \|([^|]+)\|$`).FindStringSubmatch(l)
		require.NotNil(t, m, l)
		id, err := strconv.ParseUint(m[1], 10, 64)
		require.NoError(t, err)
		term, _ := s.PreferredTerm(snomed.ID(id), "en-GB")
		assert.Equal(t, term, m[2])
		assert.True(t, s.IsA(snomed.ID(id), 404684003), l)
		site := false
		for _, r := range s.Relationships(snomed.ID(id)) {
			site = site || r.Type == 363698007 && s.IsA(r.Destination, 39057004)
		}
		assert.True(t, site, "%s has a finding site in the pulmonary valve", l)
	}
}
