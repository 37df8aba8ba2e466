package snomed_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/snomed"
	"github.com/nhskit/nhskit/snomed/snomedtest"
)

func TestAttributesAgainstTheRelease(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 500, Seed: 5})
	reverse := map[uint64][]snomed.Relationship{}
	checked := 0
	for _, c := range rel.Concepts {
		var want []snomed.Relationship
		for _, a := range rel.Attributes[c] {
			r := snomed.Relationship{Source: snomed.ID(c), Type: snomed.ID(a.Type), Destination: snomed.ID(a.Dest), Group: a.Group}
			want = append(want, r)
			reverse[a.Dest] = append(reverse[a.Dest], r)
		}
		sort.Slice(want, func(i, j int) bool {
			a, b := want[i], want[j]
			if a.Group != b.Group {
				return a.Group < b.Group
			}
			if a.Type != b.Type {
				return a.Type < b.Type
			}
			return a.Destination < b.Destination
		})
		got := s.Relationships(snomed.ID(c))
		if len(want) == 0 {
			assert.Empty(t, got)
		} else {
			assert.Equal(t, want, got, "concept %d", c)
			checked++
		}
		var cv []snomed.ConcreteValue
		for _, a := range rel.Concrete[c] {
			cv = append(cv, snomed.ConcreteValue{Source: snomed.ID(c), Type: snomed.ID(a.Type), Group: a.Group, Value: a.Value})
		}
		if len(cv) > 0 {
			assert.Equal(t, cv, s.ConcreteValues(snomed.ID(c)))
		}
	}
	assert.Greater(t, checked, 200)
	for dest, want := range reverse {
		got := s.RelationshipsTo(snomed.ID(dest))
		assert.ElementsMatch(t, want, got, "to %d", dest)
	}
}

func TestRefsetsHistoryAndMaps(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 600, Seed: 9})
	members := make([]snomed.ID, len(rel.Members))
	for i, m := range rel.Members {
		members[i] = snomed.ID(m)
	}
	assert.Equal(t, members, s.RefsetMembers(snomed.ID(rel.SimpleRefset)))
	assert.True(t, s.IsMember(snomed.ID(rel.SimpleRefset), members[0]))
	assert.Contains(t, s.Refsets(), snomed.ID(rel.SimpleRefset))
	assert.Contains(t, s.Refsets(), snomed.ICD10Refset)
	assert.Contains(t, s.Refsets(), snomed.ID(snomedtest.GBLanguageRefset))
	// The UK package's subsets.
	require.Len(t, rel.UKSubsets, 12)
	for refset, ms := range rel.UKSubsets {
		want := make([]snomed.ID, len(ms))
		for i, m := range ms {
			want[i] = snomed.ID(m)
		}
		require.NotEmpty(t, want)
		assert.Equal(t, want, s.RefsetMembers(snomed.ID(refset)), "subset %d", refset)
	}

	// Resolve, computed independently by following the release's rows.
	var resolve func(c uint64, seen map[uint64]bool) []snomed.ID
	resolve = func(c uint64, seen map[uint64]bool) []snomed.ID {
		if rel.Active[c] {
			return []snomed.ID{snomed.ID(c)}
		}
		var out []snomed.ID
		for _, a := range rel.Associations[c] {
			if !seen[a.Target] {
				seen[a.Target] = true
				out = append(out, resolve(a.Target, seen)...)
			}
		}
		return out
	}
	chains := 0
	for c, assocs := range rel.Associations {
		var want []snomed.Association
		for _, a := range assocs {
			want = append(want, snomed.Association{Refset: snomed.ID(a.Refset), Target: snomed.ID(a.Target)})
		}
		assert.Equal(t, want, s.Associations(snomed.ID(c)))
		exp := resolve(c, map[uint64]bool{c: true})
		slices.Sort(exp)
		exp = slices.Compact(exp)
		assert.Equal(t, exp, s.Resolve(snomed.ID(c)), "resolve %d", c)
		if assocs[0].Refset == snomedtest.SameAs {
			chains++
		}
		reason, ok := s.InactivationReason(snomed.ID(c))
		assert.True(t, ok)
		assert.Equal(t, snomed.ID(rel.Inactivation[c]), reason)
	}
	assert.Positive(t, chains, "the release has SAME AS chains")
	active := rel.Concepts[1]
	for !rel.Active[active] {
		active++
	}
	assert.Equal(t, []snomed.ID{snomed.ID(active)}, s.Resolve(snomed.ID(active)))

	// Maps, and map into: the nearest mapped ancestors, computed by a
	// breadth-first walk over the release's parents.
	mapped, unmapped := 0, 0
	for _, c := range rel.Concepts {
		rows := s.Maps(snomed.ID(c), snomed.ICD10Refset)
		if want := rel.ICD10[c]; len(want) > 0 {
			require.Len(t, rows, len(want))
			for i, w := range want {
				assert.Equal(t, w.Target, rows[i].Target)
				assert.Equal(t, w.Group, rows[i].Group)
				assert.Equal(t, w.Advice, rows[i].Advice)
			}
			mapped++
			continue
		}
		if !rel.Active[c] || unmapped > 50 {
			continue
		}
		unmapped++
		level, seen := []uint64{c}, map[uint64]bool{c: true}
		var want []snomed.ID
		for len(level) > 0 && want == nil {
			var next []uint64
			for _, l := range level {
				for _, p := range rel.Parents[l] {
					if !seen[p] {
						seen[p] = true
						next = append(next, p)
						if len(rel.ICD10[p]) > 0 {
							want = append(want, snomed.ID(p))
						}
					}
				}
			}
			level = next
		}
		got, ok := s.MapInto(snomed.ID(c), snomed.ICD10Refset)
		var gotIDs []snomed.ID
		for id := range got {
			gotIDs = append(gotIDs, id)
		}
		slices.Sort(gotIDs)
		slices.Sort(want)
		assert.Equal(t, len(want) > 0, ok)
		assert.Equal(t, want, gotIDs, "map into from %d", c)
	}
	assert.Greater(t, mapped, 100)
	assert.Equal(t, []snomed.ID{snomed.RootConcept}, s.MapIntoSet(snomed.ID(rel.Concepts[5]), []snomed.ID{snomed.RootConcept}))
}

