package siufeed_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/siufeed"
	"github.com/nhskit/nhskit/hl7v2"
)

func Example() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, hl7v2.London) }
	ledger := booking.NewMemoryLedger(now)
	engine := booking.NewEngine(nil, booking.WithClock(now))
	feed, err := siufeed.New(ctx, siufeed.Config{Ledger: ledger, Engine: engine})
	if err != nil {
		fmt.Println(err)
		return
	}
	// In a service: (&mllp.Server{Handler: feed.Handler()}).Serve(ctx, ln).
	for _, er7 := range []string{
		"MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20261124090000||SIU^S24^SIU_S12|M1|P|2.5.1\r" +
			"SCH||SL-ENT-0900^PAS\rTQ1|1|||||15^min|20261125090000\rRGS|1\rAIS|1||ENT\rAIL|1||ENTOPD^R1^^RXX01\r",
		"MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20261124090100||SIU^S12^SIU_S12|M2|P|2.5.1\r" +
			"SCH||AP-00001^PAS\rTQ1|1|||||15^min|20261125090000\rPID|1||9990000018^^^NHS^NH\rRGS|1\rAIS|1||ENT\rAIL|1||ENTOPD^R1^^RXX01\r",
		"MSH|^~\\&|PAS|RXX01|NHSKIT|RXX01|20261124090200||SIU^S15^SIU_S12|M3|P|2.5.1\r" +
			"SCH||AP-00001^PAS\rTQ1|1|||||15^min|20261125090000\rPID|1||9990000018^^^NHS^NH\rRGS|1\rAIS|1||ENT\rAIL|1||ENTOPD^R1^^RXX01\r",
	} {
		msg, _ := hl7v2.Parse([]byte(er7))
		out, err := feed.Apply(ctx, msg)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(out.Trigger, out.Action, out.SlotID, "free:", engine.Available(out.SlotID))
	}
	// Output:
	// S24 slot-opened siu:RXX01:SL-ENT-0900 free: 1
	// S12 booked siu:RXX01:SL-ENT-0900 free: 0
	// S15 cancelled siu:RXX01:SL-ENT-0900 free: 1
}
