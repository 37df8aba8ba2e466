package snomed_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

// answers is what one store says about a sample of its concepts, read by
// one goroutine and then by many at once (under -race).
func answers(s *snomed.Store, sample []uint64) string {
	var b strings.Builder
	for i, c := range sample {
		id := snomed.ID(c)
		term, _ := s.PreferredTerm(id, "en-GB")
		us, _ := s.PreferredTerm(id, "en-US")
		fmt.Fprintln(&b, c, s.IsA(id, snomedtest.Root), s.IsA(snomedtest.Root, id), term, us,
			s.DescendantCount(id), len(s.Descendants(id)), s.Parents(id), s.Maps(id, snomed.ICD10Refset), s.Resolve(id))
		if i%5 == 0 && len(strings.Fields(term)) > 1 {
			// The search index is built on first use: racing builds
			// must give every goroutine the same index.
			fmt.Fprintln(&b, s.Search(strings.Fields(term)[0], snomed.SearchOptions{Limit: 5}))
		}
	}
	return b.String()
}

// Two stores (two releases) open at once, each read by eight goroutines.
func TestConcurrentReadersOfTwoStores(t *testing.T) {
	type store struct {
		s      *snomed.Store
		sample []uint64
		want   string
	}
	var stores []*store
	for _, seed := range []uint64{21, 22} {
		s, rel := build(t, snomedtest.Config{Concepts: 800, Seed: seed})
		stores = append(stores, &store{s: s, sample: rel.Concepts[:200]})
	}
	// The answers differ between the releases, so a mix-up would show.
	for _, st := range stores {
		st.want = answers(st.s, st.sample)
	}
	assert.NotEqual(t, stores[0].want, stores[1].want)
	// Fresh stores, so that the search index is built concurrently.
	for i, seed := range []uint64{21, 22} {
		stores[i].s, _ = build(t, snomedtest.Config{Concepts: 800, Seed: seed})
	}
	var wg sync.WaitGroup
	for g := range 16 {
		st := stores[g%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.Equal(t, st.want, answers(st.s, st.sample))
		}()
	}
	wg.Wait()
}
