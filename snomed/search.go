package snomed

import (
	"container/heap"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// searchIndex is built on the first Search. Every active description of an
// active concept gets a handle; handles are numbered in rank order
// (en-GB preferred synonyms first, then shorter terms, then concept id), so
// walking a posting list in handle order visits candidates best first and a
// search can stop as soon as it has enough hits.
type searchIndex struct {
	once   sync.Once
	words  []string  // sorted, distinct
	posts  [][]int32 // per word: handles of terms with the word, ascending
	first  [][]int32 // per word: handles of terms that begin with the word
	byNorm []int32   // handles sorted by normalized term (exact matches)
	descs  []handle  // by handle
}

type handle struct {
	concept  int32 // ordinal
	desc     int32 // index in Descs
	norm     string
	pref     bool // a synonym preferred by an en-GB language refset
	fsn      bool
	inactive bool // of an inactive concept
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

func (s *Store) preferredIn(d *descRec, refsets []ID) bool {
	if d.Type != synonymType {
		return false
	}
	for _, a := range s.d.acc(d) {
		if a.Acc == preferredAcc && slices.Contains(refsets, a.Refset) {
			return true
		}
	}
	return false
}

// inLocale reports whether a description is preferred or acceptable in
// one of refsets: a search in a locale finds its own terms only (an en-GB
// search no US-only synonym).
func (s *Store) inLocale(d *descRec, refsets []ID) bool {
	for _, a := range s.d.acc(d) {
		if slices.Contains(refsets, a.Refset) {
			return true
		}
	}
	return false
}

// withoutTag drops a fully specified name's semantic tag, "(disorder)":
// its words would otherwise match every concept of the hierarchy.
func withoutTag(term string) string {
	if !strings.HasSuffix(term, ")") {
		return term
	}
	if i := strings.LastIndex(term, " ("); i > 0 {
		return term[:i]
	}
	return term
}

func (s *Store) buildSearch() {
	ix := &s.search
	for o := range s.d.Concepts {
		inactive := s.d.Concepts[o].Active == 0
		for i := s.d.DescOff[o]; i < s.d.DescOff[o+1]; i++ {
			d := &s.d.Descs[i]
			if d.Active == 0 {
				continue
			}
			term, _ := s.d.str(d.Term)
			fsn := d.Type == fsnType
			if fsn {
				term = withoutTag(term)
			}
			ix.descs = append(ix.descs, handle{concept: int32(o), desc: i, norm: normalize(term), pref: s.preferredIn(d, enGB), fsn: fsn, inactive: inactive})
		}
	}
	slices.SortFunc(ix.descs, func(a, b handle) int {
		switch {
		case a.inactive != b.inactive:
			if b.inactive {
				return -1
			}
			return 1
		case a.pref != b.pref:
			if a.pref {
				return -1
			}
			return 1
		case len(a.norm) != len(b.norm):
			return len(a.norm) - len(b.norm)
		case a.concept != b.concept:
			return int(a.concept - b.concept)
		}
		return int(a.desc - b.desc)
	})
	byWord := map[string][]int32{}
	firstBy := map[string][]int32{}
	for h := range ix.descs {
		hd := int32(h)
		fields := strings.Fields(ix.descs[h].norm)
		for i, w := range fields {
			if p := byWord[w]; len(p) == 0 || p[len(p)-1] != hd {
				byWord[w] = append(p, hd)
			}
			if i == 0 {
				firstBy[w] = append(firstBy[w], hd)
			}
		}
	}
	ix.words = make([]string, 0, len(byWord))
	for w := range byWord {
		ix.words = append(ix.words, w)
	}
	sort.Strings(ix.words)
	ix.posts = make([][]int32, len(ix.words))
	ix.first = make([][]int32, len(ix.words))
	for i, w := range ix.words {
		ix.posts[i] = byWord[w]
		ix.first[i] = firstBy[w]
	}
	ix.byNorm = make([]int32, len(ix.descs))
	for i := range ix.byNorm {
		ix.byNorm[i] = int32(i)
	}
	slices.SortFunc(ix.byNorm, func(a, b int32) int { return strings.Compare(ix.descs[a].norm, ix.descs[b].norm) })
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
	// ExcludeFSN leaves fully specified names out (they are matched
	// without their semantic tag otherwise).
	ExcludeFSN bool
	// IncludeInactive finds inactive concepts too (by their active
	// descriptions), ranked after every active one.
	IncludeInactive bool
	// Filter keeps the concepts for which it returns true: an ECL
	// constraint, say (see ecl.SearchConstraint).
	Filter func(ID) bool
}

// Hit is a search result: the concept and the description that matched,
// and the concept's preferred term in the search's locale.
type Hit struct {
	Concept     ID
	Description ID
	Term        string
	Preferred   string
	Score       float64
}

// wordRange is the run of index words that begin with prefix.
func (ix *searchIndex) wordRange(prefix string) (lo, hi int) {
	lo = sort.SearchStrings(ix.words, prefix)
	hi = lo
	for hi < len(ix.words) && strings.HasPrefix(ix.words[hi], prefix) {
		hi++
	}
	return lo, hi
}

// PrepareSearch builds the search index, which Search otherwise builds on
// its first call: it is held in memory, not in the store file, and takes
// about 7 s and 290 MB at UK Monolith size (3.7 million descriptions,
// measured on the synthetic release on a 2-core machine). A service calls
// it at startup (in a goroutine if it must answer other queries first) so
// that no user waits for it. It is safe to call more than once and
// concurrently.
func (s *Store) PrepareSearch() { s.search.once.Do(s.buildSearch) }

// Search finds active concepts by the words of their active descriptions
// in the locale (preferred or acceptable in one of its language reference
// sets; fully specified names without their semantic tag): every query
// word must begin a word of the term. An unknown locale finds nothing
// (KnownLocale tells). Results are ranked exact
// term (score 3), then term prefix (2), then word matches (1); a synonym
// preferred in the locale adds 0.5 and longer terms lose a little
// (length/1000); one hit per concept, ties by concept id.
//
// For en-GB (the default) the walk visits candidates best first and stops
// once it has Limit hits; other locales rank every candidate.
func (s *Store) Search(query string, opts SearchOptions) []Hit {
	s.PrepareSearch()
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
	refsets, known := languageRefsets(opts.Locale)
	if !known {
		return nil
	}
	fast := len(refsets) == len(enGB) && &refsets[0] == &enGB[0]

	// The driver is the query word with the fewest candidate postings.
	driverLo, driverHi, total := 0, 0, -1
	for _, w := range words {
		lo, hi := ix.wordRange(w)
		if lo == hi {
			return nil
		}
		n := 0
		for i := lo; i < hi; i++ {
			n += len(ix.posts[i])
		}
		if total < 0 || n < total {
			driverLo, driverHi, total = lo, hi, n
		}
	}

	best := map[int32]Hit{}
	accept := func(h int32) {
		d := &ix.descs[h]
		if d.inactive && !opts.IncludeInactive || d.fsn && opts.ExcludeFSN || !allPrefixes(d.norm, words) {
			return
		}
		desc := &s.d.Descs[d.desc]
		if !s.inLocale(desc, refsets) {
			return
		}
		c := s.d.IDs[d.concept]
		if opts.Filter != nil && !opts.Filter(c) {
			return
		}
		if opts.Refset != 0 && !s.IsMember(opts.Refset, c) {
			return
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
				return
			}
		}
		score := 1.0
		switch {
		case d.norm == q:
			score = 3
		case strings.HasPrefix(d.norm, q):
			score = 2
		}
		if s.preferredIn(desc, refsets) {
			score += 0.5
		}
		score -= float64(len(d.norm)) / 1000
		if d.inactive {
			score -= 10 // after every active concept
		}
		// Equal scores: the lower description id, whatever the walk's order.
		if cur, ok := best[d.concept]; !ok || score > cur.Score || score == cur.Score && desc.ID < cur.Description {
			term, _ := s.d.str(desc.Term)
			best[d.concept] = Hit{Concept: c, Description: desc.ID, Term: term, Score: score}
		}
	}

	if fast {
		// 1. Terms that are, or begin with, the query: a run of byNorm.
		// A short run is ranked whole; a long one is walked best first
		// through the first-word postings until Limit concepts have a hit.
		lo := sort.Search(len(ix.byNorm), func(i int) bool { return ix.descs[ix.byNorm[i]].norm >= q })
		hi := lo + sort.Search(len(ix.byNorm)-lo, func(i int) bool { return !strings.HasPrefix(ix.descs[ix.byNorm[lo+i]].norm, q) })
		done := false
		if hi-lo <= 512 {
			for _, h := range ix.byNorm[lo:hi] {
				accept(h)
			}
			done = len(best) >= limit
		} else {
			for i := lo; i < hi && ix.descs[ix.byNorm[i]].norm == q; i++ {
				accept(ix.byNorm[i])
			}
			wlo, whi := ix.wordRange(words[0])
			done = len(best) >= limit
			if !done {
				walk(ix.first[wlo:whi], func(h int32) bool {
					if strings.HasPrefix(ix.descs[h].norm, q) {
						accept(h)
					}
					done = len(best) >= limit
					return !done
				})
			}
		}
		if done {
			return s.preferredHits(ranked(best, limit), opts.Locale)
		}
	}
	// 3. Word matches, best first (en-GB) or all (other locales): the
	// postings of the query words that name few index words are
	// intersected leapfrog style; a word that is a short prefix of many
	// index words is checked on each candidate instead.
	var curs []*cursor
	for _, w := range words {
		if lo, hi := ix.wordRange(w); hi-lo <= 16 {
			curs = append(curs, newCursor(ix.posts[lo:hi]))
		}
	}
	visit := func(h int32) bool {
		accept(h)
		return !fast || len(best) < limit
	}
	if len(curs) == 0 {
		walk(ix.posts[driverLo:driverHi], visit)
	} else {
		leapfrog(curs, visit)
	}
	return s.preferredHits(ranked(best, limit), opts.Locale)
}

// preferredHits fills each hit's preferred term in the locale.
func (s *Store) preferredHits(hits []Hit, locale string) []Hit {
	for i := range hits {
		hits[i].Preferred, _ = s.PreferredTerm(hits[i].Concept, locale)
	}
	return hits
}

// cursor walks the union of ascending posting lists, kept as a min-heap by
// their next handle: a seek touches only the lists behind it, not all of
// them (up to 16), which is most of a search's time. Each entry holds its
// list's next handle, so that restoring the heap compares entries in the
// heap's own memory rather than loading each list's.
type cursor struct{ lists []run }

type run struct {
	head int32 // l[0]
	l    []int32
}

func newCursor(lists [][]int32) *cursor {
	c := &cursor{lists: make([]run, 0, len(lists))}
	for _, l := range lists {
		if len(l) > 0 {
			c.lists = append(c.lists, run{l[0], l})
		}
	}
	for i := len(c.lists)/2 - 1; i >= 0; i-- {
		c.down(i)
	}
	return c
}

// down restores the heap below i.
func (c *cursor) down(i int) {
	m := c.lists
	for {
		k := 2*i + 1
		if k >= len(m) {
			return
		}
		if k+1 < len(m) && m[k+1].head < m[k].head {
			k++
		}
		if m[i].head <= m[k].head {
			return
		}
		m[i], m[k] = m[k], m[i]
		i = k
	}
}

// seek drops every handle below h and returns the smallest left, or false
// when none is.
func (c *cursor) seek(h int32) (int32, bool) {
	for len(c.lists) > 0 && c.lists[0].head < h {
		l := c.lists[0].l
		// Gallop, then binary search (by hand: sort.Search's closure
		// costs a call per step in this, the search's hottest loop).
		j := 1
		for j < len(l) && l[j] < h {
			j *= 2
		}
		lo, hi := j/2, min(j+1, len(l))
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if l[m] < h {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if l = l[lo:]; len(l) == 0 {
			last := len(c.lists) - 1
			c.lists[0] = c.lists[last]
			c.lists = c.lists[:last]
		} else {
			c.lists[0] = run{l[0], l}
		}
		c.down(0)
	}
	if len(c.lists) == 0 {
		return 0, false
	}
	return c.lists[0].head, true
}

// leapfrog calls fn, in ascending order, for every handle all cursors hold,
// until fn returns false.
func leapfrog(curs []*cursor, fn func(int32) bool) {
	h := int32(0)
	for {
		agreed := true
		for _, c := range curs {
			v, ok := c.seek(h)
			if !ok {
				return
			}
			if v > h {
				h, agreed = v, false
				break
			}
		}
		if agreed {
			if !fn(h) {
				return
			}
			h++
		}
	}
}

func ranked(best map[int32]Hit, limit int) []Hit {
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
	for i := range out {
		out[i].Term = strings.Clone(out[i].Term) // the store's own may be unmapped by Close
	}
	return out
}

// walk visits the union of ascending posting lists in ascending order
// (each handle once) until fn returns false.
func walk(lists [][]int32, fn func(int32) bool) {
	if len(lists) == 1 {
		for _, h := range lists[0] {
			if !fn(h) {
				return
			}
		}
		return
	}
	m := make(merge, 0, len(lists))
	for _, l := range lists {
		if len(l) > 0 {
			m = append(m, l)
		}
	}
	heap.Init(&m)
	last := int32(-1)
	for len(m) > 0 {
		h := m[0][0]
		if m[0] = m[0][1:]; len(m[0]) == 0 {
			heap.Pop(&m)
		} else {
			heap.Fix(&m, 0)
		}
		if h == last {
			continue
		}
		last = h
		if !fn(h) {
			return
		}
	}
}

// merge is a heap of non-empty posting lists by their next handle.
type merge [][]int32

func (m merge) Len() int           { return len(m) }
func (m merge) Less(i, j int) bool { return m[i][0] < m[j][0] }
func (m merge) Swap(i, j int)      { m[i], m[j] = m[j], m[i] }
func (m *merge) Push(x any)        { *m = append(*m, x.([]int32)) }
func (m *merge) Pop() any {
	old := *m
	x := old[len(old)-1]
	*m = old[:len(old)-1]
	return x
}

// allPrefixes reports whether every query word begins some word of term,
// without allocating.
func allPrefixes(term string, words []string) bool {
	for _, w := range words {
		ok := false
		for i := 0; i+len(w) <= len(term); {
			if strings.HasPrefix(term[i:], w) {
				ok = true
				break
			}
			j := strings.IndexByte(term[i:], ' ')
			if j < 0 {
				break
			}
			i += j + 1
		}
		if !ok {
			return false
		}
	}
	return true
}
