package remind_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
	"github.com/nhskit/nhskit/waitlist"
	"github.com/nhskit/nhskit/waitlist/remind"
)

var london = remind.London

func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, london)
}

var plans = []remind.Plan{
	{RoutingPlanID: notifytest.PlanFreeTextNHSAppSMS, Channels: []notify.ChannelType{notify.NHSApp, notify.SMS}},
	{RoutingPlanID: notifytest.PlanFreeTextSMS, Channels: []notify.ChannelType{notify.SMS}},
	{RoutingPlanID: notifytest.PlanFreeTextEmail, Channels: []notify.ChannelType{notify.Email}},
}

func appt(id string, start time.Time) remind.Appointment {
	return remind.Appointment{ID: id, NHSNumber: "9990000018", Start: start, Service: "cardiology", Location: "Outpatients B"}
}

func TestPlanIsDSTCorrect(t *testing.T) {
	r := remind.Rules{Plans: plans}
	// 09:00 on Tuesday 31 March 2026, two days after the clocks go
	// forward (29 March): the week-before reminder is at 09:00 GMT, the
	// day-before at 09:00 BST.
	a := appt("a1", local(2026, 3, 31, 9, 0))
	rs, err := r.Plan(a, local(2026, 3, 1, 0, 0))
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, time.Date(2026, 3, 24, 9, 0, 0, 0, time.UTC), rs[0].Due.UTC())
	assert.Equal(t, time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC), rs[1].Due.UTC())
	assert.Equal(t, "a1.1774944000.0", rs[0].ID)
	assert.Equal(t, notifytest.PlanFreeTextNHSAppSMS, rs[0].RoutingPlanID)
	assert.Equal(t, map[string]string{"appointment_date": "Tuesday 31 March 2026", "appointment_time": "09:00",
		"service": "cardiology", "location": "Outpatients B"}, rs[0].Personalisation)
	// Autumn: clocks go back on 25 October 2026.
	rs, err = r.Plan(appt("a2", local(2026, 10, 26, 9, 30)), local(2026, 10, 1, 0, 0))
	require.NoError(t, err)
	assert.Equal(t, "2026-10-19 09:30 BST", rs[0].Due.In(london).Format("2006-01-02 15:04 MST"))
	assert.Equal(t, "2026-10-25 09:30 GMT", rs[1].Due.In(london).Format("2006-01-02 15:04 MST"))
}

