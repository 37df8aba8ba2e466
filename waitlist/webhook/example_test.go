package webhook_test

import (
	"fmt"
	"time"

	"github.com/nhskit/nhskit/waitlist/webhook"
)

func Example() {
	secret := []byte("shared-secret")
	body := []byte(`{"kind":"offer-made"}`)
	sent := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	header := webhook.Sign(secret, body, sent)
	fmt.Println(webhook.Verify(secret, header, body, sent.Add(time.Minute), 0))
	fmt.Println(webhook.Verify(secret, header, []byte(`{"kind":"tampered"}`), sent.Add(time.Minute), 0) != nil)
	fmt.Println(webhook.Verify(secret, header, body, sent.Add(time.Hour), 0) != nil) // stale
	// Output:
	// <nil>
	// true
	// true
}
