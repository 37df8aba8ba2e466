package snomed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/rf2"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// mutation is one defect put into a valid release.
type mutation struct {
	name string
	file string // glob under the release
	line int    // 1-based; 1 is the header
	col  int    // 0-based field
	// value replaces the field; swap, when set, swaps the field with
	// another column of the same line.
	value string
	swap  int
	// The error wanted: its sentinel, and the column it names.
	want   error
	column string
}

const (
	conceptFile  = "Snapshot/Terminology/sct2_Concept_Snapshot_*"
	descFile     = "Snapshot/Terminology/sct2_Description_Snapshot*"
	relFile      = "Snapshot/Terminology/sct2_Relationship_Snapshot_*"
	concreteFile = "Snapshot/Terminology/sct2_RelationshipConcreteValues_*"
	langFile     = "Snapshot/Refset/Language/der2_cRefset_LanguageSnapshot-en_*"
	simpleFile   = "Snapshot/Refset/Content/der2_Refset_SimpleSnapshot_*"
	assocFile    = "Snapshot/Refset/Content/der2_cRefset_AssociationSnapshot_*"
	mapFile      = "Snapshot/Refset/Map/der2_iisssccRefset_ExtendedMapSnapshot_*"
)

// badCheck changes an SCTID's check digit.
func badCheck(s string) string {
	last := s[len(s)-1]
	return s[:len(s)-1] + string('0'+(last-'0'+1)%10)
}

var (
	descID    = strconv.FormatUint(rf2.MakeSCTID(4242, rf2.PartDescription), 10)
	conceptID = strconv.FormatUint(rf2.MakeSCTID(4242, rf2.PartConcept), 10)
)

