package snomed_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/rf2"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func build(t *testing.T, cfg snomedtest.Config) (*snomed.Store, *snomedtest.Release) {
	t.Helper()
	dir := t.TempDir()
	rel, err := snomedtest.Generate(dir, cfg)
	require.NoError(t, err)
	path := filepath.Join(dir, "store.db")
	var phases []string
	require.NoError(t, snomed.Import(context.Background(), dir, path, snomed.WithProgress(func(p snomed.Progress) { phases = append(phases, p.Phase) })))
	assert.Contains(t, phases, "read")
	assert.Contains(t, phases, "write")
	assert.Empty(t, tempFiles(t, dir))
	s, err := snomed.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s, rel
}

// TestClose: strings the store returned outlive Close (they are copies,
// not views of the unmapped file), and a second Close is harmless.
func TestClose(t *testing.T) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 30, Seed: 5})
	require.NoError(t, err)
	path := filepath.Join(dir, "store.db")
	require.NoError(t, snomed.Import(context.Background(), dir, path))
	s, err := snomed.Open(path)
	require.NoError(t, err)
	c := rel.Concepts[len(rel.Concepts)-1]
	term, ok := s.PreferredTerm(snomed.ID(c), "en-GB")
	require.True(t, ok)
	descs := s.Descriptions(snomed.ID(c))
	hits := s.Search(term, snomed.SearchOptions{})
	require.NotEmpty(t, hits)
	require.NoError(t, s.Close())
	assert.Equal(t, rel.Terms[c], term)
	assert.NotEmpty(t, descs[0].Term+descs[0].LanguageCode)
	assert.NotEmpty(t, hits[0].Term)
	assert.NoError(t, s.Close())
}

// naive computes ancestors by walking parents, independently of the store.
func naive(rel *snomedtest.Release) map[uint64]map[uint64]bool {
	anc := map[uint64]map[uint64]bool{}
	var walk func(c uint64) map[uint64]bool
	walk = func(c uint64) map[uint64]bool {
		if a, ok := anc[c]; ok {
			return a
		}
		a := map[uint64]bool{}
		for _, p := range rel.Parents[c] {
			a[p] = true
			for x := range walk(p) {
				a[x] = true
			}
		}
		anc[c] = a
		return a
	}
	for _, c := range rel.Concepts {
		walk(c)
	}
	return anc
}

func TestIsAAgainstNaiveClosure(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 400, Seed: 3})
	anc := naive(rel)
	assert.Equal(t, len(rel.Concepts), s.Len()) // 400 clinical + 120 attribute types + the refset
	checked := 0
	for _, a := range rel.Concepts {
		for _, b := range rel.Concepts {
			want := a == b || anc[a][b]
			if got := s.IsA(snomed.ID(a), snomed.ID(b)); got != want {
				t.Fatalf("IsA(%d, %d) = %v, want %v", a, b, got, want)
			}
			checked++
		}
		var wantAnc []snomed.ID
		for x := range anc[a] {
			wantAnc = append(wantAnc, snomed.ID(x))
		}
		slices.Sort(wantAnc)
		assert.Equal(t, wantAnc, nilIfEmpty(s.Ancestors(snomed.ID(a))))
	}
	t.Logf("%d pairs checked", checked)
	// Descendants as lists and as sets, against the naive closure.
	for _, a := range rel.Concepts {
		var want []snomed.ID
		for _, c := range rel.Concepts {
			if anc[c][a] {
				want = append(want, snomed.ID(c))
			}
		}
		slices.Sort(want)
		assert.Equal(t, want, s.Descendants(snomed.ID(a)), "descendants of %d", a)
		set := s.DescendantSet(snomed.ID(a))
		assert.Equal(t, len(want), set.Len())
		assert.Equal(t, len(want), s.DescendantCount(snomed.ID(a)))
		for _, c := range rel.Concepts[:50] {
			assert.Equal(t, anc[c][a], set.Has(snomed.ID(c)))
		}
		var walked []snomed.ID
		s.EachDescendant(snomed.ID(a), func(id snomed.ID) bool { walked = append(walked, id); return true })
		assert.Equal(t, want, walked, "EachDescendant is ascending")
		as := s.AncestorSet(snomed.ID(a))
		assert.Equal(t, len(anc[a]), as.Len())
		assert.Equal(t, nilIfEmpty(s.Ancestors(snomed.ID(a))), as.IDs())
	}
	assert.Zero(t, s.DescendantSet(123).Len())
	assert.False(t, snomed.Set{}.Has(snomed.RootConcept), "the zero Set is empty")
	// Inactive concepts and stated rows do not enter the hierarchy.
	for _, c := range rel.Concepts {
		if !rel.Active[c] {
			assert.Empty(t, s.Parents(snomed.ID(c)))
		}
	}
	// Every active concept descends from the root.
	desc := s.Descendants(snomedtest.Root)
	n := 0
	for _, c := range rel.Concepts {
		if rel.Active[c] && c != snomedtest.Root {
			n++
			require.True(t, s.IsA(snomed.ID(c), snomedtest.Root))
		}
	}
	assert.Len(t, desc, n)
	assert.False(t, s.IsA(123, snomedtest.Root), "unknown ids are never subsumed")
}

