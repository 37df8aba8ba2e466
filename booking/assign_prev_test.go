package booking

import (
	"cmp"
	"slices"
)

// The solver Assign used before the column search (a min-cost flow on a
// general residual graph, request and slot nodes both in the heap), and a
// plain successive-shortest-path solver before that one: references the
// tests compare the current solver with on random instances.

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

// flowGraphOf lays out the problem as the previous solver did: source 0,
// requests 1..R, slots R+1..R+S, sink R+S+1.
func flowGraphOf(p *assignProblem) *flowGraph {
	R, S := p.rows(), p.cols()
	g := &flowGraph{n: R + S + 2, adj: make([][]int32, R+S+2)}
	sink := R + S + 1
	for ri := 0; ri < R; ri++ {
		g.addEdge(0, 1+ri, 1, 0)
	}
	for ri := 0; ri < R; ri++ {
		for _, a := range p.row(int32(ri)) {
			g.addEdge(1+ri, 1+R+int(a.col), 1, -a.weight())
		}
	}
	for ri := 0; ri < R; ri++ {
		g.addEdge(1+ri, sink, 1, 0)
	}
	for si := 0; si < S; si++ {
		g.addEdge(1+R+si, sink, int(p.capacity[si]), 0)
	}
	return g
}

// previousMaxWeightFlow is a plain successive-shortest-path solver, as
// the one before requests took a tight potential and searches stopped
// early was: an array Dijkstra to every node, and the full potential
// update. It checks the solver on instances too large for brute force.
func previousMaxWeightFlow(g *flowGraph, requests int) {
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
		pot[sink] = min(pot[sink], pot[u])
	}
	for r := 1; r <= requests; r++ {
		dist := make([]int64, n)
		prev := make([]int32, n)
		done := make([]bool, n)
		for i := range dist {
			dist[i] = inf
		}
		dist[r] = 0
		for {
			u := -1
			for v := range n {
				if !done[v] && dist[v] < inf && (u < 0 || dist[v] < dist[u]) {
					u = v
				}
			}
			if u < 0 {
				break
			}
			done[u] = true
			for _, ei := range g.adj[u] {
				ed := &g.edges[ei]
				to := int(ed.to)
				if ed.cap <= 0 || to == 0 {
					continue
				}
				if nd := dist[u] + ed.cost + pot[u] - pot[to]; nd < dist[to] {
					dist[to], prev[to] = nd, ei
				}
			}
		}
		far := int64(0)
		for v := range n {
			if dist[v] < inf {
				far = max(far, dist[v])
			}
		}
		for v := range n {
			if dist[v] < inf {
				pot[v] += dist[v]
			} else {
				pot[v] += far // unreached: keeps every reduced cost non-negative
			}
		}
		for v := sink; v != r; {
			ei := prev[v]
			g.edges[ei].cap--
			g.edges[g.edges[ei].rev].cap++
			v = int(g.edges[g.edges[ei].rev].to)
		}
	}
}

func flowScore(g *flowGraph, R int) int64 {
	var t int64
	for u := 1; u <= R; u++ {
		for _, ei := range g.adj[u] {
			ed := &g.edges[ei]
			if int(ed.to) > R && int(ed.to) < g.n-1 && ed.cap == 0 && ed.cost < 0 {
				t -= ed.cost
			}
		}
	}
	return t
}

// prevMaxWeightFlow is the solver before this one. It adds the requests one at a time, each along a shortest
// augmenting path from its node to the sink (Dijkstra on reduced costs,
// stopping when the sink is settled). Every request has an edge straight
// to the sink with cost 0, "left unassigned", so each is always placed and
// the total cost, the negated total score, is minimal for the requests
// added so far: adding one unit of supply along a shortest path keeps a
// min-cost flow min-cost. Potentials keep reduced costs non-negative;
// settled nodes move by their distance less the sink's, which is the usual
// update shifted by a constant that cancels in every reduced cost.
func (g *flowGraph) prevMaxWeightFlow(requests int) {
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
