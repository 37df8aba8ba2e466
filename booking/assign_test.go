package booking

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssignReportsDroppedRequests(t *testing.T) {
	e := NewEngine([]Slot{slot("s1", "a", 1, 9), slot("s2", "a", 2, 9)})
	ok := Request{ID: "ok", Service: "a", Earliest: monday}
	zero := Request{ID: "zero", Service: "a"}
	empty := Request{ID: "empty", Service: "a", Earliest: monday.Add(time.Hour), Latest: monday.Add(time.Hour)}
	noService := Request{ID: "nosvc", Earliest: monday}
	reqs := []Request{ok, zero, empty, noService, ok}
	res, err := e.AssignReport(reqs, AssignOptions{})
	require.NoError(t, err)
	require.Len(t, res.Pairs, 1)
	assert.Equal(t, "ok", res.Pairs[0].RequestID)
	want := []struct {
		index int
		err   error
	}{{1, ErrNoEarliest}, {2, ErrEmptyRequestWindow}, {3, ErrEmptyService}, {4, ErrDuplicateID}}
	require.Len(t, res.Dropped, len(want))
	for i, w := range want {
		d := res.Dropped[i]
		assert.Equal(t, w.index, d.Index)
		assert.Equal(t, reqs[w.index].ID, d.RequestID)
		assert.ErrorIs(t, d.Err, w.err)
		var ie *InputError
		require.True(t, errors.As(d.Err, &ie))
		assert.Equal(t, w.index, ie.Index, "the error says where")
	}
	assert.Equal(t, res.Pairs, e.Assign(reqs), "Assign is AssignReport without the report")
	assert.Empty(t, e.AssignGreedy([]Request{zero, empty}), "the baseline drops the same requests")
}

func TestAssignMemoryBound(t *testing.T) {
	var slots []Slot
	for i := range 40 {
		slots = append(slots, slot(fmt.Sprint("s", i), "a", i%5, 8+i%9))
	}
	var reqs []Request
	for i := range 30 {
		reqs = append(reqs, Request{ID: fmt.Sprint("r", i), Service: "a", Earliest: monday.Add(-time.Hour), Priority: i % 11})
	}
	e := NewEngine(slots)
	_, err := e.AssignReport(reqs, AssignOptions{MaxArcs: 100})
	require.ErrorIs(t, err, ErrAssignTooLarge)
	full, err := e.AssignReport(reqs, AssignOptions{MaxArcs: 30 * 40})
	require.NoError(t, err)
	assert.Len(t, full.Pairs, 30)

	// Three candidates a request fit the same limit that refused them all.
	limited := NewEngine(slots, WithAssignCandidates(3))
	res, err := limited.AssignReport(reqs, AssignOptions{MaxArcs: 100})
	require.NoError(t, err)
	assert.NotEmpty(t, res.Pairs)
	assert.LessOrEqual(t, TotalScore(res.Pairs), TotalScore(full.Pairs))
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

func TestAssignMatchesPreviousImplementation(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 27))
	for iter := range 150 {
		var slots []Slot
		for i := range 5 + rng.IntN(25) {
			s := slot(fmt.Sprint("s", i), []string{"a", "b"}[rng.IntN(2)], rng.IntN(7), 8+rng.IntN(9))
			s.Capacity = rng.IntN(4)
			slots = append(slots, s)
		}
		var reqs []Request
		for i := range 10 + rng.IntN(70) {
			r := Request{ID: fmt.Sprint("r", i), Service: []string{"a", "b"}[rng.IntN(2)], Earliest: monday.Add(-time.Duration(rng.IntN(100)) * time.Hour), Priority: rng.IntN(11)}
			r.Referred = r.Earliest.Add(-time.Duration(rng.IntN(3000)) * time.Hour)
			reqs = append(reqs, r)
		}
		e := NewEngine(slots)
		g1, ids, _, _, err := e.buildGraph(reqs, DefaultAssignMaxArcs)
		require.NoError(t, err)
		if g1 == nil {
			continue
		}
		g2, _, _, _, _ := e.buildGraph(reqs, DefaultAssignMaxArcs)
		g1.maxWeightFlow(len(ids))
		previousMaxWeightFlow(g2, len(ids))
		require.Equal(t, flowScore(g2, len(ids)), flowScore(g1, len(ids)), "instance %d", iter)
	}
}
