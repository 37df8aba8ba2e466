// Command slotfinder generates a realistic week of outpatient slots at
// four Yorkshire trusts, gathers them through a booking.Aggregator (one
// source per trust, one of which is down), and finds "any Tuesday
// afternoon cardiology within 45 minutes" for a patient in Leeds:
//
//	go run ./examples/slotfinder
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/nhskit/nhskit/booking"
)

type trust struct {
	name string
	ods  string
	pos  booking.LatLon
}

var trusts = []trust{
	{"Leeds Teaching Hospitals", "RR8", booking.LatLon{Lat: 53.8017, Lon: -1.5520}},
	{"York and Scarborough", "RCB", booking.LatLon{Lat: 53.9690, Lon: -1.0840}},
	{"Bradford Teaching Hospitals", "RAE", booking.LatLon{Lat: 53.8070, Lon: -1.7960}},
	{"Sheffield Teaching Hospitals", "RHQ", booking.LatLon{Lat: 53.3780, Lon: -1.4900}},
}

// week makes a trust's clinics for the week from monday: each weekday a
// morning and an afternoon session per service, 20-minute slots, some
// already booked (left out), some by video.
func week(t trust, monday time.Time, rng *rand.Rand) []booking.Slot {
	var out []booking.Slot
	pos := t.pos
	for d := 0; d < 5; d++ {
		for _, svc := range []string{"cardiology", "dermatology", "respiratory"} {
			for _, session := range [][2]int{{9, 12}, {13, 17}} {
				start := time.Date(monday.Year(), monday.Month(), monday.Day()+d, session[0], 0, 0, 0, booking.London)
				end := time.Date(monday.Year(), monday.Month(), monday.Day()+d, session[1], 0, 0, 0, booking.London)
				for s := start; s.Before(end); s = s.Add(20 * time.Minute) {
					if rng.IntN(10) < 5 {
						continue // already booked
					}
					m := booking.FaceToFace
					if rng.IntN(5) == 0 {
						m = booking.Video
					}
					out = append(out, booking.Slot{
						ID: fmt.Sprintf("%s-%s-%s", t.ods, svc, s.Format("0102-1504")), Service: svc,
						Start: s, End: s.Add(20 * time.Minute), Site: t.ods, Location: t.name,
						Position: &pos, Modality: m, Accessibility: []string{"step-free"},
					})
				}
			}
		}
	}
	return out
}

func main() {
	if err := run(os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "slotfinder:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, now time.Time) error {
	local := now.In(booking.London)
	monday := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, booking.London)
	for monday.Weekday() != time.Monday || !monday.After(local) {
		monday = monday.AddDate(0, 0, 1)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	agg := &booking.Aggregator{Timeout: time.Second, Sources: map[string]booking.SlotSource{}}
	for i, t := range trusts {
		slots := week(t, monday, rng)
		down := i == len(trusts)-1
		agg.Sources[t.ods] = booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
			if down {
				return nil, fmt.Errorf("PAS interface unavailable")
			}
			var out []booking.Slot
			for _, s := range slots {
				if s.Service == q.Service && !s.Start.Before(q.From) && !s.End.After(q.To) {
					out = append(out, s)
				}
			}
			return out, nil
		})
	}
	q := booking.Query{Service: "cardiology", From: monday, To: monday.AddDate(0, 0, 7)}
	res := agg.Search(context.Background(), q)
	fmt.Fprintf(w, "gathered %d cardiology slots for the week of %s\n", len(res.Slots), monday.Format("Mon 2 Jan 2006"))
	for _, r := range res.Reports {
		status := fmt.Sprintf("%d slots", r.Slots)
		if r.Err != nil {
			status = "unavailable: " + r.Err.Error()
		}
		fmt.Fprintf(w, "  %-4s %s\n", r.Source, status)
	}

	engine := booking.NewEngine(res.Slots)
	if err := engine.Err(); err != nil {
		return err
	}
	afternoon, err := booking.ParseWindow("Tuesday afternoon")
	if err != nil {
		return err
	}
	home := booking.LatLon{Lat: 53.8200, Lon: -1.5800} // Headingley, Leeds
	req := booking.Request{
		ID: "referral-42", Service: "cardiology", Earliest: monday, Latest: monday.AddDate(0, 0, 7),
		Windows: []booking.Window{afternoon}, WindowsRequired: true,
		Origin: &home, MaxTravel: 45 * time.Minute, Priority: 6,
		Modalities: []booking.Modality{booking.FaceToFace}, Accessibility: []string{"step-free"},
	}
	cands := engine.Match(req, 5)
	fmt.Fprintf(w, "any Tuesday afternoon cardiology within 45 minutes of Headingley: %d best of the candidates\n", len(cands))
	for _, c := range cands {
		s, _ := engine.Slot(c.SlotID)
		fmt.Fprintf(w, "  %s  %-28s travel %3.0f min  score %.2f (wait %.2f, travel %.2f, fit %.2f, priority %.2f)\n",
			s.Start.In(booking.London).Format("Tue 15:04"), s.Location, c.Travel.Minutes(), c.Score,
			c.Breakdown.Wait, c.Breakdown.Travel, c.Breakdown.Preference, c.Breakdown.Priority)
	}
	if len(cands) == 0 {
		return fmt.Errorf("no slot meets the request")
	}
	ev, err := engine.Book(cands[0].SlotID, req.ID, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "booked %s for %s\n", ev.SlotID, req.ID)
	return nil
}
