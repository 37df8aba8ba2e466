// Package ecl measures snomed/ecl on a synthetic snomedtest release.
//
// No Go ECL engine exists to run beside it, so the peer in the same run is
// a naive evaluator: the set comprehension the specification describes
// (every active concept tested with the store's own IsA, Relationships,
// RefsetMembers and Descriptions). Published figures for Snowstorm and
// Hermes are in the issue. NHSKIT_ECL_CONCEPTS sets the size (default
// 5,000; the UK Monolith has about 370,000 active and inactive concepts).
//
//	cd bench && go test -run '^$' -bench . -benchtime 20x ./ecl
package ecl

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
	if v, err := strconv.Atoi(os.Getenv("NHSKIT_ECL_CONCEPTS")); err == nil && v > 1 {
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

func setup(b *testing.B) (*snomed.Store, *snomedtest.Release) {
	b.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "nhskit-ecl-bench-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		if shared.rel, shared.err = snomedtest.Generate(dir, snomedtest.Config{Concepts: size(), Seed: 3}); shared.err != nil {
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
	return shared.s, shared.rel
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// query is one benchmark expression with the naive answer's predicate.
type query struct {
	class string
	expr  string
	naive func(s *snomed.Store, c snomed.ID) bool
}

// mix builds 100 expressions in the proportions value sets use: self 20,
// descendants 30, refinements 20, member-of 10, compound 10, filters 10.
func mix(s *snomed.Store, rel *snomedtest.Release) []query {
	rng := rand.New(rand.NewPCG(7, 7))
	pick := func() uint64 {
		for {
			c := rel.Concepts[1+rng.IntN(len(rel.Concepts)-1)]
			if rel.Active[c] && len(rel.Attributes[c]) > 0 {
				return c
			}
		}
	}
	refset := snomed.ID(rel.SimpleRefset)
	members := s.RefsetMembers(refset)
	const site = snomed.ID(snomedtest.FindingSite)
	var qs []query
	for i := range 100 {
		x, y := snomed.ID(pick()), snomed.ID(pick())
		X, Y := strconv.FormatUint(uint64(x), 10), strconv.FormatUint(uint64(y), 10)
		switch {
		case i < 20:
			qs = append(qs, query{"self", X, func(_ *snomed.Store, c snomed.ID) bool { return c == x }})
		case i < 50:
			qs = append(qs, query{"descendants", "<< " + X, func(s *snomed.Store, c snomed.ID) bool { return s.IsA(c, x) }})
		case i < 70:
			// The value of a random attribute of y, so the refinement matches.
			v := snomed.ID(rel.Attributes[uint64(y)][0].Dest)
			typ := snomed.ID(rel.Attributes[uint64(y)][0].Type)
			V, T := strconv.FormatUint(uint64(v), 10), strconv.FormatUint(uint64(typ), 10)
			root := snomed.ID(snomedtest.Root)
			qs = append(qs, query{"refinement", "<< " + strconv.FormatUint(uint64(root), 10) + " : " + T + " = << " + V, func(s *snomed.Store, c snomed.ID) bool {
				for _, r := range s.Relationships(c) {
					if r.Type == typ && s.IsA(r.Destination, v) {
						return true
					}
				}
				return false
			}})
		case i < 80:
			qs = append(qs, query{"member-of", "<< ^ " + strconv.FormatUint(uint64(refset), 10), func(s *snomed.Store, c snomed.ID) bool {
				if _, ok := slices.BinarySearch(members, c); ok {
					return true
				}
				for _, a := range s.Ancestors(c) {
					if _, ok := slices.BinarySearch(members, a); ok {
						return true
					}
				}
				return false
			}})
		case i < 90:
			qs = append(qs, query{"compound", "(<< " + X + " OR << " + Y + ") MINUS (< " + X + " : " + strconv.FormatUint(uint64(site), 10) + " = *)", func(s *snomed.Store, c snomed.ID) bool {
				if !(s.IsA(c, x) || s.IsA(c, y)) {
					return false
				}
				if c == x || !s.IsA(c, x) {
					return true
				}
				for _, r := range s.Relationships(c) {
					if r.Type == site {
						return false
					}
				}
				return true
			}})
		default:
			word := strings.ToLower(strings.Fields(rel.Terms[uint64(x)])[0])
			qs = append(qs, query{"filter", "<< " + Y + " {{ D term = \"" + word + "\", type = syn }}", func(s *snomed.Store, c snomed.ID) bool {
				if !s.IsA(c, y) {
					return false
				}
				for _, d := range s.Descriptions(c) {
					if d.Active && d.Type == 900000000000013009 && hasWordPrefix(d.Term, word) {
						return true
					}
				}
				return false
			}})
		}
	}
	return qs
}

func hasWordPrefix(term, w string) bool {
	for _, f := range strings.FieldsFunc(strings.ToLower(term), func(r rune) bool { return r == ' ' || r == '-' || r == ',' || r == '(' || r == ')' }) {
		if strings.HasPrefix(f, w) {
			return true
		}
	}
	return false
}

func naive(s *snomed.Store, all []snomed.ID, q query) []snomed.ID {
	var out []snomed.ID
	for _, c := range all {
		if q.naive(s, c) {
			out = append(out, c)
		}
	}
	return out
}

// TestMixAgrees checks that the naive peer and the engine agree on the
// benchmark mix, so the comparison is like for like.
func TestMixAgrees(t *testing.T) {
	dir := t.TempDir()
	rel, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 1500, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	if err := snomed.Import(context.Background(), dir, path); err != nil {
		t.Fatal(err)
	}
	s, err := snomed.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	all := s.ActiveConcepts()
	nonEmpty := 0
	for _, q := range mix(s, rel) {
		got, err := ecl.Evaluate(s, q.expr)
		if err != nil {
			t.Fatalf("%s: %v", q.expr, err)
		}
		want := naive(s, all, q)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: engine %d ids, naive %d", q.expr, len(got), len(want))
		}
		if len(got) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 80 {
		t.Fatalf("only %d of 100 mix expressions match anything", nonEmpty)
	}
}

// BenchmarkMix runs the whole mix per iteration with each engine and
// reports the median and 95th percentile latency of one expression.
func BenchmarkMix(b *testing.B) {
	s, rel := setup(b)
	qs := mix(s, rel)
	all := s.ActiveConcepts()
	for _, engine := range []string{"nhskit", "naive"} {
		b.Run(engine, func(b *testing.B) {
			parsed := make([]ecl.Expr, len(qs))
			for i, q := range qs {
				var err error
				if parsed[i], err = ecl.Parse(q.expr); err != nil {
					b.Fatal(err)
				}
			}
			var lat []time.Duration
			for b.Loop() {
				for i, q := range qs {
					start := time.Now()
					if engine == "nhskit" {
						if _, err := ecl.EvaluateExpr(s, parsed[i]); err != nil {
							b.Fatal(err)
						}
					} else {
						naive(s, all, q)
					}
					lat = append(lat, time.Since(start))
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*95/100].Nanoseconds())/1e3, "p95-µs")
		})
	}
}

// BenchmarkClass measures each class of the mix alone (µs per expression).
func BenchmarkClass(b *testing.B) {
	s, rel := setup(b)
	qs := mix(s, rel)
	all := s.ActiveConcepts()
	for _, class := range []string{"self", "descendants", "refinement", "member-of", "compound", "filter"} {
		var sel []query
		for _, q := range qs {
			if q.class == class {
				sel = append(sel, q)
			}
		}
		b.Run(class+"/nhskit", func(b *testing.B) {
			for b.Loop() {
				for _, q := range sel {
					if _, err := ecl.Evaluate(s, q.expr); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(sel))/1e3, "µs/expr")
		})
		b.Run(class+"/naive", func(b *testing.B) {
			for b.Loop() {
				for _, q := range sel {
					naive(s, all, q)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(sel))/1e3, "µs/expr")
		})
	}
}

// BenchmarkRoot lists every active concept: << root.
func BenchmarkRoot(b *testing.B) {
	s, _ := setup(b)
	expr := "<< " + strconv.FormatUint(snomedtest.Root, 10)
	for b.Loop() {
		ids, err := ecl.Evaluate(s, expr)
		if err != nil || len(ids) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkBottom finds the leaves of the whole hierarchy: !!< *.
func BenchmarkBottom(b *testing.B) {
	s, _ := setup(b)
	for b.Loop() {
		ids, err := ecl.Evaluate(s, "!!< *")
		if err != nil || len(ids) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse parses the mix.
func BenchmarkParse(b *testing.B) {
	s, rel := setup(b)
	qs := mix(s, rel)
	for b.Loop() {
		for _, q := range qs {
			if _, err := ecl.Parse(q.expr); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(qs))/1e3, "µs/expr")
}
