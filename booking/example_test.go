package booking_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/nhskit/nhskit/booking"
)

func Example() {
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, booking.London) // a Tuesday
	at := func(d, h int) time.Time { return day.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
	leeds := &booking.LatLon{Lat: 53.7960, Lon: -1.5479}
	york := &booking.LatLon{Lat: 53.9590, Lon: -1.0815}
	engine := booking.NewEngine([]booking.Slot{
		{ID: "leeds-tue-10", Service: "cardiology", Start: at(0, 10), End: at(0, 10).Add(30 * time.Minute), Position: leeds, Modality: booking.FaceToFace},
		{ID: "leeds-tue-14", Service: "cardiology", Start: at(0, 14), End: at(0, 14).Add(30 * time.Minute), Position: leeds, Modality: booking.FaceToFace},
		{ID: "york-tue-15", Service: "cardiology", Start: at(0, 15), End: at(0, 15).Add(30 * time.Minute), Position: york, Modality: booking.FaceToFace},
		{ID: "leeds-tue-14-derm", Service: "dermatology", Start: at(0, 14), End: at(0, 14).Add(30 * time.Minute), Position: leeds},
	})
	afternoon, _ := booking.ParseWindow("Tuesday afternoon")
	req := booking.Request{
		ID: "referral-1", Service: "cardiology", Earliest: day, Latest: day.AddDate(0, 0, 14),
		Windows: []booking.Window{afternoon}, WindowsRequired: true,
		Origin: leeds, MaxTravel: 45 * time.Minute, Priority: 7,
	}
	for _, c := range engine.Match(req, 5) {
		fmt.Printf("%s %.2f\n", c.SlotID, c.Score)
	}

	events, _ := engine.Book("leeds-tue-14", "referral-1", "")
	fmt.Println(events.Kind, engine.Available("leeds-tue-14"))
	// Output:
	// leeds-tue-14 3.94
	// Booked 0
}

func ExampleEngine_AssignReport() {
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, booking.London) // a Tuesday
	slot := func(id string, h int) booking.Slot {
		start := day.Add(time.Duration(h) * time.Hour)
		return booking.Slot{ID: id, Service: "dermatology", Start: start, End: start.Add(20 * time.Minute), Modality: booking.Video}
	}
	clinic := slot("tue-09", 0)
	clinic.Capacity = 2 // two places, three patients
	engine := booking.NewEngine([]booking.Slot{clinic})
	req := func(id string, priority int) booking.Request {
		return booking.Request{ID: id, Service: "dermatology", Earliest: day.Add(-time.Hour), Latest: day.AddDate(0, 0, 7), Priority: priority}
	}
	res, err := engine.AssignReport([]booking.Request{
		req("urgent", 9), req("routine", 1), req("soon", 6),
		{ID: "no-earliest", Service: "dermatology"},
	}, booking.AssignOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Pairs {
		fmt.Println(p.RequestID, p.SlotID)
	}
	for _, d := range res.Dropped {
		fmt.Println("dropped", d.RequestID, errors.Is(d.Err, booking.ErrNoEarliest))
	}
	// Output:
	// urgent tue-09
	// soon tue-09
	// dropped no-earliest true
}
