package booking

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Assignment input errors, wrapped in *InputError with the request's
// index and id.
var (
	// ErrNoEarliest is a request without an earliest time: Assign needs
	// one to know which slots are in reach.
	ErrNoEarliest = errors.New("earliest is zero")
	// ErrEmptyRequestWindow is a request whose earliest equals its
	// latest: no slot can start in an empty window.
	ErrEmptyRequestWindow = errors.New("earliest equals latest")
	// ErrAssignTooLarge is an assignment whose candidate pairs exceed
	// AssignOptions.MaxArcs; nothing is allocated beyond the limit.
	ErrAssignTooLarge = errors.New("booking: assignment exceeds the candidate-pair limit")
	// ErrAssignScoreRange is an assignment with a pair scoring more than
	// about 2,147 (Weights summing to more than that): Assign keeps scores
	// in millionths in 32 bits. Default weights score at most 5.
	ErrAssignScoreRange = errors.New("booking: a score is beyond the range Assign solves")
)

// DefaultAssignMaxArcs bounds the candidate pairs AssignReport builds by
// default. A pair costs 8 bytes (its score and slot, kept with its
// request), so 16 Mi pairs take 128 MiB; requests and slots add about 60
// bytes each.
const DefaultAssignMaxArcs = 16 << 20

// AssignOptions tune AssignReport.
type AssignOptions struct {
	// MaxArcs bounds the candidate (request, slot) pairs; beyond it
	// AssignReport returns ErrAssignTooLarge instead of running out of
	// memory. 0 means DefaultAssignMaxArcs. Limit the pairs per request
	// with WithAssignCandidates to solve larger problems within it.
	MaxArcs int
}

// Dropped is a request Assign left out before solving, and why.
type Dropped struct {
	Index     int
	RequestID string
	Err       error // an *InputError
}

// AssignResult is an assignment and the requests left out of it.
type AssignResult struct {
	Pairs   []Pair
	Dropped []Dropped
}

// assignCheck is ValidateRequest plus what an assignment needs.
func assignCheck(i int, r *Request) error {
	if err := ValidateRequest(r); err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			ie.Index = i
		}
		return err
	}
	switch {
	case r.Earliest.IsZero():
		return &InputError{Kind: "request", Index: i, ID: r.ID, Err: ErrNoEarliest}
	case r.Earliest.Equal(r.Latest):
		return &InputError{Kind: "request", Index: i, ID: r.ID, Err: ErrEmptyRequestWindow}
	}
	return nil
}

// scoreScale turns scores into integers for the flow algorithm, so that
// sums are exact; scores are compared to one part in a million.
const scoreScale = 1e6

// Assign books nobody: it returns the assignment of requests to slots that
// maximises the total score of the pairs, honouring each slot's remaining
// capacity and every hard constraint, with each request in at most one
// pair. Requests that share an id or are invalid are left out; Pairs come
// in request order. It is AssignReport with the default options, without
// the report: it returns nil when the problem is over the default
// candidate-pair limit. Use AssignReport to see what was dropped and why.
func (e *Engine) Assign(reqs []Request) []Pair {
	res, err := e.AssignReport(reqs, AssignOptions{})
	if err != nil {
		return nil
	}
	return res.Pairs
}

// AssignReport is Assign with the requests it dropped (invalid, duplicate
// id, zero Earliest, Earliest equal to Latest), each with an *InputError,
// and a bound on memory: ErrAssignTooLarge when the candidate pairs
// exceed opt.MaxArcs.
//
// It solves the assignment as a linear program with its dual, by shortest
// augmenting paths on the sparse graph of candidate pairs (the
// Jonker–Volgenant class of solvers): bids place most requests first (a
// request takes the slot worth most to it at the slots' prices, and
// outbids the holder of a full one by lowering its price), then the rest
// are added one at a time, best score first, each along a shortest path
// (Dijkstra on reduced costs) over the slots, where a full slot leads on
// through the requests it holds, to a slot with room or to leaving some
// request unassigned.
// Capacities are handled natively, not by copying slots. Slot prices keep
// every reduced cost non-negative, so the result is optimal over the
// candidate pairs (all feasible pairs unless WithAssignCandidates limits
// them), and the prices it ends with prove it. The search is bounded by
// the nearest end found so far, and a request's pairs are sorted best
// first, so its scan stops at the first pair that cannot beat the bound.
// Memory is 8 bytes a candidate pair, bounded by MaxArcs.
func (e *Engine) AssignReport(reqs []Request, opt AssignOptions) (AssignResult, error) {
	if opt.MaxArcs <= 0 {
		opt.MaxArcs = DefaultAssignMaxArcs
	}
	p, dropped, err := e.buildProblem(reqs, opt.MaxArcs)
	res := AssignResult{Dropped: dropped}
	if err != nil || p.rows() == 0 || p.cols() == 0 {
		return res, err
	}
	s := newAssignSolver(p)
	s.solve()
	for i, k := range s.col {
		if k >= 0 {
			res.Pairs = append(res.Pairs, Pair{RequestID: p.reqIDs[i], SlotID: p.slotIDs[k], Score: float64(s.w[i]) / scoreScale})
		}
	}
	return res, nil
}