func TestImportMutations(t *testing.T) {
	template := t.TempDir()
	_, err := snomedtest.Generate(template, snomedtest.Tiny)
	require.NoError(t, err)
	cases := []mutation{
		{name: "concept header renamed", file: conceptFile, line: 1, col: 4, value: "definitionStatus", want: rf2.ErrHeader, column: "definitionStatusId"},
		{name: "concept columns swapped", file: conceptFile, line: 1, col: 2, swap: 3, want: rf2.ErrHeader, column: "active"},
		{name: "concept id check digit", file: conceptFile, line: 3, col: 0, want: rf2.ErrSCTID, column: "id"},
		{name: "concept moduleId partition", file: conceptFile, line: 3, col: 3, value: descID, want: rf2.ErrPartition, column: "moduleId"},
		{name: "concept definitionStatusId check digit", file: conceptFile, line: 4, col: 4, want: rf2.ErrSCTID, column: "definitionStatusId"},
		{name: "description header extra column", file: descFile, line: 1, col: 8, value: "caseSignificanceId\tnote", want: rf2.ErrHeader, column: "note"},
		{name: "description id partition", file: descFile, line: 3, col: 0, value: conceptID, want: rf2.ErrPartition, column: "id"},
		{name: "description moduleId check digit", file: descFile, line: 3, col: 3, want: rf2.ErrSCTID, column: "moduleId"},
		{name: "description conceptId check digit", file: descFile, line: 5, col: 4, want: rf2.ErrSCTID, column: "conceptId"},
		{name: "description typeId partition", file: descFile, line: 5, col: 6, value: descID, want: rf2.ErrPartition, column: "typeId"},
		{name: "description caseSignificanceId check digit", file: descFile, line: 6, col: 8, want: rf2.ErrSCTID, column: "caseSignificanceId"},
		{name: "description term not UTF-8", file: descFile, line: 7, col: 7, value: "Heart \xff\xfe", want: rf2.ErrUTF8, column: "term"},
		{name: "relationship columns swapped", file: relFile, line: 1, col: 4, swap: 5, want: rf2.ErrHeader, column: "sourceId"},
		{name: "relationship id partition", file: relFile, line: 3, col: 0, value: conceptID, want: rf2.ErrPartition, column: "id"},
		{name: "relationship sourceId check digit", file: relFile, line: 3, col: 4, want: rf2.ErrSCTID, column: "sourceId"},
		{name: "relationship destinationId check digit", file: relFile, line: 4, col: 5, want: rf2.ErrSCTID, column: "destinationId"},
		{name: "relationship typeId partition", file: relFile, line: 4, col: 7, value: descID, want: rf2.ErrPartition, column: "typeId"},
		{name: "relationship characteristicTypeId check digit", file: relFile, line: 5, col: 8, want: rf2.ErrSCTID, column: "characteristicTypeId"},
		{name: "relationship modifierId check digit", file: relFile, line: 5, col: 9, want: rf2.ErrSCTID, column: "modifierId"},
		{name: "concrete value sourceId check digit", file: concreteFile, line: 2, col: 4, want: rf2.ErrSCTID, column: "sourceId"},
		{name: "language member id not a UUID", file: langFile, line: 3, col: 0, value: "member-3", want: rf2.ErrUUID, column: "id"},
		{name: "language referencedComponentId partition", file: langFile, line: 3, col: 5, value: conceptID, want: rf2.ErrPartition, column: "referencedComponentId"},
		{name: "language acceptabilityId check digit", file: langFile, line: 4, col: 6, want: rf2.ErrSCTID, column: "acceptabilityId"},
		{name: "language header renamed", file: langFile, line: 1, col: 6, value: "acceptability", want: rf2.ErrHeader, column: "acceptabilityId"},
		{name: "simple refset member id not a UUID", file: simpleFile, line: 2, col: 0, value: "12345", want: rf2.ErrUUID, column: "id"},
		{name: "simple refset refsetId check digit", file: simpleFile, line: 2, col: 4, want: rf2.ErrSCTID, column: "refsetId"},
		{name: "simple refset referencedComponentId check digit", file: simpleFile, line: 3, col: 5, want: rf2.ErrSCTID, column: "referencedComponentId"},
		{name: "association targetComponentId check digit", file: assocFile, line: 2, col: 6, want: rf2.ErrSCTID, column: "targetComponentId"},
		{name: "map correlationId check digit", file: mapFile, line: 2, col: 11, want: rf2.ErrSCTID, column: "correlationId"},
		// Dates, flags and group numbers, read on bytes: a sign, a letter
		// or a wrong length is an error, never a number.
		{name: "concept effectiveTime signed", file: conceptFile, line: 3, col: 1, value: "+2002013", want: rf2.ErrTime, column: "effectiveTime"},
		{name: "concept active not a flag", file: conceptFile, line: 4, col: 2, value: "2", want: rf2.ErrActive, column: "active"},
		{name: "description active spelt out", file: descFile, line: 4, col: 2, value: "true", want: rf2.ErrActive, column: "active"},
		{name: "description effectiveTime letter", file: descFile, line: 5, col: 1, value: "2002013x", want: rf2.ErrTime, column: "effectiveTime"},
		{name: "relationship effectiveTime short", file: relFile, line: 3, col: 1, value: "2002013", want: rf2.ErrTime, column: "effectiveTime"},
		{name: "relationship group negative", file: relFile, line: 4, col: 6, value: "-1", want: rf2.ErrInteger, column: "relationshipGroup"},
		{name: "concrete value active not a flag", file: concreteFile, line: 2, col: 2, value: "x", want: rf2.ErrActive, column: "active"},
		{name: "concrete value group signed", file: concreteFile, line: 2, col: 6, value: "+1", want: rf2.ErrInteger, column: "relationshipGroup"},
		{name: "language effectiveTime long", file: langFile, line: 3, col: 1, value: "200201310", want: rf2.ErrTime, column: "effectiveTime"},
		{name: "simple refset active blank", file: simpleFile, line: 2, col: 2, value: " ", want: rf2.ErrActive, column: "active"},
		{name: "map effectiveTime signed", file: mapFile, line: 2, col: 1, value: "-2002013", want: rf2.ErrTime, column: "effectiveTime"},
	}
	for _, m := range cases {
		t.Run(m.name, func(t *testing.T) {
			dir, store, before := importedCopy(t, template)
			file := mutate(t, dir, m)
			err := snomed.Import(context.Background(), dir, store)
			require.Error(t, err)
			assert.ErrorIs(t, err, m.want)
			var pe *rf2.ParseError
			require.ErrorAs(t, err, &pe, "%v", err)
			assert.Equal(t, file, pe.File)
			assert.Equal(t, m.line, pe.Line, "%v", err)
			assert.Equal(t, m.column, pe.Column, "%v", err)
			stillThere(t, store, before)
		})
	}
}

// importedCopy copies the template release, imports it and returns the
// copy's directory, the store's path and its size in concepts.
func importedCopy(t *testing.T, template string) (string, string, int) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(template)))
	store := filepath.Join(t.TempDir(), "s.db")
	require.NoError(t, snomed.Import(context.Background(), dir, store))
	s, err := snomed.Open(store)
	require.NoError(t, err)
	n := s.Len()
	require.NoError(t, s.Close())
	return dir, store, n
}

