package snomed

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// searchIndex is built on the first Search: every word of every active
// description of an active concept, sorted, so that a prefix is a binary
// search.
type searchIndex struct {
	once  sync.Once
	words []string  // sorted, distinct
	posts [][]int32 // per word: description handles, ascending
	descs []handle
}

type handle struct {
	concept int32 // ordinal
	desc    int32 // index in Descs[concept]
	norm    string
}

// normalize lower-cases a term and folds punctuation to spaces.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

func (s *Store) buildSearch() {
	ix := &s.search
	byWord := map[string][]int32{}
	for o, descs := range s.d.Descs {
		if !s.d.Concepts[o].Active {
			continue
		}
		for i, d := range descs {
			if !d.Active {
				continue
			}
			h := int32(len(ix.descs))
			n := normalize(d.Term)
			ix.descs = append(ix.descs, handle{concept: int32(o), desc: int32(i), norm: n})
			for _, w := range strings.Fields(n) {
				if p := byWord[w]; len(p) == 0 || p[len(p)-1] != h {
					byWord[w] = append(p, h)
				}
			}
		}
	}
	ix.words = make([]string, 0, len(byWord))
	for w := range byWord {
		ix.words = append(ix.words, w)
	}
	sort.Strings(ix.words)
	ix.posts = make([][]int32, len(ix.words))
	for i, w := range ix.words {
		ix.posts[i] = byWord[w]
	}
}

// SearchOptions narrow a search.
type SearchOptions struct {
	Limit  int    // default 10
	Locale string // for the preferred-term boost (default en-GB)
	// Roots keeps concepts that are, or descend from, one of these
	// (e.g. 404684003 for clinical findings).
	Roots []ID
	// Refset keeps members of this reference set.
	Refset ID
}

// Hit is a search result: the concept and the description that matched.
type Hit struct {
	Concept     ID
	Description ID
	Term        string
	Score       float64
}

// Search finds active concepts by the words of their active descriptions:
// every query word must begin a word of the term. Results are ranked exact
// term, then term prefix, then word matches; preferred terms first,
// shorter terms first; one hit per concept.
func (s *Store) Search(query string, opts SearchOptions) []Hit {
	s.search.once.Do(s.buildSearch)
	ix := &s.search
	q := normalize(query)
	words := strings.Fields(q)
	if len(words) == 0 {
		return nil
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = 10
	}
	// Candidates: descriptions with a word beginning with each query word.
	var cand []int32
	for wi, w := range words {
		lo := sort.SearchStrings(ix.words, w)
		var posts []int32
		for i := lo; i < len(ix.words) && strings.HasPrefix(ix.words[i], w); i++ {
			posts = append(posts, ix.posts[i]...)
		}
		slices.Sort(posts)
		posts = slices.Compact(posts)
		if wi == 0 {
			cand = posts
		} else {
			cand = intersect(cand, posts)
		}
		if len(cand) == 0 {
			return nil
		}
	}
	refsets := languageRefsets(opts.Locale)
	best := map[int32]Hit{}
	for _, h := range cand {
		d := ix.descs[h]
		if !allPrefixes(d.norm, words) {
			continue
		}
		c := s.d.IDs[d.concept]
		if opts.Refset != 0 && !s.IsMember(opts.Refset, c) {
			continue
		}
		if len(opts.Roots) > 0 {
			in := false
			for _, r := range opts.Roots {
				if s.IsA(c, r) {
					in = true
					break
				}
			}
			if !in {
				continue
			}
		}
		desc := s.d.Descs[d.concept][d.desc]
		score := 1.0
		switch {
		case d.norm == q:
			score = 3
		case strings.HasPrefix(d.norm, q):
			score = 2
		}
		for _, r := range refsets {
			if desc.Acc[r] == preferredAcc && desc.Type == synonymType {
				score += 0.5
				break
			}
		}
		score -= float64(len(d.norm)) / 1000
		if cur, ok := best[d.concept]; !ok || score > cur.Score {
			best[d.concept] = Hit{Concept: c, Description: desc.ID, Term: desc.Term, Score: score}
		}
	}
	out := make([]Hit, 0, len(best))
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

func intersect(a, b []int32) []int32 {
	var out []int32
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// allPrefixes reports whether every query word begins some word of term.
func allPrefixes(term string, words []string) bool {
	tw := strings.Fields(term)
	for _, w := range words {
		ok := false
		for _, t := range tw {
			if strings.HasPrefix(t, w) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