// AssignGreedy is the baseline Assign is measured against: take candidate
// pairs best first and keep each one whose request is still unassigned and
// whose slot still has room.
func (e *Engine) AssignGreedy(reqs []Request) []Pair {
	type cand struct {
		req  int
		slot string
		w    int64
	}
	e.mu.RLock()
	now := e.cfg.now()
	var all []cand
	seen := map[string]bool{}
	valid := make([]bool, len(reqs))
	room := map[string]int{}
	for i := range reqs {
		r := &reqs[i]
		if assignCheck(i, r) != nil || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		valid[i] = true
		for _, c := range e.match(r, e.cfg.candidates, now, false) {
			all = append(all, cand{i, c.SlotID, int64(math.Round(c.Score * scoreScale))})
			if _, ok := room[c.SlotID]; !ok {
				room[c.SlotID] = e.slots[e.byID[c.SlotID]].free(now)
			}
		}
	}
	e.mu.RUnlock()
	slices.SortFunc(all, func(a, b cand) int {
		switch {
		case a.w != b.w:
			return cmp.Compare(b.w, a.w)
		case a.req != b.req:
			return cmp.Compare(a.req, b.req)
		}
		return strings.Compare(a.slot, b.slot)
	})
	done := make([]bool, len(reqs))
	bySlot := make(map[int]Pair)
	for _, c := range all {
		if done[c.req] || room[c.slot] <= 0 {
			continue
		}
		done[c.req] = true
		room[c.slot]--
		bySlot[c.req] = Pair{RequestID: reqs[c.req].ID, SlotID: c.slot, Score: float64(c.w) / scoreScale}
	}
	pairs := make([]Pair, 0, len(bySlot))
	for i := range reqs {
		if p, ok := bySlot[i]; ok && valid[i] {
			pairs = append(pairs, p)
		}
	}
	return pairs
}

// TotalScore sums the scores of pairs.
func TotalScore(pairs []Pair) float64 {
	var t int64
	for _, p := range pairs {
		t += int64(math.Round(p.Score * scoreScale))
	}
	return float64(t) / scoreScale
}

// arc is a candidate pair seen from its request: the slot's column and
// the pair's score in millionths (always positive).
type arc struct {
	w   int32 // at most math.MaxInt32: see ErrAssignScoreRange
	col int32
}

func (a arc) weight() int64 { return int64(a.w) }

// assignProblem is the bipartite graph Assign solves: rows (requests)
// with their arcs, best score first (ties: lower column), and
// columns (slots) with their remaining capacity.
type assignProblem struct {
	rowArcs  [][]arc // cut from chunks, so that collecting never copies
	chunk    []arc   // the row being built, at the free end of a chunk
	arcCount int
	capacity []int32
	reqIDs   []string
	slotIDs  []string
}

func (p *assignProblem) rows() int         { return len(p.reqIDs) }
func (p *assignProblem) cols() int         { return len(p.slotIDs) }
func (p *assignProblem) row(i int32) []arc { return p.rowArcs[i] }

// arcChunk is how many arcs a chunk holds (1 MiB).
const arcChunk = 1 << 17

// addRow adds a row whose arcs were appended with appendArc since the
// last addRow, sorting them best first.
func (p *assignProblem) addRow(id string) {
	own := p.chunk[:len(p.chunk):len(p.chunk)]
	sortArcs(own)
	p.rowArcs = append(p.rowArcs, own)
	p.reqIDs = append(p.reqIDs, id)
	p.arcCount += len(own)
	p.chunk = p.chunk[len(p.chunk):]
}

// appendArc adds an arc to the row being built. A row that outgrows its
// chunk moves to a new one, so collecting copies only that row's arcs.
func (p *assignProblem) appendArc(a arc) {
	if len(p.chunk) == cap(p.chunk) {
		next := make([]arc, len(p.chunk), max(arcChunk, 2*len(p.chunk)))
		copy(next, p.chunk)
		p.chunk = next
	}
	p.chunk = append(p.chunk, a)
}

