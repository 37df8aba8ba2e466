package snomed

import (
	"bytes"
	"context"
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
	require.NoError(t, decode(bytes.NewReader(b), &d))
	for cut := 0; cut < len(b); cut += 1 + len(b)/300 {
		var d data
		assert.Error(t, decode(bytes.NewReader(b[:cut]), &d), "cut at %d", cut)
	}
	path := filepath.Join(t.TempDir(), "s.db")
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o644))
	_, err := Open(path)
	assert.ErrorIs(t, err, ErrFormat)
	for i := 0; i < len(b); i += 1 + len(b)/500 {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		var d data
		_ = decode(bytes.NewReader(c), &d) // must not panic
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(tinyStore(f))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d data
		if decode(bytes.NewReader(b), &d) != nil {
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
