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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/ecl"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func size() int {
	if v, err := strconv.Atoi(os.Getenv("NHSKIT_SNOMED_CONCEPTS")); err == nil && v > 1 {
		return v
	}
	return 5_000
}

var shared struct {
	once sync.Once
	s    *snomed.Store
	rel  *snomedtest.Release
	dir  string
	err  error
}

// setup generates and imports one release per process, shared by the
// benchmarks (at International size that takes a while).
func setup(b *testing.B) (*snomed.Store, *snomedtest.Release, string) {
	b.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "nhskit-snomed-bench-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.rel, shared.err = snomedtest.Generate(dir, snomedtest.Config{Concepts: size(), Seed: 1})
		if shared.err != nil {
			return
		}
		path := filepath.Join(dir, "store.db")
		if shared.err = snomed.Import(context.Background(), dir, path); shared.err != nil {
			return
		}
		shared.s, shared.err = snomed.Open(path)
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return shared.s, shared.rel, shared.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
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

func BenchmarkConcept(b *testing.B) {
	s, rel, _ := setup(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, sink = s.Concept(snomed.ID(rel.Concepts[i%len(rel.Concepts)]))
		i++
	}
}

func BenchmarkDescendantCountRoot(b *testing.B) {
	s, _, _ := setup(b)
	for b.Loop() {
		if s.DescendantCount(snomed.RootConcept) == 0 {
			b.Fatal("no descendants")
		}
	}
}

func BenchmarkDescendantsRoot(b *testing.B) {
	s, _, _ := setup(b)
	for b.Loop() {
		if len(s.Descendants(snomed.RootConcept)) == 0 {
			b.Fatal("no descendants")
		}
	}
}

// BenchmarkSearch10 searches two-word prefixes ("ren pa") for 10 hits.
func BenchmarkSearch10(b *testing.B) {
	s, rel, _ := setup(b)
	var queries []string
	for _, c := range rel.Concepts[1:] {
		w := strings.Fields(rel.Terms[c])
		if len(w) >= 2 && len(w[0]) >= 3 && len(w[1]) >= 3 {
			queries = append(queries, w[0][:3]+" "+w[1][:3])
		}
		if len(queries) == 256 {
			break
		}
	}
	s.Search("warm up", snomed.SearchOptions{}) // builds the index
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Search(queries[i%len(queries)], snomed.SearchOptions{Limit: 10})
		i++
	}
}

// BenchmarkECLMix evaluates a fixed mix of expressions in the proportions
// value sets use (self and descendants most, then refinements, member-of,
// compound and filters) and reports the median and 95th percentile.
func BenchmarkECLMix(b *testing.B) {
	s, rel, _ := setup(b)
	var exprs []string
	rng := rand.New(rand.NewPCG(7, 7))
	pick := func() string {
		for {
			c := rel.Concepts[1+rng.IntN(len(rel.Concepts)-1)]
			if rel.Active[c] && len(rel.Attributes[c]) > 0 {
				return strconv.FormatUint(c, 10)
			}
		}
	}
	refset := strconv.FormatUint(rel.SimpleRefset, 10)
	for i := 0; i < 100; i++ {
		x, y := pick(), pick()
		switch {
		case i < 20:
			exprs = append(exprs, x)
		case i < 50:
			exprs = append(exprs, "<< "+x)
		case i < 70:
			exprs = append(exprs, "<< "+x+" : 363698007 = << "+y)
		case i < 80:
			exprs = append(exprs, "^ "+refset)
		case i < 90:
			exprs = append(exprs, "(<< "+x+" OR << "+y+") MINUS < "+x)
		default:
			word := strings.Fields(rel.Terms[rel.Concepts[1+i]])[0]
			exprs = append(exprs, "<< "+x+" {{ term = \""+word+"\" }}")
		}
	}
	parsed := make([]ecl.Expr, len(exprs))
	for i, e := range exprs {
		var err error
		if parsed[i], err = ecl.Parse(e); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	for b.Loop() {
		for _, e := range parsed {
			start := time.Now()
			if _, err := ecl.EvaluateExpr(s, e); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds()), "p95-µs")
}

func BenchmarkECLRootCount(b *testing.B) {
	s, _, _ := setup(b)
	for b.Loop() {
		ids, err := ecl.Evaluate(s, "<< 138875005")
		if err != nil || len(ids) == 0 {
			b.Fatal(err)
		}
	}
}
