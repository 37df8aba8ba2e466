package snomed

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func tinyStore(t testing.TB) []byte {
	dir := t.TempDir()
	_, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 40, Seed: 2})
	require.NoError(t, err)
	path := filepath.Join(dir, "s.db")
	require.NoError(t, Import(context.Background(), dir, path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// exercise asks a decoded store everything a caller could, so that a
// damaged file that still decodes is shown not to panic.
func exercise(s *Store) {
	for _, id := range s.Concepts() {
		s.Concept(id)
		s.IsA(id, RootConcept)
		s.Parents(id)
		s.Children(id)
		s.Ancestors(id)
		s.Descendants(id)
		s.DescendantCount(id)
		s.Relationships(id)
		s.RelationshipsTo(id)
		s.ConcreteValues(id)
		s.PreferredTerm(id, "en-GB")
		s.PreferredTerm(id, "en-US")
		s.PreferredTerm(id, "en-x-999001261000000100")
		s.FullySpecifiedName(id)
		s.Descriptions(id)
		s.Associations(id)
		s.InactivationReason(id)
		s.Resolve(id)
		s.Maps(id, 0)
		s.MapInto(id, ICD10Refset)
	}
	for _, r := range s.Refsets() {
		s.RefsetMembers(r)
		s.DescendantsOrSelfOfMembers(r)
		s.DescendantsOrSelfOfMembers(r) // from the kept closure
		s.AncestorsOfMembers(r)
		for _, id := range s.RowMembers(r) {
			s.MemberRows(r, id)
		}
	}
	s.DescendantsOrSelfOfAny([]ID{RootConcept})
	s.DescendantsOfAny(s.Concepts())
	s.AncestorsOrSelfOfAny(s.Concepts())
	s.ActiveConcepts()
	s.Warnings()
	s.Search("finding", SearchOptions{})
	s.Search("a b", SearchOptions{Locale: "en-US"})
}

// TestDamagedStore cuts, flips and rewrites a store file: decoding must
// fail with an error or give a store that answers without panicking.
func TestDamagedStore(t *testing.T) {
	b := tinyStore(t)
	require.NoError(t, decode(b, &Store{}))
	for cut := 0; cut < len(b); cut += 1 + len(b)/300 {
		assert.Error(t, decode(b[:cut], &Store{}), "cut at %d", cut)
	}
	path := filepath.Join(t.TempDir(), "s.db")
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o644))
	_, err := Open(path)
	assert.ErrorIs(t, err, ErrFormat)

	opened := 0
	for i := 0; i < len(b); i += 1 + len(b)/1500 {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		s := &Store{}
		if decode(c, s) == nil {
			opened++
			exercise(s)
		}
	}
	assert.Positive(t, opened, "some flips land in data and still decode")

	// Each section header in turn: its offset or length pointing outside
	// the file, misaligned, or a partial record.
	for i := range numSections {
		for _, tc := range []struct {
			name string
			at   int
			v    uint64
		}{
			{"offset past the end", 0, uint64(len(b))},
			{"misaligned", 0, 4},
			{"length past the end", 8, uint64(len(b))},
			{"huge length", 8, 1 << 62},
		} {
			c := bytes.Clone(b)
			binary.LittleEndian.PutUint64(c[len(magic)+i*16+tc.at:], tc.v)
			s := &Store{}
			if decode(c, s) == nil {
				exercise(s)
			}
		}
	}
}

// TestDamagedTables writes values a lookup would follow out of range:
// Open refuses them, or they are clamped on use.
func TestDamagedTables(t *testing.T) {
	b := tinyStore(t)
	sec := func(c []byte, i int) []byte {
		h := c[len(magic)+i*16:]
		off, n := binary.LittleEndian.Uint64(h), binary.LittleEndian.Uint64(h[8:])
		return c[off : off+n]
	}
	for _, tc := range []struct {
		name    string
		sec     int
		at      int // byte offset within the section
		v       uint32
		refused bool
	}{
		{"ancestor ordinal", secAnc, 0, 1 << 30, true},
		{"negative ancestor", secAnc, 0, 0xffffffff, true},
		{"parent ordinal", secPar, 0, 1 << 30, true},
		{"child ordinal", secChild, 0, 1 << 30, true},
		{"ancestor offsets falling", secAncOff, 4, 1 << 20, true},
		{"description offsets", secDescOff, 8, 1 << 20, true},
		{"relationship destination", secRels, 8, 1 << 30, true},
		{"members offsets", secMemOff, 4, 1 << 20, true},
		{"member ordinal", secMemOrd, 0, 1 << 30, true},
		{"edge parent", secEdges, 0, 1 << 30, true},
		{"edge child", secEdges, 4, 0xffffffff, true},
		{"member ordinal offsets", secMemOrdOff, 4, 1 << 20, true},
		{"hash slot ordinal", secSlots, 8, 1 << 30, false},
		{"hash slot ancestor offset", secSlots, 12, 1 << 30, false},
		{"hash slot term offset", secSlots, 16, 1 << 30, false},
		{"hash slot lengths", secSlots, 20, 0xfff0fff0, false},
		{"preferred term offset", secPrefGB, 0, 1 << 30, false},
		{"description term length", secDescs, 28, 1 << 30, false},
		{"acceptability offset", secDescs, 40, 1 << 30, false},
		{"map target", secMaps, 44, 1 << 30, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := bytes.Clone(b)
			x := sec(c, tc.sec)
			require.Greater(t, len(x), tc.at+4)
			binary.LittleEndian.PutUint32(x[tc.at:], tc.v)
			s := &Store{}
			err := decode(c, s)
			if tc.refused {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			exercise(s)
		})
	}
}

