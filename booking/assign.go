package booking

import (
	"container/heap"
	"math"
	"sort"
)

// scoreScale turns scores into integers for the flow algorithm, so that
// sums are exact; scores are compared to one part in a million.
const scoreScale = 1e6

// Assign books nobody: it returns the assignment of requests to slots that
// maximises the total score of the pairs, honouring each slot's remaining
// capacity and every hard constraint, with each request in at most one
// pair. Requests that share an id or are invalid are left out (check with
// ValidateRequests first). Pairs come in request order.
//
// It solves a min-cost flow (source → request → slot → sink, costs the
// negated scores) by successive shortest paths with Dijkstra and node
// potentials, stopping when no augmenting path raises the total: the
// result is optimal over the candidate pairs (all feasible pairs unless
// WithAssignCandidates limits them).
func (e *Engine) Assign(reqs []Request) []Pair {
	g, reqIDs, slotIDs := e.buildGraph(reqs)
	if g == nil {
		return nil
	}
	g.maxWeightFlow()
	var pairs []Pair
	for ri := range reqIDs {
		u := 1 + ri
		for _, ei := range g.adj[u] {
			ed := &g.edges[ei]
			if ed.to > len(reqIDs) && ed.to <= len(reqIDs)+len(slotIDs) && ed.cap == 0 && ed.cost < 0 {
				pairs = append(pairs, Pair{RequestID: reqIDs[ri], SlotID: slotIDs[ed.to-1-len(reqIDs)], Score: float64(-ed.cost) / scoreScale})
			}
		}
	}
	return pairs
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
		if ValidateRequest(r) != nil || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		valid[i] = true
		for _, c := range e.match(r, e.cfg.candidates, now) {
			all = append(all, cand{i, c.SlotID, int64(math.Round(c.Score * scoreScale))})
			if _, ok := room[c.SlotID]; !ok {
				room[c.SlotID] = e.slots[e.byID[c.SlotID]].free(now)
			}
		}
	}
	e.mu.RUnlock()
	sort.SliceStable(all, func(a, b int) bool { return all[a].w > all[b].w })
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

type edge struct {
	to   int
	cap  int
	cost int64
	rev  int // index of the reverse edge
}

type flowGraph struct {
	n     int
	adj   [][]int // edge indices per node
	edges []edge
}

func (g *flowGraph) addEdge(u, v, cap int, cost int64) {
	g.adj[u] = append(g.adj[u], len(g.edges))
	g.edges = append(g.edges, edge{to: v, cap: cap, cost: cost, rev: len(g.edges) + 1})
	g.adj[v] = append(g.adj[v], len(g.edges))
	g.edges = append(g.edges, edge{to: u, cap: 0, cost: -cost, rev: len(g.edges) - 1})
}

// buildGraph lays out source 0, requests 1..R, slots R+1..R+S, sink R+S+1.
func (e *Engine) buildGraph(reqs []Request) (*flowGraph, []string, []string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	now := e.cfg.now()
	type arc struct {
		req, slot int
		w         int64
	}
	var reqIDs, slotIDs []string
	slotNode := map[string]int{}
	var free []int
	var arcs []arc
	seen := map[string]bool{}
	for i := range reqs {
		r := &reqs[i]
		if ValidateRequest(r) != nil || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		ri := len(reqIDs)
		reqIDs = append(reqIDs, r.ID)
		for _, c := range e.match(r, e.cfg.candidates, now) {
			si, ok := slotNode[c.SlotID]
			if !ok {
				si = len(slotIDs)
				slotNode[c.SlotID] = si
				slotIDs = append(slotIDs, c.SlotID)
				free = append(free, e.slots[e.byID[c.SlotID]].free(now))
			}
			w := int64(math.Round(c.Score * scoreScale))
			if w > 0 {
				arcs = append(arcs, arc{ri, si, w})
			}
		}
	}
	if len(reqIDs) == 0 || len(slotIDs) == 0 {
		return nil, nil, nil
	}
	R, S := len(reqIDs), len(slotIDs)
	g := &flowGraph{n: R + S + 2, adj: make([][]int, R+S+2), edges: make([]edge, 0, 2*(R+S+len(arcs)))}
	sink := R + S + 1
	for ri := 0; ri < R; ri++ {
		g.addEdge(0, 1+ri, 1, 0)
	}
	for _, a := range arcs {
		g.addEdge(1+a.req, 1+R+a.slot, 1, -a.w)
	}
	for si := 0; si < S; si++ {
		g.addEdge(1+R+si, sink, free[si], 0)
	}
	return g, reqIDs, slotIDs
}

type item struct {
	node int
	dist int64
}
type pq []item

func (q pq) Len() int           { return len(q) }
func (q pq) Less(i, j int) bool { return q[i].dist < q[j].dist }
func (q pq) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)        { *q = append(*q, x.(item)) }
func (q *pq) Pop() any          { o := *q; x := o[len(o)-1]; *q = o[:len(o)-1]; return x }

const inf = math.MaxInt64 / 4

// maxWeightFlow augments along shortest (most negative) paths while they
// lower the total cost.
func (g *flowGraph) maxWeightFlow() {
	n, src, sink := g.n, 0, g.n-1
	// Initial potentials: shortest distances in the layered DAG, so that
	// every reduced cost is non-negative.
	pot := make([]int64, n)
	for u := 1; u < n-1; u++ {
		for _, ei := range g.adj[u] {
			ed := &g.edges[ei]
			if ed.cap > 0 && ed.to != sink && ed.to > u && pot[u]+ed.cost < pot[ed.to] {
				pot[ed.to] = pot[u] + ed.cost
			}
		}
	}
	for u := 1; u < n-1; u++ {
		for _, ei := range g.adj[u] {
			ed := &g.edges[ei]
			if ed.to == sink && ed.cap > 0 && pot[u] < pot[sink] {
				pot[sink] = pot[u]
			}
		}
	}
	dist := make([]int64, n)
	prevEdge := make([]int, n)
	done := make([]bool, n)
	var q pq
	for {
		for i := range dist {
			dist[i], prevEdge[i], done[i] = inf, -1, false
		}
		dist[src] = 0
		q = q[:0]
		heap.Push(&q, item{src, 0})
		for q.Len() > 0 {
			it := heap.Pop(&q).(item)
			u := it.node
			if done[u] || it.dist > dist[u] {
				continue
			}
			done[u] = true
			if u == sink {
				break // settled: no shorter path to the sink exists
			}
			for _, ei := range g.adj[u] {
				ed := &g.edges[ei]
				if ed.cap <= 0 {
					continue
				}
				nd := dist[u] + ed.cost + pot[u] - pot[ed.to]
				if nd < dist[ed.to] {
					dist[ed.to] = nd
					prevEdge[ed.to] = ei
					heap.Push(&q, item{ed.to, nd})
				}
			}
		}
		if dist[sink] >= inf {
			return
		}
		// Real cost of the path; stop when it no longer lowers the total.
		if dist[sink]+pot[sink]-pot[src] >= 0 {
			return
		}
		dt := dist[sink]
		for v := 0; v < n; v++ {
			if done[v] {
				pot[v] += dist[v]
			} else {
				pot[v] += dt
			}
		}
		// Augment by one unit (request capacities are 1).
		for v := sink; v != src; {
			ei := prevEdge[v]
			g.edges[ei].cap--
			g.edges[g.edges[ei].rev].cap++
			v = g.edges[g.edges[ei].rev].to
		}
	}
}