func nilIfEmpty(v []snomed.ID) []snomed.ID {
	if len(v) == 0 {
		return nil
	}
	return v
}

func TestTerms(t *testing.T) {
	s, rel := build(t, snomedtest.Tiny)
	ukPreferred := 0
	for _, c := range rel.Concepts {
		gb, ok := s.PreferredTerm(snomed.ID(c), "en-GB")
		require.True(t, ok)
		want := rel.Terms[c]
		if uk, ok := rel.UKTerms[c]; ok {
			want = uk // the NHS clinical language refset comes first for en-GB
			ukPreferred++
		}
		assert.Equal(t, want, gb)
		intl, _ := s.PreferredTerm(snomed.ID(c), "en-x-900000000000508004")
		assert.Equal(t, rel.Terms[c], intl, "one named language refset")
		us, _ := s.PreferredTerm(snomed.ID(c), "en-US")
		assert.Equal(t, rel.USTerms[c], us)
		fsn, _ := s.FullySpecifiedName(snomed.ID(c))
		assert.Equal(t, rel.FSNs[c], fsn)
	}
	assert.Positive(t, ukPreferred)
	c, ok := s.Concept(snomedtest.Root)
	require.True(t, ok)
	assert.True(t, c.Active)
}

// TestPackages imports the International and UK packages together: the UK
// file names are found, a later row wins and an earlier one loses.
func TestPackages(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 2000, Seed: 11})
	require.NotEmpty(t, rel.Restated)
	require.NotEmpty(t, rel.Stale)
	for _, c := range rel.Restated {
		got, ok := s.Concept(snomed.ID(c))
		require.True(t, ok)
		assert.Equal(t, snomed.ID(snomedtest.UKClinicalModule), got.Module, "%d", c)
		assert.Equal(t, 20261001, got.EffectiveTime)
		assert.Equal(t, rel.Active[c], got.Active)
	}
	for _, c := range rel.Stale {
		got, _ := s.Concept(snomed.ID(c))
		assert.Equal(t, snomed.ID(snomedtest.CoreModule), got.Module, "%d: the older UK row must lose", c)
		assert.Equal(t, rel.Active[c], got.Active)
	}
	for c, rows := range map[string]map[uint64][]snomedtest.MapRow{"UK ICD-10": rel.UKICD10, "OPCS-4.10": rel.OPCS} {
		refset := snomed.ICD10UKRefset
		if c == "OPCS-4.10" {
			refset = snomed.OPCS410Refset
		}
		require.NotEmpty(t, rows)
		for id, want := range rows {
			got := s.Maps(snomed.ID(id), refset)
			require.Len(t, got, len(want), "%s %d", c, id)
			for i, w := range want {
				assert.Equal(t, snomedtest.MapRow{Group: got[i].Group, Priority: got[i].Priority, Rule: got[i].Rule, Advice: got[i].Advice, Target: got[i].Target}, w)
				assert.Equal(t, refset, got[i].Refset)
			}
		}
	}
	require.NotEmpty(t, rel.CTV3)
	for id, target := range rel.CTV3 {
		got := s.Maps(snomed.ID(id), snomed.ID(snomedtest.CTV3SimpleMap))
		require.Len(t, got, 1)
		assert.Equal(t, target, got[0].Target)
		assert.Zero(t, got[0].Group, "a simple map has no groups")
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := snomedtest.Generate(dir, snomedtest.Tiny)
	require.NoError(t, err)
	store := filepath.Join(dir, "s.db")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, snomed.Import(ctx, dir, store), context.Canceled)
	_, err = os.Stat(store)
	assert.True(t, os.IsNotExist(err), "a failed import leaves no store")

	assert.ErrorIs(t, snomed.Import(context.Background(), t.TempDir(), store), snomed.ErrNoFiles)

	// A bad SCTID in the concept file is reported with its file.
	cf, _ := filepath.Glob(filepath.Join(dir, "Snapshot", "Terminology", "sct2_Concept_*"))
	b, _ := os.ReadFile(cf[0])
	lines := strings.Split(string(b), "\r\n")
	lines[5] = strings.Replace(lines[5], lines[5][:7], "1234567", 1)
	require.NoError(t, os.WriteFile(cf[0], []byte(strings.Join(lines, "\r\n")), 0o644))
	err = snomed.Import(context.Background(), dir, store)
	var pe *rf2.ParseError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.ErrorIs(t, err, rf2.ErrSCTID)
	assert.Equal(t, 6, pe.Line)
	assert.Contains(t, pe.File, "sct2_Concept_Snapshot")

	_, err = snomed.Open(cf[0])
	assert.ErrorIs(t, err, snomed.ErrFormat)

	// A description id (partition 01) in the concept file.
	lines[5] = strings.Replace(lines[5], strings.Split(lines[5], "\t")[0], fmt.Sprint(rf2.MakeSCTID(4242, rf2.PartDescription)), 1)
	require.NoError(t, os.WriteFile(cf[0], []byte(strings.Join(lines, "\r\n")), 0o644))
	err = snomed.Import(context.Background(), dir, store)
	assert.ErrorIs(t, err, rf2.ErrPartition)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 6, pe.Line)
}