func TestPlanRules(t *testing.T) {
	now := local(2026, 6, 1, 12, 0)
	quiet := remind.QuietHours{From: remind.Clock{Hour: 21}, To: remind.Clock{Hour: 8}}
	for _, tc := range []struct {
		name  string
		rules remind.Rules
		a     remind.Appointment
		want  []string // due times, London
		err   error
	}{
		{"default offsets", remind.Rules{Plans: plans}, appt("x", local(2026, 6, 20, 14, 0)),
			[]string{"2026-06-13 14:00", "2026-06-19 14:00"}, nil},
		{"past reminders dropped", remind.Rules{Plans: plans}, appt("x", local(2026, 6, 5, 14, 0)),
			[]string{"2026-06-04 14:00"}, nil},
		{"hours offset", remind.Rules{Plans: plans, Offsets: []remind.Offset{{Days: 1, Hours: 3}}}, appt("x", local(2026, 6, 20, 14, 0)),
			[]string{"2026-06-19 11:00"}, nil},
		{"quiet: moved to the morning", remind.Rules{Plans: plans, Quiet: quiet, Offsets: []remind.Offset{{Days: 1}}}, appt("x", local(2026, 6, 20, 7, 30)),
			[]string{"2026-06-19 08:00"}, nil},
		{"quiet: moved to the evening before when the morning is too late", remind.Rules{Plans: plans, Quiet: quiet, Offsets: []remind.Offset{{Hours: 3}}}, appt("x", local(2026, 6, 20, 9, 0)),
			[]string{"2026-06-19 20:59"}, nil},
		{"quiet: late evening moved to next morning", remind.Rules{Plans: plans, Quiet: quiet, Offsets: []remind.Offset{{Days: 2}}}, appt("x", local(2026, 6, 20, 22, 0)),
			[]string{"2026-06-19 08:00"}, nil},
		{"too close is skipped", remind.Rules{Plans: plans, Offsets: []remind.Offset{{Hours: 1}}}, appt("x", local(2026, 6, 20, 9, 0)),
			nil, nil},
		{"opted out", remind.Rules{Plans: plans}, func() remind.Appointment {
			a := appt("x", local(2026, 6, 20, 9, 0))
			a.Preferences.OptOut = true
			return a
		}(), nil, nil},
		{"no matching plan", remind.Rules{Plans: plans}, func() remind.Appointment {
			a := appt("x", local(2026, 6, 20, 9, 0))
			a.Preferences.Channels = []notify.ChannelType{notify.Letter}
			return a
		}(), nil, remind.ErrNoPlan},
		{"bad NHS number", remind.Rules{Plans: plans}, func() remind.Appointment {
			a := appt("x", local(2026, 6, 20, 9, 0))
			a.NHSNumber = "9990000019"
			return a
		}(), nil, remind.ErrAppointment},
		{"no id", remind.Rules{Plans: plans}, appt("", local(2026, 6, 20, 9, 0)), nil, remind.ErrAppointment},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := tc.rules.Plan(tc.a, now)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				assert.NotContains(t, err.Error(), "9990000019")
				return
			}
			require.NoError(t, err)
			var got []string
			for _, r := range rs {
				got = append(got, r.Due.In(london).Format("2006-01-02 15:04"))
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPlanPreferences(t *testing.T) {
	r := remind.Rules{Plans: plans}
	for _, tc := range []struct {
		channels []notify.ChannelType
		plan     string
	}{
		{nil, notifytest.PlanFreeTextNHSAppSMS},
		{[]notify.ChannelType{notify.SMS, notify.NHSApp}, notifytest.PlanFreeTextNHSAppSMS},
		{[]notify.ChannelType{notify.SMS}, notifytest.PlanFreeTextSMS},
		{[]notify.ChannelType{notify.Email, notify.Letter}, notifytest.PlanFreeTextEmail},
	} {
		a := appt("p", local(2026, 6, 20, 9, 0))
		a.Preferences.Channels = tc.channels
		rs, err := r.Plan(a, local(2026, 6, 1, 0, 0))
		require.NoError(t, err)
		assert.Equal(t, tc.plan, rs[0].RoutingPlanID, "%v", tc.channels)
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

type env struct {
	srv   *notifytest.Server
	store *remind.MemoryStore
	clock *clock
	sched func(owner string) *remind.Scheduler
}

func newEnv(t *testing.T, mod func(*remind.Config)) *env {
	srv := notifytest.NewServer()
	t.Cleanup(srv.Close)
	client, err := notify.New(notify.Config{BaseURL: srv.URL, MaxAttempts: 1})
	require.NoError(t, err)
	e := &env{srv: srv, store: remind.NewMemoryStore(), clock: &clock{now: local(2026, 6, 1, 12, 0)}}
	e.sched = func(owner string) *remind.Scheduler {
		cfg := remind.Config{Rules: remind.Rules{Plans: plans}, Store: e.store, Sender: remind.NotifySender{Client: client},
			Owner: owner, Now: e.clock.Now}
		if mod != nil {
			mod(&cfg)
		}
		s, err := remind.New(cfg)
		require.NoError(t, err)
		return s
	}
	return e
}

func TestSchedulerSendsOnce(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	s := e.sched("one")
	rs, err := s.Schedule(ctx, appt("b1", local(2026, 6, 20, 9, 0)))
	require.NoError(t, err)
	require.Len(t, rs, 2)
	rep, err := s.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Claimed, "nothing due yet")

	e.clock.Set(local(2026, 6, 13, 9, 0))
	rep, err = s.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, remind.Report{Claimed: 1, Sent: 1}, rep)
	got, ok := e.srv.MessageByReference(rs[0].ID)
	require.True(t, ok)
	assert.Equal(t, notifytest.PlanFreeTextNHSAppSMS, got.RoutingPlan.ID)
	stored, err := e.store.Get(ctx, rs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, remind.Sent, stored.Status)
	assert.Equal(t, got.ID, stored.MessageID)

	rep, err = s.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Claimed)
	assert.Equal(t, 1, e.srv.Stats().Messages)
}

func TestSchedulerRetriesAndFails(t *testing.T) {
	e := newEnv(t, func(c *remind.Config) { c.MaxAttempts = 3 })
	ctx := context.Background()
	s := e.sched("one")
	rs, err := s.Schedule(ctx, appt("r1", local(2026, 6, 20, 9, 0)))
	require.NoError(t, err)
	e.clock.Set(rs[0].Due)
	e.srv.FailNext(1, http.StatusServiceUnavailable)
	rep, err := s.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Retried)
	r, _ := e.store.Get(ctx, rs[0].ID)
	assert.Equal(t, remind.Scheduled, r.Status)
	assert.Equal(t, rs[0].Due.Add(time.Minute), r.Due)
	assert.Contains(t, r.LastError, "503")
	assert.NotContains(t, r.LastError, "9990000018")

	e.clock.Set(r.Due)
	rep, err = s.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Sent)

	// An unknown routing plan is permanent.
	bad := newEnv(t, func(c *remind.Config) {
		c.Plans = []remind.Plan{{RoutingPlanID: "868796f9-7ce3-4730-9f1e-23aa766edea3"}}
	})
	s = bad.sched("one")
	rs, err = s.Schedule(ctx, appt("r2", local(2026, 6, 20, 9, 0)))
	require.NoError(t, err)
	bad.clock.Set(rs[0].Due)
	rep, err = s.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Failed)
	r, _ = bad.store.Get(ctx, rs[0].ID)
	assert.Equal(t, remind.Failed, r.Status)

	// Attempts run out.
	e2 := newEnv(t, func(c *remind.Config) { c.MaxAttempts = 2 })
	s = e2.sched("one")
	rs, err = s.Schedule(ctx, appt("r3", local(2026, 6, 20, 9, 0)))
	require.NoError(t, err)
	e2.srv.FailNext(5, http.StatusServiceUnavailable)
	e2.clock.Set(rs[0].Due)
	_, _ = s.RunDue(ctx)
	e2.clock.Set(rs[0].Due.Add(time.Hour))
	rep, err = s.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Failed)
}