// buildProblem collects the candidate pairs. It stops with
// ErrAssignTooLarge as soon as they pass maxArcs.
func (e *Engine) buildProblem(reqs []Request, maxArcs int) (*assignProblem, []Dropped, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	now := e.cfg.now()
	p := &assignProblem{}
	// Engine slot index → column + 1; 0 unseen, -1 without room.
	slotCol := make([]int32, len(e.slots))
	var dropped []Dropped
	seen := map[string]bool{}
	over, wide := false, false
	if maxArcs > math.MaxInt32 {
		maxArcs = math.MaxInt32
	}
	for i := range reqs {
		r := &reqs[i]
		if err := assignCheck(i, r); err != nil {
			dropped = append(dropped, Dropped{Index: i, RequestID: r.ID, Err: err})
			continue
		}
		if seen[r.ID] {
			dropped = append(dropped, Dropped{Index: i, RequestID: r.ID, Err: &InputError{Kind: "request", Index: i, ID: r.ID, Err: ErrDuplicateID}})
			continue
		}
		seen[r.ID] = true
		add := func(slot int32, score float64) {
			w := int64(math.Round(score * scoreScale))
			if over || w <= 0 {
				return
			}
			if w > math.MaxInt32 {
				over, wide = true, true
				return
			}
			col := slotCol[slot] - 1
			switch col {
			case -2:
				return
			case -1:
				st := e.slots[slot]
				free := st.free(now)
				if free <= 0 {
					slotCol[slot] = -1
					return
				}
				col = int32(len(p.slotIDs))
				slotCol[slot] = col + 1
				p.slotIDs = append(p.slotIDs, st.ID)
				p.capacity = append(p.capacity, int32(min(free, math.MaxInt32)))
			}
			if p.arcCount+len(p.chunk) == maxArcs {
				over = true
				return
			}
			p.appendArc(arc{w: int32(w), col: col})
		}
		if e.cfg.candidates > 0 {
			for _, c := range e.match(r, e.cfg.candidates, now, false) {
				add(int32(e.byID[c.SlotID]), c.Score)
			}
		} else {
			e.walk(r, now, func(en *entry, b Breakdown, _ time.Duration) bool {
				add(int32(en.slot), b.total())
				return true
			}, nil)
		}
		if wide {
			return nil, dropped, fmt.Errorf("%w: request %d of %d scores %.0f or more", ErrAssignScoreRange, i+1, len(reqs), float64(math.MaxInt32)/scoreScale)
		}
		if over {
			return nil, dropped, fmt.Errorf("%w: more than %d pairs by request %d of %d (limit them with WithAssignCandidates, or raise AssignOptions.MaxArcs)",
				ErrAssignTooLarge, maxArcs, i+1, len(reqs))
		}
		p.addRow(r.ID)
	}
	return p, dropped, nil
}

// sortArcs puts a row's arcs best score first, ties by column.
func sortArcs(a []arc) {
	slices.SortFunc(a, func(a, b arc) int {
		if a.w != b.w {
			return cmp.Compare(b.w, a.w)
		}
		return cmp.Compare(a.col, b.col)
	})
}

const inf = math.MaxInt64 / 4

// assignSolver holds the state of the shortest-augmenting-path solver on
// an assignProblem (Jonker–Volgenant class, sparse, capacities native).
//
// The problem is the LP: minimise Σ c·x with c = −w over the arcs, each
// row assigned to at most one column (else it is "unassigned", cost 0),
// each column j holding at most capacity[j] rows. Its dual has a price
// v[j] ≤ 0 per column and u[i] ≤ 0 per row with u[i] + v[j] ≤ c for every
// arc; an assignment is optimal when the arcs it uses are tight, a column
// with v[j] < 0 is full and an unassigned row has u[i] = 0. The solver
// keeps all of these true for the rows added so far. u is never stored: an
// assigned row's u is c − v of its column, an unassigned row's 0.
type assignSolver struct {
	p      *assignProblem
	v      []int64   // column prices, ≤ 0
	col    []int32   // each row's column; unassigned or not yet added: -1
	w      []int64   // the score of each assigned row's arc
	held   [][]int32 // rows each column holds
	heldAt []int32   // a row's position in its column's held list

	// Per search, reset through touched. key is a column's distance plus
	// its price (inf when not reached), so that the common case of an arc
	// that improves nothing costs one read.
	key      []int64
	predRow  []int32 // the row a column was reached from
	predW    []int64 // the score of that row's arc to the column
	touched  []int32
	settled  []int32
	settledD []int64
	heap     minHeap
}

