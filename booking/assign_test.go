package booking

import (
	"errors"
	"fmt"
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
