// Package ecl measures snomed/ecl on a synthetic snomedtest release, or on
// a store built beforehand.
//
// No Go ECL engine exists to run beside it, so the peer in the same run is
// a naive evaluator: the set comprehension the specification describes
// (every active concept tested with the store's own IsA, Relationships,
// RefsetMembers and Descriptions). Published figures for Snowstorm and
// Hermes are in the issue. NHSKIT_ECL_CONCEPTS sets the size (default
// 5,000; the UK Monolith has about 370,000 active and inactive concepts).
// NHSKIT_SNOMED_STORE names a prebuilt store to measure instead (a real
// release, or a UK-Monolith-size synthetic one); the naive peer is then
// skipped above 200,000 concepts, where one pass takes seconds.
//
//	cd bench && go test -run '^$' -bench . -benchtime 20x ./ecl
//	go run ./examples/snomed generate /tmp/rel 1150000
//	go run ./examples/snomed import /tmp/rel /tmp/rel.db
//	cd bench && NHSKIT_SNOMED_STORE=/tmp/rel.db go test -run '^$' -bench . -benchtime 20x ./ecl
package ecl

import (
	"cmp"
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

// naiveLimit is the largest store the naive peer is run on.
const naiveLimit = 200_000

var shared struct {
	once sync.Once
	s    *snomed.Store
	dir  string
	path string // the store file
	err  error
}

func setup(b *testing.B) *snomed.Store {
	b.Helper()
	shared.once.Do(func() {
		if path := os.Getenv("NHSKIT_SNOMED_STORE"); path != "" {
			shared.path = path
			shared.s, shared.err = snomed.Open(path)
			return
		}
		dir, err := os.MkdirTemp("", "nhskit-ecl-bench-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		if _, shared.err = snomedtest.Generate(dir, snomedtest.Config{Concepts: size(), Seed: 3}); shared.err != nil {
			return
		}
		path := filepath.Join(dir, "store.db")
		if shared.err = snomed.Import(context.Background(), dir, path); shared.err != nil {
			return
		}
		shared.path = path
		shared.s, shared.err = snomed.Open(path)
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return shared.s
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
// It reads only the store, so it runs as well over a prebuilt one: the
// concepts are random active ones with attributes, the reference set is
// the one of active concepts with most members.
func mix(s *snomed.Store) []query {
	rng := rand.New(rand.NewPCG(7, 7))
	active := s.ActiveConcepts()
	pick := func() snomed.ID {
		for {
			c := active[rng.IntN(len(active))]
			if c != snomed.RootConcept && len(s.Relationships(c)) > 0 {
				return c
			}
		}
	}
	var refsets []snomed.ID // of active concepts: not descriptions or inactivations
	for _, r := range s.Refsets() {
		if c, _ := s.Concept(s.RefsetMembers(r)[0]); c.Active {
			refsets = append(refsets, r)
		}
	}
	refset := slices.MaxFunc(refsets, func(a, b snomed.ID) int {
		return cmp.Or(cmp.Compare(len(s.RefsetMembers(a)), len(s.RefsetMembers(b))), cmp.Compare(b, a))
	})
	members := s.RefsetMembers(refset)
	const site = snomed.ID(snomedtest.FindingSite)
	var qs []query
	for i := range 100 {
		x, y := pick(), pick()
		X, Y := strconv.FormatUint(uint64(x), 10), strconv.FormatUint(uint64(y), 10)
		switch {
		case i < 20:
			qs = append(qs, query{"self", X, func(_ *snomed.Store, c snomed.ID) bool { return c == x }})
		case i < 50:
			qs = append(qs, query{"descendants", "<< " + X, func(s *snomed.Store, c snomed.ID) bool { return s.IsA(c, x) }})
		case i < 70:
			// The value of a random attribute of y, so the refinement matches.
			r := s.Relationships(y)[0]
			v, typ := r.Destination, r.Type
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
			term, _ := s.PreferredTerm(x, "en-GB")
			word := strings.ToLower(strings.Fields(term)[0])
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
// benchmark mix, so the comparison is like for like: on a small generated
// release, and on the prebuilt store NHSKIT_SNOMED_STORE names when it
// is small enough for the naive peer.
func TestMixAgrees(t *testing.T) {
	dir := t.TempDir()
	if _, err := snomedtest.Generate(dir, snomedtest.Config{Concepts: 1500, Seed: 3}); err != nil {
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
	agree(t, s)
	if path := os.Getenv("NHSKIT_SNOMED_STORE"); path != "" {
		s, err := snomed.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() > naiveLimit {
			t.Logf("%s: %d concepts, too many for the naive peer", path, s.Len())
			return
		}
		agree(t, s)
	}
}

func agree(t *testing.T, s *snomed.Store) {
	t.Helper()
	all := s.ActiveConcepts()
	nonEmpty := 0
	for _, q := range mix(s) {
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
// reports the median and 95th percentile latency of one expression, over
// the mix and per class.
func BenchmarkMix(b *testing.B) {
	s := setup(b)
	qs := mix(s)
	all := s.ActiveConcepts()
	for _, engine := range []string{"nhskit", "naive"} {
		b.Run(engine, func(b *testing.B) {
			if engine == "naive" && s.Len() > naiveLimit {
				b.Skip("the naive peer takes seconds per pass at this size")
			}
			parsed := make([]ecl.Expr, len(qs))
			for i, q := range qs {
				var err error
				if parsed[i], err = ecl.Parse(q.expr); err != nil {
					b.Fatal(err)
				}
			}
			var lat []time.Duration
			byClass := map[string][]time.Duration{}
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
					d := time.Since(start)
					lat = append(lat, d)
					byClass[q.class] = append(byClass[q.class], d)
				}
			}
			report(b, "", lat)
			for class, l := range byClass {
				report(b, class+"-", l)
			}
		})
	}
}

// report adds the median and 95th percentile of lat to b's metrics.
func report(b *testing.B, prefix string, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, prefix+"p50-µs")
	b.ReportMetric(float64(lat[len(lat)*95/100].Nanoseconds())/1e3, prefix+"p95-µs")
}

// BenchmarkClass measures each class of the mix alone (µs per expression).
func BenchmarkClass(b *testing.B) {
	s := setup(b)
	qs := mix(s)
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
			if s.Len() > naiveLimit {
				b.Skip("the naive peer takes seconds per pass at this size")
			}
			for b.Loop() {
				for _, q := range sel {
					naive(s, all, q)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(sel))/1e3, "µs/expr")
		})
	}
}

// BenchmarkMemberOfFirst is the member-of class of the mix evaluated
// once per freshly opened store: the first evaluation walks the
// hierarchy, where later ones list the closure the store keeps. Opening
// is not timed (the file stays in the page cache).
func BenchmarkMemberOfFirst(b *testing.B) {
	s := setup(b)
	var expr string
	for _, q := range mix(s) {
		if q.class == "member-of" {
			expr = q.expr
			break
		}
	}
	path := shared.path
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fresh, err := snomed.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := ecl.Evaluate(fresh, expr); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		fresh.Close()
		b.StartTimer()
	}
}

// BenchmarkRoot lists every active concept: << root.
func BenchmarkRoot(b *testing.B) {
	s := setup(b)
	expr := "<< " + strconv.FormatUint(uint64(snomed.RootConcept), 10)
	n := 0
	for b.Loop() {
		ids, err := ecl.Evaluate(s, expr)
		if err != nil || len(ids) == 0 {
			b.Fatal(err)
		}
		n = len(ids)
	}
	b.ReportMetric(float64(n), "ids")
}

// BenchmarkBottom finds the leaves of the whole hierarchy: !!< *.
func BenchmarkBottom(b *testing.B) {
	s := setup(b)
	for b.Loop() {
		ids, err := ecl.Evaluate(s, "!!< *")
		if err != nil || len(ids) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse parses the mix.
func BenchmarkParse(b *testing.B) {
	s := setup(b)
	qs := mix(s)
	for b.Loop() {
		for _, q := range qs {
			if _, err := ecl.Parse(q.expr); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(qs))/1e3, "µs/expr")
}