func newAssignSolver(p *assignProblem) *assignSolver {
	R, S := p.rows(), p.cols()
	s := &assignSolver{
		p: p, v: make([]int64, S), col: make([]int32, R), w: make([]int64, R),
		held: make([][]int32, S), heldAt: make([]int32, R),
		key: make([]int64, S), predRow: make([]int32, S), predW: make([]int64, S),
	}
	for i := range s.col {
		s.col[i] = -1
	}
	for j := range s.key {
		s.key[j] = inf
	}
	return s
}

// solve places every row. A first pass of bids (Jonker and Volgenant's
// augmenting row reduction, as in an auction) places most rows cheaply:
// a row takes the slot where its net value (score plus price) is highest,
// and when that slot is full its price falls until the row is
// indifferent between it and its second choice, and the row it held is
// placed again. The rows the bids leave are added by shortest augmenting
// paths, best score first: once the places are held by the rows that
// value them most, a row that values them less finds leaving itself
// unassigned close by and its search ends early. Any order gives the same
// optimum.
func (s *assignSolver) solve() {
	order := make([]int32, s.p.rows())
	for i := range order {
		order[i] = int32(i)
	}
	best := func(i int32) int64 {
		if a := s.p.row(i); len(a) > 0 {
			return a[0].weight()
		}
		return 0
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(best(b), best(a)) })
	left := s.bid(order)
	for _, r := range left {
		s.add(r)
	}
}

// bid places rows by the augmenting row reduction and returns those it
// left for add, in the order they came. A row is left when its two best
// net values tie at a full slot (bidding again could cycle), when its
// best slot is full and holds more than one row (lowering that price
// could break the others' tightness), and when bids run out (a few per
// row, so the pass stays linear). Every row it places is tight at its
// slot and no other slot is worth more to it, every row it leaves
// unassigned is worth nothing anywhere, and only full slots lose price:
// the invariants add needs.
func (s *assignSolver) bid(order []int32) []int32 {
	queue := slices.Clone(order)
	var left []int32
	budget := 4 * len(order)
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if budget == 0 {
			left = append(left, i)
			continue
		}
		budget--
		// The best and second-best net values, "unassigned" (0) included.
		var h1, h2 int64
		j1, w1 := int32(-1), int64(0)
		for _, a := range s.p.row(i) {
			if a.weight() <= h2 {
				break // net ≤ w: nothing later beats the second best
			}
			switch h := a.weight() + s.v[a.col]; {
			case h > h1:
				h1, h2, j1, w1 = h, h1, a.col, a.weight()
			case h > h2:
				h2 = h
			}
		}
		switch {
		case j1 < 0:
			continue // worth nothing anywhere: stays unassigned
		case len(s.held[j1]) < int(s.p.capacity[j1]):
			s.hold(i, j1, w1)
		case s.p.capacity[j1] == 1 && h1 > h2:
			out := s.held[j1][0]
			s.release(out)
			s.v[j1] -= h1 - h2
			s.hold(i, j1, w1)
			queue = append(queue, out)
		default:
			left = append(left, i)
		}
	}
	return left
}

// add places row r along a shortest augmenting path: Dijkstra over the
// columns on reduced costs, where settling a full column goes on through
// the rows it holds (their arcs to it are tight, so they sit at its
// distance), and ends at a column with room or at leaving a row
// unassigned. Reaching a column with room or a row's "unassigned" bounds
// the search: nothing at or beyond the bound is queued, and because arcs
// are sorted best first and a reduced cost from a row is at least its base
// less the arc's score (prices are ≤ 0), a row's scan stops at the first
// arc that cannot beat the bound.
func (s *assignSolver) add(r int32) {
	// The new row's u is the greatest that keeps its arcs feasible: its
	// base −u = max(0, max w + v), found among the first arcs since v ≤ 0.
	var base int64
	for _, a := range s.p.row(r) {
		if a.weight() <= base {
			break
		}
		base = max(base, a.weight()+s.v[a.col])
	}
	e := searchEnd{bound: base, col: -1, row: r}
	s.scanRow(r, base, &e)
	for s.heap.len() > 0 && e.bound > 0 {
		j, d := s.heap.pop()
		if d >= e.bound {
			break
		}
		if d != s.key[j]-s.v[j] {
			continue // settled already, or queued again nearer
		}
		s.key[j] = -inf // settled: no arc improves it
		s.settled = append(s.settled, int32(j))
		s.settledD = append(s.settledD, d)
		for _, i := range s.held[j] {
			// A held row's arc to j is tight, so its base is d − u.
			s.scanRow(i, d+s.w[i]+s.v[j], &e)
		}
	}
	// Prices: every settled column moves by its distance less the end's,
	// which keeps every reduced cost non-negative and makes the path tight.
	for x, j := range s.settled {
		s.v[j] += s.settledD[x] - e.bound
	}
	// Augment: walk back from the end, moving each row into the column it
	// reached, from the column it held.
	k := e.col
	if k < 0 && e.row != r {
		// The end is leaving e.row unassigned: its column goes to the row
		// that reached it, and so on back to r.
		k = s.col[e.row]
		s.release(e.row)
	}
	for k >= 0 {
		i := s.predRow[k]
		prev := s.col[i]
		if prev >= 0 {
			s.release(i)
		}
		s.hold(i, k, s.predW[k])
		k = prev
	}
	s.reset()
}

