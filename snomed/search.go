package snomed

import (
	"container/heap"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// searchIndex is loaded from the store's side file (searchfile.go) or
// built on the first Search. Every active description of an active concept
// gets a handle; handles are numbered in rank order (en-GB preferred
// synonyms first, then shorter terms, then concept id), so walking a
// posting list in handle order visits candidates best first and a search
// can stop as soon as it has enough hits. Every table is flat (offsets
// into one array or string), so that the side file is used in place.
type searchIndex struct {
	once     sync.Once
	descs    []handle // by handle
	norms    string   // the normalized terms, concatenated
	wordOff  []uint32 // word i is words[wordOff[i]:wordOff[i+1]]; sorted, distinct
	words    string
	postOff  []uint32 // per word: handles of terms with the word, ascending
	posts    []int32
	firstOff []uint32 // per word: handles of terms that begin with the word
	first    []int32
	byNorm   []int32 // handles sorted by normalized term (exact matches)
	unmap    func() error
}

// handle is one searchable description (24 bytes, the side file's
// record).
type handle struct {
	Concept int32 // ordinal
	Desc    int32 // index in Descs
	NormOff uint32
	NormLen uint32
	Flags   uint32
	_       uint32
}

const (
	hPref     = 1 << iota // a synonym preferred by an en-GB language refset
	hFSN                  // a fully specified name
	hInactive             // of an inactive concept
)

func (ix *searchIndex) nWords() int { return max(len(ix.wordOff)-1, 0) }

// word returns index word i ("" if the tables are damaged).
func (ix *searchIndex) word(i int) string {
	lo, hi := ix.wordOff[i], ix.wordOff[i+1]
	if lo > hi || uint64(hi) > uint64(len(ix.words)) {
		return ""
	}
	return ix.words[lo:hi]
}

// norm returns the normalized term of handle h.
func (ix *searchIndex) norm(h int32) string {
	d := &ix.descs[h]
	end := uint64(d.NormOff) + uint64(d.NormLen)
	if end > uint64(len(ix.norms)) {
		return ""
	}
	return ix.norms[d.NormOff:end]
}

func list(off []uint32, flat []int32, i int) []int32 {
	lo, hi := off[i], off[i+1]
	if lo > hi || uint64(hi) > uint64(len(flat)) {
		return nil
	}
	return flat[lo:hi]
}

// postings returns the posting lists (or first-word lists) of words lo to
// hi.
func (ix *searchIndex) postings(lo, hi int, first bool) [][]int32 {
	out := make([][]int32, 0, hi-lo)
	for i := lo; i < hi; i++ {
		if first {
			out = append(out, list(ix.firstOff, ix.first, i))
		} else {
			out = append(out, list(ix.postOff, ix.posts, i))
		}
	}
	return out
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

// buildSearch builds the index in memory.
func (s *Store) buildSearch() {
	ix := &s.search
	var norms []byte
	for o := range s.d.Concepts {
		inactive := s.d.Concepts[o].Active == 0
		for i := s.d.DescOff[o]; i < s.d.DescOff[o+1]; i++ {
			d := &s.d.Descs[i]
			if d.Active == 0 {
				continue
			}
			term, _ := s.d.str(d.Term)
			var flags uint32
			if d.Type == fsnType {
				term = withoutTag(term)
				flags |= hFSN
			}
			if s.preferredIn(d, enGB) {
				flags |= hPref
			}
			if inactive {
				flags |= hInactive
			}
			n := normalize(term)
			ix.descs = append(ix.descs, handle{Concept: int32(o), Desc: i, NormOff: uint32(len(norms)), NormLen: uint32(len(n)), Flags: flags})
			norms = append(norms, n...)
		}
	}
	ix.norms = bytesString(norms)
	slices.SortFunc(ix.descs, func(a, b handle) int {
		switch {
		case a.Flags&hInactive != b.Flags&hInactive:
			if b.Flags&hInactive != 0 {
				return -1
			}
			return 1
		case a.Flags&hPref != b.Flags&hPref:
			if a.Flags&hPref != 0 {
				return -1
			}
			return 1
		case a.NormLen != b.NormLen:
			return int(a.NormLen) - int(b.NormLen)
		case a.Concept != b.Concept:
			return int(a.Concept - b.Concept)
		}
		return int(a.Desc - b.Desc)
	})
	// Map keys are views of ix.norms, not copies.
	byWord := map[string][]int32{}
	firstBy := map[string][]int32{}
	for h := range ix.descs {
		hd := int32(h)
		i := 0
		for w := range strings.FieldsSeq(ix.norm(hd)) {
			if p := byWord[w]; len(p) == 0 || p[len(p)-1] != hd {
				byWord[w] = append(p, hd)
			}
			if i == 0 {
				firstBy[w] = append(firstBy[w], hd)
			}
			i++
		}
	}
	words := make([]string, 0, len(byWord))
	for w := range byWord {
		words = append(words, w)
	}
	sort.Strings(words)
	var wb []byte
	ix.wordOff = make([]uint32, 1, len(words)+1)
	ix.postOff = make([]uint32, 1, len(words)+1)
	ix.firstOff = make([]uint32, 1, len(words)+1)
	for _, w := range words {
		wb = append(wb, w...)
		ix.posts = append(ix.posts, byWord[w]...)
		ix.first = append(ix.first, firstBy[w]...)
		ix.wordOff = append(ix.wordOff, uint32(len(wb)))
		ix.postOff = append(ix.postOff, uint32(len(ix.posts)))
		ix.firstOff = append(ix.firstOff, uint32(len(ix.first)))
		delete(byWord, w)
		delete(firstBy, w)
	}
	ix.words = bytesString(wb)
	ix.byNorm = make([]int32, len(ix.descs))
	for i := range ix.byNorm {
		ix.byNorm[i] = int32(i)
	}
	slices.SortFunc(ix.byNorm, func(a, b int32) int { return strings.Compare(ix.norm(a), ix.norm(b)) })
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
	n := ix.nWords()
	lo = sort.Search(n, func(i int) bool { return ix.word(i) >= prefix })
	hi = lo
	for hi < n && strings.HasPrefix(ix.word(hi), prefix) {
		hi++
	}
	return lo, hi
}

// PrepareSearch readies the search index, which Search otherwise does on
// its first call. The index is kept beside the store, in <store>.search
// (SearchIndexPath): when that file was written for this store file (same
// size, modification time and header), PrepareSearch maps it in place, in
// milliseconds at UK Monolith size. Otherwise (the first search after an
// import, a copied store, a deleted or damaged side file) it builds the
// index in memory, about 7 s at UK Monolith size on a quiet 2-core machine
// (3.7 million descriptions, synthetic release; 57 s under heavy load,
// when the process peaked at 1.57 GB RSS, the store's mapped pages
// included), and writes the side
// file for every later Open if it can (errors are ignored: a read-only
// directory only costs the build each time). Import does not build it, so
// that the import's peak memory stays what it was; a service calls
// PrepareSearch at startup (in a goroutine if it must answer other queries
// first) so that no user waits. It is safe to call more than once and
// concurrently.
func (s *Store) PrepareSearch() {
	s.search.once.Do(func() {
		if s.loadSearch() == nil {
			return
		}
		s.buildSearch()
		if s.path != "" {
			s.writeSearch(SearchIndexPath(s.path)) //nolint:errcheck // best effort: the index is in memory
		}
	})
}

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
			n += len(list(ix.postOff, ix.posts, i))
		}
		if total < 0 || n < total {
			driverLo, driverHi, total = lo, hi, n
		}
	}

	best := map[int32]Hit{}
	accept := func(h int32) {
		if uint32(h) >= uint32(len(ix.descs)) {
			return // a damaged side file
		}
		d := &ix.descs[h]
		norm := ix.norm(h)
		if d.Flags&hInactive != 0 && !opts.IncludeInactive || d.Flags&hFSN != 0 && opts.ExcludeFSN || !allPrefixes(norm, words) {
			return
		}
		if uint32(d.Desc) >= uint32(len(s.d.Descs)) || uint32(d.Concept) >= uint32(len(s.d.IDs)) {
			return
		}
		desc := &s.d.Descs[d.Desc]
		if !s.inLocale(desc, refsets) {
			return
		}
		c := s.d.IDs[d.Concept]
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
		case norm == q:
			score = 3
		case strings.HasPrefix(norm, q):
			score = 2
		}
		if s.preferredIn(desc, refsets) {
			score += 0.5
		}
		score -= float64(len(norm)) / 1000
		if d.Flags&hInactive != 0 {
			score -= 10 // after every active concept
		}
		// Equal scores: the lower description id, whatever the walk's order.
		if cur, ok := best[d.Concept]; !ok || score > cur.Score || score == cur.Score && desc.ID < cur.Description {
			term, _ := s.d.str(desc.Term)
			best[d.Concept] = Hit{Concept: c, Description: desc.ID, Term: term, Score: score}
		}
	}

	if fast {
		// 1. Terms that are, or begin with, the query: a run of byNorm.
		// A short run is ranked whole; a long one is walked best first
		// through the first-word postings until Limit concepts have a hit.
		norm := func(i int) string {
			if h := ix.byNorm[i]; uint32(h) < uint32(len(ix.descs)) {
				return ix.norm(h)
			}
			return ""
		}
		lo := sort.Search(len(ix.byNorm), func(i int) bool { return norm(i) >= q })
		hi := lo + sort.Search(len(ix.byNorm)-lo, func(i int) bool { return !strings.HasPrefix(norm(lo+i), q) })
		done := false
		if hi-lo <= 512 {
			for _, h := range ix.byNorm[lo:hi] {
				accept(h)
			}
			done = len(best) >= limit
		} else {
			for i := lo; i < hi && norm(i) == q; i++ {
				accept(ix.byNorm[i])
			}
			wlo, whi := ix.wordRange(words[0])
			done = len(best) >= limit
			if !done {
				walk(ix.postings(wlo, whi, true), func(h int32) bool {
					if uint32(h) < uint32(len(ix.descs)) && strings.HasPrefix(ix.norm(h), q) {
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
			curs = append(curs, newCursor(ix.postings(lo, hi, false)))
		}
	}
	visit := func(h int32) bool {
		accept(h)
		return !fast || len(best) < limit
	}
	if len(curs) == 0 {
		walk(ix.postings(driverLo, driverHi, false), visit)
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
			// MaxInt32 ends the walk: h++ would wrap (only a damaged
			// side file holds such a handle).
			if !fn(h) || h == math.MaxInt32 {
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
