// Package snomed measures the SNOMED CT store on synthetic releases from
// snomedtest (no Go peer exists; published figures for Hermes and
// Snowstorm are in the issue). NHSKIT_SNOMED_CONCEPTS sets the size
// (default 5,000; International-size is about 370,000).
package snomed

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func size() int {
	if v, err := strconv.Atoi(os.Getenv("NHSKIT_SNOMED_CONCEPTS")); err == nil && v > 1 {
		return v
	}
	return 5_000
}

func setup(b *testing.B) (*snomed.Store, *snomedtest.Release, string) {
	b.Helper()
	dir := b.TempDir()
	rel, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: size(), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	if err := snomed.Import(context.Background(), dir, path); err != nil {
		b.Fatal(err)
	}
	s, err := snomed.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	return s, rel, dir
}

func BenchmarkImport(b *testing.B) {
	dir := b.TempDir()
	if _, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: size(), Seed: 1}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := snomed.Import(context.Background(), dir, filepath.Join(dir, "store.db")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	_, _, dir := setup(b)
	for b.Loop() {
		if _, err := snomed.Open(filepath.Join(dir, "store.db")); err != nil {
			b.Fatal(err)
		}
	}
}

var sink bool

func BenchmarkIsA(b *testing.B) {
	s, rel, _ := setup(b)
	rng := rand.New(rand.NewPCG(1, 2))
	type pair struct{ a, b snomed.ID }
	pairs := make([]pair, 4096)
	for i := range pairs {
		a := snomed.ID(rel.Concepts[rng.IntN(len(rel.Concepts))])
		var p snomed.ID
		if anc := s.Ancestors(a); i%2 == 0 && len(anc) > 0 {
			p = anc[rng.IntN(len(anc))] // half of the pairs are true
		} else {
			p = snomed.ID(rel.Concepts[rng.IntN(len(rel.Concepts))])
		}
		pairs[i] = pair{a, p}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pairs[i&4095]
		sink = s.IsA(p.a, p.b)
		i++
	}
}

func BenchmarkPreferredTerm(b *testing.B) {
	s, rel, _ := setup(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, sink = s.PreferredTerm(snomed.ID(rel.Concepts[i%len(rel.Concepts)]), "en-GB")
		i++
	}
}
