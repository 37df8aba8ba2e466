package snomed_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// rewriteRows rewrites the data rows of the files matching glob under
// dir, keeping those keep approves.
func rewriteRows(t *testing.T, dir, glob string, keep func(fields []string) bool) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, glob))
	require.NotEmpty(t, paths, glob)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
		out := lines[:1]
		for _, l := range lines[1:] {
			if keep(strings.Split(l, "\t")) {
				out = append(out, l)
			}
		}
		require.NoError(t, os.WriteFile(p, []byte(strings.Join(out, "\r\n")+"\r\n"), 0o644))
	}
}

func TestSearchLocaleAndOptions(t *testing.T) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(dir, snomedtest.Tiny)
	require.NoError(t, err)
	// A US-only synonym: its GB and UK language rows removed.
	var usConcept uint64
	for _, c := range rel.Concepts[1:] {
		if rel.Active[c] && rel.USTerms[c] != rel.Terms[c] {
			usConcept = c
			break
		}
	}
	require.NotZero(t, usConcept)
	var usDesc string
	rewriteRows(t, dir, "Snapshot/Terminology/sct2_Description_Snapshot*", func(f []string) bool {
		if f[4] == strconv.FormatUint(usConcept, 10) && f[7] == rel.USTerms[usConcept] {
			usDesc = f[0]
		}
		return true
	})
	require.NotEmpty(t, usDesc)
	rewriteRows(t, dir, "*/Refset/Language/der2_cRefset_Language*", func(f []string) bool {
		return f[5] != usDesc || f[4] == strconv.FormatUint(snomedtest.USLanguageRefset, 10)
	})
	rewriteRows(t, dir, "UK/Snapshot/Refset/Language/der2_cRefset_Language*", func(f []string) bool { return f[5] != usDesc })
	path := filepath.Join(t.TempDir(), "s.db")
	require.NoError(t, snomed.Import(context.Background(), dir, path))
	s, err := snomed.Open(path)
	require.NoError(t, err)
	defer s.Close()

	q := rel.USTerms[usConcept]
	found := func(hits []snomed.Hit, desc string) bool {
		for _, h := range hits {
			if strconv.FormatUint(uint64(h.Description), 10) == desc {
				return true
			}
		}
		return false
	}
	assert.True(t, found(s.Search(q, snomed.SearchOptions{Locale: "en-US", Limit: 50}), usDesc), "en-US finds its synonym")
	assert.False(t, found(s.Search(q, snomed.SearchOptions{Limit: 50}), usDesc), "en-GB finds no US-only synonym")

	// Semantic tag words do not match fully specified names.
	for _, h := range s.Search("disorder", snomed.SearchOptions{Limit: 1000}) {
		term := strings.ToLower(h.Term)
		if i := strings.LastIndex(term, " ("); i > 0 && strings.HasSuffix(term, ")") {
			term = term[:i]
		}
		assert.Contains(t, " "+term, " disorder", "hit %+v matched by its tag", h)
	}

	// Hits carry the preferred term; ExcludeFSN leaves fully specified
	// names out; Filter narrows.
	word := strings.Fields(rel.Terms[usConcept])[0]
	hits := s.Search(word, snomed.SearchOptions{Limit: 100, ExcludeFSN: true})
	require.NotEmpty(t, hits)
	for _, h := range hits {
		pt, ok := s.PreferredTerm(h.Concept, "en-GB")
		require.True(t, ok)
		assert.Equal(t, pt, h.Preferred)
		for _, d := range s.Descriptions(h.Concept) {
			if d.ID == h.Description {
				assert.NotEqual(t, snomed.ID(snomedtest.FSN), d.Type, "%+v", h)
			}
		}
	}
	only := hits[len(hits)-1].Concept
	filtered := s.Search(word, snomed.SearchOptions{Limit: 100, Filter: func(c snomed.ID) bool { return c == only }})
	require.Len(t, filtered, 1)
	assert.Equal(t, only, filtered[0].Concept)

	// Inactive concepts only when asked for, after active ones.
	var inactive uint64
	for _, c := range rel.Concepts {
		if !rel.Active[c] {
			inactive = c
			break
		}
	}
	require.NotZero(t, inactive)
	iq := rel.Terms[inactive]
	has := func(hits []snomed.Hit, c uint64) bool {
		for _, h := range hits {
			if uint64(h.Concept) == c {
				return true
			}
		}
		return false
	}
	assert.False(t, has(s.Search(iq, snomed.SearchOptions{Limit: 1000}), inactive))
	withInactive := s.Search(iq, snomed.SearchOptions{Limit: 1000, IncludeInactive: true})
	require.True(t, has(withInactive, inactive))
	assert.Equal(t, snomed.ID(inactive), withInactive[len(withInactive)-1].Concept)

	// Unknown locales are reported, not answered in en-GB.
	_, ok := s.PreferredTerm(snomed.ID(usConcept), "xx-YY")
	assert.False(t, ok)
	assert.Nil(t, s.Search(word, snomed.SearchOptions{Locale: "xx-YY"}))
	assert.False(t, snomed.KnownLocale("fr-FR"))
	assert.True(t, snomed.KnownLocale("en-us"))
	assert.True(t, snomed.KnownLocale("en-x-999001261000000100"))
	pt, ok := s.PreferredTerm(snomed.ID(usConcept), "en-US")
	assert.True(t, ok)
	assert.Equal(t, rel.USTerms[usConcept], pt)
}