func TestDescriptionsAndConceptLists(t *testing.T) {
	s, rel := build(t, snomedtest.Tiny)
	c := snomed.ID(rel.Concepts[7])
	ds := s.Descriptions(c)
	require.GreaterOrEqual(t, len(ds), 3)
	for _, d := range ds {
		assert.Equal(t, "en", d.LanguageCode)
		assert.Equal(t, c, d.Concept)
		assert.NotZero(t, d.CaseSignificance)
	}
	var active []snomed.ID
	for _, id := range rel.Concepts {
		if rel.Active[id] {
			active = append(active, snomed.ID(id))
		}
	}
	slices.Sort(active)
	assert.Equal(t, active, s.ActiveConcepts())
	assert.Len(t, s.Concepts(), len(rel.Concepts))
	n := s.DescendantCount(snomed.RootConcept)
	assert.Equal(t, len(s.Descendants(snomed.RootConcept)), n)
	assert.Equal(t, len(active)-1, n, "every active concept descends from the root")
	seen := 0
	s.EachDescendant(snomed.RootConcept, func(snomed.ID) bool { seen++; return seen < 5 })
	assert.Equal(t, 5, seen)
}

func TestSearch(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 800, Seed: 4})
	var target uint64
	for _, c := range rel.Concepts[1:] {
		if rel.Active[c] {
			target = c
			break
		}
	}
	term := rel.Terms[target]
	hits := s.Search(term, snomed.SearchOptions{})
	require.NotEmpty(t, hits)
	assert.Equal(t, snomed.ID(target), hits[0].Concept, "the exact term ranks first")
	assert.Equal(t, term, hits[0].Term)

	words := strings.Fields(term)
	prefix := words[0][:3] + " " + words[1][:2]
	hits = s.Search(prefix, snomed.SearchOptions{Limit: 50})
	require.NotEmpty(t, hits)
	seen := map[snomed.ID]bool{}
	for i, h := range hits {
		assert.False(t, seen[h.Concept], "one hit per concept")
		seen[h.Concept] = true
		if i > 0 {
			assert.LessOrEqual(t, h.Score, hits[i-1].Score)
		}
		low := strings.ToLower(h.Term)
		for _, w := range strings.Fields(strings.ToLower(prefix)) {
			assert.True(t, strings.Contains(" "+low, " "+w), "%q has a word starting %q", h.Term, w)
		}
		assert.True(t, rel.Active[uint64(h.Concept)])
	}
	assert.LessOrEqual(t, len(hits), 50)

	// Narrowed to a subtree and to a reference set.
	root := snomed.ID(rel.Parents[target][0])
	for _, h := range s.Search(words[0], snomed.SearchOptions{Roots: []snomed.ID{root}, Limit: 100}) {
		assert.True(t, s.IsA(h.Concept, root))
	}
	for _, h := range s.Search(words[0], snomed.SearchOptions{Refset: snomed.ID(rel.SimpleRefset), Limit: 100}) {
		assert.True(t, s.IsMember(snomed.ID(rel.SimpleRefset), h.Concept))
	}
	assert.Empty(t, s.Search("zzzqqq", snomed.SearchOptions{}))
	assert.Empty(t, s.Search("  ", snomed.SearchOptions{}))
}

