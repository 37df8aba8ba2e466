package siufeed

import (
	"context"
	"errors"
	"testing"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/hl7v2"
)

// FuzzApply: any message is applied or refused with an *Error, never a
// panic, and the ledger stays consistent with the feed's view.
func FuzzApply(f *testing.F) {
	for _, tr := range []string{"S24", "S12", "S13", "S14", "S15", "S17", "S23", "S26"} {
		f.Add(siu(tr, "F1", "0900", "R1", tr != "S24" && tr != "S23").Encode())
	}
	f.Add([]byte("MSH|^~\\&|PAS|RXX01|||1||SIU^S12|X5|P|2.5\rSCH||F1\rAIL|1||X|20261125\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7v2.Parse(data)
		if err != nil {
			return
		}
		ledger := booking.NewMemoryLedger(nil)
		feed, err := New(context.Background(), Config{Ledger: ledger})
		if err != nil {
			t.Fatal(err)
		}
		// Open a slot first, so bookings and cancellations have one to use.
		_, _ = feed.Apply(context.Background(), siu("S24", "F1", "0900", "R1", false))
		for i := 0; i < 2; i++ { // the second time is a resend
			_, err = feed.Apply(context.Background(), m)
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("error %T is not a *siufeed.Error", err)
			}
			if err != nil && e.Code != hl7v2.AckError && e.Code != hl7v2.AckReject {
				t.Fatalf("code %s", e.Code)
			}
		}
		snap, err := ledger.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range snap.Usage {
			if len(u.Booked) > 1 {
				t.Fatalf("slot %s booked %d times", u.SlotID, len(u.Booked))
			}
		}
		for _, s := range snap.Slots {
			if _, ok := feed.Slot(s.ID); !ok {
				t.Fatalf("ledger slot %s unknown to the feed", s.ID)
			}
		}
	})
}