// An instance that dies after NHS Notify accepted the message but before
// it recorded it: after the lease, another instance sends the same
// reference, NHS Notify refuses the duplicate, and the reminder is sent
// once.
func TestCrashMidSendIsSentOnce(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	s1, s2 := e.sched("one"), e.sched("two")
	rs, err := s1.Schedule(ctx, appt("c1", local(2026, 6, 20, 9, 0)))
	require.NoError(t, err)
	e.clock.Set(rs[0].Due)
	claimed, err := e.store.Claim(ctx, "one", e.clock.Now(), 2*time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	client, _ := notify.New(notify.Config{BaseURL: e.srv.URL})
	_, err = remind.NotifySender{Client: client}.Send(ctx, claimed[0]) // ...and instance one dies here
	require.NoError(t, err)

	rep, err := s2.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Claimed, "still leased")
	e.clock.Set(rs[0].Due.Add(3 * time.Minute))
	rep, err = s2.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Sent)
	assert.Equal(t, 1, e.srv.Stats().Messages)
	assert.Equal(t, 1, e.srv.Stats().Duplicates)
	r, _ := e.store.Get(ctx, rs[0].ID)
	assert.Equal(t, remind.Sent, r.Status)
	assert.Equal(t, 2, r.Attempts)
}

func TestRescheduleAndCancel(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	s := e.sched("one")
	a := appt("m1", local(2026, 6, 20, 9, 0))
	first, err := s.Schedule(ctx, a)
	require.NoError(t, err)
	a.Start = local(2026, 6, 27, 15, 0)
	moved, err := s.Schedule(ctx, a)
	require.NoError(t, err)
	require.Len(t, moved, 2)
	assert.NotEqual(t, first[0].ID, moved[0].ID, "a moved appointment's reminders have new references")
	all, err := e.store.List(ctx, "m1")
	require.NoError(t, err)
	count := map[remind.Status]int{}
	for _, r := range all {
		count[r.Status]++
	}
	assert.Equal(t, map[remind.Status]int{remind.Cancelled: 2, remind.Scheduled: 2}, count)
	n, err := s.Cancel(ctx, "m1")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	e.clock.Set(local(2026, 6, 27, 0, 0))
	rep, err := s.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Claimed)
	assert.Zero(t, e.srv.Stats().Messages)
}

func TestSkippedWhenTooLate(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	s := e.sched("one")
	rs, err := s.Schedule(ctx, appt("l1", local(2026, 6, 20, 9, 0)))
	require.NoError(t, err)
	e.clock.Set(local(2026, 6, 20, 8, 0)) // the scheduler was down for days
	rep, err := s.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Skipped)
	r, _ := e.store.Get(ctx, rs[1].ID)
	assert.Equal(t, remind.Skipped, r.Status)
	assert.Zero(t, e.srv.Stats().Messages)
}

