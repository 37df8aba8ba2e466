// Command appointmentd is the appointment API as a running service: on
// loopback, with synthetic slots for three trusts (their feeds) and two GP
// practices (gpconnecttest fakes reached through spine/gpconnect), a
// waiting list that is offered every released place, and the ledger in
// memory or, with -postgres, on PostgreSQL shared with other instances.
//
//	go run ./examples/appointmentd               # in memory
//	go run ./examples/appointmentd -postgres URL # shared ledger
//
// It prints its URL and a few curl lines; README.md walks through search,
// book, reschedule, cancel, the offer to the waiting list and its accept.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/appointments"
	"github.com/nhskit/nhskit/booking/pgstore"
	"github.com/nhskit/nhskit/spine/gpconnect"
	"github.com/nhskit/nhskit/spine/gpconnect/gpconnecttest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "appointmentd:", err)
		os.Exit(1)
	}
}

type trust struct {
	name, ods, city string
	pos             booking.LatLon
}

// Three synthetic trusts; ODS codes and positions are the real hospitals'
// public ones, the clinics are invented.
var trusts = []trust{
	{"Manchester University", "R0A", "Manchester", booking.LatLon{Lat: 53.4627, Lon: -2.2264}},
	{"Leeds Teaching Hospitals", "RR8", "Leeds", booking.LatLon{Lat: 53.8017, Lon: -1.5520}},
	{"Sheffield Teaching Hospitals", "RHQ", "Sheffield", booking.LatLon{Lat: 53.3780, Lon: -1.4900}},
}

// clinics makes a trust's fortnight of outpatient clinics from monday:
// cardiology and dermatology, mornings and afternoons, 30-minute slots,
// one in four by video.
func clinics(t trust, monday time.Time) []booking.Slot {
	var out []booking.Slot
	pos := t.pos
	for d := range 14 {
		day := monday.AddDate(0, 0, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, svc := range []string{"cardiology", "dermatology"} {
			for _, h := range []int{9, 10, 11, 14, 15, 16} {
				start := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, booking.London)
				s := booking.Slot{
					ID:      fmt.Sprintf("%s-%s-%s-%02d", t.ods, svc[:4], day.Format("0102"), h),
					Service: svc, Start: start, End: start.Add(30 * time.Minute),
					Site: t.ods, Location: t.city + " (" + t.name + ")", Position: &pos,
					Modality: booking.FaceToFace, Source: t.ods,
				}
				if h == 16 {
					s.Modality, s.Position = booking.Video, nil
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// practiceSource answers searches for general practice only, from a GP
// Connect practice.
func practiceSource(c *gpconnect.Client, name string) booking.SlotSource {
	src := &gpconnect.SlotSource{Client: c, Name: name, BookingODS: "RR8"}
	return booking.SlotSourceFunc(func(ctx context.Context, q booking.Query) ([]booking.Slot, error) {
		if q.Service != "general-practice" {
			return nil, nil
		}
		// GP Connect allows at most two weeks per search.
		if q.To.Sub(q.From) > 14*24*time.Hour {
			q.To = q.From.Add(14 * 24 * time.Hour)
		}
		return src.Slots(ctx, q)
	})
}

// waitingList is the demonstration's waiting list: patients wait per
// service; each released place is offered to the first with a hold keyed
// by the release, so however often the release is delivered it makes one
// offer. (waitlist.List is the full version.)
type waitingList struct {
	ledger booking.Ledger
	ttl    time.Duration

	mu      sync.Mutex
	waiting map[string][]string // service -> patients
	offers  map[string]offer    // hold id -> offer
}

type offer struct {
	Hold    string    `json:"hold"`
	Slot    string    `json:"slot"`
	Patient string    `json:"patient"`
	Expires time.Time `json:"expires"`
}

func (w *waitingList) onEvent(ctx context.Context, ev booking.Event) error {
	if ev.Kind != booking.SlotReleased {
		return nil
	}
	w.mu.Lock()
	queue := w.waiting[ev.Slot.Service]
	w.mu.Unlock()
	if len(queue) == 0 {
		return nil
	}
	h, _, err := w.ledger.Hold(ctx, booking.HoldInput{SlotID: ev.SlotID, TTL: w.ttl, Key: "offer-" + strconv.FormatUint(ev.Seq, 10), Actor: "waitlist", Reason: "released place"})
	if errors.Is(err, booking.ErrNoCapacity) || errors.Is(err, booking.ErrUnknownSlot) {
		return nil // taken again already
	}
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.offers[h.ID]; !seen {
		w.offers[h.ID] = offer{Hold: h.ID, Slot: ev.SlotID, Patient: queue[0], Expires: h.Expires.UTC()}
		w.waiting[ev.Slot.Service] = queue[1:]
	}
	return nil
}

func (w *waitingList) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /waitlist/{service}/{patient}", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.waiting[r.PathValue("service")] = append(w.waiting[r.PathValue("service")], r.PathValue("patient"))
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /waitlist/offers", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		out := make([]offer, 0, len(w.offers))
		for _, o := range w.offers {
			out = append(out, o)
		}
		w.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].Hold < out[j].Hold })
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(out)
	})
	mux.HandleFunc("POST /waitlist/offers/{hold}/accept", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		o, ok := w.offers[r.PathValue("hold")]
		w.mu.Unlock()
		if !ok {
			http.Error(rw, "no such offer", http.StatusNotFound)
			return
		}
		b, _, err := w.ledger.Book(r.Context(), booking.BookInput{SlotID: o.Slot, RequestID: o.Patient, HoldID: o.Hold,
			Key: "accept-" + o.Hold, Actor: o.Patient, Reason: "accepted waiting-list offer"})
		if err != nil {
			http.Error(rw, "offer can no longer be accepted", http.StatusConflict)
			return
		}
		w.mu.Lock()
		delete(w.offers, o.Hold)
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(rw).Encode(map[string]any{"id": b.ID, "slot": b.SlotID, "patient": b.RequestID, "status": b.Status})
	})
}

