package remind_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
	"github.com/nhskit/nhskit/waitlist/remind"
)

func Example() {
	srv := notifytest.NewServer() // a fake NHS Notify
	defer srv.Close()
	client, _ := notify.New(notify.Config{BaseURL: srv.URL})

	now := time.Date(2026, 3, 20, 12, 0, 0, 0, remind.London)
	s, err := remind.New(remind.Config{
		Rules: remind.Rules{
			Plans: []remind.Plan{{RoutingPlanID: notifytest.PlanFreeTextNHSAppSMS, Channels: []notify.ChannelType{notify.NHSApp, notify.SMS}}},
			Quiet: remind.QuietHours{From: remind.Clock{Hour: 21}, To: remind.Clock{Hour: 8}},
		},
		Store:  remind.NewMemoryStore(),
		Sender: remind.NotifySender{Client: client},
		Now:    func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	// 09:00 on 31 March, after the clocks go forward on the 29th.
	rs, err := s.Schedule(ctx, remind.Appointment{ID: "booking-1", NHSNumber: "9990000018",
		Start: time.Date(2026, 3, 31, 9, 0, 0, 0, remind.London)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rs {
		fmt.Println(r.Due.In(remind.London).Format("Mon 2 Jan 15:04 MST"))
	}
	now = rs[0].Due
	rep, _ := s.RunDue(ctx)
	fmt.Println(rep.Sent, srv.Stats().Messages)
	// Output:
	// Tue 24 Mar 09:00 GMT
	// Mon 30 Mar 09:00 BST
	// 1 1
}
