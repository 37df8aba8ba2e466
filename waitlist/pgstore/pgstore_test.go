package pgstore

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nhskit/nhskit/waitlist"
	"github.com/nhskit/nhskit/waitlist/storetest"
)

// dsn returns the test database, skipping outside CI when there is none
// and failing in CI, where ci-setup.sh must have started one.
func dsn(t *testing.T) string {
	d := os.Getenv("NHSKIT_PG_DSN")
	if d == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("NHSKIT_PG_DSN is not set in CI: waitlist/pgstore/ci-setup.sh should have started PostgreSQL")
		}
		t.Skip("no PostgreSQL: set NHSKIT_PG_DSN (source waitlist/pgstore/ci-setup.sh to start one)")
	}
	return d
}

func open(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) waitlist.Store { return open(t) })
}

func TestMigrationsAreIdempotent(t *testing.T) {
	s := open(t)
	if err := s.migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestListenSeesOtherInstancesCommits(t *testing.T) {
	a := open(t)
	b, err := Open(context.Background(), dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 4)
	var wg sync.WaitGroup
	wg.Add(1)
	ready := make(chan struct{})
	go func() {
		defer wg.Done()
		close(ready)
		_ = b.Listen(ctx, func(slot string) { got <- slot })
	}()
	<-ready
	time.Sleep(200 * time.Millisecond) // let LISTEN register
	o := &waitlist.Offer{ID: "n1", EntryID: "e", SlotID: "slot-42", Status: waitlist.OfferOpen}
	if err := a.Commit(ctx, nil, []*waitlist.Offer{o}, []waitlist.Event{{Kind: waitlist.OfferMade, Actor: "t", Offer: o, SlotID: "slot-42"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "slot-42" {
			t.Fatalf("notified %q", s)
		}
	case <-ctx.Done():
		t.Fatal("no notification")
	}
	cancel()
	wg.Wait()
}
