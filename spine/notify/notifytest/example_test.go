package notifytest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
)

func Example() {
	srv := notifytest.NewServer()
	defer srv.Close()
	client, _ := notify.New(notify.Config{BaseURL: srv.URL, MaxAttempts: 1})
	ctx := context.Background()

	// The NHS App fails for this patient: the routing plan falls back to SMS.
	srv.SetOutcome("9990000026", notify.NHSApp, notify.ChannelFailed)
	st, _ := client.Send(ctx, notify.Message{RoutingPlanID: notifytest.PlanFreeTextNHSAppSMS,
		Reference: "ref-1", Recipient: notify.Recipient{NHSNumber: "9990000026"}})
	srv.Advance(30 * time.Second) // enriched: the NHS App is tried
	srv.Advance(5 * time.Minute)  // the NHS App fails, SMS is tried
	srv.Advance(5 * time.Minute)  // SMS delivered
	got, _ := client.Message(ctx, st.ID)
	for _, c := range got.Channels {
		fmt.Println(c.Type, c.Status)
	}
	fmt.Println(got.Status)

	// Faults in the fakes' common vocabulary.
	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err := client.Message(ctx, st.ID)
	fmt.Println(errors.Is(err, notify.ErrServiceUnavailable))
	// Output:
	// nhsapp failed
	// sms delivered
	// delivered
	// true
}