// stillThere wants the previous store in place, whole, and no temporary
// file beside it.
func stillThere(t *testing.T, store string, n int) {
	t.Helper()
	s, err := snomed.Open(store)
	require.NoError(t, err)
	assert.Equal(t, n, s.Len())
	require.NoError(t, s.Close())
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(store), ".snomed-*"))
	assert.Empty(t, left)
}

// mutate applies m to its file and returns the file's name.
func mutate(t *testing.T, dir string, m mutation) string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, m.file))
	require.Len(t, paths, 1, m.file)
	b, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	lines := strings.Split(string(b), "\r\n")
	require.Greater(t, len(lines), m.line)
	fields := strings.Split(lines[m.line-1], "\t")
	switch {
	case m.swap > 0:
		fields[m.col], fields[m.swap] = fields[m.swap], fields[m.col]
	case m.value != "":
		fields[m.col] = m.value
	default:
		fields[m.col] = badCheck(fields[m.col])
	}
	lines[m.line-1] = strings.Join(fields, "\t")
	require.NoError(t, os.WriteFile(paths[0], []byte(strings.Join(lines, "\r\n")), 0o644))
	return filepath.Base(paths[0])
}

func TestImportMissingFiles(t *testing.T) {
	template := t.TempDir()
	_, err := snomedtest.Generate(template, snomedtest.Tiny)
	require.NoError(t, err)
	for _, glob := range []string{relFile, descFile} {
		dir, store, before := importedCopy(t, template)
		paths, _ := filepath.Glob(filepath.Join(dir, glob))
		require.Len(t, paths, 1)
		require.NoError(t, os.Remove(paths[0]))
		err := snomed.Import(context.Background(), dir, store)
		assert.ErrorIs(t, err, snomed.ErrMissingFile, glob)
		stillThere(t, store, before)
		// The caller may accept an incomplete release.
		require.NoError(t, snomed.Import(context.Background(), dir, store, snomed.AllowIncomplete()))
	}
}

func TestImportInactiveParents(t *testing.T) {
	template := t.TempDir()
	rel, err := snomedtest.Generate(template, snomedtest.Tiny)
	require.NoError(t, err)
	dir, store, before := importedCopy(t, template)
	// A concept with one parent, that parent made inactive.
	var parent uint64
	for _, c := range rel.Concepts[1:] {
		if ps := rel.Parents[c]; rel.Active[c] && len(ps) == 1 && ps[0] != snomedtest.Root {
			parent = ps[0]
			break
		}
	}
	require.NotZero(t, parent)
	paths, _ := filepath.Glob(filepath.Join(dir, conceptFile))
	b, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	lines := strings.Split(string(b), "\r\n")
	for i, l := range lines {
		if f := strings.Split(l, "\t"); f[0] == strconv.FormatUint(parent, 10) {
			f[2] = "0"
			lines[i] = strings.Join(f, "\t")
		}
	}
	require.NoError(t, os.WriteFile(paths[0], []byte(strings.Join(lines, "\r\n")), 0o644))
	err = snomed.Import(context.Background(), dir, store)
	assert.ErrorIs(t, err, snomed.ErrInactiveParent)
	var pe *rf2.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.File, "sct2_Relationship_")
	assert.Equal(t, "destinationId", pe.Column)
	assert.Greater(t, pe.Line, 1)
	stillThere(t, store, before)
}

func TestImportRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	_, err := snomedtest.Generate(dir, snomedtest.Tiny)
	require.NoError(t, err)
	out := t.TempDir()
	old := time.Now().Add(-48 * time.Hour)
	files := map[string]bool{ // name: removed
		".snomed-import-999999999-1":                         true, // no such process
		".snomed-strings-999999999-2":                        true,
		".snomed-import-" + strconv.Itoa(os.Getpid()) + "-3": false, // this process: a running import
		".snomed-import-123456":                              true,  // no process id, old
		".snomed-strings-654321":                             false, // no process id, recent
	}
	for name := range files {
		p := filepath.Join(out, name)
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
		if name == ".snomed-import-123456" {
			require.NoError(t, os.Chtimes(p, old, old))
		}
	}
	require.NoError(t, snomed.Import(context.Background(), dir, filepath.Join(out, "s.db")))
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(out, name))
		assert.Equal(t, removed, errors.Is(err, os.ErrNotExist), name)
	}
}
