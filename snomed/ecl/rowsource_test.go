package ecl_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
)

// rowMem is the in-memory source with whole reference set rows, inactive
// ones too: an ecl.RowSource.
type rowMem struct {
	*mem
	rows map[snomed.ID]map[snomed.ID][]ecl.MemberRow
}

func (m rowMem) MemberRows(refset, id snomed.ID) []ecl.MemberRow { return m.rows[refset][id] }

func (m rowMem) RowMembers(refset snomed.ID) []snomed.ID {
	var out []snomed.ID
	for id := range m.rows[refset] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

const (
	icd10Map   = 447562003
	moduleRoot = 900000000000443000
)

func rowWorld() rowMem {
	m := newMem()
	for _, c := range []snomed.ID{icd10Map, moduleRoot, coreModule, ukModule} {
		m.concepts[c] = snomed.Concept{ID: c, Active: true, Module: coreModule, DefinitionStatus: primitive}
	}
	m.parents[moduleRoot] = []snomed.ID{root}
	m.parents[coreModule] = []snomed.ID{moduleRoot}
	m.parents[ukModule] = []snomed.ID{moduleRoot}
	// Active rows: laterality lung (core, 2002) and heart (UK, 2021);
	// inactive rows: heart (core, 2019), asthma (core, 2020). The map has
	// two active rows for asthma in different modules.
	m.refsets[laterality] = []snomed.ID{lung, heart}
	m.refsets[icd10Map] = []snomed.ID{asthma}
	return rowMem{mem: m, rows: map[snomed.ID]map[snomed.ID][]ecl.MemberRow{
		laterality: {
			lung:   {{Module: coreModule, EffectiveTime: 20020131, Active: true}},
			heart:  {{Module: ukModule, EffectiveTime: 20210731, Active: true}, {Module: coreModule, EffectiveTime: 20190131}},
			asthma: {{Module: coreModule, EffectiveTime: 20200131}},
		},
		icd10Map: {
			asthma: {
				{Module: coreModule, EffectiveTime: 20200131, Active: true, Map: &snomed.MapEntry{Refset: icd10Map, Group: 1, Priority: 1, Target: "J45.9"}},
				{Module: ukModule, EffectiveTime: 20210731, Active: true, Map: &snomed.MapEntry{Refset: icd10Map, Group: 1, Priority: 2, Target: "J45.8"}},
			},
		},
	}}
}

// rowFilterCases are the member filter expectations over rowWorld, for
// the in-memory RowSource and for a store imported from the same rows.
var rowFilterCases = []struct {
	expr string
	want []snomed.ID
}{
	{"^ 723264001", idList(lung, heart)},
	{"^ 723264001 {{ M moduleId = 999000011000000103 }}", idList(heart)},
	// Heart's core row is inactive: without an active filter only
	// active rows count.
	{"^ 723264001 {{ M moduleId = 900000000000207008 }}", idList(lung)},
	{"^ 723264001 {{ M moduleId = << 900000000000443000 }}", idList(lung, heart)},
	{"^ 723264001 {{ M moduleId = (900000000000207008 OR 999000011000000103) }}", idList(lung, heart)},
	{"^ 723264001 {{ M moduleId != 900000000000207008 }}", idList(heart)},
	{`^ 723264001 {{ M effectiveTime >= "20200101" }}`, idList(heart)},
	{`^ 723264001 {{ M effectiveTime != "20020131" }}`, idList(heart)},
	{`^ 723264001 {{ M effectiveTime = ("20020131" "20210731") }}`, idList(lung, heart)},
	{"^ 723264001 {{ M active = 1 }}", idList(lung, heart)},
	{"^ 723264001 {{ M active = 0 }}", idList(heart, asthma)},
	{"^ 723264001 {{ M active = false }}", idList(heart, asthma)},
	// One row must pass the whole block: heart has a UK row and a
	// 2019 row, but no UK row of 2019.
	{`^ 723264001 {{ M moduleId = 900000000000207008, effectiveTime = "20190131", active = 0 }}`, idList(heart)},
	{`^ 723264001 {{ M moduleId = 999000011000000103, effectiveTime = "20190131", active = 0 }}`, nil},
	{`^ 723264001 {{ M moduleId = 999000011000000103, effectiveTime = "20190131" }}`, nil},
	{"^ 723264001 {{ M active = 0, moduleId = 999000011000000103 }}", nil},
	// Separate blocks may be satisfied by different rows.
	{`^ 723264001 {{ M moduleId = 999000011000000103 }} {{ M active = 0, effectiveTime = "20190131" }}`, idList(heart)},
	{`^ 447562003 {{ M moduleId = 999000011000000103, mapTarget = "J45.9" }}`, nil},
	{`^ 447562003 {{ M moduleId = 999000011000000103, mapTarget = "J45.8" }}`, idList(asthma)},
	{`^ 447562003 {{ M moduleId = 999000011000000103 }} {{ M mapTarget = "J45.9" }}`, idList(asthma)},
	{`^ 447562003 {{ M mapPriority = #2, effectiveTime > "20210101" }}`, idList(asthma)},
	{`^ 447562003 {{ M mapPriority = #1, effectiveTime > "20210101" }}`, nil},
	{`<< ^ 723264001 {{ M active = 0 }}`, idList(asthma, heart)},
}

// TestRowSourceMemberFilters: over a source that keeps whole rows,
// moduleId, effectiveTime and active member filters are answered per row
// (one row must pass a whole block; separate blocks may use different
// rows), and a block with an active filter sees inactive rows.
func TestRowSourceMemberFilters(t *testing.T) {
	src := rowWorld()
	for _, tt := range rowFilterCases {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := ecl.EvaluateSource(src, mustParse(t, tt.expr))
			require.NoError(t, err)
			assert.Equal(t, ids(tt.want), ids(got))
			// Contains agrees with the listed set for every concept.
			for _, c := range src.Concepts() {
				in, err := ecl.Contains(context.Background(), src, tt.expr, c)
				require.NoError(t, err)
				assert.Equal(t, slices.Contains(got, c), in, "Contains %d", c)
			}
		})
	}
	// The same filters over a source without rows are unsupported, never
	// answered from the reference set's active list.
	for _, expr := range []string{"^ 723264001 {{ M moduleId = 900000000000207008 }}", `^ 723264001 {{ M effectiveTime = "20020131" }}`} {
		_, err := ecl.EvaluateSource(src.mem, mustParse(t, expr))
		assert.ErrorIs(t, err, ecl.ErrUnsupported, expr)
	}
}
