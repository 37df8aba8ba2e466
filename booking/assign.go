package booking

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
)

// DefaultAssignMaxArcs bounds the candidate pairs AssignReport builds by
// default. A pair costs about 80 bytes at the peak (16 while scanning, two
// 24-byte residual edges, their two list entries and live-list positions),
// so 16 Mi pairs stay under about 1.3 GB.
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
// It solves a min-cost flow (request → slot → sink, costs the negated
// scores, with a zero-cost "unassigned" edge from each request to the
// sink) by successive shortest augmenting paths on the sparse graph, one
// request at a time, with Dijkstra and node potentials, capacities
// handled natively: the result is optimal over the candidate pairs (all
// feasible pairs unless WithAssignCandidates limits them). Three things
// keep the searches short when requests contend for the same slots:
// requests go in best score first; each enters with the least potential
// that keeps its edges non-negative, so its search ends once leaving it
// unassigned is the cheapest way on; and a slot's search step reads only
// its live edges (to the sink while it has room, back to the requests it
// holds). Memory is about 80 bytes a candidate pair, bounded by MaxArcs.
func (e *Engine) AssignReport(reqs []Request, opt AssignOptions) (AssignResult, error) {
	if opt.MaxArcs <= 0 {
		opt.MaxArcs = DefaultAssignMaxArcs
	}
	g, reqIDs, slotIDs, dropped, err := e.buildGraph(reqs, opt.MaxArcs)
	res := AssignResult{Dropped: dropped}
	if err != nil || g == nil {
		return res, err
	}
	g.maxWeightFlow(len(reqIDs))
	R := int32(len(reqIDs))
	for ri := range reqIDs {
		u := 1 + ri
		for _, ei := range g.adj[u] {
			ed := &g.edges[ei]
			if ed.to > R && ed.to <= R+int32(len(slotIDs)) && ed.cap == 0 && ed.cost < 0 {
				res.Pairs = append(res.Pairs, Pair{RequestID: reqIDs[ri], SlotID: slotIDs[ed.to-1-R], Score: float64(-ed.cost) / scoreScale})
			}
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

// edge is a residual edge; int32 indices keep it at 24 bytes.
type edge struct {
	to   int32
	cap  int32
	rev  int32 // index of the reverse edge
	cost int64
}

type flowGraph struct {
	n     int
	adj   [][]int32 // edge indices per node
	edges []edge
}

func (g *flowGraph) addEdge(u, v, cap int, cost int64) {
	g.adj[u] = append(g.adj[u], int32(len(g.edges)))
	g.edges = append(g.edges, edge{to: int32(v), cap: int32(cap), cost: cost, rev: int32(len(g.edges) + 1)})
	g.adj[v] = append(g.adj[v], int32(len(g.edges)))
	g.edges = append(g.edges, edge{to: int32(u), cap: 0, cost: -cost, rev: int32(len(g.edges) - 1)})
}

// buildGraph lays out source 0, requests 1..R, slots R+1..R+S, sink
// R+S+1. It stops with ErrAssignTooLarge as soon as the candidate pairs
// pass maxArcs, before the graph is allocated.
func (e *Engine) buildGraph(reqs []Request, maxArcs int) (*flowGraph, []string, []string, []Dropped, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	now := e.cfg.now()
	type arc struct {
		req, slot int32
		w         int64
	}
	var reqIDs, slotIDs []string
	slotNode := map[string]int{}
	var free []int
	var arcs []arc
	var dropped []Dropped
	seen := map[string]bool{}
	over := false
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
		ri := len(reqIDs)
		reqIDs = append(reqIDs, r.ID)
		add := func(st *slotState, score float64) {
			if over {
				return
			}
			si, ok := slotNode[st.ID]
			if !ok {
				si = len(slotIDs)
				slotNode[st.ID] = si
				slotIDs = append(slotIDs, st.ID)
				free = append(free, st.free(now))
			}
			if w := int64(math.Round(score * scoreScale)); w > 0 {
				if len(arcs) == maxArcs {
					over = true
					return
				}
				arcs = append(arcs, arc{int32(ri), int32(si), w})
			}
		}
		if e.cfg.candidates > 0 {
			for _, c := range e.match(r, e.cfg.candidates, now, false) {
				add(e.slots[e.byID[c.SlotID]], c.Score)
			}
		} else {
			e.scan(r, now, add)
		}
		if over {
			return nil, nil, nil, dropped, fmt.Errorf("%w: more than %d pairs by request %d of %d (limit them with WithAssignCandidates, or raise AssignOptions.MaxArcs)",
				ErrAssignTooLarge, maxArcs, i+1, len(reqs))
		}
	}
	if len(reqIDs) == 0 || len(slotIDs) == 0 {
		return nil, nil, nil, dropped, nil
	}
	R, S := len(reqIDs), len(slotIDs)
	if R+S+2 > math.MaxInt32 || 2*(R+S+len(arcs))+2*R > math.MaxInt32 {
		return nil, nil, nil, dropped, fmt.Errorf("%w: %d requests, %d slots, %d pairs", ErrAssignTooLarge, R, S, len(arcs))
	}
	g := &flowGraph{n: R + S + 2, adj: make([][]int32, R+S+2), edges: make([]edge, 0, 2*(2*R+S+len(arcs)))}
	sink := R + S + 1
	// Every node's edge list is cut from one block, sized by its degree
	// first, so adding the edges never grows a list.
	deg := make([]int32, R+S+2)
	deg[0], deg[sink] = int32(R), int32(R+S)
	for ri := 1; ri <= R; ri++ {
		deg[ri] = 2 // from the source, to the sink
	}
	for si := 0; si < S; si++ {
		deg[1+R+si] = 1 // to the sink
	}
	for _, a := range arcs {
		deg[1+int(a.req)]++
		deg[1+R+int(a.slot)]++
	}
	block := make([]int32, 2*(2*R+S+len(arcs)))
	off := 0
	for v, d := range deg {
		g.adj[v] = block[off : off : off+int(d)]
		off += int(d)
	}
	for ri := 0; ri < R; ri++ {
		g.addEdge(0, 1+ri, 1, 0)
	}
	for _, a := range arcs {
		g.addEdge(1+int(a.req), 1+R+int(a.slot), 1, -a.w)
	}
	arcs = nil // the graph has them now
	for ri := 0; ri < R; ri++ {
		g.addEdge(1+ri, sink, 1, 0) // leave the request unassigned
	}
	for si := 0; si < S; si++ {
		g.addEdge(1+R+si, sink, free[si], 0)
	}
	return g, reqIDs, slotIDs, dropped, nil
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

const inf = math.MaxInt64 / 4

// maxWeightFlow adds the requests one at a time, each along a shortest
// augmenting path from its node to the sink (Dijkstra on reduced costs,
// stopping when the sink is settled). Every request has an edge straight
// to the sink with cost 0, "left unassigned", so each is always placed and
// the total cost, the negated total score, is minimal for the requests
// added so far: adding one unit of supply along a shortest path keeps a
// min-cost flow min-cost. Potentials keep reduced costs non-negative;
// settled nodes move by their distance less the sink's, which is the usual
// update shifted by a constant that cancels in every reduced cost.
func (g *flowGraph) maxWeightFlow(requests int) {
	n, sink := g.n, g.n-1
	pot := make([]int64, n)
	for u := 1; u < n-1; u++ {
		for _, ei := range g.adj[u] {
			ed := &g.edges[ei]
			if to := int(ed.to); ed.cap > 0 && to != sink && to > u && pot[u]+ed.cost < pot[to] {
				pot[to] = pot[u] + ed.cost
			}
		}
	}
	for u := 1; u < n-1; u++ {
		if pot[u] < pot[sink] {
			pot[sink] = pot[u]
		}
	}
	// A slot node's adjacency holds a reverse edge for every request that
	// could take it, almost all with no capacity; its live list holds
	// only the edges with capacity (to the sink while it has room, back
	// to the requests it holds), so settling a slot costs its capacity,
	// not the number of requests.
	isSlot := func(v int) bool { return v > requests && v < sink }
	live := make([][]int32, n)
	livePos := make([]int32, len(g.edges))
	for i := range livePos {
		livePos[i] = -1
	}
	addLive := func(v int, ei int32) {
		if livePos[ei] < 0 {
			livePos[ei] = int32(len(live[v]))
			live[v] = append(live[v], ei)
		}
	}
	dropLive := func(v int, ei int32) {
		if i := livePos[ei]; i >= 0 {
			last := live[v][len(live[v])-1]
			live[v][i], livePos[last] = last, i
			live[v] = live[v][:len(live[v])-1]
			livePos[ei] = -1
		}
	}
	for v := requests + 1; v < sink; v++ {
		for _, ei := range g.adj[v] {
			if g.edges[ei].cap > 0 {
				addLive(v, ei)
			}
		}
	}
	dist := make([]int64, n)
	prevEdge := make([]int32, n)
	done := make([]bool, n)
	for i := range dist {
		dist[i] = inf
	}
	// Requests go in by their best score, highest first: once the places
	// are taken by requests that value them most, a request that values
	// them less finds leaving itself unassigned close by and its search
	// ends early. Any order gives the same optimum.
	order := make([]int, requests)
	best := make([]int64, requests+1)
	for r := 1; r <= requests; r++ {
		order[r-1] = r
		for _, ei := range g.adj[r] {
			if ed := &g.edges[ei]; ed.cap > 0 && ed.to != 0 {
				best[r] = max(best[r], -ed.cost)
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(best[b], best[a]) })
	var touched []int32
	var q minHeap
	for _, r := range order {
		// The request has no flow yet, so its only residual edges are its
		// own out-edges: lift its potential to the least that keeps them
		// non-negative, which makes its best edge tight. The search then
		// settles only nodes closer than the gap between its best slot
		// and leaving it unassigned, instead of most of the graph.
		tight := pot[sink]
		for _, ei := range g.adj[r] {
			ed := &g.edges[ei]
			if ed.cap > 0 && ed.to != 0 {
				tight = max(tight, pot[ed.to]-ed.cost)
			}
		}
		pot[r] = tight
		q.reset()
		dist[r] = 0
		touched = append(touched[:0], int32(r))
		q.push(r, 0)
		var settled []int32
		for q.len() > 0 {
			u, d := q.pop()
			if done[u] || d > dist[u] {
				continue
			}
			done[u] = true
			settled = append(settled, int32(u))
			if u == sink {
				break
			}
			out := g.adj[u]
			if isSlot(u) {
				out = live[u]
			}
			for _, ei := range out {
				ed := &g.edges[ei]
				to := int(ed.to)
				if ed.cap <= 0 || to == 0 {
					continue
				}
				nd := d + ed.cost + pot[u] - pot[to]
				if nd < dist[to] {
					if dist[to] == inf {
						touched = append(touched, ed.to)
					}
					dist[to] = nd
					prevEdge[to] = ei
					q.push(to, nd)
				}
			}
		}
		if !done[sink] {
			// Unreachable: the request's own edge to the sink is always
			// there. Leave the request unassigned rather than fail.
			for _, v := range touched {
				dist[v], done[v] = inf, false
			}
			continue
		}
		dt := dist[sink]
		for _, v := range settled {
			pot[v] += dist[v] - dt
		}
		for v := sink; v != r; {
			ei := prevEdge[v]
			rev := g.edges[ei].rev
			tail := int(g.edges[rev].to)
			g.edges[ei].cap--
			g.edges[rev].cap++
			if isSlot(tail) && g.edges[ei].cap == 0 {
				dropLive(tail, ei)
			}
			if isSlot(v) && g.edges[rev].cap == 1 {
				addLive(v, rev)
			}
			v = tail
		}
		for _, v := range touched {
			dist[v], done[v] = inf, false
		}
	}
}
