package eclfhir_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/ecl/eclfhir"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func store(t testing.TB) (*snomed.Store, *snomedtest.Release) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(dir, snomedtest.Tiny)
	require.NoError(t, err)
	path := filepath.Join(dir, "s.db")
	require.NoError(t, snomed.Import(context.Background(), dir, path))
	s, err := snomed.Open(path)
	require.NoError(t, err)
	return s, rel
}

func TestExpandPages(t *testing.T) {
	s, _ := store(t)
	const expr = "< 138875005"
	all, err := ecl.Evaluate(s, expr)
	require.NoError(t, err)
	require.Greater(t, len(all), 25)
	now := func() time.Time { return time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) }
	var codes []string
	for offset := 0; offset < len(all); offset += 10 {
		vs, err := eclfhir.Expand(s, expr, eclfhir.Options{Offset: offset, Count: 10, Now: now})
		require.NoError(t, err)
		if oo := fhir.Validate(vs); oo != nil {
			t.Fatalf("%s: %s", oo.Issue[0].Expression[0].Value, oo.Issue[0].Diagnostics.Value)
		}
		assert.Equal(t, int64(len(all)), vs.Expansion.Total.Value)
		assert.Equal(t, int64(offset), vs.Expansion.Offset.Value)
		assert.LessOrEqual(t, len(vs.Expansion.Contains), 10)
		for _, c := range vs.Expansion.Contains {
			assert.Equal(t, eclfhir.System, c.System.Value)
			assert.NotEmpty(t, c.Display.Value)
			codes = append(codes, c.Code.Value)
		}
	}
	var want []string
	for _, id := range all {
		want = append(want, fmt.Sprint(uint64(id)))
	}
	assert.Equal(t, want, codes, "the pages together are the whole expansion, in order")

	vs, err := eclfhir.Expand(s, expr, eclfhir.Options{Offset: len(all) + 5})
	require.NoError(t, err)
	assert.Empty(t, vs.Expansion.Contains)
	assert.True(t, strings.HasPrefix(vs.URL.Value, "http://snomed.info/sct?fhir_vs=ecl/"))
	_, err = eclfhir.Expand(s, "<< AND", eclfhir.Options{})
	assert.ErrorIs(t, err, ecl.ErrSyntax)
	_, err = eclfhir.Expand(s, expr, eclfhir.Options{Offset: -1})
	assert.Error(t, err)
}

func TestExpandDisplaysByLocale(t *testing.T) {
	s, rel := store(t)
	var c uint64
	for _, id := range rel.Concepts[1:] {
		if _, uk := rel.UKTerms[id]; rel.Active[id] && rel.USTerms[id] != rel.Terms[id] && !uk {
			c = id
			break
		}
	}
	require.NotZero(t, c)
	expr := fmt.Sprint(c)
	gb, err := eclfhir.Expand(s, expr, eclfhir.Options{})
	require.NoError(t, err)
	us, err := eclfhir.Expand(s, expr, eclfhir.Options{Locale: "en-US"})
	require.NoError(t, err)
	assert.Equal(t, rel.Terms[c], gb.Expansion.Contains[0].Display.Value)
	assert.Equal(t, rel.USTerms[c], us.Expansion.Contains[0].Display.Value)
}
