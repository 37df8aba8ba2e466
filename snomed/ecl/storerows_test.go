package ecl_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/rf2"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// writeRowRelease writes src as an RF2 Snapshot in dir: its concepts, their
// IS-A relationships, and its reference set rows (a simple and an
// extended map file), each row passed through edit first.
func writeRowRelease(t *testing.T, dir string, src rowMem, edit func(refset, comp snomed.ID, r *ecl.MemberRow)) {
	t.Helper()
	write := func(sub, name, header string, rows func(w *bufio.Writer)) {
		p := filepath.Join(dir, "Snapshot", sub)
		require.NoError(t, os.MkdirAll(p, 0o755))
		f, err := os.Create(filepath.Join(p, name))
		require.NoError(t, err)
		w := bufio.NewWriter(f)
		w.WriteString(header + "\r\n")
		rows(w)
		require.NoError(t, w.Flush())
		require.NoError(t, f.Close())
	}
	concepts := make([]snomed.ID, 0, len(src.concepts))
	for c := range src.concepts {
		concepts = append(concepts, c)
	}
	slices.Sort(concepts)
	write("Terminology", "sct2_Concept_Snapshot_INT_20260401.txt", "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId", func(w *bufio.Writer) {
		for _, id := range concepts {
			c := src.concepts[id]
			et := c.EffectiveTime
			if et == 0 {
				et = 20020131
			}
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\r\n", id, et, b2i(c.Active), c.Module, c.DefinitionStatus)
		}
	})
	write("Terminology", "sct2_Relationship_Snapshot_INT_20260401.txt", "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId", func(w *bufio.Writer) {
		seq := uint64(0)
		for _, c := range concepts {
			for _, p := range src.parents[c] {
				seq++
				fmt.Fprintf(w, "%d\t20020131\t1\t%d\t%d\t%d\t0\t%d\t%d\t%d\r\n", rf2.MakeSCTID(100_000+seq, rf2.PartRelationship), coreModule, c, p, snomedtest.IsA, snomedtest.Inferred, snomedtest.ExistentialModifer)
			}
		}
	})
	seq := 0
	uuid := func() string {
		seq++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", seq)
	}
	rows := func(refset snomed.ID, each func(comp snomed.ID, r ecl.MemberRow)) {
		comps := make([]snomed.ID, 0, len(src.rows[refset]))
		for c := range src.rows[refset] {
			comps = append(comps, c)
		}
		slices.Sort(comps)
		for _, c := range comps {
			for _, r := range src.rows[refset][c] {
				if edit != nil {
					edit(refset, c, &r)
				}
				each(c, r)
			}
		}
	}
	common := "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId"
	write("Refset/Content", "der2_Refset_SimpleSnapshot_INT_20260401.txt", common, func(w *bufio.Writer) {
		rows(laterality, func(c snomed.ID, r ecl.MemberRow) {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\r\n", uuid(), r.EffectiveTime, b2i(r.Active), r.Module, laterality, c)
		})
	})
	write("Refset/Map", "der2_iisssccRefset_ExtendedMapSnapshot_INT_20260401.txt", common+"\tmapGroup\tmapPriority\tmapRule\tmapAdvice\tmapTarget\tcorrelationId\tmapCategoryId", func(w *bufio.Writer) {
		rows(icd10Map, func(c snomed.ID, r ecl.MemberRow) {
			m := r.Map
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\tTRUE\t\t%s\t447561005\t447637006\r\n", uuid(), r.EffectiveTime, b2i(r.Active), r.Module, icd10Map, c, m.Group, m.Priority, m.Target)
		})
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rowStore imports rowWorld, its rows edited by edit, and opens the store.
func rowStore(t *testing.T, edit func(refset, comp snomed.ID, r *ecl.MemberRow)) *snomed.Store {
	t.Helper()
	dir := t.TempDir()
	writeRowRelease(t, dir, rowWorld(), edit)
	return importRelease(t, dir, snomed.AllowIncomplete())
}

// TestStoreMemberFilters: an imported store keeps each reference set
// row's module, effective time and status, so it answers the member
// filters that the in-memory RowSource answers, with the same results,
// and Contains agrees with the listed set for every concept.
func TestStoreMemberFilters(t *testing.T) {
	s := rowStore(t, nil)
	var _ ecl.RowSource = s
	all := s.Concepts()
	for _, tt := range rowFilterCases {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := ecl.EvaluateSource(s, mustParse(t, tt.expr))
			require.NoError(t, err)
			assert.Equal(t, ids(tt.want), ids(got))
			for _, c := range all {
				in, err := ecl.Contains(context.Background(), s, tt.expr, c)
				require.NoError(t, err)
				assert.Equal(t, slices.Contains(got, c), in, "Contains %d", c)
			}
		})
	}
	// The rows come back as written, inactive ones too.
	assert.ElementsMatch(t, []ecl.MemberRow{
		{Module: ukModule, EffectiveTime: 20210731, Active: true},
		{Module: coreModule, EffectiveTime: 20190131},
	}, s.MemberRows(laterality, heart))
	assert.Equal(t, idList(lung, heart, asthma), s.RowMembers(laterality))
	maps := s.MemberRows(icd10Map, asthma)
	require.Len(t, maps, 2)
	assert.Equal(t, "J45.9", maps[0].Map.Target)
	assert.Equal(t, snomed.ID(coreModule), maps[0].Module)
	assert.Equal(t, 20200131, maps[0].EffectiveTime)
	assert.Equal(t, "J45.8", maps[1].Map.Target)
	assert.Equal(t, snomed.ID(ukModule), maps[1].Module)
}

// TestStoreMemberRowMutation: changing one row's module, time or status
// in the release changes the store's answer.
func TestStoreMemberRowMutation(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(refset, comp snomed.ID, r *ecl.MemberRow)
		expr string
		want []snomed.ID
	}{
		{"heart's UK row moved to core", func(refset, comp snomed.ID, r *ecl.MemberRow) {
			if refset == laterality && comp == heart && r.Active {
				r.Module = coreModule
			}
		}, "^ 723264001 {{ M moduleId = 999000011000000103 }}", nil},
		{"heart's UK row dated 2019", func(refset, comp snomed.ID, r *ecl.MemberRow) {
			if refset == laterality && comp == heart && r.Active {
				r.EffectiveTime = 20190101
			}
		}, `^ 723264001 {{ M effectiveTime >= "20200101" }}`, nil},
		{"lung's row dated 2021", func(refset, comp snomed.ID, r *ecl.MemberRow) {
			if refset == laterality && comp == lung {
				r.EffectiveTime = 20211231
			}
		}, `^ 723264001 {{ M effectiveTime >= "20200101" }}`, idList(lung, heart)},
		{"asthma's row made active", func(refset, comp snomed.ID, r *ecl.MemberRow) {
			if refset == laterality && comp == asthma {
				r.Active = true
			}
		}, "^ 723264001 {{ M active = 0 }}", idList(heart)},
		{"asthma's UK map row moved to core", func(refset, comp snomed.ID, r *ecl.MemberRow) {
			if refset == icd10Map && r.Module == ukModule {
				r.Module = coreModule
			}
		}, `^ 447562003 {{ M moduleId = 999000011000000103, mapTarget = "J45.8" }}`, nil},
		{"asthma's 2021 map row dated 2020", func(refset, comp snomed.ID, r *ecl.MemberRow) {
			if refset == icd10Map && r.EffectiveTime == 20210731 {
				r.EffectiveTime = 20200131
			}
		}, `^ 447562003 {{ M mapPriority = #2, effectiveTime > "20210101" }}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := rowStore(t, tt.edit)
			got, err := ecl.EvaluateSource(s, mustParse(t, tt.expr))
			require.NoError(t, err)
			assert.Equal(t, ids(tt.want), ids(got))
		})
	}
}

// TestStoreMemberRowTime: a reference set row dated outside what the
// store keeps is an error naming the file, line and column.
func TestStoreMemberRowTime(t *testing.T) {
	dir := t.TempDir()
	writeRowRelease(t, dir, rowWorld(), func(refset, comp snomed.ID, r *ecl.MemberRow) {
		if refset == laterality && comp == lung {
			r.EffectiveTime = 19991231
		}
	})
	err := snomed.Import(context.Background(), dir, filepath.Join(dir, "store.db"), snomed.AllowIncomplete())
	var pe *rf2.ParseError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, rf2.ErrTime)
	assert.Equal(t, "der2_Refset_SimpleSnapshot_INT_20260401.txt", pe.File)
	assert.Equal(t, "effectiveTime", pe.Column)
	assert.Equal(t, 2, pe.Line) // rows by id: lung first
}
