package hl7v2

// SIU benchmarks: reading a scheduling message by its structure against
// simhospital's schema-typed segments, and a trust's SIU feed end to end
// (MLLP, parse, ledger, engine, waiting list, ACK) against an MLLP
// receiver that only acknowledges.

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	sim "github.com/google/simhospital/pkg/hl7"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/siufeed"
	"github.com/nhskit/nhskit/booking/siufeed/siufeedtest"
	"github.com/nhskit/nhskit/hl7v2"
	"github.com/nhskit/nhskit/hl7v2/mllp"
	"github.com/nhskit/nhskit/nhsid"
	"github.com/nhskit/nhskit/waitlist"
)

func loadSIU(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/siu_s12.hl7")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkSIURead_nhskit parses an SIU^S12 and reads, by structure,
// the filler id, filler status, start, duration, NHS number, location and
// clinician.
func BenchmarkSIURead_nhskit(b *testing.B) {
	data := loadSIU(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := hl7v2.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		s, err := m.SIU()
		if err != nil {
			b.Fatal(err)
		}
		tm, err := s.Timing()
		if err != nil {
			b.Fatal(err)
		}
		sink = s.SCH.FillerAppointmentID().ID
		sink = s.SCH.FillerStatus().Code
		sink = tm.Start.String()
		sink = tm.End.Sub(tm.Start).String()
		sink = s.Patients[0].PID.NHSNumber().Digits()
		sink = s.Resources[0].Locations[0].Location().Room
		sink = s.Resources[0].Personnel[0].Person().ID
	}
}

// BenchmarkSIURead_simhospital reads the same values through simhospital's
// typed segments (it has no SIU structure: segments are looked up by
// name).
func BenchmarkSIURead_simhospital(b *testing.B) {
	data := loadSIU(b)
	opts := sim.NewParseMessageOptions()
	opts.TimezoneLoc = hl7v2.London
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := sim.ParseMessageWithOptions(data, opts)
		if err != nil {
			b.Fatal(err)
		}
		sch, err := m.SCH()
		if err != nil {
			b.Fatal(err)
		}
		tq1, err := m.TQ1()
		if err != nil {
			b.Fatal(err)
		}
		pid, err := m.PID()
		if err != nil {
			b.Fatal(err)
		}
		ail, err := m.AIL()
		if err != nil {
			b.Fatal(err)
		}
		aip, err := m.AIP()
		if err != nil {
			b.Fatal(err)
		}
		sink = str(sch.FillerAppointmentID.EntityIdentifier)
		sink = str(sch.FillerStatusCode.Identifier)
		sink = tq1.StartDateTime.Time.String()
		sink = tq1.EndDateTime.Time.Sub(tq1.StartDateTime.Time).String()
		sink = str(pid.PatientIdentifierList[0].IDNumber)
		sink = str(ail.LocationResourceID[0].Room)
		sink = str(aip.PersonnelResourceID[0].IDNumber)
	}
}

// BenchmarkSIURead_interleaved reads the message with nhskit and with
// simhospital in turn within each iteration, so both see the same load,
// and reports each time and the ratio.
func BenchmarkSIURead_interleaved(b *testing.B) {
	data := loadSIU(b)
	opts := sim.NewParseMessageOptions()
	opts.TimezoneLoc = hl7v2.London
	var ours, theirs time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		for range 10 {
			m, err := hl7v2.Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			s, err := m.SIU()
			if err != nil {
				b.Fatal(err)
			}
			tm, _ := s.Timing()
			sink = s.SCH.FillerAppointmentID().ID + s.SCH.FillerStatus().Code + tm.Start.String() + tm.End.Sub(tm.Start).String() +
				s.Patients[0].PID.NHSNumber().Digits() + s.Resources[0].Locations[0].Location().Room + s.Resources[0].Personnel[0].Person().ID
		}
		t1 := time.Now()
		for range 10 {
			m, err := sim.ParseMessageWithOptions(data, opts)
			if err != nil {
				b.Fatal(err)
			}
			sch, _ := m.SCH()
			tq1, _ := m.TQ1()
			pid, _ := m.PID()
			ail, _ := m.AIL()
			aip, _ := m.AIP()
			sink = str(sch.FillerAppointmentID.EntityIdentifier) + str(sch.FillerStatusCode.Identifier) + tq1.StartDateTime.Time.String() +
				tq1.EndDateTime.Time.Sub(tq1.StartDateTime.Time).String() + str(pid.PatientIdentifierList[0].IDNumber) +
				str(ail.LocationResourceID[0].Room) + str(aip.PersonnelResourceID[0].IDNumber)
		}
		ours += t1.Sub(t0)
		theirs += time.Since(t1)
		n += 10
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "nhskit-ns/read")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(n), "simhospital-ns/read")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "simhospital/nhskit")
}