// TestSearchAgainstBruteForce ranks every active description of every
// active concept by the documented rule and checks that the best-first walk
// returns the same hits.
func TestSearchAgainstBruteForce(t *testing.T) {
	s, rel := build(t, snomedtest.Config{Concepts: 1500, Seed: 8})
	gbRefsets := []snomed.ID{999001261000000100, 999000691000001104, 999000671000001103, 999000681000001101, 999001251000000103, 900000000000508004}
	usRefsets := []snomed.ID{900000000000509007}
	norm := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return ' '
		}, s)
		return strings.Join(strings.Fields(s), " ")
	}
	brute := func(query string, limit int, roots []snomed.ID, refset snomed.ID, langs []snomed.ID) []snomed.Hit {
		q := norm(query)
		words := strings.Fields(q)
		best := map[snomed.ID]snomed.Hit{}
		for _, c := range s.ActiveConcepts() {
			if refset != 0 && !slices.Contains(rel.Members, uint64(c)) {
				continue
			}
			if len(roots) > 0 && !s.IsA(c, roots[0]) {
				continue
			}
			for _, d := range s.Descriptions(c) {
				// Active descriptions of the locale, fully specified names
				// without their semantic tag.
				if !d.Active || !slices.ContainsFunc(langs, func(r snomed.ID) bool { _, in := d.Acceptability[r]; return in }) {
					continue
				}
				term := d.Term
				if d.Type == snomed.ID(snomedtest.FSN) {
					if i := strings.LastIndex(term, " ("); i > 0 && strings.HasSuffix(term, ")") {
						term = term[:i]
					}
				}
				norm := norm(term)
				tw := strings.Fields(norm)
				all := true
				for _, w := range words {
					if !slices.ContainsFunc(tw, func(x string) bool { return strings.HasPrefix(x, w) }) {
						all = false
					}
				}
				if !all {
					continue
				}
				score := 1.0
				if norm == q {
					score = 3
				} else if strings.HasPrefix(norm, q) {
					score = 2
				}
				if d.Type == snomed.ID(snomedtest.Synonym) && slices.ContainsFunc(langs, func(r snomed.ID) bool { return d.Acceptability[r] == snomed.ID(snomedtest.Preferred) }) {
					score += 0.5
				}
				score -= float64(len(norm)) / 1000
				if cur, ok := best[c]; !ok || score > cur.Score || score == cur.Score && d.ID < cur.Description {
					best[c] = snomed.Hit{Concept: c, Description: d.ID, Term: d.Term, Score: score}
				}
			}
		}
		var out []snomed.Hit
		for _, h := range best {
			out = append(out, h)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Score != out[j].Score {
				return out[i].Score > out[j].Score
			}
			return out[i].Concept < out[j].Concept
		})
		if len(out) > limit {
			out = out[:limit]
		}
		return out
	}
	var queries []string
	for i, c := range rel.Concepts[1:] {
		w := strings.Fields(rel.Terms[c])
		if len(w) < 3 {
			continue // a real concept's name, such as "Clinical finding"
		}
		switch i % 7 {
		case 5:
			queries = append(queries, w[2][:1]) // a digit: a prefix of hundreds of index words
		case 6:
			queries = append(queries, w[2][:1]+" "+w[0][:3])
		case 0:
			queries = append(queries, rel.Terms[c]) // exact
		case 1:
			queries = append(queries, w[0][:2])
		case 2:
			queries = append(queries, w[0][:3]+" "+w[1][:2])
		case 3:
			queries = append(queries, w[1]+" "+w[2]) // words out of term order
		case 4:
			queries = append(queries, rel.Terms[c]+" n") // the NOS synonym's prefix
		}
		if len(queries) == 150 {
			break
		}
	}
	root := snomed.ID(rel.Parents[rel.Concepts[10]][0])
	for i, q := range queries {
		limit := 1 + i%25
		for _, tc := range []struct {
			opts  snomed.SearchOptions
			langs []snomed.ID
		}{
			{snomed.SearchOptions{Limit: limit}, gbRefsets},
			{snomed.SearchOptions{Limit: limit, Locale: "en-US"}, usRefsets},
			{snomed.SearchOptions{Limit: limit, Roots: []snomed.ID{root}}, gbRefsets},
			{snomed.SearchOptions{Limit: limit, Refset: snomed.ID(rel.SimpleRefset)}, gbRefsets},
		} {
			want := brute(q, limit, tc.opts.Roots, tc.opts.Refset, tc.langs)
			got := s.Search(q, tc.opts)
			if len(want) == 0 {
				assert.Empty(t, got, "%q %+v", q, tc.opts)
				continue
			}
			require.Len(t, got, len(want), "%q %+v", q, tc.opts)
			for k := range want {
				assert.Equal(t, want[k].Concept, got[k].Concept, "%q %+v hit %d", q, tc.opts, k)
				assert.InDelta(t, want[k].Score, got[k].Score, 1e-9)
				assert.Equal(t, want[k].Term, got[k].Term)
			}
		}
	}
}
