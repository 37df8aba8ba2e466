package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/booking/ledgertest"
)

// stressFor is how long each phase of TestInstances runs (10 s unless
// NHSKIT_STRESS says otherwise, e.g. "3s" for a quick local run).
func stressFor(t *testing.T) time.Duration {
	if v := os.Getenv("NHSKIT_STRESS"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("NHSKIT_STRESS: %v", err)
		}
		return d
	}
	return 10 * time.Second
}

const (
	instances = 4
	workers   = 64 // in all, spread over the instances
	nSlots    = 200
	slotCap   = 2
)

// TestInstances runs 4 service instances in one process, each with its own
// pool, engine and waiting-list consumer, and 64 workers booking,
// rescheduling and cancelling over 200 slots, retrying with the same
// idempotency keys whenever an answer is lost; once plainly, once with the
// server killed with SIGKILL and restarted mid-run, and once with one
// instance's context cancelled mid-run. After each: no slot ever over
// capacity (replaying the whole log), every acknowledged change in the
// database, no booking lost or duplicated, every released place handled by
// the waiting-list consumer exactly once, and every engine in step.
func TestInstances(t *testing.T) {
	dsn(t)
	for _, phase := range []string{"plain", "kill-server", "cancel-instance"} {
		t.Run(phase, func(t *testing.T) { runStress(t, phase) })
	}
}

type known struct {
	slot    string
	version int64
}

type worker struct {
	id     int
	inst   *instance
	rng    *rand.Rand
	mine   map[string]known // booking id -> what this worker last had acknowledged
	closed map[string]bool  // bookings this worker cancelled
	keys   map[string]bool  // every key this worker used
	n      int
}

type instance struct {
	l      *Ledger
	e      *booking.Engine
	ctx    context.Context
	cancel context.CancelFunc
}

// offers records what the waiting-list consumers did with each released
// place, by event sequence number.
type offers struct {
	mu      sync.Mutex
	hold    map[uint64]string // the offer's hold
	noPlace map[uint64]bool   // the place was taken again before the offer
	dup     []string
}

func runStress(t *testing.T, phase string) {
	ctx := context.Background()
	admin := open(t)
	if err := admin.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	slots := ledgertest.Slots("st", nSlots, slotCap)
	if _, err := admin.AddSlots(ctx, slots...); err != nil {
		t.Fatal(err)
	}
	insts := make([]*instance, instances)
	for i := range insts {
		l, err := Open(ctx, dsn(t))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ictx, cancel := context.WithCancel(ctx)
		insts[i] = &instance{l: l, e: booking.NewEngine(nil), ctx: ictx, cancel: cancel}
	}
	followCtx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	var bg sync.WaitGroup
	of := &offers{hold: map[uint64]string{}, noPlace: map[uint64]bool{}}
	for _, in := range insts {
		bg.Go(func() { _ = booking.Follow(followCtx, in.l, in.e, 100*time.Millisecond, nil) })
		bg.Go(func() { consumeLoop(followCtx, in.l, of) })
	}

	dur := stressFor(t)
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	ws := make([]*worker, workers)
	var acks atomic.Int64
	cancels.Store(0)
	for i := range ws {
		w := &worker{id: i, inst: insts[i%instances], rng: rand.New(rand.NewPCG(uint64(i), 42)),
			mine: map[string]known{}, closed: map[string]bool{}, keys: map[string]bool{}}
		ws[i] = w
		wg.Go(func() {
			// Run for the phase's time, and on (for at most 30 s more) until
			// enough cancellations have happened to check offers on a
			// slow machine.
			for w.inst.ctx.Err() == nil && (time.Now().Before(deadline) || (cancels.Load() < 50 && time.Now().Before(deadline.Add(30*time.Second)))) {
				if w.step(t) {
					acks.Add(1)
				}
			}
		})
	}
	switch phase {
	case "kill-server":
		time.Sleep(dur / 3)
		err := testServer.kill()
		if err == nil {
			time.Sleep(500 * time.Millisecond)
			err = testServer.start()
		}
		if err != nil {
			// Stop the workers before failing, so none reports after the
			// test has ended.
			for _, in := range insts {
				in.cancel()
			}
			wg.Wait()
			t.Fatal(err)
		}
		t.Log("server killed with SIGKILL and restarted")
	case "cancel-instance":
		time.Sleep(dur / 2)
		insts[3].cancel() // its in-flight transactions are abandoned mid-way
		t.Log("instance 3's context cancelled")
	}
	wg.Wait()
	// The cancelled instance comes back (as a restarted process would) and
	// settles what it had in flight, with the same keys.
	if insts[3].ctx.Err() != nil {
		insts[3].ctx = ctx
		for _, w := range ws {
			if w.inst == insts[3] {
				w.settle(t)
			}
		}
	}
	// Let the consumers drain the log, then stop them.
	var last uint64
	if err := admin.pool.QueryRow(ctx, `SELECT last FROM ledger_seq`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		var c int64
		err := admin.pool.QueryRow(ctx, `SELECT cursor FROM ledger_consumers WHERE name = 'waitlist'`).Scan(&c)
		return err == nil && uint64(c) >= last
	})
	for _, in := range insts {
		waitFor(t, func() bool { return in.e.Seq() >= last })
	}
	stopFollow()
	bg.Wait()

	checkRun(t, admin, ws, insts, of, last)
	t.Logf("%s: %d acknowledged changes (%d cancellations), %d offers", phase, acks.Load(), cancels.Load(), len(of.hold))
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 600 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met within 30 s")
}

