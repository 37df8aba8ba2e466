package siufeed_test

import (
	"context"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/siufeed"
	"github.com/nhskit/nhskit/booking/siufeed/siufeedtest"
	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/hl7v2/mllp"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/waitlist"
)

// TestTrustDayOverMLLP plays a generated day of a trust's SIU feed
// through MLLP into the ledger, the engine and the waiting list, then
// checks every slot's final state against the PAS's book and every offer
// against the rule: a released place goes to the best-ranked entry of its
// service still waiting when it is released.
func TestTrustDayOverMLLP(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { playDay(t, seed) })
	}
}

func playDay(t *testing.T, seed int64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	day := siufeedtest.NewDay(siufeedtest.Options{Seed: seed})
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, hl7v2.London) // the day before the clinics
	clock := func() time.Time { return now }
	ledger := booking.NewMemoryLedger(clock)
	engine := booking.NewEngine(nil, booking.WithClock(clock))
	store := waitlist.NewMemoryStore()
	list, err := waitlist.New(waitlist.Config{Store: store, Ledger: ledger, Now: clock, OfferTTL: 48 * time.Hour})
	require.NoError(t, err)
	for i := 0; i < 40; i++ {
		n, ok := nhsid.TestNHSNumber(uint64(5000 + i))
		if !ok {
			continue
		}
		cl := day.Clinics[i%len(day.Clinics)]
		at := now.AddDate(0, 0, -20-3*i)
		require.NoError(t, list.Add(ctx, &waitlist.Entry{ID: fmt.Sprintf("w%02d", i), NHSNumber: n, Service: cl.Service,
			Priority: waitlist.Priority(1 + i%7), Referred: at, Listed: at}, "test"))
	}
	feed, err := siufeed.New(ctx, siufeed.Config{Ledger: ledger, Engine: engine, Waitlist: list})
	require.NoError(t, err)

	// The checks run inside the handler, between the message and its ACK.
	var checkErr []string
	var offers, releases int
	offeredBefore := map[string]map[string]bool{} // slot -> entries offered it
	handler := func(ctx context.Context, m *hl7v2.Message) (*hl7v2.Message, error) {
		// Every entry of each service, best first by the documented rule
		// (band, then total, then the longer wait, then the smaller id).
		ranked := map[string][]string{}
		waiting := map[string]bool{}
		var all []*waitlist.Entry
		for i := 0; i < 40; i++ {
			if e, err := store.Entry(ctx, fmt.Sprintf("w%02d", i)); err == nil {
				all = append(all, e)
				waiting[e.ID] = e.Status == waitlist.Waiting
			}
		}
		sort.Slice(all, func(i, j int) bool {
			si, sj := waitlist.ScoreAt(all[i], now, waitlist.DefaultWeights), waitlist.ScoreAt(all[j], now, waitlist.DefaultWeights)
			switch {
			case si.Band != sj.Band:
				return si.Band > sj.Band
			case si.Total != sj.Total:
				return si.Total > sj.Total
			case !all[i].Referred.Equal(all[j].Referred):
				return all[i].Referred.Before(all[j].Referred)
			}
			return all[i].ID < all[j].ID
		})
		for _, e := range all {
			ranked[e.Service] = append(ranked[e.Service], e.ID)
		}
		before, err := store.Events(ctx, 0)
		if err != nil {
			return nil, err
		}
		o, err := feed.Apply(ctx, m)
		if err == nil {
			// Offers withdrawn by this message (the PAS took their place)
			// put their entries back in the running.
			after, _ := store.Events(ctx, int64(len(before)))
			for _, ev := range after {
				if ev.Kind == waitlist.OfferWithdraw && ev.Entry != nil {
					waiting[ev.Entry.ID] = true
				}
			}
			for _, ev := range o.Events {
				if ev.Kind == booking.SlotReleased {
					releases++
				}
			}
			// Every release with someone left to take it is offered.
			for _, ev := range o.Events {
				if ev.Kind != booking.SlotReleased {
					continue
				}
				n, candidate := 0, false
				for _, of := range o.Offers {
					if of.SlotID == ev.SlotID {
						n++
					}
				}
				for _, id := range ranked[ev.Slot.Service] {
					candidate = candidate || (waiting[id] && !offeredBefore[ev.SlotID][id])
				}
				if candidate && n == 0 {
					checkErr = append(checkErr, fmt.Sprintf("%s: release of %s not offered", o.ControlID, ev.SlotID))
				}
			}
			for _, of := range o.Offers {
				offers++
				sl, _ := feed.Slot(of.SlotID)
				want := ""
				for _, id := range ranked[sl.Service] {
					if waiting[id] && !offeredBefore[of.SlotID][id] {
						want = id
						break
					}
				}
				if of.EntryID != want {
					checkErr = append(checkErr, fmt.Sprintf("%s: offer of %s to %s, want %s", o.ControlID, of.SlotID, of.EntryID, want))
				}
				if offeredBefore[of.SlotID] == nil {
					offeredBefore[of.SlotID] = map[string]bool{}
				}
				offeredBefore[of.SlotID][of.EntryID] = true
				waiting[of.EntryID] = false
			}
		}
		return siufeed.Ack(m, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &mllp.Server{Handler: handler}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	client := &mllp.Client{Addr: ln.Addr().String()}
	defer client.Close()

	acks := map[string]int{}
	for i, msg := range day.Messages {
		m, err := hl7v2.Parse(msg.Data)
		require.NoError(t, err)
		ack, err := client.Send(ctx, m)
		require.NoError(t, err, "message %d", i)
		a, _ := ack.MSA()
		want := msg.Refuse
		if want == "" {
			want = "AA"
		}
		require.Equal(t, want, a.Code(), "message %d (%s): %s", i, msg.Trigger, a.Text())
		acks[a.Code()]++
	}
	cancel()
	require.NoError(t, <-done)
	assert.Empty(t, checkErr)

	// Every slot's final state: the PAS's book.
	snap, err := ledger.Snapshot(context.Background())
	require.NoError(t, err)
	booked := map[string][]string{}
	for _, u := range snap.Usage {
		booked[u.SlotID] = u.Booked
	}
	live := map[string]bool{}
	for _, s := range snap.Slots {
		live[s.ID] = true
	}
	for fid, appt := range day.Open {
		id := "siu:" + day.Source + ":" + fid
		if !live[id] {
			t.Errorf("slot %s should be open", fid)
			continue
		}
		var want []string
		if appt != "" {
			want = []string{"siu:appt:" + day.Source + ":" + appt}
		}
		assert.Equal(t, want, booked[id], "slot %s", fid)
		assert.Equal(t, 1-len(want) >= 0, engine.Available(id) >= 0)
	}
	for _, fid := range day.Blocked {
		assert.False(t, live["siu:"+day.Source+":"+fid], "slot %s was blocked", fid)
	}
	var gotBooked []string
	for _, s := range snap.Slots {
		for _, r := range booked[s.ID] {
			gotBooked = append(gotBooked, r[len("siu:appt:"+day.Source+":"):])
		}
	}
	sort.Strings(gotBooked)
	assert.Equal(t, day.Booked(), gotBooked, "exactly the PAS's appointments are booked")
	// The engine's view is the ledger's.
	assert.Equal(t, snap.Seq, engine.Seq())
	for _, s := range snap.Slots {
		free := 1 - len(booked[s.ID])
		for _, u := range snap.Usage {
			if u.SlotID == s.ID {
				free -= len(u.Holds)
			}
		}
		assert.Equal(t, max(free, 0), engine.Available(s.ID), "engine capacity of %s", s.ID)
	}
	// The waiting list's log replays.
	evs, err := store.Events(context.Background(), 0)
	require.NoError(t, err)
	_, err = waitlist.Replay(evs)
	require.NoError(t, err)
	t.Logf("%d messages (%d AA, %d AE, %d AR), %d opened slots, %d releases, %d offers, %d booked at the end",
		len(day.Messages), acks["AA"], acks["AE"], acks["AR"], len(day.Open)+len(day.Blocked), releases, offers, len(gotBooked))
	assert.Greater(t, releases, 10)
	assert.Greater(t, offers, 5)
}
