package pgstore

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nhskit/nhskit/fhir"
	"github.com/nhskit/nhskit/waitlist"
)

// TestKillAndRecover runs a worker process that commits changes as fast as
// it can, printing each one it has had acknowledged, and kills it with
// SIGKILL at random moments, several times. Afterwards every acknowledged
// change is in the database, every committed change has exactly one event,
// and no entry's version skips or repeats.
func TestKillAndRecover(t *testing.T) {
	if os.Getenv("NHSKIT_PG_WORKER") == "1" {
		worker(t)
		return
	}
	s := open(t)
	ctx := context.Background()
	nhs, _ := fhir.TestNHSNumber(1)
	for i := range 20 {
		e := &waitlist.Entry{ID: fmt.Sprintf("k%02d", i), NHSNumber: nhs, Service: "c", Priority: waitlist.P3, Status: waitlist.Waiting}
		if err := s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{e}, Events: []waitlist.Event{{Kind: waitlist.EntryAdded, Actor: "setup", Entry: e}}}); err != nil {
			t.Fatal(err)
		}
	}
	acked := map[string]int64{} // entry -> highest acknowledged version
	rng := rand.New(rand.NewPCG(7, 7))
	for run := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillAndRecover$", "-test.v")
		cmd.Env = append(os.Environ(), "NHSKIT_PG_WORKER=1", fmt.Sprintf("NHSKIT_PG_SEED=%d", run), "NHSKIT_PG_SCHEMA="+s.schema)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		working := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			first := true
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 3 && f[0] == "ack" {
					if first {
						close(working)
						first = false
					}
					v, _ := strconv.ParseInt(f[2], 10, 64)
					if v > acked[f[1]] {
						acked[f[1]] = v
					}
				}
			}
			close(done)
		}()
		// Kill it mid-stream: a random moment after its first commit (a
		// busy machine can take seconds to start a race-built worker).
		select {
		case <-working:
		case <-done:
		case <-time.After(2 * time.Minute):
		}
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-done
	}
	if len(acked) == 0 {
		t.Fatal("the worker acknowledged nothing")
	}
	for id, v := range acked {
		e, err := s.Entry(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Version < v {
			t.Fatalf("entry %s: acknowledged version %d lost (database has %d)", id, v, e.Version)
		}
	}
	evs, err := s.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has sequence %d: the log has a gap after the kills", i+1, ev.Seq)
		}
	}
	seen := map[string]bool{}
	perEntry := map[string]int64{}
	for _, ev := range evs {
		if ev.Entry == nil {
			continue
		}
		k := ev.Entry.ID + "@" + strconv.FormatInt(ev.Entry.Version, 10)
		if seen[k] {
			t.Fatalf("event for %s duplicated", k)
		}
		seen[k] = true
		perEntry[ev.Entry.ID]++
	}
	for i := range 20 {
		id := fmt.Sprintf("k%02d", i)
		e, _ := s.Entry(ctx, id)
		if perEntry[id] != e.Version {
			t.Fatalf("entry %s at version %d has %d events", id, e.Version, perEntry[id])
		}
	}
	t.Logf("%d acknowledged entries checked, %d events, no loss or duplicate", len(acked), len(evs))
}

// worker updates random entries forever, printing "ack <id> <version>"
// after each acknowledged commit.
func worker(t *testing.T) {
	ctx := context.Background()
	s, err := Connect(ctx, os.Getenv("NHSKIT_PG_DSN"), os.Getenv("NHSKIT_PG_SCHEMA"))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.ParseUint(os.Getenv("NHSKIT_PG_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 1))
	for {
		id := fmt.Sprintf("k%02d", rng.IntN(20))
		e, err := s.Entry(ctx, id)
		if err != nil {
			continue
		}
		e.Priority = waitlist.Priority(1 + rng.IntN(4))
		if err := s.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{e}, Events: []waitlist.Event{{Kind: waitlist.EntryChanged, Actor: "worker", Entry: e}}}); err != nil {
			continue
		}
		fmt.Printf("ack %s %d\n", e.ID, e.Version)
	}
}
