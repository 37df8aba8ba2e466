package siufeed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/waitlist"
)

var now0 = time.Date(2026, 11, 24, 9, 0, 0, 0, hl7v2.London)

var ctlN int

// siu builds one message: trigger, filler id, start (HHMM on 25 November
// 2026), clinic room, and whether it has a patient.
func siu(trigger, fid, hhmm, room string, patient bool) *hl7v2.Message {
	ctlN++
	var b strings.Builder
	fmt.Fprintf(&b, "MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20261124090000||SIU^%s^SIU_S12|T%05d|P|2.5.1\r", trigger, ctlN)
	fmt.Fprintf(&b, "SCH||%s^PAS|||||ROUTINE||15|min\r", fid)
	fmt.Fprintf(&b, "TQ1|1|||||15^min|20261125%s00\r", hhmm)
	if patient {
		b.WriteString("PID|1||9990000018^^^NHS^NH\r")
	}
	fmt.Fprintf(&b, "RGS|1|A\rAIS|1|A|ENT^ENT clinic^LOCAL\rAIL|1|A|ENTOPD^%s^^RXX01\r", room)
	m, err := hl7v2.Parse([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return m
}

type rig struct {
	ledger *booking.MemoryLedger
	engine *booking.Engine
	list   *waitlist.List
	store  *waitlist.MemoryStore
	feed   *Feed
	now    time.Time
}

func newRig(t *testing.T, entries int) *rig {
	t.Helper()
	r := &rig{now: now0}
	clock := func() time.Time { return r.now }
	r.ledger = booking.NewMemoryLedger(clock)
	r.engine = booking.NewEngine(nil, booking.WithClock(clock))
	r.store = waitlist.NewMemoryStore()
	var err error
	r.list, err = waitlist.New(waitlist.Config{Store: r.store, Ledger: r.ledger, Now: clock})
	require.NoError(t, err)
	for i := 0; i < entries; i++ {
		n, _ := nhsid.TestNHSNumber(uint64(100 + i*7))
		for !n.Valid() {
			n, _ = nhsid.TestNHSNumber(uint64(101 + i*7))
		}
		at := now0.AddDate(0, 0, -30-i)
		require.NoError(t, r.list.Add(context.Background(), &waitlist.Entry{ID: fmt.Sprintf("w%02d", i), NHSNumber: n, Service: "ENT",
			Priority: waitlist.Routine, Referred: at, Listed: at}, "test"))
	}
	r.feed, err = New(context.Background(), Config{Ledger: r.ledger, Engine: r.engine, Waitlist: r.list})
	require.NoError(t, err)
	return r
}

func (r *rig) apply(t *testing.T, m *hl7v2.Message) Outcome {
	t.Helper()
	o, err := r.feed.Apply(context.Background(), m)
	require.NoError(t, err)
	return o
}

func TestOpenBookCancelOffers(t *testing.T) {
	r := newRig(t, 2)
	o := r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	assert.Equal(t, SlotOpened, o.Action)
	assert.Equal(t, "siu:RXX01:SL1", o.SlotID)
	sl, ok := r.engine.Slot(o.SlotID)
	require.True(t, ok, "the engine sees the opened slot")
	assert.Equal(t, "ENT", sl.Service)
	assert.Equal(t, 15*time.Minute, sl.Duration())
	assert.Equal(t, 1, r.engine.Available(o.SlotID))

	o = r.apply(t, siu("S12", "AP1", "0900", "R1", true))
	assert.Equal(t, Booked, o.Action)
	assert.Equal(t, "siu:RXX01:SL1", o.SlotID, "booked on the opened slot at that place and time")
	assert.Zero(t, r.engine.Available(o.SlotID))

	o = r.apply(t, siu("S15", "AP1", "0900", "R1", true))
	assert.Equal(t, Cancelled, o.Action)
	require.Len(t, o.Offers, 1, "the released place is offered before the ACK")
	assert.Equal(t, "w01", o.Offers[0].EntryID, "the longest waiter")
	assert.Equal(t, "siu:RXX01:SL1", o.Offers[0].SlotID)
}

func TestRescheduleReleasesTheOldSlot(t *testing.T) {
	r := newRig(t, 1)
	r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	r.apply(t, siu("S24", "SL2", "0915", "R1", false))
	r.apply(t, siu("S12", "AP1", "0900", "R1", true))
	o := r.apply(t, siu("S13", "AP1", "0915", "R1", true))
	assert.Equal(t, Moved, o.Action)
	assert.Equal(t, "siu:RXX01:SL2", o.SlotID)
	require.Len(t, o.Offers, 1)
	assert.Equal(t, "siu:RXX01:SL1", o.Offers[0].SlotID)
	o = r.apply(t, siu("S14", "AP1", "0915", "R1", true))
	assert.Equal(t, Unchanged, o.Action)
}

func TestPASBookingTakesAPlaceOnOffer(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, 1)
	r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	r.apply(t, siu("S12", "AP1", "0900", "R1", true))
	o := r.apply(t, siu("S15", "AP1", "0900", "R1", true))
	require.Len(t, o.Offers, 1)
	// The PAS books the place again before the patient answers: the PAS
	// is the record, so the offer is withdrawn.
	o = r.apply(t, siu("S12", "AP2", "0900", "R1", true))
	assert.Equal(t, Booked, o.Action)
	assert.Equal(t, "siu:RXX01:SL1", o.SlotID)
	offers, err := r.store.EntryOffers(ctx, "w00")
	require.NoError(t, err)
	require.Len(t, offers, 1)
	assert.Equal(t, waitlist.OfferWithdrawn, offers[0].Status)
}

func TestOutsideSlotsAndBlocking(t *testing.T) {
	r := newRig(t, 1)
	o := r.apply(t, siu("S12", "AP9", "1700", "R1", true))
	assert.Equal(t, Booked, o.Action)
	assert.Contains(t, o.SlotID, ":appt:AP9:", "a slot of its own")
	o = r.apply(t, siu("S15", "AP9", "1700", "R1", true))
	assert.Equal(t, Cancelled, o.Action)
	assert.Empty(t, o.Offers, "an appointment outside the opened slots frees nothing to offer")
	_, ok := r.engine.Slot(o.SlotID)
	assert.False(t, ok)

	// Blocking by place and time spares a slot made for one appointment.
	o = r.apply(t, siu("S12", "AP10", "1715", "R1", true))
	assert.Equal(t, Booked, o.Action)
	o = r.apply(t, siu("S23", "SL-X", "1715", "R1", false))
	assert.Equal(t, Unchanged, o.Action)
	_, _, ok = r.feed.Appointment("RXX01", "AP10")
	assert.True(t, ok)

	r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	// An S23 under another filler id finds the slot by place and time.
	o = r.apply(t, siu("S23", "SL-OTHER", "0900", "R1", false))
	assert.Equal(t, SlotBlocked, o.Action)
	assert.Equal(t, "siu:RXX01:SL1", o.SlotID)
	r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	o = r.apply(t, siu("S23", "SL1", "0900", "R1", false))
	assert.Equal(t, SlotBlocked, o.Action)
	_, ok = r.engine.Slot("siu:RXX01:SL1")
	assert.False(t, ok)
	o = r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	assert.Equal(t, SlotOpened, o.Action)
	assert.NotEqual(t, "siu:RXX01:SL1", o.SlotID, "opened again under a new generation of the id")
	o = r.apply(t, siu("S23", "SL1", "0900", "R1", false))
	assert.Equal(t, SlotBlocked, o.Action)
}

func TestDuplicatesAndResends(t *testing.T) {
	r := newRig(t, 0)
	open := siu("S24", "SL1", "0900", "R1", false)
	r.apply(t, open)
	o := r.apply(t, open)
	assert.Equal(t, Duplicate, o.Action)
	assert.Equal(t, "siu:RXX01:SL1", o.SlotID)
	book := siu("S12", "AP1", "0900", "R1", true)
	r.apply(t, book)
	// A new control id for the same booking (a PAS that resends with a
	// fresh MSH-10) changes nothing either.
	o = r.apply(t, siu("S12", "AP1", "0900", "R1", true))
	assert.Equal(t, Unchanged, o.Action)
	snap, err := r.ledger.Snapshot(context.Background())
	require.NoError(t, err)
	require.Len(t, snap.Usage, 1)
	assert.Len(t, snap.Usage[0].Booked, 1)
}

// MSH-10 is unique only within its sender: the same control id from
// another sending application or facility is another message, applied.
func TestControlIDScopedBySender(t *testing.T) {
	r := newRig(t, 0)
	first := siu("S24", "SL1", "0900", "R1", false)
	require.NoError(t, first.Set("MSH-10", "C1"))
	r.apply(t, first)
	for _, sender := range []struct{ path, value, fid string }{
		{"MSH-3", "ORTHOPAS", "SL2"},
		{"MSH-4", "RXX02", "SL3"},
	} {
		m := siu("S24", sender.fid, "1000", "R2", false)
		require.NoError(t, m.Set("MSH-10", "C1"))
		require.NoError(t, m.Set(sender.path, sender.value))
		o := r.apply(t, m)
		assert.Equal(t, SlotOpened, o.Action, sender.path)
	}
	again := siu("S24", "SL1", "0900", "R1", false)
	require.NoError(t, again.Set("MSH-10", "C1"))
	assert.Equal(t, Duplicate, r.apply(t, again).Action)
}

func TestRestartRebuildsFromTheLedger(t *testing.T) {
	r := newRig(t, 1)
	r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	r.apply(t, siu("S12", "AP1", "0900", "R1", true))
	f2, err := New(context.Background(), Config{Ledger: r.ledger, Waitlist: r.list})
	require.NoError(t, err)
	bid, sid, ok := f2.Appointment("RXX01", "AP1")
	require.True(t, ok, "the new feed knows the booking its predecessor made")
	assert.Equal(t, "siu:RXX01:SL1", sid)
	assert.NotEmpty(t, bid)
	o, err := f2.Apply(context.Background(), siu("S15", "AP1", "0900", "R1", true))
	require.NoError(t, err)
	assert.Equal(t, Cancelled, o.Action)
	assert.Len(t, o.Offers, 1)
	// A resend of that cancellation to a third instance is harmless.
	f3, err := New(context.Background(), Config{Ledger: r.ledger})
	require.NoError(t, err)
	o, err = f3.Apply(context.Background(), siu("S15", "AP1", "0900", "R1", true))
	require.NoError(t, err)
	assert.Equal(t, Unchanged, o.Action)
}

func TestRefusals(t *testing.T) {
	r := newRig(t, 0)
	for _, tc := range []struct {
		name, msg string
		code      hl7v2.AckCode
		hl7       string
		want      error
	}{
		{"adt", "MSH|^~\\&|PAS|RXX01|||1||ADT^A01|X1|P|2.5\rPID|1\r", hl7v2.AckReject, "200", ErrUnsupported},
		{"query", "MSH|^~\\&|PAS|RXX01|||1||SIU^S25|X2|P|2.5\rSCH|1\r", hl7v2.AckReject, "201", ErrUnsupported},
		{"structure", "MSH|^~\\&|PAS|RXX01|||1||SIU^S12|X3|P|2.5\rPID|1\rSCH|1\r", hl7v2.AckError, "100", ErrContent},
		{"no filler id", "MSH|^~\\&|PAS|RXX01|||1||SIU^S12|X4|P|2.5\rSCH|P1\rTQ1|1|||||15|20261125\r", hl7v2.AckError, "101", ErrContent},
		{"no time", "MSH|^~\\&|PAS|RXX01|||1||SIU^S12|X5|P|2.5\rSCH||F1\rAIL|1||X\r", hl7v2.AckError, "101", ErrContent},
		{"bad time", "MSH|^~\\&|PAS|RXX01|||1||SIU^S24|X6|P|2.5\rSCH||F1\rTQ1|1|||||15|2026x\r", hl7v2.AckError, "102", ErrContent},
		{"no end", "MSH|^~\\&|PAS|RXX01|||1||SIU^S24|X7|P|2.5\rSCH||F1\rTQ1|1||||||202611250900\rAIL|1||X\r", hl7v2.AckError, "101", ErrContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := hl7v2.Parse([]byte(tc.msg))
			require.NoError(t, err)
			_, err = r.feed.Apply(context.Background(), m)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.hl7, e.HL7Code)
			ack, aerr := Ack(m, err)
			require.NoError(t, aerr)
			a, _ := ack.MSA()
			assert.Equal(t, string(tc.code), a.Code())
			require.Len(t, ack.ERRs(), 1)
			assert.Equal(t, tc.hl7, ack.ERRs()[0].LegacyCode().Code+ack.ERRs()[0].Code().Code)
		})
	}
	// A resent refusal is refused alike.
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RXX01|||1||SIU^S12|X5|P|2.5\rSCH||F1\rAIL|1||X\r"))
	require.NoError(t, err)
	_, err = r.feed.Apply(context.Background(), m)
	require.ErrorIs(t, err, ErrContent)

	// A ledger that fails earns AR, and the resend is tried again.
	fl := &failing{MemoryLedger: booking.NewMemoryLedger(nil), fail: true}
	f, err := New(context.Background(), Config{Ledger: fl})
	require.NoError(t, err)
	open := siu("S24", "SL1", "0900", "R1", false)
	_, err = f.Apply(context.Background(), open)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, hl7v2.AckReject, e.Code)
	assert.ErrorIs(t, err, ErrLedger)
	assert.NotContains(t, err.Error(), "9990000018")
	fl.fail = false
	o, err := f.Apply(context.Background(), open)
	require.NoError(t, err)
	assert.Equal(t, SlotOpened, o.Action)
}

