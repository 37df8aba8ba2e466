package appointments_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/appointments"
)

func Example() {
	ctx := context.Background()
	// The ledger every instance shares (booking/pgstore in production).
	ledger := booking.NewMemoryLedger(nil)
	start := time.Date(2030, 3, 5, 14, 0, 0, 0, booking.London) // a Tuesday afternoon
	_, _ = ledger.AddSlots(ctx, booking.Slot{ID: "mri-tue-14", Service: "cardiology", Start: start, End: start.Add(30 * time.Minute),
		Location: "Manchester Royal Infirmary", Modality: booking.FaceToFace, Source: "trust-a"})

	// This instance's engine follows the ledger.
	engine := booking.NewEngine(nil)
	_ = engine.Sync(ctx, ledger)
	h, _ := appointments.New(appointments.Config{Ledger: ledger, Engine: engine,
		Now: func() time.Time { return start.AddDate(0, 0, -1) }})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, _ := http.Get(srv.URL + "/api/appointments/available?service=cardiology&weekday=tue&partOfDay=afternoon")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"id":"mri-tue-14"`))

	req, _ := http.NewRequest("POST", srv.URL+"/api/appointments/book", strings.NewReader(`{"slotId":"mri-tue-14","patient":"pat-1"}`))
	req.Header.Set("Idempotency-Key", "booking-1")
	for range 2 { // a retry books once
		resp, _ = http.DefaultClient.Do(req.Clone(ctx))
		req.Body = io.NopCloser(strings.NewReader(`{"slotId":"mri-tue-14","patient":"pat-1"}`))
		fmt.Println(resp.StatusCode, "replayed:", resp.Header.Get("Idempotent-Replayed") == "true")
		resp.Body.Close()
	}
	fmt.Println(engine.Available("mri-tue-14"))
	// Output:
	// 200 true
	// 201 replayed: false
	// 201 replayed: true
	// 0
}
