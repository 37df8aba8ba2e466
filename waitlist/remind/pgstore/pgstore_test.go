package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/nhskit/nhskit/waitlist/remind"
	"github.com/nhskit/nhskit/waitlist/remind/remindtest"
)

// dsn returns the test database, skipping outside CI when there is none
// and failing in CI, where ci-setup.sh must have started one.
func dsn(t *testing.T) string {
	d := os.Getenv("NHSKIT_PG_DSN")
	if d == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_PG_DSN is not set in CI: waitlist/remind/pgstore/ci-setup.sh should have started PostgreSQL")
		}
		t.Skip("no PostgreSQL: set NHSKIT_PG_DSN (source waitlist/pgstore/ci-setup.sh to start one)")
	}
	return d
}

// testSchema is a schema of the test's own, named after it.
func testSchema(t *testing.T) string {
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	if len(name) > 30 {
		name = name[:30]
	}
	return fmt.Sprintf("r_%s_%08x", name, h.Sum32())
}

func open(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Connect(ctx, dsn(t), testSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Connect(ctx, dsn(t), testSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Drop(context.Background())
		s.Close()
	})
	return s
}

func TestStore(t *testing.T) {
	remindtest.TestStore(t, func(t *testing.T) remind.Store { return open(t) })
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, nil, ""); err == nil {
		t.Fatal("nil pool accepted")
	}
	s := open(t)
	if _, err := Open(ctx, s.pool, "Bad-Name"); err == nil {
		t.Fatal("bad schema name accepted")
	}
	// Opening again (a second instance) is harmless.
	again, err := Open(ctx, s.pool, s.name)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
}
