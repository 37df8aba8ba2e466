package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/nhskit/nhskit/spine/notify"
	"github.com/nhskit/nhskit/spine/notify/notifytest"
)

func Example() {
	srv := notifytest.NewServer() // a fake NHS Notify on loopback
	defer srv.Close()
	client, err := notify.New(notify.Config{BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	m := notify.Message{
		RoutingPlanID:   notifytest.PlanFreeTextSMS,
		Reference:       "appt-42-reminder-1", // the same reference is never sent twice
		Recipient:       notify.Recipient{NHSNumber: "9990000018"},
		Personalisation: map[string]string{"sms_body": "Your appointment is on 3 March at 09:00."},
	}
	st, err := client.Send(ctx, m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Status)

	_, err = client.Send(ctx, m) // a retry by the caller
	fmt.Println(errors.Is(err, notify.ErrDuplicateRequest))

	srv.Advance(10 * time.Minute) // the fake's clock: enrichment, then delivery
	st, err = client.Message(ctx, st.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Status, st.Channels[0].Type, st.Channels[0].Status)
	// Output:
	// created
	// true
	// delivered sms delivered
}

func ExampleCallbackHandler() {
	h := &notify.CallbackHandler{
		ApplicationID: "my-app-id", APIKey: "my-callback-key",
		OnMessageStatus: func(_ context.Context, ev notify.MessageStatusEvent) error {
			fmt.Println(ev.Reference, ev.Status)
			return nil
		},
	}
	recv := httptest.NewServer(h)
	defer recv.Close()

	srv := notifytest.NewServer(notifytest.WithCallbacks(recv.URL, "", "my-app-id", "my-callback-key", nil))
	defer srv.Close()
	client, _ := notify.New(notify.Config{BaseURL: srv.URL})
	st, err := client.Send(context.Background(), notify.Message{RoutingPlanID: notifytest.PlanFreeTextNHSApp,
		Reference: "ref-1", Recipient: notify.Recipient{NHSNumber: "9990000018"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Deliver(st.ID)

	// A forged callback is refused.
	resp, err := http.Post(recv.URL, "application/json", nil)
	if err == nil {
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// ref-1 sending
	// ref-1 delivered
	// 401
}