type failing struct {
	*booking.MemoryLedger
	fail bool
}

func (f *failing) AddSlots(ctx context.Context, s ...booking.Slot) ([]booking.Event, error) {
	if f.fail {
		return nil, errors.New("connection refused")
	}
	return f.MemoryLedger.AddSlots(ctx, s...)
}

func TestFeedIsASlotSource(t *testing.T) {
	r := newRig(t, 0)
	r.apply(t, siu("S24", "SL1", "0900", "R1", false))
	r.apply(t, siu("S24", "SL2", "0915", "R1", false))
	r.apply(t, siu("S24", "SL3", "0930", "R1", false))
	r.apply(t, siu("S12", "AP1", "0915", "R1", true))
	r.apply(t, siu("S12", "AP9", "1700", "R1", true)) // outside the opened slots
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, hl7v2.London)
	agg := &booking.Aggregator{Sources: map[string]booking.SlotSource{"RXX01": r.feed}}
	res := agg.Search(context.Background(), booking.Query{Service: "ENT", From: day, To: day.Add(24 * time.Hour)})
	var ids []string
	for _, s := range res.Slots {
		ids = append(ids, s.ID)
	}
	assert.Equal(t, []string{"siu:RXX01:SL1", "siu:RXX01:SL3"}, ids, "free opened slots only, earliest first")
	got, err := r.feed.Slots(context.Background(), booking.Query{Service: "ENT", From: day.Add(9*time.Hour + 20*time.Minute)})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "siu:RXX01:SL3", got[0].ID)
	got, err = r.feed.Slots(context.Background(), booking.Query{Service: "CARDIO"})
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestHandlerEnhancedMode(t *testing.T) {
	fl := &failing{MemoryLedger: booking.NewMemoryLedger(nil), fail: true}
	f, err := New(context.Background(), Config{Ledger: fl})
	require.NoError(t, err)
	h := f.Handler()
	enhanced := func(ctl string) *hl7v2.Message {
		m, err := hl7v2.Parse([]byte("MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20261124090000||SIU^S24^SIU_S12|" + ctl + "|P|2.5.1|||AL|NE\r" +
			"SCH||SL1^PAS\rTQ1|1|||||15^min|20261125090000\rRGS|1\rAIS|1||ENT\rAIL|1||ENTOPD^R1^^RXX01\r"))
		require.NoError(t, err)
		return m
	}
	// The ledger is down: the handler fails, so the server's commit
	// acknowledgement is CE (not stored).
	_, err = h(context.Background(), enhanced("E1"))
	require.ErrorIs(t, err, ErrLedger)
	fl.fail = false
	ack, err := h(context.Background(), enhanced("E1"))
	require.NoError(t, err)
	a, _ := ack.MSA()
	assert.Equal(t, "AA", a.Code())
	// In original mode a ledger failure is an AR acknowledgement.
	fl.fail = true
	ack, err = h(context.Background(), siu("S24", "SL2", "0915", "R1", false))
	require.NoError(t, err)
	a, _ = ack.MSA()
	assert.Equal(t, "AR", a.Code())
	assert.Equal(t, "207", ack.ERRs()[0].Code().Code)
}
