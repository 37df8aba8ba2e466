package pgstore

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/nhskit/nhskit/booking"
	"github.com/nhskit/nhskit/waitlist"
	"github.com/nhskit/nhskit/waitlist/storetest"
)

// TestStressInstances: four instances, each with its own pool and its own
// engine, on one schema; then the same with one instance's operations
// cancelled part-way (a client dying mid-transaction) and the server
// crashed and restarted mid-run.
func TestStressInstances(t *testing.T) {
	s := open(t)
	storetest.Stress(t, storetest.StressConfig{Open: func(t *testing.T) waitlist.Store { return another(t, s) }, Ops: 60})
}

// TestStressInstancesOverOneLedger: the same with one booking ledger
// shared by the instances, each keeping its own store handle.
func TestStressInstancesOverOneLedger(t *testing.T) {
	s := open(t)
	storetest.Stress(t, storetest.StressConfig{Open: func(t *testing.T) waitlist.Store { return another(t, s) }, Ops: 60,
		NewLedger: func(now func() time.Time) booking.Ledger { return booking.NewMemoryLedger(now) }})
}

func TestStressServerCrashAndClientCancel(t *testing.T) {
	bin, dir := os.Getenv("NHSKIT_PG_BIN"), os.Getenv("NHSKIT_PG_DIR")
	if bin == "" || dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHSKIT_PG_BIN and NHSKIT_PG_DIR are not set in CI: waitlist/pgstore/ci-setup.sh exports them")
		}
		t.Skip("set NHSKIT_PG_BIN and NHSKIT_PG_DIR (source waitlist/pgstore/ci-setup.sh) to crash the server")
	}
	s := open(t)
	storetest.Stress(t, storetest.StressConfig{
		Open:      func(t *testing.T) waitlist.Store { return another(t, s) },
		Ops:       60,
		CancelOne: true,
		Disrupt: func(t *testing.T) {
			// An immediate stop is a crash to the clients and to recovery:
			// no checkpoint, connections cut.
			cmd := exec.Command("su", "postgres", "-s", "/bin/sh", "-c", bin+"/pg_ctl -D "+dir+"/data -m immediate -w restart >/dev/null")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("restarting postgresql: %v\n%s", err, out)
			}
			t.Log("postgresql crashed and restarted")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for s.pool.Ping(ctx) != nil && ctx.Err() == nil {
				time.Sleep(50 * time.Millisecond)
			}
		},
	})
}