// run starts the service and blocks until ctx ends. ready, when set,
// receives the base URL once it listens.
func run(ctx context.Context, args []string, out io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("appointmentd", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback by default)")
	pg := fs.String("postgres", "", "PostgreSQL URL for a ledger shared with other instances (default: in memory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var ledger booking.Ledger
	if *pg != "" {
		l, err := pgstore.Open(ctx, *pg)
		if err != nil {
			return err
		}
		defer l.Close()
		ledger = l
	} else {
		ledger = booking.NewMemoryLedger(nil)
	}
	// Tomorrow's Monday or later: the trusts' fortnight of clinics.
	now := time.Now().In(booking.London)
	monday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, booking.London).AddDate(0, 0, 1)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, 1)
	}
	for _, t := range trusts {
		// The trusts' feeds go straight into the ledger; another instance
		// may have loaded them already.
		for _, s := range clinics(t, monday) {
			if _, err := ledger.AddSlots(ctx, s); err != nil && !errors.Is(err, booking.ErrDuplicateID) {
				return err
			}
		}
	}

	// Two GP practices, reached through GP Connect; their slots join the
	// ledger when a search for general practice finds them.
	sources := map[string]booking.SlotSource{}
	for i, p := range []struct{ ods, asid, name string }{
		{"A81001", "918999198993", "Riverside Medical Practice"},
		{"B82005", "918999198994", "Moorside Surgery"},
	} {
		practice := gpconnecttest.NewServer(gpconnecttest.WithODSCode(p.ods), gpconnecttest.WithASID(p.asid), gpconnecttest.WithName(p.name))
		defer practice.Close()
		c, err := gpconnect.New(gpconnect.Config{
			BaseURL: practice.URL, ConsumerASID: "200000000359", ProviderASID: practice.ASID,
			HTTPClient: practice.Client(),
			Requester: gpconnect.Requester{
				Issuer:           "https://appointmentd.example.nhs.uk",
				Device:           gpconnect.Device{System: "https://appointmentd.example.nhs.uk/Id/device", Value: "appointmentd", Model: "appointmentd", Version: "1"},
				OrganizationODS:  "RR8",
				OrganizationName: "Appointment Hub",
				Practitioner: gpconnect.RequestingPractitioner{ID: strconv.Itoa(i + 1), SDSUserID: "111222333444", SDSRoleProfileID: "444555666777",
					LocalSystem: "https://appointmentd.example.nhs.uk/Id/user", LocalID: "booker-1", Family: "Booker"},
			},
		})
		if err != nil {
			return err
		}
		sources[p.ods] = practiceSource(c, p.ods)
	}

	engine := booking.NewEngine(nil)
	if err := engine.Sync(ctx, ledger); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	onErr := func(err error) { logger.Warn("ledger follow", "err", err) }
	wg.Go(func() { _ = booking.Follow(bg, ledger, engine, time.Second, onErr) })
	wl := &waitingList{ledger: ledger, ttl: 2 * time.Hour, waiting: map[string][]string{}, offers: map[string]offer{}}
	wg.Go(func() {
		_ = appointments.Consume(bg, ledger, "appointmentd-waitlist", 500*time.Millisecond, wl.onEvent)
	})

	h, err := appointments.New(appointments.Config{
		Ledger: ledger, Engine: engine, Logger: logger,
		Sources: &appointments.Aggregator{Sources: sources, Timeout: 2 * time.Second},
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	wl.routes(mux)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	day := monday.AddDate(0, 0, 1).Format("2006-01-02")
	fmt.Fprintf(out, "appointmentd listening on %s (ledger: %s)\n\n", base, map[bool]string{true: "PostgreSQL", false: "memory"}[*pg != ""])
	fmt.Fprintf(out, "  curl '%s/api/appointments/available?service=cardiology&weekday=tue&partOfDay=afternoon&modality=face-to-face&lat=53.80&lon=-1.55&maxTravelMinutes=45&limit=3'\n", base)
	fmt.Fprintf(out, "  curl -X POST %s/api/appointments/book -H 'Idempotency-Key: demo-1' -d '{\"slotId\":\"RR8-card-%s-14\",\"patient\":\"pat-1\"}'\n", base, monday.AddDate(0, 0, 1).Format("0102"))
	fmt.Fprintf(out, "  curl '%s/fhir/Slot?status=free&start=ge%s&end=le%s&_include=Slot:schedule&service-type=general-practice'\n", base, day, day)
	fmt.Fprintf(out, "  curl %s/api/openapi.json\n\n", base)
	if ready != nil {
		ready <- base
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	return ctx.Err()
}