// domain reports whether err is a definite answer (nothing was changed)
// rather than a lost one (the change may or may not have committed).
func domain(err error) bool {
	for _, e := range []error{booking.ErrNoCapacity, booking.ErrAlreadyBooked, booking.ErrUnknownSlot,
		booking.ErrVersionMismatch, booking.ErrNotActive, booking.ErrSameSlot, booking.ErrHoldExpired, booking.ErrKeyReused} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retry runs op until it gives a definite answer, through server restarts,
// for at most a minute.
func (w *worker) retry(op func(ctx context.Context) error) error {
	var err error
	for range 600 {
		ctx := w.inst.ctx
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err = op(ctx); err == nil || domain(err) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func (w *worker) pick() string {
	if w.rng.IntN(2) == 0 {
		req := booking.Request{ID: "q", Service: "st-clinic", Earliest: ledgertest.Base}
		if c := w.inst.e.Match(req, 8); len(c) > 0 {
			return c[w.rng.IntN(len(c))].SlotID
		}
	}
	return fmt.Sprintf("st-%03d", w.rng.IntN(nSlots))
}

func (w *worker) any() (string, known) {
	for id, k := range w.mine {
		return id, k
	}
	return "", known{}
}

// pending is an operation whose answer was lost to a cancelled context.
type pending struct {
	kind string
	key  string
	id   string
	to   string
	k    known
}

var pendingOps sync.Map // worker id -> pending

// cancels counts acknowledged cancellations in the running phase.
var cancels atomic.Int64

// step does one random operation and reports whether it was acknowledged.
func (w *worker) step(t *testing.T) bool {
	switch {
	case len(w.mine) == 0 || w.rng.IntN(3) == 0:
		w.n++
		key := "w" + strconv.Itoa(w.id) + "-" + strconv.Itoa(w.n)
		w.keys[key] = true
		slot := w.pick()
		return w.book(t, key, slot)
	case w.rng.IntN(2) == 0:
		id, k := w.any()
		return w.move(t, id, k, w.pick())
	default:
		id, k := w.any()
		return w.cancel(t, id, k)
	}
}

func (w *worker) book(t *testing.T, key, slot string) bool {
	var b booking.Booking
	err := w.retry(func(ctx context.Context) (err error) {
		b, _, err = w.inst.l.Book(ctx, booking.BookInput{SlotID: slot, RequestID: key, Key: key})
		return err
	})
	if err != nil && !domain(err) {
		pendingOps.Store(w.id, pending{kind: "book", key: key, to: slot})
		return false
	}
	if err == nil {
		w.mine[b.ID] = known{slot: b.SlotID, version: b.Version}
		return true
	}
	return false
}

// resolve reads a booking after a lost answer: whether the change it asked
// for happened is in the version.
func (w *worker) read(id string) (booking.Booking, error) {
	var b booking.Booking
	err := w.retry(func(ctx context.Context) (err error) {
		b, err = w.inst.l.Booking(ctx, id)
		return err
	})
	return b, err
}

func (w *worker) move(t *testing.T, id string, k known, to string) bool {
	var b booking.Booking
	err := w.retry(func(ctx context.Context) (err error) {
		b, _, err = w.inst.l.Reschedule(ctx, booking.RescheduleInput{BookingID: id, ToSlot: to, IfVersion: k.version})
		return err
	})
	if errors.Is(err, booking.ErrVersionMismatch) {
		// An earlier attempt whose answer was lost did commit.
		if b, err = w.read(id); err != nil {
			t.Error(err)
			return false
		}
		if b.Version != k.version+1 || b.SlotID != to {
			t.Errorf("booking %s moved by someone else: %+v, had %+v", id, b, k)
		}
		err = nil
	}
	if err != nil && !domain(err) {
		pendingOps.Store(w.id, pending{kind: "move", id: id, to: to, k: k})
		return false
	}
	if err == nil {
		w.mine[id] = known{slot: b.SlotID, version: b.Version}
		return true
	}
	return false
}

func (w *worker) cancel(t *testing.T, id string, k known) bool {
	err := w.retry(func(ctx context.Context) (err error) {
		_, _, err = w.inst.l.Cancel(ctx, booking.CancelInput{BookingID: id, IfVersion: k.version})
		return err
	})
	if errors.Is(err, booking.ErrVersionMismatch) {
		// An earlier attempt whose answer was lost did commit: on a retry
		// here, or before the instance's context was cancelled, when
		// settle repeats the cancellation.
		b, rerr := w.read(id)
		if rerr != nil {
			t.Error(rerr)
			return false
		}
		if b.Status != booking.StatusCancelled || b.Version != k.version+1 {
			t.Errorf("booking %s changed by someone else: %+v", id, b)
		}
		err = nil
	}
	if err != nil && !domain(err) {
		pendingOps.Store(w.id, pending{kind: "cancel", id: id, k: k})
		return false
	}
	if err == nil {
		delete(w.mine, id)
		w.closed[id] = true
		cancels.Add(1)
		return true
	}
	return false
}

// settle finishes the operation a cancelled context left unanswered.
func (w *worker) settle(t *testing.T) {
	v, ok := pendingOps.LoadAndDelete(w.id)
	if !ok {
		return
	}
	p := v.(pending)
	switch p.kind {
	case "book":
		w.book(t, p.key, p.to)
	case "move":
		w.move(t, p.id, p.k, p.to)
	case "cancel":
		w.cancel(t, p.id, p.k)
	}
}

// consumeLoop is one instance's waiting-list hook: each released place is
// offered with a hold keyed by the release's sequence number, so a
// redelivered release finds its offer instead of making another.
func consumeLoop(ctx context.Context, l *Ledger, of *offers) {
	fn := func(ctx context.Context, ev booking.Event) error {
		if ev.Kind != booking.SlotReleased {
			return nil
		}
		h, _, err := l.Hold(ctx, booking.HoldInput{SlotID: ev.SlotID, TTL: 300 * time.Millisecond, Key: "offer-" + strconv.FormatUint(ev.Seq, 10), Actor: "waitlist"})
		of.mu.Lock()
		defer of.mu.Unlock()
		switch {
		case err == nil:
			if prev, ok := of.hold[ev.Seq]; ok && prev != h.ID {
				of.dup = append(of.dup, fmt.Sprintf("release %d offered twice: %s and %s", ev.Seq, prev, h.ID))
			}
			of.hold[ev.Seq] = h.ID
		case errors.Is(err, booking.ErrNoCapacity):
			of.noPlace[ev.Seq] = true
		default:
			return err
		}
		return nil
	}
	for ctx.Err() == nil {
		n, err := l.Consume(ctx, "waitlist", 50, fn)
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

func checkRun(t *testing.T, admin *Ledger, ws []*worker, insts []*instance, of *offers, last uint64) {
	ctx := context.Background()
	evs, err := admin.Events(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.pool.QueryRow(ctx, `SELECT last FROM ledger_seq`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != last {
		t.Fatalf("%d events for sequence %d", len(evs), last)
	}
	// Replay: bookings per slot never exceed capacity at any point of the
	// log, and every booking's last event agrees with its row.
	booked := map[string]int{}
	state := map[string]string{} // booking -> slot, "" when cancelled
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		switch ev.Kind {
		case booking.Booked:
			booked[ev.SlotID]++
			if booked[ev.SlotID] > slotCap {
				t.Fatalf("slot %s over capacity at event %d", ev.SlotID, ev.Seq)
			}
			state[ev.BookingID] = ev.SlotID
		case booking.Cancelled:
			booked[ev.SlotID]--
			if state[ev.BookingID] == ev.SlotID {
				state[ev.BookingID] = ""
			}
		}
	}
	rows, err := admin.pool.Query(ctx, `SELECT id, slot_id, status, version, coalesce(key, '') FROM ledger_bookings`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		slot, status, key string
		version           int64
	}
	db := map[string]row{}
	for rows.Next() {
		var id string
		var r row
		if err := rows.Scan(&id, &r.slot, &r.status, &r.version, &r.key); err != nil {
			t.Fatal(err)
		}
		db[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(db) != len(state) {
		t.Fatalf("%d bookings in the database, %d in the log", len(db), len(state))
	}
	for id, r := range db {
		want := state[id]
		if (r.status == "booked") != (want != "") || (want != "" && want != r.slot) {
			t.Fatalf("booking %s is %s on %s; the log says %q", id, r.status, r.slot, want)
		}
	}
	var counted int
	if err := admin.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_slots s WHERE booked <> (SELECT count(*) FROM ledger_bookings b WHERE b.slot_id = s.id AND b.status = 'booked')`).Scan(&counted); err != nil {
		t.Fatal(err)
	}
	if counted != 0 {
		t.Fatalf("%d slots whose booking counter disagrees with their bookings", counted)
	}
	// Every acknowledged change is there; every key made one booking at
	// most, and no booking exists that no worker asked for.
	keys := map[string]bool{}
	live := 0
	for _, w := range ws {
		for k := range w.keys {
			keys[k] = true
		}
		for id, k := range w.mine {
			r, ok := db[id]
			if !ok || r.status != "booked" || r.slot != k.slot || r.version != k.version {
				t.Fatalf("worker %d: acknowledged booking %s %+v is %+v in the database", w.id, id, k, r)
			}
			live++
		}
		for id := range w.closed {
			if db[id].status != "cancelled" {
				t.Fatalf("worker %d: acknowledged cancellation of %s lost", w.id, id)
			}
		}
	}
	dbLive := 0
	for id, r := range db {
		if !keys[r.key] {
			t.Fatalf("booking %s has key %q no worker used", id, r.key)
		}
		if r.status == "booked" {
			dbLive++
		}
	}
	if dbLive != live {
		t.Fatalf("%d live bookings in the database, %d acknowledged", dbLive, live)
	}
	// Every release was handled by exactly one offer (or found its place
	// already retaken).
	of.mu.Lock()
	defer of.mu.Unlock()
	if len(of.dup) > 0 {
		t.Fatal(of.dup[0])
	}
	releases := 0
	for _, ev := range evs {
		if ev.Kind != booking.SlotReleased {
			continue
		}
		releases++
		if of.hold[ev.Seq] == "" && !of.noPlace[ev.Seq] {
			t.Fatalf("release %d never offered", ev.Seq)
		}
	}
	var dupOffers int
	if err := admin.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT key FROM ledger_holds WHERE key LIKE 'offer-%' GROUP BY key HAVING count(*) > 1) d`).Scan(&dupOffers); err != nil {
		t.Fatal(err)
	}
	if dupOffers != 0 {
		t.Fatalf("%d releases offered more than once", dupOffers)
	}
	if releases == 0 {
		t.Fatal("no cancellations happened")
	}
	// Every engine followed the ledger to the same availability.
	snap, err := admin.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := booking.NewEngine(nil)
	ref.Load(snap)
	for i, in := range insts {
		for _, s := range snap.Slots {
			if a, b := in.e.Available(s.ID), ref.Available(s.ID); a != b {
				t.Fatalf("instance %d: slot %s has %d free in its engine, %d in the ledger", i, s.ID, a, b)
			}
		}
	}
}
