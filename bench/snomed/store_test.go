package snomed

// Benchmarks over a store built beforehand (a real licensed release, or a
// UK-Monolith-size synthetic one), skipped unless NHSKIT_SNOMED_STORE
// names it:
//
//	go run ./examples/snomed generate /tmp/rel 1150000
//	go run ./examples/snomed import /tmp/rel /tmp/rel.db
//	cd bench && NHSKIT_SNOMED_STORE=/tmp/rel.db go test -run '^$' -bench Store ./snomed/

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/nhskit/nhskit/snomed"
)

var storePath = os.Getenv("NHSKIT_SNOMED_STORE")

var st *snomed.Store

func open(b *testing.B) *snomed.Store {
	if storePath == "" {
		b.Skip("NHSKIT_SNOMED_STORE is not set")
	}
	if st == nil {
		var err error
		if st, err = snomed.Open(storePath); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

func BenchmarkStoreOpen(b *testing.B) {
	open(b)
	for b.Loop() {
		s, err := snomed.Open(storePath)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkStoreOpenIsA1000 is Open and then 1,000 random IsA: a mapped
// store defers its page faults to first use, so Open alone flatters it.
func BenchmarkStoreOpenIsA1000(b *testing.B) {
	ids := open(b).ActiveConcepts()
	rng := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		s, err := snomed.Open(storePath)
		if err != nil {
			b.Fatal(err)
		}
		for range 1000 {
			s.IsA(ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))])
		}
		s.Close()
	}
}

func BenchmarkStoreIsA(b *testing.B) {
	s := open(b)
	ids := s.ActiveConcepts()
	rng := rand.New(rand.NewPCG(1, 2))
	type pair struct{ a, b snomed.ID }
	pairs := make([]pair, 4096)
	for i := range pairs {
		a := ids[rng.IntN(len(ids))]
		p := ids[rng.IntN(len(ids))]
		if anc := s.Ancestors(a); i%2 == 0 && len(anc) > 0 {
			p = anc[rng.IntN(len(anc))]
		}
		pairs[i] = pair{a, p}
	}
	i := 0
	for b.Loop() {
		p := pairs[i&4095]
		s.IsA(p.a, p.b)
		i++
	}
}

func BenchmarkStoreConceptRandom(b *testing.B) {
	s := open(b)
	ids := s.Concepts()
	i := 0
	for b.Loop() {
		s.Concept(ids[(i*7919)%len(ids)])
		i++
	}
}

func BenchmarkStorePreferredTermRandom(b *testing.B) {
	s := open(b)
	ids := s.ActiveConcepts()
	i := 0
	for b.Loop() {
		s.PreferredTerm(ids[(i*7919)%len(ids)], "en-GB")
		i++
	}
}

func BenchmarkStoreDescendantCountRoot(b *testing.B) {
	s := open(b)
	for b.Loop() {
		s.DescendantCount(snomed.RootConcept)
	}
}

func BenchmarkStoreDescendantsRoot(b *testing.B) {
	s := open(b)
	for b.Loop() {
		s.Descendants(snomed.RootConcept)
	}
}

func BenchmarkStoreSearch10(b *testing.B) {
	s := open(b)
	var qs []string
	for _, c := range s.ActiveConcepts()[1:300] {
		t, _ := s.PreferredTerm(c, "en-GB")
		w := strings.Fields(t)
		if len(w) >= 2 && len(w[0]) >= 3 && len(w[1]) >= 3 {
			qs = append(qs, w[0][:3]+" "+w[1][:3])
		}
	}
	s.Search("warm", snomed.SearchOptions{})
	i := 0
	for b.Loop() {
		s.Search(qs[i%len(qs)], snomed.SearchOptions{Limit: 10})
		i++
	}
}
