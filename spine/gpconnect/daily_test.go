package gpconnect_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func TestSlotSearchByTimeOfDay(t *testing.T) {
	srv := gpconnecttest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	ctx := context.Background()
	start, end := tomorrowRange()

	all, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end})
	require.NoError(t, err)
	early, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end,
		Daily: &gpconnect.DailyWindow{From: 9 * time.Hour, To: 10 * time.Hour}})
	require.NoError(t, err)
	require.NotEmpty(t, early.Slots)
	want := 0
	for _, s := range all.Slots {
		st, en := timeOf(t, s.Start).In(gpconnecttest.London), timeOf(t, s.End).In(gpconnecttest.London)
		if st.Hour() >= 9 && (en.Hour() < 10 || (en.Hour() == 10 && en.Minute() == 0)) && en.Day() == st.Day() {
			want++
		}
	}
	assert.Len(t, early.Slots, want)
	for _, s := range early.Slots {
		st := timeOf(t, s.Start).In(gpconnecttest.London)
		assert.Equal(t, 9, st.Hour(), "slot at %s", st)
	}

	// A bound with a time is sent as a dateTime: nothing before it.
	first := timeOf(t, all.Slots[0].Start).In(gpconnecttest.London)
	afternoon := time.Date(first.Year(), first.Month(), first.Day(), 14, 0, 0, 0, gpconnecttest.London)
	res, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: afternoon, End: end})
	require.NoError(t, err)
	require.NotEmpty(t, res.Slots)
	for _, s := range res.Slots {
		assert.False(t, timeOf(t, s.Start).Before(afternoon), "slot at %s", s.Start.Value)
	}
	assert.Less(t, len(res.Slots), len(all.Slots), "the morning of the first day is left out")

	for _, bad := range []gpconnect.DailyWindow{{From: 10 * time.Hour, To: 9 * time.Hour}, {From: -time.Hour, To: time.Hour}, {From: 0, To: 25 * time.Hour}} {
		_, err := c.SearchFreeSlots(ctx, gpconnect.SlotQuery{Start: start, End: end, Daily: &bad})
		assert.ErrorIs(t, err, gpconnect.ErrSlotQuery)
	}
	assert.Empty(t, srv.Rejections())
}