// A patient replies "cancel": the booking is cancelled in the ledger, its
// place goes to the waiting list, which offers it, and the remaining
// reminders are cancelled.
func TestCancelReplyReleasesTheSlot(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: local(2026, 6, 1, 12, 0)}
	ledger := booking.NewMemoryLedger(c.Now)
	start := local(2026, 6, 20, 9, 0)
	_, err := ledger.AddSlots(ctx, booking.Slot{ID: "slot-1", Service: "cardiology", Start: start, End: start.Add(20 * time.Minute)})
	require.NoError(t, err)
	bk, _, err := ledger.Book(ctx, booking.BookInput{SlotID: "slot-1", RequestID: "patient-a"})
	require.NoError(t, err)

	wst := waitlist.NewMemoryStore()
	wl, err := waitlist.New(waitlist.Config{Store: wst, Ledger: ledger, Now: c.Now})
	require.NoError(t, err)
	require.NoError(t, wl.Add(ctx, &waitlist.Entry{ID: "e1", NHSNumber: nhsid.NHSNumber("9990000026"), Service: "cardiology",
		Priority: waitlist.Routine, Referred: local(2026, 3, 1, 9, 0), Listed: local(2026, 3, 1, 9, 0),
		Contact: waitlist.Contact{Consent: true, SMS: "07700900000"}}, "clerk"))

	srv := notifytest.NewServer()
	defer srv.Close()
	client, _ := notify.New(notify.Config{BaseURL: srv.URL})
	s, err := remind.New(remind.Config{Rules: remind.Rules{Plans: plans}, Store: remind.NewMemoryStore(),
		Sender: remind.NotifySender{Client: client}, Releaser: remind.LedgerReleaser{Ledger: ledger}, Now: c.Now})
	require.NoError(t, err)
	rs, err := s.Schedule(ctx, remind.Appointment{ID: bk.ID, NHSNumber: "9990000018", Start: start})
	require.NoError(t, err)
	c.Set(rs[0].Due)
	_, err = s.RunDue(ctx)
	require.NoError(t, err)

	act, err := s.HandleReply(ctx, remind.Reply{Reference: rs[0].ID, Text: "  thanks!"})
	require.NoError(t, err)
	assert.Equal(t, remind.ReplyIgnored, act)
	act, err = s.HandleReply(ctx, remind.Reply{Reference: rs[0].ID, Text: "CANCEL please"})
	require.NoError(t, err)
	assert.Equal(t, remind.ReplyCancelled, act)
	act, err = s.HandleReply(ctx, remind.Reply{Reference: rs[0].ID, Text: "cancel"})
	require.NoError(t, err, "a repeated reply is harmless")
	assert.Equal(t, remind.ReplyCancelled, act)
	_, err = s.HandleReply(ctx, remind.Reply{Reference: "unknown", Text: "cancel"})
	assert.ErrorIs(t, err, remind.ErrNotFound)

	got, err := ledger.Booking(ctx, bk.ID)
	require.NoError(t, err)
	assert.Equal(t, booking.StatusCancelled, got.Status)
	r, _ := s.Cancel(ctx, bk.ID)
	assert.Zero(t, r, "the second reminder was cancelled by the reply")

	_, err = wl.ConsumeReleases(ctx, "waitlist", 10)
	require.NoError(t, err)
	offers, err := wst.OpenOffers(ctx, "")
	require.NoError(t, err)
	require.Len(t, offers, 1, "the released place is offered to the waiting list")
	assert.Equal(t, "slot-1", offers[0].SlotID)
	assert.Equal(t, "e1", offers[0].EntryID)
}

func TestNew(t *testing.T) {
	_, err := remind.New(remind.Config{})
	assert.Error(t, err)
	_, err = remind.New(remind.Config{Store: remind.NewMemoryStore(), Sender: remind.NotifySender{}})
	assert.Error(t, err, "no plans")
}

