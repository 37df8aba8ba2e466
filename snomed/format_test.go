package snomed

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

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

// TestDamagedStore cuts and flips a store file: Open must fail with
// ErrFormat (or, for a flip that still decodes, succeed), never panic.
func TestDamagedStore(t *testing.T) {
	b := tinyStore(t)
	var d data
	require.NoError(t, decode(string(b), &d))
	for cut := 0; cut < len(b); cut += 1 + len(b)/300 {
		var d data
		assert.Error(t, decode(string(b[:cut]), &d), "cut at %d", cut)
	}
	path := filepath.Join(t.TempDir(), "s.db")
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o644))
	_, err := Open(path)
	assert.ErrorIs(t, err, ErrFormat)
	for i := 0; i < len(b); i += 1 + len(b)/500 {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		var d data
		_ = decode(string(c), &d) // must not panic
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(tinyStore(f))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d data
		if decode(string(b), &d) != nil {
			return
		}
		// A store that decodes must open and answer without panicking.
		s := &Store{d: d}
		s.init()
		for _, id := range s.Concepts() {
			s.IsA(id, RootConcept)
			s.Descendants(id)
			s.Relationships(id)
			s.RelationshipsTo(id)
			s.PreferredTerm(id, "en-GB")
		}
	})
}

func TestVarints(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, -64, 300, -300, 1 << 40, -(1 << 40), 1<<63 - 1, -1 << 63} {
		buf := binary.AppendVarint(nil, v)
		buf = binary.AppendUvarint(buf, uint64(v))
		d := &decoder{b: string(buf)}
		assert.Equal(t, v, d.int())
		assert.Equal(t, uint64(v), d.uint())
		assert.NoError(t, d.err)
		assert.Equal(t, len(buf), d.off)
	}
	d := &decoder{b: "\xff\xff"}
	d.uint()
	assert.Error(t, d.err, "a truncated varint")
}