// searchEnd is the best end of a search so far: a column with room, or
// (col < 0) leaving row unassigned, at distance bound.
type searchEnd struct {
	bound int64
	col   int32
	row   int32
}

// scanRow relaxes row i's arcs from its base (its distance less its u).
func (s *assignSolver) scanRow(i int32, base int64, e *searchEnd) {
	if base < e.bound {
		*e = searchEnd{bound: base, col: -1, row: i}
	}
	// The hot loop: locals, so that the compiler keeps them in registers
	// (a store to a slice could alias a field read through a pointer).
	bound, key, v := e.bound, s.key, s.v
	if bound == 0 {
		return // nothing is nearer than 0
	}
	for _, a := range s.p.row(i) {
		x := base - a.weight() // the distance through a, plus the column's price
		if x >= bound {
			break
		}
		k := a.col
		if x >= key[k] {
			continue
		}
		d := x - v[k]
		if d >= bound {
			continue
		}
		if key[k] == inf {
			s.touched = append(s.touched, k)
		}
		key[k], s.predRow[k], s.predW[k] = x, i, a.weight()
		if len(s.held[k]) < int(s.p.capacity[k]) {
			*e = searchEnd{bound: d, col: k}
			if bound = d; bound == 0 {
				return
			}
			continue
		}
		s.heap.push(int(k), d)
	}
}

func (s *assignSolver) hold(i, k int32, w int64) {
	s.col[i], s.w[i] = k, w
	s.heldAt[i] = int32(len(s.held[k]))
	s.held[k] = append(s.held[k], i)
}

func (s *assignSolver) release(i int32) {
	j := s.col[i]
	h := s.held[j]
	at, last := s.heldAt[i], h[len(h)-1]
	h[at], s.heldAt[last] = last, at
	s.held[j] = h[:len(h)-1]
	s.col[i], s.w[i] = -1, 0
}

func (s *assignSolver) reset() {
	for _, k := range s.touched {
		s.key[k] = inf
	}
	s.touched, s.settled, s.settledD = s.touched[:0], s.settled[:0], s.settledD[:0]
	s.heap.reset()
}

// minHeap is a binary heap of (node, dist) without interface boxing.
type minHeap struct {
	node []int32
	dist []int64
}

func (h *minHeap) len() int { return len(h.node) }
func (h *minHeap) reset()   { h.node, h.dist = h.node[:0], h.dist[:0] }

func (h *minHeap) push(n int, d int64) {
	h.node = append(h.node, int32(n))
	h.dist = append(h.dist, d)
	i := len(h.node) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.dist[p] <= h.dist[i] {
			break
		}
		h.node[p], h.node[i] = h.node[i], h.node[p]
		h.dist[p], h.dist[i] = h.dist[i], h.dist[p]
		i = p
	}
}

func (h *minHeap) pop() (int, int64) {
	n, d := h.node[0], h.dist[0]
	last := len(h.node) - 1
	h.node[0], h.dist[0] = h.node[last], h.dist[last]
	h.node, h.dist = h.node[:last], h.dist[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.dist[l] < h.dist[m] {
			m = l
		}
		if r < last && h.dist[r] < h.dist[m] {
			m = r
		}
		if m == i {
			break
		}
		h.node[m], h.node[i] = h.node[i], h.node[m]
		h.dist[m], h.dist[i] = h.dist[i], h.dist[m]
		i = m
	}
	return int(n), d
}