func TestNotifySenderClassifies(t *testing.T) {
	srv := notifytest.NewServer()
	defer srv.Close()
	client, _ := notify.New(notify.Config{BaseURL: srv.URL, MaxAttempts: 1})
	ns := remind.NotifySender{Client: client}
	ctx := context.Background()
	r := remind.Reminder{ID: "x.1", NHSNumber: "9990000018", RoutingPlanID: notifytest.PlanA}
	id, err := ns.Send(ctx, r)
	require.NoError(t, err)
	assert.NotEmpty(t, id)
	id, err = ns.Send(ctx, r)
	require.NoError(t, err, "a duplicate is already sent")
	assert.Empty(t, id)
	for _, tc := range []struct {
		plan      string
		permanent bool
	}{
		{notifytest.PlanInvalidConfig, true},
		{"868796f9-7ce3-4730-9f1e-23aa766edea3", true},
		{notifytest.PlanTooEarly, false},
		{notifytest.PlanServerError, false},
	} {
		r := remind.Reminder{ID: "y." + tc.plan, NHSNumber: "9990000018", RoutingPlanID: tc.plan}
		_, err := ns.Send(ctx, r)
		require.Error(t, err)
		assert.Equal(t, tc.permanent, errors.Is(err, remind.ErrPermanent), tc.plan)
	}
}

func TestConsumeLedger(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	ledger := booking.NewMemoryLedger(e.clock.Now)
	s1, s2 := local(2026, 6, 20, 9, 0), local(2026, 6, 24, 14, 0)
	_, err := ledger.AddSlots(ctx,
		booking.Slot{ID: "s1", Service: "cardiology", Start: s1, End: s1.Add(20 * time.Minute)},
		booking.Slot{ID: "s2", Service: "cardiology", Start: s2, End: s2.Add(20 * time.Minute)})
	require.NoError(t, err)
	starts := map[string]time.Time{"s1": s1, "s2": s2}
	lookup := func(_ context.Context, b booking.Booking) (remind.Appointment, error) {
		return remind.Appointment{NHSNumber: "9990000018", Start: starts[b.SlotID]}, nil
	}
	s := e.sched("one")
	scheduled := func(id string) []string {
		rs, err := e.store.List(ctx, id)
		require.NoError(t, err)
		var out []string
		for _, r := range rs {
			if r.Status == remind.Scheduled {
				out = append(out, r.Due.In(london).Format("01-02 15:04"))
			}
		}
		return out
	}

	bk, _, err := ledger.Book(ctx, booking.BookInput{SlotID: "s1", RequestID: "p1"})
	require.NoError(t, err)
	_, err = s.ConsumeLedger(ctx, ledger, "reminders", 100, lookup)
	require.NoError(t, err)
	assert.Equal(t, []string{"06-13 09:00", "06-19 09:00"}, scheduled(bk.ID))

	_, _, err = ledger.Reschedule(ctx, booking.RescheduleInput{BookingID: bk.ID, ToSlot: "s2"})
	require.NoError(t, err)
	_, err = s.ConsumeLedger(ctx, ledger, "reminders", 100, lookup)
	require.NoError(t, err)
	assert.Equal(t, []string{"06-17 14:00", "06-23 14:00"}, scheduled(bk.ID), "moved with the appointment")

	_, _, err = ledger.Cancel(ctx, booking.CancelInput{BookingID: bk.ID})
	require.NoError(t, err)
	n, err := s.ConsumeLedger(ctx, ledger, "reminders", 100, lookup)
	require.NoError(t, err)
	assert.Positive(t, n)
	assert.Empty(t, scheduled(bk.ID))
}

