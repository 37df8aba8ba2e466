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
		p, _, err := e.buildProblem(reqs, DefaultAssignMaxArcs)
		require.NoError(t, err)
		got := solveAndCheck(t, p)
		g := flowGraphOf(p)
		g.prevMaxWeightFlow(p.rows())
		require.Equal(t, flowScore(g, p.rows()), got, "instance %d", iter)
	}
}

// solveAndCheck solves p and proves the result optimal by its dual
// certificate (see certify); it returns the total score.
func solveAndCheck(t testing.TB, p *assignProblem) int64 {
	t.Helper()
	s := newAssignSolver(p)
	s.solve()
	total, err := certify(p, s)
	require.NoError(t, err)
	return total
}

// certify checks that the solver's assignment is feasible and optimal: the
// prices it ends with are a feasible dual (u + v ≤ c on every arc, u ≤ 0,
// v ≤ 0) in complementary slackness with it (used arcs tight, v < 0 only
// on full columns, u = 0 on unassigned rows), which by LP duality no
// assignment can beat. It returns the total score.
func certify(p *assignProblem, s *assignSolver) (int64, error) {
	used := make([]int, p.cols())
	var total int64
	for i := range p.rows() {
		k := s.col[i]
		// −u: the row's base.
		var base int64
		if k >= 0 {
			found := false
			for _, a := range p.row(int32(i)) {
				if a.col == k && a.weight() == s.w[i] {
					found = true
				}
			}
			if !found {
				return 0, fmt.Errorf("row %d holds column %d without such an arc", i, k)
			}
			used[k]++
			total += s.w[i]
			base = s.w[i] + s.v[k]
		}
		if base < 0 {
			return 0, fmt.Errorf("row %d: u = %d > 0", i, -base)
		}
		for _, a := range p.row(int32(i)) {
			if red := base - a.weight() - s.v[a.col]; red < 0 {
				return 0, fmt.Errorf("row %d, column %d: reduced cost %d < 0", i, a.col, red)
			}
		}
	}
	for j := range p.cols() {
		switch {
		case used[j] > int(p.capacity[j]):
			return 0, fmt.Errorf("column %d holds %d > capacity %d", j, used[j], p.capacity[j])
		case used[j] != len(s.held[j]):
			return 0, fmt.Errorf("column %d: %d rows point at it, it holds %d", j, used[j], len(s.held[j]))
		case s.v[j] > 0:
			return 0, fmt.Errorf("column %d: price %d > 0", j, s.v[j])
		case s.v[j] < 0 && used[j] < int(p.capacity[j]):
			return 0, fmt.Errorf("column %d has room but price %d < 0", j, s.v[j])
		}
	}
	return total, nil
}

// randomProblem makes a problem straight from random numbers: few
// distinct scores (many ties) or many, capacities 0 to 3, rows with no
// arcs, and a column count from tight to loose.
func randomProblem(rng *rand.Rand, rows, cols, deg int, scores int64) *assignProblem {
	p := &assignProblem{}
	for j := range cols {
		p.slotIDs = append(p.slotIDs, fmt.Sprint("s", j))
		p.capacity = append(p.capacity, int32(rng.IntN(4)))
	}
	for i := range rows {
		seen := map[int32]bool{}
		for range rng.IntN(deg + 1) {
			k := int32(rng.IntN(cols))
			if seen[k] {
				continue
			}
			seen[k] = true
			p.appendArc(arc{w: int32(1 + rng.Int64N(scores)), col: k})
		}
		p.addRow(fmt.Sprint("r", i))
	}
	return p
}

func TestAssignSolverAgainstReferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 1))
	for iter := range 400 {
		rows, cols := 1+rng.IntN(60), 1+rng.IntN(40)
		p := randomProblem(rng, rows, cols, 1+rng.IntN(cols), []int64{3, 20, 1_000_000}[iter%3])
		got := solveAndCheck(t, p)
		g1, g2 := flowGraphOf(p), flowGraphOf(p)
		g1.prevMaxWeightFlow(rows)
		previousMaxWeightFlow(g2, rows)
		require.Equal(t, flowScore(g1, rows), got, "instance %d against the previous solver", iter)
		require.Equal(t, flowScore(g2, rows), got, "instance %d against plain SSP", iter)
	}
}

func TestAssignDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	p := randomProblem(rng, 300, 80, 40, 5)
	a, b := newAssignSolver(p), newAssignSolver(p)
	a.solve()
	b.solve()
	assert.Equal(t, a.col, b.col)
}

func TestAssignCertificateCatchesASuboptimalResult(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	p := randomProblem(rng, 40, 10, 8, 50)
	s := newAssignSolver(p)
	s.solve()
	_, err := certify(p, s)
	require.NoError(t, err)
	for i, k := range s.col {
		if k >= 0 {
			s.release(int32(i)) // leave a place empty that was worth taking
			break
		}
	}
	_, err = certify(p, s)
	require.Error(t, err)
}

// FuzzAssignSolver builds a small problem from the input (rows, columns,
// capacities, arcs and scores, ties included) and checks the solver's
// result by its dual certificate and against plain SSP.
func FuzzAssignSolver(f *testing.F) {
	f.Add([]byte{3, 2, 1, 1, 0, 5, 1, 5, 0, 5, 1, 4})
	f.Add([]byte{8, 3, 0, 2, 3, 0, 9, 1, 9, 2, 9, 0, 1, 1, 1, 2, 1, 0, 255, 1, 255})
	f.Add([]byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		next := func() int {
			if len(b) == 0 {
				return 0
			}
			x := int(b[0])
			b = b[1:]
			return x
		}
		rows, cols := 1+next()%24, 1+next()%12
		p := &assignProblem{}
		for j := range cols {
			p.slotIDs = append(p.slotIDs, fmt.Sprint("s", j))
			p.capacity = append(p.capacity, int32(next()%4))
		}
		for i := range rows {
			seen := map[int32]bool{}
			for range next() % (cols + 1) {
				k := int32(next() % cols)
				w := int32(1 + next())
				if !seen[k] {
					seen[k] = true
					p.appendArc(arc{w: w, col: k})
				}
			}
			p.addRow(fmt.Sprint("r", i))
		}
		s := newAssignSolver(p)
		s.solve()
		got, err := certify(p, s)
		if err != nil {
			t.Fatal(err)
		}
		g := flowGraphOf(p)
		previousMaxWeightFlow(g, rows)
		if want := flowScore(g, rows); want != got {
			t.Fatalf("total %d, plain SSP %d", got, want)
		}
	})
}

func TestAssignScoreRange(t *testing.T) {
	slots := []Slot{slot("s1", "a", 1, 9)}
	reqs := []Request{{ID: "r", Service: "a", Earliest: monday}}
	huge := NewEngine(slots, WithWeights(Weights{Wait: 3000, Travel: 1, Preference: 1, Priority: 2}))
	_, err := huge.AssignReport(reqs, AssignOptions{})
	require.ErrorIs(t, err, ErrAssignScoreRange)
	assert.Nil(t, huge.Assign(reqs))
	res, err := NewEngine(slots, WithWeights(Weights{Wait: 2000, Travel: 1, Preference: 1, Priority: 2})).AssignReport(reqs, AssignOptions{})
	require.NoError(t, err, "just under the range")
	assert.Len(t, res.Pairs, 1)
}
