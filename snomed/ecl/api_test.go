package ecl_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// checkAPI wants EvaluateSet, Count and Contains to agree with
// EvaluateSource for expr on every concept of src (and an unknown id).
func checkAPI(t *testing.T, src ecl.Source, expr string) {
	t.Helper()
	ctx := context.Background()
	e := mustParse(t, expr)
	want, err := ecl.EvaluateSource(src, e)
	require.NoError(t, err, expr)
	set, err := ecl.EvaluateSetExpr(ctx, src, e)
	require.NoError(t, err, expr)
	assert.Equal(t, want, set.IDs(), expr)
	n, err := ecl.CountExpr(ctx, src, e)
	require.NoError(t, err, expr)
	assert.Equal(t, len(want), n, "count of %s", expr)
	for _, c := range append(src.Concepts(), 999999001) {
		in, err := ecl.ContainsExpr(ctx, src, e, c)
		require.NoError(t, err, "%s contains %d", expr, c)
		assert.Equal(t, set.Has(c), in, "%s contains %d", expr, c)
	}
}

func TestAPIAgrees(t *testing.T) {
	ss := snowstormWorld()
	for _, expr := range []string{
		"<< 404684003", "< 404684003", "<! 404684003", "<<! 404684003", "> 64572001", ">> 64572001", ">! 64572001", ">>! 64572001",
		"<< *", "< *", "> *", ">! *", "<! *", "* MINUS > *", "^ 723604009", "<< ^ 723604009", "< ^ 723604009", "> ^ 446609009",
		"<< (131148009 OR 64572001)", "<! (131148009 OR 64572001)", ">! (131148009 OR 64572001)", "> (131148009 OR 64572001)",
		"<404684003: { 363698007 = * }", "<404684003: [0..0]{ 363698007 = * }", "* : R 363698007 = < 64572001",
		"< 404684003 . 363698007", "!!> (<< 404684003)", "!!< (<< 404684003)", "(<< 404684003 OR << 123037004) MINUS << 64572001",
		"<< 404684003 AND ^ 723604009",
	} {
		checkAPI(t, ss, expr)
	}
	sem := semanticsWorld()
	for _, expr := range []string{
		"^ 900000000000508004", "^ *", "155388006", "<< 155388006", "<< ^ 900000000000527005", "<< ^ 723264001",
		`<< 64572001 {{ term = "hjärt", language = sv }} {{ term = "heart", language = en }}`,
		`^ 447562003 {{ M mapTarget = "J45" }}`, "^ [targetComponentId] 900000000000527005 {{ M referencedComponentId = 155388006 }}",
		"22298006 {{ + HISTORY-MIN }}", "<< 22298006 {{ + HISTORY (900000000000527005) }}",
		"<< 64572001 {{ C definitionStatus = defined }}", "<< ^ 447562003 {{ M mapGroup = #2 }}",
	} {
		checkAPI(t, sem, expr)
	}
}

func TestAPIErrorsAndCancel(t *testing.T) {
	m := snowstormWorld()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ecl.EvaluateSet(ctx, m, "<< 138875005")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = ecl.Contains(ctx, m, "<< 138875005", 404684003)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = ecl.Count(ctx, m, "<< 138875005 : 363698007 = *")
	assert.ErrorIs(t, err, context.Canceled)

	bg := context.Background()
	_, err = ecl.Contains(bg, m, "<< 999999001", 404684003)
	assert.ErrorIs(t, err, ecl.ErrUnknownConcept)
	_, err = ecl.Count(bg, m, "<< 999999001")
	assert.ErrorIs(t, err, ecl.ErrUnknownConcept)
	_, err = ecl.Contains(bg, m, "<< (", 404684003)
	assert.ErrorIs(t, err, ecl.ErrSyntax)

	set, err := ecl.EvaluateSet(bg, m, "<! 138875005")
	require.NoError(t, err)
	assert.Equal(t, 6, set.Len())
	assert.Equal(t, set.IDs()[2:4], set.Page(2, 2))
	assert.Equal(t, set.IDs()[4:], set.Page(4, -1))
	assert.Empty(t, set.Page(6, 10))
	var all []snomed.ID
	for id := range set.All() {
		all = append(all, id)
	}
	assert.Equal(t, set.IDs(), all)
}

func TestWithConstraint(t *testing.T) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(dir, snomedtest.Tiny)
	require.NoError(t, err)
	s := importRelease(t, dir)
	ctx := context.Background()
	// A concept with descendants, and a word of their terms.
	var top snomed.ID
	for _, c := range rel.Concepts[1:] {
		if len(s.Descendants(snomed.ID(c))) >= 5 {
			top = snomed.ID(c)
			break
		}
	}
	require.NotZero(t, top)
	word := strings.Fields(rel.Terms[uint64(s.Descendants(top)[0])])[0]
	opts, err := ecl.WithConstraint(ctx, s, snomed.SearchOptions{Limit: 100}, "<< "+strconv.FormatUint(uint64(top), 10))
	require.NoError(t, err)
	hits := s.Search(word, opts)
	require.NotEmpty(t, hits)
	for _, h := range hits {
		assert.True(t, s.IsA(h.Concept, top), "%+v", h)
	}
	assert.Less(t, len(hits), len(s.Search(word, snomed.SearchOptions{Limit: 1000}))+1)
	_, err = ecl.WithConstraint(ctx, s, snomed.SearchOptions{}, "<< (")
	assert.ErrorIs(t, err, ecl.ErrSyntax)
}