func TestImportBadRefsetHeader(t *testing.T) {
	dir := t.TempDir()
	_, err := snomedtest.Generate(dir, snomedtest.Tiny)
	require.NoError(t, err)
	bad := filepath.Join(dir, "Snapshot", "Refset", "Content", "der2_Refset_SimpleSnapshot_XX_20260401.txt")
	require.NoError(t, os.WriteFile(bad, []byte("id\teffectiveTime\tactive\tmoduleId\treferencedComponentId\trefsetId\n"), 0o644))
	err = snomed.Import(context.Background(), dir, filepath.Join(dir, "s.db"))
	assert.ErrorIs(t, err, rf2.ErrHeader)
	assert.Contains(t, err.Error(), "der2_Refset_SimpleSnapshot_XX")
	// The store was half written when the refsets failed: nothing is left.
	assert.Empty(t, tempFiles(t, dir))
	assert.NoFileExists(t, filepath.Join(dir, "s.db"))
}

// tempFiles lists what an import left behind in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, ".snomed-*"))
	require.NoError(t, err)
	return left
}

// appendRow adds a line to the release's relationship file.
func appendRow(t *testing.T, dir, line string) {
	t.Helper()
	rf, _ := filepath.Glob(filepath.Join(dir, "Snapshot", "Terminology", "sct2_Relationship_Snapshot_*"))
	require.Len(t, rf, 1)
	f, err := os.OpenFile(rf[0], os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(line + "\r\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestImportBadHierarchy(t *testing.T) {
	relID := rf2.MakeSCTID(987654, rf2.PartRelationship)
	row := func(src, dst uint64) string {
		return fmt.Sprintf("%d\t20260501\t1\t%d\t%d\t%d\t0\t%d\t%d\t%d", relID, snomedtest.CoreModule, src, dst, snomedtest.IsA, snomedtest.Inferred, snomedtest.ExistentialModifer)
	}
	t.Run("cycle", func(t *testing.T) {
		dir := t.TempDir()
		rel, err := snomedtest.Generate(dir, snomedtest.Tiny)
		require.NoError(t, err)
		var leaf uint64
		for _, c := range rel.Concepts[1:] {
			if rel.Active[c] && len(rel.Parents[c]) > 0 {
				leaf = c
			}
		}
		appendRow(t, dir, row(snomedtest.Root, leaf)) // the root under one of its descendants
		err = snomed.Import(context.Background(), dir, filepath.Join(dir, "s.db"))
		require.ErrorIs(t, err, snomed.ErrCycle)
		// The error names the cycle (each concept IS-A the next, ending
		// where it began, through the added row) and the row of its first
		// IS-A.
		var ce *snomed.CycleError
		require.ErrorAs(t, err, &ce)
		var ids []uint64
		for _, c := range ce.Chain {
			ids = append(ids, uint64(c))
		}
		chain := err.Error()
		require.GreaterOrEqual(t, len(ids), 3, chain)
		assert.Equal(t, ids[0], ids[len(ids)-1])
		assert.Contains(t, ids, uint64(snomedtest.Root))
		assert.Contains(t, ce.File, "sct2_Relationship_")
		assert.Positive(t, ce.Line)
		assert.Contains(t, chain, ce.File)
		for i := 1; i < len(ids); i++ {
			child, parent := ids[i-1], ids[i]
			isParent := slices.Contains(rel.Parents[child], parent) || (child == snomedtest.Root && parent == leaf)
			assert.True(t, isParent, "%d IS-A %d in %s", child, parent, chain)
		}
	})
	t.Run("unknown concept", func(t *testing.T) {
		dir := t.TempDir()
		rel, err := snomedtest.Generate(dir, snomedtest.Tiny)
		require.NoError(t, err)
		appendRow(t, dir, row(rel.Concepts[3], rf2.MakeSCTID(55555, rf2.PartConcept)))
		err = snomed.Import(context.Background(), dir, filepath.Join(dir, "s.db"))
		assert.ErrorIs(t, err, snomed.ErrUnknown)
		assert.Contains(t, err.Error(), "sct2_Relationship_Snapshot")
	})
	t.Run("wrong columns", func(t *testing.T) {
		dir := t.TempDir()
		_, err := snomedtest.Generate(dir, snomedtest.Tiny)
		require.NoError(t, err)
		appendRow(t, dir, "1\t2")
		err = snomed.Import(context.Background(), dir, filepath.Join(dir, "s.db"))
		assert.ErrorIs(t, err, rf2.ErrColumns)
		var pe *rf2.ParseError
		require.ErrorAs(t, err, &pe)
		assert.Positive(t, pe.Line)
	})
}

// TestRelationshipLatestRowWins restates relationship rows in a second
// package: a later inactive row retires an attribute, an older one does not.
func TestRelationshipLatestRowWins(t *testing.T) {
	dir := t.TempDir()
	_, err := snomedtest.Generate(dir, snomedtest.Tiny)
	require.NoError(t, err)
	rf, _ := filepath.Glob(filepath.Join(dir, "Snapshot", "Terminology", "sct2_Relationship_Snapshot_*"))
	b, err := os.ReadFile(rf[0])
	require.NoError(t, err)
	var picked [][]string
	for _, line := range strings.Split(string(b), "\r\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) == 10 && f[2] == "1" && f[7] == fmt.Sprint(snomedtest.Morphology) && f[8] == fmt.Sprint(snomedtest.Inferred) {
			picked = append(picked, f)
		}
		if len(picked) == 2 {
			break
		}
	}
	require.Len(t, picked, 2)
	later, older := slices.Clone(picked[0]), slices.Clone(picked[1])
	later[1], later[2] = "20270101", "0"
	older[1], older[2] = "20200101", "0"
	uk := filepath.Join(dir, "UK2", "Snapshot", "Terminology")
	require.NoError(t, os.MkdirAll(uk, 0o755))
	header := "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId\n"
	require.NoError(t, os.WriteFile(filepath.Join(uk, "sct2_Relationship_UKCLSnapshot_GB1000000_20270101.txt"),
		[]byte(header+strings.Join(later, "\t")+"\n"+strings.Join(older, "\t")+"\n"), 0o644))
	path := filepath.Join(dir, "s.db")
	require.NoError(t, snomed.Import(context.Background(), dir, path))
	s, err := snomed.Open(path)
	require.NoError(t, err)
	has := func(f []string) bool {
		var src, dst uint64
		fmt.Sscan(f[4], &src)
		fmt.Sscan(f[5], &dst)
		for _, r := range s.Relationships(snomed.ID(src)) {
			if r.Destination == snomed.ID(dst) && r.Type == snomedtest.Morphology {
				return true
			}
		}
		return false
	}
	assert.False(t, has(later), "the later inactive row retires the relationship")
	assert.True(t, has(older), "the older inactive row loses")
}

// A malformed number in a map row is an error with its file, line and
// column, never a silent 0.
func TestImportBadMapNumbers(t *testing.T) {
	for _, col := range []struct {
		name  string
		index int // in the extended map's columns
		want  error
	}{
		{"mapGroup", 6, rf2.ErrInteger},
		{"mapPriority", 7, rf2.ErrInteger},
		{"correlationId", 11, rf2.ErrSCTID},
		{"mapCategoryId", 12, rf2.ErrSCTID},
	} {
		t.Run(col.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := snomedtest.Generate(dir, snomedtest.Tiny)
			require.NoError(t, err)
			mf, _ := filepath.Glob(filepath.Join(dir, "Snapshot", "Refset", "Map", "der2_iisssccRefset_ExtendedMapSnapshot_INT_*"))
			require.Len(t, mf, 1)
			b, err := os.ReadFile(mf[0])
			require.NoError(t, err)
			lines := strings.Split(string(b), "\r\n")
			require.Equal(t, col.name, strings.Split(lines[0], "\t")[col.index])
			fields := strings.Split(lines[3], "\t")
			require.Equal(t, "1", fields[2], "an active row")
			fields[col.index] = "one"
			lines[3] = strings.Join(fields, "\t")
			require.NoError(t, os.WriteFile(mf[0], []byte(strings.Join(lines, "\r\n")), 0o644))
			err = snomed.Import(context.Background(), dir, filepath.Join(dir, "s.db"))
			var pe *rf2.ParseError
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, err, col.want)
			assert.Equal(t, col.name, pe.Column)
			assert.Equal(t, 4, pe.Line)
			assert.Contains(t, pe.File, "ExtendedMap")
		})
	}
}

// TestReimportWhileOpen: Import replaces the store by rename, so a Store
// opened before keeps answering from the file it mapped.
func TestReimportWhileOpen(t *testing.T) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(filepath.Join(dir, "a"), snomedtest.Config{Concepts: 50, Seed: 7})
	require.NoError(t, err)
	_, err = snomedtest.Generate(filepath.Join(dir, "b"), snomedtest.Config{Concepts: 80, Seed: 8})
	require.NoError(t, err)
	path := filepath.Join(dir, "store.db")
	require.NoError(t, snomed.Import(context.Background(), filepath.Join(dir, "a"), path))
	s, err := snomed.Open(path)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, snomed.Import(context.Background(), filepath.Join(dir, "b"), path))
	assert.Equal(t, len(rel.Concepts), s.Len())
	for _, c := range rel.Concepts {
		want := rel.Terms[c]
		if uk, ok := rel.UKTerms[c]; ok {
			want = uk
		}
		term, ok := s.PreferredTerm(snomed.ID(c), "en-GB")
		assert.True(t, ok)
		assert.Equal(t, want, term)
	}
	s2, err := snomed.Open(path)
	require.NoError(t, err)
	defer s2.Close()
	assert.NotEqual(t, s.Len(), s2.Len())
}
