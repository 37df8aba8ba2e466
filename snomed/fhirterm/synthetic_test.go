package fhirterm_test

import (
	"cmp"
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/fhirterm"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// TestSynthetic checks the operations on snomedtest's generated release
// against answers computed from the generator's own record.
func TestSynthetic(t *testing.T) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(filepath.Join(dir, "rel"), snomedtest.Config{Concepts: 400, Seed: 7})
	require.NoError(t, err)
	require.NoError(t, snomed.Import(context.Background(), filepath.Join(dir, "rel"), filepath.Join(dir, "s.db")))
	store, err := snomed.Open(filepath.Join(dir, "s.db"))
	require.NoError(t, err)
	defer store.Close()
	h := fhirterm.New(store)

	// Ancestors from the record.
	var ancestors func(c uint64) map[uint64]bool
	memo := map[uint64]map[uint64]bool{}
	ancestors = func(c uint64) map[uint64]bool {
		if m, ok := memo[c]; ok {
			return m
		}
		m := map[uint64]bool{}
		for _, p := range rel.Parents[c] {
			m[p] = true
			for a := range ancestors(p) {
				m[a] = true
			}
		}
		memo[c] = m
		return m
	}
	var active []uint64
	for _, c := range rel.Concepts {
		if rel.Active[c] {
			active = append(active, c)
		}
	}
	for i, c := range active {
		_, res := get(t, h, "/CodeSystem/$lookup", url.Values{"system": {fhirterm.System}, "code": {id(c)}, "property": {"parent"}})
		p := params(t, res)
		want := rel.Terms[c]
		if uk, ok := rel.UKTerms[c]; ok {
			want = uk
		}
		assert.Equal(t, want, value(p.Parameter, "display"), "concept %d", c)
		var parents []string
		for _, x := range rel.Parents[c] {
			parents = append(parents, "parent="+id(x))
		}
		slices.Sort(parents)
		got := properties(p)
		slices.Sort(got)
		assert.Equal(t, parents, got, "parents of %d", c)

		// $subsumes against a concept further along.
		b := active[(i*7+3)%len(active)]
		want = "not-subsumed"
		switch {
		case b == c:
			want = "equivalent"
		case ancestors(b)[c]:
			want = "subsumes"
		case ancestors(c)[b]:
			want = "subsumed-by"
		}
		_, res = get(t, h, "/CodeSystem/$subsumes", url.Values{"system": {fhirterm.System}, "codeA": {id(c)}, "codeB": {id(b)}})
		assert.Equal(t, want, value(params(t, res).Parameter, "outcome"), "%d %d", c, b)
	}

	// $expand of each top-level hierarchy: its size from the record.
	for _, top := range []uint64{snomedtest.ClinicalFinding, snomedtest.BodyStructure, snomedtest.Procedure} {
		n := 1
		for _, c := range active {
			if ancestors(c)[top] {
				n++
			}
		}
		_, res := get(t, h, "/ValueSet/$expand", url.Values{"url": {vsURL("isa/" + id(top))}, "count": {"1000"}})
		vs := res.(*fhir.ValueSet)
		assert.Equal(t, int64(n), vs.Expansion.Total.Value)
		assert.Len(t, vs.Expansion.Contains, n)
		assert.True(t, slices.IsSortedFunc(vs.Expansion.Contains, func(a, b fhir.ValueSetExpansionContains) int {
			x, _ := strconv.ParseUint(a.Code.Value, 10, 64)
			y, _ := strconv.ParseUint(b.Code.Value, 10, 64)
			return cmp.Compare(x, y)
		}))
	}

	// $translate into the UK ICD-10 map.
	checked := 0
	for _, c := range active {
		rows := rel.UKICD10[c]
		if len(rows) == 0 {
			continue
		}
		_, res := get(t, h, "/ConceptMap/$translate", url.Values{"system": {fhirterm.System}, "code": {id(c)}, "url": {fhirterm.System + "?fhir_cm=" + strconv.FormatUint(snomedtest.UKICD10Refset, 10)}})
		var want, got []string
		for _, r := range rows {
			if r.Target != "" {
				want = append(want, fhirterm.ICD10System+"|"+r.Target)
			}
		}
		for _, x := range params(t, res).Parameter {
			if x.Name.Value == "match" && value(x.Part, "concept") != "" {
				got = append(got, value(x.Part, "concept"))
			}
		}
		assert.ElementsMatch(t, want, got, "concept %d", c)
		checked++
	}
	assert.Positive(t, checked)
}