// feedDay is a generated trust day (about 250 messages) as parsed
// messages, and a waiting list for it.
func feedDay(b *testing.B) [][]byte {
	b.Helper()
	day := siufeedtest.NewDay(siufeedtest.Options{Seed: 1})
	out := make([][]byte, len(day.Messages))
	for i, m := range day.Messages {
		out[i] = m.Data
	}
	return out
}

// playDay sends every message over one MLLP connection to a server with
// handler h, waiting for each ACK, and returns the time the sends took.
func playDay(b *testing.B, parsed []*hl7v2.Message, h mllp.Handler) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &mllp.Server{Handler: h}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	client := &mllp.Client{Addr: ln.Addr().String()}
	start := time.Now()
	for _, m := range parsed {
		ack, err := client.Send(ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		if a, _ := ack.MSA(); a.Code() == "" {
			b.Fatal("no MSA")
		}
	}
	elapsed := time.Since(start)
	_ = client.Close()
	cancel()
	<-done
	return elapsed
}

func parseAll(b *testing.B, msgs [][]byte) []*hl7v2.Message {
	parsed := make([]*hl7v2.Message, len(msgs))
	for i, d := range msgs {
		m, err := hl7v2.Parse(d)
		if err != nil {
			b.Fatal(err)
		}
		parsed[i] = m
	}
	return parsed
}

// runFeed plays the day once per iteration against a fresh handler and
// reports msg/s over the sends alone.
func runFeed(b *testing.B, msgs [][]byte, newHandler func() mllp.Handler) {
	parsed := parseAll(b, msgs)
	b.ReportAllocs()
	var elapsed time.Duration
	n := 0
	for b.Loop() {
		elapsed += playDay(b, parsed, newHandler())
		n += len(parsed)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msg/s")
}

// feedHandler is a fresh ledger, engine and 40-entry waiting list behind
// a feed's MLLP handler.
func feedHandler(b *testing.B) mllp.Handler {
	now := func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, hl7v2.London) }
	ledger := booking.NewMemoryLedger(now)
	engine := booking.NewEngine(nil, booking.WithClock(now))
	list, err := waitlist.New(waitlist.Config{Store: waitlist.NewMemoryStore(), Ledger: ledger, Now: now, OfferTTL: 48 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	services := []string{"ENT", "CARDIO", "DERM", "OPHTH"}
	for i := 0; i < 40; i++ {
		n, ok := nhsid.TestNHSNumber(uint64(5000 + i))
		if !ok {
			continue
		}
		at := now().AddDate(0, 0, -20-3*i)
		if err := list.Add(context.Background(), &waitlist.Entry{ID: fmt.Sprintf("w%02d", i), NHSNumber: n, Service: services[i%4],
			Priority: waitlist.Routine, Referred: at, Listed: at}, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	feed, err := siufeed.New(context.Background(), siufeed.Config{Ledger: ledger, Engine: engine, Waitlist: list})
	if err != nil {
		b.Fatal(err)
	}
	return feed.Handler()
}

func ackOnly(_ context.Context, m *hl7v2.Message) (*hl7v2.Message, error) {
	return m.Ack(hl7v2.AckAccept, hl7v2.AckOptions{})
}

// BenchmarkSIUFeed_endToEnd: the day through MLLP into a fresh ledger,
// engine and waiting list (40 entries) per iteration, the releases offered
// before each ACK.
func BenchmarkSIUFeed_endToEnd(b *testing.B) {
	runFeed(b, feedDay(b), func() mllp.Handler { return feedHandler(b) })
}

// BenchmarkSIUFeed_ackOnly is the baseline: the same MLLP exchange with a
// handler that only acknowledges.
func BenchmarkSIUFeed_ackOnly(b *testing.B) {
	runFeed(b, feedDay(b), func() mllp.Handler { return ackOnly })
}

// BenchmarkSIUFeed_interleaved plays the day through both in turn within
// each iteration, so the two see the same load on a shared machine, and
// reports each rate and their ratio.
func BenchmarkSIUFeed_interleaved(b *testing.B) {
	parsed := parseAll(b, feedDay(b))
	var feed, ack time.Duration
	n := 0
	for b.Loop() {
		ack += playDay(b, parsed, ackOnly)
		feed += playDay(b, parsed, feedHandler(b))
		n += len(parsed)
	}
	b.ReportMetric(float64(n)/feed.Seconds(), "feed-msg/s")
	b.ReportMetric(float64(n)/ack.Seconds(), "ack-msg/s")
	b.ReportMetric(ack.Seconds()/feed.Seconds(), "feed/ack")
}
