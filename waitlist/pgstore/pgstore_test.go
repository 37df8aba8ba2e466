package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhskit/nhskit/fhir"
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

// testSchema is a schema of its own for each test, named after it.
func testSchema(t *testing.T) string {
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	if len(name) > 30 {
		name = name[:30]
	}
	return fmt.Sprintf("t_%s_%08x", name, h.Sum32())
}

// open connects to a fresh schema of the test's own, dropped at cleanup.
func open(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Connect(ctx, dsn(t), testSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Drop(context.Background())
		s.Close()
	})
	return s
}

// another opens a second store (its own pool) on s's schema, as another
// instance of the service would.
func another(t *testing.T, s *Store) *Store {
	t.Helper()
	o, err := Connect(context.Background(), dsn(t), s.schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	return o
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
	b := another(t, a)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan int64, 4)
	var wg sync.WaitGroup
	wg.Add(1)
	ready := make(chan struct{})
	go func() {
		defer wg.Done()
		close(ready)
		_ = b.Listen(ctx, func(seq int64) { got <- seq })
	}()
	<-ready
	time.Sleep(200 * time.Millisecond) // let LISTEN register
	nhs, _ := fhir.TestNHSNumber(1)
	e := &waitlist.Entry{ID: "e", NHSNumber: nhs, Service: "c", Status: waitlist.Waiting}
	if err := a.Commit(ctx, waitlist.Batch{Entries: []*waitlist.Entry{e}, Events: []waitlist.Event{{Kind: waitlist.EntryAdded, Actor: "t", Entry: e}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != 1 {
			t.Fatalf("notified %d, want sequence 1", s)
		}
	case <-ctx.Done():
		t.Fatal("no notification")
	}
	cancel()
	wg.Wait()
}