// Several schedulers sharing one store send each reminder once, with no
// duplicate even offered to NHS Notify.
func TestInstancesShareTheStore(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	var rs []remind.Reminder
	for i := range 60 {
		got, err := e.sched("setup").Schedule(ctx, appt(fmt.Sprint("i", i), local(2026, 6, 20, 9, 0).Add(time.Duration(i)*time.Minute)))
		require.NoError(t, err)
		rs = append(rs, got...)
	}
	e.clock.Set(local(2026, 6, 19, 12, 0))
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for w := range 4 {
		s := e.sched(fmt.Sprint("w", w))
		wg.Go(func() {
			for {
				rep, err := s.RunDue(ctx)
				if !assert.NoError(t, err) || rep.Claimed == 0 {
					return
				}
				mu.Lock()
				sent += rep.Sent
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, len(rs), sent)
	assert.Equal(t, len(rs), e.srv.Stats().Messages)
	assert.Zero(t, e.srv.Stats().Duplicates)
}

// A reply through NHS Notify: the recipient answers the NHS App reminder
// with the keyword CANCEL; the recipient response callback reaches
// HandleReply and the booking is cancelled in the ledger.
func TestReplyThroughNotifyResponse(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: local(2026, 6, 1, 12, 0)}
	ledger := booking.NewMemoryLedger(c.Now)
	start := local(2026, 6, 20, 9, 0)
	_, err := ledger.AddSlots(ctx, booking.Slot{ID: "slot-1", Service: "cardiology", Start: start, End: start.Add(20 * time.Minute)})
	require.NoError(t, err)
	bk, _, err := ledger.Book(ctx, booking.BookInput{SlotID: "slot-1", RequestID: "patient-a"})
	require.NoError(t, err)

	var s *remind.Scheduler
	actions := make(chan remind.ReplyAction, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// In production: notify.ResponseHandler over mutual TLS.
		b, _ := io.ReadAll(r.Body)
		evs, err := notify.ParseResponseCallback(b)
		if !assert.NoError(t, err) {
			w.WriteHeader(400)
			return
		}
		for _, ev := range evs {
			act, err := s.HandleReply(r.Context(), remind.ReplyFromResponse(ev))
			assert.NoError(t, err)
			actions <- act
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer recv.Close()
	srv := notifytest.NewServer(notifytest.WithResponseCallbacks(recv.URL, nil))
	defer srv.Close()
	client, _ := notify.New(notify.Config{BaseURL: srv.URL})
	s, err = remind.New(remind.Config{Rules: remind.Rules{Plans: plans}, Store: remind.NewMemoryStore(),
		Sender: remind.NotifySender{Client: client}, Releaser: remind.LedgerReleaser{Ledger: ledger}, Now: c.Now})
	require.NoError(t, err)
	rs, err := s.Schedule(ctx, remind.Appointment{ID: bk.ID, NHSNumber: "9990000018", Start: start})
	require.NoError(t, err)
	c.Set(rs[0].Due)
	_, err = s.RunDue(ctx)
	require.NoError(t, err)
	sent, ok := srv.MessageByReference(rs[0].ID)
	require.True(t, ok)
	require.NoError(t, srv.Deliver(sent.ID))
	_, accepted, err := srv.Respond(sent.ID, "CANCEL")
	require.NoError(t, err)
	assert.True(t, accepted)
	assert.Equal(t, remind.ReplyCancelled, <-actions)
	got, err := ledger.Booking(ctx, bk.ID)
	require.NoError(t, err)
	assert.Equal(t, booking.StatusCancelled, got.Status)
}

func TestRun(t *testing.T) {
	e := newEnv(t, nil)
	s := e.sched("one")
	rs, err := s.Schedule(context.Background(), appt("run1", local(2026, 6, 20, 9, 0)))
	require.NoError(t, err)
	e.clock.Set(rs[1].Due)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = s.Run(ctx, 20*time.Millisecond)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 2, e.srv.Stats().Messages, "both due reminders sent by the loop")
}

// uncountedStore is a Store whose Claim does not count the attempt, as a
// Store written elsewhere might get wrong.
type uncountedStore struct{ *remind.MemoryStore }

func (u uncountedStore) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]remind.Reminder, error) {
	rs, err := u.MemoryStore.Claim(ctx, owner, now, lease, limit)
	for i := range rs {
		rs[i].Attempts = 0
	}
	return rs, err
}

// The retry wait never panics (a negative shift) nor overflows, whatever
// the Store counted and however large RetryBase is: it is at most an hour
// and never in the past.
func TestRetryWaitIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(*remind.MemoryStore) remind.Store
		base  time.Duration
		fails int
	}{
		{"store that does not count attempts", func(m *remind.MemoryStore) remind.Store { return uncountedStore{m} }, 0, 1},
		{"large retry base", func(m *remind.MemoryStore) remind.Store { return m }, 1000 * time.Hour, 19},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *env
			e = newEnv(t, func(c *remind.Config) {
				c.Store, c.RetryBase, c.MaxAttempts = tc.store(e.store), tc.base, 100
			})
			ctx := context.Background()
			s := e.sched("one")
			rs, err := s.Schedule(ctx, appt("w1", local(2026, 6, 20, 9, 0)))
			require.NoError(t, err)
			e.srv.FailNext(tc.fails, http.StatusServiceUnavailable)
			now := rs[0].Due
			for i := 0; i < tc.fails; i++ {
				e.clock.Set(now)
				rep, err := s.RunDue(ctx)
				require.NoError(t, err)
				require.Equal(t, 1, rep.Retried, "attempt %d", i+1)
				r, err := e.store.Get(ctx, rs[0].ID)
				require.NoError(t, err)
				assert.True(t, r.Due.After(now), "attempt %d: retry at %s, not after %s", i+1, r.Due, now)
				assert.LessOrEqual(t, r.Due.Sub(now), time.Hour, "attempt %d", i+1)
				now = r.Due
			}
		})
	}
}