// TestDamagedSlots puts every slot's ancestor range and preferred term
// out of range: Open does not check them, so each use must clamp.
func TestDamagedSlots(t *testing.T) {
	b := tinyStore(t)
	for _, v := range []struct {
		off  uint32
		len  uint16
		name string
	}{{1 << 30, 3, "offset"}, {0, 0xfff0, "length"}, {math.MaxUint32, 0xfffe, "both"}} {
		t.Run(v.name, func(t *testing.T) {
			c := bytes.Clone(b)
			s := &Store{}
			require.NoError(t, decode(c, s))
			for i := range s.slots {
				e := &s.slots[i]
				e.AncOff, e.AncLen, e.PrefOff, e.PrefLen = v.off, v.len, v.off, v.len
			}
			exercise(s)
			for _, id := range s.Concepts() {
				assert.True(t, s.IsA(id, id))
			}
		})
	}
}

// TestOldFormat: a store of an earlier version is refused.
func TestOldFormat(t *testing.T) {
	b := tinyStore(t)
	c := bytes.Clone(b)
	copy(c, "nhskit-snomed-7\n")
	assert.Error(t, decode(c, &Store{}))
	path := filepath.Join(t.TempDir(), "old.db")
	require.NoError(t, os.WriteFile(path, c, 0o644))
	_, err := Open(path)
	assert.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, "old.db is store format 7, and this version of snomed reads format 11 only: import the release again")
	// Format 10 kept no module or time per reference set row.
	copy(c, "nhskit-snomed-10")
	require.NoError(t, os.WriteFile(path, c, 0o644))
	_, err = Open(path)
	assert.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, "store format 10,")
	// Not a store at all: no version to name.
	copy(c, "nhskit-snomed-x1")
	require.NoError(t, os.WriteFile(path, c, 0o644))
	_, err = Open(path)
	assert.ErrorIs(t, err, ErrFormat)
	assert.NotContains(t, err.Error(), "store format")

	empty := filepath.Join(t.TempDir(), "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	_, err = Open(empty)
	assert.ErrorIs(t, err, ErrFormat)
}

// TestUnaligned: a store in a byte slice that is not 8-byte aligned (as
// the non-mmap fallback or a fuzzer may give) is copied, not misread.
func TestUnaligned(t *testing.T) {
	b := tinyStore(t)
	c := make([]byte, len(b)+1)
	copy(c[1:], b)
	s := &Store{}
	require.NoError(t, decode(c[1:], s))
	exercise(s)
	assert.NotZero(t, s.Len())
}

// TestRecordSizes pins the record layouts the file holds.
func TestRecordSizes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		got, wantN uintptr
	}{
		{"strRef", unsafe.Sizeof(strRef{}), 8},
		{"conceptRec", unsafe.Sizeof(conceptRec{}), 24},
		{"descRec", unsafe.Sizeof(descRec{}), 48},
		{"concRec", unsafe.Sizeof(concRec{}), 24},
		{"mapRec", unsafe.Sizeof(mapRec{}), 56},
		{"rel", unsafe.Sizeof(rel{}), 12},
		{"langAcc", unsafe.Sizeof(langAcc{}), 16},
		{"Association", unsafe.Sizeof(Association{}), 16},
		{"slot", unsafe.Sizeof(slot{}), 24},
	} {
		assert.Equal(t, tc.wantN, tc.got, tc.name)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(tinyStore(f))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &Store{}
		if decode(b, s) != nil {
			return
		}
		exercise(s) // a store that decodes must answer without panicking
	})
}

// TestImportDeterministic: the same release gives the same bytes, so a
// store can be checked by its hash and rebuilt reproducibly.
func TestImportDeterministic(t *testing.T) {
	dir := t.TempDir()
	_, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 300, Seed: 9})
	require.NoError(t, err)
	var stores [][]byte
	for _, name := range []string{"a.db", "b.db"} {
		path := filepath.Join(dir, name)
		require.NoError(t, Import(context.Background(), dir, path))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		stores = append(stores, b)
	}
	assert.True(t, bytes.Equal(stores[0], stores[1]))
}
